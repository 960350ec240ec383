//! Transport obfuscation, "obfuscated2" ([transports] "Transport obfuscation"; spec §6.2).
//!
//! ```text
//! init (64 bytes, client random):
//!   [0..8]   random, never a forbidden prefix (below)
//!   [8..40]  enc_key        [40..56] enc_iv          (client -> server)
//!   [56..60] protocol tag   ef ef ef ef | ee ee ee ee | dd dd dd dd
//!   [60..62] DC id, int16 LE (MTProxy only)          [62..64] random
//! rev = reverse(init):  dec_key = rev[8..40], dec_iv = rev[40..56]   (server -> client)
//! MTProxy:  key = SHA-256(key ‖ secret) for both directions
//! on the wire: init[0..56] ‖ AES-256-CTR(enc_key, enc_iv)(init)[56..64], then every later byte
//! through the same two CTR streams, each for the whole connection.
//! ```
//!
//! "The first byte must not be 0xef; the first four bytes must not be `HEAD`, `POST`, `GET `,
//! `OPTI`, `0x16030102`, `0xdddddddd`, `0xeeeeeeee`; the bytes 4..8 must not be `0x00000000`"
//! ([transports]): [`generate_init`] takes caller-supplied random bytes 64 at a time and skips every
//! candidate that breaks this ([`TransportError::ForbiddenPrefix`] when a server is sent one).
//! The full transport has no protocol tag (its use under obfuscation is unconfirmed, spec §13 item
//! 2) and is refused.
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use aes::Aes256;
use cipher::{KeyIvInit, StreamCipher};
use sha2::{Digest, Sha256};

use super::{Decoder, Encoder, Kind, Packet, Raw};
use crate::Direction;
use crate::error::TransportError;

/// AES-256-CTR with a 128-bit big-endian counter (grammers `Ctr128BE<Aes256>`, TDLib
/// `EVP_aes_256_ctr`).
pub type Ctr = ctr::Ctr128BE<Aes256>;

/// The length of the init a client sends first.
pub const INIT_LEN: usize = 64;

/// The protocol tag written at `init[56..60]`.
pub fn protocol_tag(kind: Kind) -> Result<[u8; 4], TransportError> {
    match kind {
        Kind::Abridged => Ok([0xef; 4]),
        Kind::Intermediate => Ok([0xee; 4]),
        Kind::Padded => Ok([0xdd; 4]),
        Kind::Full => Err(TransportError::UnknownProtocolTag { tag: 0 }),
    }
}

fn kind_of_tag(tag: [u8; 4]) -> Result<Kind, TransportError> {
    match tag {
        [0xef, 0xef, 0xef, 0xef] => Ok(Kind::Abridged),
        [0xee, 0xee, 0xee, 0xee] => Ok(Kind::Intermediate),
        [0xdd, 0xdd, 0xdd, 0xdd] => Ok(Kind::Padded),
        _ => Err(TransportError::UnknownProtocolTag {
            tag: u32::from_le_bytes(tag),
        }),
    }
}

/// An MTProxy secret: 16 bytes, or `dd` ‖ 16 bytes, which requires the padded transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secret {
    key: [u8; 16],
    padded_only: bool,
}

impl Secret {
    /// Parse a secret as users share it (16 or 17 bytes).
    pub fn new(bytes: &[u8]) -> Result<Self, TransportError> {
        let bad = TransportError::BadSecret { len: bytes.len() };
        match bytes.split_first() {
            Some((&0xdd, rest)) if rest.len() == 16 => Ok(Self {
                key: rest.try_into().map_err(|_| bad)?,
                padded_only: true,
            }),
            _ => Ok(Self {
                key: bytes.try_into().map_err(|_| bad)?,
                padded_only: false,
            }),
        }
    }

    fn check_kind(&self, kind: Kind) -> Result<(), TransportError> {
        if self.padded_only && kind != Kind::Padded {
            return Err(TransportError::UnknownProtocolTag {
                tag: protocol_tag(kind).map(u32::from_le_bytes).unwrap_or(0),
            });
        }
        Ok(())
    }
}

/// Whether a client may send `init` ([transports]: the forbidden first bytes).
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
pub fn check_prefix(init: &[u8; INIT_LEN]) -> Result<(), TransportError> {
    const FORBIDDEN: [u32; 7] = [
        0x4441_4548, // "HEAD"
        0x5453_4f50, // "POST"
        0x2054_4547, // "GET "
        0x4954_504f, // "OPTI"
        0x0201_0316, // TLS record 16 03 01 02
        0xdddd_dddd, // padded intermediate tag
        0xeeee_eeee, // intermediate tag
    ];
    let (first4, rest) = init
        .split_first_chunk::<4>()
        .ok_or(TransportError::ForbiddenPrefix)?;
    let second4 = rest
        .first_chunk::<4>()
        .ok_or(TransportError::ForbiddenPrefix)?;
    if first4.first() == Some(&0xef)
        || FORBIDDEN.contains(&u32::from_le_bytes(*first4))
        || *second4 == [0; 4]
    {
        return Err(TransportError::ForbiddenPrefix);
    }
    Ok(())
}

