//! The deterministic generator of the shipped suites (`mtproto-harness vectors generate`).
//!
//! Every random byte comes from a [`Drbg`]: SHA-256 in counter mode over a seed derived from a
//! fixed label per suite, so the output never changes unless this code does. Known answers from
//! independent origins (OpenSSL igetest, grammers, a real Telegram server packet) are copied from
//! the protocol digest (`spec/MTPROTO.md` §1.2, §1.3, §11.2) and kept in groups of their own;
//! every other value is computed by the reference and marked `source.name = "self"`.
//!
//! Invalid envelope cases are built so that only the check they are named after can reject them:
//! a malformed plaintext is sealed with [`mtproto::envelope::seal`], which gives it a correct
//! msg_key; a modified msg_key is paired with a ciphertext that decrypts, under the keys that
//! msg_key derives, to a well-formed message; and so on (see each builder).
//!
//! Output is pretty JSON with a 2-space indent and a trailing newline. A test asserts that
//! regenerating gives the committed files byte for byte.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use mtproto::crypto::ige::aes256_ige_encrypt;
use mtproto::crypto::kdf;
use mtproto::envelope::{self, Message};
use mtproto::{AuthKey, Direction};
use sha2::{Digest, Sha256};

use crate::model::{
    DirectionName, EnvelopeDecryptCase, EnvelopeDecryptGroup, EnvelopeEncryptCase,
    EnvelopeEncryptGroup, Hex, IgeCase, IgeGroup, MsgKeyCase, MsgKeyGroup, Note, ReceiverName,
    Source, TestGroup, VectorFile,
};
use crate::result::Verdict;

/// Why generation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateError {
    /// The file being generated.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for GenerateError {}

fn gen_err(file: &str, message: impl fmt::Display) -> GenerateError {
    GenerateError {
        file: file.to_owned(),
        message: message.to_string(),
    }
}

/// A deterministic byte stream: block `i` is `SHA-256(seed ‖ i as u64 little-endian)`, where
/// `seed = SHA-256("mtproto-harness vectors v1" ‖ 0x00 ‖ label)`.
#[derive(Clone, Debug)]
pub struct Drbg {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    used: usize,
}

impl Drbg {
    /// A stream for `label`.
    pub fn new(label: &str) -> Self {
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"mtproto-harness vectors v1\0")
            .chain_update(label.as_bytes())
            .finalize()
            .into();
        Self {
            seed,
            counter: 0,
            buf: [0; 32],
            used: 32,
        }
    }

    /// Fill `out` with the next bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used >= self.buf.len() {
                self.buf = Sha256::new()
                    .chain_update(self.seed)
                    .chain_update(self.counter.to_le_bytes())
                    .finalize()
                    .into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *byte = self.buf.get(self.used).copied().unwrap_or(0);
            self.used = self.used.saturating_add(1);
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        self.fill(&mut a);
        a
    }

    /// A number in `0..n` (`0` for `n = 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        u64::from_le_bytes(self.array::<8>()) % n
    }

    /// A `usize` in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = u64::try_from(hi.saturating_sub(lo)).unwrap_or(u64::MAX);
        lo.saturating_add(usize::try_from(self.below(span.saturating_add(1))).unwrap_or(0))
    }
}

/// Every flag the suites use, with its Wycheproof bug type, description and links.
const FLAGS: &[(&str, &str, &str, &[&str])] = &[
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
    (
        "PaddingInMsgKey",
        "MISSING_STEP",
        "msg_key is the middle of SHA-256 over the whole plaintext including the random padding \
         (MTProto 2.0); MTProto 1.0 hashed only up to the body and gets a different value.",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "PaddingBoundary",
        "EDGE_CASE",
        "Padding of exactly 12 or exactly 1024 bytes, the limits of the allowed range.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "EmptyBody",
        "EDGE_CASE",
        "message_data_length = 0.",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "PaddingTooShort",
        "MISSING_STEP",
        "Fewer than 12 bytes of padding (spec §3.1 R5: padding must be 12..1024 bytes). \
         Decrypt cases carry a correct msg_key, so only the padding check can reject them.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "PaddingTooLong",
        "MISSING_STEP",
        "More than 1024 bytes of padding (spec §3.1 R5). Decrypt cases carry a correct msg_key, \
         so only the padding check can reject them.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "LengthNotAligned",
        "MISSING_STEP",
        "message_data_length (or the body) is not divisible by 4 (spec §3.1 R5). Decrypt cases \
         carry a correct msg_key and a padding within 12..1024, so only this check can reject \
         them.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "LengthPastPlaintext",
        "MISSING_STEP",
        "message_data_length runs past the end of the decrypted plaintext (spec §3.1 R5: never \
         read past the decryption buffer). The msg_key is correct.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "NegativeLength",
        "EDGE_CASE",
        "message_data_length is negative as a signed 32-bit value (spec §3.1 R5: it must be \
         non-negative). Chosen so that a receiver computing the padding as available - length \
         finds it in range; the msg_key is correct.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "LeadingZeroKey",
        "EDGE_CASE",
        "An auth key whose first byte is zero (one DH result in 256): auth_key_id and \
         auth_key_aux_hash are SHA-1 over all 256 bytes. An implementation that keeps the key as \
         a minimal big-endian integer hashes 255 and gets another id (spec §2.1).",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "WrongSessionId",
        "MISSING_STEP",
        "A correctly encrypted message whose session_id is not the receiver's (spec §3.1 R6).",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "WrongAuthKeyId",
        "MISSING_STEP",
        "A packet that is correct under the receiver's key except that auth_key_id names \
         another key (spec §3.1 R1).",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "UnencryptedMarker",
        "EDGE_CASE",
        "auth_key_id = 0 (the unencrypted-message marker) on a packet that is otherwise correct \
         under the receiver's key: it must not be decrypted as an encrypted message (spec §3.1 R1).",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "ModifiedMsgKey",
        "AUTH_BYPASS",
        "One bit of msg_key flipped, with encrypted_data re-encrypted under the keys that the \
         modified msg_key derives: the plaintext decrypts to a well-formed message, and only the \
         msg_key check (spec §3.1 R4) can reject it.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "ModifiedCiphertext",
        "MALLEABILITY",
        "One bit of one ciphertext block flipped. A flip in the last block garbles only padding, \
         which only the msg_key check over the whole plaintext (spec §3.1 R4) can notice.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "Truncated",
        "MODIFIED_PARAMETER",
        "A valid packet cut short: by whole blocks (msg_key no longer matches), by part of a \
         block (not block aligned) or below the fixed header.",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "EncryptedDataTooShort",
        "MISSING_STEP",
        "encrypted_data under 48 bytes (32-byte header + 12 bytes of padding, rounded up), with \
         a correct msg_key (spec §3.1 R2).",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "PacketTooShort",
        "EDGE_CASE",
        "Fewer than the 24 bytes of auth_key_id and msg_key.",
        &["https://core.telegram.org/mtproto/description"],
    ),
    (
        "WrongReceiver",
        "MODIFIED_PARAMETER",
        "A correct packet for the other direction (x = 0 instead of 8 or the reverse): a \
         receiver that derives keys with the wrong x accepts reflected messages.",
        &["https://core.telegram.org/mtproto/description"],
    ),
];

