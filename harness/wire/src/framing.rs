//! The five transports over a [`Conn`]: abridged, intermediate, padded intermediate, full, and
//! obfuscated2 over the first three (with or without an MTProxy secret), for either end. The
//! framing itself is the reference's ([`mtproto::transport`]); this module moves its bytes and
//! enforces a frame cap: a declared length above the cap is an error before anything is allocated
//! (the reference's decoder never allocates from a declared length and refuses 2^24 and above).

use mtproto::Direction;
use mtproto::transport::obfuscated::{self, INIT_LEN, ObfuscatedDecoder, ObfuscatedEncoder};
use mtproto::transport::{Decoder, Encoder, Frame, Kind, Packet};

use crate::error::{Result, WireError};
use crate::net::{Conn, Deadline};
use crate::rng::Rng;
use crate::transcript::{Dir, Transcript};

/// A transport as cases and drivers name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    /// The framing.
    pub kind: Kind,
    /// Whether obfuscated2 wraps it.
    pub obfuscated: bool,
    /// The MTProxy secret (16 bytes, or `dd` ‖ 16 bytes), obfuscated2 only.
    pub secret: Option<Vec<u8>>,
}

pub use crate::case::TEST_SECRET;

impl Transport {
    /// A plain transport.
    pub fn plain(kind: Kind) -> Self {
        Self {
            kind,
            obfuscated: false,
            secret: None,
        }
    }

    /// obfuscated2 over `kind`, with an optional MTProxy secret.
    pub fn obfuscated(kind: Kind, secret: Option<Vec<u8>>) -> Self {
        Self {
            kind,
            obfuscated: true,
            secret,
        }
    }

    /// The five transports every suite runs: the four framings, then obfuscated2 over
    /// intermediate without a secret and over padded with the `dd` MTProxy secret.
    pub fn standard() -> Vec<Self> {
        crate::case::standard_transports()
            .into_iter()
            .filter_map(|(name, secret)| Self::parse(name, secret.map(hex::encode).as_deref()).ok())
            .collect()
    }

    /// The name: `abridged`, `intermediate`, `padded`, `full`, `obfuscated2-<framing>`.
    pub fn name(&self) -> String {
        if self.obfuscated {
            format!("obfuscated2-{}", self.kind.as_str())
        } else {
            self.kind.as_str().to_string()
        }
    }

    /// Parse a name of [`Transport::name`] and an optional hex secret.
    pub fn parse(name: &str, secret_hex: Option<&str>) -> Result<Self> {
        let (obfuscated, framing) = match name.strip_prefix("obfuscated2-") {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        let kind = Kind::from_name(framing).ok_or_else(|| {
            WireError::config(
                "transport",
                format!("unknown transport {name:?} (abridged, intermediate, padded, full, obfuscated2-abridged, obfuscated2-intermediate, obfuscated2-padded)"),
            )
        })?;
        if obfuscated && kind == Kind::Full {
            return Err(WireError::config(
                "transport",
                "obfuscated2 has no protocol tag for the full transport",
            ));
        }
        let secret = match secret_hex.filter(|s| !s.is_empty()) {
            None => None,
            Some(_) if !obfuscated => {
                return Err(WireError::config(
                    "secret",
                    "an MTProxy secret needs an obfuscated2 transport",
                ));
            }
            Some(h) => Some(
                hex::decode(h).map_err(|e| WireError::config("secret", format!("not hex: {e}")))?,
            ),
        };
        if let Some(s) = &secret {
            obfuscated::Secret::new(s).map_err(|e| WireError::protocol("secret", e))?;
        }
        Ok(Self {
            kind,
            obfuscated,
            secret,
        })
    }

    /// The secret as hex (empty string for none).
    pub fn secret_hex(&self) -> String {
        self.secret.as_deref().map(hex::encode).unwrap_or_default()
    }
}

/// Limits on what a peer may make the shell hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest frame accepted, in bytes (declared or received).
    pub max_frame: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_frame: 1 << 20 }
    }
}

