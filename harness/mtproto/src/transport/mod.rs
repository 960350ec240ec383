//! MTProto transports as sans-IO framers (spec §6): [`abridged`], [`intermediate`], [`padded`],
//! [`full`] and [`obfuscated`] (obfuscated2 over the first three).
//!
//! [`Encoder`] appends frames to a caller's buffer; [`Decoder`] is incremental: it takes the
//! stream in whatever chunks the network delivers and yields the same [`Packet`]s however the
//! stream is cut. A frame that arrives whole inside one chunk is returned as a borrow of that chunk
//! (no copy); only a frame split across chunks is assembled in an internal buffer, which never
//! holds more than one frame and never grows past the 2^24 cap ([`MAX_PAYLOAD_LEN`]) plus 4 bytes.
//! Nothing is allocated from a declared length: the buffer grows with the bytes that actually
//! arrive.
//!
//! | transport | client first bytes | frame |
//! |---|---|---|
//! | abridged | `ef` | `[L/4:1][payload]` or `[7f][L/4:3 LE][payload]` |
//! | intermediate | `ee ee ee ee` | `[L:4 LE][payload]` |
//! | padded | `dd dd dd dd` | `[L+pad:4 LE][payload][0..15 random]` |
//! | full | — | `[len:4 LE][seqno:4 LE][payload][crc32:4 LE]`, `len = L + 12` |
//!
//! Quick acks ([transports] "Quick ack"): a client sets the top bit of the length (abridged: of
//! the length byte); the server answers with the token of [`crate::crypto::kdf::quick_ack_token`]
//! in a transport-specific form ([`Packet::QuickAck`]). Transport errors ([transports] "Transport
//! errors"): "a 4-byte payload containing the error code" such as −404 ([`Packet::Error`]).
//!
//! [transports]: https://core.telegram.org/mtproto/mtproto-transports
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

pub mod abridged;
pub mod full;
pub mod intermediate;
pub mod obfuscated;
pub mod padded;

use crate::Direction;
use crate::error::TransportError;

/// Largest payload a frame may carry: lengths of 2^24 and above are rejected. TDLib asserts
/// `L < 2^24` on intermediate frames and Telegram Desktop caps messages at 2^24 (spec §6.1, §7.2).
pub const MAX_PAYLOAD_LEN: usize = (1 << 24) - 1;

/// Transport errors a server sends ([transports]: "a 4-byte payload containing the error code").
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
pub mod error_code {
    /// Auth key not found, or a malformed MTProto message.
    pub const AUTH_KEY_NOT_FOUND: i32 = -404;
    /// Transport flood: too many connections, or container / service-message limits exceeded.
    pub const FLOOD: i32 = -429;
    /// Invalid DC.
    pub const INVALID_DC: i32 = -444;
}

/// One of the four framings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Abridged ([`abridged`]).
    Abridged,
    /// Intermediate ([`intermediate`]).
    Intermediate,
    /// Padded intermediate ([`padded`]).
    Padded,
    /// Full ([`full`]).
    Full,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Self::Abridged, Self::Intermediate, Self::Padded, Self::Full];

    /// The bytes a client sends first on a plain (non-obfuscated) connection.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Self::Abridged => &[0xef],
            Self::Intermediate => &[0xee; 4],
            Self::Padded => &[0xdd; 4],
            Self::Full => &[],
        }
    }

    /// The name used in vectors: `abridged`, `intermediate`, `padded`, `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abridged => "abridged",
            Self::Intermediate => "intermediate",
            Self::Padded => "padded",
            Self::Full => "full",
        }
    }

    /// The kind named by [`Kind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One decoded (or to-be-encoded) transport packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Packet<'a> {
    /// An MTProto packet. For the padded transport the payload includes the sender's random
    /// padding: the transport cannot tell where it starts; the MTProto layer can.
    Payload {
        /// The payload bytes.
        data: &'a [u8],
        /// Client to server only: the client asked for a quick ack.
        quick_ack: bool,
    },
    /// Server to client: a quick-ack answer with its token (top bit set).
    QuickAck {
        /// The token, as [`crate::crypto::kdf::quick_ack_token`] computes it.
        token: u32,
    },
    /// Server to client: a transport error, the negated HTTP-like code (−404, −429, −444).
    Error {
        /// The code as sent.
        code: i32,
    },
}

