//! msg_id and seq_no generation (spec §3.2, [desc]).
//!
//! ```text
//! msg_id (64 bits):  | unix time, seconds (32) | fraction of a second (30) | kind (2) |
//!                      client: kind = 0; server: 1 = response, 3 = anything else
//! seq_no (32 bits):  2 · (content-related messages sent before) + 1 if this one is content-related
//! ```
//!
//! [desc]: https://core.telegram.org/mtproto/description

/// What a server msg_id is for: "Server message identifiers modulo 4 yield 1 if the message is a
/// response to a client message, and 3 otherwise" ([desc]).
///
/// [desc]: https://core.telegram.org/mtproto/description
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsgIdKind {
    /// A client message: "Client message identifiers are divisible by 4".
    Client,
    /// A server response to a client message (≡ 1 mod 4).
    ServerResponse,
    /// Any other server message (≡ 3 mod 4).
    ServerOther,
}

impl MsgIdKind {
    const fn low_bits(self) -> u64 {
        match self {
            Self::Client => 0,
            Self::ServerResponse => 1,
            Self::ServerOther => 3,
        }
    }
}

/// The time part of a msg_id in whole seconds (`msg_id >> 32`, the id read as unsigned).
pub fn msg_id_time(msg_id: i64) -> u32 {
    let shifted = msg_id.cast_unsigned().wrapping_shr(32);
    u32::try_from(shifted).unwrap_or(u32::MAX)
}

/// Generates the msg_ids of one session.
///
/// [desc]: "msg_id … must approximately equal unixtime·2^32"; "the lower 32 bits … must not be
/// empty" and carry the fraction of a second; "client message identifiers are divisible by 4";
/// "identifiers of messages sent by the client … must monotonically increase within a single
/// session". The generator keeps its last id and never goes backwards or repeats, even when `now`
/// stands still or the clock is set back: the next id is then the last one plus 4.
///
/// [desc]: https://core.telegram.org/mtproto/description
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MsgIdGenerator {
    last: u64,
}

impl MsgIdGenerator {
    /// A generator that has issued nothing.
    pub const fn new() -> Self {
        Self { last: 0 }
    }

    /// The last id issued (0 before the first).
    pub fn last(&self) -> i64 {
        self.last.cast_signed()
    }

    /// The next msg_id of `kind` for the time `secs` + `nanos`·10⁻⁹ (`nanos` is clamped to below
    /// one second). `None` once the 64-bit space is exhausted (never before the year 2106).
    pub fn next(&mut self, secs: u32, nanos: u32, kind: MsgIdKind) -> Option<i64> {
        let nanos = u64::from(nanos.min(999_999_999));
        // fraction · 2^32, low two bits replaced by the kind; never an empty low half.
        let frac = nanos.checked_mul(1 << 32)? / 1_000_000_000;
        let mut low = (frac & !3) | kind.low_bits();
        if low == 0 {
            low = 4;
        }
        let candidate = (u64::from(secs) << 32) | low;
        let id = if candidate > self.last {
            candidate
        } else {
            // Strictly above the last id, with the kind's low bits.
            (self.last & !3).checked_add(4)? | kind.low_bits()
        };
        self.last = id;
        Some(id.cast_signed())
    }
}

/// Generates seq_nos: "the number of content-related messages created by the sender prior to this
/// message and subsequently incremented by one if the current message is a content-related
/// message" times two, plus one for a content-related message ([desc]).
///
/// [desc]: https://core.telegram.org/mtproto/description
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqNoGenerator {
    content_count: u32,
}

impl SeqNoGenerator {
    /// A generator that has numbered nothing.
    pub const fn new() -> Self {
        Self { content_count: 0 }
    }

    /// Content-related messages numbered so far.
    pub fn content_count(&self) -> u32 {
        self.content_count
    }

    /// The seq_no of the next message. `None` once seq_no would leave the positive `int` range.
    pub fn next(&mut self, content_related: bool) -> Option<i32> {
        let base = i32::try_from(self.content_count).ok()?.checked_mul(2)?;
        if content_related {
            self.content_count = self.content_count.checked_add(1)?;
            base.checked_add(1)
        } else {
            Some(base)
        }
    }
}
