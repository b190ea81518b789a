#!/usr/bin/env bash
# tinyebm, BlackJAX and PyTorch interleaved (A B C A B C ...) on one core, so
# that drift on a shared machine falls on every framework alike; the CPU
# model and flags go with every result. See README.md ("Interleaved runs").
# usage: benches/peers/interleave.sh [ROUNDS]        (default 3)
# env:   PEERS_CPU (core for taskset, default 1), TINYEBM_NATIVE=1 (also time
#        a -C target-cpu=native build, built into target/native), PYTHON.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS="${1:-3}"
CPU="${PEERS_CPU:-1}"
OUT="$ROOT/target/peers"
LOG="$OUT/interleaved.jsonl"
mkdir -p "$OUT"
cd "$ROOT"

# The venv and its packages, as run.sh makes them (run.sh with no peer
# installs only when requirements.txt changed).
[ -x target/peers-venv/bin/python ] || bash "$HERE/run.sh" blackjax > /dev/null
PY="$ROOT/target/peers-venv/bin/python"

bench_bin() {  # the speed bench binary of a build ($1: extra RUSTFLAGS, $2: target dir)
    RUSTFLAGS="$1" CARGO_TARGET_DIR="$2" cargo bench -q --bench speed --no-run \
        --message-format=json 2>/dev/null \
        | "$PY" -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="speed" and m.get("executable"): print(m["executable"])' \
        | tail -n 1
}
builds=("default:$(bench_bin "" target)")
[ "${TINYEBM_NATIVE:-0}" = 1 ] && builds+=("native:$(bench_bin "-C target-cpu=native" target/native)")

export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export JAX_PLATFORMS=cpu OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
cpu_flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'sse2|avx|avx2|fma|avx512f|avx512vl' | tr '\n' ' ' | sed 's/ $//')"

record() {  # $1 run name, $2 round, $3 JSON line of results
    printf '{"run": "%s", "round": %s, "utc": "%s", "load": "%s", "cpu": "%s", "cpu_flags": "%s", "result": %s}\n' \
        "$1" "$2" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$cpu_model" "$cpu_flags" "$3" >> "$LOG"
}

for r in $(seq "$ROUNDS"); do
    for b in "${builds[@]}"; do
        name="${b%%:*}"; bin="${b#*:}"
        echo "== round $r: tinyebm $name (taskset -c $CPU)" >&2
        (cd "$ROOT" && taskset -c "$CPU" "$bin" --only > "$OUT/tinyebm-$name.out")
        record "tinyebm-$name" "$r" "$(tail -n 1 target/peers/tinyebm.json)"
    done
    for peer in blackjax pytorch; do
        script=bench_blackjax.py; [ "$peer" = pytorch ] && script=bench_torch.py
        echo "== round $r: $peer (taskset -c $CPU)" >&2
        (cd "$HERE" && taskset -c "$CPU" "$PY" "$script" > "$OUT/$peer.out" 2> "$OUT/$peer.log")
        record "$peer" "$r" "$(tail -n 1 "$OUT/$peer.out")"
    done
done
"$PY" "$HERE/compare.py" --interleaved "$LOG"
