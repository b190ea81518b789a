"""Read and write tinyebm's portable weight files (``.tebm``) from Python.

Pure Python + NumPy; the PyTorch bridge (:mod:`tinyebm_weights.torch_bridge`,
``TinyEbmMlp``) is imported only when asked for. See ``docs/python.md``.

    >>> import tinyebm_weights as tw
    >>> m = tw.Mlp.random(d=2, h=8, activation="silu", alpha=0.5, seed=1)
    >>> data = m.to_bytes()
    >>> tw.loads(data) == m
    True
"""

from . import errors
from .errors import *  # noqa: F401,F403 (the exceptions, errors.__all__)
from .format import (
    MAGIC,
    MAX_DEGREE,
    MAX_LAYERS,
    PEEK_LEN,
    VERSION,
    Activation,
    DeepMlp,
    Gaussian,
    Header,
    Mixture,
    Mlp,
    Model,
    ModelKind,
    Polynomial,
    deep_mlp_param_count,
    dumps,
    exponents,
    load,
    loads,
    mlp_param_count,
    num_monomials,
    peek,
    save,
)
from .mlp import energy, energy_grad

__all__ = [
    "errors", *errors.__all__,
    "MAGIC", "VERSION", "MAX_DEGREE", "MAX_LAYERS", "PEEK_LEN", "ModelKind", "Activation", "Header",
    "Model", "Gaussian", "Polynomial", "Mixture", "Mlp", "DeepMlp",
    "peek", "loads", "load", "dumps", "save", "exponents", "num_monomials",
    "mlp_param_count", "deep_mlp_param_count", "energy", "energy_grad",
]


def __getattr__(name):
    # `tinyebm_weights.TinyEbmMlp` imports torch on first use only.
    # (import_module, not `from . import`: that form looks the name up on
    # this module first, which would call __getattr__ again.)
    if name in ("TinyEbmMlp", "torch_bridge"):
        import importlib

        bridge = importlib.import_module(".torch_bridge", __name__)
        return bridge if name == "torch_bridge" else bridge.TinyEbmMlp
    raise AttributeError(f"module 'tinyebm_weights' has no attribute {name!r}")
