//! The crate's error type: every fallible operation returns [`Error`], and a
//! failed operation leaves its object exactly as it was.

use core::fmt;

/// Why an operation was refused. The object it was called on is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Two sizes that must agree do not (e.g. energy dimension vs walkers).
    DimensionMismatch {
        /// The size required.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A size is above the compile-time capacity of the object.
    CapacityExceeded {
        /// The size asked for.
        requested: usize,
        /// The largest size available.
        capacity: usize,
    },
    /// A size that must be positive is zero.
    Empty,
    /// A configuration value is out of its domain (step size ≤ 0, β ≤ 0, …);
    /// the string names it.
    InvalidConfig(&'static str),
    /// The energy or its gradient is not finite at a point where it must be
    /// (initial positions, a ULA move, a refresh after a parameter change).
    NonFinite {
        /// The first walker concerned.
        walker: usize,
    },
    /// A user energy declined to evaluate (its callback returned `code ≠ 0`).
    EnergyDeclined {
        /// The first walker concerned.
        walker: usize,
        /// The callback's return code.
        code: i32,
    },
    /// Parameters handed to a model are not finite or violate its constraints.
    InvalidParameters(&'static str),
    /// A training step computed a value that is not finite (the string names
    /// it: data point, gradient, parameters, walker energies, weights…) and
    /// was refused; the trainer's parameters, optimiser state and collected
    /// batch are as they were.
    NotFinite(&'static str),
    /// Weight file: the first four bytes are not `TEBM`.
    BadMagic,
    /// Weight file: a format version this build cannot read.
    UnsupportedVersion(u16),
    /// Weight file: it holds another model kind than the one being loaded
    /// (codes as in [`ModelKind`](crate::weights::ModelKind)).
    WrongModelKind {
        /// The kind being loaded.
        expected: u16,
        /// The kind code in the file.
        found: u16,
    },
    /// Weight file: it ends before the data it describes.
    Truncated {
        /// Bytes needed (at least).
        needed: usize,
        /// Bytes available.
        found: usize,
    },
    /// Weight file: bytes follow the checksum.
    TrailingBytes {
        /// The length the header describes.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// Weight file: the CRC-32 over the contents does not match the stored one.
    Checksum {
        /// The CRC-32 stored in the file.
        stored: u32,
        /// The CRC-32 of the bytes before it.
        computed: u32,
    },
    /// Weight file: a header field is out of its domain (unknown code,
    /// inconsistent count); the string names it.
    CorruptData(&'static str),
    /// Too few data points for what was asked (e.g. a calibrated threshold
    /// with false-alarm rate α needs at least ⌈1/α⌉ − 1 points).
    TooFewPoints {
        /// Points needed (at least).
        needed: usize,
        /// Points given.
        found: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::DimensionMismatch { expected, found } => {
                write!(f, "dimension mismatch: expected {expected}, found {found}")
            }
            Error::CapacityExceeded {
                requested,
                capacity,
            } => {
                write!(f, "size {requested} exceeds capacity {capacity}")
            }
            Error::Empty => write!(f, "size must be at least 1"),
            Error::InvalidConfig(what) => write!(f, "invalid configuration: {what}"),
            Error::NonFinite { walker } => {
                write!(f, "non-finite energy or gradient at walker {walker}")
            }
            Error::EnergyDeclined { walker, code } => {
                write!(f, "energy callback returned {code} at walker {walker}")
            }
            Error::InvalidParameters(what) => write!(f, "invalid model parameters: {what}"),
            Error::NotFinite(what) => write!(f, "non-finite {what}: training step refused"),
            Error::BadMagic => write!(f, "not a tinyebm weight file (bad magic)"),
            Error::UnsupportedVersion(v) => {
                write!(f, "unsupported weight format version {v}")
            }
            Error::WrongModelKind { expected, found } => {
                write!(
                    f,
                    "weight file holds model kind {found}, expected {expected}"
                )
            }
            Error::Truncated { needed, found } => {
                write!(f, "truncated: need at least {needed} bytes, found {found}")
            }
            Error::TrailingBytes { expected, found } => {
                write!(
                    f,
                    "trailing bytes: the file is {expected} bytes, found {found}"
                )
            }
            Error::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Error::CorruptData(what) => write!(f, "corrupt weight file: {what}"),
            Error::TooFewPoints { needed, found } => {
                write!(f, "too few points: need at least {needed}, found {found}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// Checks `requested` against a compile-time `capacity` and against zero.
pub(crate) fn check_size(requested: usize, capacity: usize) -> Result<(), Error> {
    if requested == 0 {
        Err(Error::Empty)
    } else if requested > capacity {
        Err(Error::CapacityExceeded {
            requested,
            capacity,
        })
    } else {
        Ok(())
    }
}

/// Checks that two sizes agree.
pub(crate) fn check_dim(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::DimensionMismatch { expected, found })
    }
}

/// Checks that a configuration value is finite and strictly positive.
pub(crate) fn check_positive(v: f32, what: &'static str) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidConfig(what))
    }
}
