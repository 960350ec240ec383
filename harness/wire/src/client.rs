//! The harness playing a client: the reference's handshake client with the test public key, then
//! an encrypted session whose receiver is the reference's — a bad message is dropped silently.

use mtproto::crypto::rsa_pad::RsaPublicKey;
use mtproto::envelope::{self, Receiver, unencrypted};
use mtproto::handshake::client::{self as hc, ClientDhRandom, DhGenOutcome, KeyKind, ReqDhRandom};
use mtproto::session::{
    ClientConfig, ClientReceiver, InnerHeader, MsgIdGenerator, MsgIdKind, parse_container,
};
use mtproto::transport::Frame;
use mtproto::{Direction, ProtocolError};

use std::time::Duration;

use crate::case::HandshakeTamper;
use crate::clock;
use crate::error::{Result, WireError};
use crate::framing::FramedConn;
use crate::keys;
use crate::net::Deadline;
use crate::rng::Rng;
use crate::seal::{Sealed, Sealer};
use crate::server::HandshakeEnd;
use crate::tl;

/// A message the client accepted: it passed every envelope and session check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Its msg_id.
    pub msg_id: i64,
    /// Its body.
    pub body: Vec<u8>,
}

/// What one frame from the server brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// The messages the client accepted (none if it dropped the packet).
    Messages(Vec<Accepted>),
    /// A transport error packet with this code.
    TransportError(i32),
    /// A quick-ack frame with this token.
    QuickAck(u32),
}

/// How many `dh_gen_retry` answers the handshake client follows before giving up.
const MAX_DH_RETRIES: u32 = 4;

/// The client end of one connection.
pub struct Client {
    /// The framed connection (and its transcript).
    pub conn: FramedConn,
    rng: Rng,
    ids: MsgIdGenerator,
    /// The session's sending state, once the handshake is done.
    pub sealer: Option<Sealer>,
    receiver: Option<ClientReceiver>,
    /// Fixture switch (tests only; `false` in the reference): after `dh_gen_retry`, resend the
    /// first `set_client_DH_params` unchanged (`retry_id` 0) — the bug the dh_gen_retry case
    /// must catch.
    pub stale_retry: bool,
}

impl Client {
    /// A client on a connected, framed connection.
    pub fn new(conn: FramedConn, rng: Rng) -> Self {
        Self {
            conn,
            rng,
            ids: MsgIdGenerator::new(),
            sealer: None,
            receiver: None,
            stale_retry: false,
        }
    }

    fn send_unencrypted(&mut self, body: &[u8], deadline: Deadline, what: &str) -> Result<()> {
        let (s, n) = clock::now_parts(0);
        let id = self
            .ids
            .next(s, n, MsgIdKind::Client)
            .ok_or_else(|| WireError::protocol("msg_id", "exhausted"))?;
        let packet =
            unencrypted::encode(id, body).map_err(|e| WireError::protocol("handshake", e))?;
        self.conn
            .send_payload(&packet, deadline, Some(what.to_string()))
    }

    fn recv_unencrypted(&mut self, deadline: Deadline, what: &str) -> Result<Vec<u8>> {
        match self.conn.recv(deadline, what)? {
            Frame::Payload { data, .. } => {
                let m = unencrypted::decode(&data)
                    .map_err(|e| WireError::protocol(format!("handshake {what}"), e))?;
                self.conn.transcript.annotate_last(&format!(
                    "msg_id={} {}",
                    m.msg_id,
                    tl::describe(m.body)
                ));
                Ok(m.body.to_vec())
            }
            Frame::Error { code } => Err(WireError::protocol(
                format!("handshake {what}"),
                format!("transport error {code}"),
            )),
            Frame::QuickAck { .. } => Err(WireError::protocol(
                format!("handshake {what}"),
                "a quick ack where an answer was due",
            )),
        }
    }

    /// Create an auth key with the server (spec: auth key creation) for DC `dc`, trusting `keys`.
    pub fn handshake(&mut self, keys: &[RsaPublicKey], dc: i32, deadline: Deadline) -> Result<()> {
        match self.handshake_with(keys, dc, None, deadline, Duration::ZERO)? {
            HandshakeEnd::Done => Ok(()),
            other => Err(WireError::protocol("handshake", format!("{other:?}"))),
        }
    }

