#!/usr/bin/env bash
# Runs the library's unit tests and the weight-format tests under Miri
# (undefined behaviour, out-of-bounds and arithmetic-overflow checks in the
# interpreter). The crate forbids `unsafe`, so this mainly guards the
# dependencies and the integer arithmetic on untrusted bytes.
#
# Interpreted for s390x: libm's x86 `sqrtf` is inline assembly, which Miri
# cannot run, and a big-endian target also proves the weight format's
# golden bytes do not depend on the host's byte order.
# Skipped: the statistical sweeps over 10⁵–4·10⁷ samples (math error bounds,
# RNG moments and KS test), each far beyond 15 min in the interpreter; they
# exercise arithmetic already covered by the shorter tests.
# Extra arguments go to the test harness, e.g. `scripts/miri.sh rng` to
# run only the tests whose names contain `rng`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=s390x-unknown-linux-gnu
rustup toolchain install nightly --profile minimal --component miri --component rust-src
cargo +nightly miri setup --target "$target"
time cargo +nightly miri test --target "$target" --lib -- \
    --skip math::tests::micromath_bounds --skip math::tests::tanh_bound \
    --skip rng::tests::ks_test_detects_wrong_scale --skip rng::tests::normals_are_standard \
    --skip rng::tests::uniform_is_open_and_centred "$@"
# The weight tests read the committed fuzz seeds and write a temporary file;
# then the state-after-error tests.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation"
time cargo +nightly miri test --target "$target" --features std --test weights -- "$@"
time cargo +nightly miri test --target "$target" --features std --test state_after_error -- "$@"