impl Packet<'_> {
    /// An owned copy.
    pub fn to_frame(&self) -> Frame {
        match *self {
            Self::Payload { data, quick_ack } => Frame::Payload {
                data: data.to_vec(),
                quick_ack,
            },
            Self::QuickAck { token } => Frame::QuickAck { token },
            Self::Error { code } => Frame::Error { code },
        }
    }
}

/// An owned [`Packet`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Frame {
    /// See [`Packet::Payload`].
    Payload {
        /// The payload bytes.
        data: Vec<u8>,
        /// The client asked for a quick ack.
        quick_ack: bool,
    },
    /// See [`Packet::QuickAck`].
    QuickAck {
        /// The token.
        token: u32,
    },
    /// See [`Packet::Error`].
    Error {
        /// The code.
        code: i32,
    },
}

impl Frame {
    /// A borrowed view.
    pub fn as_packet(&self) -> Packet<'_> {
        match self {
            Self::Payload { data, quick_ack } => Packet::Payload {
                data,
                quick_ack: *quick_ack,
            },
            Self::QuickAck { token } => Packet::QuickAck { token: *token },
            Self::Error { code } => Packet::Error { code: *code },
        }
    }
}

/// What a parsed header says comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// `len` more bytes (payload, plus the CRC on the full transport).
    Body { len: usize, quick_ack: bool },
    /// A complete headerless packet (abridged / intermediate quick-ack answers).
    Done(HeadPacket),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeadPacket {
    QuickAck(u32),
}

/// The result of looking at the header bytes received so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderParse {
    /// The header is this many bytes in total; more are needed.
    Need(usize),
    /// The header is complete.
    Ready(Head),
}

fn check_len(len: u64) -> Result<usize, TransportError> {
    usize::try_from(len)
        .ok()
        .filter(|&l| l <= MAX_PAYLOAD_LEN)
        .ok_or(TransportError::FrameTooLong { len })
}

fn u32_le(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u32::from_le_bytes(a)
}

fn parse_header(kind: Kind, dir: Direction, hdr: &[u8]) -> Result<HeaderParse, TransportError> {
    match kind {
        Kind::Abridged => abridged::parse_header(dir, hdr),
        Kind::Intermediate => intermediate::parse_header(dir, hdr, false),
        Kind::Padded => intermediate::parse_header(dir, hdr, true),
        Kind::Full => full::parse_header(hdr),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading the client's transport tag; this many bytes of it matched so far.
    Tag(usize),
    /// Reading a frame header.
    Header,
    /// Reading a frame body.
    Body { len: usize, quick_ack: bool },
}

/// An incremental decoder for one direction of one connection.
///
/// ```
/// use mtproto::Direction;
/// use mtproto::transport::{Decoder, Encoder, Kind, Packet};
///
/// let mut wire = Vec::new();
/// let mut enc = Encoder::new(Kind::Intermediate, Direction::ClientToServer);
/// enc.encode(Packet::Payload { data: &[1, 2, 3, 4], quick_ack: false }, &[], &mut wire).unwrap();
///
/// let mut dec = Decoder::new(Kind::Intermediate, Direction::ClientToServer);
/// let mut got = Vec::new();
/// for chunk in wire.chunks(3) {
///     let mut input = chunk;
///     while let Some(p) = dec.next(&mut input).unwrap() {
///         got.push(p.to_frame());
///     }
/// }
/// assert_eq!(got.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Decoder {
    kind: Kind,
    dir: Direction,
    state: State,
    hdr: [u8; 8],
    hdr_len: usize,
    body: Vec<u8>,
    /// `body` holds a frame already returned: clear it on the next call.
    stale: bool,
    /// Full transport: the next seqno expected.
    seqno: u32,
    /// The first error; every later call returns it.
    failed: Option<TransportError>,
}

impl Decoder {
    /// A decoder for the stream that flows in `dir`. A client-to-server stream starts with the
    /// transport tag ([`Kind::tag`]).
    pub fn new(kind: Kind, dir: Direction) -> Self {
        let mut d = Self::without_tag(kind, dir);
        if dir == Direction::ClientToServer && !kind.tag().is_empty() {
            d.state = State::Tag(0);
        }
        d
    }

