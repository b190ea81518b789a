#!/usr/bin/env bash
# CI for the C ABI (issue 3), called by .ci/run. Needs cbindgen 0.29.4, gcc/g++,
# valgrind, arm-none-eabi-gcc + newlib and qemu-system-arm (.ci/run installs them).
#   1. the checked-in header equals a fresh cbindgen run;
#   2. the C/C++ programs, examples (c_examples/) and tests (tests/c/), build
#      with -Werror and pass: plain, under AddressSanitizer + UBSan, and under
#      valgrind;
#   3. bit-exactness: tests/c/bits.c (through the C API) prints the same bits
#      as ffi/examples/bits_reference.rs (the Rust API), and bits.c and
#      c_examples/train_mcu.c print the same on every runtime-dispatch path;
#   4. the dev-profile library (overflow checks, debug assertions) passes
#      status_test and status_train and prints the same bits; the CMake build of
#      tests and examples (tests/c/CMakeLists.txt) and ctest, when cmake is
#      available;
#   5. bare metal: the library builds for thumbv7em-none-eabihf and
#      thumbv6m-none-eabi without std, the Cortex-M4F archive holds no
#      std/alloc/unwinding symbols, and the C programs run under QEMU
#      (mps2-an386), bits.c and train_mcu.c printing the same bits as on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-ffi
out=target/ci-ffi
mkdir -p "$out"
# The default capacities (scripts/ci-capacities.sh tests others).
unset TEBM_MAX_DIM TEBM_MAX_WALKERS TEBM_MAX_HIDDEN TEBM_MAX_COMPONENTS TEBM_MAX_POLY_DEGREE \
    TEBM_MAX_MONOMIALS TEBM_MAX_TRAIN_WALKERS TEBM_MAX_REPLICAS TEBM_MAX_TEMPERING_WALKERS

step "header: include/tinyebm.h is what cbindgen generates"
scripts/gen-header.sh "$out/tinyebm.h"
diff -u include/tinyebm.h "$out/tinyebm.h" || {
    echo "include/tinyebm.h is stale: run scripts/gen-header.sh" >&2
    exit 1
}

step "every function of the header has edge tests (tests/c/api_edges.c)"; scripts/check-api-edges.sh
dirs="c_examples tests/c"
step "C/C++ programs ($dirs): build (plain and ASan+UBSan) and run"
for d in $dirs; do make -s -C "$d" -j2 all; done
for d in $dirs; do make -s -C "$d" run; done
step "... under AddressSanitizer + UndefinedBehaviorSanitizer"
for d in $dirs; do make -s -C "$d" run-asan; done
step "... under valgrind"
for d in $dirs; do make -s -C "$d" run-valgrind; done

step "bit-exactness: C API (bits.c) vs Rust API (bits_reference.rs)"
tests/c/build/plain/bits > "$out/bits-c.txt"
cargo run -q --release -p tinyebm-ffi --example bits_reference > "$out/bits-rust.txt"
diff -u "$out/bits-rust.txt" "$out/bits-c.txt"
echo "identical: $(wc -l < "$out/bits-c.txt") lines, $(grep -c '^run' "$out/bits-c.txt") runs"

step "runtime dispatch: bits.c and train_mcu.c on each path this CPU has (TEBM_SIMD caps it)"
c_examples/build/plain/train_mcu > "$out/train-auto.txt"
for p in sse2 avx2 avx512; do
    TEBM_SIMD=$p tests/c/build/plain/bits > "$out/bits-$p.txt"
    diff -u "$out/bits-c.txt" "$out/bits-$p.txt"
    TEBM_SIMD=$p c_examples/build/plain/train_mcu > "$out/train-$p.txt"
    diff -u "$out/train-auto.txt" "$out/train-$p.txt"
done
echo "sse2, avx2, avx512 (each capped at what the CPU has): identical"

step "dev profile (debug assertions, overflow checks): status_test and bits"
cargo build -q -p tinyebm-ffi
for p in status_test status_train bits; do
    cc -std=c99 -Wall -Wextra -Werror -pedantic -O1 -g -fsanitize=address,undefined \
        -fno-sanitize-recover=all -Iinclude "tests/c/$p.c" target/debug/libtinyebm.a \
        -lm -lpthread -ldl -o "$out/$p-dev"
done
"$out/status_test-dev" | tail -n 1
"$out/status_train-dev" | tail -n 1
"$out/bits-dev" > "$out/bits-dev.txt"
diff -u "$out/bits-c.txt" "$out/bits-dev.txt"
echo "bits.c against the dev-profile library: identical to release"

if command -v cmake > /dev/null; then
    step "CMake build of the tests and examples"
    cmake -S tests/c -B "$out/cmake" -DCMAKE_BUILD_TYPE=Release > /dev/null
    cmake --build "$out/cmake" -j2 > /dev/null
    (cd "$out/cmake" && ctest --output-on-failure -Q)
    echo "cmake build and ctest: ok"
else
    step "CMake: not installed, skipped"
fi

step "bare metal: no_std builds for Cortex-M4F and Cortex-M0"
cargo build -q --release -p tinyebm-ffi --target thumbv7em-none-eabihf \
    --no-default-features --features panic-handler
cargo build -q --release -p tinyebm-ffi --target thumbv6m-none-eabi \
    --no-default-features --features panic-handler
# readelf, not nm: LTO objects hide symbols from nm (embedded.md).
std_symbols() {
    readelf -sW "$1" 2>/dev/null \
        | grep -E '__rust_alloc|__rdl_|__rg_|rust_eh_personality|_Unwind_|_ZN3std|_ZN5alloc|std::|alloc::' \
        || true
}
# Negative control: the host archive (feature std) must trip the check.
[ -n "$(std_symbols target/release/libtinyebm.a)" ] || {
    echo "the std-symbol check finds nothing in the host (std) archive: check is broken" >&2
    exit 1
}
for t in thumbv7em-none-eabihf thumbv6m-none-eabi; do
    lib=target/$t/release/libtinyebm.a
    bad=$(std_symbols "$lib")
    if [ -n "$bad" ]; then
        echo "$lib holds std/alloc/unwinding symbols:" >&2
        echo "$bad" | head -20 >&2
        exit 1
    fi
    echo "$lib: $(readelf -sW "$lib" | grep -c ' GLOBAL .* tebm_') tebm_* functions, no std/alloc/unwind symbols"
done

step "bare metal: C programs on a Cortex-M4F under QEMU (mps2-an386)"
for d in $dirs; do make -s -C "$d" embedded; done
for d in $dirs; do make -s -C "$d" run-qemu; done
diff -u "$out/bits-c.txt" tests/c/build/m4f/bits.elf.out
echo "bits.c on the Cortex-M4F: identical to the host"
# Training on the MCU: sampling, 1000 PCD updates, saved weights and reloads
# print the same bits on the host (gcc) and the Cortex-M4F.
diff -u c_examples/build/plain/train_mcu.out c_examples/build/m4f/train_mcu.elf.out
echo "train_mcu.c on the Cortex-M4F: identical to the host ($(wc -l < c_examples/build/m4f/train_mcu.elf.out) lines)"

step "ci-ffi passed in $(elapsed) s"
