"""The weight format in Python alone: golden bytes, round trips of every kind,
the validation order, and the NumPy MLP energy against finite differences."""

from __future__ import annotations

import struct
import unittest
import zlib

from _support import KINDS, random_model, tw  # noqa: F401 (sets sys.path)

import numpy as np

# The golden files of tests/weights.rs (`golden_bytes`), byte for byte.
GOLDEN_MLP = bytes([
    0x54, 0x45, 0x42, 0x4d, 0x01, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f,
    0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0xbe,
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x80, 0xbf,
    0x00, 0x00, 0x00, 0x3e, 0x17, 0xe4, 0x8c, 0x73,
])
GOLDEN_MIXTURE = bytes([
    0x54, 0x45, 0x42, 0x4d, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x40,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3f,
    0x00, 0x00, 0x00, 0xc0, 0x1b, 0x0b, 0x1a, 0x9b,
])


def fix_crc(b: bytearray) -> bytes:
    b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
    return bytes(b)


def patch(data: bytes, at: int, fmt: str, value) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, at, value)
    return fix_crc(b)



def assert_grad_matches_finite_differences(m, x, what):
    """∇ₓU of `m` at the rows of `x` against central differences in f64
    (step 1e-6: truncation ~1e-12, round-off ~1e-10 relative)."""
    _, g = m.energy_grad(x)
    eps = 1e-6
    for i in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[i] = eps
        fd = (m.energy(x + e) - m.energy(x - e)) / (2 * eps)
        np.testing.assert_allclose(g[:, i], fd, rtol=1e-6, atol=1e-7, err_msg=what)

class Golden(unittest.TestCase):
    def test_mlp_golden_bytes(self):
        m = tw.Mlp.from_params(1, 1, "tanh", 0.5, [0.5, -0.25, 1.0, 2.0, -1.0, 0.125])
        self.assertEqual(m.to_bytes(), GOLDEN_MLP)
        back = tw.loads(GOLDEN_MLP)
        self.assertEqual(back, m)
        self.assertEqual(back.activation, tw.Activation.TANH)
        self.assertEqual(float(back.alpha), 0.5)

    def test_mixture_golden_bytes(self):
        m = tw.Mixture([0.0], [[1.0, -2.0]], [[0.5, 2.0]])
        self.assertEqual(m.to_bytes(), GOLDEN_MIXTURE)
        self.assertEqual(tw.loads(GOLDEN_MIXTURE), m)

    def test_crc_is_zlib(self):
        self.assertEqual(zlib.crc32(b"123456789"), 0xCBF43926)

    def test_peek(self):
        h = tw.peek(GOLDEN_MLP[: tw.PEEK_LEN])
        self.assertEqual((h.kind, h.d, h.h, h.activation), (tw.ModelKind.MLP, 1, 1, tw.Activation.TANH))
        self.assertEqual((h.num_params, h.encoded_len), (6, len(GOLDEN_MLP)))
        h = tw.peek(GOLDEN_MIXTURE)
        self.assertEqual((h.kind, h.k, h.d, h.encoded_len), (tw.ModelKind.MIXTURE, 1, 2, 44))


