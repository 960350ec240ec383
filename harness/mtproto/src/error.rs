//! Errors as values, and the one place that decides how a receiver reacts to them.
//!
//! Every error that can come from peer bytes is a variant here, never a panic. Each variant has a
//! stable [`name`](ProtocolError::name) from the shared error vocabulary
//! (docs/error-vocabulary.md): a vector's `error` field and an adapter's `error` answer use
//! exactly these names. Messages never carry key material.
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
    /// Close the secret chat or call (`messages.discardEncryption` / `phone.discardCall`) and tell
    /// the user: the peer broke a rule that no honest peer and no network fault can break (spec
    /// §8.1, §8.3, §9.1).
    CloseChat,
}

/// Common behaviour of the per-layer error enums.
pub trait ProtocolError: fmt::Debug + fmt::Display {
    /// The name of this error in the shared vocabulary (docs/error-vocabulary.md), e.g.
    /// `"MsgKeyMismatch"`.
    fn name(&self) -> &'static str;
    /// What the receiver does about it.
    fn reaction(&self) -> Reaction;
}

/// One table per error enum: each arm maps variants to their name in the shared vocabulary, and
/// the macro gives both `vocabulary_name()` (what [`ProtocolError::name`] returns) and `NAMES`,
/// the list of the names the enum's own arms give, in table order. Arms under `via` take the
/// name of the wrapped error (another enum's table).
macro_rules! vocabulary {
    (
        $ty:ident { $($pat:pat => $name:literal),* $(,)? }
        $(via { $($dpat:pat => $inner:ident),* $(,)? })?
    ) => {
        impl $ty {
            /// The names this enum's own variants give, in table order (wrapped errors give the
            /// names of their own enum).
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            fn vocabulary_name(&self) -> &'static str {
                match self {
                    $($pat => $name,)*
                    $($($dpat => $inner.name(),)*)?
                }
            }
        }
    };
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

vocabulary! {
    IgeError {
        Self::NotBlockAligned { .. } => "NotBlockAligned",
        Self::LengthMismatch { .. } => "LengthMismatch",
    }
}

impl ProtocolError for IgeError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
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

vocabulary! {
    KeyError {
        Self::WrongLength { .. } => "KeyWrongLength",
    }
}

impl ProtocolError for KeyError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    fn reaction(&self) -> Reaction {
        Reaction::Refuse
    }
}
vocabulary_display!(KeyError);

/// Errors of the encrypted and unencrypted message envelopes (spec §2.1, §3.1 R1–R6).
///
/// On the receive path the variants are listed in the order the checks run (spec §3.1), so a
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

