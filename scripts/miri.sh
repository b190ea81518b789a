#!/usr/bin/env bash
# Runs the library's unit tests under Miri (undefined behaviour, out-of-bounds
# and arithmetic-overflow checks on the interpreter). The crate forbids
# `unsafe`, so this mainly guards the dependencies and integer arithmetic.
# Extra arguments are test-name filters, e.g. `scripts/miri.sh rng energy`.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup toolchain install nightly --profile minimal --component miri --component rust-src
cargo +nightly miri setup
cargo +nightly miri test --lib -- "$@"