enum Codec {
    Plain {
        enc: Encoder,
        dec: Decoder,
    },
    Obfuscated {
        enc: Box<ObfuscatedEncoder>,
        dec: Box<ObfuscatedDecoder>,
    },
}

/// A framed connection: packets in and out through the chosen transport, each recorded.
pub struct FramedConn {
    conn: Conn,
    codec: Codec,
    kind: Kind,
    dir_out: Direction,
    inbuf: Vec<u8>,
    pos: usize,
    rng: Rng,
    limits: Limits,
    /// Every frame both ways.
    pub transcript: Transcript,
    frames_sent: u32,
}

impl FramedConn {
    /// The client end: sends the obfuscation init at once if there is one; a plain tag goes with
    /// the first frame. `dc` is written into an MTProxy init.
    pub fn client(
        conn: Conn,
        transport: &Transport,
        dc: i16,
        rng: Rng,
        limits: Limits,
        deadline: Deadline,
    ) -> Result<Self> {
        Self::client_with_prefix(conn, transport, dc, rng, limits, deadline, None)
    }

    /// [`FramedConn::client`] whose obfuscated2 init starts with `prefix` (at most 56 bytes)
    /// whatever the rule on forbidden first bytes says: the hostile client of a server-role
    /// case.
    pub fn client_with_prefix(
        mut conn: Conn,
        transport: &Transport,
        dc: i16,
        mut rng: Rng,
        limits: Limits,
        deadline: Deadline,
        prefix: Option<&[u8]>,
    ) -> Result<Self> {
        let mut transcript = Transcript::new();
        let codec = if transport.obfuscated {
            let random = rng.vec(INIT_LEN * 16);
            let dc = transport.secret.as_ref().map(|_| dc);
            let mut init =
                obfuscated::generate_init(&random, transport.kind, dc, transport.secret.as_deref())
                    .map_err(|e| WireError::protocol("obfuscated2 init", e))?;
            let mut note = None;
            if let Some(p) = prefix {
                let mut plain = init.init;
                match plain.get_mut(..p.len()).filter(|_| p.len() <= 56) {
                    Some(dst) => dst.copy_from_slice(p),
                    None => {
                        return Err(WireError::config(
                            "init_prefix",
                            "at most 56 bytes (the tag and DC follow)",
                        ));
                    }
                }
                init = obfuscated::client_with_init(&plain, transport.secret.as_deref())
                    .map_err(|e| WireError::protocol("obfuscated2 init", e))?;
                note = Some(format!("init forced to start with {}", hex::encode(p)));
            }
            conn.write_all(&init.header, deadline, "obfuscated2 init")?;
            transcript.push(Dir::Sent, "obfuscation_init", &init.header, note);
            Codec::Obfuscated {
                enc: Box::new(init.encoder),
                dec: Box::new(init.decoder),
            }
        } else {
            Codec::Plain {
                enc: Encoder::new(transport.kind, Direction::ClientToServer),
                dec: Decoder::new(transport.kind, Direction::ServerToClient),
            }
        };
        Ok(Self {
            conn,
            codec,
            kind: transport.kind,
            dir_out: Direction::ClientToServer,
            inbuf: Vec::new(),
            pos: 0,
            rng,
            limits,
            transcript,
            frames_sent: 0,
        })
    }

