//! The harness playing Telegram: the reference's handshake server with the committed test key,
//! then a session — server salt, msg_ids ≡ 1 (responses) or 3 mod 4, `msgs_ack`,
//! `new_session_created`, `bad_server_salt`, `bad_msg_notification`, `pong` for `ping`, and
//! `rpc_result` with an `rpc_error` for any other query.

use mtproto::crypto::rsa_pad::RsaPrivateKey;
use mtproto::envelope::{self, PacketKind, Receiver, unencrypted};
use mtproto::handshake::id as hs_id;
use mtproto::handshake::server::{
    self as hs, DhGenVerdict, ResPqRandom, ServerDhGen, ServerDhRandom,
};
use mtproto::session::{
    FutureSalt, InnerHeader, MsgIdGenerator, MsgIdKind, SaltSchedule, ServerConfig, ServerReceiver,
    parse_container,
};
use mtproto::transport::{Frame, Packet, error_code};
use mtproto::{Direction, ProtocolError};

use crate::case::{HandshakeTamper, Mutation};
use crate::clock;
use crate::error::{Result, WireError};
use crate::forge;
use crate::framing::FramedConn;
use crate::keys;
use crate::net::Deadline;
use crate::rng::Rng;
use crate::seal::{Sealed, Sealer};
use crate::tl;

/// The primes of the `pq` the server sends (`p < q`, both below 2^32).
const PQ: (u32, u32) = (1_229_739_323, 1_402_015_859);

/// How a handshake the harness served ended.
#[derive(Debug)]
pub enum HandshakeEnd {
    /// The key is agreed.
    Done,
    /// After a tampered message the peer sent its next handshake step or an encrypted message
    /// anyway: it took the tampered message.
    PeerProceeded(String),
    /// After a tampered message the peer went no further (closed, sent nothing in time, or
    /// started over with a new `req_pq_multi`).
    PeerStopped(String),
    /// The peer went on, but not as the spec says (e.g. a wrong `retry_id` after
    /// `dh_gen_retry`).
    PeerWrong(String),
}

/// A ping the server was asked to hold for the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldPing {
    /// The ping's msg_id (the pong's `msg_id`).
    pub msg_id: i64,
    /// Its `ping_id`.
    pub ping_id: i64,
}

/// The server end of one connection.
pub struct Server {
    /// The framed connection (and its transcript).
    pub conn: FramedConn,
    rng: Rng,
    ids: MsgIdGenerator,
    /// The session's sending state, once the handshake is done.
    pub sealer: Option<Sealer>,
    receiver: Option<ServerReceiver>,
    /// Whether quick-ack requests are answered (the reference: yes; `false` only for fixture
    /// servers in tests).
    pub quick_acks: bool,
    /// Whether a client message refused only for its seq_no (codes 32–35, 64) is served anyway,
    /// the refusal noted in the transcript. Off for the reference server driver (strict, as the
    /// server-role cases expect); on when the harness plays Telegram for a client under test,
    /// whose seq_no the client-role cases do not judge: Telegram's servers serve real clients
    /// that count a message refused by `bad_server_salt` differently from the reference. (A
    /// ping of either parity is served in both modes: [`tl::content_related_as_sent`].)
    pub lenient_seq_no: bool,
}

