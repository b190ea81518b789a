#!/usr/bin/env bash
# CI's Cortex-M4F checks: installs the ARM toolchain and QEMU if missing, runs
# the Rust firmware under qemu-system-arm (mps2-an386) with instruction
# counts, and checks that its fingerprint (every position and energy bit of a
# fixed sampling run) equals the host's.
# Usage: scripts/ci-mcu.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi >/dev/null
fi
rustup target add thumbv7em-none-eabihf

out=$(mktemp)
bash scripts/mcu-insn.sh | tee "$out"
mcu=$(awk '/^fingerprint/{print $2}' "$out")
host=$(cargo run -q --release --example firmware_reference | awk '/^fingerprint/{print $2}')
echo "fingerprint: Cortex-M4F $mcu, x86_64 $host"
[ -n "$mcu" ] && [ "$mcu" = "$host" ] || { echo "MCU and host bits differ" >&2; exit 1; }
grep -q "firmware: all checks passed" "$out"
