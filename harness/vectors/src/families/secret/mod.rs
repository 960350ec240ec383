//! The `secret` family, secret chats (spec §8): the group and case types, the loader's checks and
//! the runner of `vectors/secret/`; the generator is [`generator`].
//!
//! | type | request | a valid case passes when |
//! |---|---|---|
//! | `SecretKeyExchangeTest` (role `acceptor`) | `secret.acceptKey` {p, g, localRandom, serverRandom, gA} | gB, key, keyFingerprint equal |
//! | `SecretKeyExchangeTest` (role `originator`) | `secret.completeKey` {p, g, localRandom, serverRandom, gB, keyFingerprint} | gA, key equal |
//! | `SecretVisualizationTest` | `secret.keyHash` {key, layer46Key?} | keyHash equal (an acceptable case: and pixels, when the answer has them, equal to the convention's) |
//! | `SecretEncryptTest` | `secret.encrypt` {sender, key, layer, padding} | packet equal |
//! | `SecretDecryptTest` | `secret.decrypt` {receiver, key, packet} | layer equal |
//! | `SecretSeqTraceTest` | `secret.seqTrace` {role, steps} | every step's result equals its `expect` |
//! | `SecretRekeyTest` | `secret.rekeyTrace` {p, g, secret, steps} | every step's result equals its `expect` |
//! | `SecretFileTest` | `secret.fileDecrypt` {key, iv, keyFingerprint, size, encrypted} and `secret.fileEncrypt` {key, iv, file, padding, partSize} | file, encrypted and keyFingerprint equal; invalid ⇒ fileDecrypt rejects |
//! | `SecretChatTraceTest` | `secret.chatTrace` {role, key, steps: receive a packet, announce, send a message, start a re-key; optional per-step randomness} | every step's result equals its `expect` |
//!
//! An invalid case of the one-shot types passes when the IUT rejects it with the named error. A
//! trace case is `invalid` when one of its steps is rejected (its `error` is the first such
//! step's); it passes when every step's result equals its `expect`, rejections included.

use mtproto_iut::secret as op;
use mtproto_iut::{Fields, Iut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::e2e::{
    MAX_STEPS, check_outputs, check_role, dh_fields, hex_field, hex_value, one_shot, opt_hex,
};
use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, Source};
use crate::core::generate::{GenerateError, Suite};
use crate::core::judge::{
    Judged, Mismatch, Ran, RunOptions, Want, answered, compare, judge, merged, trace_answer,
};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::{Outcome, Verdict};

pub mod generator;

// ---------------------------------------------------------------------------------------------
// Types

macro_rules! case_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The case id.
            pub tc_id: u64,
            /// What the case is about.
            pub comment: String,
            /// Flags.
            pub flags: Vec<String>,
            $($(#[$fm])* pub $field: $ty,)*
            /// Expected verdict.
            pub result: Verdict,
            /// Expected error.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub error: Option<String>,
        }
    };
}

case_struct!(
    /// A `SecretKeyExchangeTest` case: one side of the exchange of spec §8.1.
    KeyExchangeCase {
        /// This side's local random bytes (256).
        local_random: Hex,
        /// The server's `random` from `messages.getDhConfig`, XORed into them.
        server_random: Hex,
        /// `g_a`: the acceptor's input; the originator's output (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        g_a: Option<Hex>,
        /// `g_b`: the originator's input; the acceptor's output (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        g_b: Option<Hex>,
        /// `key_fingerprint` (8 wire bytes): the originator's input; the acceptor's output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_fingerprint: Option<Hex>,
        /// The shared key (valid cases, 256 bytes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<Hex>,
    }
);

case_struct!(
    /// A `SecretVisualizationTest` case (spec §8.5).
    VisualizationCase {
        /// The chat's original key.
        key: Hex,
        /// The key in use at the move to layer 46, if it differs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        layer46_key: Option<Hex>,
        /// The 36-byte visualisation (valid and acceptable cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_hash: Option<Hex>,
        /// The 12×12 picture as 144 colour indices `0`..`3`, row by row, least significant bit
        /// pair of each byte first (acceptable cases only: spec §8.5 leaves the order to
        /// convention).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pixels: Option<String>,
    }
);

case_struct!(
    /// A `SecretFileTest` case (spec §8.6).
    FileCase {
        /// The file's one-time AES-256 key (32 bytes).
        key: Hex,
        /// Its IGE iv (32 bytes).
        iv: Hex,
        /// The `key_fingerprint` received with the file (TL `int`).
        key_fingerprint: i64,
        /// The size the message declares.
        size: i64,
        /// The encrypted file as downloaded.
        encrypted: Hex,
        /// The file (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<Hex>,
        /// The padding the sender appended (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        padding: Option<Hex>,
    }
);

