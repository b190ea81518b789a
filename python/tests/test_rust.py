"""Python against the Rust implementation, through examples/weights_tool.rs:
Rust-written files round-trip byte for byte through Python, Python-written
files load in Rust (and Rust writes them back identically), the MLP's U and
∇ₓU agree, and damaged files are refused by both for the same reason."""

from __future__ import annotations

import struct
import tempfile
import unittest
import zlib
from pathlib import Path

from _support import (
    ACTIVATIONS, KINDS, TOOL_CAPACITY, count, need_tool, py_verdict, random_model, record,
    run_tool, rust_check, rust_eval, tw,
)

import numpy as np

from tinyebm_weights.mlp import error_scale

#: |Rust − exact| ≤ TOL · error_scale, for U and every component of ∇U.
TOL = 1e-5

SAMPLE_KINDS = {
    "gaussian_diag": tw.ModelKind.GAUSSIAN, "gaussian_full": tw.ModelKind.GAUSSIAN,
    "polynomial": tw.ModelKind.POLYNOMIAL, "mixture": tw.ModelKind.MIXTURE,
    "mlp_tanh": tw.ModelKind.MLP, "mlp_silu": tw.ModelKind.MLP,
    "mlp_softplus": tw.ModelKind.MLP,
}


def compare_mlp(test, m: tw.Mlp, path, x: np.ndarray, label: str) -> None:
    """Rust's U, ∇U at `x` against NumPy's float64 ones, within TOL of the
    error scale; records the largest scaled and plain relative errors."""
    r = rust_eval(path, x).astype(np.float64)
    u, g = m.energy_grad(x)
    su, sg = error_scale(m, x)
    du, dg = np.abs(r[:, 0] - u), np.abs(r[:, 1:] - g)
    act = m.activation.label
    record(f"numpy vs rust {act}: U scaled", (du / su).max())
    record(f"numpy vs rust {act}: grad scaled", (dg / sg).max())
    with np.errstate(divide="ignore", invalid="ignore"):
        ru, rg = du / np.abs(u), dg / np.abs(g)
    record(f"numpy vs rust {act}: U plain-all", np.nanmax(ru))
    record(f"numpy vs rust {act}: grad plain-all", np.nanmax(np.where(g != 0, rg, 0)))
    well_u, well_g = np.abs(u) >= 0.1 * su, np.abs(g) >= 0.1 * sg
    record(f"numpy vs rust {act}: U plain", ru[well_u].max(initial=0))
    record(f"numpy vs rust {act}: grad plain", rg[well_g].max(initial=0))
    count(f"points compared, {act}", len(x))
    count(f"well-conditioned U values, {act}", well_u.sum())
    count(f"well-conditioned ∇U components, {act}", well_g.sum())
    test.assertLessEqual(ru[well_u].max(initial=0), TOL, f"{label}: U plain relative error")
    test.assertLessEqual(rg[well_g].max(initial=0), TOL, f"{label}: ∇U plain relative error")
    bad_u = np.flatnonzero(du > TOL * su)
    test.assertEqual(bad_u.size, 0, f"{label}: U differs at {x[bad_u[:3]]}: "
                                    f"rust {r[bad_u[:3], 0]}, numpy {u[bad_u[:3]]}")
    bad_g = np.argwhere(dg > TOL * sg)
    test.assertEqual(len(bad_g), 0, f"{label}: ∇U differs at {bad_g[:3]}")