vocabulary! {
    EnvelopeError {
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

impl ProtocolError for EnvelopeError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
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

vocabulary! {
    CodecError {
        Self::UnexpectedEnd { .. } => "UnexpectedEnd",
        Self::TrailingBytes { .. } => "TrailingBytes",
        Self::NonCanonicalLength { .. } => "NonCanonicalLength",
        Self::NonZeroPadding { .. } => "NonZeroPadding",
        Self::TooLong { .. } => "TooLong",
    }
}

impl ProtocolError for CodecError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}
vocabulary_display!(CodecError);

/// Errors of the session layer (spec §3.1 R6–R12, §3.3): the receivers' msg_id, seq_no, salt and
/// container checks.
///
/// The variants shared by both sides carry the [`Receiver`](crate::Receiver) that found them,
/// because the reaction differs: a client ignores the message silently ([sec] "is to be
/// ignored"), a server answers `bad_msg_notification` with the code of spec §3.3 ([ssm]), or
/// `bad_server_salt` (48) for a salt. Duplicates are ignored on both sides, and a message for
/// another session is discarded. On the receive path the variants are listed in check order.
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
/// [ssm]: https://core.telegram.org/mtproto/service_messages_about_messages
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionError {
    /// R6: `session_id` is not the receiver's session.
    SessionIdMismatch {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R7: the msg_id's low bits are wrong for its sender (server code 18).
    MsgIdParity {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R9: the msg_id's time is more than 300 s before `now` (server code 16).
    TimeTooFarPast {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R9: the msg_id's time is more than 30 s after `now` (server code 17).
    TimeTooFarFuture {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R8: the msg_id was already received (ignored on both sides).
    Duplicate {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R8: the msg_id is lower than every stored msg_id of a full window (server code 20).
    TooOld {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// Server, code 19: a container's msg_id equals that of a message already received.
    ContainerMsgIdReused,
    /// Server, code 35: a content-related message with an even seq_no.
    SeqNoShouldBeOdd,
    /// Server, code 34: a message that is not content-related with an odd seq_no.
    SeqNoShouldBeEven,
    /// Server, code 32: the seq_no is lower than the session's next one, or than that of a
    /// message with a lower msg_id.
    SeqNoTooLow,
    /// Server, code 33: the seq_no is higher than the session's next one (a message is missing or
    /// arrived out of order), or than that of a message with a higher msg_id.
    SeqNoTooHigh,
    /// R12 (server code 64): a container inside a container.
    ContainerNested {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R12 (server code 64): more than 1024 messages in a container.
    ContainerTooLarge {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R12 (server code 64): a nested msg_id is not lower than the container's.
    ContainerMsgIdNotGreatest {
        /// Who received it.
        receiver: crate::Receiver,
    },
    /// R12 (server code 64): the container's seq_no is lower than a nested one's.
    ContainerSeqNoBelowInner,
    /// R11 (server, `bad_server_salt`, code 48): the salt is not valid at `now`.
    BadServerSalt,
    /// Local: the ack queue is full; send a `msgs_ack` before accepting more content-related
    /// messages. Nothing reaches the wire.
    AckBacklogFull,
    /// Local: the msg_id or seq_no space of the session is exhausted.
    Exhausted,
}

impl SessionError {
    fn describe(&self) -> String {
        match self {
            Self::SessionIdMismatch { .. } => "session_id is not the receiver's session".into(),
            Self::MsgIdParity { .. } => "msg_id has the wrong low bits for its sender".into(),
            Self::TimeTooFarPast { .. } => "msg_id time more than 300 s before now".into(),
            Self::TimeTooFarFuture { .. } => "msg_id time more than 30 s after now".into(),
            Self::Duplicate { .. } => "msg_id already received".into(),
            Self::TooOld { .. } => "msg_id lower than every stored msg_id of a full window".into(),
            Self::ContainerMsgIdReused => "container msg_id already received".into(),
            Self::SeqNoShouldBeOdd => "even seq_no for a content-related message".into(),
            Self::SeqNoShouldBeEven => "odd seq_no for a message not content-related".into(),
            Self::SeqNoTooLow => "seq_no too low".into(),
            Self::SeqNoTooHigh => "seq_no too high".into(),
            Self::ContainerNested { .. } => "container inside a container".into(),
            Self::ContainerTooLarge { .. } => "more than 1024 messages in a container".into(),
            Self::ContainerMsgIdNotGreatest { .. } => {
                "a nested msg_id is not lower than the container's".into()
            }
            Self::ContainerSeqNoBelowInner => "container seq_no below a nested one".into(),
            Self::BadServerSalt => "salt not valid now".into(),
            Self::AckBacklogFull => "ack queue full".into(),
            Self::Exhausted => "msg_id or seq_no space exhausted".into(),
        }
    }

    /// The `bad_msg_notification` `error_code` (48: `bad_server_salt`) a server answers with, if
    /// any (spec §3.3).
    pub fn bad_msg_code(&self) -> Option<i32> {
        match self.reaction() {
            Reaction::BadMsgNotification(code) => Some(code),
            _ => None,
        }
    }
}

vocabulary! {
    SessionError {
        Self::SessionIdMismatch { .. } => "SessionIdMismatch",
        Self::MsgIdParity { .. } => "MsgIdParity",
        Self::TimeTooFarPast { .. } => "TimeTooFarPast",
        Self::TimeTooFarFuture { .. } => "TimeTooFarFuture",
        Self::Duplicate { .. } => "Duplicate",
        Self::TooOld { .. } => "TooOld",
        Self::ContainerMsgIdReused => "ContainerMsgIdReused",
        Self::SeqNoShouldBeOdd => "SeqNoShouldBeOdd",
        Self::SeqNoShouldBeEven => "SeqNoShouldBeEven",
        Self::SeqNoTooLow => "SeqNoTooLow",
        Self::SeqNoTooHigh => "SeqNoTooHigh",
        Self::ContainerNested { .. } => "ContainerNested",
        Self::ContainerTooLarge { .. } => "ContainerTooLarge",
        Self::ContainerMsgIdNotGreatest { .. } => "ContainerMsgIdNotGreatest",
        Self::ContainerSeqNoBelowInner => "ContainerSeqNoBelowInner",
        Self::BadServerSalt => "BadServerSalt",
        Self::AckBacklogFull => "AckBacklogFull",
        Self::Exhausted => "Exhausted",
    }
}

impl ProtocolError for SessionError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }

    /// A client ignores (R8, R9: "is to be ignored"); a server answers with the code of spec
    /// §3.3, ignores duplicates and discards messages of another session.
    fn reaction(&self) -> Reaction {
        use crate::Receiver::{Client, Server};
        match *self {
            Self::AckBacklogFull | Self::Exhausted => Reaction::Refuse,
            Self::SessionIdMismatch { receiver: Server } => Reaction::Discard,
            Self::SessionIdMismatch { receiver: Client }
            | Self::MsgIdParity { receiver: Client }
            | Self::TimeTooFarPast { receiver: Client }
            | Self::TimeTooFarFuture { receiver: Client }
            | Self::Duplicate { .. }
            | Self::TooOld { receiver: Client }
            | Self::ContainerNested { receiver: Client }
            | Self::ContainerTooLarge { receiver: Client }
            | Self::ContainerMsgIdNotGreatest { receiver: Client } => Reaction::Ignore,
            Self::TimeTooFarPast { receiver: Server } => Reaction::BadMsgNotification(16),
            Self::TimeTooFarFuture { receiver: Server } => Reaction::BadMsgNotification(17),
            Self::MsgIdParity { receiver: Server } => Reaction::BadMsgNotification(18),
            Self::ContainerMsgIdReused => Reaction::BadMsgNotification(19),
            Self::TooOld { receiver: Server } => Reaction::BadMsgNotification(20),
            Self::SeqNoTooLow => Reaction::BadMsgNotification(32),
            Self::SeqNoTooHigh => Reaction::BadMsgNotification(33),
            Self::SeqNoShouldBeEven => Reaction::BadMsgNotification(34),
            Self::SeqNoShouldBeOdd => Reaction::BadMsgNotification(35),
            Self::BadServerSalt => Reaction::BadMsgNotification(48),
            Self::ContainerNested { receiver: Server }
            | Self::ContainerTooLarge { receiver: Server }
            | Self::ContainerMsgIdNotGreatest { receiver: Server }
            | Self::ContainerSeqNoBelowInner => Reaction::BadMsgNotification(64),
        }
    }
}
vocabulary_display!(SessionError);

/// Errors of the Diffie–Hellman parameter and value checks (spec §5, [sec], [auth]).
///
/// Parameter checks run in the order the variants are listed, so a `(p, g)` that breaks several
/// rules is named by the first: size, `g` range, `g`'s congruence, then primality.
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
/// [auth]: https://core.telegram.org/mtproto/auth_key
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DhError {
    /// `dh_prime` is not a 2048-bit number written in exactly 256 bytes.
    PWrongSize {
        /// Bytes in the encoding.
        len: usize,
    },
    /// `g` is not one of 2, 3, 4, 5, 6, 7.
    GOutOfRange {
        /// The rejected `g`.
        g: i64,
    },
    /// `p` does not satisfy `g`'s congruence, so `g` does not generate the order-(p-1)/2 subgroup.
    GNotGenerator {
        /// The `g` whose congruence failed.
        g: u32,
    },
    /// `p` is composite.
    PNotPrime,
    /// `p` is prime but `(p - 1) / 2` is composite.
    PNotSafePrime,
    /// A `g_a`/`g_b` not in the open interval `(1, p - 1)`.
    ValueOutOfRange,
    /// A `g_a`/`g_b` in `(1, p - 1)` but outside `[2^1984, p - 2^1984]`.
    ValueUnsafe,
}

impl DhError {
    fn describe(&self) -> String {
        match *self {
            Self::PWrongSize { len } => {
                format!("dh_prime of {len} bytes is not a 2048-bit number in 256 bytes")
            }
            Self::GOutOfRange { g } => format!("g = {g} is not in 2..=7"),
            Self::GNotGenerator { g } => format!("dh_prime fails the congruence for g = {g}"),
            Self::PNotPrime => "dh_prime is composite".into(),
            Self::PNotSafePrime => "(dh_prime - 1) / 2 is composite".into(),
            Self::ValueOutOfRange => "value not in (1, p - 1)".into(),
            Self::ValueUnsafe => "value outside [2^1984, p - 2^1984]".into(),
        }
    }
}

vocabulary! {
    DhError {
        Self::PWrongSize { .. } => "PWrongSize",
        Self::GOutOfRange { .. } => "GOutOfRange",
        Self::GNotGenerator { .. } => "GNotGenerator",
        Self::PNotPrime => "PNotPrime",
        Self::PNotSafePrime => "PNotSafePrime",
        Self::ValueOutOfRange => "ValueOutOfRange",
        Self::ValueUnsafe => "ValueUnsafe",
    }
}

impl ProtocolError for DhError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    /// Bad DH parameters abort the key exchange: nothing is answered and the connection is closed.
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}
vocabulary_display!(DhError);

/// Errors factoring `pq` (spec §4 step 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PqError {
    /// `pq` is not a product of two primes `p < q` below 2^32 each (or of `p = q`), as the
    /// handshake requires: it is prime, 1, too long, or its factors do not fit.
    NotFactorable,
}

vocabulary! {
    PqError {
        Self::NotFactorable => "PqNotFactorable",
    }
}

impl ProtocolError for PqError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}

impl PqError {
    fn describe(&self) -> String {
        "pq has no split into two primes below 2^32".into()
    }
}
vocabulary_display!(PqError);

/// Errors of RSA keys and RSA_PAD (spec §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaError {
    /// The PEM or DER of a key could not be read.
    KeyMalformed,
    /// The key is not a 2048-bit modulus with an odd public exponent > 1.
    KeyUnsupported,
    /// RSA_PAD input longer than 144 bytes.
    DataTooLong {
        /// The rejected length.
        len: usize,
    },
    /// Every temp_key the caller supplied gave a value `>= n` (the retry rule needs another).
    RetriesExhausted,
    /// An RSA ciphertext that is not exactly 256 bytes.
    CiphertextWrongSize {
        /// The rejected length.
        len: usize,
    },
    /// An RSA ciphertext `>= n`.
    CiphertextOutOfRange,
    /// `SHA256(temp_key + data_with_padding)` differs from the hash in the decrypted block.
    HashMismatch,
}

impl RsaError {
    fn describe(&self) -> String {
        match *self {
            Self::KeyMalformed => "RSA key PEM/DER is malformed".into(),
            Self::KeyUnsupported => "RSA key is not 2048-bit with an odd exponent > 1".into(),
            Self::DataTooLong { len } => format!("{len} bytes of data, at most 144 allowed"),
            Self::RetriesExhausted => "every supplied temp_key gave a value >= n".into(),
            Self::CiphertextWrongSize { len } => format!("RSA ciphertext of {len} bytes, not 256"),
            Self::CiphertextOutOfRange => "RSA ciphertext >= n".into(),
            Self::HashMismatch => "RSA_PAD hash over data_with_padding does not match".into(),
        }
    }
}

vocabulary! {
    RsaError {
        Self::KeyMalformed => "RsaKeyMalformed",
        Self::KeyUnsupported => "RsaKeyUnsupported",
        Self::DataTooLong { .. } => "RsaDataTooLong",
        Self::RetriesExhausted => "RsaRetriesExhausted",
        Self::CiphertextWrongSize { .. } => "RsaCiphertextWrongSize",
        Self::CiphertextOutOfRange => "RsaCiphertextOutOfRange",
        Self::HashMismatch => "RsaPadHashMismatch",
    }
}

impl ProtocolError for RsaError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    fn reaction(&self) -> Reaction {
        match self {
            Self::KeyMalformed
            | Self::KeyUnsupported
            | Self::DataTooLong { .. }
            | Self::RetriesExhausted => Reaction::Refuse,
            _ => Reaction::Discard,
        }
    }
}
vocabulary_display!(RsaError);

/// Errors of the auth-key handshake (spec §4), on either side. Every one aborts the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The unencrypted envelope around a handshake message is malformed.
    Envelope(EnvelopeError),
    /// A TL field could not be read, or bytes were left over.
    Codec(CodecError),
    /// The message is not the constructor this step expects.
    UnexpectedConstructor {
        /// The constructor id found.
        id: u32,
    },
    /// `nonce` differs from the one the client sent.
    NonceMismatch,
    /// `server_nonce` differs from the one in `resPQ`.
    ServerNonceMismatch,
    /// No offered fingerprint names a key the client has (or the server's key is unknown).
    NoKnownFingerprint,
    /// `pq` cannot be factored as the handshake requires.
    Pq(PqError),
    /// RSA_PAD failed.
    Rsa(RsaError),
    /// `encrypted_answer`/`encrypted_data` is not a multiple of 16 bytes.
    NotBlockAligned {
        /// The rejected length.
        len: usize,
    },
    /// The SHA1 in front of the decrypted answer/data does not match it.
    AnswerHashMismatch,
    /// 16 or more bytes follow the decrypted answer/data.
    AnswerPaddingTooLong {
        /// Bytes left after the TL object.
        len: usize,
    },
    /// A DH check failed.
    Dh(DhError),
    /// `new_nonce_hash1/2/3` does not match.
    NewNonceHashMismatch,
    /// The server answered `dh_gen_fail` (with a valid `new_nonce_hash3`).
    DhGenFail,
    /// Server side: `p` and `q` are not the factors of the `pq` sent, in order.
    PqMismatch,
    /// Server side: `retry_id` is not 0 / the previous `auth_key_aux_hash`.
    RetryIdMismatch,
    /// Server side: the inner data names another DC, or the temp key has no lifetime.
    InnerDataRejected,
}

impl HandshakeError {
    fn describe(&self) -> String {
        match *self {
            Self::Envelope(e) => format!("envelope: {e}"),
            Self::Codec(e) => format!("TL: {e}"),
            Self::UnexpectedConstructor { id } => format!("unexpected constructor {id:#010x}"),
            Self::NonceMismatch => "nonce differs from the one sent".into(),
            Self::ServerNonceMismatch => "server_nonce differs from resPQ's".into(),
            Self::NoKnownFingerprint => "no offered RSA key fingerprint is known".into(),
            Self::Pq(e) => format!("pq: {e}"),
            Self::Rsa(e) => format!("RSA: {e}"),
            Self::NotBlockAligned { len } => format!("{len} bytes is not a multiple of 16"),
            Self::AnswerHashMismatch => "SHA1 of the decrypted answer does not match".into(),
            Self::AnswerPaddingTooLong { len } => {
                format!("{len} bytes after the answer, at most 15 allowed")
            }
            Self::Dh(e) => format!("DH: {e}"),
            Self::NewNonceHashMismatch => "new_nonce_hash does not match".into(),
            Self::DhGenFail => "server answered dh_gen_fail".into(),
            Self::PqMismatch => "p, q do not factor the pq sent (p < q)".into(),
            Self::RetryIdMismatch => "retry_id does not match".into(),
            Self::InnerDataRejected => "p_q_inner_data names another DC or no lifetime".into(),
        }
    }
}

vocabulary! {
    HandshakeError {
        Self::UnexpectedConstructor { .. } => "UnexpectedConstructor",
        Self::NonceMismatch => "NonceMismatch",
        Self::ServerNonceMismatch => "ServerNonceMismatch",
        Self::NoKnownFingerprint => "NoKnownFingerprint",
        Self::NotBlockAligned { .. } => "NotBlockAligned",
        Self::AnswerHashMismatch => "AnswerHashMismatch",
        Self::AnswerPaddingTooLong { .. } => "AnswerPaddingTooLong",
        Self::NewNonceHashMismatch => "NewNonceHashMismatch",
        Self::DhGenFail => "DhGenFail",
        Self::PqMismatch => "PqMismatch",
        Self::RetryIdMismatch => "RetryIdMismatch",
        Self::InnerDataRejected => "InnerDataRejected",
    }
    via {
        Self::Envelope(e) => e,
        Self::Codec(e) => e,
        Self::Pq(e) => e,
        Self::Rsa(e) => e,
        Self::Dh(e) => e,
    }
}

impl ProtocolError for HandshakeError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }
    /// Every handshake failure aborts the exchange without an answer; the client starts over on
    /// a new connection (TDLib restarts the whole handshake, spec §4 step 9).
    fn reaction(&self) -> Reaction {
        Reaction::Discard
    }
}
vocabulary_display!(HandshakeError);