const SELF_VERSION: &str = "mtproto-vectors generator v1";

fn self_source() -> Source {
    Source {
        name: "self".into(),
        version: SELF_VERSION.into(),
    }
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_default()
}

fn seq(n: usize, start: u8) -> Vec<u8> {
    (0..n)
        .map(|i| start.wrapping_add(u8::try_from(i % 256).unwrap_or(0)))
        .collect()
}

/// Assigns tcIds and collects the notes a file uses.
struct Builder {
    file: String,
    next_id: u64,
    notes: BTreeMap<String, Note>,
}

impl Builder {
    fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            next_id: 1,
            notes: BTreeMap::new(),
        }
    }

    /// The next tcId, and the flags (as strings) with their notes recorded.
    fn case(&mut self, flags: &[&str]) -> Result<(u64, Vec<String>), GenerateError> {
        for &flag in flags {
            let Some(&(_, bug_type, description, links)) =
                FLAGS.iter().find(|(name, ..)| *name == flag)
            else {
                return Err(gen_err(&self.file, format!("no note for flag {flag}")));
            };
            self.notes.insert(
                flag.to_owned(),
                Note {
                    bug_type: bug_type.to_owned(),
                    description: description.to_owned(),
                    effect: None,
                    links: links.iter().map(|&l| l.to_owned()).collect(),
                    cves: Vec::new(),
                },
            );
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        Ok((id, flags.iter().map(|&f| f.to_owned()).collect()))
    }

    fn finish(
        self,
        algorithm: &str,
        schema: &str,
        header: &[&str],
        groups: Vec<TestGroup>,
    ) -> (String, VectorFile) {
        let total: usize = groups.iter().map(TestGroup::len).sum();
        let vf = VectorFile {
            path: self.file.clone(),
            family: crate::load::family_of(&format!("vectors/{}", self.file)),
            algorithm: algorithm.to_owned(),
            schema: schema.to_owned(),
            number_of_tests: u64::try_from(total).unwrap_or(u64::MAX),
            header: header.iter().map(|&s| s.to_owned()).collect(),
            notes: self.notes,
            test_groups: groups,
        };
        (self.file, vf)
    }
}

/// Every suite, in memory: `(path relative to vectors/, file)`.
pub fn suites() -> Result<Vec<(String, VectorFile)>, GenerateError> {
    let mut all = vec![
        ige_openssl()?,
        ige_aes256()?,
        msg_key()?,
        envelope_encrypt()?,
        envelope_decrypt()?,
    ];
    all.extend(crate::session::suites()?);
    all.extend(crate::transport::suites(self_source())?);
    all.extend(crate::tl::suites(self_source())?);
    all.extend(crate::handshake::suites()?);
    all.extend(crate::secret_gen::suites()?);
    all.push(crate::call_replay::suite()?);
    Ok(all)
}

/// Write every suite under `out_dir` (the `vectors/` directory), creating family directories.
/// Returns the paths written.
pub fn generate(out_dir: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let mut written = Vec::new();
    for (rel, vf) in suites()? {
        let path = out_dir.join(&rel);
        let text = vf.to_json_pretty().map_err(|e| gen_err(&rel, e))?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| gen_err(&rel, e))?;
        }
        fs::write(&path, text).map_err(|e| gen_err(&rel, e))?;
        written.push(path);
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// IGE

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

