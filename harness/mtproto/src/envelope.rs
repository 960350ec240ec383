//! The encrypted message envelope (spec §2.1) and its receiver checks (spec §3.1 R1–R6).
//!
//! ```text
//! packet:     auth_key_id (8) | msg_key (16) | encrypted_data (16·k)
//! plaintext:  salt (8) | session_id (8) | msg_id (8) | seq_no (4) | message_data_length L (4)
//!             | message_data (L) | padding (12..1024, total ≡ 0 mod 16)
//! ```
//!
//! Receiving runs the checks in this order, and the first failure names the error (spec §3.1):
//!
//! 1. `TooShort` — fewer than 24 bytes, no room for auth_key_id and msg_key.
//! 2. `AuthKeyIdMismatch` — R1: "auth_key_id must equal the active key's id, else drop".
//! 3. `NotBlockAligned` — R2: encrypted_data a multiple of 16,
//! 4. `TooShort` — ... and at least 48 bytes (header + 12 bytes of padding, rounded up).
//! 5. `MsgKeyMismatch` — R3/R4: decrypt, recompute msg_key over the **entire** plaintext, padding
//!    included, and compare in constant time "before interpreting any decrypted field" ([sec]).
//!    Only this check produces the [`VerifiedPlaintext`] token that field parsing needs, so no
//!    code path can read a decrypted field first.
//! 6. `LengthOutOfRange`, `LengthNotAligned` — R5: "message_data_length should be always divisible
//!    by 4 and non-negative", and never past the plaintext.
//! 7. `PaddingTooShort` / `PaddingTooLong` — R5: padding within 12..1024 bytes.
//! 8. `SessionIdMismatch` — R6: the session must be the receiver's.
//!
//! "If an error is encountered before this check could be performed, the client must perform the
//! msg_key check anyway before returning any result. The response to any error encountered before
//! the msg_key check must be the same as the response to a failed msg_key check" ([sec]): failures
//! 3 and 4 still decrypt and hash what the packet holds before returning, and every failure has the
//! same [`Reaction`](crate::Reaction). Failures 1 and 2 depend only on bytes that are public on the
//! wire and on no key, so there is no msg_key check they could perform.
//!
//! [sec]: https://core.telegram.org/mtproto/security_guidelines
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use aes::{Aes256Dec, Aes256Enc};
use cipher::KeyInit;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::auth_key::AuthKey;
use crate::codec::Reader;
use crate::crypto::ige::{IgeDecryptor, IgeEncryptor};
use crate::crypto::kdf::{self, Direction, MsgKeyHasher};
use crate::error::EnvelopeError;

/// auth_key_id + msg_key.
pub const OUTER_HEADER_LEN: usize = 24;
/// salt + session_id + msg_id + seq_no + message_data_length.
pub const INNER_HEADER_LEN: usize = 32;
/// Fewest padding bytes ([sec] "12..1024").
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
pub const MIN_PADDING: usize = 12;
/// Most padding bytes.
pub const MAX_PADDING: usize = 1024;
/// The smallest `encrypted_data`: 32-byte header, empty body, 12 bytes of padding, rounded to 16.
pub const MIN_ENCRYPTED_LEN: usize = 48;

/// Which side is receiving: the client receives server-to-client packets (x = 8), the server
/// client-to-server packets (x = 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A client receiving from the server.
    Client,
    /// A server receiving from a client.
    Server,
}

impl Receiver {
    /// The direction of the packets this receiver accepts.
    pub const fn direction(self) -> Direction {
        match self {
            Self::Client => Direction::ServerToClient,
            Self::Server => Direction::ClientToServer,
        }
    }
}

/// The fields a sender puts in the plaintext header, and the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// `salt` (server_salt).
    pub salt: i64,
    /// `session_id`.
    pub session_id: i64,
    /// `msg_id`.
    pub msg_id: i64,
    /// `seq_no`.
    pub seq_no: i32,
    /// `message_data`: a TL-serialized object, a multiple of 4 bytes.
    pub body: &'a [u8],
}

