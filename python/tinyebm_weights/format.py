"""The portable weight format (version 1), read and written bit for bit.

The layout and the validation order are those of the Rust module
``tinyebm::weights`` (``src/weights.rs``, summarised in
``docs/weight-format.md``):

======  ======  ===================================================
offset  size    field
======  ======  ===================================================
0       4       magic ``b"TEBM"``
4       2       version, u16 = 1
6       2       kind, u16: 1 Gaussian, 2 Polynomial, 3 Mixture, 4 Mlp,
                5 DeepMlp
8       C       configuration block (by kind)
8+C     4       parameter count P, u32
12+C    4P      parameters, f32, in the model's flat order
12+C+4P 4       CRC-32 (zlib's) of every byte before it
======  ======  ===================================================

All integers are unsigned little-endian, all reals IEEE-754 binary32
little-endian. Parameters are kept as ``numpy.float32`` arrays and copied
bit for bit, so reading a file and writing the model back gives the same
bytes.

Loading checks, in order, stopping at the first failure: magic, version,
kind, the integer configuration fields (zero size, unknown code, degree above
:data:`MAX_DEGREE`, more than :data:`MAX_LAYERS` hidden layers), optional capacities (as a device build's const
generics), the parameter count, the length, the CRC-32, and only then the
values (α; σ and the parameters finite; a Gaussian precision positive
definite). Each failure raises the :mod:`tinyebm_weights.errors` class named
after the Rust ``Error`` variant that Rust returns for the same file.
"""

from __future__ import annotations

import enum
import math
import struct
import zlib
from dataclasses import dataclass
from typing import Iterator, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import (
    BadMagic,
    CapacityExceeded,
    Checksum,
    CorruptData,
    Empty,
    InvalidConfig,
    InvalidParameters,
    TrailingBytes,
    Truncated,
    UnsupportedVersion,
    WrongModelKind,
)

#: The first four bytes of every weight file.
MAGIC = b"TEBM"
#: The format version this package reads and writes.
VERSION = 1
#: Highest polynomial total degree (``tinyebm::polynomial::MAX_DEGREE``).
MAX_DEGREE = 8
#: Most hidden layers of a DeepMlp file (``tinyebm::deep_mlp::MAX_LAYERS``).
MAX_LAYERS = 8
_PREAMBLE = 8
#: Most integer configuration fields (a DeepMlp's: d, n, n widths, activation).
_MAX_INT_FIELDS = 3 + MAX_LAYERS
#: Bytes :func:`peek` needs at most: magic, version, kind and the integer
#: fields of the longest configuration (a DeepMlp of MAX_LAYERS layers). A
#: shorter file is peeked whole (only the fields its kind has are read).
PEEK_LEN = _PREAMBLE + 4 * _MAX_INT_FIELDS
#: Rust's usize on the 64-bit hosts this package is checked against: sizes
#: whose parameter count or byte length exceed it are CorruptData there.
_USIZE_MAX = 2**64 - 1

Bytes = Union[bytes, bytearray, memoryview]


class ModelKind(enum.IntEnum):
    """The model kind code of a file (``tinyebm::ModelKind``)."""

    GAUSSIAN = 1
    POLYNOMIAL = 2
    MIXTURE = 3
    MLP = 4
    DEEP_MLP = 5


class Activation(enum.IntEnum):
    """The MLP's hidden-layer activation and its code (``tinyebm::Activation``)."""

    TANH = 0
    SILU = 1
    SOFTPLUS = 2

    @classmethod
    def parse(cls, a: Union["Activation", int, str]) -> "Activation":
        """An activation from itself, its code or its name (``"tanh"``,
        ``"silu"``/``"swish"``, ``"softplus"``, any case)."""
        if isinstance(a, str):
            name = a.strip().upper()
            if name == "SWISH":
                name = "SILU"
            try:
                return cls[name]
            except KeyError:
                raise ValueError(f"unknown activation {a!r}: tanh, silu or softplus") from None
        return cls(int(a))

    @property
    def label(self) -> str:
        """Lower-case name: ``tanh``, ``silu`` or ``softplus``."""
        return self.name.lower()


def num_monomials(d: int, degree: int) -> int:
    """C(d + degree, degree): the polynomial's parameter count."""
    return math.comb(d + degree, degree)