impl From<CodecError> for HandshakeError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}

impl From<EnvelopeError> for HandshakeError {
    fn from(e: EnvelopeError) -> Self {
        Self::Envelope(e)
    }
}

impl From<DhError> for HandshakeError {
    fn from(e: DhError) -> Self {
        Self::Dh(e)
    }
}

impl From<RsaError> for HandshakeError {
    fn from(e: RsaError) -> Self {
        Self::Rsa(e)
    }
}

impl From<PqError> for HandshakeError {
    fn from(e: PqError) -> Self {
        Self::Pq(e)
    }
}

/// Errors of the transport layer (spec §6): framing, quick acks, transport error packets and
/// obfuscation.
///
/// A decoder that returns one of these has lost frame sync: it keeps returning the same error
/// (the stream cannot be resynchronised), and the connection must be closed ([transports]).
/// Encoder-side variants refuse a local request and never reach the wire.
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportError {
    /// A client-to-server stream did not start with its transport's tag (`0xef`, `eeeeeeee`,
    /// `dddddddd`).
    WrongTransportTag {
        /// The byte found at the offending position.
        got: u8,
    },
    /// A frame's payload is 2^24 bytes or longer (the cap every implementation uses).
    FrameTooLong {
        /// The declared payload length.
        len: u64,
    },
    /// A full-transport `len` under 12 (its own 4 bytes, the seqno and the CRC).
    FrameTooShort {
        /// The declared `len`.
        len: u32,
    },
    /// An abridged long-form header (`0x7f` + 3 bytes) for a length the 1-byte form holds.
    NonCanonicalLength {
        /// The declared length in bytes.
        len: u32,
    },
    /// A full-transport frame whose CRC32 does not match `len ‖ seqno ‖ payload`.
    CrcMismatch {
        /// The CRC the frame carries.
        got: u32,
        /// The CRC of the frame's bytes.
        computed: u32,
    },
    /// A full-transport frame whose seqno is not the next one expected on the connection.
    SeqnoMismatch {
        /// The seqno expected.
        expected: u32,
        /// The seqno received.
        got: u32,
    },
    /// Encoding: an abridged payload length that is not a multiple of 4.
    FrameNotAligned {
        /// The payload length.
        len: usize,
    },
    /// A whole stream ended inside a frame.
    Truncated {
        /// Bytes of the unfinished frame that were present.
        have: usize,
    },
    /// A quick-ack form where the transport or the direction has none (a server requesting one,
    /// a client answering one, the full transport).
    QuickAckNotAllowed,
    /// A quick-ack token without its top bit set.
    BadQuickAckToken {
        /// The token.
        token: u32,
    },
    /// More random padding than the padded intermediate transport allows (15, or 8 after a quick
    /// ack).
    FramePaddingTooLong {
        /// Padding bytes given.
        len: usize,
    },
    /// An obfuscation init whose first bytes a client must never send (they would look like
    /// another transport or protocol).
    ForbiddenPrefix,
    /// An obfuscation init whose decrypted protocol tag is not `efefefef`, `eeeeeeee` or
    /// `dddddddd` (or not the one an MTProxy secret requires).
    UnknownProtocolTag {
        /// The decrypted tag.
        tag: u32,
    },
    /// Every 64-byte candidate of the random bytes given had a forbidden prefix.
    RandomExhausted {
        /// How many candidates were tried.
        tried: usize,
    },
    /// An MTProxy secret that is neither 16 bytes nor `dd` + 16 bytes.
    BadSecret {
        /// Its length.
        len: usize,
    },
}