fn ige_openssl() -> Result<(String, VectorFile), GenerateError> {
    let mut b = Builder::new("ige/aes128_ige_openssl_test.json");
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
    let group = TestGroup::Ige(IgeGroup {
        group_type: "IgeTest".into(),
        source: Source {
            name: "openssl-igetest".into(),
            version: "openssl test/igetest.c (spec §1.2)".into(),
        },
        tests,
    });
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

fn ige_aes256() -> Result<(String, VectorFile), GenerateError> {
    let name = "ige/aes256_ige_test.json";
    let mut b = Builder::new(name);
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
        TestGroup::Ige(IgeGroup {
            group_type: "IgeTest".into(),
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto lib.rs tests (spec §1.3)".into(),
            },
            tests: grammers,
        }),
        TestGroup::Ige(IgeGroup {
            group_type: "IgeTest".into(),
            source: self_source(),
            tests: generated,
        }),
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

// ---------------------------------------------------------------------------------------------
// KDF

const HELLO: &[u8] = b"Hello, world! This data should remain secure!";

/// spec §11.2: the real server packet that grammers' tests decrypt.
const SERVER_AUTH_KEY: &str = "5d2e7d65f49ec28bd029a88761ea27b8a4c79f12226525443e7d7c596ef330353\
0db2107e89aa997c7a0164ab694187adeff156bd6ef7118a1962347753c0e7e89a0354b8ec364f9997e71bc6923fb86\
e8e43491e010606a6ce845e2fa01940977ef0aa32adf5a97dbf6d428ec0434d717a2d3ad19622cc05887642113c7965f\
fb862a3e3ccb0ab95addda57f89245dbd76b492348f8e94bd5a7c0e0b84808523cfd1ea80b32fe9ad198bc2e103fceb7\
d52492ecc0273a28674bc923eee59265ab17a002df1f4aa2c59b819a5e5e1d105ec117336f5c76c6b187037d4b4270ce\
e9cc21071d97e9bca220c6d7b01b998cf2e5cdb9a50ecda1852a36e635690c8e";
const SERVER_PACKET: &str = "7a7183c2c10e4f4df945fa9a9abd35e7c3840b61f045304f39674c19c0e209784f\
50f6226a073529d675c92cbf0bfa8c99a79b3f39c72a5d9a026d431ab7407ca04ecc55187d6c45f17871524edd90cea0\
2ed728e14d7cb18aea2a636158f09459a9437710d894c79f368c4e8164b7647ea98612aefe942c5d92121acb8db02dcc\
ceb66d0f8720ac12a06db0582bfd955be34f365118e3bab8cd080ce6b45b28eac56dcd2a29374e";
const SERVER_PLAINTEXT: &str = "fc826a02248b28fd60f2c4822443ad6801f0c1c2918b305e02000000580000\
00dcf8f1730200000001a8c1c2918b305e010000001c0000000809c29ec4fd33ad918b305e18a88ea607ee5816fc826a\
02248b28fd01ccc1c2918b305e0200000014000000c5737734c4fd33ad918b305e6408300000000000fce66704a3cd8e\
e9d0ae6fab672c60c04a3f1fd4490e51f6";
/// spec §11.2: grammers' encryption of [`HELLO`] + 19 zero bytes, x = 0, auth_key 0x00..0xff.
const HELLO_PACKET: &str = "32d1586ea457dfc8a81729d46db54019a2bfd7f744f9b96c4f716cfdc4477db2a2c1\
5f6ddb85235fb9552f1d8407c6aaea00cc844c5a1bf6ac44b79b5edc2a23868b3d6073a590992c0f2975243d563ea18\
0d218ee757c9a";

fn hello_plaintext() -> Vec<u8> {
    let mut p = HELLO.to_vec();
    p.resize(64, 0);
    p
}

fn auth_key(bytes: &[u8], file: &str) -> Result<AuthKey, GenerateError> {
    AuthKey::from_slice(bytes).map_err(|e| gen_err(file, e))
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

fn msg_key() -> Result<(String, VectorFile), GenerateError> {
    let name = "kdf/msg_key_test.json";
    let mut b = Builder::new(name);
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
        TestGroup::MsgKey(MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: DirectionName::ClientToServer,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto tests (spec §11.2)".into(),
            },
            tests: grammers_c2s,
        }),
        TestGroup::MsgKey(MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: DirectionName::ServerToClient,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto tests, a real server packet (spec §11.2)".into(),
            },
            tests: grammers_s2c,
        }),
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
        groups.push(TestGroup::MsgKey(MsgKeyGroup {
            group_type: "MsgKeyTest".into(),
            direction: dir,
            source: self_source(),
            tests,
        }));
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

// ---------------------------------------------------------------------------------------------
// Envelope

/// Random message fields, with a msg_id of the right parity for the sender (spec §3.1 R7).
struct Fields {
    salt: [u8; 8],
    session_id: [u8; 8],
    msg_id: [u8; 8],
    seq_no: i32,
}

fn random_fields(rng: &mut Drbg, direction: Direction) -> Fields {
    // msg_id ≈ unixtime · 2^32: a time in 2024..2026 and random low bits with the sender's parity.
    let time = 1_704_067_200u64.saturating_add(rng.below(2 * 365 * 86_400));
    let low = u64::from(u32::from_le_bytes(rng.array::<4>()));
    let low = match direction {
        Direction::ClientToServer => low & !3,
        Direction::ServerToClient => (low & !3) | if rng.below(2) == 0 { 1 } else { 3 },
    };
    let msg_id = (time << 32) | low;
    let seq_no = i32::try_from(rng.below(2000)).unwrap_or(0);
    Fields {
        salt: rng.array(),
        session_id: rng.array(),
        msg_id: msg_id.to_le_bytes(),
        seq_no,
    }
}

/// The plaintext header and body with the given `message_data_length` field, then `padding`.
fn plaintext(f: &Fields, length_field: i32, body: &[u8], padding: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(
        32usize
            .saturating_add(body.len())
            .saturating_add(padding.len()),
    );
    p.extend_from_slice(&f.salt);
    p.extend_from_slice(&f.session_id);
    p.extend_from_slice(&f.msg_id);
    p.extend_from_slice(&f.seq_no.to_le_bytes());
    p.extend_from_slice(&length_field.to_le_bytes());
    p.extend_from_slice(body);
    p.extend_from_slice(padding);
    p
}