    /// The server end: reads and checks the obfuscation init if the transport has one (the
    /// protocol tag must name `transport.kind`); a plain tag is checked by the first read.
    pub fn server(
        mut conn: Conn,
        transport: &Transport,
        rng: Rng,
        limits: Limits,
        deadline: Deadline,
    ) -> Result<Self> {
        let mut transcript = Transcript::new();
        let codec = if transport.obfuscated {
            let mut header = [0u8; INIT_LEN];
            conn.read_exact(&mut header, deadline, "the obfuscated2 init")?;
            transcript.push(Dir::Received, "obfuscation_init", &header, None);
            let acc = obfuscated::accept(&header, transport.secret.as_deref())
                .map_err(|e| WireError::protocol("obfuscated2 init", e))?;
            if acc.kind != transport.kind {
                return Err(WireError::protocol(
                    "obfuscated2 init",
                    format!(
                        "protocol tag names {}, the case uses {}",
                        acc.kind.as_str(),
                        transport.kind.as_str()
                    ),
                ));
            }
            Codec::Obfuscated {
                enc: Box::new(acc.encoder),
                dec: Box::new(acc.decoder),
            }
        } else {
            Codec::Plain {
                enc: Encoder::new(transport.kind, Direction::ServerToClient),
                dec: Decoder::new(transport.kind, Direction::ClientToServer),
            }
        };
        Ok(Self {
            conn,
            codec,
            kind: transport.kind,
            dir_out: Direction::ServerToClient,
            inbuf: Vec::new(),
            pos: 0,
            rng,
            limits,
            transcript,
            frames_sent: 0,
        })
    }

    /// How many frames [`FramedConn::send`] has sent (the full transport's next seqno; raw
    /// bytes do not count).
    pub fn frames_sent(&self) -> u32 {
        self.frames_sent
    }

    /// Whether obfuscated2 wraps this connection.
    pub fn is_obfuscated(&self) -> bool {
        matches!(self.codec, Codec::Obfuscated { .. })
    }

    /// The framing.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Which way this end sends.
    pub fn direction(&self) -> Direction {
        self.dir_out
    }

