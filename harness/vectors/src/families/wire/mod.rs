//! The `wire` family: conformance over a socket. `WireClientTest` cases put a client under test
//! (the harness is a hostile server), `WireServerTest` cases a server (the harness is a hostile
//! client). Each case is a transport and a script of harness actions, each with the reaction the
//! spec requires of the peer ([`model`]).
//!
//! This module loads, checks and generates the files; it holds no socket. The cases are not
//! requests to an adapter: [`Family::run`] runs none of them (a function-level adapter neither
//! passes nor lacks them), and `mtproto-wire` plays them against a driver process (the CLI's
//! `run --client` / `--server`, or the reference drivers in a plain `run`).
//!
//! Verdicts: a case whose harness messages are all well-formed (a valid session, a transport
//! error packet, an unsolicited quick ack, `dh_gen_retry`) is `valid`; a case that breaks one
//! receiver check is `invalid`, its `error` naming that check in the shared vocabulary (the wire
//! never sees the peer's error names: the peer's reaction is the verdict); a case whose reaction
//! the spec leaves open is `acceptable` with the flag `SpecOpen`.

pub mod model;
pub mod suite;

use mtproto_iut::Iut;
use serde::{Deserialize, Serialize};

use self::model::{
    Action, FrameTamper, HandshakeTamper, Mutation, PongPlan, Role, Step, TRANSPORT_NAMES, WireCase,
};
use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Source, decode_lower_hex};
use crate::core::generate::{Builder, Flag, GenerateError, Suite, self_source};
use crate::core::judge::{Ran, RunOptions};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::Verdict;

/// The `wire` family.
#[derive(Clone, Copy, Debug)]
pub struct Wire;

/// The group type of client-role cases.
pub const CLIENT_TEST: &str = "WireClientTest";
/// The group type of server-role cases.
pub const SERVER_TEST: &str = "WireServerTest";

crate::case_struct!(
    /// A `WireClientTest` or `WireServerTest` case.
    WireVector {
        /// The transport name (one of [`TRANSPORT_NAMES`]).
        transport: String,
        /// The MTProxy secret, hex (obfuscated2 only): 16 bytes, or `dd` and 16 bytes (padded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        /// The DC number given to the driver.
        dc: i32,
        /// How many pings a client driver is asked to send (0 for server-role cases).
        pings: u32,
        /// The seed of the harness's randomness (nonces, keys, padding).
        seed: u64,
        /// Server role, obfuscated2 only: the first bytes of the harness's init, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init_prefix: Option<String>,
        /// The harness's actions, each with the reaction the spec requires.
        script: Vec<Step>,
    }
);

impl WireVector {
    /// The case as the wire runner plays it, in `role`.
    pub fn to_case(&self, role: Role) -> WireCase {
        WireCase {
            tc_id: u32::try_from(self.tc_id).unwrap_or(u32::MAX),
            comment: self.comment.clone(),
            role,
            transport: self.transport.clone(),
            secret: self.secret.clone(),
            dc: self.dc,
            pings: self.pings,
            script: self.script.clone(),
            flags: self.flags.clone(),
            seed: self.seed,
            acceptable: self.result == Verdict::Acceptable,
            init_prefix: self.init_prefix.clone(),
        }
    }
}

/// A group of wire cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireGroup {
    /// `WireClientTest` or `WireServerTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// Where the cases come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<WireVector>,
}

impl WireGroup {
    /// The side under test.
    pub fn role(&self) -> Role {
        if self.group_type == SERVER_TEST {
            Role::ServerUnderTest
        } else {
            Role::ClientUnderTest
        }
    }
}