fn keys(
    init: &[u8; INIT_LEN],
    secret: Option<&Secret>,
) -> ([u8; 32], [u8; 16], [u8; 32], [u8; 16]) {
    let mut rev = *init;
    rev.reverse();
    let part = |b: &[u8; INIT_LEN]| -> ([u8; 32], [u8; 16]) {
        let mut key = [0u8; 32];
        let mut iv = [0u8; 16];
        key.copy_from_slice(b.get(8..40).unwrap_or(&[0; 32]));
        iv.copy_from_slice(b.get(40..56).unwrap_or(&[0; 16]));
        if let Some(s) = secret {
            key = Sha256::new()
                .chain_update(key)
                .chain_update(s.key)
                .finalize()
                .into();
        }
        (key, iv)
    };
    let (ek, ei) = part(init);
    let (dk, di) = part(&rev);
    (ek, ei, dk, di)
}

fn ctr(key: &[u8; 32], iv: &[u8; 16]) -> Ctr {
    Ctr::new(key.into(), iv.into())
}

/// The two CTR streams of a connection, from the point of view of one side.
struct Ciphers {
    send: Ctr,
    recv: Ctr,
}

/// Set up both streams from the (plaintext) init; returns the 64 bytes the client sends.
fn setup(
    init: &[u8; INIT_LEN],
    secret: Option<&Secret>,
    client: bool,
) -> (Ciphers, [u8; INIT_LEN]) {
    let (ek, ei, dk, di) = keys(init, secret);
    let mut c2s = ctr(&ek, &ei);
    let s2c = ctr(&dk, &di);
    let mut wire = *init;
    c2s.apply_keystream(&mut wire);
    let mut header = *init;
    if let (Some(dst), Some(src)) = (header.get_mut(56..), wire.get(56..)) {
        dst.copy_from_slice(src);
    }
    let ciphers = if client {
        Ciphers {
            send: c2s,
            recv: s2c,
        }
    } else {
        Ciphers {
            send: s2c,
            recv: c2s,
        }
    };
    (ciphers, header)
}

/// A client's side of a new obfuscated connection.
pub struct ClientInit {
    /// The 64 bytes to send first.
    pub header: [u8; INIT_LEN],
    /// The plaintext init (protocol tag and DC in place).
    pub init: [u8; INIT_LEN],
    /// Encrypts and frames what the client sends.
    pub encoder: ObfuscatedEncoder,
    /// Decrypts and deframes what the server sends.
    pub decoder: ObfuscatedDecoder,
}

/// Build a client init from caller-supplied randomness: `random` is read 64 bytes at a time and
/// the first candidate without a forbidden prefix is used (the retry rule). `dc` is written at
/// `init[60..62]` when given (MTProxy).
pub fn generate_init(
    random: &[u8],
    kind: Kind,
    dc: Option<i16>,
    secret: Option<&[u8]>,
) -> Result<ClientInit, TransportError> {
    let tag = protocol_tag(kind)?;
    let secret = secret.map(Secret::new).transpose()?;
    if let Some(s) = &secret {
        s.check_kind(kind)?;
    }
    let mut tried = 0usize;
    for candidate in random.chunks_exact(INIT_LEN) {
        tried = tried.saturating_add(1);
        let Ok(mut init) = <[u8; INIT_LEN]>::try_from(candidate) else {
            continue;
        };
        if check_prefix(&init).is_err() {
            continue;
        }
        if let Some(t) = init.get_mut(56..60) {
            t.copy_from_slice(&tag);
        }
        if let (Some(d), Some(dc)) = (init.get_mut(60..62), dc) {
            d.copy_from_slice(&dc.to_le_bytes());
        }
        return Ok(client_from_init(&init, kind, secret.as_ref()));
    }
    Err(TransportError::RandomExhausted { tried })
}

/// A client's side from a given plaintext init (its tag and DC already in place). No prefix check:
/// this is for replaying vectors; new connections use [`generate_init`].
pub fn client_with_init(
    init: &[u8; INIT_LEN],
    secret: Option<&[u8]>,
) -> Result<ClientInit, TransportError> {
    let secret = secret.map(Secret::new).transpose()?;
    let mut tag = [0u8; 4];
    tag.copy_from_slice(init.get(56..60).unwrap_or(&[0; 4]));
    let kind = kind_of_tag(tag)?;
    if let Some(s) = &secret {
        s.check_kind(kind)?;
    }
    Ok(client_from_init(init, kind, secret.as_ref()))
}