class RoundTrip(unittest.TestCase):
    def test_every_kind_round_trips(self):
        rng = np.random.default_rng(1)
        for kind in KINDS:
            for _ in range(20):
                with self.subTest(kind=kind):
                    m = random_model(kind, rng)
                    data = m.to_bytes()
                    h = tw.peek(data)
                    self.assertEqual(h.kind, m.kind)
                    self.assertEqual(h.encoded_len, len(data))
                    self.assertEqual(h.num_params, m.num_params)
                    back = tw.loads(data, kind=m.kind)
                    self.assertEqual(back, m)
                    self.assertEqual(back.to_bytes(), data)

    def test_special_values_are_kept_bit_for_bit(self):
        tiny = np.float32(1e-45)  # the smallest subnormal
        theta = np.array([-0.0, tiny, -tiny, 3.4028235e38, -3.4028235e38, 1.0], dtype=np.float32)
        m = tw.Mlp.from_params(1, 1, "softplus", 1e-30, theta)
        back = tw.loads(m.to_bytes())
        self.assertEqual(back.params().tobytes(), theta.tobytes())
        self.assertEqual(np.float32(back.alpha).tobytes(), np.float32(1e-30).tobytes())

    def test_full_precision_layout(self):
        p = np.array([[4, 1, 0.5], [1, 3, 0.25], [0.5, 0.25, 2]], dtype=np.float32)
        g = tw.Gaussian([1, 2, 3], p)
        # μ, then the lower triangle row by row: (0,0), (1,0), (1,1), (2,0), (2,1), (2,2).
        np.testing.assert_array_equal(g.params(), [1, 2, 3, 4, 1, 3, 0.5, 0.25, 2])
        self.assertEqual(tw.loads(g.to_bytes()).precision_matrix().tolist(), p.tolist())
        data = g.to_bytes()
        self.assertEqual(struct.unpack_from("<II", data, 8), (3, 1))  # d, full

    def test_polynomial_order(self):
        self.assertEqual(list(tw.exponents(2, 2)), [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)])
        for d in range(1, 5):
            for p in range(0, 9):
                e = list(tw.exponents(d, p))
                self.assertEqual(len(e), tw.num_monomials(d, p))
                self.assertEqual(len(set(e)), len(e))

    def test_mlp_flat_order(self):
        d, h = 2, 3
        theta = np.arange(tw.mlp_param_count(d, h), dtype=np.float32)
        m = tw.Mlp.from_params(d, h, "silu", 1.0, theta)
        self.assertEqual(m.w1.tolist(), [[0, 1], [2, 3], [4, 5]])
        self.assertEqual(m.b1.tolist(), [6, 7, 8])
        self.assertEqual(m.w2[0].tolist(), [9, 10, 11])
        self.assertEqual(m.b2.tolist(), [18, 19, 20])
        self.assertEqual(m.w3.tolist(), [21, 22, 23])
        self.assertEqual(float(m.b3), 24)
        np.testing.assert_array_equal(m.params(), theta)


