"""Shared reference model, data set and timing loop for the peer benchmarks.

Weights and data are made with NumPy so that JAX and PyTorch run on exactly
the same numbers (and so that neither framework's RNG decides the model).
"""
import os
import sys
import time

import numpy as np

DIM, HIDDEN = 2, 32
ALPHA = 0.5  # U(x) = MLP(x) + 0.5 * ALPHA * |x|^2; beta = 1
STEP = 0.05  # h for MALA and ULA
WALKERS = 64
PCD_K = 10
PCD_BATCH = 64
LR = 1e-3
MIN_SECONDS = 2.0  # per timing window
WINDOWS = int(os.environ.get("PEERS_WINDOWS", "3"))
PROBE = np.array([0.3, -0.7], dtype=np.float32)  # energy printed by both scripts


def init_params(seed=0):
    """MLP 2-32-32-1, W ~ N(0, 1/fan_in), zero biases. W is (fan_in, fan_out)."""
    rng = np.random.default_rng(seed)
    sizes = [DIM, HIDDEN, HIDDEN, 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)).astype(np.float32)
        params.append((w, np.zeros(fan_out, dtype=np.float32)))
    return params


def ring_data(n=4096, radius=2.0, sd=0.1, seed=1):
    """8 Gaussians on a ring of the given radius."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * rng.integers(0, 8, n) / 8
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centers + sd * rng.normal(size=(n, 2))).astype(np.float32)


def init_walkers(n, seed=2):
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


def timed(run_chunk, steps_per_chunk, min_seconds=MIN_SECONDS, windows=WINDOWS):
    """Call run_chunk() (already warmed up, must block until done) until
    min_seconds have passed, `windows` times; return the best steps/s.

    Best rather than mean: on a shared machine other load only ever slows a
    window down, and the best window flatters the peer, not tinyebm."""
    rates = []
    for _ in range(windows):
        n, t0 = 0, time.perf_counter()
        while True:
            run_chunk()
            n += steps_per_chunk
            elapsed = time.perf_counter() - t0
            if elapsed >= min_seconds:
                rates.append(n / elapsed)
                break
    if windows > 1:
        shown = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"  timing windows (steps/s, all walkers together): {shown}", file=sys.stderr)
    return max(rates)
