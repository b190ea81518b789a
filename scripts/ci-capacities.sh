#!/usr/bin/env bash
# CI for the build-time capacities of the C API (TEBM_MAX_* environment
# variables read by ffi/build.rs; docs/c-api.md, "Capacities"). Needs what
# scripts/ci-ffi.sh needs (cbindgen 0.29.4, gcc; for the Cortex-M4F part
# arm-none-eabi-gcc + newlib and qemu-system-arm, skipped when missing).
#
# Two non-default configurations, each in its own CARGO_TARGET_DIR
# (target/caps-small, target/caps-large) so that the default build in
# target/ is untouched:
#   small  a microcontroller: 4-D, 8 walkers, MLP 4->8->8->1, ...
#   large  a simulator: 64-D, 32 walkers, MLP 64->64->64->1, ...
# For each: the library and its header (scripts/gen-header.sh), the C tests
# status_test, api_edges and status_train (they follow the TEBM_MAX_*
# macros) plain and under ASan+UBSan; for small also on the Cortex-M4F
# under QEMU; for large tests/c/gauss64.c, which samples a 64-D Gaussian
# and checks means and variances. Finally: the default header is unchanged
# and the small sampler is at most a quarter of the default one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-capacities

knobs=(TEBM_MAX_DIM TEBM_MAX_WALKERS TEBM_MAX_HIDDEN TEBM_MAX_COMPONENTS TEBM_MAX_POLY_DEGREE
    TEBM_MAX_MONOMIALS TEBM_MAX_TRAIN_WALKERS TEBM_MAX_REPLICAS TEBM_MAX_TEMPERING_WALKERS)
for k in "${knobs[@]}"; do unset "$k"; done

small=(TEBM_MAX_DIM=4 TEBM_MAX_WALKERS=8 TEBM_MAX_HIDDEN=8 TEBM_MAX_COMPONENTS=2
    TEBM_MAX_POLY_DEGREE=4 TEBM_MAX_MONOMIALS=16 TEBM_MAX_TRAIN_WALKERS=8 TEBM_MAX_REPLICAS=4
    TEBM_MAX_TEMPERING_WALKERS=16)
large=(TEBM_MAX_DIM=64 TEBM_MAX_WALKERS=32 TEBM_MAX_HIDDEN=64 TEBM_MAX_COMPONENTS=8
    TEBM_MAX_POLY_DEGREE=6 TEBM_MAX_MONOMIALS=128 TEBM_MAX_TRAIN_WALKERS=32 TEBM_MAX_REPLICAS=8
    TEBM_MAX_TEMPERING_WALKERS=16)
progs="status_test api_edges status_train"

# Runs make in tests/c against configuration $1's library and header.
tests_make() {
    local dir=$root/target/caps-$1
    shift
    make -s -C tests/c LIB="$dir/release/libtinyebm.a" \
        ARM_LIB="$dir/thumbv7em-none-eabihf/release/libtinyebm.a" \
        HEADER="$dir/include/tinyebm.h check.h fixtures.h" CPPFLAGS="-I$dir/include" \
        BUILD="$dir/c" C_PROGS="$progs" M4F_ONLY= QEMU_SHOW= "$@"
}

# The object sizes a configuration's header reserves.
sizes() {
    grep -E '^#define TEBM_(ENERGY|SAMPLER|TRAINER|TEMPERING)_SIZE ' "$1" | awk '{printf "%s %s  ", $2, $3}'
    echo
}

for name in small large; do
    declare -n cfg=$name
    dir=$root/target/caps-$name
    (
        export "${cfg[@]}" CARGO_TARGET_DIR="$dir"
        step "$name: ${cfg[*]}"
        step "$name: library and header (scripts/gen-header.sh)"
        scripts/gen-header.sh "$dir/include/tinyebm.h"
        sizes "$dir/include/tinyebm.h"
        step "$name: C tests ($progs), plain and ASan+UBSan"
        tests_make "$name" -j2 all
        tests_make "$name" run
        tests_make "$name" run-asan
        if [ "$name" = small ]; then
            if command -v arm-none-eabi-gcc > /dev/null && command -v qemu-system-arm > /dev/null; then
                step "$name: the C tests on a Cortex-M4F under QEMU"
                tests_make "$name" embedded
                tests_make "$name" run-qemu
            else
                step "$name: arm-none-eabi-gcc or qemu-system-arm missing: Cortex-M4F skipped"
            fi
        fi
        if [ "$name" = large ]; then
            step "$name: a 64-D Gaussian sampled from C (tests/c/gauss64.c)"
            cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -g -I"$dir/include" tests/c/gauss64.c \
                "$dir/release/libtinyebm.a" -lm -lpthread -ldl -o "$dir/gauss64"
            "$dir/gauss64"
        fi
    )
done

step "the default header is unchanged, and the small sampler is at most a quarter of the default one"
git diff --exit-code --stat -- include/tinyebm.h
default_sampler=$(awk '/^#define TEBM_SAMPLER_SIZE /{print $3}' include/tinyebm.h)
small_sampler=$(awk '/^#define TEBM_SAMPLER_SIZE /{print $3}' target/caps-small/include/tinyebm.h)
echo "TEBM_SAMPLER_SIZE: default $default_sampler, small $small_sampler"
[ $(( small_sampler * 4 )) -le "$default_sampler" ]

step "ci-capacities passed in $(elapsed) s"