/// Padding length for a body of `body_len` bytes: at least `min`, making the plaintext a multiple
/// of 16.
fn padding_for(body_len: usize, min: usize) -> usize {
    let used = 32usize.saturating_add(body_len).saturating_add(min);
    min.saturating_add((16 - used % 16) % 16)
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn dir_name(d: Direction) -> DirectionName {
    match d {
        Direction::ClientToServer => DirectionName::ClientToServer,
        Direction::ServerToClient => DirectionName::ServerToClient,
    }
}

fn envelope_encrypt() -> Result<(String, VectorFile), GenerateError> {
    let name = "envelope/envelope_encrypt_test.json";
    let mut b = Builder::new(name);
    let mut groups = Vec::new();
    for dir in [DirectionName::ClientToServer, DirectionName::ServerToClient] {
        let mut rng = Drbg::new(&format!("envelope/encrypt/{}", dir.as_str()));
        let direction = dir.direction();
        let mut tests = Vec::new();
        let mut push = |b: &mut Builder,
                        rng: &mut Drbg,
                        flags: &[&str],
                        comment: String,
                        body: Vec<u8>,
                        padding: Vec<u8>,
                        error: Option<&str>|
         -> Result<(), GenerateError> {
            let key_bytes = rng.bytes(256);
            let key = auth_key(&key_bytes, name)?;
            let f = random_fields(rng, direction);
            let message = Message {
                salt: i64::from_le_bytes(f.salt),
                session_id: i64::from_le_bytes(f.session_id),
                msg_id: i64::from_le_bytes(f.msg_id),
                seq_no: f.seq_no,
                body: &body,
            };
            // Each invalid case breaks exactly the rule it is named after; a valid one breaks none.
            let broken = encrypt_rules_broken(body.len(), padding.len());
            if broken != error.into_iter().collect::<Vec<_>>() {
                return Err(gen_err(
                    name,
                    format!("{comment}: breaks {broken:?}, but the case expects {error:?}"),
                ));
            }
            let packet = envelope::encrypt(&key, direction, &message, &padding);
            let (result, packet) = match (error, packet) {
                (None, Ok(p)) => (Verdict::Valid, Some(Hex(p))),
                (Some(want), Err(e)) if mtproto::ProtocolError::name(&e) == want => {
                    (Verdict::Invalid, None)
                }
                (want, got) => {
                    return Err(gen_err(
                        name,
                        format!("{comment}: the reference gave {got:?}, expected {want:?}"),
                    ));
                }
            };
            let (tc_id, flags) = b.case(flags)?;
            tests.push(EnvelopeEncryptCase {
                tc_id,
                comment,
                flags,
                auth_key: Hex(key_bytes),
                salt: Hex(f.salt.to_vec()),
                session_id: Hex(f.session_id.to_vec()),
                msg_id: Hex(f.msg_id.to_vec()),
                seq_no: f.seq_no,
                body: Hex(body),
                padding: Hex(padding),
                packet,
                result,
                error: error.map(str::to_owned),
            });
            Ok(())
        };
        // Valid: body lengths across 0..=1024 (multiples of 4), paddings across 12..=1024.
        for i in 0..60usize {
            let body_len = match i {
                0 => 0,
                1 => 4,
                2 => 1024,
                _ => 4usize.saturating_mul(rng.range(0, 128)),
            };
            let min_pad = match i {
                3..=20 => rng.range(12, 28),
                21..=30 => rng.range(28, 1009),
                _ => 12,
            };
            let pad_len = padding_for(body_len, min_pad);
            let body = rng.bytes(body_len);
            let padding = rng.bytes(pad_len);
            let mut flags = vec!["Pseudorandom"];
            if body_len == 0 {
                flags.push("EmptyBody");
            }
            if pad_len == 12 || pad_len == 1024 {
                flags.push("PaddingBoundary");
            }
            push(
                &mut b,
                &mut rng,
                &flags,
                format!("{body_len}-byte body, {pad_len} bytes of padding"),
                body,
                padding,
                None,
            )?;
        }
        // Padding of exactly 1024: body length with 32 + L + 1024 ≡ 0 (mod 16) ⇒ L ≡ 0 (mod 16).
        for body_len in [0usize, 16, 64] {
            let body = rng.bytes(body_len);
            let padding = rng.bytes(1024);
            let mut flags = vec!["Pseudorandom", "PaddingBoundary"];
            if body_len == 0 {
                flags.push("EmptyBody");
            }
            push(
                &mut b,
                &mut rng,
                &flags,
                format!("{body_len}-byte body, 1024 bytes of padding (the most allowed)"),
                body,
                padding,
                None,
            )?;
        }
        // Invalid: what a sender must refuse to build.
        for (body_len, pad_len) in [(16usize, 0usize), (12, 4), (8, 8), (24, 8), (40, 8)] {
            let body = rng.bytes(body_len);
            let padding = rng.bytes(pad_len);
            push(
                &mut b,
                &mut rng,
                &["PaddingTooShort"],
                format!("{pad_len} bytes of padding after a {body_len}-byte body"),
                body,
                padding,
                Some("PaddingTooShort"),
            )?;
        }
        for (body_len, pad_len) in [(12usize, 1028usize), (8, 1032), (0, 1040), (16, 2048)] {
            let body = rng.bytes(body_len);
            let padding = rng.bytes(pad_len);
            push(
                &mut b,
                &mut rng,
                &["PaddingTooLong"],
                format!("{pad_len} bytes of padding after a {body_len}-byte body"),
                body,
                padding,
                Some("PaddingTooLong"),
            )?;
        }
        // Padding in 12..=1024 that makes 32 + body + padding a multiple of 16, so that only the
        // body length is wrong.
        for body_len in [1usize, 2, 3, 5, 13, 30] {
            let body = rng.bytes(body_len);
            let padding = rng.bytes(padding_for(body_len, 12));
            push(
                &mut b,
                &mut rng,
                &["LengthNotAligned"],
                format!("a {body_len}-byte body is not a multiple of 4"),
                body,
                padding,
                Some("LengthNotAligned"),
            )?;
        }
        for (body_len, pad_len) in [(0usize, 12usize), (4, 13), (8, 20), (16, 15), (64, 100)] {
            let body = rng.bytes(body_len);
            let padding = rng.bytes(pad_len);
            push(
                &mut b,
                &mut rng,
                &["NotBlockAligned"],
                format!(
                    "32 + {body_len} + {pad_len} = {} bytes of plaintext is not a multiple of 16",
                    32 + body_len + pad_len
                ),
                body,
                padding,
                Some("NotBlockAligned"),
            )?;
        }
        groups.push(TestGroup::EnvelopeEncrypt(EnvelopeEncryptGroup {
            group_type: "EnvelopeEncryptTest".into(),
            direction: dir,
            source: self_source(),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto-2.0-envelope",
        "envelope_encrypt_test_schema_v1.json",
        &[
            "Building an encrypted MTProto 2.0 message (spec §2.1): the exact packet for given \
             header fields, body and padding, in both directions.",
            "Invalid cases are inputs a conformant sender refuses: padding outside 12..1024, a \
             body that is not a multiple of 4, a plaintext that is not a multiple of 16.",
        ],
        groups,
    ))
}

/// The rules of spec §2.1 / §3.1 R5 a sender's inputs break, as the errors that name them:
/// the body a multiple of 4, the padding within 12..=1024, the plaintext (32-byte header, body,
/// padding) a multiple of 16.
fn encrypt_rules_broken(body_len: usize, pad_len: usize) -> Vec<&'static str> {
    let mut broken = Vec::new();
    if !body_len.is_multiple_of(4) {
        broken.push("LengthNotAligned");
    }
    if pad_len < 12 {
        broken.push("PaddingTooShort");
    }
    if pad_len > 1024 {
        broken.push("PaddingTooLong");
    }
    if !32usize
        .saturating_add(body_len)
        .saturating_add(pad_len)
        .is_multiple_of(16)
    {
        broken.push("NotBlockAligned");
    }
    broken
}

/// Builds decrypt cases for one receiver.
struct DecryptCases<'a> {
    b: &'a mut Builder,
    rng: Drbg,
    name: &'static str,
    receiver: ReceiverName,
    direction: Direction,
    tests: Vec<EnvelopeDecryptCase>,
}

/// A valid message: its key, fields, body and padding, and the packet.
struct Sample {
    key_bytes: Vec<u8>,
    fields: Fields,
    body: Vec<u8>,
    padding_len: usize,
    packet: Vec<u8>,
}

impl DecryptCases<'_> {
    fn key(&mut self) -> Result<(Vec<u8>, AuthKey), GenerateError> {
        let bytes = self.rng.bytes(256);
        let key = auth_key(&bytes, self.name)?;
        Ok((bytes, key))
    }

    fn seal(
        &self,
        key: &AuthKey,
        direction: Direction,
        pt: &[u8],
    ) -> Result<Vec<u8>, GenerateError> {
        envelope::seal(key, direction, pt).map_err(|e| gen_err(self.name, e))
    }

    fn sample(&mut self, body_len: usize, padding_len: usize) -> Result<Sample, GenerateError> {
        let (key_bytes, key) = self.key()?;
        let fields = random_fields(&mut self.rng, self.direction);
        let body = self.rng.bytes(body_len);
        let padding = self.rng.bytes(padding_len);
        let pt = plaintext(&fields, len_i32(body_len), &body, &padding);
        let packet = self.seal(&key, self.direction, &pt)?;
        Ok(Sample {
            key_bytes,
            fields,
            body,
            padding_len,
            packet,
        })
    }

    /// Valid messages under keys that start with `zeros` zero bytes (flag `LeadingZeroKey`).
    fn leading_zero_keys(&mut self) -> Result<(), GenerateError> {
        for zeros in [1usize, 2] {
            let mut key_bytes = vec![0u8; zeros];
            // A nonzero byte after the zeros, so the key has exactly `zeros` leading zeros.
            key_bytes.push(self.rng.bytes(1).first().copied().unwrap_or(0) | 1);
            key_bytes.extend(self.rng.bytes(255_usize.saturating_sub(zeros)));
            let key = auth_key(&key_bytes, self.name)?;
            let fields = random_fields(&mut self.rng, self.direction);
            let body = self.rng.bytes(32);
            let padding_len = padding_for(body.len(), 12);
            let padding = self.rng.bytes(padding_len);
            let pt = plaintext(&fields, len_i32(body.len()), &body, &padding);
            let packet = self.seal(&key, self.direction, &pt)?;
            self.valid(
                &["LeadingZeroKey"],
                format!(
                    "a key starting with {zeros} zero byte(s): auth_key_id is SHA-1 over all 256 \
                     bytes"
                ),
                Sample {
                    key_bytes,
                    fields,
                    body,
                    padding_len,
                    packet,
                },
            )?;
        }
        Ok(())
    }

    fn valid(&mut self, flags: &[&str], comment: String, s: Sample) -> Result<(), GenerateError> {
        let (tc_id, flags) = self.b.case(flags)?;
        self.tests.push(EnvelopeDecryptCase {
            tc_id,
            comment,
            flags,
            auth_key: Hex(s.key_bytes),
            session_id: Hex(s.fields.session_id.to_vec()),
            packet: Hex(s.packet),
            salt: Some(Hex(s.fields.salt.to_vec())),
            msg_id: Some(Hex(s.fields.msg_id.to_vec())),
            seq_no: Some(s.fields.seq_no),
            body: Some(Hex(s.body)),
            result: Verdict::Valid,
            error: None,
        });
        Ok(())
    }

    /// An invalid case; checks that the reference names `error`, so a vector can never ship
    /// with an expectation the reference contradicts.
    fn invalid(
        &mut self,
        flags: &[&str],
        comment: String,
        key_bytes: Vec<u8>,
        session_id: [u8; 8],
        packet: Vec<u8>,
        error: &str,
    ) -> Result<(), GenerateError> {
        let key = auth_key(&key_bytes, self.name)?;
        let got = envelope::decrypt(
            &key,
            self.receiver.receiver(),
            i64::from_le_bytes(session_id),
            &packet,
        );
        match got {
            Err(e) if mtproto::ProtocolError::name(&e) == error => {}
            other => {
                return Err(gen_err(
                    self.name,
                    format!("{comment}: the reference gave {other:?}, expected {error}"),
                ));
            }
        }
        let (tc_id, flags) = self.b.case(flags)?;
        self.tests.push(EnvelopeDecryptCase {
            tc_id,
            comment,
            flags,
            auth_key: Hex(key_bytes),
            session_id: Hex(session_id.to_vec()),
            packet: Hex(packet),
            salt: None,
            msg_id: None,
            seq_no: None,
            body: None,
            result: Verdict::Invalid,
            error: Some(error.to_owned()),
        });
        Ok(())
    }

    /// Seal a plaintext whose `message_data_length` field is `length_field` over `region` bytes of
    /// body + padding, and expect `error`.
    fn sealed_invalid(
        &mut self,
        flags: &[&str],
        comment: String,
        length_field: i32,
        region: usize,
        error: &str,
    ) -> Result<(), GenerateError> {
        let (key_bytes, key) = self.key()?;
        let fields = random_fields(&mut self.rng, self.direction);
        let rest = self.rng.bytes(region);
        let pt = plaintext(&fields, length_field, &rest, &[]);
        let packet = self.seal(&key, self.direction, &pt)?;
        self.invalid(flags, comment, key_bytes, fields.session_id, packet, error)
    }

    fn all(&mut self) -> Result<(), GenerateError> {
        // Valid messages across body and padding lengths.
        for i in 0..50usize {
            let body_len = match i {
                0 => 0,
                1 => 4,
                2 => 1024,
                _ => 4usize.saturating_mul(self.rng.range(0, 100)),
            };
            let min_pad = match i {
                3..=20 => self.rng.range(12, 28),
                21..=28 => self.rng.range(28, 1009),
                _ => 12,
            };
            let pad_len = padding_for(body_len, min_pad);
            let s = self.sample(body_len, pad_len)?;
            let mut flags = vec!["Pseudorandom"];
            if body_len == 0 {
                flags.push("EmptyBody");
            }
            if pad_len == 12 {
                flags.push("PaddingBoundary");
            }
            self.valid(
                &flags,
                format!("{body_len}-byte body, {pad_len} bytes of padding"),
                s,
            )?;
        }
        for body_len in [0usize, 16, 48] {
            let s = self.sample(body_len, 1024)?;
            let mut flags = vec!["Pseudorandom", "PaddingBoundary"];
            if body_len == 0 {
                flags.push("EmptyBody");
            }
            self.valid(
                &flags,
                format!("{body_len}-byte body, 1024 bytes of padding (the most allowed)"),
                s,
            )?;
        }

        // Padding too short: 0, 4 or 8 bytes (body lengths keep the plaintext block-aligned and
        // encrypted_data at least 48 bytes).
        for (body_len, pad) in [
            (16usize, 0usize),
            (12, 4),
            (8, 8),
            (24, 8),
            (40, 8),
            (60, 4),
            (200, 8),
        ] {
            let region = body_len.saturating_add(pad);
            self.sealed_invalid(
                &["PaddingTooShort"],
                format!("{pad} bytes of padding after a {body_len}-byte body, correct msg_key"),
                len_i32(body_len),
                region,
                "PaddingTooShort",
            )?;
        }
        // Padding too long: 1028 and more.
        for (body_len, pad) in [
            (12usize, 1028usize),
            (8, 1032),
            (0, 1040),
            (4, 1036),
            (16, 2048),
        ] {
            self.sealed_invalid(
                &["PaddingTooLong"],
                format!("{pad} bytes of padding after a {body_len}-byte body, correct msg_key"),
                len_i32(body_len),
                body_len.saturating_add(pad),
                "PaddingTooLong",
            )?;
        }
        // Length past the plaintext (divisible by 4, so only the bounds check applies).
        for (region, declared) in [
            (64usize, 68i32),
            (64, 80),
            (16, 32),
            (80, 96),
            (1040, 2048),
            (64, 0x7fff_fffc),
            (64, 0x4000_0000),
        ] {
            self.sealed_invalid(
                &["LengthPastPlaintext"],
                format!(
                    "message_data_length {declared} with {region} bytes after the header, correct \
                     msg_key"
                ),
                declared,
                region,
                "LengthOutOfRange",
            )?;
        }
        // Negative lengths: available - length stays within 12..1024 for the small ones.
        for (region, declared) in [
            (16usize, -4i32),
            (32, -8),
            (48, -16),
            (64, -1024),
            (64, i32::MIN),
        ] {
            self.sealed_invalid(
                &["NegativeLength"],
                format!(
                    "message_data_length {declared} with {region} bytes after the header, correct \
                     msg_key"
                ),
                declared,
                region,
                "LengthOutOfRange",
            )?;
        }
        // Length not divisible by 4, padding within range.
        for (region, declared) in [
            (64usize, 1i32),
            (64, 2),
            (64, 3),
            (64, 49),
            (64, 50),
            (64, 51),
            (1040, 1021),
            (32, 17),
        ] {
            self.sealed_invalid(
                &["LengthNotAligned"],
                format!(
                    "message_data_length {declared} ({} bytes of padding), correct msg_key",
                    i64::try_from(region).unwrap_or(0) - i64::from(declared)
                ),
                declared,
                region,
                "LengthNotAligned",
            )?;
        }
        // Wrong session_id.
        for i in 0..6usize {
            let body_len = 4usize.saturating_mul(self.rng.range(0, 16));
            let s = self.sample(body_len, padding_for(body_len, 12))?;
            let mut other = s.fields.session_id;
            let comment = match i {
                0 => {
                    other = [0; 8];
                    "the receiver's session_id is 0".to_owned()
                }
                1 | 2 => {
                    let byte = usize::try_from(self.rng.below(8)).unwrap_or(0);
                    if let Some(x) = other.get_mut(byte) {
                        *x ^= 1;
                    }
                    format!("session_id differs from the receiver's in one bit (byte {byte})")
                }
                _ => {
                    other = self.rng.array();
                    "an unrelated session_id".to_owned()
                }
            };
            self.invalid(
                &["WrongSessionId"],
                comment,
                s.key_bytes,
                other,
                s.packet,
                "SessionIdMismatch",
            )?;
        }
        // Wrong auth_key_id on an otherwise correct packet.
        for i in 0..5usize {
            let body_len = 4usize.saturating_mul(self.rng.range(0, 16));
            let s = self.sample(body_len, padding_for(body_len, 16))?;
            let mut packet = s.packet;
            let (flags, comment): (&[&str], String) = match i {
                0 => {
                    if let Some(id) = packet.get_mut(..8) {
                        id.fill(0);
                    }
                    (
                        &["UnencryptedMarker"],
                        "auth_key_id = 0 on an encrypted packet".into(),
                    )
                }
                1 => {
                    if let Some(x) = packet.get_mut(7) {
                        *x ^= 0x80;
                    }
                    (
                        &["WrongAuthKeyId"],
                        "auth_key_id with its top bit flipped".into(),
                    )
                }
                2 => {
                    let other = auth_key(&self.rng.bytes(256), self.name)?.id();
                    if let Some(id) = packet.get_mut(..8) {
                        id.copy_from_slice(&other);
                    }
                    (&["WrongAuthKeyId"], "auth_key_id of another key".into())
                }
                _ => {
                    let other = self.rng.array::<8>();
                    if let Some(id) = packet.get_mut(..8) {
                        id.copy_from_slice(&other);
                    }
                    (&["WrongAuthKeyId"], "a random auth_key_id".into())
                }
            };
            let session = s.fields.session_id;
            self.invalid(
                flags,
                comment,
                s.key_bytes,
                session,
                packet,
                "AuthKeyIdMismatch",
            )?;
        }
        // Modified msg_key, re-encrypted so the plaintext is still well formed.
        for (byte, bit) in [(0usize, 0u8), (3, 5), (7, 7), (8, 1), (12, 3), (15, 7)] {
            let (key_bytes, key) = self.key()?;
            let fields = random_fields(&mut self.rng, self.direction);
            let body = self.rng.bytes(16);
            let padding = self.rng.bytes(padding_for(16, 12));
            let pt = plaintext(&fields, 16, &body, &padding);
            let mut msg_key = kdf::msg_key(&key, self.direction, &pt);
            if let Some(x) = msg_key.get_mut(byte) {
                *x ^= 1 << bit;
            }
            let keys = kdf::derive(&key, self.direction, &msg_key);
            let mut data = pt;
            aes256_ige_encrypt(&keys.aes_key, &keys.aes_iv, &mut data)
                .map_err(|e| gen_err(self.name, e))?;
            let mut packet = key.id().to_vec();
            packet.extend_from_slice(&msg_key);
            packet.extend_from_slice(&data);
            self.invalid(
                &["ModifiedMsgKey"],
                format!(
                    "bit {bit} of msg_key byte {byte} flipped; encrypted_data re-encrypted under \
                     the modified msg_key's keys, so it decrypts to a well-formed message"
                ),
                key_bytes,
                fields.session_id,
                packet,
                "MsgKeyMismatch",
            )?;
        }
        // A flipped bit in each ciphertext block of a 6-block message.
        let s = self.sample(16, padding_for(16, 44))?;
        let blocks = s.packet.len().saturating_sub(24) / 16;
        for block in 0..blocks {
            let mut packet = s.packet.clone();
            let bit = u8::try_from(block % 8).unwrap_or(0);
            let at = 24usize
                .saturating_add(block.saturating_mul(16))
                .saturating_add(block % 16);
            if let Some(x) = packet.get_mut(at) {
                *x ^= 1 << bit;
            }
            let what = if block.saturating_add(1) == blocks {
                " (the last block: only padding is garbled)"
            } else {
                ""
            };
            self.invalid(
                &["ModifiedCiphertext"],
                format!("one bit flipped in ciphertext block {block} of {blocks}{what}"),
                s.key_bytes.clone(),
                s.fields.session_id,
                packet,
                "MsgKeyMismatch",
            )?;
        }
        // Truncations of a message with 44 bytes of padding.
        let s = self.sample(16, padding_for(16, 44))?;
        let padding_len = s.padding_len;
        let full = s.packet.len();
        for (cut, error, note) in [
            (
                16usize,
                "MsgKeyMismatch",
                "the last block dropped (only padding lost)",
            ),
            (32, "MsgKeyMismatch", "the last two blocks dropped"),
            (1, "NotBlockAligned", "the last byte dropped"),
            (15, "NotBlockAligned", "the last 15 bytes dropped"),
            (
                full.saturating_sub(24 + 32),
                "TooShort",
                "cut to 32 bytes of encrypted_data",
            ),
            (
                full.saturating_sub(24),
                "TooShort",
                "cut to the 24-byte outer header",
            ),
            (full.saturating_sub(23), "TooShort", "cut to 23 bytes"),
            (full.saturating_sub(8), "TooShort", "cut to the auth_key_id"),
            (full, "TooShort", "cut to nothing"),
        ] {
            let keep = full.saturating_sub(cut);
            let packet = s.packet.get(..keep).unwrap_or(&[]).to_vec();
            self.invalid(
                &["Truncated"],
                format!("{note}: {keep} of {full} bytes ({padding_len} bytes of padding)"),
                s.key_bytes.clone(),
                s.fields.session_id,
                packet,
                error,
            )?;
        }
        // encrypted_data not a multiple of 16: bytes appended to a valid packet.
        for extra in [1usize, 4, 8, 15, 17] {
            let s = self.sample(8, padding_for(8, 12))?;
            let mut packet = s.packet;
            packet.extend(self.rng.bytes(extra));
            self.invalid(
                &["NotBlockAligned"],
                format!("{extra} bytes appended to a valid packet"),
                s.key_bytes,
                s.fields.session_id,
                packet,
                "NotBlockAligned",
            )?;
        }
        // encrypted_data under 48 bytes, with a correct msg_key: half a header, a header with no
        // padding, a header whose length field claims the 16 bytes that are not there.
        for (len, declared, what) in [
            (16usize, 0i32, "the first 16 bytes of a header"),
            (32, 0, "a 32-byte header, empty body, no padding"),
            (32, 16, "a 32-byte header claiming a 16-byte body"),
        ] {
            let (key_bytes, key) = self.key()?;
            let fields = random_fields(&mut self.rng, self.direction);
            let mut pt = plaintext(&fields, declared, &[], &[]);
            pt.truncate(len);
            let packet = self.seal(&key, self.direction, &pt)?;
            self.invalid(
                &["EncryptedDataTooShort"],
                format!("{len} bytes of encrypted_data ({what}), correct msg_key"),
                key_bytes,
                fields.session_id,
                packet,
                "TooShort",
            )?;
        }
        // Packets shorter than the outer header, under a correct auth_key_id where there is room.
        for len in [0usize, 1, 8, 16, 23] {
            let (key_bytes, key) = self.key()?;
            let mut packet = key.id().to_vec();
            packet.extend(self.rng.bytes(24));
            packet.truncate(len);
            let session = self.rng.array::<8>();
            self.invalid(
                &["PacketTooShort"],
                format!("a {len}-byte packet"),
                key_bytes,
                session,
                packet,
                "TooShort",
            )?;
        }
        // A correct packet for the other receiver.
        for body_len in [0usize, 16, 100] {
            let (key_bytes, key) = self.key()?;
            let other = match self.direction {
                Direction::ClientToServer => Direction::ServerToClient,
                Direction::ServerToClient => Direction::ClientToServer,
            };
            let fields = random_fields(&mut self.rng, other);
            let body = self.rng.bytes(body_len);
            let padding = self.rng.bytes(padding_for(body_len, 12));
            let pt = plaintext(&fields, len_i32(body_len), &body, &padding);
            let packet = self.seal(&key, other, &pt)?;
            self.invalid(
                &["WrongReceiver"],
                format!(
                    "a correct {} packet ({body_len}-byte body) given to the {} receiver",
                    dir_name(other).as_str(),
                    self.receiver.as_str()
                ),
                key_bytes,
                fields.session_id,
                packet,
                "MsgKeyMismatch",
            )?;
        }
        Ok(())
    }
}

