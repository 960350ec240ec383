//! The vector file format v1 (DESIGN.md §3) as strict serde types.
//!
//! Every struct denies unknown fields, and every field is used by a runner or by the loader's
//! checks: a field a runner would not look at is an error, never silently ignored. Bytes are
//! lowercase hex ([`Hex`]); 64-bit ids are the hex of their 8 little-endian wire bytes.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::result::Verdict;

/// Bytes, written as a lowercase hex string. Uppercase digits and odd lengths are load errors.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Hex(pub Vec<u8>);

impl Hex {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lowercase hex text.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl From<Vec<u8>> for Hex {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for Hex {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({})", self.to_hex())
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Decode strict lowercase hex, with a message that says what is wrong.
pub fn decode_lower_hex(s: &str) -> Result<Vec<u8>, String> {
    if let Some((i, c)) = s
        .char_indices()
        .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        let why = if c.is_ascii_hexdigit() {
            "uppercase hex digit"
        } else {
            "not a hex digit"
        };
        return Err(format!("invalid hex: {c:?} at offset {i} is {why}"));
    }
    if !s.len().is_multiple_of(2) {
        return Err(format!("invalid hex: odd number of digits ({})", s.len()));
    }
    hex::decode(s).map_err(|e| format!("invalid hex: {e}"))
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a lowercase hex string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Hex, E> {
                decode_lower_hex(s).map(Hex).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The sender direction of a group (spec §2.2): x = 0 or x = 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DirectionName {
    /// Client to server, x = 0.
    ClientToServer,
    /// Server to client, x = 8.
    ServerToClient,
}

impl DirectionName {
    /// The name used in vectors and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientToServer => "clientToServer",
            Self::ServerToClient => "serverToClient",
        }
    }

    /// The reference's direction.
    pub fn direction(self) -> mtproto::Direction {
        match self {
            Self::ClientToServer => mtproto::Direction::ClientToServer,
            Self::ServerToClient => mtproto::Direction::ServerToClient,
        }
    }
}

/// The receiving side of a decrypt group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverName {
    /// A client, receiving server-to-client packets (x = 8).
    Client,
    /// A server, receiving client-to-server packets (x = 0).
    Server,
}

impl ReceiverName {
    /// The name used in vectors and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// The reference's receiver.
    pub fn receiver(self) -> mtproto::Receiver {
        match self {
            Self::Client => mtproto::Receiver::Client,
            Self::Server => mtproto::Receiver::Server,
        }
    }
}

/// Where a group's numbers come from. `self` marks values this project computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The origin: `self`, or an independent one (`openssl-igetest`, `grammers`, ...).
    pub name: String,
    /// Which version or revision of the origin.
    pub version: String,
}

/// What a flag means (Wycheproof's `notes` entries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// Wycheproof's bug type ([`BUG_TYPES`]).
    pub bug_type: String,
    /// What the flagged cases test.
    pub description: String,
    /// What an implementation that gets these cases wrong exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Spec clauses and write-ups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Related CVEs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

/// Wycheproof's `bugType` vocabulary.
pub const BUG_TYPES: &[&str] = &[
    "AUTH_BYPASS",
    "BASIC",
    "BER_ENCODING",
    "CAN_OF_WORMS",
    "CONFIDENTIALITY",
    "DEFINED",
    "EDGE_CASE",
    "FUNCTIONALITY",
    "KNOWN_BUG",
    "LEGACY",
    "MALLEABILITY",
    "MISSING_PARAMETER",
    "MISSING_STEP",
    "MODIFIED_PARAMETER",
    "SIGNATURE_MALLEABILITY",
    "UNKNOWN",
    "WEAK_PARAMS",
    "WRONG_PRIMITIVE",
];