impl CaseGroup for WireGroup {
    fn type_name(&self) -> &'static str {
        if self.group_type == SERVER_TEST {
            SERVER_TEST
        } else {
            CLIENT_TEST
        }
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

/// The error names a wire case may expect: the checks its scripts break.
pub const ERRORS: &[&str] = &[
    "AuthKeyIdMismatch",
    "MsgKeyMismatch",
    "NotBlockAligned",
    "TooShort",
    "LengthNotAligned",
    "LengthOutOfRange",
    "PaddingTooShort",
    "PaddingTooLong",
    "SessionIdMismatch",
    "MsgIdParity",
    "TimeTooFarPast",
    "TimeTooFarFuture",
    "Duplicate",
    "TooOld",
    "ContainerMsgIdNotGreatest",
    "ContainerNested",
    "BadServerSalt",
    "SeqNoTooLow",
    "SeqNoTooHigh",
    "SeqNoShouldBeOdd",
    "SeqNoShouldBeEven",
    "NonceMismatch",
    "ServerNonceMismatch",
    "NoKnownFingerprint",
    "AnswerHashMismatch",
    "NewNonceHashMismatch",
    "PqNotFactorable",
    "PNotSafePrime",
    "GNotGenerator",
    "ValueOutOfRange",
    "ValueUnsafe",
    "DhGenFail",
    "RsaPadHashMismatch",
    "CrcMismatch",
    "SeqnoMismatch",
    "FrameTooLong",
    "NonCanonicalLength",
    "ForbiddenPrefix",
];

impl Family for Wire {
    type Group = WireGroup;

    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: CLIENT_TEST,
            family: "wire",
            schema: "wire_client_test_schema_v1.json",
            errors: Some(ERRORS),
        },
        GroupType {
            name: SERVER_TEST,
            family: "wire",
            schema: "wire_server_test_schema_v1.json",
            errors: Some(ERRORS),
        },
    ];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<WireGroup, LoadError> {
        part.parse()
    }

    /// The rules serde cannot express: a known transport (a secret only on obfuscated2, `dd`
    /// only on padded), a non-empty script whose first step is the handshake, actions of the
    /// group's role only, an init prefix only on server-role obfuscated2 cases, and a `result`
    /// that agrees with the script ([`verdict_of`]).
    fn check(file: &str, g: usize, group: &WireGroup) -> Result<(), LoadError> {
        let role = group.role();
        for (t, c) in group.tests.iter().enumerate() {
            let at = format!("testGroups[{g}].tests[{t}]");
            check_case(file, &at, role, c)?;
        }
        Ok(())
    }

    /// Wire cases are played over a socket by `mtproto-wire`, never through an adapter.
    fn run(_g: &WireGroup, _index: usize, _iut: &mut dyn Iut, _opts: &RunOptions) -> Option<Ran> {
        None
    }

    fn generate() -> Result<Vec<Suite<WireGroup>>, GenerateError> {
        Ok(vec![
            file(
                "wire/wire_client_test.json",
                CLIENT_TEST,
                "wire_client_test_schema_v1.json",
                &[
                    "A client under test connects to the harness, which plays a hostile server on \
                     127.0.0.1: it serves the handshake (test RSA key), then answers the client's \
                     pings, breaking one message or frame per case.",
                    "Oracle: decoy, then truth. A broken message carries a decoy pong, a valid \
                     one the true pong; the ping_id the client driver reports shows which it took.",
                ],
                suite::client_cases(),
            )?,
            file(
                "wire/wire_server_test.json",
                SERVER_TEST,
                "wire_server_test_schema_v1.json",
                &[
                    "A server under test listens on 127.0.0.1; the harness plays a hostile client: \
                     tampered handshake messages, then a decoy ping broken by one mutation and a \
                     true ping.",
                    "Oracle: what the server sends back (pong, bad_msg_notification code, \
                     transport error, quick ack, silence, a closed connection).",
                ],
                suite::server_cases(),
            )?,
        ])
    }
}