    /// A decoder for a stream whose tag was carried elsewhere (inside an obfuscation init).
    pub fn without_tag(kind: Kind, dir: Direction) -> Self {
        Self {
            kind,
            dir,
            state: State::Header,
            hdr: [0; 8],
            hdr_len: 0,
            body: Vec::new(),
            stale: false,
            seqno: 0,
            failed: None,
        }
    }

    /// The framing.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether the decoder is between frames (a stream that ends here ends cleanly).
    pub fn at_boundary(&self) -> bool {
        matches!(self.state, State::Tag(0)) || (self.state == State::Header && self.hdr_len == 0)
    }

    /// Bytes of an unfinished frame (or tag) held so far.
    pub fn pending(&self) -> usize {
        let body = if self.stale { 0 } else { self.body.len() };
        match self.state {
            State::Tag(n) => n,
            _ => self.hdr_len.saturating_add(body),
        }
    }

    /// How many more bytes the decoder can take before it has something to return; it never
    /// consumes more than this from one call's input before returning. At least 1.
    pub fn wanted(&self) -> usize {
        match self.state {
            State::Tag(n) => self.kind.tag().len().saturating_sub(n).max(1),
            State::Header => match parse_header(self.kind, self.dir, self.header()) {
                Ok(HeaderParse::Need(n)) => n.saturating_sub(self.hdr_len).max(1),
                _ => 1,
            },
            State::Body { len, .. } => {
                let have = if self.stale { 0 } else { self.body.len() };
                len.saturating_sub(have).max(1)
            }
        }
    }

    fn header(&self) -> &[u8] {
        self.hdr.get(..self.hdr_len).unwrap_or(&[])
    }

    fn fail(&mut self, e: TransportError) -> TransportError {
        self.failed = Some(e);
        e
    }

