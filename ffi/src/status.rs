//! Status codes, their messages, and NUL-terminated strings into C buffers.

use core::ffi::c_char;
use core::fmt;

use ebm::Error;

/// What a call did. `TEBM_STATUS_OK` (0) is success; every other value is a
/// failure that left the objects involved unchanged.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TebmStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument is NULL.
    NullPointer = 1,
    /// A size is zero, or two sizes that must agree do not (e.g. the
    /// energy's dimension and the sampler's, a buffer of the wrong length).
    BadDimension = 2,
    /// A size is above a compile-time capacity (`TEBM_MAX_*`).
    CapacityExceeded = 3,
    /// A caller buffer (object memory or output array) is too small. Text
    /// outputs are still written, truncated and NUL-terminated.
    BufferTooSmall = 4,
    /// Object memory is not aligned as `tebm_*_align()` requires.
    Misaligned = 5,
    /// An energy or gradient is not finite where it must be (initial
    /// positions, a ULA move).
    NonFinite = 6,
    /// A configuration value is out of range (step size ≤ 0, β ≤ 0, an
    /// unknown kernel, …).
    BadConfig = 7,
    /// Model parameters are not finite or violate the model's constraints.
    BadParameters = 8,
    /// A weight file is malformed: bad magic, unsupported format version,
    /// another model kind than expected, an inconsistent header field, bytes
    /// after the checksum (the detailed reason: `tebm_weights_check`).
    CorruptData = 9,
    /// The energy callback returned a non-zero code.
    CallbackError = 10,
    /// The handle does not point to an initialised object.
    NotInitialised = 11,
    /// The handle points to a tinyebm object of another type.
    WrongObject = 12,
    /// An index is out of range (reserved for indexed accessors of later
    /// rounds; no function returns it yet).
    OutOfRange = 13,
    /// An error the C API does not know yet (a newer core); see the
    /// sampler's last error for its text.
    Unknown = 14,
    /// A weight file ends before the data its header describes (an input
    /// that is too short; `BUFFER_TOO_SMALL` is for output buffers).
    Truncated = 15,
    /// A weight file's CRC-32 does not match its contents (damaged bytes).
    Checksum = 16,
    /// The object is in use by another call: an energy callback called a
    /// function on the object whose step is calling it, or two threads used
    /// one object at once. Nothing was done.
    Busy = 17,
}

/// Number of status codes: valid `TebmStatus` values are `0 ..
/// TEBM_STATUS_COUNT`.
pub const TEBM_STATUS_COUNT: i32 = 18;

impl From<Error> for TebmStatus {
    fn from(e: Error) -> Self {
        match e {
            Error::DimensionMismatch { .. } | Error::Empty => TebmStatus::BadDimension,
            Error::CapacityExceeded { .. } => TebmStatus::CapacityExceeded,
            Error::InvalidConfig(_) => TebmStatus::BadConfig,
            Error::NonFinite { .. } => TebmStatus::NonFinite,
            Error::EnergyDeclined { .. } => TebmStatus::CallbackError,
            Error::InvalidParameters(_) => TebmStatus::BadParameters,
            Error::NotFinite(_) => TebmStatus::NonFinite,
            Error::BadMagic
            | Error::UnsupportedVersion(_)
            | Error::WrongModelKind { .. }
            | Error::TrailingBytes { .. }
            | Error::CorruptData(_) => TebmStatus::CorruptData,
            Error::Truncated { .. } => TebmStatus::Truncated,
            Error::Checksum { .. } => TebmStatus::Checksum,
            // `Error` is #[non_exhaustive]: variants added later land here.
            _ => TebmStatus::Unknown,
        }
    }
}

impl TebmStatus {
    /// The fixed message of a status.
    pub(crate) fn message(self) -> &'static str {
        match self {
            TebmStatus::Ok => "ok",
            TebmStatus::NullPointer => "a required pointer argument is NULL",
            TebmStatus::BadDimension => "size is zero or sizes do not agree",
            TebmStatus::CapacityExceeded => "size exceeds a compile-time capacity",
            TebmStatus::BufferTooSmall => "buffer too small",
            TebmStatus::Misaligned => "object memory is misaligned",
            TebmStatus::NonFinite => "non-finite value (energy, gradient, data point or update)",
            TebmStatus::BadConfig => "invalid configuration value",
            TebmStatus::BadParameters => "invalid model parameters",
            TebmStatus::CorruptData => "corrupt weight data (bad magic, version, kind or field)",
            TebmStatus::CallbackError => "the energy callback returned an error",
            TebmStatus::NotInitialised => "handle does not point to an initialised object",
            TebmStatus::WrongObject => "handle points to an object of another type",
            TebmStatus::OutOfRange => "index out of range",
            TebmStatus::Unknown => "unknown error",
            TebmStatus::Truncated => "input data truncated",
            TebmStatus::Checksum => "checksum mismatch",
            TebmStatus::Busy => "object in use by another call",
        }
    }

    fn from_code(code: i32) -> Option<Self> {
        use TebmStatus::*;
        const ALL: [TebmStatus; TEBM_STATUS_COUNT as usize] = [
            Ok,
            NullPointer,
            BadDimension,
            CapacityExceeded,
            BufferTooSmall,
            Misaligned,
            NonFinite,
            BadConfig,
            BadParameters,
            CorruptData,
            CallbackError,
            NotInitialised,
            WrongObject,
            OutOfRange,
            Unknown,
            Truncated,
            Checksum,
            Busy,
        ];
        usize::try_from(code).ok().and_then(|i| ALL.get(i).copied())
    }
}

