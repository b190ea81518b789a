#!/usr/bin/env bash
# What tinyebm adds to a Cortex-M4F firmware image: flash (.text + .rodata)
# and RAM (.data + .bss + peak stack, measured by stack painting under QEMU),
# for the speed profile (opt-level 2) and the size profile (opt-level "s").
# Each figure is (image with tinyebm) − (the same image without it).
# Images: footprint_sampler (MLP 2→16→16→1, 16 MALA walkers) and
# footprint_trainer (the same sampler as the negative phase of a PCD trainer
# with Adam). The trainer's peak stack is that of training; it also prints the
# stack its one-off construction by value needs ("construct").
# footprint_nuts is footprint_sampler plus 1000 NUTS steps of its walkers, each
# phase out of line and painted anew; the row "nuts − sampler" is what NUTS
# adds to a MALA image in flash and RAM, and its stack column the NUTS phase's
# own peak (its "nuts-phase" figure, less the baseline's, as every row).
# Usage: scripts/mcu-footprint.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/firmware"
run() { timeout 120 qemu-system-arm -M mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel "$1" </dev/null; }
sizes() { arm-none-eabi-size -A "$1" | awk '
    /^\.(text|rodata)/ {flash += $2} /^\.(data|bss)/ {ram += $2}
    END {print flash, ram}'; }
printf '%-14s %-18s %10s %10s %12s\n' profile image "flash (B)" "static RAM" "peak stack"
for profile in release release-size; do
    cargo build -q --profile "$profile" --bins
    dir=target/thumbv7em-none-eabihf/$profile
    read -r f0 r0 < <(sizes "$dir/footprint_baseline")
    s0=$(run "$dir/footprint_baseline" | awk '/stack/{print $NF}')
    for image in sampler nuts trainer; do
        read -r f r < <(sizes "$dir/footprint_$image")
        out=$(run "$dir/footprint_$image") || { echo "$out"; exit 1; }
        s=$(echo "$out" | awk '/stack/{print $NF}')
        printf '%-14s %-18s %10d %10d %12d\n' "$profile" "$image" $((f - f0)) $((r - r0)) $((s - s0))
        case $image in
            sampler) fs=$f rs=$r ;;
            nuts) sn=$(echo "$out" | awk '/stack/{for (i = 1; i < NF; i++) if ($i == "nuts-phase") print $(i + 1)}')
                  printf '%-14s %-18s %10d %10d %12d\n' "$profile" "nuts − sampler" $((f - fs)) $((r - rs)) $((sn - s0)) ;;
        esac
    done
done