fn check_case(file: &str, at: &str, role: Role, c: &WireVector) -> Result<(), LoadError> {
    if !TRANSPORT_NAMES.contains(&c.transport.as_str()) {
        return Err(err(
            file,
            format!("{at}.transport"),
            format!(
                "unknown transport {:?}: expected one of {}",
                c.transport,
                TRANSPORT_NAMES.join(", ")
            ),
        ));
    }
    let obfuscated = c.transport.starts_with("obfuscated2-");
    if let Some(secret) = &c.secret {
        let bytes = decode_lower_hex(secret).map_err(|e| err(file, format!("{at}.secret"), e))?;
        let ok = match bytes.len() {
            16 => obfuscated,
            17 => c.transport == "obfuscated2-padded" && bytes.first() == Some(&0xdd),
            _ => false,
        };
        if !ok {
            return Err(err(
                file,
                format!("{at}.secret"),
                "an MTProxy secret is 16 bytes on obfuscated2, or 0xdd and 16 bytes on \
                 obfuscated2-padded only",
            ));
        }
    }
    if let Some(prefix) = &c.init_prefix {
        let bytes =
            decode_lower_hex(prefix).map_err(|e| err(file, format!("{at}.initPrefix"), e))?;
        if role != Role::ServerUnderTest || !obfuscated || bytes.is_empty() || bytes.len() > 8 {
            return Err(err(
                file,
                format!("{at}.initPrefix"),
                "an init prefix is 1..8 bytes, on server-role obfuscated2 cases only",
            ));
        }
    }
    if !matches!(
        c.script.first().map(|s| &s.action),
        Some(Action::Handshake { .. })
    ) {
        return Err(err(
            file,
            format!("{at}.script"),
            "a script starts with the handshake",
        ));
    }
    for (i, step) in c.script.iter().enumerate() {
        if let Some(why) = misplaced(role, step) {
            return Err(err(file, format!("{at}.script[{i}]"), why));
        }
    }
    let case = c.to_case(role);
    let (verdict, error) = verdict_of(&case);
    let want = if c.result == Verdict::Acceptable {
        (Verdict::Acceptable, error)
    } else {
        (verdict, error)
    };
    if (c.result, c.error.as_deref()) != want {
        return Err(err(
            file,
            format!("{at}.result"),
            format!(
                "the script makes this case {:?} with error {:?}, the file says {:?} with {:?}",
                want.0, want.1, c.result, c.error
            ),
        ));
    }
    Ok(())
}

/// Why `step` cannot appear in a case of `role`, if it cannot.
fn misplaced(role: Role, step: &Step) -> Option<String> {
    let client = role == Role::ClientUnderTest;
    match &step.action {
        Action::Handshake { tamper: Some(t) } if t.client_sent() == client => Some(format!(
            "{t:?} tampers with a message the {} sends; this is a {} case",
            if client { "client" } else { "server" },
            if client { CLIENT_TEST } else { SERVER_TEST }
        )),
        Action::AnswerPing { .. } if !client => {
            Some("answer_ping is a client-role action".to_owned())
        }
        Action::SendPing { .. } | Action::SendPingQuickAck | Action::SendQuery if client => {
            Some("send_ping, send_ping_quick_ack and send_query are server-role actions".to_owned())
        }
        Action::SendPing { mutation: Some(m) } if !Mutation::CLIENT_SENT.contains(m) => {
            Some(format!(
                "{} breaks a server message; this is a server-role case",
                m.name()
            ))
        }
        Action::AnswerPing {
            pong: PongPlan::DecoyThenTruth { mutation },
        } if !Mutation::ALL.contains(mutation) => Some(format!(
            "{} breaks a client message; this is a client-role case",
            mutation.name()
        )),
        _ => None,
    }
}

/// The verdict a case's script gives and, for a broken message, the check it targets.
pub fn verdict_of(case: &WireCase) -> (Verdict, Option<&'static str>) {
    let target = case.script.iter().find_map(|s| target_of(&s.action));
    let target = target.or(case.init_prefix.as_ref().map(|_| "ForbiddenPrefix"));
    match target {
        _ if case.acceptable => (Verdict::Acceptable, target),
        Some(e) => (Verdict::Invalid, Some(e)),
        None => (Verdict::Valid, None),
    }
}

