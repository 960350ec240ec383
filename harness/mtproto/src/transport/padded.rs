//! The padded intermediate transport ([transports] "Padded intermediate").
//!
//! ```text
//! client first bytes: dd dd dd dd
//! frame:              [tlen : 4 LE][payload][0..15 random bytes]      tlen = L + padding
//! quick-ack request:  [tlen | 0x80000000 : 4 LE][payload][padding]
//! quick-ack answer:   [tlen <= 16 : 4 LE][ff ff ff ff][token : 4 LE][0..8 random bytes]
//! transport error:    [tlen : 4 LE][code : 4 LE][0..15 random bytes]
//! ```
//!
//! "Padded version of the intermediate protocol, to use with obfuscation enabled to bypass ISP
//! blocks" ([transports]). The transport cannot know where the payload ends and the random tail
//! starts; a decoded payload is `payload ‖ padding` and the MTProto layer (whose messages carry
//! their own lengths) drops the tail.
//!
//! Server-to-client frames shorter than the smallest MTProto message (20 bytes: `auth_key_id`,
//! `msg_id`, `message_data_length`) are service packets: one starting with `ff ff ff ff` and at
//! most 16 bytes long is a quick-ack answer, any other one carries a transport error code.
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::intermediate::put_frame;
use super::{Packet, check_token, error_payload};
use crate::Direction;
use crate::error::TransportError;

/// Frames shorter than this (server to client) are quick acks or transport errors.
const MIN_MESSAGE: usize = 20;

pub(super) fn classify(payload: &[u8]) -> Packet<'_> {
    if payload.len() < MIN_MESSAGE {
        if let Some((&[0xff, 0xff, 0xff, 0xff], rest)) = payload.split_first_chunk::<4>()
            && payload.len() <= 16
            && let Some((token, _)) = rest.split_first_chunk::<4>()
        {
            return Packet::QuickAck {
                token: u32::from_le_bytes(*token),
            };
        }
        if let Some((code, _)) = payload.split_first_chunk::<4>() {
            return Packet::Error {
                code: i32::from_le_bytes(*code),
            };
        }
    }
    Packet::Payload {
        data: payload,
        quick_ack: false,
    }
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
            let mut body = [0xff; 8];
            if let Some(t) = body.get_mut(4..) {
                t.copy_from_slice(&check_token(token)?.to_le_bytes());
            }
            put_frame(&body, padding, false, out)
        }
        Packet::Payload { data, quick_ack } => put_frame(data, padding, quick_ack, out),
        Packet::Error { .. } => Err(TransportError::QuickAckNotAllowed),
    }
}