class DeepMlpFormat(unittest.TestCase):
    """Kind 5: layout, flat order, peek, the validation order."""

    def test_layout(self):
        theta = np.arange(1, 18, dtype=np.float32) / 4  # d=1, widths [2, 3]
        m = tw.DeepMlp.from_params(1, [2, 3], "softplus", 0.5, theta)
        self.assertEqual(m.num_params, 2 * 2 + 3 * 3 + 3 + 1)
        body = (b"TEBM" + struct.pack("<HH", 1, 5) + struct.pack("<5I", 1, 2, 2, 3, 2)
                + struct.pack("<f", 0.5) + struct.pack("<I", 17) + m.params().astype("<f4").tobytes())
        data = body + struct.pack("<I", zlib.crc32(body))
        self.assertEqual(m.to_bytes(), data)
        self.assertEqual(tw.loads(data), m)
        h = tw.peek(data[:tw.PEEK_LEN])
        self.assertEqual((h.kind, h.d, h.widths, h.layers, h.activation, h.num_params, h.encoded_len),
                         (tw.ModelKind.DEEP_MLP, 1, (2, 3), 2, tw.Activation.SOFTPLUS, 17, len(data)))
        self.assertEqual(tw.PEEK_LEN, 52)

    def test_flat_order(self):
        d, widths = 2, [3, 2, 4]
        theta = np.arange(tw.deep_mlp_param_count(d, widths), dtype=np.float32)
        m = tw.DeepMlp.from_params(d, widths, "tanh", 1.0, theta)
        self.assertEqual(m.weights[0].tolist(), [[0, 1], [2, 3], [4, 5]])
        self.assertEqual(m.biases[0].tolist(), [6, 7, 8])
        self.assertEqual(m.weights[1].tolist(), [[9, 10, 11], [12, 13, 14]])
        self.assertEqual(m.biases[1].tolist(), [15, 16])
        self.assertEqual(m.weights[2][0].tolist(), [17, 18])
        self.assertEqual(m.biases[2].tolist(), [25, 26, 27, 28])
        self.assertEqual(m.w_out.tolist(), [29, 30, 31, 32])
        self.assertEqual(float(m.b_out), 33)
        np.testing.assert_array_equal(m.params(), theta)

    def test_two_equal_layers_are_the_mlp(self):
        mlp = tw.Mlp.random(3, 5, "silu", alpha=0.5, seed=4)
        deep = tw.DeepMlp.from_params(3, [5, 5], "silu", 0.5, mlp.params())
        x = np.random.default_rng(1).normal(size=(20, 3))
        for a, b in zip(mlp.energy_grad(x), deep.energy_grad(x)):
            np.testing.assert_array_equal(a, b)

    def test_energy_grad_finite_differences(self):
        for act in ("tanh", "silu", "softplus"):
            m = tw.DeepMlp.random(3, [4, 6, 2, 5], act, alpha=0.3, seed=12, scale=1.5)
            assert_grad_matches_finite_differences(m, np.random.default_rng(2).normal(size=(10, 3)), act)

    def test_validation_order(self):
        data = tw.DeepMlp.random(2, [3, 2], "tanh", alpha=0.75, seed=5).to_bytes()

        def refuses(d, err, **kw):
            with self.assertRaises(err):
                tw.loads(d, **kw)

        refuses(patch(data, 8, "<I", 0), tw.Empty)
        refuses(patch(data, 12, "<I", 0), tw.Empty)
        refuses(patch(data, 12, "<I", 9), tw.CapacityExceeded)
        refuses(patch(data, 20, "<I", 0), tw.Empty)
        refuses(patch(data, 24, "<I", 3), tw.CorruptData)
        # Too many layers comes before a zero width, a zero width before the activation.
        refuses(patch(patch(data, 12, "<I", 9), 16, "<I", 0), tw.CapacityExceeded)
        refuses(patch(patch(data, 16, "<I", 0), 24, "<I", 3), tw.Empty)
        refuses(data[:23], tw.Truncated)
        refuses(data, tw.WrongModelKind, kind="mlp")
        refuses(data, tw.CapacityExceeded, capacity={tw.ModelKind.DEEP_MLP: (2, 3, 0)})
        refuses(data, tw.CapacityExceeded, capacity={tw.ModelKind.DEEP_MLP: (2, 2, 1)})
        refuses(data, tw.CapacityExceeded, capacity={"deep_mlp": (1, 3, 1)})
        tw.loads(data, capacity={tw.ModelKind.DEEP_MLP: (2, 3, 1)}, kind="deep_mlp")
        refuses(patch(data, 32, "<I", 5), tw.CorruptData)
        refuses(data + b"\0", tw.TrailingBytes)
        refuses(data[:-1], tw.Truncated)
        refuses(data[:-4] + bytes(4), tw.Checksum)
        refuses(patch(data, 28, "<f", 0.0), tw.InvalidConfig)
        refuses(patch(patch(data, 28, "<f", -1.0), 36, "<f", float("nan")), tw.InvalidConfig)
        refuses(patch(data, len(data) - 8, "<f", float("inf")), tw.InvalidParameters)
        with self.assertRaises(tw.CapacityExceeded):
            tw.DeepMlp.random(1, [1] * 9).to_bytes()
        with self.assertRaises(tw.InvalidConfig):
            tw.DeepMlp.random(1, [2], alpha=0.0).to_bytes()
        tw.DeepMlp.random(1, [2], alpha=0.0).to_bytes(validate=False)