impl TransportError {
    fn describe(&self) -> String {
        match *self {
            Self::WrongTransportTag { got } => {
                format!("the stream does not start with its transport tag (byte {got:#04x})")
            }
            Self::FrameTooLong { len } => format!("frame payload of {len} bytes, cap is 2^24 - 1"),
            Self::FrameTooShort { len } => format!("full transport len {len} is under 12"),
            Self::NonCanonicalLength { len } => {
                format!("abridged long form used for a {len}-byte payload")
            }
            Self::CrcMismatch { got, computed } => {
                format!("CRC32 {got:#010x} but the frame hashes to {computed:#010x}")
            }
            Self::SeqnoMismatch { expected, got } => {
                format!("seqno {got}, expected {expected}")
            }
            Self::FrameNotAligned { len } => {
                format!("abridged payload of {len} bytes is not a multiple of 4")
            }
            Self::Truncated { have } => {
                format!("the stream ends inside a frame ({have} bytes of it present)")
            }
            Self::QuickAckNotAllowed => "no quick-ack form for this transport and direction".into(),
            Self::BadQuickAckToken { token } => {
                format!("quick-ack token {token:#010x} lacks its top bit")
            }
            Self::FramePaddingTooLong { len } => format!("{len} bytes of transport padding"),
            Self::ForbiddenPrefix => "obfuscation init starts with a forbidden prefix".into(),
            Self::UnknownProtocolTag { tag } => format!("unknown protocol tag {tag:#010x}"),
            Self::RandomExhausted { tried } => {
                format!("all {tried} random 64-byte candidates had a forbidden prefix")
            }
            Self::BadSecret { len } => format!("MTProxy secret of {len} bytes"),
        }
    }
}