class RustFiles(unittest.TestCase):
    """Files written by Rust (`weights_tool samples`)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        need_tool(self)
        if not list(self.dir.glob("*.tebm")):
            names = run_tool("samples", self.dir).stdout.split()
            self.assertEqual(sorted(names), sorted(f"{k}.tebm" for k in SAMPLE_KINDS))

    def test_rust_files_round_trip_byte_for_byte(self):
        for name, kind in SAMPLE_KINDS.items():
            with self.subTest(name):
                data = (self.dir / f"{name}.tebm").read_bytes()
                m = tw.loads(data, kind=kind, capacity=TOOL_CAPACITY)
                self.assertEqual(m.kind, kind)
                self.assertEqual(m.to_bytes(), data)
                self.assertEqual(tw.loads(m.to_bytes()), m)
                if name == "gaussian_diag":
                    self.assertTrue(m.diagonal)
                if name == "gaussian_full":
                    self.assertFalse(m.diagonal)
                if kind == tw.ModelKind.MLP:
                    self.assertEqual(m.activation.label, name.split("_")[1])

    def test_rust_mlps_energy(self):
        rng = np.random.default_rng(7)
        for act in ACTIVATIONS:
            path = self.dir / f"mlp_{act}.tebm"
            m = tw.load(path)
            x = (rng.normal(size=(300, m.d)) * 1.5).astype(np.float32)
            compare_mlp(self, m, path, x, f"Rust sample mlp_{act}")

    def test_damaged_rust_files_refused_alike(self):
        """Every byte flipped, every truncation, a trailing byte: Python and
        Rust refuse each with the same error variant."""
        files, datas = [], []
        out = self.dir / "damaged"
        out.mkdir(exist_ok=True)
        for name in SAMPLE_KINDS:
            data = (self.dir / f"{name}.tebm").read_bytes()
            variants = []
            for i in range(len(data)):
                b = bytearray(data)
                b[i] ^= 0xFF
                variants.append(bytes(b))
            variants += [data[:n] for n in range(len(data))]
            variants.append(data + b"\0")
            for j, v in enumerate(variants):
                p = out / f"{name}.{j}.tebm"
                p.write_bytes(v)
                files.append(p)
                datas.append(v)
        rust = rust_check(files)
        for p, data, rv in zip(files, datas, rust):
            pv = py_verdict(data)
            self.assertEqual(pv[0], "error", f"{p.name}: Python loaded a damaged file")
            self.assertEqual(pv, rv, f"{p.name}: Python {pv}, Rust {rv}")
        count("damaged Rust files refused alike", len(files))


def fix_crc(b: bytearray) -> bytes:
    b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
    return bytes(b)


class PythonFiles(unittest.TestCase):
    """Files written by Python, loaded (and written back) by Rust."""

    def setUp(self):
        need_tool(self)
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_python_files_load_in_rust_and_reencode_identically(self):
        rng = np.random.default_rng(8)
        paths, models = [], []
        for kind in KINDS:
            for j in range(8):
                m = random_model(kind, rng)
                p = self.dir / f"{kind}.{j}.tebm"
                m.save(p)
                paths.append(p)
                models.append(m)
        verdicts = rust_check(paths)
        for p, m, v in zip(paths, models, verdicts):
            self.assertEqual(v, py_verdict(p.read_bytes()), p.name)
            self.assertEqual(v[0], "ok", f"{p.name}: Rust refused it: {v}")
            back = self.dir / (p.name + ".rust")
            run_tool("reencode", p, back)
            self.assertEqual(back.read_bytes(), p.read_bytes(), f"{p.name}: Rust wrote other bytes")
        count("Python-written files loaded and rewritten by Rust", len(paths))

    def test_mlp_energy_matches_rust(self):
        rng = np.random.default_rng(9)
        for act in ACTIVATIONS:
            for j in range(12):
                d, h = int(rng.integers(1, 9)), int(rng.integers(1, 33))
                m = tw.Mlp.random(d, h, act, alpha=float(rng.uniform(0.05, 2.0)),
                                  seed=int(rng.integers(1 << 31)),
                                  scale=float(rng.choice([0.5, 1.0, 2.0, 3.0])))
                p = self.dir / f"{act}.{j}.tebm"
                m.save(p)
                x = (rng.normal(size=(150, d)) * rng.choice([0.5, 1.5, 4.0])).astype(np.float32)
                compare_mlp(self, m, p, x, f"{act} d={d} h={h}")

    def test_bad_values_refused_alike(self):
        """Files whose CRC holds but whose fields or values are wrong."""
        cases = {}
        mlp = tw.Mlp.random(2, 3, "tanh", alpha=0.75, seed=5).to_bytes()
        for name, at, fmt, v in [
            ("version", 4, "<H", 2), ("kind", 6, "<H", 7), ("d0", 8, "<I", 0),
            ("h_cap", 12, "<I", 129), ("d_cap", 8, "<I", 33), ("act", 16, "<I", 3),
            ("alpha0", 20, "<f", 0.0), ("alpha_nan", 20, "<f", float("nan")),
            ("count", 24, "<I", 5), ("w_inf", 28, "<f", float("inf")),
            ("b3_nan", len(mlp) - 8, "<f", float("nan")),
        ]:
            b = bytearray(mlp)
            struct.pack_into(fmt, b, at, v)
            cases[f"mlp_{name}"] = fix_crc(b)
        g = tw.Gaussian([0, 0], [[2, 1], [1, 2]]).to_bytes()
        for name, at, fmt, v in [("flag", 12, "<I", 2), ("not_pd", 32, "<f", 3.0),
                                 ("mean_nan", 20, "<f", float("nan")), ("d_cap", 8, "<I", 40)]:
            b = bytearray(g)
            struct.pack_into(fmt, b, at, v)
            cases[f"gaussian_{name}"] = fix_crc(b)
        p = tw.Polynomial(2, 2, np.ones(6)).to_bytes()
        for name, at, fmt, v in [("degree", 12, "<I", 9), ("d_cap", 8, "<I", 7),
                                 ("m_cap", 12, "<I", 8), ("coef_inf", 24, "<f", float("-inf"))]:
            b = bytearray(p)
            struct.pack_into(fmt, b, at, v)
            cases[f"poly_{name}"] = fix_crc(b)
        x = tw.Mixture([0, 0], [[0], [1]], [[1], [1]]).to_bytes()
        for name, at, fmt, v in [("sigma0", 16, "<f", 0.0), ("sigma_neg", 20, "<f", -1.0),
                                 ("logit_nan", 28, "<f", float("nan")), ("k_cap", 8, "<I", 17)]:
            b = bytearray(x)
            struct.pack_into(fmt, b, at, v)
            cases[f"mixture_{name}"] = fix_crc(b)
        paths = []
        for name, data in cases.items():
            path = self.dir / f"{name}.tebm"
            path.write_bytes(data)
            paths.append(path)
        for path, rv in zip(paths, rust_check(paths)):
            pv = py_verdict(path.read_bytes())
            self.assertEqual(pv[0], "error", f"{path.name}: Python loaded it")
            self.assertEqual(pv, rv, f"{path.name}: Python {pv}, Rust {rv}")
        count("bad fields/values with a valid CRC refused alike", len(paths))


if __name__ == "__main__":
    unittest.main()
