#!/usr/bin/env bash
# CI for the targets beyond the Cortex-M4F/M0 (scripts/ci-mcu.sh,
# scripts/ci-ffi.sh): a 32-bit RISC-V without FPU (riscv32imac, the ESP32-C3
# class: soft-float) and a Cortex-M33 (thumbv8m.main-none-eabihf). Same seed,
# same bits: every comparison is against x86_64 and exits non-zero on a
# mismatch.
#   1. builds: the core and the C archive (libtinyebm.a, bare metal) for both
#      targets; the archives hold no std/alloc/unwinding symbols;
#   2. Rust: the firmware's reference workload (firmware/src/workload.rs) on
#      RISC-V (firmware-riscv/, qemu-system-riscv32 -M virt, F/D off) and on
#      the Cortex-M33 (firmware/, qemu-system-arm -M mps2-an505) prints the
#      `fingerprint` and `training` lines of
#      `cargo run --release --example firmware_reference`; instructions per
#      MALA/ULA step, evaluation and PCD update (QEMU plugin tools/qemu-insn);
#   3. C: tests/c (bits.c and the status/edge/statistics tests) and
#      c_examples/train_mcu.c built with riscv64-unknown-elf-gcc (rv32imac,
#      picolibc semihosting) and with arm-none-eabi-gcc for the M33 (newlib
#      rdimon), run under QEMU; bits.c and train_mcu.c print the host's bytes.
#
# Installs nothing. Needs (Debian bookworm):
#   apt:    qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
#           (riscv) qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi
#           (M33, as for ci-ffi.sh), gcc, python3
#   rustup: riscv32imac-unknown-none-elf thumbv8m.main-none-eabihf
# Usage: scripts/ci-targets.sh   (~70 s warm on 2 cores, ~110 s with the C programs
# to compile; most of it is soft-float C tests under qemu-system-riscv32)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
steps ci-targets
out=target/ci-targets
mkdir -p "$out"
RV=riscv32imac-unknown-none-elf
M33=thumbv8m.main-none-eabihf

step "tools"
missing=""
for tool in qemu-system-riscv32 qemu-system-arm riscv64-unknown-elf-gcc arm-none-eabi-gcc gcc python3; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] || missing="$missing picolibc(riscv64-unknown-elf)"
installed=$(rustup target list --installed 2>/dev/null || true)
for t in $RV $M33; do
    grep -qx "$t" <<<"$installed" || missing="$missing rustup:$t"
done
if [ -n "$missing" ]; then
    echo "missing:$missing" >&2
    echo "apt-get install qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf" \
        "qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi; rustup target add $RV $M33" >&2
    exit 1
fi

step "builds: core and C archive (no_std) for $RV and $M33"
for t in $RV $M33; do
    cargo build -q --release -p tinyebm --target "$t"
    cargo build -q --release -p tinyebm-ffi --target "$t" --no-default-features --features panic-handler
done
# readelf, not nm: LTO objects hide symbols from nm (embedded.md).
for t in $RV $M33; do
    lib=target/$t/release/libtinyebm.a
    bad=$(readelf -sW "$lib" 2>/dev/null \
        | grep -E '__rust_alloc|__rdl_|__rg_|rust_eh_personality|_Unwind_|_ZN3std|_ZN5alloc|std::|alloc::' || true)
    [ -z "$bad" ] || { echo "$lib holds std/alloc/unwinding symbols:" >&2; echo "$bad" | head >&2; exit 1; }
    echo "$lib: $(readelf -sW "$lib" | grep -c ' GLOBAL .* tebm_') tebm_* functions, no std/alloc/unwind symbols"
done

step "host reference (x86_64): cargo run --release --example firmware_reference"
host=$(cargo run -q --release --example firmware_reference)
echo "$host" | sed 's/^/x86_64: /'
# compare NAME OUTPUT_FILE: its fingerprint and training lines equal the host's.
compare() {
    grep -q "firmware: all checks passed" "$2" || { cat "$2"; echo "$1: firmware checks failed" >&2; exit 1; }
    for key in fingerprint training checkpoint; do
        mcu=$(grep "^$key " "$2" || true)
        ref=$(grep "^$key " <<<"$host" || true)
        echo "$key: $1 [$mcu] x86_64 [$ref]"
        [ -n "$mcu" ] && [ "$mcu" = "$ref" ] || { echo "$1 and host bits differ ($key)" >&2; exit 1; }
    done
}

step "Rust firmware on RISC-V rv32imac (qemu-system-riscv32 -M virt, no FPU)"
plugin=$(insn_plugin)
(cd firmware-riscv && cargo build -q --release)
elf=firmware-riscv/target/$RV/release/tinyebm-firmware-riscv
rvout=$out/firmware-riscv.out; rvlog=$out/firmware-riscv.insn
# The runner of firmware-riscv/.cargo/config.toml, with the counting plugin.
timeout 300 qemu-system-riscv32 -M virt -cpu rv32,f=false,d=false -m 64M -bios none -nographic \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -plugin "$plugin,mark=$(bench_mark "$elf")" -d plugin -D "$rvlog" \
    -kernel "$elf" </dev/null >"$rvout" || { cat "$rvout"; echo "RISC-V firmware failed" >&2; exit 1; }
insn_table "$rvout" "$rvlog" "window (riscv32imac)"
compare "$RV" "$rvout"

step "Rust firmware on the Cortex-M33 (qemu-system-arm -M mps2-an505)"
MCU_TARGET=$M33 bash scripts/mcu-insn.sh release | tee "$out/firmware-m33.out"
compare "$M33" "$out/firmware-m33.out"

step "C programs: host outputs (gcc)"
make -s -C tests/c build/plain/bits
make -s -C c_examples build/plain/train_mcu
tests/c/build/plain/bits > "$out/bits-host.txt"
c_examples/build/plain/train_mcu > "$out/train_mcu-host.txt"

step "C programs on RISC-V rv32imac (riscv64-unknown-elf-gcc, picolibc; QEMU virt)"
# tests/c: every C test; c_examples: train_mcu only (soft-float is slow under
# QEMU: mlp_sample takes minutes there).
make -s -C tests/c embedded-rv32 run-qemu-rv32
make -s -C c_examples embedded-rv32 run-qemu-rv32 RV32_PROGS=train_mcu
diff -u "$out/bits-host.txt" tests/c/build/rv32/bits.elf.out
echo "bits.c on riscv32imac: identical to the host ($(wc -l < "$out/bits-host.txt") lines)"
diff -u "$out/train_mcu-host.txt" c_examples/build/rv32/train_mcu.elf.out
echo "train_mcu.c on riscv32imac: identical to the host ($(wc -l < "$out/train_mcu-host.txt") lines)"

step "C programs on the Cortex-M33 (arm-none-eabi-gcc, newlib rdimon; mps2-an505)"
make -s -C tests/c embedded-m33 run-qemu-m33
make -s -C c_examples embedded-m33 run-qemu-m33 M33_PROGS=train_mcu
diff -u "$out/bits-host.txt" tests/c/build/m33/bits.elf.out
echo "bits.c on the Cortex-M33: identical to the host"
diff -u "$out/train_mcu-host.txt" c_examples/build/m33/train_mcu.elf.out
echo "train_mcu.c on the Cortex-M33: identical to the host"

step "ci-targets passed in $(elapsed) s"