vocabulary! {
    TransportError {
        Self::WrongTransportTag { .. } => "WrongTransportTag",
        Self::FrameTooLong { .. } => "FrameTooLong",
        Self::FrameTooShort { .. } => "FrameTooShort",
        Self::NonCanonicalLength { .. } => "NonCanonicalLength",
        Self::CrcMismatch { .. } => "CrcMismatch",
        Self::SeqnoMismatch { .. } => "SeqnoMismatch",
        Self::FrameNotAligned { .. } => "FrameNotAligned",
        Self::Truncated { .. } => "Truncated",
        Self::QuickAckNotAllowed => "QuickAckNotAllowed",
        Self::BadQuickAckToken { .. } => "BadQuickAckToken",
        Self::FramePaddingTooLong { .. } => "FramePaddingTooLong",
        Self::ForbiddenPrefix => "ForbiddenPrefix",
        Self::UnknownProtocolTag { .. } => "UnknownProtocolTag",
        Self::RandomExhausted { .. } => "RandomExhausted",
        Self::BadSecret { .. } => "BadSecret",
    }
}

impl ProtocolError for TransportError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }

    /// Every decoding failure loses frame sync: the frame is discarded and the connection must be
    /// closed ([transports]). Encoder-side refusals never reach the wire.
    ///
    /// [transports]: https://core.telegram.org/mtproto/mtproto-transports
    fn reaction(&self) -> Reaction {
        match self {
            Self::FrameNotAligned { .. }
            | Self::QuickAckNotAllowed
            | Self::BadQuickAckToken { .. }
            | Self::FramePaddingTooLong { .. }
            | Self::RandomExhausted { .. }
            | Self::BadSecret { .. } => Reaction::Refuse,
            _ => Reaction::Discard,
        }
    }
}
vocabulary_display!(TransportError);

/// Errors of the TL layer (spec §7): strict decoding of generated types, `gzip_packed` and
/// `msg_container` limits, and the JSON form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlError {
    /// A primitive could not be read (truncated, trailing bytes, non-canonical length, non-zero
    /// padding).
    Codec(CodecError),
    /// A constructor id that is not one of the expected type's.
    UnknownConstructor {
        /// The id read.
        id: u32,
        /// The type expected.
        expected: &'static str,
    },
    /// A `Bool` that is neither `boolTrue#997275b5` nor `boolFalse#bc799737`.
    BadBool {
        /// The id read.
        id: u32,
    },
    /// A boxed `Vector` whose id is not `1cb5c415`.
    BadVectorId {
        /// The id read.
        id: u32,
    },
    /// A vector count larger than the bytes left could hold (or negative).
    CountTooLarge {
        /// The count read.
        count: i64,
        /// Bytes left in the input.
        left: usize,
    },
    /// A `string` that is not UTF-8.
    InvalidUtf8,
    /// A flags word with bits no field of the constructor uses.
    UnknownFlags {
        /// The bits not defined.
        bits: u32,
    },
    /// Values nested deeper than the decoder allows.
    TooDeep,
    /// A `msg_container` with more than 1024 messages.
    ContainerTooLarge {
        /// The count read.
        count: usize,
    },
    /// A `msg_container` inside a `msg_container`.
    NestedContainer,
    /// A container message whose `bytes` field is negative, not a multiple of 4, past the end of
    /// the container, or not the length of its body.
    MessageLength {
        /// The `bytes` field.
        declared: i32,
    },
    /// More than 8192 ids in `msgs_ack`, `msgs_state_req` or `msg_resend_req`.
    TooManyIds {
        /// The count read.
        count: usize,
    },
    /// `gzip_packed` data that is not valid gzip.
    BadGzip,
    /// `gzip_packed` data that inflates past the limit.
    GzipTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A JSON form that does not describe a value of the expected type.
    BadJson {
        /// The constructor or type being read.
        at: &'static str,
    },
}

