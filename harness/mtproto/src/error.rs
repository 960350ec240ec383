//! Errors as values, and the one place that decides how a receiver reacts to them.
//!
//! Every error that can come from peer bytes is a variant here, never a panic. Each variant has a
//! stable [`name`](ProtocolError::name) from the shared error vocabulary (DESIGN.md §6): a vector's
//! `error` field and an adapter's `error` answer use exactly these names. Messages never carry key
//! material.
//!
//! [`ProtocolError::reaction`] says what the peer observes. MTProto requires that every failure
//! found before the msg_key check looks exactly like a msg_key failure to the peer
//! ([sec], spec §3.1 R4): all of those map to the same [`Reaction::Discard`], so a receiver that
//! routes its reaction through this function cannot leak which check failed.
//!
//! [sec]: https://core.telegram.org/mtproto/security_guidelines

use core::fmt;

/// What a receiver does about a rejected input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reaction {
    /// Discard the packet with no answer; the same observable behaviour for every envelope failure
    /// (spec §3.1 R4). Recommended follow-up: close and re-establish the connection ([sec]).
    ///
    /// [sec]: https://core.telegram.org/mtproto/security_guidelines
    Discard,
    /// Ignore the message silently and keep the connection (client side msg_id rules, §3.1 R8–R9).
    Ignore,
    /// Answer with `bad_msg_notification` carrying this `error_code` (server side, spec §3.3).
    BadMsgNotification(i32),
    /// Refuse a local request (an encryption input the caller got wrong); nothing reaches the wire.
    Refuse,
}

/// Common behaviour of the per-layer error enums.
pub trait ProtocolError: fmt::Debug + fmt::Display {
    /// The name of this error in the shared vocabulary (DESIGN.md §6), e.g. `"MsgKeyMismatch"`.
    fn name(&self) -> &'static str;
    /// What the receiver does about it.
    fn reaction(&self) -> Reaction;
}

macro_rules! vocabulary_display {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}: {}", self.name(), self.describe())
            }
        }
        impl std::error::Error for $ty {}
    };
}

/// Errors of the AES-IGE layer (spec §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgeError {
    /// The input length is not a multiple of the 16-byte block.
    NotBlockAligned {
        /// The rejected length in bytes.
        len: usize,
    },
    /// Buffer-to-buffer: the output is not as long as the input.
    LengthMismatch {
        /// Input length in bytes.
        input: usize,
        /// Output length in bytes.
        output: usize,
    },
}

impl IgeError {
    fn describe(&self) -> String {
        match self {
            Self::NotBlockAligned { len } => {
                format!("IGE input of {len} bytes is not a multiple of 16")
            }
            Self::LengthMismatch { input, output } => {
                format!("IGE input of {input} bytes but output of {output}")
            }
        }
    }
}

impl ProtocolError for IgeError {
    fn name(&self) -> &'static str {
        match self {
            Self::NotBlockAligned { .. } => "NotBlockAligned",
            Self::LengthMismatch { .. } => "LengthMismatch",
        }
    }
    fn reaction(&self) -> Reaction {
        Reaction::Refuse
    }
}
vocabulary_display!(IgeError);

/// Errors building an [`AuthKey`](crate::AuthKey).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyError {
    /// An auth key is exactly 2048 bits; shorter or longer input is never padded or truncated.
    WrongLength {
        /// The rejected length in bytes.
        len: usize,
    },
}

impl KeyError {
    fn describe(&self) -> String {
        match self {
            Self::WrongLength { len } => format!("auth key of {len} bytes, expected 256"),
        }
    }
}

impl ProtocolError for KeyError {
    fn name(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "KeyWrongLength",
        }
    }
    fn reaction(&self) -> Reaction {
        Reaction::Refuse
    }
}
vocabulary_display!(KeyError);

/// Errors of the encrypted and unencrypted message envelopes (spec §2.1, §3.1 R1–R6).
///
/// On the receive path the variants are listed in the order the checks run (DESIGN.md §6), so a
/// packet that breaks several rules is always named by the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The packet is shorter than its fixed header, or `encrypted_data` is shorter than the
    /// smallest plaintext (32-byte header + 12 bytes of padding, rounded up to 48).
    TooShort {
        /// Bytes present.
        len: usize,
        /// Bytes needed at least.
        min: usize,
    },
    /// `auth_key_id` is not the receiver's key (or not 0 on the unencrypted path).
    AuthKeyIdMismatch,
    /// `encrypted_data` (or, when encrypting, header + body + padding) is not a multiple of 16.
    NotBlockAligned {
        /// The rejected length in bytes.
        len: usize,
    },
    /// `msg_key` differs from the one recomputed over the whole decrypted plaintext.
    MsgKeyMismatch,
    /// `message_data_length` is negative or runs past the end of the plaintext.
    LengthOutOfRange {
        /// The length field as read.
        declared: i64,
        /// Bytes available for the body.
        available: usize,
    },
    /// `message_data_length` is not divisible by 4.
    LengthNotAligned {
        /// The length field as read.
        declared: i64,
    },
    /// Fewer than 12 bytes of padding.
    PaddingTooShort {
        /// Padding bytes present.
        len: usize,
    },
    /// More than 1024 bytes of padding.
    PaddingTooLong {
        /// Padding bytes present.
        len: usize,
    },
    /// `session_id` is not the receiver's session.
    SessionIdMismatch,
}

