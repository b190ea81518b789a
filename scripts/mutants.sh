#!/usr/bin/env bash
# Mutation testing of the core's formulas with cargo-mutants (issue 19): not
# in CI (hours on two cores). Needs `cargo install cargo-mutants --locked`
# (measured with 27.1.0). Results go to mutants.out/ (outcomes.json,
# caught.txt, missed.txt, timeout.txt, unviable.txt); docs/reliability.md
# lists the known equivalent mutants and the last measured kill rate.
#
#   scripts/mutants.sh                 every mutant of the files below
#   SHARD=0/8 scripts/mutants.sh       one shard (round-robin: a sample of
#                                      every file), e.g. for a quick look
#   FILES="src/adapt.rs" scripts/mutants.sh   other files
#   TIMEOUT=150 scripts/mutants.sh     test timeout per mutant, s (default 300;
#                                      the tests take 35 s unmutated)
#   scripts/mutants.sh --list          extra arguments go to cargo-mutants
#
# Kill rate = caught / (caught + missed − equivalent); unviable mutants
# (that do not compile) and timeouts (caught by the timeout) are reported
# apart.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
# Where the old kernel.rs logic lives now: the shared step (src/kernel.rs),
# the commit of a decided step (src/walkers/mod.rs, `commit` only: the rest
# of that file is accessors covered elsewhere).
FILES=${FILES:-"src/kernel.rs src/adapt.rs src/diagnostics.rs src/jarzynski.rs src/optim.rs src/walkers/mod.rs"}
args=()
for f in $FILES; do args+=(--file "$f"); done
# In src/walkers/mod.rs only the mutants of `commit`; every mutant elsewhere.
args+=(--re '^(src/(kernel|adapt|diagnostics|jarzynski|optim)\.rs|src/walkers/mod\.rs:.*\bcommit\b)')
if [ -n "${SHARD:-}" ]; then args+=(--shard "$SHARD" --sharding round-robin); fi
# The tests that exercise these files: the unit tests (--lib), the exact
# formula tests (exact_*), and the integration tests of diagnostics,
# kernels, training (PCD, Jarzynski weights, optimisers) and state after
# errors. A mutant whose tests run past the timeout counts as caught.
# (-C: for the build and the test commands alike, so nothing is built twice.)
for t in --lib --test diagnostics --test kernels --test pcd --test state_after_error \
    --test hmc --test exact_formulas --test exact_optim --test exact_diagnostics; do
    args+=(-C="$t")
done
start=$(date +%s)
nice -n 10 cargo mutants --jobs 1 --copy-target=true --timeout "${TIMEOUT:-300}" --build-timeout 600 \
    --cargo-test-arg=--no-fail-fast \
    --features std "${args[@]}" "$@"
echo "cargo-mutants $(cargo mutants --version | awk '{print $2}'): $(( $(date +%s) - start )) s"