    /// After a tampered message: whether the server answers it (it took it) or not.
    fn watch_after_tamper(&mut self, deadline: Deadline, what: &str) -> HandshakeEnd {
        match self.conn.recv(deadline, what) {
            Ok(Frame::Payload { .. }) => {
                self.conn
                    .transcript
                    .annotate_last("the server answered the tampered message");
                HandshakeEnd::PeerProceeded(format!(
                    "the server sent {what} after the tampered message"
                ))
            }
            Ok(Frame::Error { code }) => {
                HandshakeEnd::PeerStopped(format!("transport error {code}"))
            }
            Ok(other) => HandshakeEnd::PeerStopped(format!("{other:?}")),
            Err(e) => HandshakeEnd::PeerStopped(e.to_string()),
        }
    }

    /// [`Client::handshake`] with one of the client's messages broken by `tamper` (a
    /// client-sent [`HandshakeTamper`]); `quiet` bounds the wait for the server's answer to it.
    pub fn handshake_with(
        &mut self,
        keys: &[RsaPublicKey],
        dc: i32,
        tamper: Option<HandshakeTamper>,
        deadline: Deadline,
        quiet: Duration,
    ) -> Result<HandshakeEnd> {
        let (st, body) = hc::start(self.rng.bytes());
        self.send_unencrypted(&body, deadline, "req_pq_multi")?;
        let res_pq = self.recv_unencrypted(deadline, "resPQ")?;
        let random = ReqDhRandom {
            new_nonce: self.rng.bytes(),
            rsa_padding: self.rng.vec(192),
            temp_keys: (0..8).map(|_| self.rng.bytes()).collect(),
        };
        let (st, mut body) = st
            .handle_res_pq(&res_pq, keys, dc, KeyKind::Permanent, &random)
            .map_err(|e| WireError::protocol("handshake resPQ", e))?;
        // req_DH_params: ctor 4, nonce 16, server_nonce 16, p 8, q 8, fingerprint 8 at 52,
        // encrypted_data (4-byte length, 256 bytes) from 60.
        let at = match tamper {
            Some(HandshakeTamper::ReqDhParamsNonce) => Some(4),
            Some(HandshakeTamper::ReqDhParamsFingerprint) => Some(52),
            Some(HandshakeTamper::ReqDhParamsEncryptedData) => Some(100),
            _ => None,
        };
        if let Some(at) = at {
            flip(&mut body, at);
            self.send_unencrypted(
                &body,
                deadline,
                &format!("req_DH_params [tampered: {tamper:?}]"),
            )?;
            return Ok(self.watch_after_tamper(deadline.min_after(quiet), "server_DH_params"));
        }
        self.send_unencrypted(&body, deadline, "req_DH_params")?;
        let dh = self.recv_unencrypted(deadline, "server_DH_params")?;
        let crandom = ClientDhRandom {
            b: self.rng.bytes(),
            padding: self.rng.bytes(),
            primality_seed: self.rng.bytes(),
        };
        let now = clock::now_secs(0);
        let (st, body) = keys::with_prime_cache(|cache| {
            st.handle_server_dh_params(&dh, now, &crandom, Some(cache))
        })
        .map_err(|e| WireError::protocol("handshake server_DH_params", e))?;
        if tamper == Some(HandshakeTamper::SetClientDhParamsHash) {
            // encrypted_data starts at 40 (ctor, nonces, 4-byte length): its SHA1 no longer holds.
            let mut body = body;
            flip(&mut body, 60);
            self.send_unencrypted(
                &body,
                deadline,
                "set_client_DH_params [tampered: SetClientDhParamsHash]",
            )?;
            return Ok(self.watch_after_tamper(deadline.min_after(quiet), "dh_gen"));
        }
        self.send_unencrypted(&body, deadline, "set_client_DH_params")?;
        let first = body;
        let mut st = st;
        let mut retries = 0u32;
        let result = loop {
            let answer = self.recv_unencrypted(deadline, "dh_gen")?;
            match st
                .handle_dh_gen(&answer)
                .map_err(|e| WireError::protocol("handshake dh_gen", e))?
            {
                DhGenOutcome::Done(r) => break r,
                // dh_gen_retry: step 7 again with a new b and retry_id = auth_key_aux_hash.
                DhGenOutcome::Retry(retry) => {
                    retries += 1;
                    if retries > MAX_DH_RETRIES {
                        return Err(WireError::protocol(
                            "handshake dh_gen",
                            format!("more than {MAX_DH_RETRIES} dh_gen_retry answers"),
                        ));
                    }
                    let crandom = ClientDhRandom {
                        b: self.rng.bytes(),
                        padding: self.rng.bytes(),
                        primality_seed: self.rng.bytes(),
                    };
                    let (next, mut body) = retry
                        .resend(&crandom)
                        .map_err(|e| WireError::protocol("handshake dh_gen_retry", e))?;
                    if self.stale_retry {
                        body.clone_from(&first);
                    }
                    self.send_unencrypted(
                        &body,
                        deadline,
                        "set_client_DH_params (retry_id = auth_key_aux_hash)",
                    )?;
                    st = next;
                }
            }
        };
        let session_id = self.rng.i64();
        self.receiver = Some(ClientReceiver::new(
            session_id,
            ClientConfig {
                clock_synced: true,
                ..ClientConfig::default()
            },
        ));
        self.sealer = Some(Sealer::new(
            result.auth_key,
            Direction::ClientToServer,
            i64::from_le_bytes(result.server_salt),
            session_id,
            result.time_offset,
            Rng::from_seed(self.rng.u64()),
        ));
        Ok(HandshakeEnd::Done)
    }