impl TlError {
    fn describe(&self) -> String {
        match self {
            Self::Codec(e) => e.to_string(),
            Self::UnknownConstructor { id, expected } => {
                format!("constructor {id:#010x} is not a {expected}")
            }
            Self::BadBool { id } => format!("{id:#010x} is neither boolTrue nor boolFalse"),
            Self::BadVectorId { id } => format!("{id:#010x} is not the Vector id 0x1cb5c415"),
            Self::CountTooLarge { count, left } => {
                format!("vector count {count} cannot fit in {left} bytes")
            }
            Self::InvalidUtf8 => "a string is not UTF-8".into(),
            Self::UnknownFlags { bits } => format!("undefined flag bits {bits:#010x}"),
            Self::TooDeep => "values nested too deeply".into(),
            Self::ContainerTooLarge { count } => {
                format!("msg_container of {count} messages, at most 1024 allowed")
            }
            Self::NestedContainer => "msg_container inside a msg_container".into(),
            Self::MessageLength { declared } => {
                format!("container message bytes = {declared} does not delimit its body")
            }
            Self::TooManyIds { count } => format!("{count} msg_ids, at most 8192 allowed"),
            Self::BadGzip => "gzip_packed data is not valid gzip".into(),
            Self::GzipTooLarge { limit } => format!("gzip_packed inflates past {limit} bytes"),
            Self::BadJson { at } => format!("JSON form is not a valid {at}"),
        }
    }
}

impl From<CodecError> for TlError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}

vocabulary! {
    TlError {
        Self::UnknownConstructor { .. } => "UnknownConstructor",
        Self::BadBool { .. } => "BadBool",
        Self::BadVectorId { .. } => "BadVectorId",
        Self::CountTooLarge { .. } => "CountTooLarge",
        Self::InvalidUtf8 => "InvalidUtf8",
        Self::UnknownFlags { .. } => "UnknownFlags",
        Self::TooDeep => "TooDeep",
        Self::ContainerTooLarge { .. } => "ContainerTooLarge",
        Self::NestedContainer => "NestedContainer",
        Self::MessageLength { .. } => "MessageLength",
        Self::TooManyIds { .. } => "TooManyIds",
        Self::BadGzip => "BadGzip",
        Self::GzipTooLarge { .. } => "GzipTooLarge",
        Self::BadJson { .. } => "BadJson",
    }
    via {
        Self::Codec(e) => e,
    }
}

impl ProtocolError for TlError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }

    /// A malformed TL value is discarded. Exceeding the container or id-count limits is answered
    /// with transport error −429 by Telegram ([sm]); the reference reports it and discards.
    ///
    /// [sm]: https://core.telegram.org/mtproto/service_messages
    fn reaction(&self) -> Reaction {
        match self {
            Self::BadJson { .. } => Reaction::Refuse,
            _ => Reaction::Discard,
        }
    }
}
vocabulary_display!(TlError);

/// Errors of secret chats (spec §8): key exchange, message decryption, the decrypted-message
/// layer, sequence numbers and re-keying.
///
/// Decryption failures (spec §8.2) keep the cloud envelope's names and order (spec §3.1), with
/// `UnknownKeyFingerprint` in the place of `AuthKeyIdMismatch`; they are discarded and change no
/// state, since a relay can produce them. Failures only the peer's key holder can produce (a
/// wrong seq_no parity, an impossible in_seq_no, an unsatisfiable resend) close the chat.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretError {
    /// A DH parameter or value check failed (spec §5).
    Dh(DhError),
    /// The envelope checks of spec §8.2 (msg_key, length, padding, block alignment).
    Envelope(EnvelopeError),
    /// The decrypted-message layer is not a valid TL value of the secret schema.
    Tl(TlError),
    /// The packet's `key_fingerprint` names none of the chat's keys (current, pending or old).
    UnknownKeyFingerprint,
    /// A `key_fingerprint` sent by the peer (`acceptEncryption`, `AcceptKey`, `CommitKey`) differs
    /// from `SHA1(key)[12..20]` of the key this side computed.
    KeyFingerprintMismatch,
    /// `random_bytes` of `decryptedMessageLayer` shorter than 15 bytes.
    RandomBytesTooShort {
        /// Bytes present.
        len: usize,
    },
    /// `in_seq_no` or `out_seq_no` has the wrong parity for the sender's role.
    SeqNoParity,
    /// `out_seq_no` already received (a repeat or replay): dropped unread.
    SeqNoRepeated {
        /// The transmitted out_seq_no.
        out_seq_no: i32,
    },
    /// `in_seq_no` negative, decreasing, or above the number of messages this side has sent.
    InSeqNoInvalid {
        /// The transmitted in_seq_no.
        in_seq_no: i32,
    },
    /// A `decryptedMessageActionResend` this side cannot satisfy (a range it never sent, the
    /// wrong parity, or start after end).
    ResendInvalid {
        /// `start_seq_no`.
        start: i32,
        /// `end_seq_no`.
        end: i32,
    },
    /// More out-of-order messages waiting for a gap to fill than the chat keeps.
    GapQueueFull,
    /// A re-keying action that does not fit the exchange in progress (wrong exchange_id, wrong
    /// step, an abort after the peer's own Accept/Commit).
    RekeyUnexpected {
        /// The action's `exchange_id`.
        exchange_id: i64,
    },
    /// A local request to start re-keying while an exchange is pending.
    RekeyPending,
    /// A local request to send or answer on a chat that is closed, or a packet for one.
    ChatClosed,
    /// A local request that does not fit the chat (a body not a multiple of 4, padding outside
    /// 12..=1024, a total not a multiple of 16).
    BadRequest {
        /// What was wrong.
        what: &'static str,
    },
    /// A message that passed only as MTProto 1.0 where 1.0 is no longer allowed: its layer is 73
    /// or higher, or a message encrypted with MTProto 2.0 came first with a lower out_seq_no
    /// ([e2e]: "all messages with higher seq_no must be encrypted using MTProto 2.0", spec §8.2).
    ///
    /// [e2e]: https://core.telegram.org/api/end-to-end
    MtProto1Forbidden {
        /// The message's layer.
        layer: i32,
        /// The out_seq_no of the first MTProto 2.0 message this one follows, if that is the rule
        /// it broke.
        after_v2: Option<i32>,
    },
    /// A message processed in order whose `layer` is below the layer of the message before it
    /// (TDLib: "his_layer is not monotonic", spec §8.2).
    LayerDecreased {
        /// The message's layer.
        layer: i32,
        /// The layer of the previous in-order message.
        previous: i32,
    },
    /// A secret-chat file whose `key_fingerprint` (from `encryptedFile`) differs from
    /// `md5(key ‖ iv)[0..4] XOR md5(key ‖ iv)[4..8]` of the key and iv in the decrypted message
    /// (spec §8.6).
    FileFingerprintMismatch {
        /// The fingerprint computed from key and iv.
        computed: i32,
        /// The fingerprint received.
        received: i32,
    },
    /// A secret-chat file whose encrypted length is not a whole number of 16-byte blocks, or is
    /// shorter than the declared size (spec §8.6: the file is encrypted whole with AES-256-IGE).
    /// The reference also refuses a whole block or more of padding past the size; senders pad
    /// to under one block, but that receiver bound is this project's strictness, not the spec's.
    FileSizeInvalid {
        /// The declared size.
        size: i64,
        /// The encrypted length.
        encrypted: usize,
    },
    /// A secret-chat file whose `key` or `iv` (the `bytes` fields of the decrypted message that
    /// describes it) is not 32 bytes: spec §8.6 encrypts the file with AES-256-IGE under "a
    /// 32-byte key and a 32-byte iv", so no other length can decrypt it. A peer's message, hence
    /// a discard, not a local mistake.
    FileKeyInvalid {
        /// Bytes of `key`.
        key_len: usize,
        /// Bytes of `iv`.
        iv_len: usize,
    },
}