class Validation(unittest.TestCase):
    """Each step of the documented validation order raises its error."""

    def setUp(self):
        self.mlp = tw.Mlp.random(2, 3, "tanh", alpha=0.75, seed=5).to_bytes()

    def refuses(self, data, err, **kw):
        with self.assertRaises(err) as cm:
            tw.loads(data, **kw)
        self.assertIsInstance(cm.exception, tw.WeightFormatError)
        self.assertTrue(str(cm.exception))
        return cm.exception

    def test_structure(self):
        d = self.mlp
        self.refuses(b"XEBM" + d[4:], tw.BadMagic)
        self.refuses(b"TEB", tw.Truncated)
        e = self.refuses(b"", tw.Truncated)
        self.assertEqual((e.needed, e.found), (4, 0))
        self.refuses(b"TEBX", tw.BadMagic)
        e = self.refuses(patch(d, 4, "<H", 2), tw.UnsupportedVersion)
        self.assertEqual(e.version, 2)
        self.refuses(patch(d, 6, "<H", 9), tw.CorruptData)
        e = self.refuses(d, tw.WrongModelKind, kind="gaussian")
        self.assertEqual((e.expected, e.found), (1, 4))
        self.refuses(patch(d, 6, "<H", 9), tw.WrongModelKind, kind=tw.ModelKind.MLP)
        self.refuses(patch(d, 8, "<I", 0), tw.Empty)
        self.refuses(patch(d, 12, "<I", 0), tw.Empty)
        self.refuses(patch(d, 16, "<I", 3), tw.CorruptData)
        self.refuses(d, tw.CapacityExceeded, capacity={tw.ModelKind.MLP: (1, 8)})
        self.refuses(d, tw.CapacityExceeded, capacity={"mlp": (2, 2)})
        tw.loads(d, capacity={tw.ModelKind.MLP: (2, 3)})
        self.refuses(patch(d, 24, "<I", 99), tw.CorruptData)
        self.refuses(patch(d, 8, "<I", 3), tw.CorruptData)  # count no longer matches d
        self.refuses(d[:-1], tw.Truncated)
        self.refuses(d[:26], tw.Truncated)
        e = self.refuses(d + b"\0", tw.TrailingBytes)
        self.assertEqual((e.expected, e.found), (len(d), len(d) + 1))
        b = bytearray(d)
        b[30] ^= 1
        self.refuses(bytes(b), tw.Checksum)

    def test_other_kinds_structure(self):
        g = tw.Gaussian([0, 0], [1, 1]).to_bytes()
        self.refuses(patch(g, 12, "<I", 2), tw.CorruptData)
        p = tw.Polynomial(1, 2, [1, 0, 1]).to_bytes()
        e = self.refuses(patch(p, 12, "<I", 9), tw.CapacityExceeded)
        self.assertEqual((e.requested, e.capacity), (9, tw.MAX_DEGREE))
        self.refuses(p, tw.CapacityExceeded, capacity={tw.ModelKind.POLYNOMIAL: (1, 2)})
        x = tw.Mixture([0, 0], [[0], [1]], [[1], [1]]).to_bytes()
        self.refuses(patch(x, 8, "<I", 0), tw.Empty)

    def test_values_after_the_checksum(self):
        d = self.mlp
        self.refuses(patch(d, 20, "<f", 0.0), tw.InvalidConfig)
        self.refuses(patch(d, 20, "<f", float("nan")), tw.InvalidConfig)
        self.refuses(patch(d, 20, "<f", -1.0), tw.InvalidConfig)
        self.refuses(patch(d, 28, "<f", float("inf")), tw.InvalidParameters)
        # A flipped weight with the old CRC is a checksum error, not a value error.
        b = bytearray(d)
        struct.pack_into("<f", b, 28, float("nan"))
        self.refuses(bytes(b), tw.Checksum)
        g = tw.Gaussian([0, 0], [[2, 1], [1, 2]]).to_bytes()
        self.refuses(patch(g, 32, "<f", 3.0), tw.InvalidParameters)  # P[1][0] = 3
        self.refuses(patch(g, 20, "<f", float("nan")), tw.InvalidParameters)  # μ₀
        gd = tw.Gaussian([0, 0], [1, 1]).to_bytes()
        self.refuses(patch(gd, 28, "<f", 0.0), tw.InvalidParameters)  # P₀₀
        x = tw.Mixture([0, 0], [[0], [1]], [[1], [1]]).to_bytes()
        self.refuses(patch(x, 16, "<f", 0.0), tw.InvalidParameters)  # σ
        self.refuses(patch(x, 28, "<f", float("nan")), tw.InvalidParameters)  # logit
        p = tw.Polynomial(1, 2, [1, 0, 1]).to_bytes()
        self.refuses(patch(p, 20, "<f", float("-inf")), tw.InvalidParameters)

    def test_every_damaged_byte_is_refused(self):
        rng = np.random.default_rng(2)
        for kind in KINDS:
            data = random_model(kind, rng).to_bytes()
            for i in range(len(data)):
                b = bytearray(data)
                b[i] ^= 0xFF
                with self.assertRaises(tw.WeightFormatError, msg=f"{kind} byte {i}"):
                    tw.loads(bytes(b))
            for n in range(len(data)):
                with self.assertRaises(tw.WeightFormatError, msg=f"{kind} cut at {n}"):
                    tw.loads(data[:n])

    def test_writer_refuses_what_the_loader_refuses(self):
        bad = tw.Mlp.from_params(1, 1, "tanh", 0.0, np.ones(6))
        with self.assertRaises(tw.InvalidConfig):
            bad.to_bytes()
        with self.assertRaises(tw.InvalidConfig):
            tw.loads(bad.to_bytes(validate=False))
        with self.assertRaises(tw.InvalidParameters):
            tw.Gaussian([0, 0], [[1, 2], [2, 1]]).to_bytes()
        with self.assertRaises(tw.InvalidParameters):
            tw.Gaussian([0, 0], [[1, 0.5], [0.25, 1]])  # not symmetric
        with self.assertRaises(tw.CapacityExceeded):
            tw.Polynomial(1, 9, np.zeros(10)).to_bytes()
        with self.assertRaises(ValueError):
            tw.Mlp(np.zeros((2, 3)), np.zeros(2), np.zeros((3, 3)), np.zeros(2), np.zeros(2), 0.0)


