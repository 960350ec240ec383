//! The `kdf` family: MTProto 2.0 key derivation, `MsgKeyTest`.
//!
//! A case with `plaintext` checks `kdf.msgKey` {direction, authKey, plaintext} = msgKey; a case
//! with `aesKey` and `aesIv` checks `kdf.aesKeyIv` {direction, authKey, msgKey}. A derivation
//! cannot be rejected, so every case is valid.

use mtproto::crypto::kdf;
use mtproto_iut::{Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, DirectionName, File, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, h, self_source};
use crate::core::judge::{Ran, RunOptions, Want, combine, judge_request, merged};
use crate::core::known::{
    SERVER_AUTH_KEY, SERVER_PACKET, SERVER_PLAINTEXT, auth_key, hello_plaintext,
};
use crate::core::load::{LoadError, Part, check_len, check_opt_len};
use crate::core::result::Verdict;

/// The `kdf` family.
#[derive(Clone, Copy, Debug)]
pub struct Kdf;

crate::case_struct! {
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

impl CaseGroup for MsgKeyGroup {
    fn type_name(&self) -> &'static str {
        "MsgKeyTest"
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

impl Family for Kdf {
    type Group = MsgKeyGroup;

    const GROUP_TYPES: &'static [GroupType] = &[GroupType {
        name: "MsgKeyTest",
        family: "kdf",
        schema: "msg_key_test_schema_v1.json",
        errors: None,
    }];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<MsgKeyGroup, LoadError> {
        part.parse()
    }

    /// Lengths (auth key 256, msg key 16, aes key and iv 32), every case valid, aesKey and aesIv
    /// together, and something to check.
    fn check(file: &str, g: usize, group: &MsgKeyGroup) -> Result<(), LoadError> {
        let at = |t: usize| format!("testGroups[{g}].tests[{t}]");

        for (t, c) in group.tests.iter().enumerate() {
            check_len(file, &at(t), "authKey", &c.auth_key, &[256])?;
            check_len(file, &at(t), "msgKey", &c.msg_key, &[16])?;
            check_opt_len(file, &at(t), "aesKey", c.aes_key.as_ref(), &[32])?;
            check_opt_len(file, &at(t), "aesIv", c.aes_iv.as_ref(), &[32])?;
            if c.result != Verdict::Valid {
                return Err(LoadError::at(
                    file,
                    format!("{}.result", at(t)),
                    "a MsgKeyTest case is always valid (a derivation cannot be rejected)",
                ));
            }
            match (&c.aes_key, &c.aes_iv) {
                (Some(_), None) => {
                    return Err(LoadError::at(
                        file,
                        format!("{}.aesIv", at(t)),
                        "missing: aesKey and aesIv come together",
                    ));
                }
                (None, Some(_)) => {
                    return Err(LoadError::at(
                        file,
                        format!("{}.aesKey", at(t)),
                        "missing: aesKey and aesIv come together",
                    ));
                }
                (None, None) if c.plaintext.is_none() => {
                    return Err(LoadError::at(
                        file,
                        at(t),
                        "a MsgKeyTest case needs plaintext, or aesKey and aesIv, to check",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn run(g: &MsgKeyGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        let c = g.tests.get(index)?;
        let expected = (c.result, c.error.as_deref());
        let mut base = Fields::new();
        base.insert("direction".into(), Value::from(g.direction.as_str()));
        base.insert("authKey".into(), Value::String(c.auth_key.to_hex()));
        let mut judged = Vec::new();
        if let Some(plaintext) = &c.plaintext {
            let mut req = base.clone();
            req.insert("plaintext".into(), Value::String(plaintext.to_hex()));
            judged.push((
                op::KDF_MSG_KEY,
                judge_request(
                    iut.call(op::KDF_MSG_KEY, &req),
                    op::KDF_MSG_KEY,
                    &[("msgKey", Want::Hex(c.msg_key.as_bytes()))],
                    expected,
                    opts,
                ),
            ));
        }
        if let (Some(aes_key), Some(aes_iv)) = (&c.aes_key, &c.aes_iv) {
            let mut req = base;
            req.insert("msgKey".into(), Value::String(c.msg_key.to_hex()));
            judged.push((
                op::KDF_AES_KEY_IV,
                judge_request(
                    iut.call(op::KDF_AES_KEY_IV, &req),
                    op::KDF_AES_KEY_IV,
                    &[
                        ("aesKey", Want::Hex(aes_key.as_bytes())),
                        ("aesIv", Want::Hex(aes_iv.as_bytes())),
                    ],
                    expected,
                    opts,
                ),
            ));
        }
        let direction = [("direction", Value::from(g.direction.as_str()))];
        Some(Ran {
            judged: combine(judged),
            vector: merged(c, &g.group_type, &g.source, &direction),
        })
    }

    fn generate() -> Result<Vec<Suite<MsgKeyGroup>>, GenerateError> {
        Ok(vec![msg_key()?])
    }
}

// ---------------------------------------------------------------------------------------------
// Generator

/// The flags this family's cases carry.
const FLAGS: &[Flag] = &[
    (
        "Ktv",
        "BASIC",
        "A known-answer vector from an independent implementation or a real Telegram server \
         (see the group's source).",
        &[],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Inputs from the generator's deterministic DRBG; outputs computed by this project's \
         reference (a regression pin, not independent evidence).",
        &[],
    ),
    (
        "PaddingInMsgKey",
        "MISSING_STEP",
        "msg_key is the middle of SHA-256 over the whole plaintext including the random padding \
         (MTProto 2.0); MTProto 1.0 hashed only up to the body and gets a different value.",
        &["https://core.telegram.org/mtproto/description"],
    ),
];

fn seq(n: usize, start: u8) -> Vec<u8> {
    (0..n)
        .map(|i| start.wrapping_add(u8::try_from(i % 256).unwrap_or(0)))
        .collect()
}

fn msg_key_case(
    b: &mut Builder,
    flags: &[&str],
    comment: String,
    key: &[u8],
    plaintext: Option<Vec<u8>>,
    msg_key: &[u8],
    aes: Option<([u8; 32], [u8; 32])>,
) -> Result<MsgKeyCase, GenerateError> {
    let (tc_id, flags) = b.case(flags)?;
    Ok(MsgKeyCase {
        tc_id,
        comment,
        flags,
        auth_key: key.into(),
        plaintext: plaintext.map(Hex),
        msg_key: msg_key.into(),
        aes_key: aes.map(|(k, _)| Hex(k.to_vec())),
        aes_iv: aes.map(|(_, iv)| Hex(iv.to_vec())),
        result: Verdict::Valid,
        error: None,
    })
}

fn msg_key() -> Result<(String, File<MsgKeyGroup>), GenerateError> {
    let name = "kdf/msg_key_test.json";
    let mut b = Builder::new(name, FLAGS);
    let k256 = seq(256, 0);
    let grammers_c2s = vec![
        msg_key_case(
            &mut b,
            &["Ktv"],
            "grammers: auth_key = bytes 0x00..0xff, msg_key = bytes 0x00..0x0f, x = 0".into(),
            &k256,
            None,
            &seq(16, 0),
            Some((
                h("704ed09c8b41668ae8f99d244738f71dbddc44469b6bbd4aa8573dd042bd059e")
                    .try_into()
                    .unwrap_or([0; 32]),
                h("4d266000a550edabbf4c7ce40fd0043cc92230184cd317a5cc9c2482fd3b9318")
                    .try_into()
                    .unwrap_or([0; 32]),
            )),
        )?,
        msg_key_case(
            &mut b,
            &["Ktv", "PaddingInMsgKey"],
            "grammers: msg_key of \"Hello, world! ...\" + 19 zero bytes, auth_key 0x00..0xff"
                .into(),
            &k256,
            Some(hello_plaintext()),
            &h("a81729d46db54019a2bfd7f744f9b96c"),
            None,
        )?,
    ];
    let packet = h(SERVER_PACKET);
    let grammers_s2c = vec![
        msg_key_case(
            &mut b,
            &["Ktv"],
            "grammers: auth_key = bytes 0x00..0xff, msg_key = bytes 0x00..0x0f, x = 8".into(),
            &k256,
            None,
            &seq(16, 0),
            Some((
                h("217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e")
                    .try_into()
                    .unwrap_or([0; 32]),
                h("669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc")
                    .try_into()
                    .unwrap_or([0; 32]),
            )),
        )?,
        msg_key_case(
            &mut b,
            &["Ktv", "PaddingInMsgKey"],
            "a real server packet (grammers' tests): its msg_key over its 144-byte plaintext"
                .into(),
            &h(SERVER_AUTH_KEY),
            Some(h(SERVER_PLAINTEXT)),
            packet.get(8..24).unwrap_or(&[]),
            None,
        )?,
    ];

    let mut groups = vec![
        MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: DirectionName::ClientToServer,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto tests (spec §11.2)".into(),
            },
            tests: grammers_c2s,
        },
        MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: DirectionName::ServerToClient,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto tests, a real server packet (spec §11.2)".into(),
            },
            tests: grammers_s2c,
        },
    ];
    for dir in [DirectionName::ClientToServer, DirectionName::ServerToClient] {
        let mut rng = Drbg::new(&format!("kdf/msg_key/{}", dir.as_str()));
        let mut tests = Vec::new();
        for i in 0..100usize {
            let key_bytes: Vec<u8> = match i {
                0 => seq(256, 0),
                1 => (0..=255u8).rev().collect(),
                2 => vec![0; 256],
                3 => vec![0xff; 256],
                _ => rng.bytes(256),
            };
            let key = auth_key(&key_bytes, name)?;
            // Plaintext lengths from the smallest (48) past several SHA-256 blocks.
            let len = match i {
                0..=9 => 48usize.saturating_add(16usize.saturating_mul(i)),
                10 => 4096,
                11 => 1056,
                _ => 16usize.saturating_mul(rng.range(3, 80)),
            };
            let plaintext = rng.bytes(len);
            let direction = dir.direction();
            let mk = kdf::msg_key(&key, direction, &plaintext);
            let keys = kdf::derive(&key, direction, &mk);
            let comment = match i {
                0 => format!("auth_key = bytes 0x00..0xff, {len}-byte plaintext"),
                1 => format!("auth_key = bytes 0xff..0x00, {len}-byte plaintext"),
                2 => format!("all-zero auth_key, {len}-byte plaintext"),
                3 => format!("all-ones auth_key, {len}-byte plaintext"),
                _ => format!("{len}-byte plaintext"),
            };
            tests.push(msg_key_case(
                &mut b,
                &["Pseudorandom", "PaddingInMsgKey"],
                comment,
                &key_bytes,
                Some(plaintext),
                &mk,
                Some((keys.aes_key, keys.aes_iv)),
            )?);
        }
        groups.push(MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: dir,
            source: self_source(),
            tests,
        });
    }
    Ok(b.finish(
        "MTProto-2.0-KDF",
        "msg_key_test_schema_v1.json",
        &[
            "MTProto 2.0 key derivation (spec §2.2): msg_key = SHA-256(substr(auth_key, 88+x, 32) \
             + plaintext)[8:24], and aes_key / aes_iv from msg_key, for x = 0 (client to server) \
             and x = 8 (server to client).",
            "A case with plaintext checks msg_key; a case with aesKey and aesIv checks their \
             derivation from msgKey; generated cases check all three.",
        ],
        groups,
    ))
}