impl SecretError {
    fn describe(&self) -> String {
        match self {
            Self::Dh(e) => format!("DH: {e}"),
            Self::Envelope(e) => e.to_string(),
            Self::Tl(e) => format!("decryptedMessageLayer: {e}"),
            Self::UnknownKeyFingerprint => "key_fingerprint names none of the chat's keys".into(),
            Self::KeyFingerprintMismatch => {
                "key_fingerprint differs from the one of the computed key".into()
            }
            Self::RandomBytesTooShort { len } => {
                format!("random_bytes of {len} bytes, at least 15 required")
            }
            Self::SeqNoParity => "seq_no parity does not match the sender's role".into(),
            Self::SeqNoRepeated { out_seq_no } => format!("out_seq_no {out_seq_no} already seen"),
            Self::InSeqNoInvalid { in_seq_no } => {
                format!("in_seq_no {in_seq_no} is negative, decreasing or never sent")
            }
            Self::ResendInvalid { start, end } => {
                format!("resend of {start}..={end} cannot be satisfied")
            }
            Self::GapQueueFull => "too many messages wait for a gap to fill".into(),
            Self::RekeyUnexpected { exchange_id } => {
                format!("re-keying action for exchange {exchange_id} does not fit the state")
            }
            Self::RekeyPending => "a re-keying exchange is already pending".into(),
            Self::ChatClosed => "the chat is closed".into(),
            Self::BadRequest { what } => format!("bad request: {what}"),
            Self::MtProto1Forbidden { layer, after_v2 } => match after_v2 {
                Some(o) => {
                    format!("MTProto 1.0 message (layer {layer}) after the MTProto 2.0 message {o}")
                }
                None => format!("MTProto 1.0 message at layer {layer} (73 or higher)"),
            },
            Self::LayerDecreased { layer, previous } => {
                format!("layer {layer} after a message of layer {previous}")
            }
            Self::FileFingerprintMismatch { computed, received } => format!(
                "file key_fingerprint {received} differs from {computed} computed from key and iv"
            ),
            Self::FileSizeInvalid { size, encrypted } => {
                format!("file of {encrypted} encrypted bytes cannot hold the declared size {size}")
            }
            Self::FileKeyInvalid { key_len, iv_len } => {
                format!("file key of {key_len} bytes and iv of {iv_len} bytes (32 and 32 expected)")
            }
        }
    }
}

vocabulary! {
    SecretError {
        Self::Envelope(EnvelopeError::AuthKeyIdMismatch) | Self::UnknownKeyFingerprint => "UnknownKeyFingerprint",
        Self::KeyFingerprintMismatch => "KeyFingerprintMismatch",
        Self::RandomBytesTooShort { .. } => "RandomBytesTooShort",
        Self::SeqNoParity => "SeqNoParity",
        Self::SeqNoRepeated { .. } => "SeqNoRepeated",
        Self::InSeqNoInvalid { .. } => "InSeqNoInvalid",
        Self::ResendInvalid { .. } => "ResendInvalid",
        Self::GapQueueFull => "GapQueueFull",
        Self::RekeyUnexpected { .. } => "RekeyUnexpected",
        Self::RekeyPending => "RekeyPending",
        Self::ChatClosed => "ChatClosed",
        Self::BadRequest { .. } => "BadRequest",
        Self::MtProto1Forbidden { .. } => "MtProto1Forbidden",
        Self::LayerDecreased { .. } => "LayerDecreased",
        Self::FileFingerprintMismatch { .. } => "FileFingerprintMismatch",
        Self::FileSizeInvalid { .. } => "FileSizeInvalid",
        Self::FileKeyInvalid { .. } => "FileKeyInvalid",
    }
    via {
        Self::Dh(e) => e,
        Self::Envelope(e) => e,
        Self::Tl(e) => e,
    }
}

