//! The `rsa` family (spec §4.1, step 4 of the key exchange): the RSA key fingerprint and
//! RSA_PAD, the "RSA-OAEP+ variant" that carries `p_q_inner_data` to the server.
//!
//! - `RsaFingerprintTest`: `rsa.fingerprint` {n, e} = fingerprint, the 8 wire bytes of
//!   `SHA1(rsa_public_key n:string e:string)[12..20]`. The auth_key page defines n and e as
//!   numbers "in big endian format serialized as strings of bytes": the number fixes the bytes,
//!   so a modulus given with DER's leading zero byte, or an exponent written `00 01 00 01`, has
//!   the fingerprint of the number (flag `NonMinimalEncoding`). Every case is valid.
//! - `RsaPadEncryptTest`: `rsa.padEncrypt` {n, e, data, padding, tempKeys} = encryptedData and
//!   tempKeyIndex. `tempKeys` are the temp keys the client draws, in order; while
//!   `key_aes_encrypted >= n` the next one is used ("the previous steps starting from the
//!   generation of new random temp_key are repeated"). More than 144 bytes of data is invalid
//!   (`RsaDataTooLong`: "one has to check that data is not longer than 144 bytes").
//! - `RsaPadDecryptTest`: the server side, `rsa.padDecrypt` {n, e, d, encryptedData} =
//!   dataWithPadding and data (the `p_q_inner_data*` object at its front), with the project's
//!   test-only private key. The checks, in order: 256 bytes, `< n`, the SHA-256 over temp_key
//!   and all 192 bytes (before anything is parsed), the constructor, the object's end within 144
//!   bytes. Each invalid case fails exactly one of them, except the `HashBeforeParse` cases,
//!   which fail the hash and the parse on purpose: the spec's order decides which is named.
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key

mod generate;
mod keys;

use mtproto_iut::fields::put_hex;
use mtproto_iut::rsa::{RSA_FINGERPRINT, RSA_PAD_DECRYPT, RSA_PAD_ENCRYPT};
use mtproto_iut::{Fields, Iut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, Source};
use crate::core::generate::{GenerateError, Suite};
use crate::core::judge::{Ran, RunOptions, Want, judge_request, merged};
use crate::core::load::{LoadError, Part, check_len, err};
use crate::core::result::Verdict;

/// The `rsa` family.
#[derive(Clone, Copy, Debug)]
pub struct Rsa;

crate::case_struct! {
    /// An `RsaFingerprintTest` case.
    RsaFingerprintCase {
        /// The modulus, big-endian, as the case gives it (maybe with leading zero bytes).
        n: Hex,
        /// The public exponent, big-endian, as given.
        e: Hex,
        /// The fingerprint's 8 wire bytes (`SHA1(...)[12..20]`; the TL `long` read little-endian).
        fingerprint: Hex,
    }
}

crate::case_struct! {
    /// An `RsaPadEncryptTest` case.
    RsaPadEncryptCase {
        /// The TL object to carry, at most 144 bytes for a valid case.
        data: Hex,
        /// The random bytes that bring `data` to 192 bytes.
        padding: Hex,
        /// The temp keys the client draws, in order (32 bytes each).
        temp_keys: Vec<Hex>,
        /// 256 bytes (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_data: Option<Hex>,
        /// The index in `tempKeys` of the key that gave `key_aes_encrypted < n` (valid cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        temp_key_index: Option<u64>,
    }
}

crate::case_struct! {
    /// An `RsaPadDecryptTest` case.
    RsaPadDecryptCase {
        /// `encrypted_data` of `req_DH_params`.
        encrypted_data: Hex,
        /// 192 bytes (valid and acceptable cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_with_padding: Option<Hex>,
        /// The `p_q_inner_data*` object at its front (valid and acceptable cases).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Hex>,
    }
}

/// A group of `RsaFingerprintTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FingerprintGroup {
    /// `RsaFingerprintTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<RsaFingerprintCase>,
}

/// A group of `RsaPadEncryptTest` cases under one public key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptGroup {
    /// `RsaPadEncryptTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The modulus (256 bytes).
    pub n: Hex,
    /// The public exponent.
    pub e: Hex,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<RsaPadEncryptCase>,
}

