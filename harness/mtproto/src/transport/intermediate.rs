//! The intermediate transport ([transports] "Intermediate").
//!
//! ```text
//! client first bytes: ee ee ee ee
//! frame:              [L : 4 LE][payload : L]
//! quick-ack request:  [L | 0x80000000 : 4 LE][payload : L]
//! quick-ack answer:   [token : 4 LE] — no frame; reads as >= 0x80000000, never a valid length
//! ```
//!
//! "In case 4-byte data alignment is needed, an intermediate version of the original protocol may
//! be used" ([transports]). The padded intermediate transport ([`super::padded`]) shares this
//! header.
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::{Head, HeadPacket, HeaderParse, Packet, check_len, check_token, error_payload};
use crate::Direction;
use crate::error::TransportError;

pub(super) fn parse_header(
    dir: Direction,
    hdr: &[u8],
    padded: bool,
) -> Result<HeaderParse, TransportError> {
    let Ok(b) = <[u8; 4]>::try_from(hdr) else {
        return Ok(HeaderParse::Need(4));
    };
    let v = u32::from_le_bytes(b);
    let top = v & 0x8000_0000 != 0;
    if top && dir == Direction::ServerToClient {
        if padded {
            // Padded quick-ack answers are framed: a top bit here is a length of 2^31 or more.
            return Err(TransportError::FrameTooLong { len: u64::from(v) });
        }
        return Ok(HeaderParse::Ready(Head::Done(HeadPacket::QuickAck(v))));
    }
    let len = check_len(u64::from(v & 0x7fff_ffff))?;
    Ok(HeaderParse::Ready(Head::Body {
        len,
        quick_ack: top,
    }))
}

/// Write `[len][data][padding]`, the quick-ack bit in `len` when asked.
pub(super) fn put_frame(
    data: &[u8],
    padding: &[u8],
    quick_ack: bool,
    out: &mut Vec<u8>,
) -> Result<(), TransportError> {
    let total = data.len().saturating_add(padding.len());
    check_len(u64::try_from(total).unwrap_or(u64::MAX))?;
    let len = u32::try_from(total).unwrap_or(u32::MAX);
    let len = if quick_ack { len | 0x8000_0000 } else { len };
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(padding);
    Ok(())
}

pub(super) fn encode(
    dir: Direction,
    packet: Packet<'_>,
    padding: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), TransportError> {
    if let Some(code) = error_payload(dir, packet)? {
        return put_frame(&code, padding, false, out);
    }
    match packet {
        Packet::QuickAck { token } => {
            out.extend_from_slice(&check_token(token)?.to_le_bytes());
            Ok(())
        }
        Packet::Payload { data, quick_ack } => put_frame(data, padding, quick_ack, out),
        Packet::Error { .. } => Err(TransportError::QuickAckNotAllowed),
    }
}
