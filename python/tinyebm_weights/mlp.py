"""The MLP energies in NumPy, with their gradient in x written out by hand.

    U(x) = w₃·σ(a₂) + b₃ + ½α|x|²,   a₂ = W₂σ(a₁) + b₂,   a₁ = W₁x + b₁
    ∇ₓU = W₁ᵀ δ₁ + αx,   δ₁ = σ'(a₁) ⊙ W₂ᵀ δ₂,   δ₂ = w₃ ⊙ σ'(a₂)

and, for a :class:`~tinyebm_weights.format.DeepMlp` of n hidden layers,

    U(x) = w_out·zₙ₋₁ + b_out + ½α|x|²,   zₖ = σ(aₖ),   aₖ = Wₖzₖ₋₁ + bₖ,   z₋₁ = x
    ∇ₓU = W₀ᵀ δ₀ + αx,   δₙ₋₁ = w_out ⊙ σ'(aₙ₋₁),   δₖ₋₁ = σ'(aₖ₋₁) ⊙ Wₖᵀ δₖ

(an Mlp is the DeepMlp with two hidden layers of one width), with σ one of (``src/activation.rs``):

* tanh:      σ = tanh a,                        σ' = 1 − σ²
* SiLU:      σ = a·s(a),                        σ' = s(a)·(1 + a(1 − s(a)))
* softplus:  σ = max(a, 0) + ln(1 + e^{−|a|}),  σ' = s(a)

where s is the logistic function, computed without overflow. Rust evaluates
in f32 (its tanh is a rational approximation within 4.2e-7); this module
computes in float64 by default from the file's float32 weights, which is the
reference the Rust values are compared with.
"""

from __future__ import annotations

import numpy as np

from .format import Activation, Mlp


def logistic(a: np.ndarray) -> np.ndarray:
    """1/(1 + e^{−a}) without overflow."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation_value_slope(act, a: np.ndarray):
    """(σ(a), σ'(a)) elementwise."""
    act = Activation.parse(act)
    if act == Activation.TANH:
        t = np.tanh(a)
        return t, 1.0 - t * t
    s = logistic(a)
    if act == Activation.SILU:
        return a * s, s * (1.0 + a * (1.0 - s))
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a))), s


def _layers(m, dtype):
    """([(W₀, b₀), …, (Wₙ₋₁, bₙ₋₁)], w_out, b_out, α) of an :class:`Mlp`
    (two hidden layers) or a :class:`DeepMlp`, in `dtype`."""
    if isinstance(m, Mlp):
        wb = [(m.w1, m.b1), (m.w2, m.b2)]
        w_out, b_out = m.w3, m.b3
    else:
        wb = list(zip(m.weights, m.biases))
        w_out, b_out = m.w_out, m.b_out
    return ([(w.astype(dtype), b.astype(dtype)) for w, b in wb],
            w_out.astype(dtype), dtype(b_out), dtype(m.alpha))


def _points(m, x, dtype):
    x = np.asarray(x, dtype=dtype)
    single = x.ndim == 1
    x2 = np.atleast_2d(x)
    if x2.ndim != 2 or x2.shape[1] != m.d:
        raise ValueError(f"points: shape {x.shape}, expected ({m.d},) or (n, {m.d})")
    return x2, single


def energy_grad(m, x, dtype=np.float64):
    """(U, ∇ₓU) of an :class:`Mlp` or a :class:`DeepMlp`: at one point `x`
    of shape (d,), a scalar and a (d,) array; at a batch of shape (n, d),
    arrays of shapes (n,) and (n, d)."""
    x2, single = _points(m, x, dtype)
    layers, w_out, b_out, alpha = _layers(m, dtype)
    z, slopes = x2, []
    for w, b in layers:
        z, s = activation_value_slope(m.activation, z @ w.T + b)
        slopes.append(s)
    u = z @ w_out + b_out + 0.5 * alpha * np.sum(x2 * x2, axis=1)
    delta = slopes[-1] * w_out
    for k in range(len(layers) - 1, 0, -1):
        delta = slopes[k - 1] * (delta @ layers[k][0])
    g = delta @ layers[0][0] + alpha * x2
    return (u[0], g[0]) if single else (u, g)


def energy(m, x, dtype=np.float64):
    """U at one point (a scalar) or a batch (an (n,) array)."""
    return energy_grad(m, x, dtype)[0]


def _magnitudes(act, a: np.ndarray):
    """Sums of the absolute values of the terms that form σ(a) and σ'(a):
    the scale of their rounding errors (e.g. 1 + tanh² for 1 − tanh²)."""
    act = Activation.parse(act)
    if act == Activation.TANH:
        t = np.tanh(a)
        return np.abs(t), 1.0 + t * t
    s = logistic(a)
    if act == Activation.SILU:
        return np.abs(a) * s, s * (1.0 + np.abs(a) * (1.0 - s))
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a))), s


def error_scale(m, x):
    """The scale of the rounding errors of U and ∇ₓU at `x` (shapes as
    :func:`energy_grad`): the same passes run on absolute values, so every
    sum is replaced by the sum of the absolute values of its terms, and each
    layer's input error carried through σ'. An f32 evaluation such as
    Rust's (or a float32 ``TinyEbmMlp``) differs from the exact value by a
    few units of 1e-7 times this scale, while its plain relative error can be
    arbitrarily large where U or a component of ∇U nearly cancels."""
    x2, single = _points(m, x, np.float64)
    layers, w_out, b_out, alpha = _layers(m, np.float64)
    z, z_scale, slopes, mag_slopes = x2, np.abs(x2), [], []
    for w, b in layers:
        a = z @ w.T + b
        z, s = activation_value_slope(m.activation, a)
        v, ms = _magnitudes(m.activation, a)
        big = z_scale @ np.abs(w).T + np.abs(b)
        z_scale = v + np.abs(s) * big
        slopes.append(s)
        mag_slopes.append(ms)
    su = z_scale @ np.abs(w_out) + np.abs(b_out) + 0.5 * alpha * np.sum(x2 * x2, axis=1)
    d = mag_slopes[-1] * np.abs(w_out)
    for k in range(len(layers) - 1, 0, -1):
        d = mag_slopes[k - 1] * (d @ np.abs(layers[k][0]))
    sg = d @ np.abs(layers[0][0]) + alpha * np.abs(x2)
    return (su[0], sg[0]) if single else (su, sg)