/// A group of `RsaPadDecryptTest` cases under one private key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecryptGroup {
    /// `RsaPadDecryptTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The modulus (256 bytes).
    pub n: Hex,
    /// The public exponent.
    pub e: Hex,
    /// The private exponent (the project's test-only key; never a key Telegram uses).
    pub d: Hex,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<RsaPadDecryptCase>,
}

/// A group of the `rsa` family.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Group {
    /// `RsaFingerprintTest`.
    Fingerprint(FingerprintGroup),
    /// `RsaPadEncryptTest`.
    Encrypt(EncryptGroup),
    /// `RsaPadDecryptTest`.
    Decrypt(DecryptGroup),
}

impl CaseGroup for Group {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Fingerprint(_) => "RsaFingerprintTest",
            Self::Encrypt(_) => "RsaPadEncryptTest",
            Self::Decrypt(_) => "RsaPadDecryptTest",
        }
    }
    fn source(&self) -> &Source {
        match self {
            Self::Fingerprint(g) => &g.source,
            Self::Encrypt(g) => &g.source,
            Self::Decrypt(g) => &g.source,
        }
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        match self {
            Self::Fingerprint(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
            Self::Encrypt(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
            Self::Decrypt(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
        }
    }
}

impl Family for Rsa {
    type Group = Group;

    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: "RsaFingerprintTest",
            family: "rsa",
            schema: "rsa_fingerprint_test_schema_v1.json",
            errors: None,
        },
        GroupType {
            name: "RsaPadEncryptTest",
            family: "rsa",
            schema: "rsa_pad_encrypt_test_schema_v1.json",
            errors: Some(&["RsaDataTooLong"]),
        },
        GroupType {
            name: "RsaPadDecryptTest",
            family: "rsa",
            schema: "rsa_pad_decrypt_test_schema_v1.json",
            errors: Some(&[
                "RsaCiphertextWrongSize",
                "RsaCiphertextOutOfRange",
                "RsaPadHashMismatch",
                "UnexpectedConstructor",
                "RsaDataTooLong",
            ]),
        },
    ];

    fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
        Ok(match group_type {
            "RsaFingerprintTest" => Group::Fingerprint(part.parse()?),
            "RsaPadEncryptTest" => Group::Encrypt(part.parse()?),
            _ => Group::Decrypt(part.parse()?),
        })
    }

    /// Lengths (fingerprint 8, n 256, temp keys 32, ciphertexts 256, data_with_padding 192),
    /// every fingerprint case valid, and the outputs present exactly where a case accepts: a
    /// valid encryption gives encryptedData and tempKeyIndex (an index into tempKeys), a valid
    /// or acceptable decryption gives dataWithPadding and data (its prefix), an invalid case
    /// neither.
    fn check(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
        let at = |t: usize| format!("testGroups[{g}].tests[{t}]");
        match group {
            Group::Fingerprint(grp) => {
                for (t, c) in grp.tests.iter().enumerate() {
                    check_len(file, &at(t), "fingerprint", &c.fingerprint, &[8])?;
                    if c.result != Verdict::Valid {
                        return Err(err(
                            file,
                            at(t),
                            "an RsaFingerprintTest case is valid: every (n, e) has a fingerprint",
                        ));
                    }
                }
            }
            Group::Encrypt(grp) => {
                check_len(file, &format!("testGroups[{g}]"), "n", &grp.n, &[256])?;
                for (t, c) in grp.tests.iter().enumerate() {
                    for (i, k) in c.temp_keys.iter().enumerate() {
                        check_len(file, &at(t), &format!("tempKeys[{i}]"), k, &[32])?;
                    }
                    let valid = c.result == Verdict::Valid;
                    if valid != (c.encrypted_data.is_some() && c.temp_key_index.is_some())
                        || c.encrypted_data.is_some() != c.temp_key_index.is_some()
                    {
                        return Err(err(
                            file,
                            at(t),
                            "a valid case gives encryptedData and tempKeyIndex, another neither",
                        ));
                    }
                    if let Some(ct) = &c.encrypted_data {
                        check_len(file, &at(t), "encryptedData", ct, &[256])?;
                    }
                    if let Some(i) = c.temp_key_index
                        && !usize::try_from(i).is_ok_and(|i| i < c.temp_keys.len())
                    {
                        return Err(err(
                            file,
                            format!("{}.tempKeyIndex", at(t)),
                            "not an index into tempKeys",
                        ));
                    }
                }
            }
            Group::Decrypt(grp) => {
                check_len(file, &format!("testGroups[{g}]"), "n", &grp.n, &[256])?;
                for (t, c) in grp.tests.iter().enumerate() {
                    let answers = matches!(c.result, Verdict::Valid | Verdict::Acceptable);
                    let (Some(dwp), Some(data)) = (&c.data_with_padding, &c.data) else {
                        if answers || c.data_with_padding.is_some() || c.data.is_some() {
                            return Err(err(
                                file,
                                at(t),
                                "a valid or acceptable case gives dataWithPadding and data, an \
                                 invalid one neither",
                            ));
                        }
                        continue;
                    };
                    if !answers {
                        return Err(err(
                            file,
                            at(t),
                            "an invalid case gives neither dataWithPadding nor data",
                        ));
                    }
                    check_len(file, &at(t), "dataWithPadding", dwp, &[192])?;
                    if !dwp.as_bytes().starts_with(data.as_bytes()) {
                        return Err(err(
                            file,
                            format!("{}.data", at(t)),
                            "not the front of dataWithPadding",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn run(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        let mut req = Fields::new();
        let (answer, op, wants, expected, vector) = match group {
            Group::Fingerprint(g) => {
                let c = g.tests.get(index)?;
                put_hex(&mut req, "n", c.n.as_bytes());
                put_hex(&mut req, "e", c.e.as_bytes());
                let wants = vec![("fingerprint", Want::Hex(c.fingerprint.as_bytes()))];
                (
                    iut.call(RSA_FINGERPRINT, &req),
                    RSA_FINGERPRINT,
                    wants,
                    (c.result, c.error.as_deref()),
                    merged(c, &g.group_type, &g.source, &[]),
                )
            }
            Group::Encrypt(g) => {
                let c = g.tests.get(index)?;
                put_hex(&mut req, "n", g.n.as_bytes());
                put_hex(&mut req, "e", g.e.as_bytes());
                put_hex(&mut req, "data", c.data.as_bytes());
                put_hex(&mut req, "padding", c.padding.as_bytes());
                req.insert(
                    "tempKeys".into(),
                    Value::Array(
                        c.temp_keys
                            .iter()
                            .map(|k| Value::String(k.to_hex()))
                            .collect(),
                    ),
                );
                let mut wants = Vec::new();
                if let (Some(ct), Some(i)) = (&c.encrypted_data, c.temp_key_index) {
                    wants.push(("encryptedData", Want::Hex(ct.as_bytes())));
                    wants.push(("tempKeyIndex", Want::Int(i64::try_from(i).ok()?)));
                }
                let key = [
                    ("n", Value::String(g.n.to_hex())),
                    ("e", Value::String(g.e.to_hex())),
                ];
                (
                    iut.call(RSA_PAD_ENCRYPT, &req),
                    RSA_PAD_ENCRYPT,
                    wants,
                    (c.result, c.error.as_deref()),
                    merged(c, &g.group_type, &g.source, &key),
                )
            }
            Group::Decrypt(g) => {
                let c = g.tests.get(index)?;
                put_hex(&mut req, "n", g.n.as_bytes());
                put_hex(&mut req, "e", g.e.as_bytes());
                put_hex(&mut req, "d", g.d.as_bytes());
                put_hex(&mut req, "encryptedData", c.encrypted_data.as_bytes());
                let mut wants = Vec::new();
                if let (Some(dwp), Some(data)) = (&c.data_with_padding, &c.data) {
                    wants.push(("dataWithPadding", Want::Hex(dwp.as_bytes())));
                    wants.push(("data", Want::Hex(data.as_bytes())));
                }
                let key = [
                    ("n", Value::String(g.n.to_hex())),
                    ("e", Value::String(g.e.to_hex())),
                    ("d", Value::String(g.d.to_hex())),
                ];
                (
                    iut.call(RSA_PAD_DECRYPT, &req),
                    RSA_PAD_DECRYPT,
                    wants,
                    (c.result, c.error.as_deref()),
                    merged(c, &g.group_type, &g.source, &key),
                )
            }
        };
        let judged = judge_request(answer, op, &wants, expected, opts);
        Some(Ran { judged, vector })
    }

    fn generate() -> Result<Vec<Suite<Group>>, GenerateError> {
        Ok(vec![
            generate::fingerprint()?,
            generate::encrypt()?,
            generate::decrypt()?,
        ])
    }
}
