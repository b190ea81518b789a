"""Compare tinyebm's benchmark JSON against the peer JSONs.

usage: compare.py TINYEBM_JSON [PEER_JSON ...] [--strict]
       compare.py --interleaved target/peers/interleaved.jsonl

Peer JSONs default to blackjax.json and pytorch.json beside TINYEBM_JSON.
Each file's last non-empty line must be one JSON object with the keys below.
--strict exits 1 if a target is missed (or a needed number is absent).
--interleaved reads the rounds written by interleave.sh and prints, per
workload, each run's median over the rounds, the ratios of the medians and
the range of the per-round ratios, and the targets of issue 20.

"""
import json
import os
import sys

METRICS = [
    ("mala_1chain_steps_per_s", "MALA 1 chain (steps/s)"),
    ("mala_64_chain_steps_per_s", "MALA 64 walkers (chain-steps/s)"),
    ("ula_64_chain_steps_per_s", "ULA 64 walkers (chain-steps/s)"),
    ("pcd_updates_per_s", "PCD K=10 + Adam (updates/s)"),
]
# metric -> (peer framework, minimum tinyebm/peer ratio)
TARGETS = {
    "mala_1chain_steps_per_s": ("blackjax", 10.0),
    "mala_64_chain_steps_per_s": ("blackjax", 3.0),
    "pcd_updates_per_s": ("pytorch", 50.0),
}


def load(path):
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    return json.loads(lines[-1])


def fmt(v):
    return f"{v:,.0f}" if v is not None else "-"


def interleaved(path):
    """Medians over the rounds of interleave.sh, ratios and the targets."""
    import statistics

    rows = [json.loads(line) for line in open(path) if line.strip()]
    runs = {}
    for r in rows:
        runs.setdefault(r["run"], {})[r["round"]] = r["result"]
    cpus = sorted({(r["cpu"], r["cpu_flags"]) for r in rows})
    for model, flags in cpus:
        print(f"CPU: {model} [{flags}]")
    print(f"rounds: {len(next(iter(runs.values())))}, {rows[0]['utc']} .. {rows[-1]['utc']}, "
          f"load {rows[0]['load']} .. {rows[-1]['load']}\n")

    def med(run, key):
        vs = [res[key] for res in runs.get(run, {}).values() if res.get(key)]
        return statistics.median(vs) if vs else None

    def paired(a, b, key):
        ra, rb = runs.get(a, {}), runs.get(b, {})
        return [ra[k][key] / rb[k][key] for k in ra if k in rb and rb[k].get(key)]

    names = list(runs)
    print(f"{'workload (median)':34}" + "".join(f"{n:>16}" for n in names))
    for key, label in METRICS:
        print(f"{label:34}" + "".join(f"{fmt(med(n, key)):>16}" for n in names))
    print()
    ours = [n for n in names if n.startswith("tinyebm")]
    checks = []
    for o in ours:
        for key, label in METRICS:
            for peer in ("blackjax", "pytorch"):
                if peer not in runs:
                    continue
                a, b = med(o, key), med(peer, key)
                pr = paired(o, peer, key)
                if not (a and b):
                    continue
                print(f"{o} / {peer:9} {label:34} {a / b:8.2f}x  (rounds {min(pr):.2f}-{max(pr):.2f})")
    print()
    if "tinyebm-default" in runs:
        for key, label in METRICS:
            bj = med("blackjax", key)
            ours_v = med("tinyebm-default", key)
            if bj and ours_v:
                need = 10.0 if key == "mala_1chain_steps_per_s" else 1.5
                checks.append((f"default >= {need:g}x BlackJAX: {label}", ours_v / bj, need))
        pt, ours_v = med("pytorch", "pcd_updates_per_s"), med("tinyebm-default", "pcd_updates_per_s")
        if pt and ours_v:
            checks.append(("default >= 50x PyTorch: PCD", ours_v / pt, 50.0))
        if "tinyebm-native" in runs:
            for key, label in METRICS:
                n, d = med("tinyebm-native", key), med("tinyebm-default", key)
                if n and d:
                    checks.append((f"default within 15% of native: {label}", d / n, 0.85))
    for what, v, need in checks:
        print(f"{what:62} {v:8.2f}  {'MET' if v >= need else 'MISSED'}")


def main(argv):
    if "--interleaved" in argv:
        return interleaved(argv[argv.index("--interleaved") + 1])
    strict = "--strict" in argv
    args = [a for a in argv if a != "--strict"]
    if not args:
        sys.exit(__doc__)
    ours = load(args[0])
    peer_paths = args[1:] or [
        os.path.join(os.path.dirname(os.path.abspath(args[0])), f"{n}.json")
        for n in ("blackjax", "pytorch")
    ]
    peers = [load(p) for p in peer_paths if os.path.exists(p)]

    names = [ours["framework"]] + [p["framework"] for p in peers]
    versions = ", ".join(f"{d['framework']} {d.get('version', '?')}" for d in [ours] + peers)
    print(f"versions: {versions}\n")
    header = f"{'workload':34}" + "".join(f"{n:>14}" for n in names)
    header += "".join(f"{'x ' + p['framework']:>14}" for p in peers) + "   target"
    print(header)
    print("-" * len(header))

    missed = False
    for key, label in METRICS:
        ours_v = ours.get(key)
        row = f"{label:34}" + f"{fmt(ours_v):>14}"
        row += "".join(f"{fmt(p.get(key)):>14}" for p in peers)
        ratios = {}
        for p in peers:
            v = p.get(key)
            r = ours_v / v if ours_v and v else None
            ratios[p["framework"]] = r
            row += f"{(f'{r:.2f}x' if r is not None else '-'):>14}"
        if key in TARGETS:
            peer, need = TARGETS[key]
            r = ratios.get(peer)
            ok = r is not None and r >= need
            missed |= not ok
            status = "MET" if ok else ("MISSED" if r is not None else "no data")
            row += f"   >= {need:g}x {peer}: {status}"
        print(row)
    if strict and missed:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
