//! The `ige` family: AES-256-IGE (and AES-128-IGE for OpenSSL's known answers), `IgeTest`.
//!
//! A case gives key, iv, msg and ct: `ige.encrypt` {key, iv, msg} must give ct and
//! `ige.decrypt` {key, iv, ct} must give msg; an invalid case (input not a whole number of
//! blocks) must be rejected by both.

use mtproto::crypto::ige::aes256_ige_encrypt;
use mtproto_iut::{Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, File, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, gen_err, h, self_source};
use crate::core::judge::{Ran, RunOptions, Want, combine, judge_request, merged};
use crate::core::load::{LoadError, Part, check_len};
use crate::core::result::Verdict;

/// The `ige` family.
#[derive(Clone, Copy, Debug)]
pub struct Ige;

crate::case_struct! {
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

impl CaseGroup for IgeGroup {
    fn type_name(&self) -> &'static str {
        "IgeTest"
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

impl Family for Ige {
    type Group = IgeGroup;

    const GROUP_TYPES: &'static [GroupType] = &[GroupType {
        name: "IgeTest",
        family: "ige",
        schema: "ige_test_schema_v1.json",
        errors: Some(&["NotBlockAligned"]),
    }];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<IgeGroup, LoadError> {
        part.parse()
    }

    /// Key 16 or 32 bytes, iv 32 bytes, and a valid case's ct as long as its msg.
    fn check(file: &str, g: usize, group: &IgeGroup) -> Result<(), LoadError> {
        let at = |t: usize| format!("testGroups[{g}].tests[{t}]");

        for (t, c) in group.tests.iter().enumerate() {
            check_len(file, &at(t), "key", &c.key, &[16, 32])?;
            check_len(file, &at(t), "iv", &c.iv, &[32])?;
            if c.result == Verdict::Valid && c.msg.len() != c.ct.len() {
                return Err(LoadError::at(
                    file,
                    format!("{}.ct", at(t)),
                    format!(
                        "a valid case's ct must be as long as msg ({} bytes), got {}",
                        c.msg.len(),
                        c.ct.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn run(g: &IgeGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        let c = g.tests.get(index)?;
        let mut enc = Fields::new();
        enc.insert("key".into(), Value::String(c.key.to_hex()));
        enc.insert("iv".into(), Value::String(c.iv.to_hex()));
        let mut dec = enc.clone();
        enc.insert("msg".into(), Value::String(c.msg.to_hex()));
        dec.insert("ct".into(), Value::String(c.ct.to_hex()));
        let expected = (c.result, c.error.as_deref());
        let judged = combine(vec![
            (
                op::IGE_ENCRYPT,
                judge_request(
                    iut.call(op::IGE_ENCRYPT, &enc),
                    op::IGE_ENCRYPT,
                    &[("ct", Want::Hex(c.ct.as_bytes()))],
                    expected,
                    opts,
                ),
            ),
            (
                op::IGE_DECRYPT,
                judge_request(
                    iut.call(op::IGE_DECRYPT, &dec),
                    op::IGE_DECRYPT,
                    &[("msg", Want::Hex(c.msg.as_bytes()))],
                    expected,
                    opts,
                ),
            ),
        ]);
        Some(Ran {
            judged,
            vector: merged(c, &g.group_type, &g.source, &[]),
        })
    }

    fn generate() -> Result<Vec<Suite<IgeGroup>>, GenerateError> {
        Ok(vec![ige_openssl()?, ige_aes256()?])
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
        "SingleBlock",
        "EDGE_CASE",
        "Exactly one 16-byte block: the chaining values come only from the IV.",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "EmptyInput",
        "EDGE_CASE",
        "A zero-length buffer. IGE over no blocks is the identity; an implementation may instead \
         refuse it, so the case is acceptable.",
        &[],
    ),
    (
        "NotBlockAligned",
        "MISSING_STEP",
        "The input (or encrypted_data) is not a multiple of 16 bytes. IGE has no padding: the \
         length must be rejected, not padded, truncated or read past.",
        &["https://core.telegram.org/mtproto/description"],
    ),
];

fn seq(n: usize, start: u8) -> Vec<u8> {
    (0..n)
        .map(|i| start.wrapping_add(u8::try_from(i % 256).unwrap_or(0)))
        .collect()
}

fn ige_case(
    b: &mut Builder,
    flags: &[&str],
    comment: String,
    (key, iv): (&[u8], &[u8]),
    (msg, ct): (Vec<u8>, Vec<u8>),
    result: Verdict,
    error: Option<&str>,
) -> Result<IgeCase, GenerateError> {
    let (tc_id, flags) = b.case(flags)?;
    Ok(IgeCase {
        tc_id,
        comment,
        flags,
        key: key.into(),
        iv: iv.into(),
        msg: msg.into(),
        ct: ct.into(),
        result,
        error: error.map(str::to_owned),
    })
}

fn ige_openssl() -> Result<(String, File<IgeGroup>), GenerateError> {
    let mut b = Builder::new("ige/aes128_ige_openssl_test.json", FLAGS);
    // spec §1.2: OpenSSL test/igetest.c, vectors 0 and 1.
    let tests = vec![
        ige_case(
            &mut b,
            &["Ktv"],
            "igetest.c vector 0 (AES_ENCRYPT): 32 zero bytes".into(),
            (&seq(16, 0), &seq(32, 0)),
            (
                vec![0; 32],
                h("1a8519a6557be652e9da8e43da4ef4453cf456b4ca488aa383c79c98b34797cb"),
            ),
            Verdict::Valid,
            None,
        )?,
        ige_case(
            &mut b,
            &["Ktv"],
            "igetest.c vector 1 (AES_DECRYPT): \"L. Let's hope Ben got it right!\\n\"".into(),
            (b"This is an imple", b"mentation of IGE mode for OpenSS"),
            (
                h("99706487a1cde613bc6de0b6f24b1c7aa448c8b9c3403e3467a8cad89340f53b"),
                b"L. Let's hope Ben got it right!\n".to_vec(),
            ),
            Verdict::Valid,
            None,
        )?,
    ];
    let group = IgeGroup {
        group_type: "IgeTest".into(),
        source: Source {
            name: "openssl-igetest".into(),
            version: "openssl test/igetest.c (spec §1.2)".into(),
        },
        tests,
    };
    Ok(b.finish(
        "AES-128-IGE",
        "ige_test_schema_v1.json",
        &[
            "AES-128-IGE known answers from OpenSSL's igetest.c (Ben Laurie's IGE paper), run \
             through the same IGE mode Telegram uses with AES-256.",
            "Each case is checked both ways: encrypt(msg) = ct and decrypt(ct) = msg.",
        ],
        vec![group],
    ))
}

fn ige256(key: &[u8; 32], iv: &[u8; 32], msg: &[u8]) -> Result<Vec<u8>, String> {
    let mut data = msg.to_vec();
    aes256_ige_encrypt(key, iv, &mut data).map_err(|e| e.to_string())?;
    Ok(data)
}

fn ige_aes256() -> Result<(String, File<IgeGroup>), GenerateError> {
    let name = "ige/aes256_ige_test.json";
    let mut b = Builder::new(name, FLAGS);
    let mut rng = Drbg::new("ige/aes256");
    // spec §1.3: grammers-crypto's tests; key = iv = input = bytes 0x00..0x1f.
    let s32 = seq(32, 0);
    let grammers = vec![
        ige_case(
            &mut b,
            &["Ktv"],
            "grammers: encrypt bytes 0x00..0x1f under key = iv = bytes 0x00..0x1f".into(),
            (&s32, &s32),
            (
                s32.clone(),
                h("e28112a53e5c89c7b1ea8071c133699fd4e86b26c4bac9fc5af1ab8ce27a44a4"),
            ),
            Verdict::Valid,
            None,
        )?,
        ige_case(
            &mut b,
            &["Ktv"],
            "grammers: decrypt bytes 0x00..0x1f under key = iv = bytes 0x00..0x1f".into(),
            (&s32, &s32),
            (
                h("e5777afacd7b2c16f7ac40cae61ef603fee6098fb8a8860ab9ee672cd7e5bacc"),
                s32.clone(),
            ),
            Verdict::Valid,
            None,
        )?,
    ];

    let mut lengths: Vec<usize> = (1..=64).map(|k| k * 16).collect();
    lengths.extend((1040..=4096).step_by(48));
    if !lengths.contains(&4096) {
        lengths.push(4096);
    }
    let mut generated = Vec::new();
    for len in lengths {
        let key = rng.array::<32>();
        let iv = rng.array::<32>();
        let msg = rng.bytes(len);
        let ct = ige256(&key, &iv, &msg).map_err(|e| gen_err(name, e))?;
        let flags: &[&str] = if len == 16 {
            &["Pseudorandom", "SingleBlock"]
        } else {
            &["Pseudorandom"]
        };
        generated.push(ige_case(
            &mut b,
            flags,
            format!("{len} bytes ({} blocks)", len / 16),
            (&key, &iv),
            (msg, ct),
            Verdict::Valid,
            None,
        )?);
    }
    {
        let key = rng.array::<32>();
        let iv = rng.array::<32>();
        generated.push(ige_case(
            &mut b,
            &["EmptyInput"],
            "empty input: the identity, or refused".into(),
            (&key, &iv),
            (Vec::new(), Vec::new()),
            Verdict::Acceptable,
            None,
        )?);
    }
    let mut bad: Vec<usize> = (1..=15).collect();
    bad.extend(17..=31);
    bad.extend([
        33, 40, 47, 49, 63, 65, 100, 255, 257, 1000, 1023, 1025, 2047, 4095, 4097,
    ]);
    for len in bad {
        let key = rng.array::<32>();
        let iv = rng.array::<32>();
        let msg = rng.bytes(len);
        let ct = rng.bytes(len);
        generated.push(ige_case(
            &mut b,
            &["NotBlockAligned"],
            format!("{len} bytes is not a multiple of 16: both directions must refuse"),
            (&key, &iv),
            (msg, ct),
            Verdict::Invalid,
            Some("NotBlockAligned"),
        )?);
    }
    let groups = vec![
        IgeGroup {
            group_type: "IgeTest".into(),
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto lib.rs tests (spec §1.3)".into(),
            },
            tests: grammers,
        },
        IgeGroup {
            group_type: "IgeTest".into(),
            source: self_source(),
            tests: generated,
        },
    ];
    Ok(b.finish(
        "AES-256-IGE",
        "ige_test_schema_v1.json",
        &[
            "AES-256-IGE as Telegram uses it (OpenSSL's IV layout: iv = y0 || x0).",
            "grammers' known answers, then generated coverage of every block count up to 64 and \
             longer buffers up to 4096 bytes, the empty buffer, and lengths that are not a \
             multiple of 16 (which both directions must refuse).",
        ],
        groups,
    ))
}
