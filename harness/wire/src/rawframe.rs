//! Frames a hostile peer writes by hand (plain transports only): the broken full-transport
//! frames, a length prefix no receiver may honour, and the non-minimal abridged length
//! (spec: <https://core.telegram.org/mtproto/mtproto-transports>).

use mtproto::transport::Kind;

use crate::case::FrameTamper;
use crate::error::{Result, WireError};

/// CRC-32 (IEEE, reflected, as zlib): the full transport's checksum.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// The bytes of one frame carrying `payload` over `kind`, broken by `tamper`; `seqno` is the
/// sender's next full-transport sequence number.
pub fn frame(kind: Kind, tamper: FrameTamper, payload: &[u8], seqno: u32) -> Result<Vec<u8>> {
    let len = u32::try_from(payload.len())
        .map_err(|_| WireError::config("raw frame", "payload too long"))?;
    let mut out = Vec::with_capacity(payload.len() + 16);
    match (tamper, kind) {
        (FrameTamper::FullBadCrc | FrameTamper::FullWrongSeqno, Kind::Full) => {
            let seq = if tamper == FrameTamper::FullWrongSeqno {
                seqno.wrapping_add(1)
            } else {
                seqno
            };
            out.extend_from_slice(&(len + 12).to_le_bytes());
            out.extend_from_slice(&seq.to_le_bytes());
            out.extend_from_slice(payload);
            let mut crc = crc32(&out);
            if tamper == FrameTamper::FullBadCrc {
                crc ^= 1;
            }
            out.extend_from_slice(&crc.to_le_bytes());
        }
        (FrameTamper::HugeLength, Kind::Abridged) => {
            out.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
            out.extend_from_slice(payload);
        }
        (FrameTamper::HugeLength, Kind::Intermediate | Kind::Padded | Kind::Full) => {
            out.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
            out.extend_from_slice(payload);
        }
        (FrameTamper::AbridgedLongForm, Kind::Abridged) => {
            let words = (len / 4).to_le_bytes();
            out.extend_from_slice(&[0x7f, words[0], words[1], words[2]]);
            out.extend_from_slice(payload);
        }
        (t, k) => {
            return Err(WireError::config(
                "script",
                format!(
                    "frame tamper {t:?} does not apply to the {} transport",
                    k.as_str()
                ),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use mtproto::Direction;
    use mtproto::transport::Decoder;

    /// What the reference's client-side decoder makes of a tampered frame after a valid one.
    fn decode(kind: Kind, tamper: FrameTamper) -> std::result::Result<usize, String> {
        let payload = [0x55u8; 64];
        let mut dec = Decoder::without_tag(kind, Direction::ServerToClient);
        let bytes = frame(kind, tamper, &payload, 0).map_err(|e| e.to_string())?;
        let mut input: &[u8] = &bytes;
        let mut n = 0;
        while let Some(_f) = dec.next(&mut input).map_err(|e| e.to_string())? {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn the_reference_decoder_refuses_each_frame_tamper() {
        assert!(decode(Kind::Full, FrameTamper::FullBadCrc).is_err());
        assert!(decode(Kind::Full, FrameTamper::FullWrongSeqno).is_err());
        for k in [Kind::Abridged, Kind::Intermediate, Kind::Padded, Kind::Full] {
            assert!(decode(k, FrameTamper::HugeLength).is_err(), "{k:?}");
        }
        assert!(decode(Kind::Abridged, FrameTamper::AbridgedLongForm).is_err());
        assert!(decode(Kind::Intermediate, FrameTamper::FullBadCrc).is_err());
    }

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }
}
