#!/usr/bin/env bash
# Guest instruction counts of the Rust firmware on QEMU mps2-an386 (Cortex-M4F),
# or with MCU_TARGET=thumbv6m-none-eabi of its Cortex-M0 build on mps2-an385,
# or with MCU_TARGET=thumbv8m.main-none-eabihf of its Cortex-M33 build on mps2-an505.
# Usage: scripts/mcu-insn.sh [release|release-size] [cargo build args, e.g. --features micromath]
# Prints one table of instructions per window (see firmware/src/main.rs; per
# gradient too for the MALA and NUTS windows), the NUTS windows' step size,
# acceptance statistic and tree depth, the
# fingerprints of the reference sampling and training runs, and whether every
# firmware check passed (exit status 1 if not).
# Needs qemu-system-arm and gcc (to build the counting plugin).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
plugin=$(insn_plugin)
profile=release
case "${1:-}" in release|release-size) profile=$1; shift ;; esac
# MCU_TARGET=thumbv6m-none-eabi: Cortex-M0 code (soft-float) on mps2-an385.
target=${MCU_TARGET:-thumbv7em-none-eabihf}
# MCU_TARGET=thumbv8m.main-none-eabihf: Cortex-M33 on mps2-an505.
case "$target" in
    thumbv6m-none-eabi) machine=mps2-an385 ;;
    thumbv8m.main-none-eabihf) machine=mps2-an505 ;;
    *) machine=mps2-an386 ;;
esac
cd "$root/firmware"
cargo build -q --profile "$profile" --target "$target" --bin tinyebm-firmware "$@"
elf=target/$target/$profile/tinyebm-firmware
mark=$(bench_mark "$elf")
out=$(mktemp); log=$(mktemp)
timeout 300 qemu-system-arm -M "$machine" -nographic -semihosting-config enable=on,target=native \
    -icount shift=0 -plugin "$plugin,mark=$mark" -d plugin -D "$log" \
    -kernel "$elf" </dev/null >"$out" || { cat "$out"; echo "firmware failed" >&2; exit 1; }
insn_table "$out" "$log"
grep -E "^fingerprint|^training|^trainer|^checkpoint|^ed trainer|^nuts|passed" "$out"