    fn sealer(&mut self) -> Result<&mut Sealer> {
        self.sealer.as_mut().ok_or_else(|| {
            WireError::protocol("session", "no auth key: the handshake did not complete")
        })
    }

    /// Seal and send `body`.
    pub fn send_body(&mut self, body: &[u8], deadline: Deadline, why: &str) -> Result<Sealed> {
        let sealed = self.sealer()?.seal(body, MsgIdKind::Client, None)?;
        let n = format!("{why}: {} msg_id={}", tl::describe(body), sealed.msg_id);
        self.conn.send_payload(&sealed.packet, deadline, Some(n))?;
        Ok(sealed)
    }

    /// Receive one frame: the messages in it the client accepts, or a transport error. A
    /// message that fails an envelope or session check is dropped silently (noted in the
    /// transcript).
    pub fn recv_any(&mut self, deadline: Deadline) -> Result<Received> {
        let data = match self.conn.recv(deadline, "a message from the server")? {
            Frame::Payload { data, .. } => data,
            Frame::QuickAck { token } => return Ok(Received::QuickAck(token)),
            Frame::Error { code } => return Ok(Received::TransportError(code)),
        };
        let offset = self.sealer()?.time_offset;
        let Some(sealer) = self.sealer.as_mut() else {
            return Err(WireError::protocol("session", "no auth key"));
        };
        let receiver = self
            .receiver
            .as_mut()
            .ok_or_else(|| WireError::protocol("session", "no receiver"))?;
        let msg =
            match envelope::decrypt(&sealer.auth_key, Receiver::Client, sealer.session_id, &data) {
                Ok(m) => m,
                Err(e) => {
                    self.conn.transcript.annotate_last(&format!("dropped: {e}"));
                    return Ok(Received::Messages(Vec::new()));
                }
            };
        let now = clock::now_secs(offset);
        let body = msg.body().to_vec();
        self.conn.transcript.annotate_last(&format!(
            "msg_id={} seq_no={} {}",
            msg.msg_id,
            msg.seq_no,
            tl::describe(&body)
        ));
        let inbound = mtproto::session::Inbound {
            session_id: msg.session_id,
            salt: msg.salt,
            msg_id: msg.msg_id,
            seq_no: msg.seq_no,
            content_related: tl::content_related(&body),
        };
        let mut out = Vec::new();
        let mut dropped = Vec::new();
        if tl::ctor(&body) == Some(tl::MSG_CONTAINER) {
            let mut inner = Vec::new();
            let mut bodies = Vec::new();
            if let Some(Ok(it)) = parse_container(&body) {
                for m in it.flatten() {
                    inner.push(InnerHeader {
                        msg_id: m.msg_id,
                        seq_no: m.seq_no,
                        content_related: tl::content_related(m.body),
                        is_container: m.is_container(),
                    });
                    bodies.push((m.msg_id, m.body.to_vec()));
                }
            } else {
                dropped.push("malformed msg_container".to_string());
            }
            if dropped.is_empty() {
                match receiver.receive_container(now, &inbound, &inner) {
                    Err(e) => dropped.push(e.name().to_string()),
                    Ok(()) => {
                        for (h, (id, b)) in inner.iter().zip(bodies) {
                            match receiver.receive_inner(h) {
                                Ok(_) => out.push(Accepted {
                                    msg_id: id,
                                    body: b,
                                }),
                                Err(e) => dropped.push(e.name().to_string()),
                            }
                        }
                    }
                }
            }
        } else {
            match receiver.receive(now, &inbound) {
                Ok(_) => out.push(Accepted {
                    msg_id: msg.msg_id,
                    body,
                }),
                Err(e) => dropped.push(e.name().to_string()),
            }
        }
        if !dropped.is_empty() {
            self.conn
                .transcript
                .annotate_last(&format!("dropped: {}", dropped.join(", ")));
        }
        Ok(Received::Messages(out))
    }

