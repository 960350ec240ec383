//! The abridged transport ([transports] "Abridged").
//!
//! ```text
//! client first byte:  ef
//! L/4 < 127:          [L/4 : 1][payload : L]
//! L/4 >= 127:         [7f][L/4 : 3 LE][payload : L]
//! quick-ack request:  top bit of the first byte set (80 | L/4, or ff + 3 bytes)
//! quick-ack answer:   [token : 4 BE] — "the server sends ... the token ... with the first byte's
//!                     most significant bit set", byte-swapped, never a valid length byte
//! ```
//!
//! "Payload length is divided by four, and if the length value is less than 127, it is encoded as a
//! single byte; otherwise, the first byte is 0x7f and the length is encoded in the next 3 bytes"
//! ([transports]). A long form for a length the short form holds is rejected
//! ([`TransportError::NonCanonicalLength`]): each frame has one encoding.
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Head, HeadPacket, HeaderParse, Packet, check_len, check_token, error_payload};
use crate::Direction;
use crate::error::TransportError;

pub(super) fn parse_header(dir: Direction, hdr: &[u8]) -> Result<HeaderParse, TransportError> {
    let Some((&first, rest)) = hdr.split_first() else {
        return Ok(HeaderParse::Need(1));
    };
    let top = first & 0x80 != 0;
    if dir == Direction::ServerToClient && top {
        // A quick-ack answer: 4 bytes, big-endian token.
        let Ok(b) = <[u8; 4]>::try_from(hdr) else {
            return Ok(HeaderParse::Need(4));
        };
        return Ok(HeaderParse::Ready(Head::Done(HeadPacket::QuickAck(
            u32::from_be_bytes(b),
        ))));
    }
    let short = first & 0x7f;
    let words = if short == 0x7f {
        let Ok(&[a, b, c]) = <&[u8; 3]>::try_from(rest) else {
            return Ok(HeaderParse::Need(4));
        };
        let words = u32::from_le_bytes([a, b, c, 0]);
        if words < 0x7f {
            return Err(TransportError::NonCanonicalLength {
                len: words.wrapping_mul(4),
            });
        }
        words
    } else {
        u32::from(short)
    };
    let len = check_len(u64::from(words).wrapping_mul(4))?;
    Ok(HeaderParse::Ready(Head::Body {
        len,
        quick_ack: top,
    }))
}

pub(super) fn encode(
    dir: Direction,
    packet: Packet<'_>,
    out: &mut Vec<u8>,
) -> Result<(), TransportError> {
    if let Some(code) = error_payload(dir, packet)? {
        out.push(1);
        out.extend_from_slice(&code);
        return Ok(());
    }
    match packet {
        Packet::QuickAck { token } => {
            out.extend_from_slice(&check_token(token)?.to_be_bytes());
            Ok(())
        }
        Packet::Payload { data, quick_ack } => {
            let len = data.len();
            if len % 4 != 0 {
                return Err(TransportError::FrameNotAligned { len });
            }
            check_len(u64::try_from(len).unwrap_or(u64::MAX))?;
            let words = u32::try_from(len / 4).unwrap_or(u32::MAX);
            let ack = if quick_ack { 0x80 } else { 0 };
            let [w0, w1, w2, _] = words.to_le_bytes();
            if words < 0x7f {
                out.push(w0 | ack);
            } else {
                out.extend_from_slice(&[0x7f | ack, w0, w1, w2]);
            }
            out.extend_from_slice(data);
            Ok(())
        }
        Packet::Error { .. } => Err(TransportError::QuickAckNotAllowed),
    }
}