case_struct!(
    /// A `SecretEncryptTest` case (spec §8.2).
    EncryptCase {
        /// The chat key.
        key: Hex,
        /// The serialized `decryptedMessageLayer`.
        layer: Hex,
        /// The padding.
        padding: Hex,
        /// The packet (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packet: Option<Hex>,
    }
);

case_struct!(
    /// A `SecretDecryptTest` case (spec §8.2).
    DecryptCase {
        /// The chat key.
        key: Hex,
        /// The packet as received.
        packet: Hex,
        /// The decrypted `decryptedMessageLayer` (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        layer: Option<Hex>,
    }
);

/// A step's expected result in a trace (the same object the IUT answers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// `sent`, `deliver`, `queue`, `ok`, `ignore`, `close`, `refuse` (seq traces); `send`,
    /// `nothing`, `abortedSilently`, `commit`, `switch`, `refuse`, `close` (re-key traces).
    pub verdict: String,
    /// `sent`: the assigned `in_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_seq_no: Option<i32>,
    /// `sent`: the assigned `out_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_seq_no: Option<i32>,
    /// `deliver`: the out_seq_nos now processed, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<Vec<i64>>,
    /// `queue` opening a hole: the resend request's `start_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_start: Option<i32>,
    /// ... and `end_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_end: Option<i32>,
    /// `send` / `commit`: the action this side sends (TL bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Hex>,
    /// `commit` / `switch`: the new key's fingerprint (8 wire bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<Hex>,
    /// `ignore` / `close` / `refuse`: the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// Seq traces: `send`, `receive`, `resendRequest`; re-key traces: `request`, `receive`,
    /// `committed`.
    pub op: String,
    /// `receive` (seq): the message's `in_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_seq_no: Option<i32>,
    /// `receive` (seq): the message's `out_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_seq_no: Option<i32>,
    /// `resendRequest`: `start_seq_no` of the peer's `decryptedMessageActionResend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_seq_no: Option<i32>,
    /// `resendRequest`: its `end_seq_no`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_seq_no: Option<i32>,
    /// `request` / `committed`: the `exchange_id` (8 wire bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_id: Option<Hex>,
    /// `receive` (re-key): the peer's action, TL bytes of a `DecryptedMessageAction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Hex>,
    /// The expected result.
    pub expect: Expect,
}

case_struct!(
    /// A `SecretSeqTraceTest` case (spec §8.3).
    SeqTraceCase {
        /// The steps.
        steps: Vec<Step>,
    }
);

/// A packet the chat under test sent, as its peer reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatReply {
    /// Its `decryptedMessageLayer.layer`.
    pub layer: i32,
    /// Its service action (TL bytes), or the whole message for a non-service one.
    pub action: Hex,
}

/// A chat-trace step's expected result (the same object the IUT answers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatExpect {
    /// `deliver`, `queue`, `reject`, `close` (receive); `sent` (send, rekey, announce); `refuse`
    /// (announce).
    pub verdict: String,
    /// `deliver`: the out_seq_nos now processed, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<Vec<i64>>,
    /// `deliver` / `queue`: the peer's layer after the packet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_layer: Option<i32>,
    /// `deliver` / `queue`: the packets the chat sent in answer, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<ChatReply>>,
    /// `deliver` / `queue`: what the user must be told, when anything (`PeerLayerNewer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<Vec<String>>,
    /// `sent`: the layer of the announcement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<i32>,
    /// `sent`: its action (TL bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Hex>,
    /// `reject` / `close` / `refuse`: the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One step of a chat trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatStep {
    /// `receive` (a packet from the peer), `announce` (send `NotifyLayer`), `send` (send
    /// `message`) or `rekey` (start re-keying with `exchange_id` and `secret`).
    pub op: String,
    /// `receive`: the packet as the relay delivers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet: Option<Hex>,
    /// `send`: the `DecryptedMessage` to send (TL bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Hex>,
    /// `rekey`: the `exchange_id` of the request (8 wire bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_id: Option<Hex>,
    /// `rekey`: this side's DH secret `a` (256 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Hex>,
    /// The side's randomness for the step (32 bytes; default: the step index repeated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh: Option<Hex>,
    /// The expected result.
    pub expect: ChatExpect,
}

case_struct!(
    /// A `SecretChatTraceTest` case (spec §8.2 layers and MTProto versions).
    ChatTraceCase {
        /// The steps.
        steps: Vec<ChatStep>,
    }
);