/// The error names a vector may expect: DESIGN.md §6 plus the other names the reference gives.
pub const ERRORS: &[&str] = &[
    "NotBlockAligned",
    "TooShort",
    "AuthKeyIdMismatch",
    "MsgKeyMismatch",
    "LengthOutOfRange",
    "LengthNotAligned",
    "PaddingTooShort",
    "PaddingTooLong",
    "SessionIdMismatch",
    "MsgIdParity",
    "Duplicate",
    "TooOld",
    "TimeTooFarPast",
    "TimeTooFarFuture",
    "PWrongSize",
    "PNotPrime",
    "PNotSafePrime",
    "GOutOfRange",
    "GNotGenerator",
    "ValueOutOfRange",
    "ValueUnsafe",
    "PqNotFactorable",
    "KeyWrongLength",
    "UnexpectedConstructor",
    "NonceMismatch",
    "ServerNonceMismatch",
    "NoKnownFingerprint",
    "AnswerHashMismatch",
    "AnswerPaddingTooLong",
    "NewNonceHashMismatch",
    "DhGenFail",
    "PqMismatch",
    "RetryIdMismatch",
    "InnerDataRejected",
    "RsaKeyMalformed",
    "RsaKeyUnsupported",
    "RsaDataTooLong",
    "RsaRetriesExhausted",
    "RsaCiphertextWrongSize",
    "RsaCiphertextOutOfRange",
    "RsaPadHashMismatch",
    // Session layer (spec §3.1 R6–R12, §3.3): see harness/vectors/src/session.rs.
    "ContainerMsgIdReused",
    "SeqNoShouldBeOdd",
    "SeqNoShouldBeEven",
    "SeqNoTooLow",
    "SeqNoTooHigh",
    "ContainerNested",
    "ContainerTooLarge",
    "ContainerMsgIdNotGreatest",
    "ContainerSeqNoBelowInner",
    "InvalidContainer",
    "BadServerSalt",
    // Transports and TL (spec §6, §7): see harness/vectors/src/transport.rs and tl.rs.
    "WrongTransportTag",
    "FrameTooLong",
    "FrameTooShort",
    "NonCanonicalLength",
    "CrcMismatch",
    "SeqnoMismatch",
    "Truncated",
    "ForbiddenPrefix",
    "UnknownProtocolTag",
    "BadQuickAckToken",
    "UnexpectedEnd",
    "TrailingBytes",
    "NonZeroPadding",
    "UnknownConstructor",
    "BadBool",
    "BadVectorId",
    "CountTooLarge",
    "InvalidUtf8",
    "UnknownFlags",
    "NestedContainer",
    "MessageLength",
    "TooManyIds",
    "TooDeep",
    // Secret chats and calls (spec §8, §9): see harness/vectors/src/secret.rs.
    "UnknownKeyFingerprint",
    "KeyFingerprintMismatch",
    "RandomBytesTooShort",
    "SeqNoParity",
    "SeqNoRepeated",
    "InSeqNoInvalid",
    "ResendInvalid",
    "GapQueueFull",
    "RekeyUnexpected",
    "RekeyPending",
    "ChatClosed",
    "GaHashMismatch",
    "MtProto1Forbidden",
    "LayerDecreased",
    "FileFingerprintMismatch",
    "FileSizeInvalid",
    "FileKeyInvalid",
    // Call packet seqs (spec §9.3): see harness/vectors/src/call_replay.rs.
    "SeqTooOld",
    "SeqRepeated",
    "SeqOutOfRange",
    "SeqLimitReached",
    "CallAborted",
];

macro_rules! case_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The case id, unique in its file.
            pub tc_id: u64,
            /// What the case is about.
            pub comment: String,
            /// Flags, each a key of the file's `notes`.
            pub flags: Vec<String>,
            $($(#[$fm])* pub $field: $ty,)*
            /// `valid`, `invalid` or `acceptable`.
            pub result: Verdict,
            /// The error an invalid case expects (DESIGN.md §6).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub error: Option<String>,
        }
    };
}

