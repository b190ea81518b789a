#!/usr/bin/env bash
# Smoke test of the density benchmark (examples/density.rs): `--quick` trains
# 1 seed for 1500 updates on each of the five 2-D tasks on small splits, fits
# the KDE and GMM baselines and writes target/figures/density.svg, then the
# 4-D task ring4 with 300 updates and a short AIS (docs/density-benchmark.md). It checks
# that the benchmark runs and its numbers are finite, not the targets (the
# full benchmark with `-- --check` does that; docs/density-benchmark.md).
# About 15 s of CPU in release; under 60 s on a shared 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
out=$(cargo run --release --features std --example density -- --quick)
echo "$out"
if echo "$out" | grep -qiE '\bnan\b|\binf\b'; then
    echo "ci-density: non-finite result" >&2
    exit 1
fi
echo "$out" | grep -q '^| swissroll |' || { echo "ci-density: no result table" >&2; exit 1; }
test -s target/figures/density.svg
echo "ci-density: ok"
