//! A strict, sans-IO reference implementation of Telegram's MTProto 2.0.
//!
//! This crate is the reference side of `mtproto-harness`: every function takes bytes (and, where
//! the protocol needs them, the current time and random bytes) as arguments and returns values.
//! It never reads a clock, an RNG, a file or the network, and no input makes it panic.
//!
//! | module | spec | what it holds |
//! |---|---|---|
//! | [`codec`] | §0, §7 | the byte [`Reader`](codec::Reader) and TL primitives |
//! | [`crypto::ige`] | §1 | AES-IGE over any 128-bit block cipher |
//! | [`crypto::kdf`] | §2.2, §2.3, §6.3 | msg_key, aes_key/aes_iv (v2 and v1), quick-ack token |
//! | [`auth_key`] | §2.1 | the 256-byte key, `auth_key_id`, `aux_hash` |
//! | [`envelope`] | §2.1, §3.1 R1–R6 | encrypt, and decrypt with every receiver check |
//! | [`secret`] | §8 | secret chats: key exchange, messages, seq_no, re-keying, visualisation |
//! | [`call`] | §9, §12 | calls: committed key exchange, emoji, call packets |
//! | [`error`] | — | the shared error vocabulary and the receiver's [`Reaction`] |
//! | `fuzzing` | — | the exponentiation memo of fuzz builds (`cfg(fuzzing)` only; the harness is the `mtproto-fuzzing` crate) |
//!
//! Section numbers (§) name the protocol areas the reference's doc comments use throughout; each
//! check's doc comment quotes the core.telegram.org clause it enforces.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]

/// Whether one of the named deliberate bugs of [`mutants`] (`mutant!(A | B)`) is active: always
/// `false` without the `mutants` feature, so a normal build compiles every check site to the
/// correct code.
macro_rules! mutant {
    ($($m:ident)|+) => {{
        #[cfg(feature = "mutants")]
        let on = $(crate::mutants::on(crate::mutants::Mutant::$m))||+;
        #[cfg(not(feature = "mutants"))]
        let on = false;
        on
    }};
}

pub mod auth_key;
pub mod call;
pub mod codec;
pub mod crypto;
pub mod envelope;
pub mod error;
#[cfg(any(fuzzing, test))]
pub mod fuzzing;
pub mod handshake;
#[cfg(feature = "mutants")]
pub mod mutants;
pub mod secret;
pub mod session;
pub mod tl;
pub mod transport;
mod wipe;

pub use auth_key::AuthKey;
pub use crypto::kdf::Direction;
pub use envelope::Receiver;
pub use error::{
    CallError, CodecError, EnvelopeError, IgeError, KeyError, ProtocolError, Reaction, SecretError,
};