class Imports(unittest.TestCase):
    def test_numpy_only(self):
        """Importing the package (and using it) does not import torch."""
        import subprocess
        import sys

        from _support import PYROOT

        code = ("import sys, tinyebm_weights as tw; "
                "tw.loads(tw.Mlp.random(2, 3).to_bytes()); "
                "assert 'torch' not in sys.modules, 'torch imported'")
        subprocess.run([sys.executable, "-c", code], check=True, cwd=PYROOT)


class MlpEnergy(unittest.TestCase):
    def test_gradient_matches_finite_differences(self):
        rng = np.random.default_rng(3)
        for act in ("tanh", "silu", "softplus"):
            m = tw.Mlp.random(4, 7, act, alpha=0.3, seed=11, scale=1.5)
            assert_grad_matches_finite_differences(m, rng.normal(size=(25, 4)) * 2, act)

    def test_single_point_and_batch_agree(self):
        m = tw.Mlp.random(3, 5, "silu", alpha=0.5, seed=2)
        x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 0.0]])
        u, g = m.energy_grad(x)
        for k in range(2):
            uk, gk = m.energy_grad(x[k])
            np.testing.assert_allclose(uk, u[k], rtol=1e-14)
            np.testing.assert_allclose(gk, g[k], rtol=1e-14)

    def test_definitions(self):
        # One unit, h = d = 1, W₁ = W₂ = w₃ = 1, biases 0: U = σ(σ(x)) + ½αx².
        from tinyebm_weights.mlp import activation_value_slope

        for act, f in (("tanh", np.tanh), ("silu", lambda a: a / (1 + np.exp(-a))),
                       ("softplus", lambda a: np.log1p(np.exp(a)))):
            m = tw.Mlp.from_params(1, 1, act, 0.5, [1, 0, 1, 0, 1, 0])
            for x in (-3.0, -0.5, 0.0, 0.7, 4.0):
                self.assertAlmostEqual(m.energy([x]), f(f(x)) + 0.25 * x * x, places=12)
            a = np.linspace(-30, 30, 601)
            v, _ = activation_value_slope(act, a)
            np.testing.assert_allclose(v, f(a), rtol=1e-12, atol=1e-300)


if __name__ == "__main__":
    unittest.main()
