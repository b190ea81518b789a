#!/usr/bin/env bash
# CI for the C++ wrapper include/tinyebm.hpp (docs/cpp.md). Standalone: needs
# cargo, g++ (C++17); valgrind is used when installed.
#   1. builds the host library (cargo build --release -p tinyebm-ffi);
#   2. tests/c/cpp_wrapper_test.cpp, with exceptions and with -fno-exceptions
#      -fno-rtti, each plain and under AddressSanitizer + UBSan
#      (-std=c++17 -Wall -Wextra -Werror -pedantic), run; the plain builds
#      also under valgrind;
#   3. the header alone under stricter warnings (-Wshadow -Wconversion
#      -Wold-style-cast ...) in C++17 and C++20, with and without exceptions;
#   4. misuse that must not compile: a temporary callable as an energy (it
#      would dangle), a discarded Status, a callable of the wrong signature;
#   5. the example of docs/cpp.md and c_examples/simulator.cpp (the wrapper
#      in a time-stepping loop) build and pass their checks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-cpp
out=target/ci-cpp
mkdir -p "$out"
CXX=${CXX:-g++}
LIB=target/release/libtinyebm.a
LDLIBS="-lm -lpthread -ldl"
CXXFLAGS="-std=c++17 -Wall -Wextra -Werror -pedantic -g -Iinclude -Itests/c"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

step "library: cargo build --release -p tinyebm-ffi"
cargo build --release -p tinyebm-ffi

step "tests/c/cpp_wrapper_test.cpp: exceptions / -fno-exceptions -fno-rtti, plain / ASan+UBSan"
declare -A variant=([exc]="" [noexc]="-fno-exceptions -fno-rtti")
for v in exc noexc; do
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -O2 ${variant[$v]} tests/c/cpp_wrapper_test.cpp $LIB $LDLIBS -o "$out/cpp_wrapper_test-$v"
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -O1 ${variant[$v]} $SAN tests/c/cpp_wrapper_test.cpp $LIB $LDLIBS -o "$out/cpp_wrapper_test-$v-asan"
done
for v in exc noexc; do
    for b in "$out/cpp_wrapper_test-$v" "$out/cpp_wrapper_test-$v-asan"; do
        echo "== $b"
        "$b" > "$b.out" 2>&1 || { cat "$b.out"; exit 1; }
        tail -n 1 "$b.out"
    done
done
if command -v valgrind > /dev/null; then
    step "... under valgrind"
    for v in exc noexc; do
        b="$out/cpp_wrapper_test-$v"
        # nouserintercepts: the test's own operator new (it counts
        # allocations) stays in place.
        valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all \
            --soname-synonyms=somalloc=nouserintercepts "$b" > "$b.vg.out" 2>&1 || { cat "$b.vg.out"; exit 1; }
        tail -n 1 "$b.vg.out"
    done
else
    step "valgrind: not installed, skipped"
fi

step "the header alone: strict warnings, C++17 and C++20, with and without exceptions"
cat > "$out/header_only.cpp" << 'EOF'
#include "tinyebm.hpp"
int main() { return tinyebm::version_matches() ? 0 : 1; }
EOF
STRICT="-Wall -Wextra -Werror -pedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast -Wcast-qual \
-Wnon-virtual-dtor -Wuseless-cast"
for std in c++17 c++20; do
    for x in "" "-fno-exceptions -fno-rtti" "-DTINYEBM_EXCEPTIONS=0"; do
        # shellcheck disable=SC2086
        $CXX -std=$std $STRICT $x -Iinclude "$out/header_only.cpp" $LIB $LDLIBS -o "$out/header_only"
        "$out/header_only"
    done
done
# Every template instantiated: the test program under the same warnings.
for x in "" "-fno-exceptions -fno-rtti"; do
    # shellcheck disable=SC2086
    $CXX -std=c++17 $STRICT $x -Wno-old-style-cast -Wno-sign-conversion -Wno-conversion -Iinclude -Itests/c \
        -fsyntax-only tests/c/cpp_wrapper_test.cpp
done
echo "ok: 6 header builds, 2 test builds under strict warnings"

step "misuse that must not compile"
must_fail() {  # name, source; the compiler must refuse it
    printf '%s\n' "$2" > "$out/neg_$1.cpp"
    if $CXX -std=c++17 -Wall -Werror -Iinclude -fsyntax-only "$out/neg_$1.cpp" > "$out/neg_$1.log" 2>&1; then
        echo "compiled but must not: $1" >&2
        exit 1
    fi
    echo "refused: $1 ($(grep -m1 -oE 'error: .{0,70}' "$out/neg_$1.log"))"
}
must_fail temporary_callable '#include "tinyebm.hpp"
static tinyebm::Energy e;
int main() { return e.try_init_callback(1, [](tinyebm::span<const float>, tinyebm::span<float>) { return 0.0f; }).ok(); }'
must_fail discarded_status '#include "tinyebm.hpp"
static tinyebm::Energy e;
int main() { e.try_init_double_well(1.0f); return 0; }'
must_fail wrong_signature '#include "tinyebm.hpp"
static tinyebm::Energy e;
int main() { auto f = [](int x) { return x; }; return e.try_init_callback(1, f).ok(); }'
must_fail no_throwing_forms_without_exceptions '#define TINYEBM_EXCEPTIONS 0
#include "tinyebm.hpp"
static tinyebm::Energy e;
int main() { return e.eval({1.0f}) > 0.0f; }'

step "docs/cpp.md: the example, with and without exceptions"
awk '/^```cpp$/ {on = 1; next} /^```$/ {if (on) exit} on' docs/cpp.md > "$out/doc_example.cpp"
for x in "" "-fno-exceptions -fno-rtti"; do
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -O2 $x "$out/doc_example.cpp" $LIB $LDLIBS -o "$out/doc_example"
    "$out/doc_example"
done

step "c_examples/simulator.cpp: plain and ASan+UBSan"
# shellcheck disable=SC2086
$CXX $CXXFLAGS -O2 c_examples/simulator.cpp $LIB $LDLIBS -o "$out/simulator"
# shellcheck disable=SC2086
$CXX $CXXFLAGS -O1 $SAN c_examples/simulator.cpp $LIB $LDLIBS -o "$out/simulator-asan"
for b in "$out/simulator" "$out/simulator-asan"; do
    "$b" > "$b.out" 2>&1 || { cat "$b.out"; exit 1; }
    tail -n 1 "$b.out"
done

step "ci-cpp passed in $(elapsed) s"