case_struct!(
    /// A `SecretRekeyTest` case (spec §8.4).
    RekeyCase {
        /// This side's DH secret (256 bytes), used as `a` for its request or `b` for its accept.
        secret: Hex,
        /// The steps.
        steps: Vec<Step>,
    }
);

macro_rules! group_struct {
    ($(#[$m:meta])* $name:ident, $case:ty { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The group type.
            #[serde(rename = "type")]
            pub group_type: String,
            $($(#[$fm])* pub $field: $ty,)*
            /// Where the numbers come from.
            pub source: Source,
            /// The cases.
            pub tests: Vec<$case>,
        }
    };
}

group_struct!(
    /// `SecretKeyExchangeTest`.
    KeyExchangeGroup, KeyExchangeCase {
        /// `originator` or `acceptor`.
        role: String,
        /// `dh_prime`.
        p: Hex,
        /// `g`.
        g: i64,
    }
);
group_struct!(
    /// `SecretVisualizationTest`.
    VisualizationGroup, VisualizationCase {}
);
group_struct!(
    /// `SecretEncryptTest`.
    EncryptGroup, EncryptCase {
        /// `originator` (x = 0) or `acceptor` (x = 8).
        sender: String,
    }
);
group_struct!(
    /// `SecretDecryptTest`.
    DecryptGroup, DecryptCase {
        /// `originator` (reads x = 8) or `acceptor` (reads x = 0).
        receiver: String,
    }
);
group_struct!(
    /// `SecretSeqTraceTest`.
    SeqTraceGroup, SeqTraceCase {
        /// The role of the side the trace runs.
        role: String,
    }
);
group_struct!(
    /// `SecretRekeyTest`.
    RekeyGroup, RekeyCase {
        /// `dh_prime`.
        p: Hex,
        /// `g`.
        g: i64,
    }
);
group_struct!(
    /// `SecretChatTraceTest`.
    ChatTraceGroup, ChatTraceCase {
        /// The role of the side under test.
        role: String,
        /// The chat key (256 bytes).
        key: Hex,
    }
);
group_struct!(
    /// `SecretFileTest`.
    FileGroup, FileCase {
        /// The upload part size the encryption runs in (a positive multiple of 16).
        part_size: u64,
    }
);
/// One group of the `secret` family.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Group {
    /// `SecretKeyExchangeTest`.
    KeyExchange(KeyExchangeGroup),
    /// `SecretVisualizationTest`.
    Visualization(VisualizationGroup),
    /// `SecretEncryptTest`.
    Encrypt(EncryptGroup),
    /// `SecretDecryptTest`.
    Decrypt(DecryptGroup),
    /// `SecretSeqTraceTest`.
    SeqTrace(SeqTraceGroup),
    /// `SecretRekeyTest`.
    Rekey(RekeyGroup),
    /// `SecretFileTest`.
    File(FileGroup),
    /// `SecretChatTraceTest`.
    ChatTrace(ChatTraceGroup),
}

/// The `secret` family.
#[derive(Clone, Copy, Debug)]
pub struct Secret;

impl Family for Secret {
    type Group = Group;

    // SecretChatTraceTest takes any name of the vocabulary (a step may be any packet, or a send).
    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: "SecretKeyExchangeTest",
            family: "secret",
            schema: "secret_key_exchange_test_schema_v1.json",
            errors: Some(&[
                "PWrongSize",
                "GOutOfRange",
                "GNotGenerator",
                "PNotPrime",
                "PNotSafePrime",
                "ValueOutOfRange",
                "ValueUnsafe",
                "KeyFingerprintMismatch",
            ]),
        },
        GroupType {
            name: "SecretVisualizationTest",
            family: "secret",
            schema: "secret_visualization_test_schema_v1.json",
            errors: None,
        },
        GroupType {
            name: "SecretEncryptTest",
            family: "secret",
            schema: "secret_encrypt_test_schema_v1.json",
            errors: Some(&[
                "LengthNotAligned",
                "PaddingTooShort",
                "PaddingTooLong",
                "NotBlockAligned",
            ]),
        },
        GroupType {
            name: "SecretDecryptTest",
            family: "secret",
            schema: "secret_decrypt_test_schema_v1.json",
            errors: Some(&[
                "TooShort",
                "UnknownKeyFingerprint",
                "NotBlockAligned",
                "MsgKeyMismatch",
                "LengthOutOfRange",
                "LengthNotAligned",
                "PaddingTooShort",
                "PaddingTooLong",
                "UnknownConstructor",
                "UnexpectedEnd",
                "TrailingBytes",
                "RandomBytesTooShort",
            ]),
        },
        GroupType {
            name: "SecretSeqTraceTest",
            family: "secret",
            schema: "secret_seq_trace_test_schema_v1.json",
            errors: Some(&[
                "SeqNoParity",
                "SeqNoRepeated",
                "InSeqNoInvalid",
                "ResendInvalid",
                "GapQueueFull",
            ]),
        },
        GroupType {
            name: "SecretRekeyTest",
            family: "secret",
            schema: "secret_rekey_test_schema_v1.json",
            errors: Some(&[
                "RekeyPending",
                "RekeyUnexpected",
                "KeyFingerprintMismatch",
                "ValueOutOfRange",
                "ValueUnsafe",
            ]),
        },
        GroupType {
            name: "SecretFileTest",
            family: "secret",
            schema: "secret_file_test_schema_v1.json",
            errors: Some(&[
                "FileKeyInvalid",
                "FileFingerprintMismatch",
                "FileSizeInvalid",
            ]),
        },
        GroupType {
            name: "SecretChatTraceTest",
            family: "secret",
            schema: "secret_chat_trace_test_schema_v1.json",
            errors: None,
        },
    ];

    fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
        parse(part, group_type)
    }

    fn check(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
        check_group(file, g, group)
    }

    fn run(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        run_case(group, index, iut, opts)
    }

    fn generate() -> Result<Vec<Suite<Group>>, GenerateError> {
        generator::suites()
    }
}

