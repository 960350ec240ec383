//! The session layer (spec §3.1 R6–R12, §3.2, §3.3): msg_id and seq_no generation, the client and
//! server receivers with their replay windows, server salts, containers and `msgs_ack` bookkeeping.
//!
//! Everything is sans-IO: every function that needs the time takes `now` (unix seconds, already
//! corrected by the clock offset where the caller knows one) as an argument.
//!
//! | item | spec | what it does |
//! |---|---|---|
//! | [`MsgIdGenerator`] | §3.2 | client msg_ids ≡ 0 mod 4, server ≡ 1 (responses) / 3 mod 4, strictly increasing |
//! | [`SeqNoGenerator`] | §3.2 | `2·(content-related sent) + 1` if content-related, else `2·count` |
//! | [`ClientReceiver`] | §3.1 R6–R9, R12 | session_id, parity, time window once synced, replay window |
//! | [`ServerReceiver`] | §3.1 R6–R12, §3.3, §10.2 #1 | the same plus seq_no (32–35), salts (48), containers (19, 64) |
//! | [`SaltSchedule`] | §3.2 | rotating, overlapping server salts |
//! | [`AckQueue`] | §3.1 R10, §3.2 | every accepted content-related msg_id waits here for a `msgs_ack` |
//! | [`parse_container`] | §7.2 | `msg_container` bodies, through [`Reader`](crate::codec::Reader) |
//!
//! # The receive order
//!
//! The first failing check names the error (spec §3.1 R6–R12), and a rejected msg_id is not
//! remembered:
//!
//! 1. `SessionIdMismatch` (R6);
//! 2. `MsgIdParity` (R7; server: code 18);
//! 3. `TimeTooFarPast` / `TimeTooFarFuture` (R9; server always: 16 / 17; client only once its clock
//!    is synchronised with the server's);
//! 4. `Duplicate` (R8; ignored on both sides; a reused *container* msg_id is code 19 on the server);
//! 5. `TooOld` (R8: lower than every stored msg_id of a full window; server: code 20);
//! 6. server only: seq_no parity against content-relatedness (34 / 35), then seq_no order
//!    (32 / 33, see [`ServerReceiver`]); containers: not content-related (34) and the R12
//!    structure rules (64);
//! 7. server only: the salt (48, `bad_server_salt`).
//!
//! [sec]: https://core.telegram.org/mtproto/security_guidelines
//! [desc]: https://core.telegram.org/mtproto/description
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod ack;
mod container;
mod ids;
mod receiver;
mod salt;
mod window;

pub use ack::{AckQueue, MAX_ACK_IDS, STANDALONE_ACK_AFTER, msgs_ack_body};
pub use container::{
    ContainerIter, InnerMessage, MAX_CONTAINER_MESSAGES, MSG_CONTAINER_ID, MSGS_ACK_ID,
    parse_container,
};
pub use ids::{MsgIdGenerator, MsgIdKind, SeqNoGenerator, msg_id_time};
pub use receiver::{
    Accepted, ClientConfig, ClientReceiver, Inbound, InnerHeader, ServerConfig, ServerReceiver,
};
pub use salt::{FutureSalt, MAX_FUTURE_SALTS, SaltSchedule};
pub use window::{DEFAULT_WINDOW, MAX_WINDOW, MsgIdWindow, WindowRefusal};

/// How far in the past a msg_id's time may be: 300 s ([sec] "more than 300 seconds in the past").
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
pub const MAX_PAST_SECS: i64 = 300;
/// How far in the future a msg_id's time may be: 30 s ([sec] "more than 30 seconds in the future").
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
pub const MAX_FUTURE_SECS: i64 = 30;

/// Where a msg_id's time stands relative to `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeVerdict {
    InWindow,
    TooFarPast,
    TooFarFuture,
}

/// R9: "the client must check that msg_id … is not more than 300 seconds in the past or 30 seconds
/// in the future" ([sec]). The time of a msg_id is `msg_id / 2^32` with the fraction in the low
/// bits, so the bounds are exact: `(now − 300)·2^32 ≤ msg_id ≤ (now + 30)·2^32` is in the window.
/// msg_ids compare as unsigned 64-bit numbers.
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
pub(crate) fn time_verdict(now: i64, msg_id: u64) -> TimeVerdict {
    let id = i128::from(msg_id);
    let lo = i128::from(now.saturating_sub(MAX_PAST_SECS)).wrapping_shl(32);
    let hi = i128::from(now.saturating_add(MAX_FUTURE_SECS)).wrapping_shl(32);
    if id < lo {
        TimeVerdict::TooFarPast
    } else if id > hi {
        TimeVerdict::TooFarFuture
    } else {
        TimeVerdict::InWindow
    }
}