    /// Consume bytes from the front of `input` until one packet is complete (`Some`) or `input`
    /// is used up (`None`). Call again with the rest of `input` for further packets. After an
    /// error the decoder is dead and returns that error forever.
    pub fn next<'o, 's: 'o, 'i: 'o>(
        &'s mut self,
        input: &mut &'i [u8],
    ) -> Result<Option<Packet<'o>>, TransportError> {
        Ok(self.next_raw(input)?.map(|raw| self.resolve(raw)))
    }

    pub(super) fn resolve<'o, 's: 'o, 'i: 'o>(&'s self, raw: Raw<'i>) -> Packet<'o> {
        match raw {
            Raw::Payload {
                data: Src::Input(data),
                quick_ack,
            } => Packet::Payload { data, quick_ack },
            Raw::Payload {
                data: Src::Buffer(len),
                quick_ack,
            } => Packet::Payload {
                data: self.body.get(..len).unwrap_or(&[]),
                quick_ack,
            },
            Raw::QuickAck(token) => Packet::QuickAck { token },
            Raw::Error(code) => Packet::Error { code },
        }
    }

    /// [`Decoder::next`] without borrowing `self` in the result.
    pub(super) fn next_raw<'i>(
        &mut self,
        input: &mut &'i [u8],
    ) -> Result<Option<Raw<'i>>, TransportError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.stale {
            self.body.clear();
            self.stale = false;
        }
        loop {
            match self.state {
                State::Tag(have) => {
                    let tag = self.kind.tag();
                    let want = tag.len().saturating_sub(have);
                    let n = want.min(input.len());
                    let (got, rest) = input.split_at(n);
                    let expect = tag.get(have..).unwrap_or(&[]);
                    if let Some((&g, _)) = got.iter().zip(expect).find(|(g, e)| g != e) {
                        return Err(self.fail(TransportError::WrongTransportTag { got: g }));
                    }
                    *input = rest;
                    let have = have.saturating_add(n);
                    if have >= tag.len() {
                        self.state = State::Header;
                    } else {
                        self.state = State::Tag(have);
                        return Ok(None);
                    }
                }
                State::Header => {
                    let parsed = parse_header(self.kind, self.dir, self.header());
                    match parsed {
                        Err(e) => return Err(self.fail(e)),
                        Ok(HeaderParse::Need(total)) => {
                            let want = total.saturating_sub(self.hdr_len);
                            let n = want.min(input.len());
                            if n == 0 {
                                return Ok(None);
                            }
                            let (got, rest) = input.split_at(n);
                            let end = self.hdr_len.saturating_add(n);
                            if let Some(dst) = self.hdr.get_mut(self.hdr_len..end) {
                                dst.copy_from_slice(got);
                            }
                            self.hdr_len = end;
                            *input = rest;
                        }
                        Ok(HeaderParse::Ready(Head::Done(HeadPacket::QuickAck(token)))) => {
                            self.hdr_len = 0;
                            return Ok(Some(Raw::QuickAck(token)));
                        }
                        Ok(HeaderParse::Ready(Head::Body { len, quick_ack })) => {
                            self.state = State::Body { len, quick_ack };
                        }
                    }
                }
                State::Body { len, quick_ack } => {
                    if self.body.is_empty() && input.len() >= len {
                        // The whole body is in this chunk: borrow it.
                        let (body, rest) = input.split_at(len);
                        *input = rest;
                        let class = self.finish(body, quick_ack)?;
                        return Ok(Some(
                            class.with(|n| Src::Input(body.get(..n).unwrap_or(&[]))),
                        ));
                    }
                    let want = len.saturating_sub(self.body.len());
                    let n = want.min(input.len());
                    if n == 0 {
                        return Ok(None);
                    }
                    let (got, rest) = input.split_at(n);
                    self.body.extend_from_slice(got);
                    *input = rest;
                    if self.body.len() >= len {
                        self.stale = true;
                        let body = core::mem::take(&mut self.body);
                        let class = self.finish(&body, quick_ack);
                        // Hand the buffer back so its capacity is reused.
                        self.body = body;
                        return Ok(Some(class?.with(Src::Buffer)));
                    }
                }
            }
        }
    }

    /// A complete frame: run the transport's checks and classify it.
    fn finish(&mut self, body: &[u8], quick_ack: bool) -> Result<Class, TransportError> {
        let header = self.hdr;
        let hdr_len = self.hdr_len;
        self.hdr_len = 0;
        self.state = State::Header;
        let payload = match self.kind {
            Kind::Full => {
                let checked = full::check(header.get(..hdr_len).unwrap_or(&[]), body, self.seqno);
                match checked {
                    Ok(p) => {
                        self.seqno = self.seqno.wrapping_add(1);
                        p
                    }
                    Err(e) => return Err(self.fail(e)),
                }
            }
            _ => body,
        };
        if self.dir == Direction::ServerToClient {
            if self.kind == Kind::Padded {
                return Ok(match padded::classify(payload) {
                    // "the server sends ... the first 32 bits of ... with the most significant
                    // bit set" ([transports]): a padded answer `ff ff ff ff ‖ token` whose token
                    // lacks that bit is no quick ack, and no encoder can write it (found by
                    // the `transport_padded` fuzz target).
                    Packet::QuickAck { token } => match check_token(token) {
                        Ok(token) => Class::QuickAck(token),
                        Err(e) => return Err(self.fail(e)),
                    },
                    Packet::Error { code } => Class::Error(code),
                    Packet::Payload { data, .. } => Class::Payload {
                        len: data.len(),
                        quick_ack,
                    },
                });
            }
            if let Ok(code) = <[u8; 4]>::try_from(payload) {
                return Ok(Class::Error(i32::from_le_bytes(code)));
            }
        }
        Ok(Class::Payload {
            len: payload.len(),
            quick_ack,
        })
    }
}

/// A frame's classification; a payload is a prefix of the frame body.
#[derive(Clone, Copy, Debug)]
enum Class {
    Payload { len: usize, quick_ack: bool },
    QuickAck(u32),
    Error(i32),
}

impl Class {
    fn with<'i>(self, src: impl FnOnce(usize) -> Src<'i>) -> Raw<'i> {
        match self {
            Self::Payload { len, quick_ack } => Raw::Payload {
                data: src(len),
                quick_ack,
            },
            Self::QuickAck(t) => Raw::QuickAck(t),
            Self::Error(c) => Raw::Error(c),
        }
    }
}

