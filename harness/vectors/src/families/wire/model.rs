//! The scripted case model: a transport, the role under test, and a script of harness actions,
//! each with the reaction the spec requires of the peer. Plain serde types with no IO: the
//! `wire` vector files hold them as they are, and `mtproto-wire` plays them over a socket.

use serde::{Deserialize, Serialize};

/// The transport names a case may give (`MTPROTO_WIRE_TRANSPORT`): the four framings of
/// <https://core.telegram.org/mtproto/mtproto-transports>, and obfuscated2 over the three that
/// it can wrap.
pub const TRANSPORT_NAMES: [&str; 7] = [
    "abridged",
    "intermediate",
    "padded",
    "full",
    "obfuscated2-abridged",
    "obfuscated2-intermediate",
    "obfuscated2-padded",
];

/// The MTProxy secret the standard cases use (`dd` prefix: padded framing only).
pub const TEST_SECRET: [u8; 17] = [
    0xdd, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
    0xff,
];

/// The six transports every suite runs, as (name, MTProxy secret): the four framings, then
/// obfuscated2 over intermediate without a secret and over padded with [`TEST_SECRET`].
pub fn standard_transports() -> Vec<(&'static str, Option<Vec<u8>>)> {
    vec![
        ("abridged", None),
        ("intermediate", None),
        ("padded", None),
        ("full", None),
        ("obfuscated2-intermediate", None),
        ("obfuscated2-padded", Some(TEST_SECRET.to_vec())),
    ]
}

/// Which side is under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The peer is a client; the harness plays the server.
    ClientUnderTest,
    /// The peer is a server; the harness plays the client.
    ServerUnderTest,
}

/// One case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireCase {
    /// The case id, unique in its suite.
    pub tc_id: u32,
    /// What the case checks, and the clause it enforces.
    pub comment: String,
    /// The side under test.
    pub role: Role,
    /// The transport name (one of [`TRANSPORT_NAMES`]).
    pub transport: String,
    /// The MTProxy secret, hex (obfuscated2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The DC number given to the driver.
    #[serde(default = "default_dc")]
    pub dc: i32,
    /// How many pings the driver is asked to send (`MTPROTO_WIRE_PINGS`).
    #[serde(default = "default_pings")]
    pub pings: u32,
    /// The harness's actions, in order.
    pub script: Vec<Step>,
    /// Labels for grouping and the kill table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The seed of the harness's randomness (nonces, keys, padding).
    #[serde(default)]
    pub seed: u64,
    /// Wycheproof's `acceptable`: the spec leaves the peer's reaction open, so a reaction other
    /// than `expect` (which names the reference's) is not a failure. A verdict says which it was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acceptable: bool,
    /// Server role, obfuscated2 only: the first bytes of the client's init are forced to these
    /// (hex), e.g. a prefix a client must never send (the server side of that rule is open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_prefix: Option<String>,
}

fn default_dc() -> i32 {
    2
}

fn default_pings() -> u32 {
    1
}

/// One action and what the peer must do about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What the harness does.
    pub action: Action,
    /// What the peer must do.
    pub expect: Reaction,
}

/// A harness action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Run the auth-key handshake (the reference's server in the client role), optionally
    /// tampering with one of the harness's messages.
    Handshake {
        /// The tampering, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tamper: Option<HandshakeTamper>,
    },
    /// Client role: wait for the client's next ping (serving everything else it sends) and
    /// answer it as `pong` says.
    AnswerPing {
        /// How to answer.
        pong: PongPlan,
    },
    /// Server role: a valid `ping` with the transport's quick-ack flag set; the server's
    /// answers until the `pong` show whether it acknowledged it with the right token.
    SendPingQuickAck,
    /// Server role: send a content-related query the server does not serve and wait for its
    /// `rpc_result` (so that the session has counted one content-related message).
    SendQuery,
    /// Server role: "decoy, then truth" from the client side — a `ping` broken by `mutation`
    /// (decoy `ping_id`), then a valid `ping` (true `ping_id`); the server's answers until the
    /// true `pong` show how it treated the decoy. Without a mutation, one valid ping.
    SendPing {
        /// How the decoy ping is broken; `None`: no decoy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mutation: Option<Mutation>,
    },
}