macro_rules! headers_of {
    ($g:expr) => {
        $g.tests
            .iter()
            .map(|t| CaseHeader {
                tc_id: t.tc_id,
                comment: &t.comment,
                flags: &t.flags,
                result: t.result,
                error: t.error.as_deref(),
            })
            .collect()
    };
}

macro_rules! each {
    ($self:expr, $g:ident => $e:expr) => {
        match $self {
            Self::KeyExchange($g) => $e,
            Self::Visualization($g) => $e,
            Self::Encrypt($g) => $e,
            Self::Decrypt($g) => $e,
            Self::SeqTrace($g) => $e,
            Self::Rekey($g) => $e,
            Self::File($g) => $e,
            Self::ChatTrace($g) => $e,
        }
    };
}

impl CaseGroup for Group {
    fn type_name(&self) -> &'static str {
        match self {
            Self::KeyExchange(_) => "SecretKeyExchangeTest",
            Self::Visualization(_) => "SecretVisualizationTest",
            Self::Encrypt(_) => "SecretEncryptTest",
            Self::Decrypt(_) => "SecretDecryptTest",
            Self::SeqTrace(_) => "SecretSeqTraceTest",
            Self::Rekey(_) => "SecretRekeyTest",
            Self::File(_) => "SecretFileTest",
            Self::ChatTrace(_) => "SecretChatTraceTest",
        }
    }

    fn source(&self) -> &Source {
        each!(self, g => &g.source)
    }

    fn len(&self) -> usize {
        each!(self, g => g.tests.len())
    }

    fn headers(&self) -> Vec<CaseHeader<'_>> {
        each!(self, g => headers_of!(g))
    }
}