impl Server {
    /// A server on an accepted, framed connection.
    pub fn new(conn: FramedConn, rng: Rng) -> Self {
        Self {
            conn,
            rng,
            ids: MsgIdGenerator::new(),
            sealer: None,
            receiver: None,
            quick_acks: true,
            lenient_seq_no: false,
        }
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
            other => Err(WireError::protocol(
                format!("handshake {what}"),
                format!("expected a payload, got {other:?}"),
            )),
        }
    }

    fn send_unencrypted(&mut self, body: &[u8], deadline: Deadline, note: String) -> Result<()> {
        let (s, n) = clock::now_parts(0);
        let id = self
            .ids
            .next(s, n, MsgIdKind::ServerResponse)
            .ok_or_else(|| WireError::protocol("msg_id", "exhausted"))?;
        let packet =
            unencrypted::encode(id, body).map_err(|e| WireError::protocol("handshake", e))?;
        self.conn.send_payload(&packet, deadline, Some(note))
    }

    /// After a tampered message: whether the peer goes on (`what_next` arriving) or stops.
    fn watch_after_tamper(&mut self, deadline: Deadline, what_next: &str) -> HandshakeEnd {
        match self.conn.recv(deadline, what_next) {
            Ok(Frame::Payload { data, .. })
                if unencrypted::decode(&data)
                    .ok()
                    .and_then(|m| tl::ctor(m.body))
                    == Some(hs_id::REQ_PQ_MULTI) =>
            {
                // Starting over is not taking the tampered message.
                self.conn
                    .transcript
                    .annotate_last("the peer started a new handshake");
                HandshakeEnd::PeerStopped("the peer started over with req_pq_multi".into())
            }
            Ok(Frame::Payload { data, .. }) => {
                let kind = match envelope::classify(&data) {
                    Ok(PacketKind::Unencrypted) => unencrypted::decode(&data)
                        .ok()
                        .map_or("an unencrypted message".to_string(), |m| {
                            tl::describe(m.body)
                        }),
                    _ => "an encrypted message".to_string(),
                };
                self.conn
                    .transcript
                    .annotate_last("the peer went on after the tampered message");
                HandshakeEnd::PeerProceeded(format!(
                    "the peer sent {kind} after the tampered message"
                ))
            }
            Ok(other) => HandshakeEnd::PeerStopped(format!("the peer sent {other:?}")),
            Err(e) => HandshakeEnd::PeerStopped(e.to_string()),
        }
    }

    /// Serve the handshake (spec: auth key creation) with `keys`; `tamper` breaks one of the
    /// server's messages. `quiet` bounds the wait for the peer's next step after a tampered one.
    pub fn handshake(
        &mut self,
        keys: &[RsaPrivateKey],
        tamper: Option<HandshakeTamper>,
        deadline: Deadline,
        quiet: std::time::Duration,
    ) -> Result<HandshakeEnd> {
        let group = keys::server_group()?;
        let fps: Vec<i64> = keys.iter().map(|k| k.public().fingerprint()).collect();
        let body = self.recv_unencrypted(deadline, "req_pq_multi")?;
        let (st, mut res_pq) = hs::handle_req_pq(
            &body,
            &fps,
            &ResPqRandom {
                server_nonce: self.rng.bytes(),
                p: PQ.0,
                q: PQ.1,
            },
        )
        .map_err(|e| WireError::protocol("handshake req_pq_multi", e))?;
        match tamper {
            Some(t @ (HandshakeTamper::ResPqPrimePq | HandshakeTamper::ResPqThreeFactors)) => {
                let pq = if t == HandshakeTamper::ResPqPrimePq {
                    forge::PQ_PRIME
                } else {
                    forge::PQ_THREE_FACTORS
                };
                let nonce = res_pq.get(4..20).and_then(|b| <[u8; 16]>::try_from(b).ok());
                let sn = res_pq
                    .get(20..36)
                    .and_then(|b| <[u8; 16]>::try_from(b).ok());
                if let (Some(n), Some(sn)) = (nonce, sn) {
                    res_pq = forge::res_pq(&n, &sn, pq, &fps);
                }
            }
            Some(HandshakeTamper::ResPqNonce) => flip(&mut res_pq, 4),
            Some(HandshakeTamper::ResPqUnknownFingerprint) => {
                let n = res_pq.len();
                flip(&mut res_pq, n.saturating_sub(1));
            }
            _ => {}
        }
        self.send_unencrypted(
            &res_pq,
            deadline,
            note(
                "resPQ",
                tamper.filter(|t| {
                    matches!(
                        t,
                        HandshakeTamper::ResPqNonce
                            | HandshakeTamper::ResPqUnknownFingerprint
                            | HandshakeTamper::ResPqPrimePq
                            | HandshakeTamper::ResPqThreeFactors
                    )
                }),
            ),
        )?;
        if matches!(
            tamper,
            Some(
                HandshakeTamper::ResPqNonce
                    | HandshakeTamper::ResPqUnknownFingerprint
                    | HandshakeTamper::ResPqPrimePq
                    | HandshakeTamper::ResPqThreeFactors
            )
        ) {
            return Ok(self.watch_after_tamper(deadline.min_after(quiet), "req_DH_params"));
        }
        let mut body = self.recv_unencrypted(deadline, "req_DH_params")?;
        if let Some(t) = crate::legacy_rsa::translate_req_dh(&body, keys, &mut self.rng)? {
            self.conn.transcript.annotate_last(&t.note);
            body = t.body;
        }
        let random = ServerDhRandom {
            a: self.rng.bytes(),
            padding: self.rng.bytes(),
            server_time: i32::try_from(clock::now_secs(0)).unwrap_or(i32::MAX),
        };
        // Telegram's servers take the legacy p_q_inner_data (no dc); so does the harness here, so
        // that clients sending it are tested for their own checks.
        let (st, mut dh_ok) = st
            .accepting_legacy_inner_data()
            .handle_req_dh_params(&body, keys, &group, &random)
            .map_err(|e| WireError::protocol("handshake req_DH_params", e))?;
        let forged = tamper.filter(|t| forge::forges_server_dh(*t));
        if let Some(t) = forged {
            let key = keys
                .first()
                .ok_or_else(|| WireError::config("handshake", "no server key"))?;
            let req = forge::read_req_dh(&body, key)?;
            let honest_g_a = group.pow_g(&self.rng.bytes());
            dh_ok = forge::server_dh_params_ok(
                &req,
                t,
                &honest_g_a,
                random.server_time,
                &self.rng.bytes(),
            )?;
        }
        if tamper == Some(HandshakeTamper::ServerDhAnswerHash) {
            // encrypted_answer starts at 40 (ctor, nonces, 4-byte length). Its plaintext is
            // SHA1 (20) ‖ ctor, nonces, g (40) ‖ dh_prime (260) ‖ g_a (260) ‖ server_time ‖
            // padding: flipping ciphertext byte 565 garbles (IGE) only the last two blocks —
            // g_a's tail, server_time and padding — so the TL still parses and the SHA1 fails.
            flip(&mut dh_ok, 40 + 565);
        }
        let tampered_dh = tamper
            .filter(|t| *t == HandshakeTamper::ServerDhAnswerHash || forge::forges_server_dh(*t));
        self.send_unencrypted(&dh_ok, deadline, note("server_DH_params_ok", tampered_dh))?;
        if tampered_dh.is_some() {
            return Ok(self.watch_after_tamper(deadline.min_after(quiet), "set_client_DH_params"));
        }
        let body = self.recv_unencrypted(deadline, "set_client_DH_params")?;
        let verdict = match tamper {
            Some(HandshakeTamper::DhGenRetry) => DhGenVerdict::Retry,
            Some(HandshakeTamper::DhGenFail) => DhGenVerdict::Fail,
            _ => DhGenVerdict::Ok,
        };
        let (next, answer) = st
            .answer_set_client_dh_params(&body, verdict)
            .map_err(|e| WireError::protocol("handshake set_client_DH_params", e))?;
        let (result, mut gen_ok) = match next {
            ServerDhGen::Done(result) => (*result, answer),
            ServerDhGen::Failed => {
                self.send_unencrypted(&answer, deadline, "dh_gen_fail".to_string())?;
                return Ok(
                    self.watch_after_tamper(deadline.min_after(quiet), "an encrypted message")
                );
            }
            ServerDhGen::Retry(st) => {
                self.send_unencrypted(&answer, deadline, "dh_gen_retry".to_string())?;
                let body = match self
                    .recv_unencrypted(deadline, "set_client_DH_params (after dh_gen_retry)")
                {
                    Ok(b) => b,
                    Err(e) => {
                        return Ok(HandshakeEnd::PeerWrong(format!(
                            "no set_client_DH_params after dh_gen_retry: {e}"
                        )));
                    }
                };
                match st.handle_set_client_dh_params(&body) {
                    Ok((r, g)) => (r, g),
                    Err(e) => {
                        self.conn.transcript.annotate_last(&format!("refused: {e}"));
                        return Ok(HandshakeEnd::PeerWrong(format!(
                            "the set_client_DH_params resent after dh_gen_retry is refused ({e}); retry_id must be the rejected key's auth_key_aux_hash"
                        )));
                    }
                }
            }
        };
        if tamper == Some(HandshakeTamper::DhGenOkNonceHash) {
            flip(&mut gen_ok, 36);
        }
        self.send_unencrypted(
            &gen_ok,
            deadline,
            note(
                "dh_gen_ok",
                tamper.filter(|t| *t == HandshakeTamper::DhGenOkNonceHash),
            ),
        )?;
        if tamper == Some(HandshakeTamper::DhGenOkNonceHash) {
            return Ok(self.watch_after_tamper(deadline.min_after(quiet), "an encrypted message"));
        }
        self.sealer = Some(Sealer::new(
            result.auth_key,
            Direction::ServerToClient,
            i64::from_le_bytes(result.server_salt),
            0,
            0,
            Rng::from_seed(self.rng.u64()),
        ));
        Ok(HandshakeEnd::Done)
    }

    fn sealer(&mut self) -> Result<&mut Sealer> {
        self.sealer.as_mut().ok_or_else(|| {
            WireError::protocol("session", "no auth key: the handshake did not complete")
        })
    }

    /// The session's sending state (after the handshake).
    pub fn sealer_mut(&mut self) -> Result<&mut Sealer> {
        self.sealer()
    }

    /// Seal `body` validly under `msg_id` and send it.
    pub fn send_at(
        &mut self,
        body: &[u8],
        msg_id: i64,
        deadline: Deadline,
        why: &str,
    ) -> Result<Sealed> {
        let sealed = self.sealer()?.seal_at(body, msg_id)?;
        let n = format!("{why}: {} msg_id={msg_id}", tl::describe(body));
        self.conn.send_payload(&sealed.packet, deadline, Some(n))?;
        Ok(sealed)
    }

    /// Seal and send `body` (broken by `mutation` if given).
    pub fn send_body(
        &mut self,
        body: &[u8],
        kind: MsgIdKind,
        mutation: Option<Mutation>,
        deadline: Deadline,
        why: &str,
    ) -> Result<Sealed> {
        let sealed = self.sealer()?.seal(body, kind, mutation)?;
        let mut n = format!("{why}: {} msg_id={}", tl::describe(body), sealed.msg_id);
        if let Some(m) = mutation {
            n.push_str(&format!(" [broken: {}]", m.name()));
        }
        self.conn.send_payload(&sealed.packet, deadline, Some(n))?;
        Ok(sealed)
    }

    /// Seal `body` validly and send it in a frame written by hand, broken by `frame` (plain
    /// transports only).
    pub fn send_in_raw_frame(
        &mut self,
        body: &[u8],
        frame: crate::case::FrameTamper,
        deadline: Deadline,
        why: &str,
    ) -> Result<Sealed> {
        if self.conn.is_obfuscated() {
            return Err(WireError::config(
                "script",
                "frame tampers need a plain transport",
            ));
        }
        let sealed = self.sealer()?.seal(body, MsgIdKind::ServerResponse, None)?;
        let bytes = crate::rawframe::frame(
            self.conn.kind(),
            frame,
            &sealed.packet,
            self.conn.frames_sent(),
        )?;
        let n = format!(
            "{why}: {} msg_id={} [frame: {frame:?}]",
            tl::describe(body),
            sealed.msg_id
        );
        self.conn.send_raw(&bytes, deadline, Some(n))?;
        Ok(sealed)
    }

    /// Receive one frame from the client and serve it as the reference server does. Pings are
    /// answered with `pong` when `auto_pong`, else returned for the script to answer.
    pub fn serve_frame(&mut self, deadline: Deadline, auto_pong: bool) -> Result<Vec<HeldPing>> {
        let (data, quick_ack) = match self.conn.recv(deadline, "a message from the client")? {
            Frame::Payload { data, quick_ack } => (data, quick_ack),
            other => {
                return Err(WireError::protocol(
                    "transport",
                    format!("unexpected {other:?} from a client"),
                ));
            }
        };
        let key_id = self.sealer()?.auth_key.id();
        match envelope::classify(&data) {
            Ok(PacketKind::Encrypted(id)) if id == key_id => {}
            Ok(_) | Err(_) => {
                // "auth key not found": the transport error -404.
                self.conn
                    .transcript
                    .annotate_last("unknown auth_key_id: answering -404");
                self.conn.send(
                    Packet::Error {
                        code: error_code::AUTH_KEY_NOT_FOUND,
                    },
                    deadline,
                    None,
                )?;
                return Ok(Vec::new());
            }
        }
        let msg = match envelope::decrypt_any_session(
            &self.sealer()?.auth_key,
            Receiver::Server,
            &data,
        ) {
            Ok(m) => m,
            Err(e) => {
                self.conn
                    .transcript
                    .annotate_last(&format!("discarded: {e}"));
                return Ok(Vec::new());
            }
        };
        if quick_ack && self.quick_acks {
            // "the server ... sends a quick acknowledgment" of a message that decrypted: the
            // first 32 bits of msg_key_large with the MSB set (transports page).
            self.conn.send(
                Packet::QuickAck {
                    token: msg.quick_ack_token,
                },
                deadline,
                Some("quick ack".into()),
            )?;
        }
        let now = clock::now_secs(0);
        if self.receiver.is_none() {
            let sealer = self.sealer()?;
            let salt = sealer.salt;
            sealer.session_id = msg.session_id;
            let salts = SaltSchedule::new(&[FutureSalt {
                salt,
                valid_since: now - 3600,
                valid_until: now + 3600,
            }]);
            self.receiver = Some(ServerReceiver::new(
                msg.session_id,
                ServerConfig::default(),
                salts,
            ));
            let unique = self.rng.i64();
            let body = tl::new_session_created(msg.msg_id, unique, salt);
            self.send_body(&body, MsgIdKind::ServerOther, None, deadline, "new session")?;
        }
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
            content_related: tl::content_related_as_sent(&body, msg.seq_no),
        };
        let mut held = Vec::new();
        let mut accepted: Vec<(i64, Vec<u8>)> = Vec::new();
        let receiver = self
            .receiver
            .as_mut()
            .ok_or_else(|| WireError::protocol("session", "no receiver"))?;
        let mut refusals = Vec::new();
        let mut seq_no_notes: Vec<String> = Vec::new();
        if tl::ctor(&body) == Some(tl::MSG_CONTAINER) {
            let mut inner = Vec::new();
            let mut bodies = Vec::new();
            match parse_container(&body) {
                Some(Ok(it)) => {
                    for m in it {
                        let m = m.map_err(|e| WireError::protocol("container", e))?;
                        inner.push(InnerHeader {
                            msg_id: m.msg_id,
                            seq_no: m.seq_no,
                            content_related: tl::content_related_as_sent(m.body, m.seq_no),
                            is_container: m.is_container(),
                        });
                        bodies.push((m.msg_id, m.seq_no, m.body.to_vec()));
                    }
                }
                _ => return Err(WireError::protocol("container", "malformed msg_container")),
            }
            match receiver.receive_container(now, &inbound, &inner) {
                Err(e) if self.lenient_seq_no && is_seq_no_refusal(&e) => {
                    seq_no_notes.push(format!("container {}: {e}", msg.msg_id));
                    accepted.extend(bodies.into_iter().map(|(id, _, b)| (id, b)));
                }
                Err(e) => refusals.push((msg.msg_id, msg.seq_no, e)),
                Ok(()) => {
                    for (h, (id, seq, b)) in inner.iter().zip(bodies) {
                        match receiver.receive_inner(h) {
                            Ok(_) => accepted.push((id, b)),
                            Err(e) if self.lenient_seq_no && is_seq_no_refusal(&e) => {
                                seq_no_notes.push(format!("{id}: {e}"));
                                accepted.push((id, b));
                            }
                            Err(e) => refusals.push((id, seq, e)),
                        }
                    }
                }
            }
        } else {
            match receiver.receive(now, &inbound) {
                Ok(_) => accepted.push((msg.msg_id, body)),
                Err(e) if self.lenient_seq_no && is_seq_no_refusal(&e) => {
                    seq_no_notes.push(format!("{}: {e}", msg.msg_id));
                    accepted.push((msg.msg_id, body));
                }
                Err(e) => refusals.push((msg.msg_id, msg.seq_no, e)),
            }
        }
        if !seq_no_notes.is_empty() {
            self.conn.transcript.annotate_last(&format!(
                "seq_no not enforced (served anyway): {}",
                seq_no_notes.join(", ")
            ));
        }
        let mut acks = Vec::new();
        receiver.acks().drain_into(&mut acks);
        for (id, seq, e) in refusals {
            let new_salt = self.sealer()?.salt;
            match e.bad_msg_code() {
                Some(48) => {
                    let b = tl::bad_server_salt(id, seq, new_salt);
                    self.send_body(
                        &b,
                        MsgIdKind::ServerResponse,
                        None,
                        deadline,
                        &format!("refused: {}", e.name()),
                    )?;
                }
                Some(code) => {
                    let b = tl::bad_msg_notification(id, seq, code);
                    self.send_body(
                        &b,
                        MsgIdKind::ServerResponse,
                        None,
                        deadline,
                        &format!("refused: {}", e.name()),
                    )?;
                }
                None => self.conn.transcript.annotate_last(&format!("ignored: {e}")),
            }
        }
        for (id, b) in accepted {
            if let Some(ping_id) = tl::ping_id(&b) {
                if auto_pong {
                    self.send_body(
                        &tl::pong(id, ping_id),
                        MsgIdKind::ServerResponse,
                        None,
                        deadline,
                        "answer",
                    )?;
                } else {
                    held.push(HeldPing {
                        msg_id: id,
                        ping_id,
                    });
                }
            } else if tl::content_related(&b) {
                let r = tl::rpc_error_result(id, 400, "INPUT_METHOD_INVALID");
                self.send_body(&r, MsgIdKind::ServerResponse, None, deadline, "not served")?;
            }
        }
        if !acks.is_empty() {
            self.send_body(&acks, MsgIdKind::ServerOther, None, deadline, "acknowledge")?;
        }
        Ok(held)
    }

    /// Serve frames until the client closes (`Ok`) or `deadline` passes.
    pub fn serve(&mut self, deadline: Deadline) -> Result<()> {
        loop {
            match self.serve_frame(deadline, true) {
                Ok(_) => {}
                Err(WireError::Closed { .. }) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

fn flip(b: &mut [u8], at: usize) {
    if let Some(x) = b.get_mut(at) {
        *x ^= 0x01;
    }
}

fn note(what: &str, tamper: Option<HandshakeTamper>) -> String {
    match tamper {
        Some(t) => format!("{what} [tampered: {t:?}]"),
        None => what.to_string(),
    }
}

/// A refusal for the seq_no alone (codes 32–35, and 64 for a container's seq_no).
fn is_seq_no_refusal(e: &mtproto::error::SessionError) -> bool {
    use mtproto::error::SessionError as E;
    matches!(
        e,
        E::SeqNoTooLow
            | E::SeqNoTooHigh
            | E::SeqNoShouldBeEven
            | E::SeqNoShouldBeOdd
            | E::ContainerSeqNoBelowInner
    )
}