/// How the harness answers a ping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum PongPlan {
    /// A valid `pong`.
    Valid,
    /// "Decoy, then truth": first the message broken by `mutation` carrying a `pong` with a
    /// different `ping_id` (the decoy), then a valid `pong` with the true one. The `ping_id` the
    /// driver reports shows which it took.
    DecoyThenTruth {
        /// How the decoy is broken.
        mutation: Mutation,
    },
    /// "Decoy, then truth" one layer down: the decoy `pong`, validly sealed, in a frame broken
    /// by `frame`, then the true `pong` in a valid frame (plain transports).
    FrameDecoy {
        /// How the decoy's frame is broken.
        frame: FrameTamper,
    },
    /// The true `pong` in a frame of the form `frame` names (one the spec leaves open).
    TruthInFrame {
        /// The frame's form.
        frame: FrameTamper,
    },
    /// No `pong`: a transport error packet with `code` instead (−404: auth key not found).
    TransportError {
        /// The code as sent.
        code: i32,
    },
    /// A quick-ack frame (an unsolicited token), then a valid `pong`.
    QuickAckFirst,
    /// Replay after reorder: two valid `msgs_ack` messages with ids A < B delivered in `order`,
    /// then the decoy `pong` under the msg_id `replay` names (same id, new content: a
    /// byte-identical replay would carry no answer to observe), then the true `pong`.
    Replay {
        /// Delivery order of A and B.
        order: ReplayOrder,
        /// Which id the decoy reuses.
        replay: ReplayWhich,
    },
    /// "Lower than every stored id": `count` valid `msgs_ack` messages (the client's whole
    /// msg_id window), then the decoy `pong` with a fresh msg_id below all of them (inside the
    /// 300 s window, never sent), then the true `pong`.
    FillWindowThenLower {
        /// How many messages fill the window (the reference keeps 1000).
        count: u32,
    },
}

/// The delivery order of the two messages of a replay case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayOrder {
    /// A, then B.
    InOrder,
    /// B, then A (A is lower, arrives later, and is valid).
    Reordered,
}

/// Which of the two msg_ids a replay reuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayWhich {
    /// A, the lower id.
    Lower,
    /// B, the higher id.
    Higher,
}

/// A frame broken on purpose at the transport level (plain transports; spec: MTProto
/// transports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameTamper {
    /// Full transport: the CRC32 of the frame does not match.
    FullBadCrc,
    /// Full transport: the frame's seqno is one past the expected one.
    FullWrongSeqno,
    /// A length prefix of about 2 GiB (abridged: 0x7f ffffff words) followed by a short frame:
    /// the receiver must not wait for, nor allocate, that much.
    HugeLength,
    /// Abridged: a length below 127 words sent in the 4-byte 0x7f form (non-minimal; the
    /// transports page does not say whether a receiver must refuse it).
    AbridgedLongForm,
}

/// A handshake message broken on purpose: one the harness's server sends (client role) or one
/// the harness's client sends (server role).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandshakeTamper {
    /// resPQ carries a nonce other than the client's ("the client must check that nonce
    /// equals the one it sent").
    ResPqNonce,
    /// resPQ offers only a fingerprint the client has no key for.
    ResPqUnknownFingerprint,
    /// server_DH_params_ok's encrypted answer altered: SHA1(answer) no longer matches.
    ServerDhAnswerHash,
    /// dh_gen_ok with a wrong new_nonce_hash1 ("the client must check new_nonce_hash").
    DhGenOkNonceHash,
    /// resPQ whose `pq` is prime: it has no split into two primes p < q ("the client
    /// decomposes pq into prime factors such that p < q").
    ResPqPrimePq,
    /// resPQ whose `pq` has three prime factors.
    ResPqThreeFactors,
    /// server_DH_params_ok whose (outer) nonce is not the client's.
    ServerDhNonce,
    /// server_DH_params_ok whose (outer) server_nonce is not the one of resPQ.
    ServerDhServerNonce,
    /// server_DH_inner_data whose nonce is not the client's (hash and encryption valid).
    ServerDhInnerNonce,
    /// answer_with_hash whose SHA1 is not SHA1(server_DH_inner_data) (encryption valid).
    ServerDhInnerHash,
    /// dh_prime a 2048-bit prime that is not a safe prime ("the client is expected to check
    /// whether p is a safe 2048-bit prime").
    DhPrimeNotSafe,
    /// g = 2 with the Telegram prime (p mod 8 = 3): g does not generate the subgroup of order
    /// (p-1)/2 ("g generates a cyclic subgroup of prime order (p-1)/2").
    DhGNotGenerator,
    /// g_a = 1 ("g_a ... greater than 1 and less than p-1").
    GaOne,
    /// g_a = p - 1.
    GaPMinusOne,
    /// g_a = 2^(2048-65): in (1, p-1) but below 2^(2048-64) ("between 2^{2048-64} and
    /// p - 2^{2048-64}").
    GaBelowMargin,
    /// g_a = p - 2^(2048-65): in (1, p-1) but above p - 2^(2048-64).
    GaAboveMargin,
    /// Not a defect: the server answers the first set_client_DH_params with a valid
    /// dh_gen_retry; the client must resend it with retry_id = auth_key_aux_hash of the
    /// rejected key, and the second answer is dh_gen_ok.
    DhGenRetry,
    /// Not a defect: the server answers set_client_DH_params with a valid dh_gen_fail; the
    /// client must abort (no encrypted message).
    DhGenFail,
    /// Server role: req_DH_params with a nonce other than the one of req_pq_multi.
    ReqDhParamsNonce,
    /// Server role: req_DH_params naming a fingerprint the server did not offer.
    ReqDhParamsFingerprint,
    /// Server role: req_DH_params whose RSA_PAD encrypted_data is altered (its hash fails).
    ReqDhParamsEncryptedData,
    /// Server role: set_client_DH_params whose encrypted data is altered (SHA1 mismatch).
    SetClientDhParamsHash,
}