def mlp_param_count(d: int, h: int) -> int:
    """h·(d + h + 3) + 1: the MLP's parameter count."""
    return h * (d + h + 3) + 1


def deep_mlp_param_count(d: int, widths: Sequence[int]) -> int:
    """Σₖ hₖ·(hₖ₋₁ + 1) + hₙ₋₁ + 1 with h₋₁ = d: the DeepMlp's parameter count."""
    widths = [int(h) for h in widths]
    prev, total = int(d), 0
    for h in widths:
        total += h * (prev + 1)
        prev = h
    return total + prev + 1


def exponents(d: int, degree: int) -> Iterator[Tuple[int, ...]]:
    """The polynomial's monomials in parameter order: by total degree, then
    larger exponents on earlier coordinates first (2-D, degree 2:
    1, x₀, x₁, x₀², x₀x₁, x₁²)."""

    def comps(t: int, n: int) -> Iterator[Tuple[int, ...]]:
        if n == 1:
            yield (t,)
            return
        for first in range(t, -1, -1):
            for rest in comps(t - first, n - 1):
                yield (first,) + rest

    for t in range(degree + 1):
        yield from comps(t, d)


def _f32(a, shape=None, what="array") -> np.ndarray:
    """A float32 copy of `a` (exact for float32 input; rounds wider floats)."""
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu().numpy()
    arr = np.array(a, dtype=np.float32, copy=True)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{what}: shape {arr.shape}, expected {tuple(shape)}")
    return arr


def _all_finite(a: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(a)))


def _cholesky_ok(p: np.ndarray) -> bool:
    """Rust's ``linalg::cholesky`` in f64, operation for operation."""
    d = p.shape[0]
    a = [[float(p[i, j]) for j in range(d)] for i in range(d)]
    low = [[0.0] * d for _ in range(d)]
    for i in range(d):
        for j in range(i + 1):
            s = a[i][j]
            for k in range(j):
                s -= low[i][k] * low[j][k]
            if i == j:
                if math.isnan(s) or s <= 0.0 or math.isinf(s):
                    return False
                low[i][i] = math.sqrt(s)
            else:
                low[i][j] = s / low[j][j]
    return True


class Model:
    """What every model kind provides (see the subclasses)."""

    kind: ModelKind

    @property
    def d(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def num_params(self) -> int:
        return len(self.params())

    def params(self) -> np.ndarray:
        """The flat parameter vector (float32) in the file's order."""
        raise NotImplementedError

    def validate(self) -> None:
        """Raises what loading this model's file would raise at step 9."""
        raise NotImplementedError

    def to_bytes(self, validate: bool = True) -> bytes:
        """This model in the weight format (see :func:`dumps`)."""
        return dumps(self, validate=validate)

    def save(self, path, validate: bool = True) -> None:
        """Writes :meth:`to_bytes` to `path`."""
        with open(path, "wb") as f:
            f.write(self.to_bytes(validate=validate))

    # Hooks for the codec.
    def _ints(self) -> Sequence[int]:
        raise NotImplementedError

    def _values(self) -> np.ndarray:
        return np.zeros(0, dtype=np.float32)

    def __eq__(self, other) -> bool:
        """Same kind, configuration and bit-identical values."""
        return (
            type(self) is type(other)
            and list(self._ints()) == list(other._ints())
            and self._values().tobytes() == other._values().tobytes()
            and self.params().tobytes() == other.params().tobytes()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d}, params={self.num_params})"


