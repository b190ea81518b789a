#!/usr/bin/env bash
# Runs the library's unit tests and the weight-format tests under Miri
# (undefined behaviour, out-of-bounds and arithmetic-overflow checks in the
# interpreter). The crate forbids `unsafe`, so this mainly guards the
# dependencies and the integer arithmetic on untrusted bytes.
#
# Interpreted for s390x: libm's x86 `sqrtf` is inline assembly, which Miri
# cannot run, and a big-endian target also proves the weight format's
# golden bytes do not depend on the host's byte order.
# Extra arguments are test-name filters, e.g. `scripts/miri.sh rng energy`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=s390x-unknown-linux-gnu
rustup toolchain install nightly --profile minimal --component miri --component rust-src
cargo +nightly miri setup --target "$target"
time cargo +nightly miri test --target "$target" --lib -- "$@"
time cargo +nightly miri test --target "$target" --test weights -- "$@"
