//! The one byte reader every decoder uses, and the TL primitives (spec §0, §7).
//!
//! ```text
//! int     4 bytes little-endian          long    8 bytes little-endian
//! int128  16 raw bytes                   int256  32 raw bytes
//! bytes   len <= 253:  [len:1][data][zero pad to a multiple of 4]
//!         len >= 254:  [0xfe][len:3 LE][data][zero pad to a multiple of 4]
//! ```
//!
//! Decoding is strict: the short length form is the only accepted encoding of a length up to 253
//! and padding bytes must be zero, so each value has exactly one encoding ([bytes]).
//!
//! [bytes]: https://core.telegram.org/type/bytes
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::error::CodecError;

/// Longest `bytes` value TL can carry: the long form has a 24-bit length.
pub const MAX_BYTES_LEN: usize = (1 << 24) - 1;

/// A cursor over a byte slice. Every read is bounds-checked and returns `None`/an error instead of
/// panicking; nothing is allocated from a peer-supplied length before it is known to be present.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, offset: 0 }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes not yet consumed.
    pub fn left(&self) -> usize {
        self.buf.len()
    }

    /// The unconsumed rest, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Take the next `n` bytes, or `None` (consuming nothing) if fewer are left.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n)?;
        self.buf = tail;
        self.offset = self.offset.saturating_add(n);
        Some(head)
    }

    /// Take the next `N` bytes as an array.
    pub fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.buf.split_first_chunk::<N>()?;
        self.buf = tail;
        self.offset = self.offset.saturating_add(N);
        Some(*head)
    }

    /// Everything that is left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.buf;
        self.offset = self.offset.saturating_add(rest.len());
        self.buf = &[];
        rest
    }

    fn need<T>(&self, v: Option<T>, needed: usize) -> Result<T, CodecError> {
        v.ok_or(CodecError::UnexpectedEnd {
            offset: self.offset,
            needed,
        })
    }

    /// Take `n` bytes or fail with [`CodecError::UnexpectedEnd`].
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let at = self.offset;
        self.take(n).ok_or(CodecError::UnexpectedEnd {
            offset: at,
            needed: n,
        })
    }

    /// Take `N` bytes as an array or fail with [`CodecError::UnexpectedEnd`].
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let v = self.take_array::<N>();
        self.need(v, N)
    }

    /// TL `int`.
    pub fn int(&mut self) -> Result<i32, CodecError> {
        self.array().map(i32::from_le_bytes)
    }

    /// TL `#` / an unsigned 32-bit word (constructor ids, flags).
    pub fn u32(&mut self) -> Result<u32, CodecError> {
        self.array().map(u32::from_le_bytes)
    }

    /// TL `long`.
    pub fn long(&mut self) -> Result<i64, CodecError> {
        self.array().map(i64::from_le_bytes)
    }

    /// TL `int128` (raw bytes, as generated).
    pub fn int128(&mut self) -> Result<[u8; 16], CodecError> {
        self.array()
    }

    /// TL `int256` (raw bytes, as generated).
    pub fn int256(&mut self) -> Result<[u8; 32], CodecError> {
        self.array()
    }

    /// TL `bytes` / `string`: strict length form and zero padding.
    pub fn tl_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let start = self.offset;
        let [first] = self.array::<1>()?;
        let (len, header) = if first == 0xfe {
            let [a, b, c] = self.array::<3>()?;
            let len = usize::from(a) | usize::from(b) << 8 | usize::from(c) << 16;
            if len < 254 {
                return Err(CodecError::NonCanonicalLength { offset: start });
            }
            (len, 4usize)
        } else if first == 0xff {
            // 0xff is not a length prefix in either form.
            return Err(CodecError::NonCanonicalLength { offset: start });
        } else {
            (usize::from(first), 1usize)
        };
        let data = self.bytes(len)?;
        // header + len <= 4 + 2^24, no overflow; padding brings the total to a multiple of 4.
        let pad = padding_to_4(header.saturating_add(len));
        let pad_at = self.offset;
        let padding = self.bytes(pad)?;
        if let Some(i) = padding.iter().position(|&b| b != 0) {
            return Err(CodecError::NonZeroPadding {
                offset: pad_at.saturating_add(i),
            });
        }
        Ok(data)
    }

    /// Succeed only if every byte was consumed (decoders reject trailing bytes).
    pub fn finish(self) -> Result<(), CodecError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(CodecError::TrailingBytes {
                offset: self.offset,
                left: self.buf.len(),
            })
        }
    }
}