/// Build and encrypt a message (spec §2.1) with caller-supplied `padding`.
///
/// The inputs are checked with the receiver's rules, so this never produces a packet a conformant
/// receiver must reject: the body is a multiple of 4 bytes (`LengthNotAligned`), the padding is
/// 12..=1024 bytes (`PaddingTooShort` / `PaddingTooLong`) and the plaintext a multiple of 16
/// (`NotBlockAligned`). Use [`seal`] to encrypt an arbitrary plaintext.
pub fn encrypt(
    key: &AuthKey,
    direction: Direction,
    message: &Message<'_>,
    padding: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let body_len = message.body.len();
    let declared = i32::try_from(body_len).map_err(|_| EnvelopeError::LengthOutOfRange {
        declared: i64::try_from(body_len).unwrap_or(i64::MAX),
        available: i32::MAX as usize,
    })?;
    if !body_len.is_multiple_of(4) {
        return Err(EnvelopeError::LengthNotAligned {
            declared: i64::from(declared),
        });
    }
    check_padding(padding.len())?;
    let plain_len = INNER_HEADER_LEN
        .checked_add(body_len)
        .and_then(|n| n.checked_add(padding.len()))
        .ok_or(EnvelopeError::LengthOutOfRange {
            declared: i64::from(declared),
            available: 0,
        })?;
    if !plain_len.is_multiple_of(16) {
        return Err(EnvelopeError::NotBlockAligned { len: plain_len });
    }
    let mut packet = Vec::with_capacity(plain_len.saturating_add(OUTER_HEADER_LEN));
    packet.extend_from_slice(&[0u8; OUTER_HEADER_LEN]);
    packet.extend_from_slice(&message.salt.to_le_bytes());
    packet.extend_from_slice(&message.session_id.to_le_bytes());
    packet.extend_from_slice(&message.msg_id.to_le_bytes());
    packet.extend_from_slice(&message.seq_no.to_le_bytes());
    packet.extend_from_slice(&declared.to_le_bytes());
    packet.extend_from_slice(message.body);
    packet.extend_from_slice(padding);
    seal_in_place(key, direction, &mut packet)?;
    Ok(packet)
}

/// Encrypt an already assembled `plaintext` (header, body and padding; a multiple of 16 bytes)
/// into a packet, with no check of what the plaintext says.
///
/// This is the primitive behind [`encrypt`]. The harness uses it to build packets that carry a
/// **correct** msg_key around a malformed plaintext, so that only the check under test can reject
/// them.
pub fn seal(
    key: &AuthKey,
    direction: Direction,
    plaintext: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let mut packet = Vec::with_capacity(plaintext.len().saturating_add(OUTER_HEADER_LEN));
    packet.extend_from_slice(&[0u8; OUTER_HEADER_LEN]);
    packet.extend_from_slice(plaintext);
    seal_in_place(key, direction, &mut packet)?;
    Ok(packet)
}

/// `packet` = 24 placeholder bytes followed by the plaintext; fills in the outer header and
/// encrypts the plaintext in place.
fn seal_in_place(
    key: &AuthKey,
    direction: Direction,
    packet: &mut [u8],
) -> Result<(), EnvelopeError> {
    let (outer, data) =
        packet
            .split_at_mut_checked(OUTER_HEADER_LEN)
            .ok_or(EnvelopeError::TooShort {
                len: 0,
                min: OUTER_HEADER_LEN,
            })?;
    if !data.len().is_multiple_of(16) {
        return Err(EnvelopeError::NotBlockAligned { len: data.len() });
    }
    let large = kdf::msg_key_large(key, direction, data);
    let msg_key = kdf::msg_key_from_large(&large);
    let keys = kdf::derive(key, direction, &msg_key);
    let (id_out, key_out) = outer.split_at_mut(8);
    id_out.copy_from_slice(&key.id());
    key_out.copy_from_slice(&msg_key);
    IgeEncryptor::new(Aes256Enc::new((&keys.aes_key).into()), &keys.aes_iv)
        .encrypt(data)
        .map_err(|_| EnvelopeError::NotBlockAligned { len: data.len() })
}

pub(crate) fn check_padding(len: usize) -> Result<(), EnvelopeError> {
    #[cfg(feature = "mutants")]
    use crate::mutants::{Mutant, on};
    #[cfg(feature = "mutants")]
    if (len < MIN_PADDING && on(Mutant::AcceptShortPadding))
        || (len > MAX_PADDING && on(Mutant::AcceptLongPadding))
    {
        return Ok(());
    }
    if len < MIN_PADDING {
        Err(EnvelopeError::PaddingTooShort { len })
    } else if len > MAX_PADDING {
        Err(EnvelopeError::PaddingTooLong { len })
    } else {
        Ok(())
    }
}

