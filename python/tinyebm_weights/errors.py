"""Exceptions raised when a weight file is refused.

One class per variant of the Rust ``tinyebm::Error`` that loading can return,
all subclasses of :class:`WeightFormatError` (itself a ``ValueError``). Each
class names its Rust variant in ``rust_variant``, so a test can check that
Python and Rust refuse a file for the same reason.
"""

from __future__ import annotations


class WeightFormatError(ValueError):
    """A weight file (or a model about to be written) is not valid."""

    #: The name of the matching ``tinyebm::Error`` variant.
    rust_variant = ""


class BadMagic(WeightFormatError):
    """The first four bytes are not ``TEBM``."""

    rust_variant = "BadMagic"

    def __init__(self) -> None:
        super().__init__("not a tinyebm weight file (bad magic)")


class UnsupportedVersion(WeightFormatError):
    """A format version this reader cannot read."""

    rust_variant = "UnsupportedVersion"

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(f"unsupported weight format version {version}")


class WrongModelKind(WeightFormatError):
    """The file holds another model kind than the one asked for."""

    rust_variant = "WrongModelKind"

    def __init__(self, expected: int, found: int) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"weight file holds model kind {found}, expected {expected}")


class Truncated(WeightFormatError):
    """The file ends before the data it describes."""

    rust_variant = "Truncated"

    def __init__(self, needed: int, found: int) -> None:
        self.needed, self.found = needed, found
        super().__init__(f"truncated: need at least {needed} bytes, found {found}")


class TrailingBytes(WeightFormatError):
    """Bytes follow the checksum."""

    rust_variant = "TrailingBytes"

    def __init__(self, expected: int, found: int) -> None:
        self.expected, self.found = expected, found
        super().__init__(f"trailing bytes: the file is {expected} bytes, found {found}")


class Checksum(WeightFormatError):
    """The stored CRC-32 does not match the bytes before it."""

    rust_variant = "Checksum"

    def __init__(self, stored: int, computed: int) -> None:
        self.stored, self.computed = stored, computed
        super().__init__(
            f"checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
        )


class CorruptData(WeightFormatError):
    """A header field is out of its domain (unknown code, inconsistent count)."""

    rust_variant = "CorruptData"

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"corrupt weight file: {what}")


class Empty(WeightFormatError):
    """A size that must be at least 1 is zero."""

    rust_variant = "Empty"

    def __init__(self) -> None:
        super().__init__("size must be at least 1")


class CapacityExceeded(WeightFormatError):
    """A size is above a limit (the polynomial degree, or a given capacity)."""

    rust_variant = "CapacityExceeded"

    def __init__(self, requested: int, capacity: int) -> None:
        self.requested, self.capacity = requested, capacity
        super().__init__(f"size {requested} exceeds capacity {capacity}")


class InvalidConfig(WeightFormatError):
    """A fixed configuration value (the MLP's α) is out of its domain."""

    rust_variant = "InvalidConfig"

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"invalid configuration: {what}")


class InvalidParameters(WeightFormatError):
    """Parameters (or σ) are not finite or violate the model's constraints."""

    rust_variant = "InvalidParameters"

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"invalid model parameters: {what}")