/// Parse a group of one of this module's types (`group_type`) from its part of the file.
fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
    Ok(match group_type {
        "SecretKeyExchangeTest" => Group::KeyExchange(part.parse()?),
        "SecretVisualizationTest" => Group::Visualization(part.parse()?),
        "SecretEncryptTest" => Group::Encrypt(part.parse()?),
        "SecretDecryptTest" => Group::Decrypt(part.parse()?),
        "SecretSeqTraceTest" => Group::SeqTrace(part.parse()?),
        "SecretRekeyTest" => Group::Rekey(part.parse()?),
        "SecretFileTest" => Group::File(part.parse()?),
        "SecretChatTraceTest" => Group::ChatTrace(part.parse()?),
        other => {
            return Err(part.err("type", format!("{other:?} is not a secret-chat type")));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Loader checks

fn len_is(file: &str, at: &str, field: &str, v: &Hex, n: usize) -> Result<(), LoadError> {
    if v.len() == n {
        Ok(())
    } else {
        Err(err(
            file,
            format!("{at}.{field}"),
            format!("expected {n} bytes, got {}", v.len()),
        ))
    }
}

fn opt_len(file: &str, at: &str, field: &str, v: Option<&Hex>, n: usize) -> Result<(), LoadError> {
    v.map_or(Ok(()), |v| len_is(file, at, field, v, n))
}

fn check_steps(file: &str, at: &str, steps: &[Step], rekey: bool) -> Result<(), LoadError> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return Err(err(
            file,
            format!("{at}.steps"),
            format!("{} steps, expected 1..={MAX_STEPS}", steps.len()),
        ));
    }
    for (i, s) in steps.iter().enumerate() {
        let here = format!("{at}.steps[{i}]");
        let has = [
            s.in_seq_no.is_some(),
            s.out_seq_no.is_some(),
            s.start_seq_no.is_some(),
            s.end_seq_no.is_some(),
            s.exchange_id.is_some(),
            s.action.is_some(),
        ];
        let want: [bool; 6] = match (rekey, s.op.as_str()) {
            (false, "send") => [false; 6],
            (false, "receive") => [true, true, false, false, false, false],
            (false, "resendRequest") => [false, false, true, true, false, false],
            (true, "request" | "committed") => [false, false, false, false, true, false],
            (true, "receive") => [false, false, false, false, false, true],
            (_, other) => {
                return Err(err(
                    file,
                    format!("{here}.op"),
                    format!("unknown op {other:?}"),
                ));
            }
        };
        if has != want {
            return Err(err(
                file,
                here,
                format!("the fields of a {:?} step are not the ones it takes", s.op),
            ));
        }
        opt_len(file, &here, "exchangeId", s.exchange_id.as_ref(), 8)?;
        opt_len(
            file,
            &format!("{here}.expect"),
            "keyFingerprint",
            s.expect.key_fingerprint.as_ref(),
            8,
        )?;
    }
    Ok(())
}

/// The first rejected step's error, for a trace's `result` / `error`.
fn first_rejection(steps: &[Step]) -> Option<&str> {
    steps
        .iter()
        .find(|s| matches!(s.expect.verdict.as_str(), "ignore" | "close" | "refuse"))
        .and_then(|s| s.expect.error.as_deref())
}

fn trace_result(
    file: &str,
    at: String,
    steps: &[Step],
    result: Verdict,
    error: Option<&str>,
) -> Result<(), LoadError> {
    let first = first_rejection(steps);
    let ok = match result {
        Verdict::Valid => first.is_none(),
        Verdict::Invalid => first.is_some() && first == error,
        Verdict::Acceptable => false,
    };
    if ok {
        Ok(())
    } else {
        Err(err(
            file,
            at,
            "a trace is valid when no step is rejected, else invalid with the first rejected \
             step's error",
        ))
    }
}

/// The rules serde cannot express, for group `g` of `file`.
fn check_group(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
    let at = |t: usize| format!("testGroups[{g}].tests[{t}]");
    let gat = |f: &str| format!("testGroups[{g}].{f}");
    match group {
        Group::KeyExchange(group) => {
            check_role(file, gat("role"), &group.role)?;
            let acceptor = group.role == "acceptor";
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                len_is(file, &a, "localRandom", &c.local_random, 256)?;
                if c.server_random.len() > 256 {
                    return Err(err(
                        file,
                        format!("{a}.serverRandom"),
                        "more than 256 bytes",
                    ));
                }
                opt_len(file, &a, "keyFingerprint", c.key_fingerprint.as_ref(), 8)?;
                opt_len(file, &a, "key", c.key.as_ref(), 256)?;
                let (input_ok, outs) = if acceptor {
                    (
                        c.g_a.is_some(),
                        vec![
                            c.g_b.is_some(),
                            c.key_fingerprint.is_some(),
                            c.key.is_some(),
                        ],
                    )
                } else {
                    (
                        c.g_b.is_some() && c.key_fingerprint.is_some(),
                        vec![c.g_a.is_some(), c.key.is_some()],
                    )
                };
                if !input_ok {
                    return Err(err(file, a, "an input of this role is missing"));
                }
                check_outputs(file, a, c.result, &outs)?;
            }
        }
        Group::Visualization(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                len_is(file, &a, "key", &c.key, 256)?;
                opt_len(file, &a, "layer46Key", c.layer46_key.as_ref(), 256)?;
                opt_len(file, &a, "keyHash", c.key_hash.as_ref(), 36)?;
                if c.pixels.as_ref().is_some_and(|p| {
                    p.len() != 144 || !p.bytes().all(|b| (b'0'..=b'3').contains(&b))
                }) {
                    return Err(err(
                        file,
                        format!("{a}.pixels"),
                        "expected 144 colour indices 0..3",
                    ));
                }
                // The key hash is what spec §8.5 fixes: every case that is not invalid gives it.
                // The picture's bit order only convention fixes: pixels come with an acceptable
                // case (judged against the convention when the answer has them), never with a
                // valid one.
                check_outputs(file, a.clone(), c.result, &[c.key_hash.is_some()])?;
                if c.pixels.is_some() != (c.result == Verdict::Acceptable) {
                    return Err(err(
                        file,
                        a,
                        "pixels come with an acceptable case (only convention fixes their bit \
                         order) and with no other",
                    ));
                }
            }
        }
        Group::Encrypt(group) => {
            check_role(file, gat("sender"), &group.sender)?;
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                len_is(file, &a, "key", &c.key, 256)?;
                check_outputs(file, a, c.result, &[c.packet.is_some()])?;
            }
        }
        Group::Decrypt(group) => {
            check_role(file, gat("receiver"), &group.receiver)?;
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                len_is(file, &a, "key", &c.key, 256)?;
                check_outputs(file, a, c.result, &[c.layer.is_some()])?;
            }
        }
        Group::SeqTrace(group) => {
            check_role(file, gat("role"), &group.role)?;
            for (t, c) in group.tests.iter().enumerate() {
                check_steps(file, &at(t), &c.steps, false)?;
                trace_result(file, at(t), &c.steps, c.result, c.error.as_deref())?;
            }
        }
        Group::Rekey(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                len_is(file, &at(t), "secret", &c.secret, 256)?;
                check_steps(file, &at(t), &c.steps, true)?;
                trace_result(file, at(t), &c.steps, c.result, c.error.as_deref())?;
            }
        }
        Group::File(group) => {
            if group.part_size == 0 || group.part_size % 16 != 0 {
                return Err(err(
                    file,
                    gat("partSize"),
                    "expected a positive multiple of 16",
                ));
            }
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                // A key or iv of another length is a peer's mistake an invalid case may carry.
                if c.error.as_deref() == Some("FileKeyInvalid") && c.result == Verdict::Invalid {
                    if c.key.0.len() == 32 && c.iv.0.len() == 32 {
                        return Err(err(
                            file,
                            a,
                            "a FileKeyInvalid case needs a key or iv that is not 32 bytes",
                        ));
                    }
                    for (field, v) in [("key", &c.key), ("iv", &c.iv)] {
                        if v.0.len() > 64 {
                            return Err(err(file, format!("{a}.{field}"), "more than 64 bytes"));
                        }
                    }
                } else {
                    len_is(file, &a, "key", &c.key, 32)?;
                    len_is(file, &a, "iv", &c.iv, 32)?;
                }
                if c.result != Verdict::Invalid
                    && c.file
                        .as_ref()
                        .is_some_and(|f| i64::try_from(f.0.len()).ok() != Some(c.size))
                {
                    return Err(err(
                        file,
                        format!("{a}.size"),
                        "a valid or acceptable case's size must be the length of its file",
                    ));
                }
                if i32::try_from(c.key_fingerprint).is_err() {
                    return Err(err(
                        file,
                        format!("{a}.keyFingerprint"),
                        "expected a 32-bit integer",
                    ));
                }
                if c.padding.as_ref().is_some_and(|p| p.len() >= 16) {
                    return Err(err(file, format!("{a}.padding"), "more than 15 bytes"));
                }
                // An acceptable case gives the file an accepting receiver must return; padding
                // (the encrypt side's input) only a valid one.
                check_outputs(file, a.clone(), c.result, &[c.file.is_some()])?;
                if c.padding.is_some() != (c.result == Verdict::Valid) {
                    return Err(err(file, a, "a valid case gives padding, no other"));
                }
            }
        }
        Group::ChatTrace(group) => {
            check_role(file, gat("role"), &group.role)?;
            len_is(file, &gat(""), "key", &group.key, 256)?;
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                if c.steps.is_empty() || c.steps.len() > MAX_STEPS {
                    return Err(err(file, format!("{a}.steps"), "1..=10000 steps expected"));
                }
                for (i, st) in c.steps.iter().enumerate() {
                    let rekey = st.exchange_id.is_some() && st.secret.is_some();
                    let plain = st.exchange_id.is_none() && st.secret.is_none();
                    let ok = match st.op.as_str() {
                        "receive" => st.packet.is_some() && st.message.is_none() && plain,
                        "announce" => st.packet.is_none() && st.message.is_none() && plain,
                        "send" => st.packet.is_none() && st.message.is_some() && plain,
                        "rekey" => st.packet.is_none() && st.message.is_none() && rekey,
                        _ => false,
                    };
                    if !ok {
                        return Err(err(
                            file,
                            format!("{a}.steps[{i}]"),
                            "a step is `receive` with a packet, `send` with a message, `rekey` \
                             with exchangeId and secret, or `announce` with none of them",
                        ));
                    }
                    let sat = format!("{a}.steps[{i}]");
                    opt_len(file, &sat, "exchangeId", st.exchange_id.as_ref(), 8)?;
                    opt_len(file, &sat, "secret", st.secret.as_ref(), 256)?;
                    opt_len(file, &sat, "fresh", st.fresh.as_ref(), 32)?;
                }
                let first = c
                    .steps
                    .iter()
                    .find(|st| matches!(st.expect.verdict.as_str(), "reject" | "close" | "refuse"))
                    .and_then(|st| st.expect.error.as_deref());
                let consistent = match c.result {
                    Verdict::Valid => first.is_none(),
                    Verdict::Invalid => first.is_some() && first == c.error.as_deref(),
                    Verdict::Acceptable => false,
                };
                if !consistent {
                    return Err(err(
                        file,
                        a,
                        "a trace is valid when no step is rejected, else invalid with the first \
                         rejected step's error",
                    ));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Runner

/// A trace: one request, then every step's result against its `expect`.
fn trace(
    iut: &mut dyn Iut,
    op: &str,
    req: &Fields,
    steps: &[Step],
    expected: (Verdict, Option<&str>),
    opts: &RunOptions,
) -> Judged {
    let expects: Vec<_> = steps
        .iter()
        .map(|s| {
            (
                s.op.as_str(),
                serde_json::to_value(&s.expect).unwrap_or(Value::Null),
            )
        })
        .collect();
    trace_expects(iut, op, req, &expects, expected, opts)
}

/// A trace given each step's op name and expected result.
fn trace_expects(
    iut: &mut dyn Iut,
    op: &str,
    req: &Fields,
    steps: &[(&str, Value)],
    (verdict, error): (Verdict, Option<&str>),
    opts: &RunOptions,
) -> Judged {
    let answered = trace_answer(iut.call(op, req), op, steps, error);
    judge(verdict, error, answered, opts)
}

fn steps_value(steps: &[Step]) -> Value {
    Value::Array(
        steps
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.remove("expect");
                }
                v
            })
            .collect(),
    )
}

