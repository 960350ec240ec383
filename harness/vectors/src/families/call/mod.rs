//! The `call` family, one-to-one calls (spec §9, §12): the group and case types, the loader's
//! checks and the runner of `vectors/call/`; the generator is [`generator`], the replay traces
//! (types, checks, runner and generator) [`replay`].
//!
//! | type | request | a valid case passes when |
//! |---|---|---|
//! | `CallEmojiTest` | `call.emoji` {key, gA} | emojiIndices, emoji, keyFingerprint equal |
//! | `CallCommitmentTest` | `call.confirm` {p, g, b, gAHash, gA, keyFingerprint} | gB, key equal |
//! | `CallPacketTest` | `call.encrypt` {sender, channel, key, body} and `call.decrypt` {receiver, channel, key, packet} | packet and body equal; invalid ⇒ decrypt rejects |
//! | `CallReplayTest` | `call.replayTrace` {role, channel, key, sentBefore?, steps} | every step's result equals its `expect` ([`replay`]) |
//!
//! An invalid case of the one-shot types passes when the IUT rejects it with the named error.

use mtproto_iut::secret as op;
use mtproto_iut::{Fields, Iut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::e2e::{check_outputs, check_role, dh_fields, hex_field, hex_value, one_shot};
use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, Source};
use crate::core::generate::{GenerateError, Suite};
use crate::core::judge::{Ran, RunOptions, merged};
use crate::core::load::{LoadError, Part, check_len, check_opt_len, err};
use crate::core::result::{Outcome, Verdict};

pub mod generator;
pub mod replay;

// ---------------------------------------------------------------------------------------------
// Types

crate::case_struct!(
    /// A `CallEmojiTest` case (spec §9.2, §12).
    EmojiCase {
        /// The call key.
        key: Hex,
        /// The caller's `g_a` (256 bytes).
        g_a: Hex,
        /// The four indices into the table.
        emoji_indices: Vec<u64>,
        /// The four emoji.
        emoji: Vec<String>,
        /// `key_fingerprint` (8 wire bytes).
        key_fingerprint: Hex,
    }
);

crate::case_struct!(
    /// A `CallCommitmentTest` case: the callee's step 4 of spec §9.1.
    CommitmentCase {
        /// The callee's secret `b`.
        b: Hex,
        /// The `g_a_hash` received first.
        g_a_hash: Hex,
        /// The `g_a` revealed in `phoneCall`.
        g_a: Hex,
        /// The `key_fingerprint` received with it (8 wire bytes).
        key_fingerprint: Hex,
        /// `g_b` (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        g_b: Option<Hex>,
        /// The call key (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<Hex>,
    }
);

crate::case_struct!(
    /// A `CallPacketTest` case (spec §9.3).
    CallPacketCase {
        /// The call key.
        key: Hex,
        /// The decrypted body (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Hex>,
        /// The packet: msg_key ‖ AES-256-CTR(body).
        packet: Hex,
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
    /// `CallEmojiTest`.
    EmojiGroup, EmojiCase {}
);
group_struct!(
    /// `CallCommitmentTest`.
    CommitmentGroup, CommitmentCase {
        /// `dh_prime`.
        p: Hex,
        /// `g`.
        g: i64,
    }
);
group_struct!(
    /// `CallPacketTest`.
    CallPacketGroup, CallPacketCase {
        /// The sender: `originator` (the caller) or `acceptor`.
        sender: String,
        /// `transport` or `signaling` (x + 128).
        channel: String,
    }
);

/// One group of the `call` family.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Group {
    /// `CallEmojiTest`.
    Emoji(EmojiGroup),
    /// `CallCommitmentTest`.
    Commitment(CommitmentGroup),
    /// `CallPacketTest`.
    Packet(CallPacketGroup),
    /// `CallReplayTest` ([`replay`]).
    Replay(replay::CallReplayGroup),
}

/// The `call` family.
#[derive(Clone, Copy, Debug)]
pub struct Call;