/// Bytes needed after `len` bytes to reach a multiple of 4.
fn padding_to_4(len: usize) -> usize {
    len.wrapping_neg() & 3
}

/// Append a TL `int`.
pub fn put_int(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a TL `#` / unsigned 32-bit word.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a TL `long`.
pub fn put_long(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a TL `bytes`/`string` in its canonical form, or fail if it is longer than TL allows.
pub fn put_tl_bytes(out: &mut Vec<u8>, data: &[u8]) -> Result<(), CodecError> {
    let len = data.len();
    let [b0, b1, b2, _] = u32::try_from(len)
        .ok()
        .filter(|_| len <= MAX_BYTES_LEN)
        .ok_or(CodecError::TooLong { len })?
        .to_le_bytes();
    let header: usize = if len <= 253 {
        out.push(b0);
        1
    } else {
        out.extend_from_slice(&[0xfe, b0, b1, b2]);
        4
    };
    out.extend_from_slice(data);
    // header + len <= 4 + 2^24 - 1: no overflow.
    out.extend(core::iter::repeat_n(
        0u8,
        padding_to_4(header.saturating_add(len)),
    ));
    Ok(())
}

/// Length of the canonical TL encoding of `len` bytes of data (saturating for absurd lengths).
pub fn tl_bytes_len(len: usize) -> usize {
    let header: usize = if len <= 253 { 1 } else { 4 };
    let total = len.saturating_add(header);
    total.saturating_add(padding_to_4(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_short_and_long_forms_round_trip() {
        for len in [0usize, 1, 2, 3, 4, 252, 253, 254, 255, 1000, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let mut out = Vec::new();
            put_tl_bytes(&mut out, &data).unwrap();
            assert_eq!(out.len() % 4, 0, "len {len}");
            assert_eq!(out.len(), tl_bytes_len(len));
            let mut r = Reader::new(&out);
            assert_eq!(r.tl_bytes().unwrap(), &data[..]);
            r.finish().unwrap();
        }
    }

    #[test]
    fn bytes_long_form_for_short_value_is_rejected() {
        // 0xfe with length 3: the short form must be used.
        let enc = [0xfe, 3, 0, 0, b'a', b'b', b'c', 0];
        assert_eq!(
            Reader::new(&enc).tl_bytes(),
            Err(CodecError::NonCanonicalLength { offset: 0 })
        );
        assert_eq!(
            Reader::new(&[0xff, 0, 0, 0]).tl_bytes(),
            Err(CodecError::NonCanonicalLength { offset: 0 })
        );
    }

    #[test]
    fn bytes_nonzero_padding_is_rejected() {
        let enc = [1, b'a', 0, 7];
        assert_eq!(
            Reader::new(&enc).tl_bytes(),
            Err(CodecError::NonZeroPadding { offset: 3 })
        );
    }

    #[test]
    fn bytes_truncated_is_rejected_at_every_cut() {
        let mut out = Vec::new();
        put_tl_bytes(&mut out, &[9u8; 300]).unwrap();
        for cut in 0..out.len() {
            assert!(matches!(
                Reader::new(&out[..cut]).tl_bytes(),
                Err(CodecError::UnexpectedEnd { .. })
            ));
        }
    }

    #[test]
    fn too_long_bytes_is_refused() {
        let big = vec![0u8; MAX_BYTES_LEN + 1];
        assert_eq!(
            put_tl_bytes(&mut Vec::new(), &big),
            Err(CodecError::TooLong {
                len: MAX_BYTES_LEN + 1
            })
        );
    }

    #[test]
    fn integers_are_little_endian_and_finish_rejects_trailing() {
        let mut out = Vec::new();
        put_int(&mut out, -2);
        put_long(&mut out, 0x0102_0304_0506_0708);
        let mut r = Reader::new(&out);
        assert_eq!(r.int().unwrap(), -2);
        assert_eq!(r.long().unwrap(), 0x0102_0304_0506_0708);
        r.finish().unwrap();
        let mut r = Reader::new(&out);
        r.int().unwrap();
        assert_eq!(
            r.finish(),
            Err(CodecError::TrailingBytes { offset: 4, left: 8 })
        );
        assert_eq!(
            Reader::new(&[1, 2, 3]).int(),
            Err(CodecError::UnexpectedEnd {
                offset: 0,
                needed: 4
            })
        );
    }
}
