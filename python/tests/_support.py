"""Shared helpers of the tests: the package on sys.path, the Rust tool, and
the table of the largest errors seen (printed at the end of a run)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYROOT = HERE.parent
REPO = PYROOT.parent
if str(PYROOT) not in sys.path:
    sys.path.insert(0, str(PYROOT))

import numpy as np  # noqa: E402

import tinyebm_weights as tw  # noqa: E402

#: Where `cargo build --release --features std --example weights_tool` puts it.
TOOL = Path(os.environ.get(
    "TINYEBM_WEIGHTS_TOOL", REPO / "target" / "release" / "examples" / "weights_tool"))
#: Set (by scripts/ci-python.sh) to fail instead of skipping without the tool.
REQUIRE_RUST = os.environ.get("TINYEBM_REQUIRE_RUST") == "1"

#: The capacities `examples/weights_tool.rs` loads into (its CAP_* constants),
#: so that Python refuses an oversized file with the same error as Rust.
TOOL_CAPACITY = {
    tw.ModelKind.GAUSSIAN: (32,),
    tw.ModelKind.POLYNOMIAL: (6, tw.num_monomials(6, 8)),
    tw.ModelKind.MIXTURE: (16, 32),
    tw.ModelKind.MLP: (32, 128),
    tw.ModelKind.DEEP_MLP: (32, 64, 7),
}

#: Largest error seen per (check, activation): filled by the tests.
MAX_ERRORS: dict = {}


def record(name: str, value: float) -> None:
    MAX_ERRORS[name] = max(MAX_ERRORS.get(name, 0.0), float(value))


#: How many cases a check covered.
COUNTS: dict = {}


def count(name: str, n: int) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + int(n)


def report() -> str:
    lines = []
    if MAX_ERRORS:
        lines.append(
            "largest errors seen: scaled = |Δ| / error_scale (asserted ≤ 1e-5); "
            "plain = |Δ| / |exact| where |exact| ≥ 0.1·error_scale (asserted ≤ 1e-5); "
            "plain-all = |Δ| / |exact| anywhere (information: large where U or a "
            "component of ∇U nearly cancels)")
        for k in sorted(MAX_ERRORS):
            lines.append(f"  {k:44s} {MAX_ERRORS[k]:.3e}")
    for k in sorted(COUNTS):
        lines.append(f"  {k:44s} {COUNTS[k]}")
    return "\n".join(lines)


def need_tool(test: unittest.TestCase) -> None:
    if not TOOL.exists():
        msg = (f"{TOOL} not built (cargo build --release --features std "
               f"--example weights_tool)")
        if REQUIRE_RUST:
            test.fail(msg)
        test.skipTest(msg)


def run_tool(*args, check=True) -> subprocess.CompletedProcess:
    p = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"weights_tool {' '.join(map(str, args))} failed:\n"
                             f"{p.stdout}{p.stderr}")
    return p


def write_points(path, x: np.ndarray) -> None:
    """Points as f32 bit patterns, one per line."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    with open(path, "w") as f:
        for row in x.view(np.uint32):
            f.write(" ".join(f"0x{v:08x}" for v in row) + "\n")


def rust_eval(model_path, x: np.ndarray) -> np.ndarray:
    """Rust's (U, ∇U) at the rows of `x`: an (n, 1 + d) float32 array."""
    with tempfile.TemporaryDirectory() as tmp:
        pts = Path(tmp) / "points.txt"
        write_points(pts, x)
        out = run_tool("eval", model_path, pts).stdout
    bits = [[int(t, 16) for t in line.split()] for line in out.splitlines()]
    return np.array(bits, dtype=np.uint32).reshape(len(x), -1).view(np.float32)


