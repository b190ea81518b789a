"""Python against the Rust implementation, through examples/weights_tool.rs:
Rust-written files round-trip byte for byte through Python, Python-written
files load in Rust (and Rust writes them back identically), the MLP's and DeepMlp's U and
∇ₓU agree, and damaged files are refused by both for the same reason."""

from __future__ import annotations

import struct
import tempfile
import unittest
import zlib
from pathlib import Path

from _support import (
    ACTIVATIONS, KINDS, TOOL_CAPACITY, count, need_tool, py_verdict, random_deep_mlp,
    random_model, record, run_tool, rust_check, rust_eval, tw,
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
    "deep_mlp_1": tw.ModelKind.DEEP_MLP, "deep_mlp_3": tw.ModelKind.DEEP_MLP,
    "deep_mlp_4": tw.ModelKind.DEEP_MLP,
}


def compare_mlp(test, m, path, x: np.ndarray, label: str) -> None:
    """Rust's U, ∇U at `x` against NumPy's float64 ones (an Mlp or a
    DeepMlp), within TOL of the error scale; records the largest scaled and
    plain relative errors."""
    r = rust_eval(path, x).astype(np.float64)
    u, g = m.energy_grad(x)
    su, sg = error_scale(m, x)
    du, dg = np.abs(r[:, 0] - u), np.abs(r[:, 1:] - g)
    act = m.activation.label
    if m.kind == tw.ModelKind.DEEP_MLP:
        act = f"deep {act}"
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

    def test_rust_deep_mlps(self):
        """The DeepMlp samples: their sizes, and U, ∇U against NumPy."""
        rng = np.random.default_rng(17)
        expected = {"deep_mlp_1": ((6,), "tanh", 0.5), "deep_mlp_3": ((8, 5, 7), "silu", 0.25),
                    "deep_mlp_4": ((4, 9, 3, 6), "softplus", 1.5)}
        for name, (widths, act, alpha) in expected.items():
            path = self.dir / f"{name}.tebm"
            m = tw.load(path, kind="deep_mlp")
            self.assertEqual((m.d, m.widths, m.activation.label, float(m.alpha)),
                             (3, widths, act, alpha))
            self.assertEqual(m.num_params, tw.deep_mlp_param_count(3, widths))
            hd = tw.peek(path.read_bytes()[:tw.PEEK_LEN])
            self.assertEqual((hd.kind, hd.widths, hd.num_params, hd.encoded_len),
                             (tw.ModelKind.DEEP_MLP, widths, m.num_params,
                              path.stat().st_size))
            x = (rng.normal(size=(300, m.d)) * 1.5).astype(np.float32)
            compare_mlp(self, m, path, x, f"Rust sample {name}")

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

    def assert_verdicts_alike(self, cases, accepted=frozenset()):
        """Writes each named file, then checks that Python and Rust give the
        same verdict on it: a refusal (the same error) unless its name is in
        `accepted`. Returns how many files were checked."""
        paths = []
        for name, data in cases.items():
            path = self.dir / f"{name}.tebm"
            path.write_bytes(data)
            paths.append(path)
        for path, rv in zip(paths, rust_check(paths)):
            pv = py_verdict(path.read_bytes())
            if path.stem in accepted:
                self.assertEqual(pv[0], "ok", f"{path.name}: Python refused it: {pv}")
            else:
                self.assertEqual(pv[0], "error", f"{path.name}: Python loaded it")
            self.assertEqual(pv, rv, f"{path.name}: Python {pv}, Rust {rv}")
        return len(paths)

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

    def test_deep_mlp_energy_matches_rust(self):
        rng = np.random.default_rng(19)
        for act in ACTIVATIONS:
            for j in range(12):
                m = random_deep_mlp(rng, act, scale=float(rng.choice([0.5, 1.0, 2.0, 3.0])))
                p = self.dir / f"deep_{act}.{j}.tebm"
                m.save(p)
                x = (rng.normal(size=(150, m.d)) * rng.choice([0.5, 1.5, 4.0])).astype(np.float32)
                compare_mlp(self, m, p, x, f"deep {act} d={m.d} widths={m.widths}")

    def test_deep_mlp_bad_fields_refused_alike(self):
        """DeepMlp files whose CRC holds but whose fields or values are wrong,
        and files of every length cut at the configuration block."""
        m = tw.DeepMlp.from_params(2, [3, 2], "silu", 0.75, np.linspace(-1, 1, 20))
        data = m.to_bytes()
        # Layout: 8 d, 12 n, 16 h0, 20 h1, 24 act, 28 alpha, 32 count, 36 params.
        cases = {}
        for name, at, fmt, v in [
            ("d0", 8, "<I", 0), ("n0", 12, "<I", 0), ("n9", 12, "<I", 9),
            ("n_max", 12, "<I", 0xFFFFFFFF), ("n1", 12, "<I", 1), ("n3", 12, "<I", 3),
            ("n8", 12, "<I", 8), ("h0_0", 16, "<I", 0), ("h1_0", 20, "<I", 0),
            ("h_cap", 16, "<I", 65), ("d_cap", 8, "<I", 33), ("act", 24, "<I", 3),
            ("act_n1", 20, "<I", 7), ("alpha0", 28, "<f", 0.0),
            ("alpha_neg", 28, "<f", -1.0), ("alpha_nan", 28, "<f", float("nan")),
            ("alpha_inf", 28, "<f", float("inf")), ("count", 32, "<I", 23),
            ("w_inf", 36, "<f", float("inf")), ("b_out_nan", len(data) - 8, "<f", float("nan")),
            ("huge", 16, "<I", 0xFFFFFFFF), ("kind4", 6, "<H", 4),
        ]:
            b = bytearray(data)
            struct.pack_into(fmt, b, at, v)
            cases[f"deep_{name}"] = fix_crc(b)
        # Eight layers (a capacity of 7 matrices holds them), nine (too many).
        eight = tw.DeepMlp.random(2, [2] * 8, "tanh", seed=3).to_bytes()
        cases["deep_eight_layers_ok"] = eight
        b = bytearray(eight)
        struct.pack_into("<I", b, 12, 9)
        cases["deep_nine_layers"] = fix_crc(b)
        # Absurd widths: Rust's capacity check comes before any overflow.
        b = bytearray(eight)
        for i in range(8):
            struct.pack_into("<I", b, 16 + 4 * i, 0xFFFFFFFF)
        cases["deep_overflow"] = fix_crc(b)
        for n in range(8, 40):
            cases[f"deep_cut{n}"] = data[:n]
        n = self.assert_verdicts_alike(cases, accepted={"deep_eight_layers_ok"})
        count("bad DeepMlp fields/values refused alike", n)
        # Without capacities, the sizes themselves overflow Rust's usize.
        with self.assertRaises(tw.CorruptData):
            tw.peek(cases["deep_overflow"])
        with self.assertRaises(tw.CorruptData):
            tw.loads(cases["deep_overflow"])

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
        n = self.assert_verdicts_alike(cases)
        count("bad fields/values with a valid CRC refused alike", n)


if __name__ == "__main__":
    unittest.main()
