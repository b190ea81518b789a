"""PyTorch side of the bridge (imports torch; the rest of the package does not).

:class:`TinyEbmMlp` is the tinyebm MLP energy as an ``nn.Module``: three
``nn.Linear`` layers ``fc1`` (d→h), ``fc2`` (h→h), ``out`` (h→1), the
activation, and the confinement α as a buffer. ``forward(x)`` returns U(x)
for a batch (n, d) → (n,), so ∇ₓU comes from autograd (:meth:`energy_grad`).

Conversions:

* ``TinyEbmMlp.from_tebm(path_or_bytes_or_Mlp)`` and ``module.to_tebm(path=None)``;
* ``TinyEbmMlp.from_state_dict(sd, activation=…, alpha=…)`` and
  ``module.state_dict()`` (keys ``fc1.weight``, ``fc1.bias``, ``fc2.weight``,
  ``fc2.bias``, ``out.weight``, ``out.bias``, ``alpha``);
* :func:`mlp_from_state_dict` / :func:`mlp_to_state_dict` between a
  :class:`~tinyebm_weights.format.Mlp` and any state dict holding three
  linear layers in order (e.g. ``nn.Sequential(Linear, Tanh, Linear, Tanh,
  Linear)``: keys ``0.*``, ``2.*``, ``4.*``).

Weights are float32 in the file: a float64 module is rounded when written.
"""

from __future__ import annotations

import io
import os
from typing import Mapping, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .format import Activation, Mlp, Model, loads

_KEYS = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias")


def _np32(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu()
        if t.dtype != torch.float32:
            t = t.to(torch.float32)
        return t.numpy().copy()
    return np.array(t, dtype=np.float32)


def _linear_layers(sd: Mapping):
    """The (weight, bias) pairs of the three linear layers of `sd`, in order."""
    weights = [k for k, v in sd.items() if k.endswith("weight") and np.ndim(_np32(v)) == 2]
    if len(weights) != 3:
        raise ValueError(
            f"expected three linear layers (d→h, h→h, h→1) in the state dict, found "
            f"{len(weights)} two-dimensional weights: {weights}")
    layers = []
    for k in weights:
        bias = k[: -len("weight")] + "bias"
        if bias not in sd:
            raise ValueError(f"{k} has no bias {bias} (tinyebm's layers all have biases)")
        layers.append((_np32(sd[k]), _np32(sd[bias])))
    return layers


def mlp_from_state_dict(sd: Mapping, activation=None, alpha=None) -> Mlp:
    """An :class:`Mlp` from a state dict of three linear layers d→h→h→1.

    `activation` and `alpha` default to the dict's ``activation``/``alpha``
    entries when present (a :class:`TinyEbmMlp` stores ``alpha``)."""
    if alpha is None:
        if "alpha" not in sd:
            raise ValueError("alpha: not in the state dict, pass alpha=")
        alpha = float(_np32(sd["alpha"]).reshape(-1)[0])
    if activation is None:
        if "activation" not in sd:
            raise ValueError("activation: not in the state dict, pass activation=")
        activation = sd["activation"]
    (w1, b1), (w2, b2), (w3, b3) = _linear_layers(sd)
    if w3.shape[0] != 1:
        raise ValueError(f"last layer: {w3.shape[0]} outputs, expected 1")
    return Mlp(w1, b1, w2, b2, w3.reshape(-1), b3.reshape(-1), activation, alpha)


def mlp_to_state_dict(m: Mlp, prefix_keys=_KEYS) -> dict:
    """A state dict (float32 tensors) of `m`, keys as :class:`TinyEbmMlp`'s
    (or `prefix_keys`, six names: W₁, b₁, W₂, b₂, w₃, b₃; e.g.
    ``("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")``
    for an ``nn.Sequential``), plus ``alpha``."""
    tensors = (m.w1, m.b1, m.w2, m.b2, m.w3.reshape(1, -1), np.array([m.b3], dtype=np.float32))
    sd = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in zip(prefix_keys, tensors)}
    sd["alpha"] = torch.tensor(float(m.alpha), dtype=torch.float32)
    return sd


def activation_fn(act):
    """The torch function for an activation."""
    act = Activation.parse(act)
    return {Activation.TANH: torch.tanh, Activation.SILU: F.silu,
            Activation.SOFTPLUS: F.softplus}[act]


