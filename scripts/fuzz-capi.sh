#!/usr/bin/env bash
# Fuzzes the C API with a sequence-of-calls harness (fuzz/capi/capi_fuzz.c)
# for SECONDS (default 600): clang's libFuzzer + ASan + UBSan on the C side,
# linked against libtinyebm.a built with SanitizerCoverage (so libFuzzer
# sees the Rust code's branches and comparisons), debug assertions and
# overflow checks. Starts from the committed seeds (fuzz/capi/seeds) plus a
# local corpus (target/fuzz-capi/corpus); a crash stops the script and
# leaves the input in target/fuzz-capi/artifacts/. Then replays the corpus
# under valgrind (plain build, fuzz/capi/replay.c), which also sees Rust
# reads and writes past the harness's exact-size heap buffers.
# Installs clang and its runtime (apt) if missing. Called by scripts/fuzz.sh.
# Usage: scripts/fuzz-capi.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
out=target/fuzz-capi
probe='int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }'
if ! command -v clang > /dev/null ||
    ! clang -fsanitize=fuzzer -x c - -o /dev/null <<< "$probe" 2> /dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends clang libclang-rt-dev valgrind > /dev/null
fi
# --target: RUSTFLAGS then skip build scripts (they must not be instrumented).
host=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=3 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks \
 -Cforce-frame-pointers=yes" \
    cargo build -q --release -p tinyebm-ffi --target "$host" --target-dir "$out"
mkdir -p "$out/bin" "$out/corpus" "$out/artifacts"
clang -std=c99 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -Iinclude -Itests/c fuzz/capi/capi_fuzz.c \
    "$out/$host/release/libtinyebm.a" -lm -lpthread -ldl -o "$out/bin/capi_fuzz"
printf '\n==> fuzzing the C API (fuzz/capi) for %ss\n' "$secs"
"$out/bin/capi_fuzz" "$out/corpus" fuzz/capi/seeds -max_len=512 -max_total_time="$secs" \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 2>&1 |
    grep -vE '^#[0-9]+.*(NEW|REDUCE)|NEW_FUNC' || true
[ -z "$(ls -A "$out/artifacts")" ] || { echo "capi_fuzz found crashes: $out/artifacts" >&2; exit 1; }

printf '\n==> replaying the corpus under valgrind\n'
cargo build -q --release -p tinyebm-ffi
cc -std=c99 -O1 -g -Iinclude -Itests/c fuzz/capi/capi_fuzz.c fuzz/capi/replay.c target/release/libtinyebm.a \
    -lm -lpthread -ldl -o "$out/bin/replay"
find "$out/corpus" fuzz/capi/seeds -type f -print0 | sort -z | head -z -n "${REPLAY_MAX:-100000}" |
    xargs -0 valgrind -q --error-exitcode=1 "$out/bin/replay"
