#!/usr/bin/env bash
# Peer benchmarks (BlackJAX, PyTorch) on one core; see README.md.
# usage: benches/peers/run.sh [blackjax] [pytorch]      (default: both)
# env:   PEERS_CPU (core for taskset, default 0), PYTHON (default python3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/peers-venv"
OUT="$ROOT/target/peers"
CPU="${PEERS_CPU:-0}"
REQ="$HERE/requirements.txt"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
fi

# Reinstall only when requirements.txt changed since the last good install.
stamp="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$VENV/.peers-stamp" 2>/dev/null)" != "$stamp" ]; then
    torch_pin="$(grep -E '^torch==' "$REQ")"
    # The CPU-only wheel is ~200 MB; PyPI's Linux wheel pulls ~4 GB of CUDA libraries.
    if ! "$PY" -m pip install --timeout 20 --retries 1 \
            --index-url https://download.pytorch.org/whl/cpu "$torch_pin"; then
        echo "run.sh: CPU-only torch index unreachable, falling back to PyPI (large CUDA wheels)" >&2
        "$PY" -m pip install "$torch_pin"
    fi
    "$PY" -m pip install -r "$REQ"
    echo "$stamp" > "$VENV/.peers-stamp"
fi

mkdir -p "$OUT"
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(blackjax pytorch)

export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export JAX_PLATFORMS=cpu
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
export PYTHONDONTWRITEBYTECODE=1  # keep __pycache__ out of the source tree
cd "$HERE"
for peer in "${peers[@]}"; do
    case "$peer" in
        blackjax) script=bench_blackjax.py ;;
        pytorch) script=bench_torch.py ;;
        *) echo "run.sh: unknown peer '$peer'" >&2; exit 2 ;;
    esac
    echo "== $peer (taskset -c $CPU)" >&2
    taskset -c "$CPU" "$PY" "$script" > "$OUT/$peer.out" 2> "$OUT/$peer.log" \
        || { cat "$OUT/$peer.log" >&2; exit 1; }
    cat "$OUT/$peer.log" >&2
    tail -n 1 "$OUT/$peer.out" > "$OUT/$peer.json"
    cat "$OUT/$peer.json"
done

if [ -f "$OUT/tinyebm.json" ]; then
    "$PY" "$HERE/compare.py" "$OUT/tinyebm.json"
else
    echo "run.sh: no $OUT/tinyebm.json yet; skipping compare.py" >&2
fi
