//! Secret chats (spec §8, [e2e]): end-to-end encrypted chats between two clients, relayed by
//! the server, which must learn nothing and change nothing undetected.
//!
//! | module | spec | what it holds |
//! |---|---|---|
//! | [`key`] | §5, §8.1 | key exchange, the client secret, `key_fingerprint` |
//! | [`message`] | §8.2 | MTProto 2.0 with the chat key, x = 0 / 8 by role, the layer checks |
//! | [`seq`] | §8.3 | in_seq_no / out_seq_no: parity, repeats, gaps and resend requests |
//! | [`rekey`] | §8.4 | the re-keying state machine (Request/Accept/Commit/Abort) and trigger |
//! | [`visual`] | §8.5 | the 36-byte key visualisation and its 12×12 picture |
//! | [`file`] | §8.6 | file key fingerprints, file encryption by parts, self-destruct deadlines |
//! | [`chat`] | §8.2–§8.4 | [`SecretChat`]: one side of a chat, `receive(packet) -> Verdict` |
//!
//! [e2e]: https://core.telegram.org/api/end-to-end

pub mod chat;
pub mod file;
pub mod key;
pub mod message;
pub mod rekey;
pub mod seq;
pub mod visual;

pub use chat::{Delivered, Notice, SecretChat, Verdict};
pub use key::{ChatKey, client_secret};
pub use message::Role;