/// The check a broken action targets (`None`: the action sends only well-formed messages).
fn target_of(action: &Action) -> Option<&'static str> {
    match action {
        Action::Handshake { tamper: Some(t) } => tamper_error(*t),
        Action::Handshake { tamper: None } | Action::SendPingQuickAck | Action::SendQuery => None,
        Action::SendPing { mutation } => mutation.map(Mutation::expected_error),
        Action::AnswerPing { pong } => match pong {
            PongPlan::Valid | PongPlan::TransportError { .. } | PongPlan::QuickAckFirst => None,
            PongPlan::DecoyThenTruth { mutation } => Some(mutation.expected_error()),
            PongPlan::FrameDecoy { frame } | PongPlan::TruthInFrame { frame } => {
                Some(frame_error(*frame))
            }
            PongPlan::Replay { .. } => Some("Duplicate"),
            PongPlan::FillWindowThenLower { .. } => Some("TooOld"),
        },
    }
}

fn tamper_error(t: HandshakeTamper) -> Option<&'static str> {
    Some(match t {
        HandshakeTamper::ResPqNonce
        | HandshakeTamper::ServerDhNonce
        | HandshakeTamper::ServerDhInnerNonce
        | HandshakeTamper::ReqDhParamsNonce => "NonceMismatch",
        HandshakeTamper::ServerDhServerNonce => "ServerNonceMismatch",
        HandshakeTamper::ResPqUnknownFingerprint | HandshakeTamper::ReqDhParamsFingerprint => {
            "NoKnownFingerprint"
        }
        HandshakeTamper::ServerDhAnswerHash
        | HandshakeTamper::ServerDhInnerHash
        | HandshakeTamper::SetClientDhParamsHash => "AnswerHashMismatch",
        HandshakeTamper::DhGenOkNonceHash => "NewNonceHashMismatch",
        HandshakeTamper::ResPqPrimePq | HandshakeTamper::ResPqThreeFactors => "PqNotFactorable",
        HandshakeTamper::DhPrimeNotSafe => "PNotSafePrime",
        HandshakeTamper::DhGNotGenerator => "GNotGenerator",
        HandshakeTamper::GaOne | HandshakeTamper::GaPMinusOne => "ValueOutOfRange",
        HandshakeTamper::GaBelowMargin | HandshakeTamper::GaAboveMargin => "ValueUnsafe",
        HandshakeTamper::DhGenFail => "DhGenFail",
        HandshakeTamper::ReqDhParamsEncryptedData => "RsaPadHashMismatch",
        // A valid retry: nothing is broken.
        HandshakeTamper::DhGenRetry => return None,
    })
}

fn frame_error(f: FrameTamper) -> &'static str {
    match f {
        FrameTamper::FullBadCrc => "CrcMismatch",
        FrameTamper::FullWrongSeqno => "SeqnoMismatch",
        FrameTamper::HugeLength => "FrameTooLong",
        FrameTamper::AbridgedLongForm => "NonCanonicalLength",
    }
}

// ---------------------------------------------------------------------------------------------
// Generator

const DESCRIPTION: &str = "https://core.telegram.org/mtproto/description";
const SECURITY: &str = "https://core.telegram.org/mtproto/security_guidelines";
const AUTH_KEY: &str = "https://core.telegram.org/mtproto/auth_key";
const TRANSPORTS: &str = "https://core.telegram.org/mtproto/mtproto-transports";
const SERVICE: &str = "https://core.telegram.org/mtproto/service_messages_about_messages";
const OBFUSCATION: &str =
    "https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation";