    /// Frame and send `packet`; `note` goes into the transcript.
    pub fn send(
        &mut self,
        packet: Packet<'_>,
        deadline: Deadline,
        note: Option<String>,
    ) -> Result<()> {
        let padding = if self.kind == Kind::Padded {
            let n = usize::from(self.rng.bytes::<1>()[0] % 16);
            let n = if matches!(packet, Packet::QuickAck { .. }) {
                n.min(8)
            } else {
                n
            };
            self.rng.vec(n)
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        let done = match &mut self.codec {
            Codec::Plain { enc, .. } => enc.encode(packet, &padding, &mut out),
            Codec::Obfuscated { enc, .. } => enc.encode(packet, &padding, &mut out),
        };
        done.map_err(|e| WireError::protocol("transport encode", e))?;
        let (kind, bytes): (&str, Vec<u8>) = match packet {
            Packet::Payload { data, .. } => ("payload", data.to_vec()),
            Packet::QuickAck { token } => ("quick_ack", token.to_le_bytes().to_vec()),
            Packet::Error { code } => ("transport_error", code.to_le_bytes().to_vec()),
        };
        self.transcript.push(Dir::Sent, kind, &bytes, note);
        self.frames_sent = self.frames_sent.wrapping_add(1);
        self.conn.write_all(&out, deadline, "sending a frame")
    }

    /// Send a payload.
    pub fn send_payload(
        &mut self,
        data: &[u8],
        deadline: Deadline,
        note: Option<String>,
    ) -> Result<()> {
        self.send(
            Packet::Payload {
                data,
                quick_ack: false,
            },
            deadline,
            note,
        )
    }

    /// Send `bytes` to the socket as given: no framing and no obfuscation cipher (for
    /// transport-level tampering, e.g. a forged length prefix).
    pub fn send_raw(
        &mut self,
        bytes: &[u8],
        deadline: Deadline,
        note: Option<String>,
    ) -> Result<()> {
        self.transcript.push(Dir::Sent, "raw", bytes, note);
        self.conn.write_all(bytes, deadline, "sending raw bytes")
    }

    /// Receive the next frame by `deadline`; `what` names the wait. A padded-transport payload
    /// has its random tail removed (the MTProto layer's rule: an unencrypted message ends where
    /// its length says, an encrypted one at a multiple of 16 after the 24-byte header).
    pub fn recv(&mut self, deadline: Deadline, what: &str) -> Result<Frame> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.pos < self.inbuf.len() {
                let total = self.inbuf.len();
                let got = match &mut self.codec {
                    Codec::Plain { dec, .. } => {
                        let mut input: &[u8] = self.inbuf.get(self.pos..).unwrap_or(&[]);
                        let r = dec.next(&mut input).map(|p| p.map(|p| p.to_frame()));
                        let left = input.len();
                        (r, left, dec.pending())
                    }
                    Codec::Obfuscated { dec, .. } => {
                        let mut input: &mut [u8] =
                            self.inbuf.get_mut(self.pos..).unwrap_or(&mut []);
                        let r = dec.next(&mut input).map(|p| p.map(|p| p.to_frame()));
                        let left = input.len();
                        (r, left, dec.inner().pending())
                    }
                };
                let (r, left, pending) = got;
                self.pos = total - left;
                if self.pos >= self.inbuf.len() {
                    self.inbuf.clear();
                    self.pos = 0;
                }
                match r {
                    Err(mtproto::error::TransportError::FrameTooLong { len }) => {
                        return Err(WireError::FrameTooLong {
                            len,
                            cap: self
                                .limits
                                .max_frame
                                .min(mtproto::transport::MAX_PAYLOAD_LEN),
                        });
                    }
                    Err(e) => return Err(WireError::protocol("transport", e)),
                    Ok(Some(frame)) => {
                        let frame = self.strip(frame);
                        self.record_in(&frame);
                        return Ok(frame);
                    }
                    Ok(None) => {}
                }
                if pending > self.limits.max_frame {
                    return Err(WireError::FrameTooLong {
                        len: pending as u64,
                        cap: self.limits.max_frame,
                    });
                }
            }
            let n = match self.conn.read_some(&mut chunk, deadline, what) {
                Ok(n) => n,
                Err(WireError::Closed { during, .. }) => {
                    let pending = match &self.codec {
                        Codec::Plain { dec, .. } => dec.pending(),
                        Codec::Obfuscated { dec, .. } => dec.inner().pending(),
                    };
                    return Err(WireError::Closed { during, pending });
                }
                Err(e) => return Err(e),
            };
            self.inbuf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        }
    }

    fn strip(&self, frame: Frame) -> Frame {
        match frame {
            Frame::Payload { data, quick_ack } if self.kind == Kind::Padded => {
                let keep = mtproto_len(&data);
                let mut data = data;
                data.truncate(keep);
                Frame::Payload { data, quick_ack }
            }
            f => f,
        }
    }

    fn record_in(&mut self, frame: &Frame) {
        match frame {
            Frame::Payload { data, quick_ack } => {
                let note = quick_ack.then(|| "quick ack requested".to_string());
                self.transcript.push(Dir::Received, "payload", data, note);
            }
            Frame::QuickAck { token } => {
                self.transcript
                    .push(Dir::Received, "quick_ack", &token.to_le_bytes(), None);
            }
            Frame::Error { code } => {
                self.transcript.push(
                    Dir::Received,
                    "transport_error",
                    &code.to_le_bytes(),
                    Some(format!("transport error {code}")),
                );
            }
        }
    }

    /// Close the connection.
    pub fn close(&self) {
        self.conn.close();
    }
}

/// The length of the MTProto packet at the front of a padded-transport payload.
fn mtproto_len(data: &[u8]) -> usize {
    if data.len() >= 20 && data.get(..8) == Some(&[0u8; 8][..]) {
        let mut l = [0u8; 4];
        l.copy_from_slice(data.get(16..20).unwrap_or(&[0; 4]));
        let declared = usize::try_from(u32::from_le_bytes(l)).unwrap_or(usize::MAX);
        return data.len().min(declared.saturating_add(20));
    }
    if data.len() >= 24 {
        return data.len() - (data.len() - 24) % 16;
    }
    data.len()
}
