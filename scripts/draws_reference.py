#!/usr/bin/env python3
"""Reference values for tests/draws.rs: rank-normalised split-R-hat and
bulk/tail/mean ESS of deterministic draws, computed by ArviZ.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install arviz
    /tmp/venv/bin/python scripts/draws_reference.py

The draws come from a 64-bit LCG and f64 arithmetic that tests/draws.rs
repeats bit for bit (`case`), so the numbers printed here are what
`tinyebm::draws::rank_diagnostics` must reproduce.
"""
import numpy as np
import arviz as az
from arviz.stats.diagnostics import _rhat, _z_scale, _split_chains

M64 = (1 << 64) - 1


def case(chains, draws, phi, offsets, seed, quantum=0.0):
    state = seed
    out = np.zeros((chains, draws))
    for c in range(chains):
        x = 0.0
        for s in range(draws):
            state = (state * 6364136223846793005 + 1442695040888963407) & M64
            u = float(state >> 11) * 2.0 ** -53
            x = phi * x + (u - 0.5)
            v = x + offsets[c % len(offsets)]
            if quantum > 0.0:
                v = np.floor(v / quantum) * quantum
            out[c, s] = v
    return out


CASES = [
    ("mixing", dict(chains=4, draws=200, phi=0.9, offsets=[0.0], seed=1)),
    ("odd_offset", dict(chains=4, draws=101, phi=0.5, offsets=[0.0, 0.0, 0.0, 1.0], seed=2)),
    ("ties", dict(chains=3, draws=50, phi=0.3, offsets=[0.0], seed=3, quantum=0.5)),
    ("slow", dict(chains=2, draws=64, phi=0.99, offsets=[0.0], seed=4)),
]

print(f"# arviz {az.__version__}, numpy {np.__version__}")
for name, kw in CASES:
    a = case(**kw)
    split = _split_chains(a)
    rb = _rhat(_z_scale(split))
    rt = _rhat(_z_scale(np.abs(split - np.median(split))))
    vals = dict(
        rhat=float(az.rhat(a, method="rank")),
        rhat_bulk=float(rb),
        rhat_tail=float(rt),
        ess_bulk=float(az.ess(a, method="bulk")),
        ess_tail=float(az.ess(a, method="tail")),
        ess_mean=float(az.ess(a, method="mean")),
        mcse_mean=float(az.mcse(a, method="mean")),
    )
    print(name, " ".join(f"{k}={v!r}" for k, v in vals.items()))
