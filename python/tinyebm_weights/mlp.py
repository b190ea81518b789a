"""The MLP energy in NumPy, with its gradient in x written out by hand.

    U(x) = w₃·σ(a₂) + b₃ + ½α|x|²,   a₂ = W₂σ(a₁) + b₂,   a₁ = W₁x + b₁
    ∇ₓU = W₁ᵀ δ₁ + αx,   δ₁ = σ'(a₁) ⊙ W₂ᵀ δ₂,   δ₂ = w₃ ⊙ σ'(a₂)

with σ one of (``src/activation.rs``):

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


def _weights(m: Mlp, dtype):
    return (m.w1.astype(dtype), m.b1.astype(dtype), m.w2.astype(dtype),
            m.b2.astype(dtype), m.w3.astype(dtype), dtype(m.b3), dtype(m.alpha))


def _points(m: Mlp, x, dtype):
    x = np.asarray(x, dtype=dtype)
    single = x.ndim == 1
    x2 = np.atleast_2d(x)
    if x2.ndim != 2 or x2.shape[1] != m.d:
        raise ValueError(f"points: shape {x.shape}, expected ({m.d},) or (n, {m.d})")
    return x2, single


def energy_grad(m: Mlp, x, dtype=np.float64):
    """(U, ∇ₓU): at one point `x` of shape (d,), a scalar and a (d,) array;
    at a batch of shape (n, d), arrays of shapes (n,) and (n, d)."""
    x2, single = _points(m, x, dtype)
    w1, b1, w2, b2, w3, b3, alpha = _weights(m, dtype)
    z1, s1 = activation_value_slope(m.activation, x2 @ w1.T + b1)
    z2, s2 = activation_value_slope(m.activation, z1 @ w2.T + b2)
    u = z2 @ w3 + b3 + 0.5 * alpha * np.sum(x2 * x2, axis=1)
    delta2 = s2 * w3
    delta1 = s1 * (delta2 @ w2)
    g = delta1 @ w1 + alpha * x2
    return (u[0], g[0]) if single else (u, g)


def energy(m: Mlp, x, dtype=np.float64):
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


def error_scale(m: Mlp, x):
    """The scale of the rounding errors of U and ∇ₓU at `x` (shapes as
    :func:`energy_grad`): the same passes run on absolute values, so every
    sum is replaced by the sum of the absolute values of its terms, and each
    layer's input error carried through σ'. An f32 evaluation such as
    Rust's (or a float32 ``TinyEbmMlp``) differs from the exact value by a
    few units of 1e-7 times this scale, while its plain relative error can be
    arbitrarily large where U or a component of ∇U nearly cancels."""
    x2, single = _points(m, x, np.float64)
    w1, b1, w2, b2, w3, b3, alpha = _weights(m, np.float64)
    a1 = x2 @ w1.T + b1
    z1, s1 = activation_value_slope(m.activation, a1)
    a2 = z1 @ w2.T + b2
    _, s2 = activation_value_slope(m.activation, a2)
    v1, ms1 = _magnitudes(m.activation, a1)
    v2, ms2 = _magnitudes(m.activation, a2)
    big1 = np.abs(x2) @ np.abs(w1).T + np.abs(b1)
    z1_scale = v1 + np.abs(s1) * big1
    big2 = z1_scale @ np.abs(w2).T + np.abs(b2)
    z2_scale = v2 + np.abs(s2) * big2
    su = z2_scale @ np.abs(w3) + np.abs(b3) + 0.5 * alpha * np.sum(x2 * x2, axis=1)
    d2 = ms2 * np.abs(w3)
    d1 = ms1 * (d2 @ np.abs(w2))
    sg = d1 @ np.abs(w1) + alpha * np.abs(x2)
    return (su[0], sg[0]) if single else (su, sg)