fn vector<T: Serialize>(
    case: &T,
    group_type: &str,
    source: &Source,
    extra: &[(&str, Value)],
) -> Value {
    merged(case, group_type, source, extra)
}

/// Run case `index` of `group`.
fn run_case(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
    let header = *group.headers().get(index)?;
    let expected = (header.result, header.error);
    let (judged, vec) = match group {
        Group::KeyExchange(g) => {
            let c = g.tests.get(index)?;
            let mut req = dh_fields(&g.p, g.g);
            hex_field(&mut req, "localRandom", &c.local_random);
            hex_field(&mut req, "serverRandom", &c.server_random);
            let mut want = Vec::new();
            let op = if g.role == "acceptor" {
                opt_hex(&mut req, "gA", c.g_a.as_ref());
                for (n, v) in [("gB", &c.g_b), ("keyFingerprint", &c.key_fingerprint)] {
                    if let Some(v) = v {
                        want.push((n, hex_value(v)));
                    }
                }
                op::ACCEPT_KEY
            } else {
                opt_hex(&mut req, "gB", c.g_b.as_ref());
                opt_hex(&mut req, "keyFingerprint", c.key_fingerprint.as_ref());
                if let Some(v) = &c.g_a {
                    want.push(("gA", hex_value(v)));
                }
                op::COMPLETE_KEY
            };
            if let Some(k) = &c.key {
                want.push(("key", hex_value(k)));
            }
            let extra = [
                ("role", Value::from(g.role.clone())),
                ("p", hex_value(&g.p)),
                ("g", Value::from(g.g)),
            ];
            (
                one_shot(iut, op, &req, expected, &want, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::Visualization(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            hex_field(&mut req, "key", &c.key);
            opt_hex(&mut req, "layer46Key", c.layer46_key.as_ref());
            let want: Vec<_> = c
                .key_hash
                .iter()
                .map(|h| ("keyHash", Want::Json(hex_value(h))))
                .collect();
            // The pixels of an acceptable case are judged against the convention when the
            // answer has them; an answer without them is judged by its key hash alone.
            let pixels = c.pixels.as_ref().map(|p| Value::from(p.clone()));
            let answered = answered(iut.call(op::KEY_HASH, &req), op::KEY_HASH, |f| {
                compare(f, &want)?;
                match (&pixels, f.get("pixels")) {
                    (Some(p), Some(_)) => {
                        compare(f, &[("pixels", Want::Json(p.clone()))]).map_err(|m| Mismatch {
                            outcome: m.outcome,
                            detail: format!(
                                "{} (the convention: least significant bit pair of each byte \
                                 first)",
                                m.detail
                            ),
                        })
                    }
                    _ => Ok(()),
                }
            });
            (
                judge(expected.0, expected.1, answered, opts),
                vector(c, &g.group_type, &g.source, &[]),
            )
        }
        Group::Encrypt(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            req.insert("sender".into(), Value::from(g.sender.clone()));
            hex_field(&mut req, "key", &c.key);
            hex_field(&mut req, "layer", &c.layer);
            hex_field(&mut req, "padding", &c.padding);
            let want: Vec<_> = c.packet.iter().map(|p| ("packet", hex_value(p))).collect();
            let extra = [("sender", Value::from(g.sender.clone()))];
            (
                one_shot(iut, op::ENCRYPT, &req, expected, &want, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::Decrypt(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            req.insert("receiver".into(), Value::from(g.receiver.clone()));
            hex_field(&mut req, "key", &c.key);
            hex_field(&mut req, "packet", &c.packet);
            let want: Vec<_> = c.layer.iter().map(|l| ("layer", hex_value(l))).collect();
            let extra = [("receiver", Value::from(g.receiver.clone()))];
            (
                one_shot(iut, op::DECRYPT, &req, expected, &want, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::SeqTrace(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            req.insert("role".into(), Value::from(g.role.clone()));
            req.insert("steps".into(), steps_value(&c.steps));
            let extra = [("role", Value::from(g.role.clone()))];
            (
                trace(iut, op::SEQ_TRACE, &req, &c.steps, expected, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::Rekey(g) => {
            let c = g.tests.get(index)?;
            let mut req = dh_fields(&g.p, g.g);
            hex_field(&mut req, "secret", &c.secret);
            req.insert("steps".into(), steps_value(&c.steps));
            let extra = [("p", hex_value(&g.p)), ("g", Value::from(g.g))];
            (
                trace(iut, op::REKEY_TRACE, &req, &c.steps, expected, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::File(g) => {
            let c = g.tests.get(index)?;
            let mut dec = Fields::new();
            hex_field(&mut dec, "key", &c.key);
            hex_field(&mut dec, "iv", &c.iv);
            dec.insert("keyFingerprint".into(), Value::from(c.key_fingerprint));
            dec.insert("size".into(), Value::from(c.size));
            hex_field(&mut dec, "encrypted", &c.encrypted);
            let want: Vec<_> = c.file.iter().map(|f| ("file", hex_value(f))).collect();
            let mut judged = one_shot(iut, op::FILE_DECRYPT, &dec, expected, &want, opts);
            // The encrypt side runs only when the decrypt side accepted as expected.
            if let (Some(body), Some(padding), Outcome::Pass, None) =
                (&c.file, &c.padding, judged.outcome, &judged.error)
            {
                let mut enc = Fields::new();
                hex_field(&mut enc, "key", &c.key);
                hex_field(&mut enc, "iv", &c.iv);
                hex_field(&mut enc, "file", body);
                hex_field(&mut enc, "padding", padding);
                enc.insert("partSize".into(), Value::from(g.part_size));
                judged = one_shot(
                    iut,
                    op::FILE_ENCRYPT,
                    &enc,
                    expected,
                    &[
                        ("encrypted", hex_value(&c.encrypted)),
                        ("keyFingerprint", Value::from(c.key_fingerprint)),
                    ],
                    opts,
                );
            }
            let extra = [("partSize", Value::from(g.part_size))];
            (judged, vector(c, &g.group_type, &g.source, &extra))
        }
        Group::ChatTrace(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            req.insert("role".into(), Value::from(g.role.clone()));
            hex_field(&mut req, "key", &g.key);
            let steps: Vec<Value> = c
                .steps
                .iter()
                .map(|s| {
                    let mut m = serde_json::Map::new();
                    m.insert("op".into(), Value::from(s.op.clone()));
                    if let Some(p) = &s.packet {
                        m.insert("packet".into(), hex_value(p));
                    }
                    if let Some(x) = &s.message {
                        m.insert("message".into(), hex_value(x));
                    }
                    if let Some(x) = &s.exchange_id {
                        m.insert("exchangeId".into(), hex_value(x));
                    }
                    if let Some(x) = &s.secret {
                        m.insert("secret".into(), hex_value(x));
                    }
                    if let Some(x) = &s.fresh {
                        m.insert("fresh".into(), hex_value(x));
                    }
                    Value::Object(m)
                })
                .collect();
            req.insert("steps".into(), Value::Array(steps));
            let expects: Vec<_> = c
                .steps
                .iter()
                .map(|s| {
                    (
                        s.op.as_str(),
                        serde_json::to_value(&s.expect).unwrap_or(Value::Null),
                    )
                })
                .collect();
            let extra = [
                ("role", Value::from(g.role.clone())),
                ("key", hex_value(&g.key)),
            ];
            (
                trace_expects(iut, op::CHAT_TRACE, &req, &expects, expected, opts),
                vector(c, &g.group_type, &g.source, &extra),
            )
        }
    };
    Some(Ran {
        judged,
        vector: vec,
    })
}