impl EnvelopeError {
    fn describe(&self) -> String {
        match *self {
            Self::TooShort { len, min } => format!("{len} bytes, at least {min} needed"),
            Self::AuthKeyIdMismatch => "auth_key_id does not identify the receiver's key".into(),
            Self::NotBlockAligned { len } => format!("{len} bytes is not a multiple of 16"),
            Self::MsgKeyMismatch => "msg_key does not match the decrypted plaintext".into(),
            Self::LengthOutOfRange {
                declared,
                available,
            } => format!("message_data_length {declared} outside 0..={available}"),
            Self::LengthNotAligned { declared } => {
                format!("message_data_length {declared} is not divisible by 4")
            }
            Self::PaddingTooShort { len } => format!("{len} bytes of padding, at least 12 needed"),
            Self::PaddingTooLong { len } => format!("{len} bytes of padding, at most 1024 allowed"),
            Self::SessionIdMismatch => "session_id is not the receiver's session".into(),
        }
    }

    /// True for the failures that happen before the msg_key check has passed. They all look like
    /// [`EnvelopeError::MsgKeyMismatch`] to the peer (spec §3.1 R4).
    pub fn is_before_msg_key_check(&self) -> bool {
        matches!(
            self,
            Self::TooShort { .. }
                | Self::AuthKeyIdMismatch
                | Self::NotBlockAligned { .. }
                | Self::MsgKeyMismatch
        )
    }
}

impl ProtocolError for EnvelopeError {
    fn name(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "TooShort",
            Self::AuthKeyIdMismatch => "AuthKeyIdMismatch",
            Self::NotBlockAligned { .. } => "NotBlockAligned",
            Self::MsgKeyMismatch => "MsgKeyMismatch",
            Self::LengthOutOfRange { .. } => "LengthOutOfRange",
            Self::LengthNotAligned { .. } => "LengthNotAligned",
            Self::PaddingTooShort { .. } => "PaddingTooShort",
            Self::PaddingTooLong { .. } => "PaddingTooLong",
            Self::SessionIdMismatch => "SessionIdMismatch",
        }
    }

    /// Every envelope failure is discarded identically: the [sec] rule "the response to any error
    /// encountered before the msg_key check must be the same as the response to a failed msg_key
    /// check" is kept by giving all of them one reaction, and the later ones ("completely discard
    /// the message") need nothing else.
    ///
    /// [sec]: https://core.telegram.org/mtproto/security_guidelines
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}
vocabulary_display!(EnvelopeError);

/// Errors of the TL primitive codec (spec §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ended inside a value.
    UnexpectedEnd {
        /// Byte offset where the read started.
        offset: usize,
        /// Bytes the value needed.
        needed: usize,
    },
    /// Bytes were left after the value.
    TrailingBytes {
        /// Byte offset of the first unread byte.
        offset: usize,
        /// How many bytes were left.
        left: usize,
    },
    /// A `bytes`/`string` used the long length form for a length the short form can hold.
    NonCanonicalLength {
        /// Byte offset of the length prefix.
        offset: usize,
    },
    /// A `bytes`/`string` had a non-zero padding byte.
    NonZeroPadding {
        /// Byte offset of the offending byte.
        offset: usize,
    },
    /// A value too long to encode (`bytes` longer than 2^24 - 1).
    TooLong {
        /// The rejected length in bytes.
        len: usize,
    },
}

impl CodecError {
    fn describe(&self) -> String {
        match *self {
            Self::UnexpectedEnd { offset, needed } => {
                format!("input ends inside a value at offset {offset} ({needed} bytes needed)")
            }
            Self::TrailingBytes { offset, left } => {
                format!("{left} trailing bytes at offset {offset}")
            }
            Self::NonCanonicalLength { offset } => {
                format!("long length form for a short value at offset {offset}")
            }
            Self::NonZeroPadding { offset } => format!("non-zero padding byte at offset {offset}"),
            Self::TooLong { len } => format!("{len} bytes is longer than a TL bytes can hold"),
        }
    }
}

impl ProtocolError for CodecError {
    fn name(&self) -> &'static str {
        match self {
            Self::UnexpectedEnd { .. } => "UnexpectedEnd",
            Self::TrailingBytes { .. } => "TrailingBytes",
            Self::NonCanonicalLength { .. } => "NonCanonicalLength",
            Self::NonZeroPadding { .. } => "NonZeroPadding",
            Self::TooLong { .. } => "TooLong",
        }
    }
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}
vocabulary_display!(CodecError);
