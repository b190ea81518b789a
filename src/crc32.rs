//! CRC-32 as in IEEE 802.3, zlib and PNG: reflected polynomial 0xEDB88320,
//! initial value and final xor 0xFFFFFFFF. The weight format's integrity check.
//!
//! The 1 KiB table is built at compile time and lives in flash: byte-wise
//! lookup is eight times fewer steps than the bit-wise loop, and a C loader
//! computing the same function (zlib's `crc32`) gets the same value.

/// The reflected IEEE 802.3 polynomial.
const POLY: u32 = 0xEDB8_8320;

/// `TABLE[b]` is the CRC register after shifting byte `b` through eight rounds.
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        let mut c = b as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[b] = c;
        b += 1;
    }
    t
};

/// An incremental CRC-32, for checksumming data that arrives in pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crc32 {
    /// The register, pre-inverted (the final xor is applied by [`Crc32::finish`]).
    state: u32,
}

impl Crc32 {
    /// A checksum over no bytes yet.
    pub const fn new() -> Self {
        Crc32 { state: 0xFFFF_FFFF }
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.state;
        for &b in bytes {
            // The index is a u8 value: it cannot leave the 256-entry table.
            c = TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
        }
        self.state = c;
    }

    /// The CRC-32 of everything fed so far.
    pub const fn finish(&self) -> u32 {
        !self.state
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

/// The CRC-32 (IEEE 802.3) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(bytes);
    c.finish()
}

/// Checks a frame that ends with the CRC-32 of everything before it (four
/// bytes, little-endian): `bytes` exactly `total` long
/// ([`Error::Truncated`] / [`Error::TrailingBytes`]), then the checksum
/// ([`Error::Checksum`]). Returns the bytes before the checksum.
pub(crate) fn check_framed(bytes: &[u8], total: usize) -> Result<&[u8], crate::Error> {
    use crate::Error;
    if bytes.len() < total {
        return Err(Error::Truncated {
            needed: total,
            found: bytes.len(),
        });
    }
    if bytes.len() > total {
        return Err(Error::TrailingBytes {
            expected: total,
            found: bytes.len(),
        });
    }
    let Some((data, crc)) = bytes.split_last_chunk::<4>() else {
        return Err(Error::Truncated {
            needed: 4,
            found: bytes.len(),
        });
    };
    let stored = u32::from_le_bytes(*crc);
    let computed = crc32(data);
    if stored != computed {
        return Err(Error::Checksum { stored, computed });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data = b"The quick brown fox jumps over the lazy dog";
        assert_eq!(crc32(data), 0x414F_A339);
        let mut c = Crc32::new();
        c.update(&data[..10]);
        c.update(&data[10..]);
        assert_eq!(c.finish(), crc32(data));
    }
}