case_struct! {
    /// An `IgeTest` case: encrypt(msg) = ct and decrypt(ct) = msg; invalid ⇒ both rejected.
    IgeCase {
        /// 16 bytes (AES-128) or 32 bytes (AES-256).
        key: Hex,
        /// 32 bytes: y0 ‖ x0.
        iv: Hex,
        /// The plaintext.
        msg: Hex,
        /// The ciphertext.
        ct: Hex,
    }
}

case_struct! {
    /// A `MsgKeyTest` case. `plaintext` ⇒ msg_key is checked; `aesKey` and `aesIv` ⇒ the
    /// derivation from `msgKey` is checked. Generated cases carry all of them.
    MsgKeyCase {
        /// 256 bytes.
        auth_key: Hex,
        /// The whole padded plaintext.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plaintext: Option<Hex>,
        /// 16 bytes.
        msg_key: Hex,
        /// 32 bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aes_key: Option<Hex>,
        /// 32 bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aes_iv: Option<Hex>,
    }
}

case_struct! {
    /// An `EnvelopeEncryptTest` case: the exact packet, or (invalid) a refusal to build it.
    EnvelopeEncryptCase {
        /// 256 bytes.
        auth_key: Hex,
        /// 8 bytes.
        salt: Hex,
        /// 8 bytes.
        session_id: Hex,
        /// 8 bytes.
        msg_id: Hex,
        /// `seq_no`.
        seq_no: i32,
        /// `message_data`.
        body: Hex,
        /// The padding bytes.
        padding: Hex,
        /// The packet (valid cases only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packet: Option<Hex>,
    }
}

case_struct! {
    /// An `EnvelopeDecryptTest` case: accept with the given fields, or reject with `error`.
    EnvelopeDecryptCase {
        /// 256 bytes.
        auth_key: Hex,
        /// 8 bytes: the receiver's session.
        session_id: Hex,
        /// The packet.
        packet: Hex,
        /// 8 bytes (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        salt: Option<Hex>,
        /// 8 bytes (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg_id: Option<Hex>,
        /// `seq_no` (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq_no: Option<i32>,
        /// `message_data` (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Hex>,
    }
}

/// A group of `IgeTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IgeGroup {
    /// `IgeTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<IgeCase>,
}

/// A group of `MsgKeyTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MsgKeyGroup {
    /// `MsgKeyTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The sender direction.
    pub direction: DirectionName,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<MsgKeyCase>,
}

/// A group of `EnvelopeEncryptTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvelopeEncryptGroup {
    /// `EnvelopeEncryptTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The sender direction.
    pub direction: DirectionName,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<EnvelopeEncryptCase>,
}

/// A group of `EnvelopeDecryptTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvelopeDecryptGroup {
    /// `EnvelopeDecryptTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The receiving side.
    pub receiver: ReceiverName,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<EnvelopeDecryptCase>,
}

/// One test group, by type.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TestGroup {
    /// `IgeTest`.
    Ige(IgeGroup),
    /// `MsgKeyTest`.
    MsgKey(MsgKeyGroup),
    /// `EnvelopeEncryptTest`.
    EnvelopeEncrypt(EnvelopeEncryptGroup),
    /// `EnvelopeDecryptTest`.
    EnvelopeDecrypt(EnvelopeDecryptGroup),
    /// `MsgIdTraceTest`.
    MsgIdTrace(crate::session::MsgIdTraceGroup),
    /// `TransportTest`.
    Transport(crate::transport::TransportGroup),
    /// `TlIdTest`.
    TlId(crate::tl::TlIdGroup),
    /// `TlCodecTest`.
    TlCodec(crate::tl::TlCodecGroup),
    /// `DhParamsTest`, `DhValueTest`, `PqTest`, `HandshakeTest`.
    Handshake(crate::handshake::Group),
    /// The secret-chat and call types (`Secret*Test`, `Call*Test`).
    Secret(crate::secret::Group),
}