impl Family for Call {
    type Group = Group;

    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: "CallEmojiTest",
            family: "call",
            schema: "call_emoji_test_schema_v1.json",
            errors: None,
        },
        GroupType {
            name: "CallCommitmentTest",
            family: "call",
            schema: "call_commitment_test_schema_v1.json",
            errors: Some(&[
                "GaHashMismatch",
                "ValueOutOfRange",
                "ValueUnsafe",
                "KeyFingerprintMismatch",
            ]),
        },
        GroupType {
            name: "CallPacketTest",
            family: "call",
            schema: "call_packet_test_schema_v1.json",
            errors: Some(&["TooShort", "MsgKeyMismatch"]),
        },
        GroupType {
            name: "CallReplayTest",
            family: "call",
            schema: "call_replay_test_schema_v1.json",
            errors: Some(replay::ERRORS),
        },
    ];

    fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
        Ok(match group_type {
            "CallEmojiTest" => Group::Emoji(part.parse()?),
            "CallCommitmentTest" => Group::Commitment(part.parse()?),
            "CallPacketTest" => Group::Packet(part.parse()?),
            "CallReplayTest" => Group::Replay(part.parse()?),
            other => {
                return Err(part.err("type", format!("{other:?} is not a call type")));
            }
        })
    }

    fn check(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
        check_group(file, g, group)
    }

    fn run(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        run_case(group, index, iut, opts)
    }

    fn generate() -> Result<Vec<Suite<Group>>, GenerateError> {
        let mut all = generator::suites()?;
        all.push(replay::suite()?);
        Ok(all)
    }
}

macro_rules! each {
    ($self:expr, $g:ident => $e:expr) => {
        match $self {
            Self::Emoji($g) => $e,
            Self::Commitment($g) => $e,
            Self::Packet($g) => $e,
            Self::Replay($g) => $e,
        }
    };
}

