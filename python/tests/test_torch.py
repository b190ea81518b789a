"""The PyTorch bridge (skipped when torch is not importable): conversions
between .tebm files, TinyEbmMlp and plain state dicts, and U, ∇ₓU by
autograd against NumPy and Rust."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from _support import ACTIVATIONS, REQUIRE_RUST, TOOL, need_tool, record, run_tool, rust_eval, tw

import numpy as np

from tinyebm_weights.mlp import error_scale

try:
    import torch
    from torch import nn

    from tinyebm_weights.torch_bridge import (
        TinyEbmMlp, mlp_from_state_dict, mlp_to_state_dict, state_dict_to_tebm,
        tebm_to_state_dict,
    )
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

TOL = 1e-5
SEQ_KEYS = ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")


@unittest.skipIf(torch is None, "torch is not installed")
class TorchBridge(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        torch.manual_seed(0)

    def tearDown(self):
        self.tmp.cleanup()

    def test_lazy_names(self):
        import tinyebm_weights
        from tinyebm_weights import TinyEbmMlp as lazy

        self.assertIs(lazy, TinyEbmMlp)
        self.assertIs(tinyebm_weights.torch_bridge.TinyEbmMlp, TinyEbmMlp)

    def test_tebm_module_tebm_is_bit_exact(self):
        rng = np.random.default_rng(1)
        for act in ACTIVATIONS:
            m = tw.Mlp.random(3, 6, act, alpha=0.37, seed=int(rng.integers(1 << 30)))
            data = m.to_bytes()
            mod = TinyEbmMlp.from_tebm(data)
            self.assertEqual(mod.activation.label, act)
            self.assertEqual(mod.to_tebm(), data)
            path = self.dir / "m.tebm"
            m.save(path)
            self.assertEqual(TinyEbmMlp.from_tebm(path).to_tebm(), data)
            # A float64 module rounds back to the same float32 weights.
            self.assertEqual(TinyEbmMlp.from_tebm(data, dtype=torch.float64).to_tebm(), data)

    def test_module_tebm_module(self):
        mod = TinyEbmMlp(4, 9, "silu", alpha=0.5)
        path = self.dir / "m.tebm"
        mod.to_tebm(path)
        back = TinyEbmMlp.from_tebm(path)
        for k, v in mod.state_dict().items():
            self.assertTrue(torch.equal(v, back.state_dict()[k]), k)
        x = torch.randn(16, 4)
        self.assertTrue(torch.equal(mod(x), back(x)))

    def test_state_dict_of_a_plain_sequential(self):
        d, h, alpha = 3, 7, 0.25
        for act, layer in (("tanh", nn.Tanh), ("silu", nn.SiLU), ("softplus", nn.Softplus)):
            seq = nn.Sequential(nn.Linear(d, h), layer(), nn.Linear(h, h), layer(), nn.Linear(h, 1))
            data = state_dict_to_tebm(seq.state_dict(), activation=act, alpha=alpha)
            mod = TinyEbmMlp.from_tebm(data)
            x = torch.randn(32, d)
            want = seq(x).squeeze(-1) + 0.5 * alpha * (x * x).sum(-1)
            torch.testing.assert_close(mod(x), want, rtol=1e-6, atol=1e-6)
            # And back into a Sequential.
            seq2 = nn.Sequential(nn.Linear(d, h), layer(), nn.Linear(h, h), layer(), nn.Linear(h, 1))
            sd = tebm_to_state_dict(data, keys=SEQ_KEYS)
            self.assertEqual(float(sd.pop("alpha")), alpha)
            seq2.load_state_dict(sd)
            self.assertTrue(torch.equal(seq2(x), seq(x)))
            m = mlp_from_state_dict(seq.state_dict(), activation=act, alpha=alpha)
            self.assertEqual(m.to_bytes(), data)
            self.assertEqual(set(mlp_to_state_dict(m)), {"fc1.weight", "fc1.bias", "fc2.weight",
                                                         "fc2.bias", "out.weight", "out.bias",
                                                         "alpha"})

    def test_from_state_dict_needs_three_layers_and_alpha(self):
        seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        with self.assertRaises(ValueError):
            mlp_from_state_dict(seq.state_dict(), "tanh", 1.0)
        mod = TinyEbmMlp(2, 3, "tanh", alpha=0.5)
        with self.assertRaises(ValueError):
            mlp_from_state_dict({k: v for k, v in mod.state_dict().items() if k != "alpha"}, "tanh")
        back = TinyEbmMlp.from_state_dict(mod.state_dict(), activation="tanh")
        self.assertEqual(back.to_tebm(), mod.to_tebm())

    def test_bad_modules_are_not_written(self):
        mod = TinyEbmMlp(2, 3, "tanh", alpha=0.0)
        with self.assertRaises(tw.InvalidConfig):
            mod.to_tebm()
        mod = TinyEbmMlp(2, 3, "tanh", alpha=1.0)
        with torch.no_grad():
            mod.fc2.weight[0, 0] = float("nan")
        with self.assertRaises(tw.InvalidParameters):
            mod.to_tebm()
        with self.assertRaises(tw.WrongModelKind):
            TinyEbmMlp.from_tebm(tw.Gaussian([0.0], [1.0]).to_bytes())

    def test_autograd_matches_numpy(self):
        rng = np.random.default_rng(2)
        for act in ACTIVATIONS:
            m = tw.Mlp.random(5, 11, act, alpha=0.4, seed=3, scale=2.0)
            x = rng.normal(size=(64, 5)) * 2
            u, g = m.energy_grad(x)
            mod = TinyEbmMlp.from_mlp(m, dtype=torch.float64)
            tu, tg = mod.energy_grad(torch.from_numpy(x))
            np.testing.assert_allclose(tu.numpy(), u, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(tg.numpy(), g, rtol=1e-12, atol=1e-12)
            record(f"torch64 vs numpy {act}: grad abs", np.abs(tg.numpy() - g).max())
            # One point, shape (d,).
            pu, pg = mod.energy_grad(torch.from_numpy(x[0]))
            self.assertEqual(tuple(pg.shape), (5,))
            np.testing.assert_allclose(pu.item(), u[0], rtol=1e-12)

    def test_torch_matches_rust(self):
        if not TOOL.exists() and not REQUIRE_RUST:
            self.skipTest(f"{TOOL} not built")
        need_tool(self)
        rng = np.random.default_rng(4)
        run_tool("samples", self.dir)
        for act in ACTIVATIONS:
            # A module trained nowhere but written by torch, and Rust's sample.
            torch.manual_seed(int(rng.integers(1 << 30)))
            written = TinyEbmMlp(int(rng.integers(1, 9)), int(rng.integers(1, 33)), act,
                                 alpha=float(rng.uniform(0.05, 2.0)))
            wpath = self.dir / f"torch_{act}.tebm"
            written.to_tebm(wpath)
            for path in (wpath, self.dir / f"mlp_{act}.tebm"):
                mod32 = TinyEbmMlp.from_tebm(path)
                mod64 = TinyEbmMlp.from_tebm(path, dtype=torch.float64)
                m = tw.load(path)
                x = (rng.normal(size=(200, m.d)) * 1.5).astype(np.float32)
                r = rust_eval(path, x).astype(np.float64)
                su, sg = error_scale(m, x)
                for name, mod, dtype in (("torch32", mod32, torch.float32),
                                         ("torch64", mod64, torch.float64)):
                    tu, tg = mod.energy_grad(torch.from_numpy(x).to(dtype))
                    tu, tg = tu.double().numpy(), tg.double().numpy()
                    du, dg = np.abs(r[:, 0] - tu) / su, np.abs(r[:, 1:] - tg) / sg
                    record(f"{name} vs rust {act}: U scaled", du.max())
                    record(f"{name} vs rust {act}: grad scaled", dg.max())
                    with np.errstate(divide="ignore", invalid="ignore"):
                        pu = np.abs(r[:, 0] - tu) / np.abs(tu)
                        pg = np.abs(r[:, 1:] - tg) / np.abs(tg)
                    pu = pu[np.abs(tu) >= 0.1 * su].max(initial=0)
                    pg = pg[np.abs(tg) >= 0.1 * sg].max(initial=0)
                    record(f"{name} vs rust {act}: U plain", pu)
                    record(f"{name} vs rust {act}: grad plain", pg)
                    self.assertLessEqual(pu, TOL, f"{name} {act} {path.name}: U plain")
                    self.assertLessEqual(pg, TOL, f"{name} {act} {path.name}: ∇U plain")
                    self.assertLessEqual(du.max(), TOL, f"{name} {act} {path.name}: U")
                    self.assertLessEqual(dg.max(), TOL, f"{name} {act} {path.name}: ∇U")


if __name__ == "__main__":
    unittest.main()