    /// Seal and send `body` with the quick-ack flag of the transport set; returns the sealed
    /// message and the token the server must answer with (`msg_key_large`'s first 32 bits,
    /// MSB set).
    pub fn send_body_quick_ack(
        &mut self,
        body: &[u8],
        deadline: Deadline,
        why: &str,
    ) -> Result<(Sealed, u32)> {
        let sealed = self.sealer()?.seal(body, MsgIdKind::Client, None)?;
        let token = envelope::decrypt_any_session(
            &self.sealer()?.auth_key,
            Receiver::Server,
            &sealed.packet,
        )
        .map_err(|e| WireError::protocol("quick ack token", e))?
        .quick_ack_token;
        let n = format!(
            "{why}: {} msg_id={} [quick ack requested, token {token:#010x}]",
            tl::describe(body),
            sealed.msg_id
        );
        self.conn.send(
            mtproto::transport::Packet::Payload {
                data: &sealed.packet,
                quick_ack: true,
            },
            deadline,
            Some(n),
        )?;
        Ok((sealed, token))
    }

    /// [`Client::recv_any`] where a transport error from the server is an error.
    pub fn recv_messages(&mut self, deadline: Deadline) -> Result<Vec<Accepted>> {
        match self.recv_any(deadline)? {
            Received::Messages(m) => Ok(m),
            Received::QuickAck(_) => Ok(Vec::new()),
            Received::TransportError(code) => Err(WireError::protocol(
                "transport",
                format!("the server sent transport error {code}"),
            )),
        }
    }

    /// Seal `body` broken by `mutation` and send it (the server role's decoys).
    pub fn send_mutated(
        &mut self,
        body: &[u8],
        mutation: crate::case::Mutation,
        deadline: Deadline,
        why: &str,
    ) -> Result<Sealed> {
        let sealed = self
            .sealer()?
            .seal(body, MsgIdKind::Client, Some(mutation))?;
        let n = format!(
            "{why}: {} msg_id={} [broken: {}]",
            tl::describe(body),
            sealed.msg_id,
            mutation.name()
        );
        self.conn.send_payload(&sealed.packet, deadline, Some(n))?;
        Ok(sealed)
    }

    /// Send `ping ping_id` and wait for the `pong` answering it; returns the `ping_id` that pong
    /// carries (not checked against ours: which one the client took is the oracle). A
    /// `bad_server_salt` about the ping makes it adopt the new salt and resend; a
    /// `new_session_created` updates the salt; accepted content-related messages are acknowledged.
    pub fn ping(&mut self, ping_id: i64, deadline: Deadline) -> Result<i64> {
        let mut sent = self.send_body(&tl::ping(ping_id), deadline, "ping")?;
        loop {
            for m in self.recv_messages(deadline)? {
                let mut r = mtproto::codec::Reader::new(&m.body);
                match r.u32().ok() {
                    Some(tl::PONG) => {
                        if let Some((req, got)) = tl::read_pong(&m.body)
                            && req == sent.msg_id
                        {
                            self.flush_acks(deadline)?;
                            return Ok(got);
                        }
                    }
                    Some(tl::NEW_SESSION_CREATED) => {
                        let _first = r.long();
                        let _unique = r.long();
                        if let Ok(salt) = r.long() {
                            self.sealer()?.salt = salt;
                        }
                    }
                    Some(tl::BAD_SERVER_SALT) => {
                        let bad = r.long().unwrap_or(0);
                        let _seq = r.int();
                        let _code = r.int();
                        if let (true, Ok(salt)) = (bad == sent.msg_id, r.long()) {
                            self.sealer()?.salt = salt;
                            sent = self.send_body(
                                &tl::ping(ping_id),
                                deadline,
                                "ping again (new salt)",
                            )?;
                        }
                    }
                    Some(tl::BAD_MSG_NOTIFICATION) => {
                        let bad = r.long().unwrap_or(0);
                        let _seq = r.int();
                        let code = r.int().unwrap_or(0);
                        if bad == sent.msg_id {
                            return Err(WireError::protocol(
                                "session",
                                format!("bad_msg_notification {code} about the ping"),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Send a `msgs_ack` for every accepted content-related message not yet acknowledged.
    pub fn flush_acks(&mut self, deadline: Deadline) -> Result<()> {
        let mut body = Vec::new();
        if let Some(r) = self.receiver.as_mut() {
            r.acks().drain_into(&mut body);
        }
        if !body.is_empty() {
            self.send_body(&body, deadline, "acknowledge")?;
        }
        Ok(())
    }
}

fn flip(b: &mut [u8], at: usize) {
    if let Some(x) = b.get_mut(at) {
        *x ^= 0x01;
    }
}