/// A decrypted plaintext whose msg_key has been verified in constant time (R4).
///
/// Only [`open`] makes one, and only after the check passed: it is the token that field parsing
/// requires (a typestate). The plaintext is zeroized on drop.
pub struct VerifiedPlaintext {
    plaintext: Vec<u8>,
    msg_key_large: [u8; 32],
}

impl VerifiedPlaintext {
    /// The whole plaintext, header and padding included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.plaintext
    }

    /// `msg_key_large` of this message (the quick-ack token is derived from it).
    pub fn msg_key_large(&self) -> &[u8; 32] {
        &self.msg_key_large
    }

    /// R5: read the header and check the length and padding rules.
    pub fn parse(self) -> Result<Decrypted, EnvelopeError> {
        let mut r = Reader::new(&self.plaintext);
        // `open` guarantees at least 48 bytes, so the header reads cannot fail; stay total anyway.
        let short = EnvelopeError::TooShort {
            len: self.plaintext.len(),
            min: MIN_ENCRYPTED_LEN,
        };
        let salt = r.long().map_err(|_| short)?;
        let session_id = r.long().map_err(|_| short)?;
        let msg_id = r.long().map_err(|_| short)?;
        let seq_no = r.int().map_err(|_| short)?;
        let declared = r.int().map_err(|_| short)?;
        let available = r.left();
        let body_len = usize::try_from(declared)
            .ok()
            .filter(|&l| l <= available)
            .ok_or(EnvelopeError::LengthOutOfRange {
                declared: i64::from(declared),
                available,
            })?;
        #[cfg(feature = "mutants")]
        let skip = crate::mutants::on(crate::mutants::Mutant::SkipLengthAlign);
        #[cfg(not(feature = "mutants"))]
        let skip = false;
        if !body_len.is_multiple_of(4) && !skip {
            return Err(EnvelopeError::LengthNotAligned {
                declared: i64::from(declared),
            });
        }
        check_padding(available.saturating_sub(body_len))?;
        Ok(Decrypted {
            salt,
            session_id,
            msg_id,
            seq_no,
            body_len,
            quick_ack_token: kdf::quick_ack_token(&self.msg_key_large),
            verified: self,
        })
    }
}

#[cfg(fuzzing)]
impl VerifiedPlaintext {
    /// **Fuzzing builds only** (`cfg(fuzzing)`, set by cargo-fuzz; never in a normal build): treat
    /// `plaintext` as verified so the fuzzer reaches the R5 checks without forging a msg_key.
    pub fn assume_verified_for_fuzzing(plaintext: Vec<u8>) -> Self {
        Self {
            plaintext,
            msg_key_large: [0; 32],
        }
    }
}

impl Drop for VerifiedPlaintext {
    fn drop(&mut self) {
        crate::wipe::vec(&mut self.plaintext);
        self.msg_key_large.zeroize();
    }
}

/// A message that passed R1–R5 (and R6 unless it came from [`decrypt_any_session`]).
pub struct Decrypted {
    /// `salt`.
    pub salt: i64,
    /// `session_id`.
    pub session_id: i64,
    /// `msg_id` (its rules are the session layer's, spec §3.1 R7–R9).
    pub msg_id: i64,
    /// `seq_no`.
    pub seq_no: i32,
    /// The quick-ack token for this message (spec §6.3).
    pub quick_ack_token: u32,
    body_len: usize,
    verified: VerifiedPlaintext,
}

impl Decrypted {
    /// `message_data`.
    pub fn body(&self) -> &[u8] {
        self.verified
            .plaintext
            .get(INNER_HEADER_LEN..)
            .and_then(|rest| rest.get(..self.body_len))
            .unwrap_or(&[])
    }

    /// The padding bytes after the body.
    pub fn padding(&self) -> &[u8] {
        self.verified
            .plaintext
            .get(INNER_HEADER_LEN.saturating_add(self.body_len)..)
            .unwrap_or(&[])
    }

    /// The whole plaintext.
    pub fn plaintext(&self) -> &[u8] {
        &self.verified.plaintext
    }
}

impl core::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decrypted")
            .field("salt", &self.salt)
            .field("session_id", &self.session_id)
            .field("msg_id", &self.msg_id)
            .field("seq_no", &self.seq_no)
            .field("body_len", &self.body_len)
            .finish_non_exhaustive()
    }
}

