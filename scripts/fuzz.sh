#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 600), from
# the committed seeds (fuzz/seeds/<target>) plus a local, uncommitted corpus
# (fuzz/corpus/<target>). Installs nightly and cargo-fuzz if missing.
# A crash stops the script; the input is left in fuzz/artifacts/<target>/.
# Then fuzzes the C API for SECONDS (scripts/fuzz-capi.sh: clang libFuzzer +
# ASan/UBSan on a sequence-of-calls harness, corpus replayed under valgrind).
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"

rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cd fuzz
for target in $(cargo +nightly fuzz list); do
    printf '\n==> fuzzing %s for %ss\n' "$target" "$secs"
    mkdir -p "corpus/$target"
    dirs=("corpus/$target")
    [ -d "seeds/$target" ] && dirs+=("seeds/$target")
    cargo +nightly fuzz run "$target" "${dirs[@]}" -- \
        -max_total_time="$secs" -print_final_stats=1
done
cd .. && scripts/fuzz-capi.sh "$secs"