class Gaussian(Model):
    """U(x) = ½ (x−μ)ᵀ P (x−μ).

    `precision` is a vector (diagonal storage) or a symmetric d×d matrix
    (full storage: the file keeps its lower triangle row by row). Flat
    parameters: μ, then the diagonal or the lower triangle
    ((0,0), (1,0), (1,1), (2,0), …).
    """

    kind = ModelKind.GAUSSIAN

    def __init__(self, mean, precision) -> None:
        self.mean = _f32(mean, what="mean").reshape(-1)
        d = self.mean.shape[0]
        prec = _f32(precision, what="precision")
        if prec.ndim == 1:
            if prec.shape != (d,):
                raise ValueError(f"diagonal precision: shape {prec.shape}, expected ({d},)")
            self.diagonal = True
        else:
            if prec.shape != (d, d):
                raise ValueError(f"precision: shape {prec.shape}, expected ({d}, {d})")
            nan = np.isnan(prec)
            if not np.all((prec == prec.T) | (nan & nan.T)):
                raise InvalidParameters("precision is not symmetric")
            self.diagonal = False
        self.precision = prec

    @property
    def d(self) -> int:
        return self.mean.shape[0]

    def precision_matrix(self) -> np.ndarray:
        """P as a d×d float32 matrix."""
        return np.diag(self.precision) if self.diagonal else self.precision.copy()

    def params(self) -> np.ndarray:
        if self.diagonal:
            tail = self.precision
        else:
            tail = self.precision[np.tril_indices(self.d)]  # row by row, j ≤ i
        return np.concatenate([self.mean, tail]).astype(np.float32)

    @classmethod
    def from_params(cls, d: int, diagonal: bool, theta) -> "Gaussian":
        theta = _f32(theta, (d + (d if diagonal else d * (d + 1) // 2),), "Gaussian parameters")
        mean = theta[:d]
        if diagonal:
            return cls(mean, theta[d:])
        p = np.zeros((d, d), dtype=np.float32)
        rows, cols = np.tril_indices(d)
        p[rows, cols] = theta[d:]
        p[cols, rows] = theta[d:]
        return cls(mean, p)

    def validate(self) -> None:
        if not _all_finite(self.mean) or not _all_finite(self.precision):
            raise InvalidParameters("Gaussian parameters")
        if self.diagonal:
            ok = all(float(v) > 0.0 for v in self.precision)
        else:
            ok = _cholesky_ok(self.precision)
        if not ok:
            raise InvalidParameters("precision is not positive definite")

    def _ints(self):
        return (self.d, 0 if self.diagonal else 1)


class Polynomial(Model):
    """U(x) = Σₖ θₖ φₖ(x) over the monomials of total degree ≤ `degree`, in
    the order of :func:`exponents`."""

    kind = ModelKind.POLYNOMIAL

    def __init__(self, d: int, degree: int, coef) -> None:
        self._d, self.degree = int(d), int(degree)
        self.coef = _f32(coef, (num_monomials(self._d, self.degree),), "polynomial coefficients")

    @property
    def d(self) -> int:
        return self._d

    def exponents(self):
        """The exponent tuple of each coefficient."""
        return list(exponents(self._d, self.degree))

    def params(self) -> np.ndarray:
        return self.coef.copy()

    def validate(self) -> None:
        if self.degree > MAX_DEGREE:
            raise CapacityExceeded(self.degree, MAX_DEGREE)
        if not _all_finite(self.coef):
            raise InvalidParameters("polynomial coefficients")

    def _ints(self):
        return (self._d, self.degree)


class Mixture(Model):
    """U(x) = −log Σₖ softmax(logits)ₖ N(x; μₖ, diag σₖ²).

    `means` and `sigmas` are k×d (component-major). The σ live in the
    configuration block (fixed, not trained); the flat parameters are the
    logits, then the means.
    """

    kind = ModelKind.MIXTURE

    def __init__(self, logits, means, sigmas) -> None:
        self.logits = _f32(logits, what="logits").reshape(-1)
        k = self.logits.shape[0]
        self.means = _f32(means, what="means")
        if self.means.ndim == 1 and self.means.size % max(k, 1) == 0:
            self.means = self.means.reshape(k, -1)
        if self.means.ndim != 2 or self.means.shape[0] != k:
            raise ValueError(f"means: shape {self.means.shape}, expected ({k}, d)")
        self.sigmas = _f32(sigmas, what="sigmas").reshape(self.means.shape)

    @property
    def k(self) -> int:
        return self.logits.shape[0]

    @property
    def d(self) -> int:
        return self.means.shape[1]

    def params(self) -> np.ndarray:
        return np.concatenate([self.logits, self.means.reshape(-1)]).astype(np.float32)

    def validate(self) -> None:
        # Rust's order: means, σ, logits (all InvalidParameters).
        if not _all_finite(self.means):
            raise InvalidParameters("mixture means")
        # Rust's MIN_SIGMA..=MAX_SIGMA (src/mixture.rs), compared in f32.
        sig = np.asarray(self.sigmas, dtype=np.float32)
        if not (_all_finite(sig) and bool(np.all((sig >= np.float32(1e-15)) & (sig <= np.float32(1e15))))):
            raise InvalidParameters("mixture sigmas must be in [1e-15, 1e15]")
        if not _all_finite(self.logits):
            raise InvalidParameters("mixture parameters")

    def _ints(self):
        return (self.k, self.d)

    def _values(self):
        return self.sigmas.reshape(-1)


class _Network(Model):
    """What :class:`Mlp` and :class:`DeepMlp` share: the confinement α in
    the configuration block, its and the weights' validation, and the
    analytic evaluation of :mod:`tinyebm_weights.mlp`."""

    def _validate_network(self) -> None:
        a = float(self.alpha)
        if not (math.isfinite(a) and a > 0.0):
            raise InvalidConfig("confinement alpha must be > 0")
        if not _all_finite(self.params()):
            raise InvalidParameters("MLP weights")

    def energy(self, x, dtype=np.float64):
        """U at a point (shape (d,)) or a batch (shape (n, d))."""
        from .mlp import energy

        return energy(self, x, dtype=dtype)

    def energy_grad(self, x, dtype=np.float64):
        """(U, ∇ₓU) at a point or a batch, analytically."""
        from .mlp import energy_grad

        return energy_grad(self, x, dtype=dtype)

    def _values(self):
        return np.array([self.alpha], dtype=np.float32)


class Mlp(_Network):
    """U(x) = w₃·σ(W₂σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes d → h → h → 1.

    Weights as ``torch.nn.Linear`` stores them: `w1` is h×d (row j = hidden
    unit j), `w2` h×h (row k = unit k of layer 2), `w3` a vector of h, `b3`
    a scalar. Flat parameters: W₁ row by row, b₁, W₂ row by row, b₂, w₃, b₃
    (h·(d + h + 3) + 1 values). α (> 0, fixed) and the activation live in the
    configuration block. :meth:`energy` and :meth:`energy_grad` evaluate it
    (see :mod:`tinyebm_weights.mlp`).
    """

    kind = ModelKind.MLP

    def __init__(self, w1, b1, w2, b2, w3, b3, activation="tanh", alpha=1.0) -> None:
        self.w1 = _f32(w1, what="w1")
        if self.w1.ndim != 2:
            raise ValueError(f"w1: shape {self.w1.shape}, expected (h, d)")
        h, d = self.w1.shape
        self.b1 = _f32(b1, what="b1").reshape(-1)
        self.w2 = _f32(w2, what="w2")
        self.b2 = _f32(b2, what="b2").reshape(-1)
        self.w3 = _f32(w3, what="w3").reshape(-1)
        b3 = _f32(b3, what="b3").reshape(-1)
        if b3.shape != (1,):
            raise ValueError(f"b3: {b3.size} values, expected one")
        self.b3 = b3[0]
        for name, arr, shape in (("b1", self.b1, (h,)), ("w2", self.w2, (h, h)),
                                 ("b2", self.b2, (h,)), ("w3", self.w3, (h,))):
            if arr.shape != shape:
                raise ValueError(f"{name}: shape {arr.shape}, expected {shape}")
        self.activation = Activation.parse(activation)
        self.alpha = np.float32(alpha)

    @property
    def d(self) -> int:
        return self.w1.shape[1]

    @property
    def h(self) -> int:
        return self.w1.shape[0]

    @classmethod
    def from_params(cls, d: int, h: int, activation, alpha, theta) -> "Mlp":
        theta = _f32(theta, (mlp_param_count(d, h),), "MLP parameters")
        o = 0

        def take(n):
            nonlocal o
            o += n
            return theta[o - n:o]

        w1 = take(h * d).reshape(h, d)
        b1 = take(h)
        w2 = take(h * h).reshape(h, h)
        b2, w3, b3 = take(h), take(h), take(1)
        return cls(w1, b1, w2, b2, w3, b3, activation, alpha)

    @classmethod
    def random(cls, d: int, h: int, activation="tanh", alpha=1.0, seed=0,
               scale: float = 1.0, bias_scale: float = 0.5) -> "Mlp":
        """Weights N(0, scale²/fan_in), biases N(0, bias_scale²) (NumPy's
        generator: not the same numbers as Rust's ``Mlp::init``)."""
        rng = np.random.default_rng(seed)
        return cls(
            rng.normal(size=(h, d)) * scale / math.sqrt(d),
            rng.normal(size=h) * bias_scale,
            rng.normal(size=(h, h)) * scale / math.sqrt(h),
            rng.normal(size=h) * bias_scale,
            rng.normal(size=h) * scale / math.sqrt(h),
            rng.normal() * bias_scale,
            activation,
            alpha,
        )

    def params(self) -> np.ndarray:
        return np.concatenate([
            self.w1.reshape(-1), self.b1, self.w2.reshape(-1), self.b2, self.w3,
            np.array([self.b3], dtype=np.float32),
        ]).astype(np.float32)

    def validate(self) -> None:
        self._validate_network()

    def _ints(self):
        return (self.d, self.h, int(self.activation))



class DeepMlp(_Network):
    """U(x) = w_out·zₙ₋₁ + b_out + ½α|x|²,  zₖ = σ(Wₖzₖ₋₁ + bₖ),  z₋₁ = x:
    1 to :data:`MAX_LAYERS` hidden layers of widths h₀, …, hₙ₋₁.

    `weights` and `biases` are lists of n arrays: ``weights[k]`` is hₖ×hₖ₋₁
    (h₋₁ = d; row j = unit j of layer k, as ``torch.nn.Linear`` stores it),
    ``biases[k]`` has hₖ values; `w_out` has hₙ₋₁ values, `b_out` is a
    scalar. Flat parameters, layer by layer: W₀ row by row, b₀, W₁, b₁, …,
    then w_out and b_out (:func:`deep_mlp_param_count` values); with two
    hidden layers of one width this is :class:`Mlp`'s order. d, n, the
    widths, the activation and α (> 0, fixed) live in the configuration
    block. :meth:`energy` and :meth:`energy_grad` evaluate it (see
    :mod:`tinyebm_weights.mlp`).
    """

    kind = ModelKind.DEEP_MLP

    def __init__(self, weights, biases, w_out, b_out, activation="tanh", alpha=1.0) -> None:
        weights, biases = list(weights), list(biases)
        if len(weights) != len(biases):
            raise ValueError(f"{len(weights)} weight matrices but {len(biases)} bias vectors")
        if not weights:
            raise Empty()
        self.weights, self.biases = [], []
        prev = None
        for k, (w, b) in enumerate(zip(weights, biases)):
            w = _f32(w, what=f"weights[{k}]")
            if w.ndim != 2 or (prev is not None and w.shape[1] != prev):
                raise ValueError(f"weights[{k}]: shape {w.shape}, expected (h{k}, "
                                 f"{'d' if prev is None else prev})")
            b = _f32(b, (w.shape[0],), f"biases[{k}]").reshape(-1)
            self.weights.append(w)
            self.biases.append(b)
            prev = w.shape[0]
        self.w_out = _f32(w_out, what="w_out").reshape(-1)
        if self.w_out.shape != (prev,):
            raise ValueError(f"w_out: shape {self.w_out.shape}, expected ({prev},)")
        b_out = _f32(b_out, what="b_out").reshape(-1)
        if b_out.shape != (1,):
            raise ValueError(f"b_out: {b_out.size} values, expected one")
        self.b_out = b_out[0]
        self.activation = Activation.parse(activation)
        self.alpha = np.float32(alpha)

    @property
    def d(self) -> int:
        return self.weights[0].shape[1]

    @property
    def widths(self) -> Tuple[int, ...]:
        """The hidden widths h₀, …, hₙ₋₁."""
        return tuple(w.shape[0] for w in self.weights)

    @property
    def layers(self) -> int:
        """The number of hidden layers n."""
        return len(self.weights)

    @classmethod
    def from_params(cls, d: int, widths: Sequence[int], activation, alpha, theta) -> "DeepMlp":
        widths = [int(h) for h in widths]
        theta = _f32(theta, (deep_mlp_param_count(d, widths),), "DeepMlp parameters")
        o, prev, ws, bs = 0, int(d), [], []
        for h in widths:
            ws.append(theta[o:o + h * prev].reshape(h, prev))
            o += h * prev
            bs.append(theta[o:o + h])
            o += h
            prev = h
        return cls(ws, bs, theta[o:o + prev], theta[o + prev:], activation, alpha)

    @classmethod
    def random(cls, d: int, widths: Sequence[int], activation="tanh", alpha=1.0, seed=0,
               scale: float = 1.0, bias_scale: float = 0.5) -> "DeepMlp":
        """Weights N(0, scale²/fan_in), biases N(0, bias_scale²) (NumPy's
        generator: not the same numbers as Rust's ``DeepMlp::init``)."""
        rng = np.random.default_rng(seed)
        ws, bs, prev = [], [], int(d)
        for h in widths:
            ws.append(rng.normal(size=(int(h), prev)) * scale / math.sqrt(prev))
            bs.append(rng.normal(size=int(h)) * bias_scale)
            prev = int(h)
        return cls(ws, bs, rng.normal(size=prev) * scale / math.sqrt(prev),
                   rng.normal() * bias_scale, activation, alpha)

    def params(self) -> np.ndarray:
        parts = []
        for w, b in zip(self.weights, self.biases):
            parts += [w.reshape(-1), b]
        parts += [self.w_out, np.array([self.b_out], dtype=np.float32)]
        return np.concatenate(parts).astype(np.float32)

    def validate(self) -> None:
        # What writing (Rust's DeepMlp::zeros) refuses, then loading's step 9.
        if self.layers > MAX_LAYERS:
            raise CapacityExceeded(self.layers, MAX_LAYERS)
        if self.d == 0 or 0 in self.widths:
            raise Empty()
        self._validate_network()

    def _ints(self):
        return (self.d, self.layers, *self.widths, int(self.activation))


    def __repr__(self) -> str:
        return f"DeepMlp(d={self.d}, widths={list(self.widths)}, params={self.num_params})"


_CLASSES = {
    ModelKind.GAUSSIAN: Gaussian,
    ModelKind.POLYNOMIAL: Polynomial,
    ModelKind.MIXTURE: Mixture,
    ModelKind.MLP: Mlp,
    ModelKind.DEEP_MLP: DeepMlp,
}


@dataclass(frozen=True)
class Header:
    """What :func:`peek` learns from a file's first bytes. Fields that do not
    apply to the kind are ``None``."""

    version: int
    kind: ModelKind
    d: int
    num_params: int
    encoded_len: int
    diagonal: Optional[bool] = None  # Gaussian
    degree: Optional[int] = None  # Polynomial
    k: Optional[int] = None  # Mixture
    h: Optional[int] = None  # Mlp
    activation: Optional[Activation] = None  # Mlp, DeepMlp
    widths: Optional[Tuple[int, ...]] = None  # DeepMlp: the hidden widths

    @property
    def layers(self) -> Optional[int]:
        """A DeepMlp's number of hidden layers (``None`` for other kinds)."""
        return None if self.widths is None else len(self.widths)

    @property
    def _int_len(self) -> int:
        if self.kind == ModelKind.DEEP_MLP:
            return 4 * (3 + len(self.widths))
        return 12 if self.kind == ModelKind.MLP else 8

    @property
    def _values_len(self) -> int:
        if self.kind == ModelKind.MIXTURE:
            return 4 * self.k * self.d
        return 4 if self.kind in (ModelKind.MLP, ModelKind.DEEP_MLP) else 0

    @property
    def _overflows(self) -> bool:
        """Whether Rust (64-bit usize) finds the sizes overflowing."""
        return self.num_params > _USIZE_MAX or self.encoded_len > _USIZE_MAX

    @property
    def _count_at(self) -> int:
        return _PREAMBLE + self._int_len + self._values_len


def _header(version, kind, d, **kw) -> Header:
    if kind == ModelKind.GAUSSIAN:
        p = d + (d if kw["diagonal"] else d * (d + 1) // 2)
    elif kind == ModelKind.POLYNOMIAL:
        p = num_monomials(d, kw["degree"])
    elif kind == ModelKind.MIXTURE:
        p = kw["k"] * (1 + d)
    elif kind == ModelKind.MLP:
        p = mlp_param_count(d, kw["h"])
    else:
        p = deep_mlp_param_count(d, kw["widths"])
    hd = Header(version, kind, d, p, 0, **kw)
    total = hd._count_at + 4 + 4 * p + 4
    return Header(version, kind, d, p, total, **kw)


class _Reader:
    """Bounds-checked little-endian reads; running off the end is Truncated."""

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def seek(self, pos: int) -> None:
        if pos > len(self.buf):
            raise Truncated(pos, len(self.buf))
        self.pos = pos

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.buf):
            raise Truncated(end, len(self.buf))
        b = self.buf[self.pos:end]
        self.pos = end
        return b

    def u16(self) -> int:
        return struct.unpack("<H", self._take(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self._take(4))[0]

    def size(self) -> int:
        v = self.u32()
        if v == 0:
            raise Empty()
        return v


def _read_prefix(r: _Reader, expected: Optional[ModelKind]) -> Header:
    """Validation steps 1–4."""
    buf = r.buf
    available = min(len(buf), len(MAGIC))
    if buf[:available] != MAGIC[:available]:
        raise BadMagic()
    r.seek(len(MAGIC))
    version = r.u16()
    if version != VERSION:
        raise UnsupportedVersion(version)
    code = r.u16()
    try:
        kind = ModelKind(code)
    except ValueError:
        kind = None
    if expected is not None and kind != expected:
        raise WrongModelKind(int(expected), code)
    if kind is None:
        raise CorruptData("unknown model kind")
    if kind == ModelKind.GAUSSIAN:
        d = r.size()
        flag = r.u32()
        if flag not in (0, 1):
            raise CorruptData("Gaussian storage flag is not 0 or 1")
        return _header(version, kind, d, diagonal=flag == 0)
    if kind == ModelKind.POLYNOMIAL:
        d = r.size()
        degree = r.u32()
        if degree > MAX_DEGREE:
            raise CapacityExceeded(degree, MAX_DEGREE)
        return _header(version, kind, d, degree=degree)
    if kind == ModelKind.MIXTURE:
        k = r.size()
        d = r.size()
        return _header(version, kind, d, k=k)
    if kind == ModelKind.MLP:
        d = r.size()
        h = r.size()
        code = r.u32()
        if code not in (0, 1, 2):
            raise CorruptData("unknown activation code")
        return _header(version, kind, d, h=h, activation=Activation(code))
    d = r.size()
    layers = r.size()
    if layers > MAX_LAYERS:
        raise CapacityExceeded(layers, MAX_LAYERS)
    widths = tuple(r.size() for _ in range(layers))
    code = r.u32()
    if code not in (0, 1, 2):
        raise CorruptData("unknown activation code")
    return _header(version, kind, d, widths=widths, activation=Activation(code))


def _check_size(requested: int, capacity: int) -> None:
    if requested == 0:
        raise Empty()
    if requested > capacity:
        raise CapacityExceeded(requested, capacity)


def _check_capacity(hd: Header, capacity: Optional[Mapping]) -> None:
    """Step 5: sizes against a device build's capacities, given per kind as
    the Rust type's const generics: Gaussian ``(D,)``, Polynomial ``(D, M)``,
    Mixture ``(K, D)``, Mlp ``(D, H)``, DeepMlp ``(D, H, L)`` (at most L + 1
    hidden layers, each at most H wide)."""
    if not capacity:
        return
    cap = capacity.get(hd.kind, capacity.get(hd.kind.name.lower()))
    if cap is None:
        return
    if hd.kind == ModelKind.GAUSSIAN:
        _check_size(hd.d, cap[0])
    elif hd.kind == ModelKind.POLYNOMIAL:
        _check_size(hd.d, cap[0])
        _check_size(hd.num_params, cap[1])
    elif hd.kind == ModelKind.MIXTURE:
        _check_size(hd.k, cap[0])
        _check_size(hd.d, cap[1])
    elif hd.kind == ModelKind.MLP:
        _check_size(hd.d, cap[0])
        _check_size(hd.h, cap[1])
    else:
        _check_size(hd.d, cap[0])
        _check_size(hd.layers, cap[2] + 1)
        for h in hd.widths:
            _check_size(h, cap[1])


#: Sizes whose parameter count or byte length overflow Rust's usize.
_OVERFLOW = "model sizes overflow usize"


def peek(data: Bytes) -> Header:
    """Kind, sizes and total length from the first bytes of a file
    (:data:`PEEK_LEN` suffice). Checks steps 1–4 only; sizes whose count or
    length overflow Rust's (64-bit) usize are ``CorruptData``, as in Rust."""
    hd = _read_prefix(_Reader(bytes(data)), None)
    if hd._overflows:
        raise CorruptData(_OVERFLOW)
    return hd


def loads(data: Bytes, kind: Union[ModelKind, int, str, None] = None,
          capacity: Optional[Mapping] = None) -> Model:
    """The model in `data`, validated as Rust's ``Persist::decode`` does.

    `kind` (optional) is the kind expected (another is
    :class:`~tinyebm_weights.errors.WrongModelKind`); `capacity` (optional)
    maps kinds to the sizes of a device build (see :func:`_check_capacity`),
    e.g. ``{ModelKind.MLP: (8, 32)}`` for ``Mlp<8, 32>``.
    """
    buf = bytes(data)
    if isinstance(kind, str):
        kind = ModelKind[kind.upper()]
    expected = None if kind is None else ModelKind(int(kind))
    r = _Reader(buf)
    hd = _read_prefix(r, expected)
    _check_capacity(hd, capacity)
    if hd._overflows:
        raise CorruptData(_OVERFLOW)
    count_at = hd._count_at
    r.seek(count_at)
    if r.u32() != hd.num_params:
        raise CorruptData("parameter count does not match the configuration")
    total = hd.encoded_len
    if len(buf) < total:
        raise Truncated(total, len(buf))
    if len(buf) > total:
        raise TrailingBytes(total, len(buf))
    (stored,) = struct.unpack("<I", buf[total - 4:])
    computed = zlib.crc32(buf[:total - 4]) & 0xFFFFFFFF
    if stored != computed:
        raise Checksum(stored, computed)
    values = np.frombuffer(buf, dtype="<f4", count=hd._values_len // 4,
                           offset=_PREAMBLE + hd._int_len).astype(np.float32)
    theta = np.frombuffer(buf, dtype="<f4", count=hd.num_params,
                          offset=count_at + 4).astype(np.float32)
    if hd.kind == ModelKind.GAUSSIAN:
        m = Gaussian.from_params(hd.d, hd.diagonal, theta)
    elif hd.kind == ModelKind.POLYNOMIAL:
        m = Polynomial(hd.d, hd.degree, theta)
    elif hd.kind == ModelKind.MIXTURE:
        k, d = hd.k, hd.d
        m = Mixture(theta[:k], theta[k:].reshape(k, d), values.reshape(k, d))
    elif hd.kind == ModelKind.MLP:
        m = Mlp.from_params(hd.d, hd.h, hd.activation, values[0], theta)
    else:
        m = DeepMlp.from_params(hd.d, hd.widths, hd.activation, values[0], theta)
    m.validate()
    return m


def load(path, kind=None, capacity=None) -> Model:
    """:func:`loads` of the file at `path`."""
    with open(path, "rb") as f:
        return loads(f.read(), kind=kind, capacity=capacity)


def dumps(model: Model, validate: bool = True) -> bytes:
    """`model` in the weight format. With `validate` (the default), a model
    Rust would refuse to load raises the same error instead of being written;
    ``validate=False`` writes it anyway (for tests of the loaders)."""
    if validate:
        model.validate()
    ints = list(model._ints())
    for v in ints:
        if not 0 <= v <= 0xFFFFFFFF:
            raise CapacityExceeded(v, 0xFFFFFFFF)
    theta = model.params()
    if len(theta) > 0xFFFFFFFF:
        raise CapacityExceeded(len(theta), 0xFFFFFFFF)
    body = b"".join([
        MAGIC,
        struct.pack("<HH", VERSION, int(model.kind)),
        struct.pack(f"<{len(ints)}I", *ints),
        model._values().astype("<f4").tobytes(),
        struct.pack("<I", len(theta)),
        theta.astype("<f4").tobytes(),
    ])
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def save(model: Model, path, validate: bool = True) -> None:
    """Writes :func:`dumps` of `model` to `path`."""
    model.save(path, validate=validate)