/// The group types this crate has runners for, with the schema file each is described by.
pub const GROUP_TYPES: &[(&str, &str)] = &[
    ("IgeTest", "ige_test_schema_v1.json"),
    ("MsgKeyTest", "msg_key_test_schema_v1.json"),
    (
        "EnvelopeEncryptTest",
        "envelope_encrypt_test_schema_v1.json",
    ),
    (
        "EnvelopeDecryptTest",
        "envelope_decrypt_test_schema_v1.json",
    ),
    ("MsgIdTraceTest", "msg_id_trace_test_schema_v1.json"),
    ("TransportTest", "transport_test_schema_v1.json"),
    ("TlIdTest", "tl_id_test_schema_v1.json"),
    ("TlCodecTest", "tl_codec_test_schema_v1.json"),
    ("DhParamsTest", "dh_params_test_schema_v1.json"),
    ("DhValueTest", "dh_value_test_schema_v1.json"),
    ("PqTest", "pq_test_schema_v1.json"),
    ("HandshakeTest", "handshake_test_schema_v1.json"),
    // Secret chats and calls: harness/vectors/src/secret.rs (its GROUP_TYPES lists the same).
    (
        "SecretKeyExchangeTest",
        "secret_key_exchange_test_schema_v1.json",
    ),
    (
        "SecretVisualizationTest",
        "secret_visualization_test_schema_v1.json",
    ),
    ("SecretEncryptTest", "secret_encrypt_test_schema_v1.json"),
    ("SecretDecryptTest", "secret_decrypt_test_schema_v1.json"),
    ("SecretSeqTraceTest", "secret_seq_trace_test_schema_v1.json"),
    ("SecretRekeyTest", "secret_rekey_test_schema_v1.json"),
    ("CallEmojiTest", "call_emoji_test_schema_v1.json"),
    ("CallCommitmentTest", "call_commitment_test_schema_v1.json"),
    ("CallPacketTest", "call_packet_test_schema_v1.json"),
    ("SecretFileTest", "secret_file_test_schema_v1.json"),
    ("CallReplayTest", "call_replay_test_schema_v1.json"),
    (
        "SecretChatTraceTest",
        "secret_chat_trace_test_schema_v1.json",
    ),
];

