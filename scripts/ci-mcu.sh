#!/usr/bin/env bash
# CI's Cortex-M4F checks: installs the ARM toolchain and QEMU if missing, runs
# the Rust firmware under qemu-system-arm (mps2-an386) with instruction
# counts (default math and micromath), and checks that its fingerprints (every
# position and energy bit of a fixed sampling run; every trained parameter and
# walker bit of a fixed PCD training run; every state bit of a sampler resumed
# from a checkpoint the host wrote, firmware/checkpoint.bin) equal the host's.
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
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi

host=$(cargo run -q --release --example firmware_reference)
echo "$host" | sed 's/^/x86_64: /'
# The firmware twice: default math (libm) and `--features micromath`. The
# reference runs use tanh, which micromath does not change: same bits.
# Then its Cortex-M0 build (thumbv6m, no FPU: soft-float) on mps2-an385.
for run in "thumbv7em-none-eabihf" "thumbv7em-none-eabihf --features micromath" "thumbv6m-none-eabi"; do
    read -r target features <<<"$run"
    echo "== firmware $target ${features:-(default math)}"
    out=$(mktemp)
    MCU_TARGET=$target bash scripts/mcu-insn.sh release $features | tee "$out"
    grep -q "firmware: all checks passed" "$out" || { echo "firmware checks failed" >&2; exit 1; }
    for key in fingerprint training checkpoint; do
        mcu=$(grep "^$key " "$out" || true)
        ref=$(echo "$host" | grep "^$key " || true)
        echo "$key: $target [$mcu] x86_64 [$ref]"
        [ -n "$mcu" ] && [ "$mcu" = "$ref" ] || { echo "MCU and host bits differ ($key)" >&2; exit 1; }
    done
done
