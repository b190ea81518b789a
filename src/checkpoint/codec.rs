//! Fixed-layout little-endian writes and reads of checkpoint bodies.
//!
//! One [`Dec`] type serves both passes of a restore: a *check* pass
//! (`apply == false`) reads and validates every field and writes nothing,
//! then an *apply* pass over the same, now known-good, bytes writes the
//! target. A body's decode function is written once and used for both, so
//! what is checked is exactly what is applied.

use crate::error::Error;
use crate::rng::Stream;

/// Sequential writes of a checkpoint body into a buffer already checked to
/// be long enough (opaque outside the crate).
pub struct Enc<'a> {
    out: &'a mut [u8],
    pub(crate) pos: usize,
}

impl<'a> Enc<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Enc { out, pos: 0 }
    }

    pub(crate) fn put(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(b);
        }
        self.pos = end;
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }
    pub(crate) fn bool(&mut self, v: bool) {
        self.u8(v as u8);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
    /// A size or count kept in memory as `usize` (saturated at `u32::MAX`;
    /// every such field is far below it).
    pub(crate) fn usize(&mut self, v: usize) {
        self.u32(u32::try_from(v).unwrap_or(u32::MAX));
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn f32(&mut self, v: f32) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.put(&v.to_le_bytes());
    }
    pub(crate) fn f32s(&mut self, v: &[f32]) {
        for &x in v {
            self.f32(x);
        }
    }
    pub(crate) fn f64s(&mut self, v: &[f64]) {
        for &x in v {
            self.f64(x);
        }
    }
    /// A random stream: its PCG state, then its stream selector (16 bytes).
    pub(crate) fn stream(&mut self, s: &Stream) {
        let (state, stream) = s.to_parts();
        self.u64(state);
        self.u64(stream);
    }
}

/// Bytes [`Enc::stream`] writes.
pub(crate) const STREAM_LEN: usize = 16;

/// Bounds-checked reads of a checkpoint body, in the check pass or the
/// apply pass (opaque outside the crate).
pub struct Dec<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// False: check only, write nothing. True: write the target.
    pub(crate) apply: bool,
}

/// A field whose value no encoder writes.
pub(crate) const fn corrupt(what: &'static str) -> Error {
    Error::CorruptData(what)
}

impl<'a> Dec<'a> {
    pub(crate) fn new(bytes: &'a [u8], apply: bool) -> Self {
        Dec {
            bytes,
            pos: 0,
            apply,
        }
    }

    /// Every byte was read (the body length is fixed by the capacities, so
    /// anything else is a layout bug, reported rather than ignored).
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(corrupt("checkpoint body length disagrees with its layout"))
        }
    }

    fn array<const K: usize>(&mut self) -> Result<[u8; K], Error> {
        let end = self.pos.saturating_add(K);
        let src = self.bytes.get(self.pos..end).ok_or(Error::Truncated {
            needed: end,
            found: self.bytes.len(),
        })?;
        let mut a = [0u8; K];
        a.copy_from_slice(src);
        self.pos = end;
        Ok(a)
    }

    /// The next byte, not consumed.
    pub(crate) fn peek_u8(&self) -> Result<u8, Error> {
        self.bytes.get(self.pos).copied().ok_or(Error::Truncated {
            needed: self.pos + 1,
            found: self.bytes.len(),
        })
    }

    /// The u32 `offset` bytes ahead, not consumed.
    pub(crate) fn peek_u32_at(&self, offset: usize) -> Result<u32, Error> {
        let at = self.pos.saturating_add(offset);
        let b = self
            .bytes
            .get(at..at.saturating_add(4))
            .ok_or(Error::Truncated {
                needed: at.saturating_add(4),
                found: self.bytes.len(),
            })?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        self.array::<1>().map(|a| a[0])
    }
    /// A flag: exactly 0 or 1.
    pub(crate) fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("checkpoint flag is neither 0 nor 1")),
        }
    }
    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        self.array().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_le_bytes)
    }
    /// A size or count at most `max`.
    pub(crate) fn usize_max(&mut self, max: usize) -> Result<usize, Error> {
        let v = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
        if v > max {
            return Err(Error::CapacityExceeded {
                requested: v,
                capacity: max,
            });
        }
        Ok(v)
    }
    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        self.array().map(u64::from_le_bytes)
    }
    pub(crate) fn f32(&mut self) -> Result<f32, Error> {
        self.array().map(f32::from_le_bytes)
    }
    pub(crate) fn f64(&mut self) -> Result<f64, Error> {
        self.array().map(f64::from_le_bytes)
    }
    /// A random stream ([`Enc::stream`]); the selector's top bit, which PCG
    /// discards, must be clear.
    pub(crate) fn stream(&mut self) -> Result<Stream, Error> {
        let state = self.u64()?;
        let stream = self.u64()?;
        if stream >> 63 != 0 {
            return Err(corrupt("random stream selector out of range"));
        }
        Ok(Stream::from_parts(state, stream))
    }

    /// Runs `read` with writes enabled in both passes: for decoding into a
    /// local value (a kernel record, an adaptation) that is validated and
    /// only then, in the apply pass, moved into the target.
    pub(crate) fn local<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let apply = self.apply;
        self.apply = true;
        let v = read(self);
        self.apply = apply;
        v
    }

    /// Reads a value with `read` and stores it in `dst` in the apply pass.
    pub(crate) fn set<T>(
        &mut self,
        dst: &mut T,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<(), Error> {
        let v = read(self)?;
        if self.apply {
            *dst = v;
        }
        Ok(())
    }

    /// f32 values into `dst` (stored in the apply pass); with `finite`,
    /// each must be finite.
    pub(crate) fn f32s(&mut self, dst: &mut [f32], finite: bool) -> Result<(), Error> {
        for d in dst {
            let v = self.f32()?;
            if finite && !v.is_finite() {
                return Err(corrupt("non-finite value where a checkpoint forbids one"));
            }
            if self.apply {
                *d = v;
            }
        }
        Ok(())
    }

    /// f64 values into `dst` (stored in the apply pass).
    pub(crate) fn f64s(&mut self, dst: &mut [f64]) -> Result<(), Error> {
        for d in dst {
            let v = self.f64()?;
            if self.apply {
                *d = v;
            }
        }
        Ok(())
    }
}