impl TestGroup {
    /// The group's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Ige(_) => "IgeTest",
            Self::MsgKey(_) => "MsgKeyTest",
            Self::EnvelopeEncrypt(_) => "EnvelopeEncryptTest",
            Self::EnvelopeDecrypt(_) => "EnvelopeDecryptTest",
            Self::MsgIdTrace(_) => "MsgIdTraceTest",
            Self::Transport(_) => "TransportTest",
            Self::TlId(_) => "TlIdTest",
            Self::TlCodec(_) => "TlCodecTest",
            Self::Handshake(g) => g.type_name(),
            Self::Secret(g) => g.type_name(),
        }
    }

    /// The group's source.
    pub fn source(&self) -> &Source {
        match self {
            Self::Ige(g) => &g.source,
            Self::MsgKey(g) => &g.source,
            Self::EnvelopeEncrypt(g) => &g.source,
            Self::EnvelopeDecrypt(g) => &g.source,
            Self::MsgIdTrace(g) => &g.source,
            Self::Transport(g) => &g.source,
            Self::TlId(g) => &g.source,
            Self::TlCodec(g) => &g.source,
            Self::Handshake(g) => g.source(),
            Self::Secret(g) => g.source(),
        }
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        match self {
            Self::Ige(g) => g.tests.len(),
            Self::MsgKey(g) => g.tests.len(),
            Self::EnvelopeEncrypt(g) => g.tests.len(),
            Self::EnvelopeDecrypt(g) => g.tests.len(),
            Self::MsgIdTrace(g) => g.tests.len(),
            Self::Transport(g) => g.tests.len(),
            Self::TlId(g) => g.tests.len(),
            Self::TlCodec(g) => g.tests.len(),
            Self::Handshake(g) => g.len(),
            Self::Secret(g) => g.len(),
        }
    }

    /// Whether the group has no cases.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The common fields of every case, in order.
    pub fn headers(&self) -> Vec<CaseHeader<'_>> {
        fn h<'a>(
            tc_id: u64,
            comment: &'a str,
            flags: &'a [String],
            result: Verdict,
            error: Option<&'a str>,
        ) -> CaseHeader<'a> {
            CaseHeader {
                tc_id,
                comment,
                flags,
                result,
                error,
            }
        }
        match self {
            Self::Ige(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::MsgKey(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::EnvelopeEncrypt(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::EnvelopeDecrypt(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::MsgIdTrace(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::Transport(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::TlId(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::TlCodec(g) => g
                .tests
                .iter()
                .map(|t| h(t.tc_id, &t.comment, &t.flags, t.result, t.error.as_deref()))
                .collect(),
            Self::Handshake(g) => g.headers(),
            Self::Secret(g) => g.headers(),
        }
    }
}

/// The fields every case has, whatever its group type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseHeader<'a> {
    /// `tcId`.
    pub tc_id: u64,
    /// `comment`.
    pub comment: &'a str,
    /// `flags`.
    pub flags: &'a [String],
    /// `result`.
    pub result: Verdict,
    /// `error`.
    pub error: Option<&'a str>,
}

/// A loaded vector file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorFile {
    /// Where it was loaded from, `/`-separated, as given (relative paths stay relative).
    #[serde(skip)]
    pub path: String,
    /// Its family: the directory after `vectors/` in the path, else the parent directory's name.
    #[serde(skip)]
    pub family: String,
    /// The algorithm tested (`AES-256-IGE`, ...).
    pub algorithm: String,
    /// The schema the file follows (a file name under `vectors/schemas/`).
    pub schema: String,
    /// The number of cases in the file.
    pub number_of_tests: u64,
    /// What the file tests.
    pub header: Vec<String>,
    /// Flag name ⇒ what it means.
    pub notes: BTreeMap<String, Note>,
    /// The groups.
    pub test_groups: Vec<TestGroup>,
}

impl VectorFile {
    /// The bug types of `flags`, in flag order (a flag without a note, impossible after loading,
    /// gives `UNKNOWN`).
    pub fn bug_types(&self, flags: &[String]) -> Vec<String> {
        flags
            .iter()
            .map(|f| {
                self.notes
                    .get(f)
                    .map_or_else(|| "UNKNOWN".to_owned(), |n| n.bug_type.clone())
            })
            .collect()
    }

    /// Pretty JSON (2-space indent) with a trailing newline: the committed form of a file.
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

/// The error names a case of `group_type` may expect, for the types that restrict them: an
/// error its operation cannot produce is a load error. `None` means any name of [`ERRORS`]. A new
/// group type declares its list by adding an arm here (and the same list as an `enum` on `error`
/// in its schema).
pub fn allowed_errors(group_type: &str) -> Option<&'static [&'static str]> {
    match group_type {
        "IgeTest" => Some(&["NotBlockAligned"]),
        "EnvelopeEncryptTest" => Some(&[
            "LengthNotAligned",
            "LengthOutOfRange",
            "PaddingTooShort",
            "PaddingTooLong",
            "NotBlockAligned",
        ]),
        "EnvelopeDecryptTest" => Some(&[
            "TooShort",
            "AuthKeyIdMismatch",
            "NotBlockAligned",
            "MsgKeyMismatch",
            "LengthOutOfRange",
            "LengthNotAligned",
            "PaddingTooShort",
            "PaddingTooLong",
            "SessionIdMismatch",
            "KeyWrongLength",
        ]),
        _ => crate::secret::allowed_errors(group_type),
    }
}