impl ProtocolError for SecretError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }

    /// Anything a relay could have produced (a bad packet, a repeat) is discarded or ignored with
    /// no state change; what only the peer's key holder can send wrongly closes the chat: a wrong
    /// parity, an impossible in_seq_no and an unsatisfiable resend request all MUST abort it
    /// ([e2e-seq], spec §8.3), and so MUST a fingerprint mismatch at key exchange ([e2e], §8.1).
    ///
    /// [e2e-seq]: https://core.telegram.org/api/end-to-end/seq_no
    /// [e2e]: https://core.telegram.org/api/end-to-end
    fn reaction(&self) -> Reaction {
        match self {
            Self::Envelope(_)
            | Self::Tl(_)
            | Self::UnknownKeyFingerprint
            | Self::FileFingerprintMismatch { .. }
            | Self::FileSizeInvalid { .. }
            | Self::FileKeyInvalid { .. } => Reaction::Discard,
            Self::RandomBytesTooShort { .. } | Self::SeqNoRepeated { .. } => Reaction::Ignore,
            Self::RekeyPending | Self::BadRequest { .. } => Reaction::Refuse,
            Self::Dh(_)
            | Self::KeyFingerprintMismatch
            | Self::SeqNoParity
            | Self::InSeqNoInvalid { .. }
            | Self::ResendInvalid { .. }
            | Self::GapQueueFull
            | Self::RekeyUnexpected { .. }
            | Self::MtProto1Forbidden { .. }
            | Self::LayerDecreased { .. }
            | Self::ChatClosed => Reaction::CloseChat,
        }
    }
}
vocabulary_display!(SecretError);

impl From<DhError> for SecretError {
    fn from(e: DhError) -> Self {
        Self::Dh(e)
    }
}

impl From<EnvelopeError> for SecretError {
    fn from(e: EnvelopeError) -> Self {
        match e {
            EnvelopeError::AuthKeyIdMismatch => Self::UnknownKeyFingerprint,
            e => Self::Envelope(e),
        }
    }
}

impl From<TlError> for SecretError {
    fn from(e: TlError) -> Self {
        Self::Tl(e)
    }
}

/// Errors of end-to-end calls (spec §9): the committed key exchange and call packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallError {
    /// A DH parameter or value check failed (spec §5).
    Dh(DhError),
    /// `SHA256(g_a)` differs from the `g_a_hash` the callee received first (spec §9.1 step 4).
    GaHashMismatch,
    /// The `key_fingerprint` in `phone.confirmCall` differs from the callee's own key's.
    KeyFingerprintMismatch,
    /// A call packet shorter than its 16-byte msg_key plus one byte.
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The call packet's msg_key differs from the one recomputed over the decrypted body.
    MsgKeyMismatch,
    /// A packet seq already received.
    SeqRepeated {
        /// The seq.
        seq: u32,
    },
    /// A packet seq at or below the highest received minus 64.
    SeqTooOld {
        /// The seq.
        seq: u32,
    },
    /// A seq of 0 or past 2^30: the sender should have ended the call.
    SeqOutOfRange {
        /// The seq.
        seq: u32,
    },
    /// The sender has used counter 2^30 − 1: it may number no more messages and the call ends
    /// (spec §9.3).
    SeqLimitReached,
}

impl CallError {
    fn describe(&self) -> String {
        match self {
            Self::Dh(e) => format!("DH: {e}"),
            Self::GaHashMismatch => "SHA256(g_a) differs from the g_a_hash committed to".into(),
            Self::KeyFingerprintMismatch => {
                "key_fingerprint differs from the one of the computed key".into()
            }
            Self::TooShort { len } => format!("call packet of {len} bytes, at least 17 needed"),
            Self::MsgKeyMismatch => "msg_key does not match the decrypted body".into(),
            Self::SeqRepeated { seq } => format!("seq {seq} already received"),
            Self::SeqTooOld { seq } => format!("seq {seq} is 64 or more below the highest"),
            Self::SeqOutOfRange { seq } => format!("seq {seq} not in 1..2^30"),
            Self::SeqLimitReached => "the sender's seq counter reached 2^30 - 1".into(),
        }
    }
}

vocabulary! {
    CallError {
        Self::GaHashMismatch => "GaHashMismatch",
        Self::KeyFingerprintMismatch => "KeyFingerprintMismatch",
        Self::TooShort { .. } => "TooShort",
        Self::MsgKeyMismatch => "MsgKeyMismatch",
        Self::SeqRepeated { .. } => "SeqRepeated",
        Self::SeqTooOld { .. } => "SeqTooOld",
        Self::SeqOutOfRange { .. } => "SeqOutOfRange",
        Self::SeqLimitReached => "SeqLimitReached",
    }
    via {
        Self::Dh(e) => e,
    }
}

impl ProtocolError for CallError {
    fn name(&self) -> &'static str {
        self.vocabulary_name()
    }

    /// A bad packet or a replay is discarded (spec §9.3, [vc]); a failed
    /// commitment, DH check or fingerprint ends the call.
    ///
    /// [vc]: https://core.telegram.org/api/end-to-end/video-calls
    fn reaction(&self) -> Reaction {
        match self {
            Self::TooShort { .. }
            | Self::MsgKeyMismatch
            | Self::SeqRepeated { .. }
            | Self::SeqTooOld { .. } => Reaction::Discard,
            Self::Dh(_)
            | Self::GaHashMismatch
            | Self::KeyFingerprintMismatch
            | Self::SeqOutOfRange { .. }
            | Self::SeqLimitReached => Reaction::CloseChat,
        }
    }
}
vocabulary_display!(CallError);

impl From<DhError> for CallError {
    fn from(e: DhError) -> Self {
        Self::Dh(e)
    }
}

/// Every error enum's name table, as (enum, names), in the order of this file: the reference's
/// error vocabulary. A name may appear under several enums (`TooShort`, `NotBlockAligned`, ...).
pub const VOCABULARY: &[(&str, &[&str])] = &[
    ("IgeError", IgeError::NAMES),
    ("KeyError", KeyError::NAMES),
    ("EnvelopeError", EnvelopeError::NAMES),
    ("CodecError", CodecError::NAMES),
    ("SessionError", SessionError::NAMES),
    ("DhError", DhError::NAMES),
    ("PqError", PqError::NAMES),
    ("RsaError", RsaError::NAMES),
    ("HandshakeError", HandshakeError::NAMES),
    ("TransportError", TransportError::NAMES),
    ("TlError", TlError::NAMES),
    ("SecretError", SecretError::NAMES),
    ("CallError", CallError::NAMES),
];

/// Every name of [`VOCABULARY`] once, in first-appearance order.
pub fn vocabulary_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, names) in VOCABULARY {
        for name in *names {
            if !out.contains(name) {
                out.push(name);
            }
        }
    }
    out
}