/// The flags wire cases carry.
const FLAGS: &[Flag] = &[
    (
        "Valid",
        "BASIC",
        "A well-formed session: handshake with the test RSA key, then pings answered validly. \
         A peer that fails it cannot be tested over the wire at all on that transport.",
        &[AUTH_KEY, DESCRIPTION],
    ),
    (
        "Transport",
        "FUNCTIONALITY",
        "A transport rule (framing, length prefix, CRC and seqno, quick acks, error packets, \
         obfuscated2 init).",
        &[TRANSPORTS],
    ),
    (
        "Decoy",
        "AUTH_BYPASS",
        "Decoy, then truth: a message broken by one mutation carries a decoy answer, then a \
         valid message the true one. Taking the decoy means the receiver check the mutation \
         targets did not run.",
        &[SECURITY, DESCRIPTION],
    ),
    (
        "Envelope",
        "AUTH_BYPASS",
        "An envelope receiver check (auth_key_id, msg_key, length and alignment, padding \
         12..1024, session_id): a message failing one must be dropped before any field is used.",
        &[SECURITY, DESCRIPTION],
    ),
    (
        "MsgId",
        "MISSING_STEP",
        "A msg_id rule: parity, the 300 s / 30 s window, duplicates, containers.",
        &[DESCRIPTION, SECURITY],
    ),
    (
        "SeqNo",
        "MISSING_STEP",
        "A seq_no rule: a server answers bad_msg_notification with code 32, 33, 34 or 35.",
        &[SERVICE, DESCRIPTION],
    ),
    (
        "Replay",
        "MISSING_STEP",
        "Replay after reorder: a msg_id already received, whatever order ids arrived in, must \
         be ignored.",
        &[DESCRIPTION, SECURITY],
    ),
    (
        "Window",
        "EDGE_CASE",
        "An id below every stored msg_id once the receiver's window is full: it cannot be \
         told from a replay and must be ignored.",
        &[DESCRIPTION],
    ),
    (
        "Handshake",
        "MISSING_STEP",
        "A handshake message with exactly one defect: the peer must not go on (no next \
         handshake message, no encrypted message).",
        &[AUTH_KEY],
    ),
    (
        "Nonce",
        "MISSING_STEP",
        "nonce / server_nonce of a handshake message other than the ones of this exchange.",
        &[AUTH_KEY],
    ),
    (
        "Fingerprint",
        "MISSING_STEP",
        "An RSA fingerprint the peer has no key for / did not offer.",
        &[AUTH_KEY],
    ),
    (
        "Pq",
        "MODIFIED_PARAMETER",
        "A pq that is not the product of two primes.",
        &[AUTH_KEY],
    ),
    (
        "AnswerHash",
        "AUTH_BYPASS",
        "The SHA1 over an encrypted handshake answer does not match.",
        &[AUTH_KEY],
    ),
    (
        "DhSafePrime",
        "WEAK_PARAMS",
        "dh_prime is a 2048-bit prime but not a safe prime.",
        &[AUTH_KEY],
    ),
    (
        "DhGenerator",
        "WEAK_PARAMS",
        "g does not generate the subgroup of prime order (p-1)/2.",
        &[AUTH_KEY],
    ),
    (
        "DhRange",
        "WEAK_PARAMS",
        "g_a is 1 or p-1 (it must be in (1, p-1)).",
        &[AUTH_KEY],
    ),
    (
        "DhMargin",
        "WEAK_PARAMS",
        "g_a lies in (1, p-1) but within 2^(2048-64) of an end (the recommended check).",
        &[AUTH_KEY],
    ),
    (
        "NewNonceHash1",
        "AUTH_BYPASS",
        "dh_gen_ok whose new_nonce_hash1 does not match: the peer must not use the key.",
        &[AUTH_KEY],
    ),
    (
        "DhGenRetry",
        "FUNCTIONALITY",
        "dh_gen_retry: the client resends set_client_DH_params with retry_id = \
         auth_key_aux_hash of the rejected key.",
        &[AUTH_KEY],
    ),
    (
        "DhGenFail",
        "FUNCTIONALITY",
        "dh_gen_fail: the client must abort.",
        &[AUTH_KEY],
    ),
    (
        "FullCrc",
        "MISSING_STEP",
        "A full-transport frame whose CRC32 does not match.",
        &[TRANSPORTS],
    ),
    (
        "FullSeqno",
        "MISSING_STEP",
        "A full-transport frame with the wrong seqno.",
        &[TRANSPORTS],
    ),
    (
        "Length",
        "EDGE_CASE",
        "A frame length prefix the receiver must not trust: about 2 GiB (never wait for nor \
         allocate it), or the non-minimal abridged form.",
        &[TRANSPORTS],
    ),
    (
        "TransportError",
        "FUNCTIONALITY",
        "A well-formed transport error packet (-404) instead of an answer: the client must \
         report it and stop, not crash nor hang.",
        &[TRANSPORTS],
    ),
    (
        "QuickAck",
        "FUNCTIONALITY",
        "Quick acks: a server answers a flagged message with its token (the first 32 bits of \
         msg_key_large with the MSB set); a client takes an unsolicited one for no packet.",
        &[TRANSPORTS],
    ),
    (
        "Obfuscated2Init",
        "EDGE_CASE",
        "An obfuscated2 init starting with bytes a client must never send.",
        &[OBFUSCATION],
    ),
    (
        "SpecOpen",
        "EDGE_CASE",
        "The spec states the rule for one side only, or not at all: the reference's reaction \
         is `expect`, and the other reaction passes too (`acceptable`; the verdict detail says \
         which happened). Under --acceptable fail only the expected reaction passes.",
        &[TRANSPORTS],
    ),
];