def _softplus_exact(a: torch.Tensor) -> torch.Tensor:
    # max(a, 0) + log1p(e^{−|a|}): tinyebm's form (F.softplus switches to
    # the identity above 20, within e^{−20} of it).
    return torch.clamp(a, min=0) + torch.log1p(torch.exp(-a.abs()))


class TinyEbmMlp(nn.Module):
    """U(x) = w₃·σ(W₂σ(W₁x + b₁) + b₂) + b₃ + ½α|x|², sizes d → h → h → 1."""

    def __init__(self, d: int, h: int, activation="tanh", alpha: float = 1.0,
                 dtype=torch.float32) -> None:
        super().__init__()
        self.activation = Activation.parse(activation)
        self.fc1 = nn.Linear(d, h, dtype=dtype)
        self.fc2 = nn.Linear(h, h, dtype=dtype)
        self.out = nn.Linear(h, 1, dtype=dtype)
        self.register_buffer("alpha", torch.tensor(float(np.float32(alpha)), dtype=dtype))
        if self.activation == Activation.SOFTPLUS:
            self._act = _softplus_exact
        else:
            self._act = activation_fn(self.activation)

    @property
    def d(self) -> int:
        return self.fc1.in_features

    @property
    def h(self) -> int:
        return self.fc1.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """U for a batch (n, d) → (n,), or a point (d,) → ()."""
        z = self._act(self.fc1(x))
        z = self._act(self.fc2(z))
        return self.out(z).squeeze(-1) + 0.5 * self.alpha * (x * x).sum(-1)

    def energy_grad(self, x: torch.Tensor):
        """(U, ∇ₓU) by autograd, detached."""
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            u = self.forward(x)
            (g,) = torch.autograd.grad(u.sum(), x)
        return u.detach(), g.detach()

    def extra_repr(self) -> str:
        return f"activation={self.activation.label}, alpha={float(self.alpha)}"

    # Conversions.

    @classmethod
    def from_mlp(cls, m: Mlp, dtype=torch.float32) -> "TinyEbmMlp":
        """A module with `m`'s weights (exact in float32)."""
        mod = cls(m.d, m.h, m.activation, float(m.alpha), dtype=dtype)
        sd = mlp_to_state_dict(m)
        mod.load_state_dict({k: v.to(dtype) for k, v in sd.items()})
        return mod

    def to_mlp(self) -> Mlp:
        """The :class:`Mlp` of this module's weights, rounded to float32."""
        return mlp_from_state_dict(self.state_dict(), self.activation, float(self.alpha))

    @classmethod
    def from_tebm(cls, src: Union[str, os.PathLike, bytes, bytearray, Mlp],
                  dtype=torch.float32) -> "TinyEbmMlp":
        """A module from a ``.tebm`` MLP file (a path, its bytes or an
        :class:`Mlp`); the file is validated as Rust does."""
        if isinstance(src, Model):
            m = src
        elif isinstance(src, (bytes, bytearray, memoryview)):
            m = loads(src, kind="mlp")
        else:
            with open(src, "rb") as f:
                m = loads(f.read(), kind="mlp")
        return cls.from_mlp(m, dtype=dtype)

    def to_tebm(self, path: Optional[Union[str, os.PathLike]] = None) -> bytes:
        """The ``.tebm`` bytes of this module (written to `path` if given).
        Raises (as Rust's loader would refuse it) for α ≤ 0 or non-finite
        weights."""
        data = self.to_mlp().to_bytes()
        if path is not None:
            with open(path, "wb") as f:
                f.write(data)
        return data

    @classmethod
    def from_state_dict(cls, sd: Mapping, activation=None, alpha=None,
                        dtype=torch.float32) -> "TinyEbmMlp":
        """A module from any state dict of three linear layers (see
        :func:`mlp_from_state_dict`)."""
        return cls.from_mlp(mlp_from_state_dict(sd, activation, alpha), dtype=dtype)


def tebm_to_state_dict(src, keys=_KEYS) -> dict:
    """The state dict of a ``.tebm`` MLP file (path or bytes)."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        m = loads(src, kind="mlp")
    else:
        with open(src, "rb") as f:
            m = loads(f.read(), kind="mlp")
    return mlp_to_state_dict(m, keys)


def state_dict_to_tebm(sd: Mapping, activation=None, alpha=None, path=None) -> bytes:
    """The ``.tebm`` bytes of a state dict of three linear layers."""
    data = mlp_from_state_dict(sd, activation, alpha).to_bytes()
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
    return data
