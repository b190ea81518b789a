//! Shared by the fuzz targets.

use tinyebm::crc32::crc32;

/// Runs `f` on `data`, then (when it holds at least four bytes) on a copy
/// whose last four bytes are the CRC-32 of the rest, so that the fuzzer
/// also reaches the decoding behind the checksum check.
pub fn with_fixed_crc(data: &[u8], f: impl Fn(&[u8])) {
    f(data);
    if data.len() >= 4 {
        let mut fixed = data.to_vec();
        let n = fixed.len() - 4;
        let crc = crc32(&fixed[..n]);
        fixed[n..].copy_from_slice(&crc.to_le_bytes());
        f(&fixed);
    }
}