/// R1–R6: decrypt a packet for `receiver`, whose session is `session_id`.
pub fn decrypt(
    key: &AuthKey,
    receiver: Receiver,
    session_id: i64,
    packet: &[u8],
) -> Result<Decrypted, EnvelopeError> {
    let message = open(key, receiver, packet)?.parse()?;
    #[cfg(feature = "mutants")]
    if crate::mutants::on(crate::mutants::Mutant::SkipSessionId) {
        return Ok(message);
    }
    if bool::from(
        message
            .session_id
            .to_le_bytes()
            .ct_eq(&session_id.to_le_bytes()),
    ) {
        Ok(message)
    } else {
        Err(EnvelopeError::SessionIdMismatch)
    }
}

/// R1–R5 without R6: for a server reading the first message of a connection, which "accepts any
/// session_id in the first message, then expects it" (spec §3.1 R6). The caller owns the check.
pub fn decrypt_any_session(
    key: &AuthKey,
    receiver: Receiver,
    packet: &[u8],
) -> Result<Decrypted, EnvelopeError> {
    open(key, receiver, packet)?.parse()
}

/// R1–R4: check the outer header, decrypt, and verify msg_key in constant time.
pub fn open(
    key: &AuthKey,
    receiver: Receiver,
    packet: &[u8],
) -> Result<VerifiedPlaintext, EnvelopeError> {
    open_directed(key, receiver.direction(), packet)
}

/// [`open`] for packets sent in `direction` (x = 0 or 8) rather than by a cloud client or server.
///
/// Secret chats (spec §8.2) use the same outer layout with the chat key: `key_fingerprint` is
/// `SHA1(key)[12..20]`, exactly the `auth_key_id` of that key, and x is 0 for messages from the
/// chat's originator, 8 for the other direction. R1–R4 and their order are unchanged.
pub fn open_directed(
    key: &AuthKey,
    direction: Direction,
    packet: &[u8],
) -> Result<VerifiedPlaintext, EnvelopeError> {
    let mut r = Reader::new(packet);
    let (Some(key_id), Some(msg_key)) = (r.take_array::<8>(), r.take_array::<16>()) else {
        return Err(EnvelopeError::TooShort {
            len: packet.len(),
            min: OUTER_HEADER_LEN,
        });
    };
    #[cfg(feature = "mutants")]
    let skip = crate::mutants::on(crate::mutants::Mutant::SkipAuthKeyId);
    #[cfg(not(feature = "mutants"))]
    let skip = false;
    if !bool::from(key_id.ct_eq(&key.id())) && !skip {
        return Err(EnvelopeError::AuthKeyIdMismatch);
    }
    let data = r.take_rest();
    let early = if !data.len().is_multiple_of(16) {
        Some(EnvelopeError::NotBlockAligned { len: data.len() })
    } else if data.len() < MIN_ENCRYPTED_LEN {
        Some(EnvelopeError::TooShort {
            len: data.len(),
            min: MIN_ENCRYPTED_LEN,
        })
    } else {
        None
    };
    let keys = kdf::derive(key, direction, &msg_key);
    let mut ige = IgeDecryptor::new(Aes256Dec::new((&keys.aes_key).into()), &keys.aes_iv);
    let (plaintext, msg_key_large) = match early {
        None => decrypt_and_hash(&mut ige, key, direction, data),
        // For an early failure, still decrypt and check what the packet holds (its block-aligned
        // prefix), then answer with the early error: the msg_key check runs on every path ([sec]).
        Some(_) => {
            let aligned = data
                .get(..data.len().saturating_sub(data.len() % 16))
                .unwrap_or(&[]);
            let mut plaintext = vec![0u8; aligned.len()];
            let _ = ige.decrypt_b2b(aligned, &mut plaintext);
            let large = kdf::msg_key_large(key, direction, &plaintext);
            (plaintext, large)
        }
    };
    let mut plaintext = plaintext;
    let matches = kdf::msg_key_from_large(&msg_key_large).ct_eq(&msg_key);
    if let Some(e) = early {
        core::hint::black_box(matches);
        crate::wipe::vec(&mut plaintext);
        return Err(e);
    }
    #[cfg(feature = "mutants")]
    let matches = matches
        | subtle::Choice::from(u8::from(crate::mutants::on(
            crate::mutants::Mutant::SkipMsgKey,
        )));
    if bool::from(matches) {
        Ok(VerifiedPlaintext {
            plaintext,
            msg_key_large,
        })
    } else {
        crate::wipe::vec(&mut plaintext);
        Err(EnvelopeError::MsgKeyMismatch)
    }
}

