//! The full transport ([transports] "Full").
//!
//! ```text
//! [len : 4 LE][seqno : 4 LE][payload : L][crc32 : 4 LE]       len = L + 12
//! crc32 = CRC-32 (IEEE, as zlib) of len ‖ seqno ‖ payload
//! ```
//!
//! "The length ... including the length, sequence number, and CRC32 ... seqno: the TCP sequence
//! number for this TCP connection (different from the MTProto sequence number): the first packet
//! sent is numbered 0, the next one 1, etc. ... crc: 4 CRC32 bytes, containing the CRC32 of the
//! length, seqno and payload together" ([transports]).
//!
//! Receiver checks, in order: `len >= 12` ([`TransportError::FrameTooShort`]), the payload cap
//! ([`TransportError::FrameTooLong`]), the CRC ([`TransportError::CrcMismatch`]), then the seqno
//! ([`TransportError::SeqnoMismatch`]): corrupt bytes are named as corruption even when they hit the
//! seqno. The full transport has no documented quick-ack form (spec §13 item 2); the encoder
//! refuses one.
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Head, HeaderParse, Packet, check_len, error_payload, u32_le};
use crate::Direction;
use crate::error::TransportError;

pub(super) fn parse_header(hdr: &[u8]) -> Result<HeaderParse, TransportError> {
    let Some((len, _)) = hdr.split_first_chunk::<4>() else {
        return Ok(HeaderParse::Need(8));
    };
    let len = u32::from_le_bytes(*len);
    let Some(payload) = len.checked_sub(12) else {
        return Err(TransportError::FrameTooShort { len });
    };
    check_len(u64::from(payload))?;
    if hdr.len() < 8 {
        return Ok(HeaderParse::Need(8));
    }
    // payload <= 2^24 - 1, so + 4 cannot overflow.
    let body = usize::try_from(payload)
        .unwrap_or(usize::MAX)
        .saturating_add(4);
    Ok(HeaderParse::Ready(Head::Body {
        len: body,
        quick_ack: false,
    }))
}

/// Check the CRC and the seqno of a frame (`header` = len ‖ seqno, `body` = payload ‖ crc) and
/// return the payload.
pub(super) fn check<'b>(
    header: &[u8],
    body: &'b [u8],
    expected_seqno: u32,
) -> Result<&'b [u8], TransportError> {
    let Some((payload, crc)) = body.split_last_chunk::<4>() else {
        return Err(TransportError::FrameTooShort {
            len: u32::try_from(body.len()).unwrap_or(u32::MAX),
        });
    };
    let got = u32::from_le_bytes(*crc);
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(payload);
    let computed = h.finalize();
    if got != computed {
        return Err(TransportError::CrcMismatch { got, computed });
    }
    let seqno = u32_le(header.get(4..8).unwrap_or(&[]));
    if seqno != expected_seqno {
        return Err(TransportError::SeqnoMismatch {
            expected: expected_seqno,
            got: seqno,
        });
    }
    Ok(payload)
}

pub(super) fn encode(
    dir: Direction,
    packet: Packet<'_>,
    seqno: u32,
    out: &mut Vec<u8>,
) -> Result<(), TransportError> {
    let code;
    let data = match error_payload(dir, packet)? {
        Some(c) => {
            code = c;
            &code[..]
        }
        None => match packet {
            Packet::Payload {
                data,
                quick_ack: false,
            } => data,
            _ => return Err(TransportError::QuickAckNotAllowed),
        },
    };
    check_len(u64::try_from(data.len()).unwrap_or(u64::MAX))?;
    // data.len() <= 2^24 - 1: + 12 fits in u32.
    let len = u32::try_from(data.len().saturating_add(12)).unwrap_or(u32::MAX);
    let start = out.len();
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&seqno.to_le_bytes());
    out.extend_from_slice(data);
    let crc = crc32fast::hash(out.get(start..).unwrap_or(&[]));
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}