def rust_check(paths) -> list:
    """Rust's verdict per file: ("ok", "Mlp d=3 params=…") or ("error", variant)."""
    out = run_tool("check", *paths, check=False).stdout.splitlines()
    if len(out) != len(paths):
        raise AssertionError(f"weights_tool check: {len(out)} lines for {len(paths)} files")
    verdicts = []
    for line in out:
        word, _, rest = line.partition(" ")
        if word == "ok":
            verdicts.append(("ok", rest))
        elif word == "error":
            verdicts.append(("error", rest.split(":")[0]))
        else:
            raise AssertionError(f"weights_tool check: unexpected line {line!r}")
    return verdicts


def py_verdict(data: bytes, capacity=TOOL_CAPACITY):
    """Python's verdict, in the form of :func:`rust_check`."""
    try:
        m = tw.loads(data, capacity=capacity)
    except tw.WeightFormatError as e:
        return ("error", e.rust_variant)
    name = {tw.ModelKind.GAUSSIAN: "Gaussian", tw.ModelKind.POLYNOMIAL: "Polynomial",
            tw.ModelKind.MIXTURE: "Mixture", tw.ModelKind.MLP: "Mlp",
            tw.ModelKind.DEEP_MLP: "DeepMlp"}[m.kind]
    return ("ok", f"{name} d={m.d} params={m.num_params}")


def random_model(kind, rng: np.random.Generator):
    """A valid random model of `kind` (sizes within TOOL_CAPACITY)."""
    if kind == "gaussian_diag":
        d = int(rng.integers(1, 9))
        return tw.Gaussian(rng.normal(size=d), rng.uniform(0.1, 3.0, size=d))
    if kind == "gaussian_full":
        d = int(rng.integers(1, 9))
        a = rng.normal(size=(d, d))
        p = (a @ a.T + d * np.eye(d)).astype(np.float32)
        p = np.tril(p) + np.tril(p, -1).T  # exactly symmetric in float32
        return tw.Gaussian(rng.normal(size=d), p)
    if kind == "polynomial":
        d = int(rng.integers(1, 5))
        degree = int(rng.integers(0, tw.MAX_DEGREE + 1)) if d <= 2 else int(rng.integers(0, 5))
        return tw.Polynomial(d, degree, rng.normal(size=tw.num_monomials(d, degree)))
    if kind == "mixture":
        k, d = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        return tw.Mixture(rng.normal(size=k), rng.normal(size=(k, d)) * 3,
                          rng.uniform(0.2, 2.0, size=(k, d)))
    if kind.startswith("deep_mlp"):
        return random_deep_mlp(rng, kind.split("_")[2])
    if kind.startswith("mlp"):
        act = kind.split("_")[1] if "_" in kind else "tanh"
        d, h = int(rng.integers(1, 9)), int(rng.integers(1, 33))
        return tw.Mlp.random(d, h, act, alpha=float(rng.uniform(0.05, 2.0)),
                             seed=int(rng.integers(1 << 31)), scale=float(rng.uniform(0.5, 2.0)))
    raise ValueError(kind)


def random_deep_mlp(rng: np.random.Generator, act: str, scale=None) -> "tw.DeepMlp":
    """A valid random DeepMlp: 1 to MAX_LAYERS hidden layers of widths 1 to
    24, d 1 to 8 (within TOOL_CAPACITY)."""
    d, n = int(rng.integers(1, 9)), int(rng.integers(1, tw.MAX_LAYERS + 1))
    widths = [int(h) for h in rng.integers(1, 25, size=n)]
    if scale is None:
        scale = float(rng.uniform(0.5, 2.0))
    return tw.DeepMlp.random(d, widths, act, alpha=float(rng.uniform(0.05, 2.0)),
                             seed=int(rng.integers(1 << 31)), scale=scale)


KINDS = ("gaussian_diag", "gaussian_full", "polynomial", "mixture",
         "mlp_tanh", "mlp_silu", "mlp_softplus",
         "deep_mlp_tanh", "deep_mlp_silu", "deep_mlp_softplus")
ACTIVATIONS = ("tanh", "silu", "softplus")