/// Where a payload lives: in the caller's input, or the first `n` bytes of the decoder's buffer.
#[derive(Clone, Copy, Debug)]
pub(super) enum Src<'i> {
    Input(&'i [u8]),
    Buffer(usize),
}

/// A packet that does not borrow the decoder.
#[derive(Clone, Copy, Debug)]
pub(super) enum Raw<'i> {
    Payload { data: Src<'i>, quick_ack: bool },
    QuickAck(u32),
    Error(i32),
}

/// Decode a whole stream; a stream that ends inside a frame is [`TransportError::Truncated`].
pub fn decode_all(decoder: &mut Decoder, stream: &[u8]) -> Result<Vec<Frame>, TransportError> {
    let mut input = stream;
    let mut out = Vec::new();
    while let Some(p) = decoder.next(&mut input)? {
        out.push(p.to_frame());
    }
    if decoder.at_boundary() {
        Ok(out)
    } else {
        Err(TransportError::Truncated {
            have: decoder.pending(),
        })
    }
}

/// An encoder for one direction of one connection.
#[derive(Clone, Debug)]
pub struct Encoder {
    kind: Kind,
    dir: Direction,
    tag_pending: bool,
    seqno: u32,
}

impl Encoder {
    /// An encoder for the stream that flows in `dir`; a client's first frame is preceded by the
    /// transport tag.
    pub fn new(kind: Kind, dir: Direction) -> Self {
        Self {
            kind,
            dir,
            tag_pending: dir == Direction::ClientToServer,
            seqno: 0,
        }
    }

    /// An encoder whose tag travels elsewhere (inside an obfuscation init).
    pub fn without_tag(kind: Kind, dir: Direction) -> Self {
        Self {
            tag_pending: false,
            ..Self::new(kind, dir)
        }
    }

    /// The framing.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Append `packet` to `out`. `padding` is the padded transport's random tail (0..=15 bytes, at
    /// most 8 after a quick ack) and must be empty for the other transports. On error nothing is
    /// appended and the encoder's state is unchanged.
    pub fn encode(
        &mut self,
        packet: Packet<'_>,
        padding: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        let max_pad = match (self.kind, packet) {
            (Kind::Padded, Packet::QuickAck { .. }) => 8,
            (Kind::Padded, _) => 15,
            _ => 0,
        };
        if padding.len() > max_pad {
            return Err(TransportError::FramePaddingTooLong { len: padding.len() });
        }
        let start = out.len();
        if self.tag_pending {
            out.extend_from_slice(self.kind.tag());
        }
        let done = match self.kind {
            Kind::Abridged => abridged::encode(self.dir, packet, out),
            Kind::Intermediate => intermediate::encode(self.dir, packet, &[], out),
            Kind::Padded => padded::encode(self.dir, packet, padding, out),
            Kind::Full => full::encode(self.dir, packet, self.seqno, out),
        };
        match done {
            Ok(()) => {
                self.tag_pending = false;
                if self.kind == Kind::Full {
                    self.seqno = self.seqno.wrapping_add(1);
                }
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }
}

/// The payload of a transport error packet, or an error for a packet that is not one the
/// direction allows.
fn error_payload(dir: Direction, packet: Packet<'_>) -> Result<Option<[u8; 4]>, TransportError> {
    match (dir, packet) {
        (Direction::ServerToClient, Packet::Error { code }) => Ok(Some(code.to_le_bytes())),
        (Direction::ClientToServer, Packet::Error { .. } | Packet::QuickAck { .. })
        | (
            Direction::ServerToClient,
            Packet::Payload {
                quick_ack: true, ..
            },
        ) => Err(TransportError::QuickAckNotAllowed),
        _ => Ok(None),
    }
}

/// Check a quick-ack token: "the server sends ... the first 32 bits of ... with the most
/// significant bit set" ([transports]).
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
fn check_token(token: u32) -> Result<u32, TransportError> {
    if token & 0x8000_0000 == 0 {
        Err(TransportError::BadQuickAckToken { token })
    } else {
        Ok(token)
    }
}
