"""Exceptions raised when a weight file is refused.

One class per variant of the Rust ``tinyebm::Error`` that loading can return,
all subclasses of :class:`WeightFormatError` (itself a ``ValueError``). Each
class names its Rust variant in ``rust_variant``, so a test can check that
Python and Rust refuse a file for the same reason.
"""

from __future__ import annotations

from typing import Tuple


class WeightFormatError(ValueError):
    """A weight file (or a model about to be written) is not valid."""

    #: The name of the matching ``tinyebm::Error`` variant.
    rust_variant = ""


class _Variant(WeightFormatError):
    """A variant of ``_VARIANTS``: the constructor takes the values of
    ``fields`` in order, keeps each as the attribute of that name, and formats
    ``message`` with them."""

    fields: Tuple[str, ...] = ()
    message = ""

    def __init__(self, *values) -> None:
        if len(values) != len(self.fields):
            raise TypeError(f"{type(self).__name__}{self.fields}: got {len(values)} values")
        named = dict(zip(self.fields, values))
        vars(self).update(named)
        super().__init__(self.message.format(**named))


#: One row per variant: its name (the Rust variant's), its fields, its message
#: and its doc.
_VARIANTS = (
    ("BadMagic", (), "not a tinyebm weight file (bad magic)", "The first four bytes are not ``TEBM``."),
    ("UnsupportedVersion", ("version",), "unsupported weight format version {version}",
     "A format version this reader cannot read."),
    ("WrongModelKind", ("expected", "found"), "weight file holds model kind {found}, expected {expected}",
     "The file holds another model kind than the one asked for."),
    ("Truncated", ("needed", "found"), "truncated: need at least {needed} bytes, found {found}",
     "The file ends before the data it describes."),
    ("TrailingBytes", ("expected", "found"), "trailing bytes: the file is {expected} bytes, found {found}",
     "Bytes follow the checksum."),
    ("Checksum", ("stored", "computed"), "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}",
     "The stored CRC-32 does not match the bytes before it."),
    ("CorruptData", ("what",), "corrupt weight file: {what}",
     "A header field is out of its domain (unknown code, inconsistent count)."),
    ("Empty", (), "size must be at least 1", "A size that must be at least 1 is zero."),
    ("CapacityExceeded", ("requested", "capacity"), "size {requested} exceeds capacity {capacity}",
     "A size is above a limit (the polynomial degree, or a given capacity)."),
    ("InvalidConfig", ("what",), "invalid configuration: {what}",
     "A fixed configuration value (the MLP's α) is out of its domain."),
    ("InvalidParameters", ("what",), "invalid model parameters: {what}",
     "Parameters (or σ) are not finite or violate the model's constraints."),
)

for _name, _fields, _message, _doc in _VARIANTS:
    globals()[_name] = type(_name, (_Variant,), {
        "__doc__": _doc, "__module__": __name__, "rust_variant": _name,
        "fields": _fields, "message": _message,
    })

__all__ = ["WeightFormatError", *(row[0] for row in _VARIANTS)]
del _name, _fields, _message, _doc
