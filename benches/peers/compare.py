"""Compare tinyebm's benchmark JSON against the peer JSONs.

usage: compare.py TINYEBM_JSON [PEER_JSON ...] [--strict]

Peer JSONs default to blackjax.json and pytorch.json beside TINYEBM_JSON.
Each file's last non-empty line must be one JSON object with the keys below.
--strict exits 1 if a target is missed (or a needed number is absent).
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


def main(argv):
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
