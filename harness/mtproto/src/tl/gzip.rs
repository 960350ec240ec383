//! `gzip_packed#3072cfa1 packed_data:bytes = Object` (spec §7.2, [sm]).
//!
//! "Contains another object, compressed using gzip" ([sm]). Inflation is bounded: the output is
//! never allowed to grow past the caller's limit, so a small decompression bomb costs at most
//! `limit` bytes of memory before [`TlError::GzipTooLarge`](crate::error::TlError). Trailing bytes
//! after the gzip member and a bad CRC or length trailer are [`TlError::BadGzip`].
//!
//! [sm]: https://core.telegram.org/mtproto/service_messages
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::io::Read;

use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;

use crate::error::TlError;

/// The default limit: the 2^24-byte cap of a transport frame.
pub const DEFAULT_LIMIT: usize = 1 << 24;

/// Inflate `packed`, failing once the output would exceed `limit` bytes.
pub fn inflate(packed: &[u8], limit: usize) -> Result<Vec<u8>, TlError> {
    let mut dec = GzDecoder::new(packed);
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut dec)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| TlError::BadGzip)?;
    if out.len() > limit {
        return Err(TlError::GzipTooLarge { limit });
    }
    // Exactly one gzip member and nothing after it.
    let rest = dec.into_inner();
    if !rest.is_empty() {
        return Err(TlError::BadGzip);
    }
    Ok(out)
}

/// Compress `data` (deterministic: no file name, mtime 0).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}