fn file(
    path: &str,
    group_type: &str,
    schema: &str,
    header: &[&str],
    cases: Vec<WireCase>,
) -> Result<Suite<WireGroup>, GenerateError> {
    file_from(path, group_type, schema, header, cases, self_source())
}

/// A wire file of `cases` (all of one role) from `source`, with the notes of their flags and
/// each case's verdict from its script ([`verdict_of`]): how `wire-fuzz` writes its findings.
pub fn file_of(
    path: &str,
    role: Role,
    source: Source,
    header: &[&str],
    cases: Vec<WireCase>,
) -> Result<Suite<WireGroup>, GenerateError> {
    let (group_type, schema) = match role {
        Role::ClientUnderTest => (CLIENT_TEST, "wire_client_test_schema_v1.json"),
        Role::ServerUnderTest => (SERVER_TEST, "wire_server_test_schema_v1.json"),
    };
    file_from(path, group_type, schema, header, cases, source)
}

fn file_from(
    path: &str,
    group_type: &str,
    schema: &str,
    header: &[&str],
    cases: Vec<WireCase>,
    source: Source,
) -> Result<Suite<WireGroup>, GenerateError> {
    let mut b = Builder::new(path, FLAGS);
    let mut tests = Vec::with_capacity(cases.len());
    for c in cases {
        let flags: Vec<&str> = c.flags.iter().map(String::as_str).collect();
        b.case(&flags)?;
        let (result, error) = verdict_of(&c);
        tests.push(WireVector {
            tc_id: u64::from(c.tc_id),
            comment: c.comment,
            flags: c.flags,
            transport: c.transport,
            secret: c.secret,
            dc: c.dc,
            pings: c.pings,
            seed: c.seed,
            init_prefix: c.init_prefix,
            script: c.script,
            result,
            error: error.map(str::to_owned),
        });
    }
    let group = WireGroup {
        group_type: group_type.to_owned(),
        source,
        tests,
    };
    Ok(b.finish(
        "MTProto 2.0 over TCP (loopback)",
        schema,
        header,
        vec![group],
    ))
}