fn client_from_init(init: &[u8; INIT_LEN], kind: Kind, secret: Option<&Secret>) -> ClientInit {
    let (c, header) = setup(init, secret, true);
    ClientInit {
        header,
        init: *init,
        encoder: ObfuscatedEncoder {
            cipher: c.send,
            inner: Encoder::without_tag(kind, Direction::ClientToServer),
        },
        decoder: ObfuscatedDecoder {
            cipher: c.recv,
            inner: Decoder::without_tag(kind, Direction::ServerToClient),
        },
    }
}

/// A server's side of an accepted obfuscated connection.
pub struct ServerAccept {
    /// The framing the client asked for.
    pub kind: Kind,
    /// The DC id at `init[60..62]` (meaningful for MTProxy).
    pub dc: i16,
    /// The decrypted init.
    pub init: [u8; INIT_LEN],
    /// Encrypts and frames what the server sends.
    pub encoder: ObfuscatedEncoder,
    /// Decrypts and deframes what the client sends after the header.
    pub decoder: ObfuscatedDecoder,
}

/// Accept the 64-byte header a client sent: reject forbidden prefixes, derive both streams, and
/// read the protocol tag (and DC) from the decrypted init.
pub fn accept(
    header: &[u8; INIT_LEN],
    secret: Option<&[u8]>,
) -> Result<ServerAccept, TransportError> {
    let secret = secret.map(Secret::new).transpose()?;
    check_prefix(header)?;
    let (ek, ei, _, _) = keys(header, secret.as_ref());
    let mut plain = *header;
    ctr(&ek, &ei).apply_keystream(&mut plain);
    let mut init = *header;
    if let (Some(dst), Some(src)) = (init.get_mut(56..), plain.get(56..)) {
        dst.copy_from_slice(src);
    }
    let mut tag = [0u8; 4];
    tag.copy_from_slice(init.get(56..60).unwrap_or(&[0; 4]));
    let kind = kind_of_tag(tag)?;
    if let Some(s) = &secret {
        s.check_kind(kind)?;
    }
    let mut dc = [0u8; 2];
    dc.copy_from_slice(init.get(60..62).unwrap_or(&[0; 2]));
    let (c, _) = setup(&init, secret.as_ref(), false);
    Ok(ServerAccept {
        kind,
        dc: i16::from_le_bytes(dc),
        init,
        encoder: ObfuscatedEncoder {
            cipher: c.send,
            inner: Encoder::without_tag(kind, Direction::ServerToClient),
        },
        decoder: ObfuscatedDecoder {
            cipher: c.recv,
            inner: Decoder::without_tag(kind, Direction::ClientToServer),
        },
    })
}

/// Frames and encrypts one direction.
pub struct ObfuscatedEncoder {
    cipher: Ctr,
    inner: Encoder,
}

impl ObfuscatedEncoder {
    /// Append `packet`, framed and encrypted, to `out` (see [`Encoder::encode`]).
    pub fn encode(
        &mut self,
        packet: Packet<'_>,
        padding: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        let start = out.len();
        self.inner.encode(packet, padding, out)?;
        if let Some(new) = out.get_mut(start..) {
            self.cipher.apply_keystream(new);
        }
        Ok(())
    }
}

/// Decrypts and deframes one direction.
pub struct ObfuscatedDecoder {
    cipher: Ctr,
    inner: Decoder,
}

impl ObfuscatedDecoder {
    /// The inner framing decoder (for [`Decoder::at_boundary`] and [`Decoder::pending`]).
    pub fn inner(&self) -> &Decoder {
        &self.inner
    }

    /// Like [`Decoder::next`], decrypting `input` in place: only the bytes consumed are decrypted
    /// (the keystream stays in step however the stream is cut), and a frame that arrives whole in
    /// one chunk is returned as a borrow of it.
    pub fn next<'o, 's: 'o, 'i: 'o>(
        &'s mut self,
        input: &mut &'i mut [u8],
    ) -> Result<Option<Packet<'o>>, TransportError> {
        loop {
            if input.is_empty() {
                return Ok(None);
            }
            let n = self.inner.wanted().min(input.len());
            let taken = core::mem::take(input);
            let (now, rest) = taken.split_at_mut(n);
            *input = rest;
            self.cipher.apply_keystream(now);
            let mut fed: &'i [u8] = now;
            let raw: Option<Raw<'i>> = self.inner.next_raw(&mut fed)?;
            if let Some(raw) = raw {
                return Ok(Some(self.inner.resolve(raw)));
            }
        }
    }
}

/// Decode a whole obfuscated stream (see [`super::decode_all`]).
pub fn decode_all(
    decoder: &mut ObfuscatedDecoder,
    stream: &[u8],
) -> Result<Vec<super::Frame>, TransportError> {
    let mut buf = stream.to_vec();
    let mut input: &mut [u8] = &mut buf;
    let mut out = Vec::new();
    while let Some(p) = decoder.next(&mut input)? {
        out.push(p.to_frame());
    }
    if decoder.inner.at_boundary() {
        Ok(out)
    } else {
        Err(TransportError::Truncated {
            have: decoder.inner.pending(),
        })
    }
}