impl CaseGroup for Group {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Emoji(_) => "CallEmojiTest",
            Self::Commitment(_) => "CallCommitmentTest",
            Self::Packet(_) => "CallPacketTest",
            Self::Replay(_) => "CallReplayTest",
        }
    }

    fn source(&self) -> &Source {
        each!(self, g => &g.source)
    }

    fn len(&self) -> usize {
        each!(self, g => g.tests.len())
    }

    fn headers(&self) -> Vec<CaseHeader<'_>> {
        each!(self, g => g.tests.iter().map(|t| crate::header_of!(t)).collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Loader checks

/// A channel field must name one of the two channels of a call.
pub fn check_channel(file: &str, path: String, channel: &str) -> Result<(), LoadError> {
    if matches!(channel, "transport" | "signaling") {
        Ok(())
    } else {
        Err(err(
            file,
            path,
            format!("{channel:?} is neither \"transport\" nor \"signaling\""),
        ))
    }
}

/// The rules serde cannot express, for group `g` of `file`.
fn check_group(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
    let at = |t: usize| format!("testGroups[{g}].tests[{t}]");
    let gat = |f: &str| format!("testGroups[{g}].{f}");
    match group {
        Group::Emoji(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                check_len(file, &a, "key", &c.key, &[256])?;
                check_len(file, &a, "gA", &c.g_a, &[256])?;
                check_len(file, &a, "keyFingerprint", &c.key_fingerprint, &[8])?;
                if c.emoji_indices.len() != 4
                    || c.emoji.len() != 4
                    || c.emoji_indices.iter().any(|&i| i >= 333)
                {
                    return Err(err(
                        file,
                        a,
                        "emojiIndices and emoji are 4 entries each, indices below 333",
                    ));
                }
                if c.result != Verdict::Valid {
                    return Err(err(file, a, "every CallEmojiTest case is valid"));
                }
            }
        }
        Group::Commitment(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                check_len(file, &a, "b", &c.b, &[256])?;
                check_len(file, &a, "keyFingerprint", &c.key_fingerprint, &[8])?;
                check_opt_len(file, &a, "gB", c.g_b.as_ref(), &[256])?;
                check_opt_len(file, &a, "key", c.key.as_ref(), &[256])?;
                check_outputs(file, a, c.result, &[c.g_b.is_some(), c.key.is_some()])?;
            }
        }
        Group::Packet(group) => {
            check_role(file, gat("sender"), &group.sender)?;
            check_channel(file, gat("channel"), &group.channel)?;
            for (t, c) in group.tests.iter().enumerate() {
                let a = at(t);
                check_len(file, &a, "key", &c.key, &[256])?;
                check_outputs(file, a, c.result, &[c.body.is_some()])?;
            }
        }
        Group::Replay(group) => replay::check_group(file, g, group)?,
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Runner

/// Run case `index` of `group`.
fn run_case(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
    let header = *group.headers().get(index)?;
    let expected = (header.result, header.error);
    let (judged, vector) = match group {
        Group::Replay(g) => return replay::run_case(g, index, iut, opts),
        Group::Emoji(g) => {
            let c = g.tests.get(index)?;
            let mut req = Fields::new();
            hex_field(&mut req, "key", &c.key);
            hex_field(&mut req, "gA", &c.g_a);
            let want = [
                ("emojiIndices", Value::from(c.emoji_indices.clone())),
                ("emoji", Value::from(c.emoji.clone())),
                ("keyFingerprint", hex_value(&c.key_fingerprint)),
            ];
            (
                one_shot(iut, op::CALL_EMOJI, &req, expected, &want, opts),
                merged(c, &g.group_type, &g.source, &[]),
            )
        }
        Group::Commitment(g) => {
            let c = g.tests.get(index)?;
            let mut req = dh_fields(&g.p, g.g);
            hex_field(&mut req, "b", &c.b);
            hex_field(&mut req, "gAHash", &c.g_a_hash);
            hex_field(&mut req, "gA", &c.g_a);
            hex_field(&mut req, "keyFingerprint", &c.key_fingerprint);
            let mut want = Vec::new();
            for (n, v) in [("gB", &c.g_b), ("key", &c.key)] {
                if let Some(v) = v {
                    want.push((n, hex_value(v)));
                }
            }
            let extra = [("p", hex_value(&g.p)), ("g", Value::from(g.g))];
            (
                one_shot(iut, op::CALL_CONFIRM, &req, expected, &want, opts),
                merged(c, &g.group_type, &g.source, &extra),
            )
        }
        Group::Packet(g) => {
            let c = g.tests.get(index)?;
            let receiver = if g.sender == "originator" {
                "acceptor"
            } else {
                "originator"
            };
            let mut dec = Fields::new();
            dec.insert("receiver".into(), Value::from(receiver));
            dec.insert("channel".into(), Value::from(g.channel.clone()));
            hex_field(&mut dec, "key", &c.key);
            hex_field(&mut dec, "packet", &c.packet);
            let mut judged = one_shot(
                iut,
                op::CALL_DECRYPT,
                &dec,
                expected,
                &c.body
                    .iter()
                    .map(|b| ("body", hex_value(b)))
                    .collect::<Vec<_>>(),
                opts,
            );
            // The encrypt side runs only when the decrypt side accepted as expected.
            if let (Some(body), Outcome::Pass, None) = (&c.body, judged.outcome, &judged.error) {
                let mut enc = Fields::new();
                enc.insert("sender".into(), Value::from(g.sender.clone()));
                enc.insert("channel".into(), Value::from(g.channel.clone()));
                hex_field(&mut enc, "key", &c.key);
                hex_field(&mut enc, "body", body);
                judged = one_shot(
                    iut,
                    op::CALL_ENCRYPT,
                    &enc,
                    expected,
                    &[("packet", hex_value(&c.packet))],
                    opts,
                );
            }
            let extra = [
                ("sender", Value::from(g.sender.clone())),
                ("channel", Value::from(g.channel.clone())),
            ];
            (judged, merged(c, &g.group_type, &g.source, &extra))
        }
    };
    Some(Ran { judged, vector })
}