fn envelope_decrypt() -> Result<(String, VectorFile), GenerateError> {
    let name = "envelope/envelope_decrypt_test.json";
    let mut b = Builder::new(name);
    let mut groups = Vec::new();

    // spec §11.2: a real server packet, receiver client (grammers' tests).
    {
        let pt = h(SERVER_PLAINTEXT);
        let field = |r: core::ops::Range<usize>| pt.get(r).unwrap_or(&[]).to_vec();
        let (tc_id, flags) = b.case(&["Ktv"])?;
        let case = EnvelopeDecryptCase {
            tc_id,
            comment: "a real Telegram server packet: msg_container with new_session_created and \
                      pong (grammers' tests)"
                .into(),
            flags,
            auth_key: Hex(h(SERVER_AUTH_KEY)),
            session_id: Hex(field(8..16)),
            packet: Hex(h(SERVER_PACKET)),
            salt: Some(Hex(field(0..8))),
            msg_id: Some(Hex(field(16..24))),
            seq_no: Some(2),
            body: Some(Hex(field(32..120))),
            result: Verdict::Valid,
            error: None,
        };
        groups.push(TestGroup::EnvelopeDecrypt(EnvelopeDecryptGroup {
            group_type: "EnvelopeDecryptTest".into(),
            receiver: ReceiverName::Client,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto tests/lib.rs, a real server packet (spec §11.2)".into(),
            },
            tests: vec![case],
        }));
    }
    // spec §11.2: grammers' encryption of 64 bytes that are not an MTProto plaintext. Its
    // msg_key is right for a server receiver; its "length" field is "ld r" = 1914725484. The
    // packet bytes are grammers' (its test checks only that encryption gives them); the verdict
    // is ours, so the case is not flagged Ktv.
    {
        let pt = hello_plaintext();
        let (tc_id, flags) = b.case(&["LengthPastPlaintext"])?;
        let case = EnvelopeDecryptCase {
            tc_id,
            comment: "grammers' encryption of \"Hello, world! ...\" + 19 zero bytes (x = 0): the \
                      msg_key is correct, the length field (\"ld r\") is past the plaintext. \
                      The packet is grammers' known answer; the invalid/LengthOutOfRange verdict \
                      is this project's derivation (grammers' test only checks that encryption gives \
                      these bytes)"
                .into(),
            flags,
            auth_key: Hex(seq(256, 0)),
            session_id: Hex(pt.get(8..16).unwrap_or(&[]).to_vec()),
            packet: Hex(h(HELLO_PACKET)),
            salt: None,
            msg_id: None,
            seq_no: None,
            body: None,
            result: Verdict::Invalid,
            error: Some("LengthOutOfRange".into()),
        };
        groups.push(TestGroup::EnvelopeDecrypt(EnvelopeDecryptGroup {
            group_type: "EnvelopeDecryptTest".into(),
            receiver: ReceiverName::Server,
            source: Source {
                name: "grammers".into(),
                version: "grammers-crypto lib.rs tests (spec §11.2)".into(),
            },
            tests: vec![case],
        }));
    }

    for receiver in [ReceiverName::Client, ReceiverName::Server] {
        let mut cases = DecryptCases {
            b: &mut b,
            rng: Drbg::new(&format!("envelope/decrypt/{}", receiver.as_str())),
            name,
            receiver,
            direction: receiver.receiver().direction(),
            tests: Vec::new(),
        };
        cases.all()?;
        let tests = cases.tests;
        groups.push(TestGroup::EnvelopeDecrypt(EnvelopeDecryptGroup {
            group_type: "EnvelopeDecryptTest".into(),
            receiver,
            source: self_source(),
            tests,
        }));
    }
    // Last, so the tcIds above stay as they were.
    for receiver in [ReceiverName::Client, ReceiverName::Server] {
        let mut cases = DecryptCases {
            b: &mut b,
            rng: Drbg::new(&format!(
                "envelope/decrypt/leading-zero/{}",
                receiver.as_str()
            )),
            name,
            receiver,
            direction: receiver.receiver().direction(),
            tests: Vec::new(),
        };
        cases.leading_zero_keys()?;
        let tests = cases.tests;
        groups.push(TestGroup::EnvelopeDecrypt(EnvelopeDecryptGroup {
            group_type: "EnvelopeDecryptTest".into(),
            receiver,
            source: self_source(),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto-2.0-envelope",
        "envelope_decrypt_test_schema_v1.json",
        &[
            "Receiving an encrypted MTProto 2.0 message (spec §2.1, §3.1 R1-R6) as a client (x = 8) \
             or a server (x = 0): accept with the given fields, or reject with the first failing \
             check's error in DESIGN.md §6 order.",
            "Each invalid case breaks the rule it is named after and, where the packet allows, \
             only that rule: malformed plaintexts are sealed with a correct msg_key, a modified \
             msg_key comes with a ciphertext that decrypts to a well-formed message, a wrong \
             auth_key_id sits on an otherwise correct packet. Packets too short to hold a \
             plaintext (TooShort) necessarily break later checks too; only the error name tells \
             them apart.",
        ],
        groups,
    ))
}
