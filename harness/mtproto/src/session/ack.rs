//! `msgs_ack` bookkeeping (spec §3.1 R10, §3.2, [ssm]).
//!
//! [desc]: every content-related message received "must" be acknowledged. [ssm]: at most 8192 ids
//! per `msgs_ack`; send a standalone ack when more than 16 are waiting or after a while.
//!
//! ```text
//! msgs_ack#62d6b459 msg_ids:Vector<long>
//!   | 59 b4 d6 62 | 15 c4 b5 1c (vector) | count: int | msg_id: long … |
//! ```
//!
//! [desc]: https://core.telegram.org/mtproto/description
//! [ssm]: https://core.telegram.org/mtproto/service_messages_about_messages

use crate::codec::{put_int, put_long, put_u32};

/// The most ids one `msgs_ack` may carry, and the capacity of an [`AckQueue`].
pub const MAX_ACK_IDS: usize = 8192;
/// With more ids than this waiting, an ack is due now.
pub const STANDALONE_ACK_AFTER: usize = 16;

const MSGS_ACK: u32 = 0x62d6_b459;
const VECTOR: u32 = 0x1cb5_c415;

/// The msg_ids of received content-related messages not yet acknowledged. Allocated once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckQueue {
    ids: Vec<i64>,
}

impl Default for AckQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl AckQueue {
    /// An empty queue with room for [`MAX_ACK_IDS`].
    pub fn new() -> Self {
        Self {
            ids: Vec::with_capacity(MAX_ACK_IDS),
        }
    }

    /// The ids waiting.
    pub fn pending(&self) -> &[i64] {
        &self.ids
    }

    /// Bytes of the preallocated buffer.
    pub fn heap_bytes(&self) -> usize {
        self.ids.capacity().saturating_mul(size_of::<i64>())
    }

    /// Whether no more ids fit: acknowledge before accepting another content-related message.
    pub fn is_full(&self) -> bool {
        self.ids.len() >= MAX_ACK_IDS
    }

    /// Whether a standalone `msgs_ack` should be sent now.
    pub fn ack_due(&self) -> bool {
        self.ids.len() > STANDALONE_ACK_AFTER
    }

    /// Queue `msg_id`; `false` (nothing queued) when full.
    pub fn push(&mut self, msg_id: i64) -> bool {
        if self.is_full() {
            return false;
        }
        self.ids.push(msg_id);
        true
    }

    /// Drop every waiting id without acknowledging it, keeping the buffer.
    pub fn clear(&mut self) {
        self.ids.clear();
    }

    /// Append the `msgs_ack` body for every waiting id to `out` and empty the queue. Nothing is
    /// written when nothing waits.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        if !self.ids.is_empty() {
            msgs_ack_body(&self.ids, out);
            self.ids.clear();
        }
    }
}

/// Append `msgs_ack#62d6b459 msg_ids:Vector<long>` for `ids` (at most [`MAX_ACK_IDS`] are written).
pub fn msgs_ack_body(ids: &[i64], out: &mut Vec<u8>) {
    let ids = ids.get(..MAX_ACK_IDS).unwrap_or(ids);
    put_u32(out, MSGS_ACK);
    put_u32(out, VECTOR);
    put_int(out, i32::try_from(ids.len()).unwrap_or(i32::MAX));
    for &id in ids {
        put_long(out, id);
    }
}