/// How many bytes [`decrypt_and_hash`] decrypts before hashing them: small enough that the span
/// is still in the L1 cache when SHA-256 reads it, large enough that neither pass pays its
/// per-call set-up often (the AES backends broadcast the round keys on every call).
const SPAN: usize = 8192;

/// Decrypt `data` (block aligned, at least 48 bytes) and compute `msg_key_large` over the result,
/// one [`SPAN`] at a time: IGE decrypts a span in one call, then SHA-256 hashes it while it is
/// still in cache. A message of at most one span costs what the sender's side costs: one IGE call
/// and one hash.
fn decrypt_and_hash(
    ige: &mut IgeDecryptor<Aes256Dec>,
    key: &AuthKey,
    direction: Direction,
    data: &[u8],
) -> (Vec<u8>, [u8; 32]) {
    let mut plaintext = data.to_vec();
    let mut hasher = MsgKeyHasher::new(key, direction);
    for span in plaintext.chunks_mut(SPAN) {
        // Every span is a multiple of 16 bytes because SPAN and `data.len()` are, so IGE cannot
        // fail.
        let _ = ige.decrypt(span);
        hasher.update(span);
    }
    (plaintext, hasher.finalize())
}

/// What the first 8 bytes of a packet say about how to read it (R1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// `auth_key_id` = 0: a handshake message, read with [`unencrypted::decode`].
    Unencrypted,
    /// Encrypted under the key with this `auth_key_id` (wire bytes).
    Encrypted([u8; 8]),
}

/// Classify a packet by its `auth_key_id`, or `TooShort` if it has none.
pub fn classify(packet: &[u8]) -> Result<PacketKind, EnvelopeError> {
    match packet.first_chunk::<8>() {
        Some([0, 0, 0, 0, 0, 0, 0, 0]) => Ok(PacketKind::Unencrypted),
        Some(id) => Ok(PacketKind::Encrypted(*id)),
        None => Err(EnvelopeError::TooShort {
            len: packet.len(),
            min: 8,
        }),
    }
}

/// Unencrypted messages: `auth_key_id = 0 (8) | message_id (8) | message_data_length (4) |
/// message_data`, for the handshake only (spec §2.1, [desc]).
///
/// [desc]: https://core.telegram.org/mtproto/description
pub mod unencrypted {
    use super::*;

    /// Fixed header: auth_key_id, message_id, message_data_length.
    pub const HEADER_LEN: usize = 20;

    /// A decoded unencrypted message.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Unencrypted<'a> {
        /// `message_id`.
        pub msg_id: i64,
        /// `message_data`.
        pub body: &'a [u8],
    }

    /// Frame `body` as an unencrypted message.
    pub fn encode(msg_id: i64, body: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let declared = i32::try_from(body.len()).map_err(|_| EnvelopeError::LengthOutOfRange {
            declared: i64::try_from(body.len()).unwrap_or(i64::MAX),
            available: i32::MAX as usize,
        })?;
        if !body.len().is_multiple_of(4) {
            return Err(EnvelopeError::LengthNotAligned {
                declared: i64::from(declared),
            });
        }
        let mut out = Vec::with_capacity(body.len().saturating_add(HEADER_LEN));
        out.extend_from_slice(&[0u8; 8]);
        out.extend_from_slice(&msg_id.to_le_bytes());
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(body);
        Ok(out)
    }

    /// Read an unencrypted message. The length must cover exactly the rest of the packet and be
    /// divisible by 4; a non-zero `auth_key_id` is `AuthKeyIdMismatch`.
    pub fn decode(packet: &[u8]) -> Result<Unencrypted<'_>, EnvelopeError> {
        let mut r = Reader::new(packet);
        let too_short = EnvelopeError::TooShort {
            len: packet.len(),
            min: HEADER_LEN,
        };
        let key_id = r.take_array::<8>().ok_or(too_short)?;
        if key_id != [0u8; 8] {
            return Err(EnvelopeError::AuthKeyIdMismatch);
        }
        let msg_id = r.long().map_err(|_| too_short)?;
        let declared = r.int().map_err(|_| too_short)?;
        let available = r.left();
        let body_len = usize::try_from(declared)
            .ok()
            .filter(|&l| l == available)
            .ok_or(EnvelopeError::LengthOutOfRange {
                declared: i64::from(declared),
                available,
            })?;
        if !body_len.is_multiple_of(4) {
            return Err(EnvelopeError::LengthNotAligned {
                declared: i64::from(declared),
            });
        }
        Ok(Unencrypted {
            msg_id,
            body: r.take_rest(),
        })
    }
}
