//! The built-in cases the `wire` files are generated from: client role (a valid session on every
//! transport, every envelope receiver check and the msg_id rules as "decoy, then truth" cases,
//! the client's handshake and transport checks, replays) and server role (a valid session, the
//! tampered client handshake messages, quick acks, obfuscated2 inits, every client-side
//! mutation with the code it must draw).

use mtproto::transport::Kind;

use super::model::{
    Action, FrameTamper, HandshakeTamper, Mutation, PongPlan, Reaction, ReplayOrder, ReplayWhich,
    Role, Step, TEST_SECRET, WireCase, standard_transports,
};

/// A transport as a case names it.
#[derive(Clone, Debug)]
struct Transport {
    name: String,
    secret: Option<Vec<u8>>,
}

impl Transport {
    fn plain(kind: Kind) -> Self {
        Self {
            name: kind.as_str().to_owned(),
            secret: None,
        }
    }

    fn obfuscated(kind: Kind, secret: Option<Vec<u8>>) -> Self {
        Self {
            name: format!("obfuscated2-{}", kind.as_str()),
            secret,
        }
    }

    fn standard() -> Vec<Self> {
        standard_transports()
            .into_iter()
            .map(|(name, secret)| Self {
                name: name.to_owned(),
                secret,
            })
            .collect()
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

fn case(
    tc_id: u32,
    comment: String,
    t: &Transport,
    pings: u32,
    script: Vec<Step>,
    flags: &[&str],
) -> WireCase {
    WireCase {
        tc_id,
        comment,
        role: Role::ClientUnderTest,
        transport: t.name(),
        secret: t.secret.as_ref().map(hex::encode),
        dc: 2,
        pings,
        script,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        seed: u64::from(tc_id),
        acceptable: false,
        init_prefix: None,
    }
}

fn handshake() -> Step {
    Step {
        action: Action::Handshake { tamper: None },
        expect: Reaction::Completed,
    }
}

fn valid_pong() -> Step {
    Step {
        action: Action::AnswerPing {
            pong: PongPlan::Valid,
        },
        expect: Reaction::Accepted,
    }
}

/// The clause each mutation enforces (security guidelines and message description pages).
fn clause(m: Mutation) -> &'static str {
    match m {
        Mutation::WrongAuthKeyId => "R1: auth_key_id must be the active key's, else drop",
        Mutation::TamperedPadding => {
            "R4: msg_key covers the padding too; a message whose padding changed must be dropped"
        }
        Mutation::FlipMsgKey | Mutation::WrongDirection => {
            "R3/R4: msg_key must equal SHA-256(auth_key[88+x..] ‖ plaintext)[8..24], checked before any field"
        }
        Mutation::UnalignedLength | Mutation::TooShort => {
            "R2: encrypted_data a multiple of 16 bytes and at least 48"
        }
        Mutation::LengthNotAligned | Mutation::LengthBeyondPlaintext => {
            "R5: message_data_length divisible by 4, non-negative, within the plaintext"
        }
        Mutation::PaddingTooShort | Mutation::PaddingTooLong => "R5: padding 12..1024 bytes",
        Mutation::WrongSessionId => "R6: session_id must be the client's",
        Mutation::EvenMsgId => "R7: server msg_ids are ≡ 1 or 3 mod 4",
        Mutation::OddClientMsgId => "R7: client msg_ids are divisible by 4 (server code 18)",
        Mutation::WrongSalt => "R11: a salt the server does not accept gets bad_server_salt (48)",
        Mutation::MsgIdTooOld | Mutation::MsgIdTooNew => {
            "R9: msg_id time within 300 s before and 30 s after now"
        }
        Mutation::DuplicateMsgId => "R8: a msg_id already received is ignored",
        Mutation::ContainerInnerIdNotLower | Mutation::ContainerNested => {
            "R12: nested msg_ids lower than the container's; no nested containers"
        }
        Mutation::SeqNoTooLow | Mutation::SeqNoTooHigh => {
            "R10: seq_no = 2 x content-related messages so far (+1 if content-related); codes 32/33 (https://core.telegram.org/mtproto/service_messages_about_messages)"
        }
        Mutation::SeqNoEvenForContent | Mutation::SeqNoOddForService => {
            "R10: seq_no odd exactly for content-related messages; codes 35/34 (https://core.telegram.org/mtproto/service_messages_about_messages)"
        }
    }
}

/// The client-role suite.
pub fn client_cases() -> Vec<WireCase> {
    let transports = Transport::standard();
    let mut out = Vec::new();
    let mut id = 1u32;
    for t in &transports {
        out.push(case(
            id,
            format!("valid handshake and two pings over {}", t.name()),
            t,
            2,
            vec![handshake(), valid_pong(), valid_pong()],
            &["Valid", "Transport"],
        ));
        id += 1;
    }
    // TamperedPadding's case comes last (tcId 55): it was added after the ids were published.
    let decoys = Mutation::ALL
        .into_iter()
        .filter(|m| *m != Mutation::TamperedPadding);
    for (i, m) in decoys.enumerate() {
        let t = transports
            .get(i % transports.len())
            .cloned()
            .unwrap_or_else(|| Transport::plain(Kind::Intermediate));
        let flag = if m.is_envelope() { "Envelope" } else { "MsgId" };
        out.push(case(
            id,
            format!(
                "decoy pong broken by {} then the true pong: the client must ignore the decoy ({})",
                m.name(),
                clause(m)
            ),
            &t,
            1,
            vec![
                handshake(),
                Step {
                    action: Action::AnswerPing {
                        pong: PongPlan::DecoyThenTruth { mutation: m },
                    },
                    expect: Reaction::Ignored,
                },
            ],
            &["Decoy", flag],
        ));
        id += 1;
    }
    let tampers = [
        (
            HandshakeTamper::ResPqNonce,
            "resPQ nonce must equal the client's",
        ),
        (
            HandshakeTamper::ResPqUnknownFingerprint,
            "resPQ must offer a fingerprint of a known key",
        ),
        (
            HandshakeTamper::ServerDhAnswerHash,
            "SHA1(answer) must match the decrypted answer",
        ),
        (
            HandshakeTamper::DhGenOkNonceHash,
            "new_nonce_hash1 must match",
        ),
        (
            HandshakeTamper::ResPqPrimePq,
            "pq must split into two primes p < q (here pq is prime)",
        ),
        (
            HandshakeTamper::ResPqThreeFactors,
            "pq must split into two primes p < q (here pq has three prime factors)",
        ),
        (
            HandshakeTamper::ServerDhNonce,
            "server_DH_params_ok nonce must equal the client's",
        ),
        (
            HandshakeTamper::ServerDhServerNonce,
            "server_DH_params_ok server_nonce must equal resPQ's",
        ),
        (
            HandshakeTamper::ServerDhInnerNonce,
            "server_DH_inner_data nonce must equal the client's",
        ),
        (
            HandshakeTamper::ServerDhInnerHash,
            "answer_with_hash must start with SHA1(server_DH_inner_data)",
        ),
        (
            HandshakeTamper::DhPrimeNotSafe,
            "dh_prime must be a safe 2048-bit prime ((p-1)/2 prime)",
        ),
        (
            HandshakeTamper::DhGNotGenerator,
            "g must generate the subgroup of prime order (p-1)/2 (g = 2 needs p mod 8 = 7)",
        ),
        (HandshakeTamper::GaOne, "g_a must be greater than 1"),
        (HandshakeTamper::GaPMinusOne, "g_a must be less than p - 1"),
        (
            HandshakeTamper::GaBelowMargin,
            "g_a must be at least 2^(2048-64) (recommended check)",
        ),
        (
            HandshakeTamper::GaAboveMargin,
            "g_a must be at most p - 2^(2048-64) (recommended check)",
        ),
        (
            HandshakeTamper::DhGenFail,
            "dh_gen_fail (valid new_nonce_hash3) means abort",
        ),
    ];
    for (i, (tamper, why)) in tampers.into_iter().enumerate() {
        let t = transports
            .get(i % transports.len())
            .cloned()
            .unwrap_or_else(|| Transport::plain(Kind::Intermediate));
        out.push(case(
            id,
            format!(
                "tampered handshake ({tamper:?}): {why}; the client must not go on ({AUTH_KEY})"
            ),
            &t,
            1,
            vec![Step {
                action: Action::Handshake {
                    tamper: Some(tamper),
                },
                expect: Reaction::NotCompleted,
            }],
            &["Handshake", handshake_flag(tamper)],
        ));
        id += 1;
    }
    id = transport_cases(&mut out, id);
    id = replay_cases(&mut out, id);
    out.push(case(
        id,
        format!(
            "dh_gen_retry (valid new_nonce_hash2): the client must resend set_client_DH_params with a new b and retry_id = auth_key_aux_hash of the rejected key, then finish on dh_gen_ok and ping ({AUTH_KEY})"
        ),
        &Transport::plain(Kind::Intermediate),
        1,
        vec![
            Step {
                action: Action::Handshake {
                    tamper: Some(HandshakeTamper::DhGenRetry),
                },
                expect: Reaction::Completed,
            },
            valid_pong(),
        ],
        &["Handshake", "DhGenRetry"],
    ));
    let m = Mutation::TamperedPadding;
    out.push(case(
        id + 1,
        format!(
            "decoy pong broken by {} then the true pong: the client must ignore the decoy ({})",
            m.name(),
            clause(m)
        ),
        &Transport::plain(Kind::Intermediate),
        1,
        vec![
            handshake(),
            Step {
                action: Action::AnswerPing {
                    pong: PongPlan::DecoyThenTruth { mutation: m },
                },
                expect: Reaction::Ignored,
            },
        ],
        &["Decoy", "Envelope"],
    ));
    out
}

/// The transports page the transport cases enforce.
const TRANSPORTS: &str = "https://core.telegram.org/mtproto/mtproto-transports";

/// Client-role transport cases: broken frames as decoys, a 2 GiB length prefix, a non-minimal
/// abridged length, the −404 error packet, an unsolicited quick ack. Returns the next id.
fn transport_cases(out: &mut Vec<WireCase>, mut id: u32) -> u32 {
    let ping = |pong: PongPlan, expect: Reaction| {
        vec![
            handshake(),
            Step {
                action: Action::AnswerPing { pong },
                expect,
            },
        ]
    };
    let plans: [(Kind, PongPlan, Reaction, bool, &str, &str); 9] = [
        (
            Kind::Full,
            PongPlan::FrameDecoy {
                frame: FrameTamper::FullBadCrc,
            },
            Reaction::Dropped,
            false,
            "a full-transport frame whose CRC32 does not match carries a decoy pong: the client must not take it (drop it or close)",
            "FullCrc",
        ),
        (
            Kind::Full,
            PongPlan::FrameDecoy {
                frame: FrameTamper::FullWrongSeqno,
            },
            Reaction::Dropped,
            false,
            "a full-transport frame with the wrong seqno carries a decoy pong: the client must not take it (drop it or close)",
            "FullSeqno",
        ),
        (
            Kind::Abridged,
            PongPlan::FrameDecoy {
                frame: FrameTamper::HugeLength,
            },
            Reaction::Dropped,
            false,
            "an abridged length prefix of 0x7f ffffff words (64 MiB) before a short frame: the client must not wait for it nor allocate it, and close",
            "Length",
        ),
        (
            Kind::Intermediate,
            PongPlan::FrameDecoy {
                frame: FrameTamper::HugeLength,
            },
            Reaction::Dropped,
            false,
            "an intermediate length prefix of 0x7ffffff0 (2 GiB) before a short frame: the client must not wait for it nor allocate it, and close",
            "Length",
        ),
        (
            Kind::Padded,
            PongPlan::FrameDecoy {
                frame: FrameTamper::HugeLength,
            },
            Reaction::Dropped,
            false,
            "a padded-intermediate length prefix of 0x7ffffff0 (2 GiB) before a short frame: the client must not wait for it nor allocate it, and close",
            "Length",
        ),
        (
            Kind::Abridged,
            PongPlan::TruthInFrame {
                frame: FrameTamper::AbridgedLongForm,
            },
            Reaction::Dropped,
            true,
            "the true pong with its abridged length (< 127 words) in the 4-byte 0x7f form: the page defines the 1-byte form for lengths below 127 and says nothing of the longer one, so taking the pong or closing are both acceptable (the reference closes)",
            "Length",
        ),
        (
            Kind::Intermediate,
            PongPlan::TransportError { code: -404 },
            Reaction::ErrorReported,
            false,
            "a transport error packet -404 (auth key not found) instead of the pong: the client must report a transport error, not crash nor hang",
            "TransportError",
        ),
        (
            Kind::Abridged,
            PongPlan::TransportError { code: -404 },
            Reaction::ErrorReported,
            false,
            "an abridged transport error packet -404 instead of the pong: the client must report a transport error, not crash nor hang",
            "TransportError",
        ),
        (
            Kind::Intermediate,
            PongPlan::QuickAckFirst,
            Reaction::Accepted,
            false,
            "an unsolicited quick-ack frame (a 4-byte token with the top bit set) before the pong: the client must not take it for a packet or an error, and take the pong",
            "QuickAck",
        ),
    ];
    for (kind, plan, expect, acceptable, why, flag) in plans {
        let mut c = case(
            id,
            format!("{why} ({TRANSPORTS})"),
            &Transport::plain(kind),
            1,
            ping(plan, expect),
            &["Transport", flag],
        );
        c.acceptable = acceptable;
        if acceptable {
            c.flags.push("SpecOpen".into());
        }
        out.push(c);
        id += 1;
    }
    id
}

/// Client-role replay cases: replay after reorder, and an id below a full window.
fn replay_cases(out: &mut Vec<WireCase>, mut id: u32) -> u32 {
    let kinds = [
        (
            ReplayOrder::InOrder,
            ReplayWhich::Higher,
            "A then B, then B's msg_id again",
        ),
        (
            ReplayOrder::InOrder,
            ReplayWhich::Lower,
            "A then B, then A's msg_id again",
        ),
        (
            ReplayOrder::Reordered,
            ReplayWhich::Lower,
            "B then A (A < B, valid late), then A's msg_id again",
        ),
        (
            ReplayOrder::Reordered,
            ReplayWhich::Higher,
            "B then A (A < B, valid late), then B's msg_id again",
        ),
    ];
    for (i, (order, replay, what)) in kinds.into_iter().enumerate() {
        out.push(case(
            id,
            format!(
                "replay after reorder: msgs_ack messages {what} carrying a decoy pong: the client must ignore a msg_id it already received, whatever order the ids came in (R8: {DESCRIPTION})"
            ),
            &Transport::standard()
                .get(i % 4)
                .cloned()
                .unwrap_or_else(|| Transport::plain(Kind::Intermediate)),
            1,
            vec![
                handshake(),
                Step {
                    action: Action::AnswerPing {
                        pong: PongPlan::Replay { order, replay },
                    },
                    expect: Reaction::Ignored,
                },
            ],
            &["Decoy", "MsgId", "Replay"],
        ));
        id += 1;
    }
    out.push(case(
        id,
        format!(
            "lower than every stored id: {} msgs_ack messages fill the client's msg_id window, then a decoy pong with a fresh msg_id below all of them (within 300 s): the client must ignore it (R8: {DESCRIPTION})",
            mtproto::session::DEFAULT_WINDOW
        ),
        &Transport::plain(Kind::Intermediate),
        1,
        vec![
            handshake(),
            Step {
                action: Action::AnswerPing {
                    pong: PongPlan::FillWindowThenLower {
                        count: u32::try_from(mtproto::session::DEFAULT_WINDOW).unwrap_or(1000),
                    },
                },
                expect: Reaction::Ignored,
            },
        ],
        &["Decoy", "MsgId", "Window"],
    ));
    id + 1
}

/// The page of the msg_id rules.
const DESCRIPTION: &str = "https://core.telegram.org/mtproto/description";

/// The page the handshake cases enforce.
const AUTH_KEY: &str = "https://core.telegram.org/mtproto/auth_key";

/// The flag naming the handshake check a tamper targets (for grouping and the kill table).
fn handshake_flag(t: HandshakeTamper) -> &'static str {
    match t {
        HandshakeTamper::ResPqNonce
        | HandshakeTamper::ServerDhNonce
        | HandshakeTamper::ServerDhServerNonce
        | HandshakeTamper::ServerDhInnerNonce => "Nonce",
        HandshakeTamper::ResPqUnknownFingerprint => "Fingerprint",
        HandshakeTamper::ResPqPrimePq | HandshakeTamper::ResPqThreeFactors => "Pq",
        HandshakeTamper::ServerDhAnswerHash | HandshakeTamper::ServerDhInnerHash => "AnswerHash",
        HandshakeTamper::DhPrimeNotSafe => "DhSafePrime",
        HandshakeTamper::DhGNotGenerator => "DhGenerator",
        HandshakeTamper::GaOne | HandshakeTamper::GaPMinusOne => "DhRange",
        HandshakeTamper::GaBelowMargin | HandshakeTamper::GaAboveMargin => "DhMargin",
        HandshakeTamper::DhGenOkNonceHash => "NewNonceHash1",
        HandshakeTamper::DhGenRetry => "DhGenRetry",
        HandshakeTamper::DhGenFail => "DhGenFail",
        _ => "ServerRole",
    }
}