impl HandshakeTamper {
    /// Whether the tampered message is one the client sends (a server-role tamper).
    pub fn client_sent(self) -> bool {
        matches!(
            self,
            Self::ReqDhParamsNonce
                | Self::ReqDhParamsFingerprint
                | Self::ReqDhParamsEncryptedData
                | Self::SetClientDhParamsHash
        )
    }
}

/// How an encrypted message is broken (spec: the envelope receiver checks and the msg_id rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mutation {
    /// auth_key_id is not the key's (R1).
    WrongAuthKeyId,
    /// One bit of msg_key flipped (R3/R4).
    FlipMsgKey,
    /// Encrypted with the other direction's key material (x = 0 instead of 8, R3/R4).
    WrongDirection,
    /// encrypted_data not a multiple of 16 bytes (R2).
    UnalignedLength,
    /// encrypted_data of 32 bytes, below the 48-byte minimum (R2).
    TooShort,
    /// message_data_length not divisible by 4, correct msg_key (R5).
    LengthNotAligned,
    /// message_data_length past the end of the plaintext, correct msg_key (R5).
    LengthBeyondPlaintext,
    /// Padding of 4 bytes, below 12, correct msg_key (R5).
    PaddingTooShort,
    /// Padding of 1036 bytes, above 1024, correct msg_key (R5).
    PaddingTooLong,
    /// A session_id other than the client's (R6).
    WrongSessionId,
    /// A server msg_id ≡ 0 mod 4 (R7: server ids are odd).
    EvenMsgId,
    /// A msg_id 400 s in the past (R9: more than 300 s).
    MsgIdTooOld,
    /// A msg_id 60 s in the future (R9: more than 30 s).
    MsgIdTooNew,
    /// The msg_id of a message the client already accepted (R8).
    DuplicateMsgId,
    /// A container whose nested msg_id is not lower than its own (R12).
    ContainerInnerIdNotLower,
    /// A container nested in a container (R12).
    ContainerNested,
    /// A client msg_id ≡ 1 mod 4 (R7: client ids are divisible by 4; server code 18).
    OddClientMsgId,
    /// A salt other than the server's (R11: `bad_server_salt`, code 48).
    WrongSalt,
    /// One bit of the last ciphertext block flipped: only the padding decrypts differently, so
    /// the header and body are intact and only msg_key, which covers the padding too, no longer
    /// matches the plaintext (R4). A receiver that skips the msg_key check takes it.
    TamperedPadding,
    /// seq_no 2 below the one the server expects next (code 32, "msg_seqno too low").
    SeqNoTooLow,
    /// seq_no 2 above the one the server expects next (code 33, "msg_seqno too high").
    SeqNoTooHigh,
    /// A content-related message (a query) with an even seq_no (code 35, "an odd msg_seqno
    /// expected (relevant message), but even received").
    SeqNoEvenForContent,
    /// A message that is never content-related (a `msgs_ack`) with an odd seq_no (code 34, "an
    /// even msg_seqno expected (irrelevant message), but odd received"). Not a ping: the
    /// description page excepts only acknowledgments and containers from content-related
    /// messages, clients count pings both ways and Telegram serves both, so a ping's parity
    /// decides nothing.
    SeqNoOddForService,
}

impl Mutation {
    /// The receiver error (vocabulary name) the reference gives a message broken by this
    /// mutation: the `error` of the wire cases that use it.
    pub fn expected_error(self) -> &'static str {
        match self {
            Mutation::WrongAuthKeyId => "AuthKeyIdMismatch",
            Mutation::FlipMsgKey | Mutation::WrongDirection | Mutation::TamperedPadding => {
                "MsgKeyMismatch"
            }
            Mutation::UnalignedLength => "NotBlockAligned",
            Mutation::TooShort => "TooShort",
            Mutation::LengthNotAligned => "LengthNotAligned",
            Mutation::LengthBeyondPlaintext => "LengthOutOfRange",
            Mutation::PaddingTooShort => "PaddingTooShort",
            Mutation::PaddingTooLong => "PaddingTooLong",
            Mutation::WrongSessionId => "SessionIdMismatch",
            Mutation::EvenMsgId | Mutation::OddClientMsgId => "MsgIdParity",
            Mutation::MsgIdTooOld => "TimeTooFarPast",
            Mutation::MsgIdTooNew => "TimeTooFarFuture",
            Mutation::DuplicateMsgId => "Duplicate",
            Mutation::ContainerInnerIdNotLower => "ContainerMsgIdNotGreatest",
            Mutation::ContainerNested => "ContainerNested",
            Mutation::WrongSalt => "BadServerSalt",
            Mutation::SeqNoTooLow => "SeqNoTooLow",
            Mutation::SeqNoTooHigh => "SeqNoTooHigh",
            Mutation::SeqNoEvenForContent => "SeqNoShouldBeOdd",
            Mutation::SeqNoOddForService => "SeqNoShouldBeEven",
        }
    }
}

