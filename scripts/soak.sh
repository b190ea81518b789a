#!/usr/bin/env bash
# Soak run (issue 7, not in CI): 10⁸ MALA walker-steps on the reference MLP
# energy with step-size adaptation on throughout (examples/soak.rs): no NaN,
# step size within bounds, per-chunk moments within batch-means standard
# errors of the overall ones. Runs at low priority; the log is kept in
# target/soak/soak.log. About a minute on one x86-64 core.
# Usage: scripts/soak.sh [WALKER_STEPS] [CHUNKS]   (defaults 100000000 100)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/soak
cargo build -q --release --features std --example soak
nice -n 19 target/release/examples/soak "${1:-100000000}" "${2:-100}" | tee target/soak/soak.log
