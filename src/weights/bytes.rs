//! Bounds-checked little-endian reads and writes for the weight format.

use crate::error::Error;

/// Bounds-checked little-endian reads: running off the end is
/// [`Error::Truncated`], never a panic.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn seek(&mut self, pos: usize) -> Result<(), Error> {
        if pos > self.bytes.len() {
            return Err(Error::Truncated {
                needed: pos,
                found: self.bytes.len(),
            });
        }
        self.pos = pos;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let end = self.pos.saturating_add(N);
        let src = self.bytes.get(self.pos..end).ok_or(Error::Truncated {
            needed: end,
            found: self.bytes.len(),
        })?;
        let mut a = [0u8; N];
        a.copy_from_slice(src);
        self.pos = end;
        Ok(a)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_le_bytes)
    }

    /// A size field: a u32 that must be ≥ 1. (Above `usize::MAX` on a
    /// 16-bit target it saturates and fails the capacity check.)
    pub(crate) fn size(&mut self) -> Result<usize, Error> {
        match self.u32()? {
            0 => Err(Error::Empty),
            v => Ok(usize::try_from(v).unwrap_or(usize::MAX)),
        }
    }
}

/// Sequential writes into a buffer already checked to be long enough.
pub(crate) struct Writer<'a> {
    pub(crate) out: &'a mut [u8],
    pub(crate) pos: usize,
}

impl Writer<'_> {
    pub(crate) fn put(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(b);
        }
        self.pos = end;
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }

    pub(crate) fn f32(&mut self, v: f32) {
        self.put(&v.to_le_bytes());
    }
}

/// A size as the file's u32.
pub(crate) fn size_u32(v: usize) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::CapacityExceeded {
        requested: v,
        capacity: u32::MAX as usize,
    })
}

/// Little-endian f32 values of `bytes` (whole 4-byte groups only).
pub(crate) fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(|c| {
        let mut a = [0u8; 4];
        a.copy_from_slice(c);
        f32::from_le_bytes(a)
    })
}

/// Copies the f32 values of `bytes` into `out`; returns how many.
pub(crate) fn fill(out: &mut [f32], bytes: &[u8]) -> usize {
    let mut n = 0;
    for (o, v) in out.iter_mut().zip(f32s(bytes)) {
        *o = v;
        n += 1;
    }
    n
}