impl Mutation {
    /// The mutations that apply to what a client sends (the server role).
    pub const CLIENT_SENT: [Mutation; 22] = [
        Self::WrongAuthKeyId,
        Self::FlipMsgKey,
        Self::WrongDirection,
        Self::UnalignedLength,
        Self::TooShort,
        Self::LengthNotAligned,
        Self::LengthBeyondPlaintext,
        Self::PaddingTooShort,
        Self::PaddingTooLong,
        Self::WrongSessionId,
        Self::OddClientMsgId,
        Self::MsgIdTooOld,
        Self::MsgIdTooNew,
        Self::DuplicateMsgId,
        Self::ContainerInnerIdNotLower,
        Self::ContainerNested,
        Self::WrongSalt,
        Self::SeqNoTooLow,
        Self::SeqNoTooHigh,
        Self::SeqNoEvenForContent,
        Self::SeqNoOddForService,
        Self::TamperedPadding,
    ];

    /// The mutations that apply to what a server sends (the client role). The last,
    /// [`Mutation::TamperedPadding`], came after the suite's ids were published: its cases are
    /// the last of each suite, so that no id moved.
    pub const ALL: [Mutation; 17] = [
        Self::WrongAuthKeyId,
        Self::FlipMsgKey,
        Self::WrongDirection,
        Self::UnalignedLength,
        Self::TooShort,
        Self::LengthNotAligned,
        Self::LengthBeyondPlaintext,
        Self::PaddingTooShort,
        Self::PaddingTooLong,
        Self::WrongSessionId,
        Self::EvenMsgId,
        Self::MsgIdTooOld,
        Self::MsgIdTooNew,
        Self::DuplicateMsgId,
        Self::ContainerInnerIdNotLower,
        Self::ContainerNested,
        Self::TamperedPadding,
    ];

    /// The snake_case name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Whether it breaks the seq_no (server codes 32–35).
    pub fn is_seq_no(self) -> bool {
        matches!(
            self,
            Self::SeqNoTooLow
                | Self::SeqNoTooHigh
                | Self::SeqNoEvenForContent
                | Self::SeqNoOddForService
        )
    }

    /// Whether the reference's envelope layer (R1–R6) rejects it, as opposed to the session
    /// layer (R7–R12).
    pub fn is_envelope(self) -> bool {
        matches!(
            self,
            Self::WrongAuthKeyId
                | Self::FlipMsgKey
                | Self::WrongDirection
                | Self::TamperedPadding
                | Self::UnalignedLength
                | Self::TooShort
                | Self::LengthNotAligned
                | Self::LengthBeyondPlaintext
                | Self::PaddingTooShort
                | Self::PaddingTooLong
                | Self::WrongSessionId
        )
    }
}

/// What the peer must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reaction", rename_all = "snake_case")]
pub enum Reaction {
    /// Handshake: the peer completes it (and reports so).
    Completed,
    /// Handshake: the peer does not complete it (no next message, no encrypted message after a
    /// forged answer; the driver reports failure or the connection closes).
    NotCompleted,
    /// The peer takes the valid message (a valid pong is reported).
    Accepted,
    /// The peer ignores the broken message: the truth, not the decoy, is reported.
    Ignored,
    /// The peer closes the connection.
    Closed,
    /// The peer (a server) answers a quick-ack request with a quick-ack frame carrying the
    /// message's token (and the pong).
    QuickAck,
    /// The peer does not take the broken frame: it ignores it (the truth is reported) or closes
    /// the connection (no pong reported).
    Dropped,
    /// The driver reports an `error` event and no `pong`, and exits by itself (no crash, no
    /// hang).
    ErrorReported,
    /// The peer (a server) answers with this `bad_msg_notification` code (48:
    /// `bad_server_salt`).
    Notification {
        /// The error code.
        code: i32,
    },
    /// The peer (a server) answers with this transport error (−404: auth key not found).
    TransportError {
        /// The code as sent.
        code: i32,
    },
}