/// What the reference server does about a client message broken by `m` (spec: the server
/// column of the receiver checks and the codes of service messages about messages).
pub fn server_reaction(m: Mutation) -> Reaction {
    match m {
        // "auth key not found": the transport error -404.
        Mutation::WrongAuthKeyId => Reaction::TransportError { code: -404 },
        Mutation::OddClientMsgId => Reaction::Notification { code: 18 },
        Mutation::MsgIdTooOld => Reaction::Notification { code: 16 },
        Mutation::MsgIdTooNew => Reaction::Notification { code: 17 },
        Mutation::ContainerInnerIdNotLower | Mutation::ContainerNested => {
            Reaction::Notification { code: 64 }
        }
        Mutation::WrongSalt => Reaction::Notification { code: 48 },
        Mutation::SeqNoTooLow => Reaction::Notification { code: 32 },
        Mutation::SeqNoTooHigh => Reaction::Notification { code: 33 },
        Mutation::SeqNoOddForService => Reaction::Notification { code: 34 },
        Mutation::SeqNoEvenForContent => Reaction::Notification { code: 35 },
        // Envelope failures are discarded alike (R4), duplicates ignored (R8), and a session_id
        // other than the connection's discarded (R6).
        _ => Reaction::Ignored,
    }
}

/// The server-role suite: a valid session on every transport, then every client-side mutation
/// as a decoy ping followed by a true one.
pub fn server_cases() -> Vec<WireCase> {
    let transports = Transport::standard();
    let mut out = Vec::new();
    let mut id = 1001u32;
    let ping = |mutation: Option<Mutation>, expect: Reaction| Step {
        action: Action::SendPing { mutation },
        expect,
    };
    for t in &transports {
        let mut c = case(
            id,
            format!("valid handshake and two pings over {}", t.name()),
            t,
            0,
            vec![
                handshake(),
                ping(None, Reaction::Accepted),
                ping(None, Reaction::Accepted),
            ],
            &["Valid", "Transport"],
        );
        c.role = Role::ServerUnderTest;
        out.push(c);
        id += 1;
    }
    let tampers = [
        (
            HandshakeTamper::ReqDhParamsNonce,
            "req_DH_params nonce must be the one of req_pq_multi",
        ),
        (
            HandshakeTamper::ReqDhParamsFingerprint,
            "req_DH_params must name an offered fingerprint",
        ),
        (
            HandshakeTamper::ReqDhParamsEncryptedData,
            "RSA_PAD's hash over the 192 bytes must hold",
        ),
        (
            HandshakeTamper::SetClientDhParamsHash,
            "SHA1(client_DH_inner_data) must match",
        ),
    ];
    for (i, (tamper, why)) in tampers.into_iter().enumerate() {
        let t = transports
            .get(i % transports.len())
            .cloned()
            .unwrap_or_else(|| Transport::plain(Kind::Intermediate));
        let mut c = case(
            id,
            format!(
                "tampered handshake ({tamper:?}): {why}; the server must not answer it ({AUTH_KEY})"
            ),
            &t,
            0,
            vec![Step {
                action: Action::Handshake {
                    tamper: Some(tamper),
                },
                expect: Reaction::NotCompleted,
            }],
            &["Handshake"],
        );
        c.role = Role::ServerUnderTest;
        out.push(c);
        id += 1;
    }
    // Quick acks: the transports that carry the flag.
    for t in [
        Transport::plain(Kind::Abridged),
        Transport::plain(Kind::Intermediate),
        Transport::plain(Kind::Padded),
        Transport::obfuscated(Kind::Intermediate, None),
    ] {
        let mut c = case(
            id,
            format!(
                "a ping with the quick-ack flag over {}: the server must answer a quick ack whose token is the first 32 bits of msg_key_large with the MSB set, and the pong ({TRANSPORTS})",
                t.name()
            ),
            &t,
            0,
            vec![
                handshake(),
                Step {
                    action: Action::SendPingQuickAck,
                    expect: Reaction::QuickAck,
                },
            ],
            &["Transport", "QuickAck"],
        );
        c.role = Role::ServerUnderTest;
        out.push(c);
        id += 1;
    }
    // The client's rule on the first bytes of its obfuscated2 init, seen from the server.
    let forbidden: [(&str, &str); 9] = [
        ("ef", "first byte 0xef (the abridged tag)"),
        ("48454144", "\"HEAD\""),
        ("504f5354", "\"POST\""),
        ("47455420", "\"GET \""),
        ("4f505449", "\"OPTI\""),
        ("16030102", "a TLS record header 16 03 01 02"),
        ("dddddddd", "the padded intermediate tag"),
        ("eeeeeeee", "the intermediate tag"),
        ("0102030400000000", "bytes 4..8 zero"),
    ];
    for (i, (prefix, what)) in forbidden.into_iter().enumerate() {
        let t = if i % 2 == 0 {
            Transport::obfuscated(Kind::Intermediate, None)
        } else {
            Transport::obfuscated(Kind::Padded, Some(TEST_SECRET.to_vec()))
        };
        let mut c = case(
            id,
            format!(
                "an obfuscated2 init starting with {what}: a client must never send it (it must draw the 64 bytes again); whether a server refuses it is not said, so refusing it (the reference) and serving it are both acceptable ({TRANSPORTS})"
            ),
            &t,
            0,
            vec![Step {
                action: Action::Handshake { tamper: None },
                expect: Reaction::NotCompleted,
            }],
            &["Transport", "Obfuscated2Init", "SpecOpen"],
        );
        c.role = Role::ServerUnderTest;
        c.acceptable = true;
        c.init_prefix = Some(prefix.to_string());
        out.push(c);
        id += 1;
    }
    for (i, m) in Mutation::CLIENT_SENT.into_iter().enumerate() {
        let t = transports
            .get(i % transports.len())
            .cloned()
            .unwrap_or_else(|| Transport::plain(Kind::Intermediate));
        let expect = server_reaction(m);
        let mut c = case(
            id,
            format!(
                "decoy {} broken by {} then a true ping: the server must answer {:?} ({})",
                match m {
                    Mutation::SeqNoEvenForContent => "query",
                    Mutation::SeqNoOddForService => "msgs_ack",
                    _ => "ping",
                },
                m.name(),
                expect,
                clause(m)
            ),
            &t,
            0,
            if m.is_seq_no() {
                // One content-related message first, so that "2 below" is a seq_no >= 0.
                vec![
                    handshake(),
                    Step {
                        action: Action::SendQuery,
                        expect: Reaction::Accepted,
                    },
                    ping(Some(m), expect),
                ]
            } else {
                vec![
                    handshake(),
                    ping(None, Reaction::Accepted),
                    ping(Some(m), expect),
                ]
            },
            &[
                "Decoy",
                if m.is_envelope() {
                    "Envelope"
                } else if m.is_seq_no() {
                    "SeqNo"
                } else {
                    "MsgId"
                },
            ],
        );
        c.role = Role::ServerUnderTest;
        out.push(c);
        id += 1;
    }
    out
}
