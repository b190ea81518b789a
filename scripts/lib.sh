# Helpers shared by the CI scripts. Source it right after `set -euo pipefail`:
#   . "$(dirname "$0")/lib.sh"
# It sets `root` (the repository) and cds there.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# steps NAME: starts the clock; `step TEXT` then prints a heading with the
# seconds since, `elapsed` those seconds.
steps() { steps_name=$1; steps_start=$(date +%s); }
elapsed() { echo $(( $(date +%s) - steps_start )); }
step() { printf '\n==> [%s %3ds] %s\n' "$steps_name" "$(elapsed)" "$*"; }

# insn_plugin: builds the instruction-counting QEMU plugin (tools/qemu-insn,
# or $QEMU_INSN_SRC) when stale and prints the path of the .so.
insn_plugin() {
    local dir=$root/target/qemu-insn src=${QEMU_INSN_SRC:-$root/tools/qemu-insn/insn.c}
    mkdir -p "$dir"
    [ -f "$dir/libinsn.so" ] && [ "$dir/libinsn.so" -nt "$src" ] ||
        gcc -shared -fPIC -O2 -o "$dir/libinsn.so" "$src"
    echo "$dir/libinsn.so"
}

# bench_mark ELF: the address of the firmware's `bench_mark`, the plugin's mark.
bench_mark() { readelf -sW "$1" | awk '$8=="bench_mark"{print "0x"$2}'; }

# insn_table STDOUT LOG [TITLE]: the table of instructions per repetition of
# each window. The firmware names its windows in order on stdout
# (`window NAME REPS`); the plugin's log holds the counts between mark pairs
# (2k, 2k+1). Windows for which the firmware also prints `grads NAME COUNT`
# (gradients taken in the whole window) get gradients per repetition and
# instructions per gradient.
insn_table() {
    python3 - "$1" "$2" "${3:-window}" <<'PY'
import re, sys
names = [l.split()[1:3] for l in open(sys.argv[1]) if l.startswith("window ")]
deltas = {}
for l in open(sys.argv[2]):
    m = re.match(r"insns mark(\d+)-mark(\d+) (\d+)", l)
    if m:
        deltas[int(m.group(1))] = int(m.group(3))
# `grads NAME COUNT`: gradients (U and ∇ₓU) a window took in all, printed
# by windows of kernels whose gradient count varies (NUTS) or for comparison.
grads = {l.split()[1]: int(l.split()[2]) for l in open(sys.argv[1]) if l.startswith("grads ")}
head = f"{sys.argv[3]:<22} {'reps':>6} {'instructions/rep':>18}"
print(head + (f" {'grads/rep':>10} {'instr./grad':>12}" if grads else ""))
for k, (name, reps) in enumerate(names):
    line = f"{name:<22} {reps:>6} {deltas[2 * k] / int(reps):>18.1f}"
    if name in grads:
        line += f" {grads[name] / int(reps):>10.2f} {deltas[2 * k] / grads[name]:>12.1f}"
    print(line)
PY
}