/// Writes the message of `status` (a `TebmStatus` value, or any int) into
/// `buf` as a NUL-terminated string of at most `len` bytes including the NUL.
///
/// Returns `TEBM_STATUS_OK`, or `TEBM_STATUS_BUFFER_TOO_SMALL` when the
/// message was truncated (still NUL-terminated; nothing is written when
/// `len` is 0), or `TEBM_STATUS_NULL_POINTER` when `buf` is NULL. Unknown
/// codes get the message "unknown status code".
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tebm_status_message(
    status: i32,
    buf: *mut c_char,
    len: usize,
) -> TebmStatus {
    let msg = TebmStatus::from_code(status).map_or("unknown status code", TebmStatus::message);
    // SAFETY: forwarded from this function's contract on `buf` and `len`.
    unsafe { write_c_str(buf, len, msg) }
}

/// Copies `s` into the C buffer `buf[..len]`, truncated at a UTF-8 character
/// boundary so that it and its NUL fit.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes.
pub(crate) unsafe fn write_c_str(buf: *mut c_char, len: usize, s: &str) -> TebmStatus {
    if buf.is_null() {
        return TebmStatus::NullPointer;
    }
    if len == 0 {
        return TebmStatus::BufferTooSmall;
    }
    let n = floor_char_boundary(s, len - 1);
    // SAFETY: `buf` is non-null and the caller guarantees `len` writable
    // bytes; `n + 1 ≤ len`. `c_char` and `u8` have the same size and every
    // byte is a valid value of either, and `s` (Rust memory) cannot overlap
    // the caller's buffer mutably borrowed here.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), n + 1) };
    out[..n].copy_from_slice(&s.as_bytes()[..n]);
    out[n] = 0;
    if n < s.len() {
        TebmStatus::BufferTooSmall
    } else {
        TebmStatus::Ok
    }
}

/// The largest `k ≤ max` at a character boundary of `s`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut k = max;
    while k > 0 && !s.is_char_boundary(k) {
        k -= 1;
    }
    k
}

/// A fixed-capacity text buffer that silently truncates (at character
/// boundaries): the sampler's last-error record.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct ErrorText<const CAP: usize> {
    len: u16,
    text: [u8; CAP],
}

impl<const CAP: usize> ErrorText<CAP> {
    pub(crate) const fn new() -> Self {
        ErrorText {
            len: 0,
            text: [0; CAP],
        }
    }

    /// Replaces the text with `prefix: error`.
    pub(crate) fn set(&mut self, prefix: &str, e: &dyn fmt::Display) {
        self.len = 0;
        // Writing into a truncating buffer never fails.
        let _ = fmt::write(self, format_args!("{prefix}: {e}"));
    }

    pub(crate) fn as_str(&self) -> &str {
        let n = (self.len as usize).min(CAP);
        // Only whole characters are ever appended, so this cannot fail;
        // fall back to the empty string rather than panic.
        core::str::from_utf8(&self.text[..n]).unwrap_or("")
    }
}

impl<const CAP: usize> fmt::Write for ErrorText<CAP> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let used = (self.len as usize).min(CAP);
        // Keep one byte for the NUL that C readers get.
        let room = CAP.saturating_sub(1).saturating_sub(used);
        let n = floor_char_boundary(s, room);
        self.text[used..used + n].copy_from_slice(&s.as_bytes()[..n]);
        // CAP < 2¹⁶ (checked where the record is declared).
        self.len = (used + n) as u16;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn every_code_has_a_message_and_round_trips() {
        for c in 0..TEBM_STATUS_COUNT {
            let s = TebmStatus::from_code(c).unwrap();
            assert_eq!(s as i32, c);
            assert!(!s.message().is_empty());
        }
        assert_eq!(TebmStatus::from_code(TEBM_STATUS_COUNT), None);
        assert_eq!(TebmStatus::from_code(-1), None);
    }

    #[test]
    fn weight_format_and_trainer_errors_map_to_precise_statuses() {
        use TebmStatus as S;
        let cases = [
            (Error::BadMagic, S::CorruptData),
            (Error::UnsupportedVersion(9), S::CorruptData),
            (
                Error::WrongModelKind {
                    expected: 4,
                    found: 1,
                },
                S::CorruptData,
            ),
            (
                Error::TrailingBytes {
                    expected: 8,
                    found: 9,
                },
                S::CorruptData,
            ),
            (Error::CorruptData("x"), S::CorruptData),
            (
                Error::Truncated {
                    needed: 8,
                    found: 3,
                },
                S::Truncated,
            ),
            (
                Error::Checksum {
                    stored: 1,
                    computed: 2,
                },
                S::Checksum,
            ),
            (Error::NotFinite("gradient"), S::NonFinite),
        ];
        for (e, want) in cases {
            assert_eq!(TebmStatus::from(e), want, "{e}");
        }
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        let mut buf = [0x55 as c_char; 8];
        // "ab≥cd": '≥' is 3 bytes at 2..5.
        // SAFETY: `buf` has 8 writable bytes ≥ 4.
        let st = unsafe { write_c_str(buf.as_mut_ptr(), 4, "ab≥cd") };
        assert_eq!(st, TebmStatus::BufferTooSmall);
        assert_eq!(&buf[..4], &[b'a' as c_char, b'b' as c_char, 0, 0x55]);
        // SAFETY: `buf` has 8 writable bytes.
        let st = unsafe { write_c_str(buf.as_mut_ptr(), 8, "ab≥cd") };
        assert_eq!(st, TebmStatus::Ok);
        let mut t = ErrorText::<6>::new();
        t.set("x", &"≥≥");
        assert_eq!(String::from(t.as_str()), "x: ");
    }
}
