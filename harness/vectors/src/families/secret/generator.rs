//! The generator of `vectors/secret/` (spec §8, §11.4).
//!
//! Independent values go in groups of their own: the secret-chat fingerprint and visualisation of
//! spec §11.4 (computed from the documented formulas, not an official value). No peer ships
//! secret-chat vectors: every other value is computed by this project's reference
//! (`source.name = "self"`), a regression pin, not independent evidence.
//!
//! Invalid cases break exactly one rule: malformed plaintexts are sealed with a correct msg_key
//! ([`mtproto::envelope::seal`]); a wrong fingerprint goes with a correct `g_b`; and so on. Hand-written traces carry the
//! expected result of every step, and the generator refuses to write them unless the reference
//! agrees; pseudorandom traces take the reference's results.

// Generator arithmetic on fixed arrays; the loader and runner parts never index.
#![allow(clippy::indexing_slicing)]

use mtproto::crypto::dh::{self, TELEGRAM_DH_PRIME};
use mtproto::envelope;
use mtproto::secret::ChatKey;
use mtproto::secret::chat::LAYER;
use mtproto::secret::file::{FileKey, encrypt_file};
use mtproto::secret::message::{self, Role};
use mtproto::secret::visual::{key_hash, pixels_string};
use mtproto::tl::Tl;
use mtproto::tl::generated::secret::enums::{DecryptedMessage, DecryptedMessageAction};
use mtproto::tl::generated::secret::types::{
    DecryptedMessage73, DecryptedMessageActionAbortKey, DecryptedMessageActionAcceptKey,
    DecryptedMessageActionCommitKey, DecryptedMessageActionNotifyLayer,
    DecryptedMessageActionRequestKey, DecryptedMessageActionResend, DecryptedMessageLayer,
    DecryptedMessageService17,
};
use mtproto_iut::{Answer, Fields, secret as op};
use serde_json::Value;

use super::{
    ChatExpect, ChatReply, ChatStep, ChatTraceCase, ChatTraceGroup, DecryptCase, DecryptGroup,
    EncryptCase, EncryptGroup, Expect, FileCase, FileGroup, Group, KeyExchangeCase,
    KeyExchangeGroup, RekeyCase, RekeyGroup, SeqTraceCase, SeqTraceGroup, Step, VisualizationCase,
    VisualizationGroup,
};
use crate::core::e2e::{dh_secret, role_name, telegram_group, verdict_of};
use crate::core::file::{File, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, gen_err as gerr};
use crate::core::result::Verdict;

const SELF_VERSION: &str = "mtproto-vectors generator v1";

fn self_source() -> Source {
    source("self", SELF_VERSION)
}

fn source(name: &str, version: &str) -> Source {
    Source {
        name: name.into(),
        version: version.into(),
    }
}

const E2E: &str = "https://core.telegram.org/api/end-to-end";
const PFS: &str = "https://core.telegram.org/api/end-to-end/pfs";
const SEQ: &str = "https://core.telegram.org/api/end-to-end/seq_no";
const DML: &str = "https://core.telegram.org/constructor/decryptedMessageLayer";
const AUTH: &str = "https://core.telegram.org/mtproto/auth_key";
const TD_API_SECRET_CHAT: &str =
    "https://core.telegram.org/tdlib/docs/classtd_1_1td__api_1_1secret_chat.html";
const TD_SC: &str = "https://github.com/tdlib/td/blob/master/td/telegram/SecretChatActor.cpp";
const TD_TRANSPORT: &str = "https://github.com/tdlib/td/blob/master/td/mtproto/Transport.cpp";
const TD_FILE_KEY: &str =
    "https://github.com/tdlib/td/blob/master/td/telegram/files/FileEncryptionKey.cpp";

const FLAGS: &[Flag] = &[
    (
        "Ktv",
        "BASIC",
        "A value of spec §11.4, computed from the documented formulas (not an official value); see the group's source.",
        &[E2E],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Inputs from the generator's deterministic DRBG; outputs computed by this project's reference (a regression pin, not independent evidence).",
        &[],
    ),
    (
        "ServerRandomMixed",
        "FUNCTIONALITY",
        "The secret exponent is local random XOR the server's random from messages.getDhConfig (spec §5): an empty or short server random changes only the bytes it covers.",
        &[E2E],
    ),
    (
        "LeadingZeroKey",
        "EDGE_CASE",
        "The shared key starts with a zero byte: it stays 256 bytes, and the fingerprint and KDF use all of them.",
        &[E2E],
    ),
    (
        "DhParams",
        "WEAK_PARAMS",
        "Bad (p, g) from messages.getDhConfig: the same checks as the auth-key handshake apply.",
        &[E2E, AUTH],
    ),
    (
        "DhValueRange",
        "MODIFIED_PARAMETER",
        "The peer's g_a / g_b is not in (1, p - 1) (a MUST on both sides).",
        &[AUTH],
    ),
    (
        "DhValueMargin",
        "WEAK_PARAMS",
        "The peer's g_a / g_b is in (1, p - 1) but outside [2^1984, p - 2^1984]; recommended by the docs, enforced by TDLib and the reference.",
        &[AUTH],
    ),
    (
        "FingerprintMismatch",
        "MISSING_STEP",
        "key_fingerprint differs from SHA1(key)[12..20] of the key this side computed: the chat must be discarded.",
        &[E2E, PFS],
    ),
    (
        "KeyPicture",
        "FUNCTIONALITY",
        "The 12x12 picture of the key_hash: pixel k (row k / 12, column k % 12) is (keyHash[k / 4] >> 2 (k % 4)) & 3, the least significant bit pair of each byte first, as TDLib's API docs (\"36 little-endian bytes\", filled left to right, top to bottom) and the Android identicon draw it; the rendering is this project's, from the bytes of the case.",
        &[TD_API_SECRET_CHAT],
    ),
    (
        "PixelOrderConvention",
        "EDGE_CASE",
        "Spec §8.5 splits the key hash into 2-bit groups but does not say in which order: only convention (TDLib's API docs, the Android identicon: least significant pair of each byte first) fixes the picture. The case is acceptable: an answer without pixels is judged by its key hash alone; an answer with pixels must match the convention, or fails.",
        &[TD_API_SECRET_CHAT],
    ),
    (
        "KeyHashOnly",
        "FUNCTIONALITY",
        "The 36-byte key hash alone (spec §8.5: SHA1(original key)[0..16] || SHA256(layer-46 key)[0..20]), the part the spec fixes, without a picture. A hash cut from the wrong slice (e.g. SHA1[4..20]) or with the SHA256 half over the wrong key fails.",
        &[E2E, PFS],
    ),
    (
        "FileKnownAnswer",
        "FUNCTIONALITY",
        "A secret-chat file (spec §8.6): AES-256-IGE under the one-time key and iv, chained across upload parts, cut to the declared size; key_fingerprint = md5(key || iv)[0..4] XOR md5(key || iv)[4..8] as a little-endian int32 (TDLib's FileEncryptionKey). Computed by this project (md5 from RustCrypto md-5, IGE from the reference); no independent vector is published.",
        &[E2E, TD_FILE_KEY],
    ),
    (
        "FileFingerprint",
        "MISSING_STEP",
        "The key_fingerprint received with the file does not match md5(key || iv): the file is not the one the message describes and must be rejected.",
        &[E2E],
    ),
    (
        "FileFingerprintByteOrder",
        "EDGE_CASE",
        "The key_fingerprint with its bytes read big-endian: an implementation that builds the int the other way round accepts it (and rejects the real one).",
        &[E2E, TD_FILE_KEY],
    ),
    (
        "FileSize",
        "MODIFIED_PARAMETER",
        "The encrypted length is not whole 16-byte blocks, or is shorter than the declared size, or the size is negative.",
        &[E2E],
    ),
    (
        "FileKeyLength",
        "MODIFIED_PARAMETER",
        "The key or iv the message describing the file carries is not 32 bytes (31, 33, empty; a 16-byte AES-CBC-sized iv), with the key_fingerprint computed over those very bytes: AES-256-IGE takes a 32-byte key and a 32-byte iv (spec §8.6), so the receiver discards the file (FileKeyInvalid) rather than truncate, pad or fail later.",
        &[E2E],
    ),
    (
        "FilePaddingBlock",
        "EDGE_CASE",
        "A whole 16-byte block (or more) of padding past the declared size. Senders pad to under one block and the reference refuses more (FileSizeInvalid), but spec §8.6 sets no receiver bound: this project's strictness, so the case is acceptable either way.",
        &[E2E],
    ),
    (
        "LayerTracked",
        "FUNCTIONALITY",
        "The peer's layer starts at 46 and follows the layer of every message accepted (spec §8.2).",
        &[E2E],
    ),
    (
        "NotifyLayerReply",
        "FUNCTIONALITY",
        "A peer on a layer below this side's, never told this side's layer, gets one decryptedMessageActionNotifyLayer(LAYER) in answer to its first in-order message (this project's choice; TDLib announces when the chat becomes ready).",
        &[E2E, TD_SC],
    ),
    (
        "LayerAnnounce",
        "FUNCTIONALITY",
        "decryptedMessageActionNotifyLayer(LAYER) sent when the chat is ready (as TDLib does); after it the chat does not announce again on its own.",
        &[TD_SC],
    ),
    (
        "NotifyLayerProcessed",
        "FUNCTIONALITY",
        "decryptedMessageActionNotifyLayer raises the peer's layer (spec §8.2); a lower one is ignored.",
        &[E2E],
    ),
    (
        "PeerLayerNewer",
        "MISSING_STEP",
        "The peer's layer rose above the one this side supports: the message is accepted and the user must be told to update (spec §8.2: 'notify user to update'); an implementation that says nothing fails.",
        &[E2E],
    ),
    (
        "MtProto1Below73",
        "FUNCTIONALITY",
        "An MTProto 1.0 message (msg_key = SHA1(length || body)[4..20], the 1.0 KDF with x = 0 as TDLib's end-to-end transport uses it) from a peer below layer 73 is accepted (spec §8.2: below 73 try v1 then v2), also when it arrives after a 2.0 message with a higher out_seq_no.",
        &[E2E, TD_TRANSPORT],
    ),
    (
        "MtProto1AtLayer73",
        "MODIFIED_PARAMETER",
        "An MTProto 1.0 message whose layer is 73 or higher: only 2.0 is allowed there (TDLib: 'MTProto 1.0 encryption is forbidden for this layer'); the chat closes.",
        &[E2E, TD_SC],
    ),
    (
        "MtProto1AfterV2",
        "MODIFIED_PARAMETER",
        "An MTProto 1.0 message with an out_seq_no above that of a 2.0 message already received: 'all messages with higher seq_no must be encrypted using MTProto 2.0' (spec §8.2); the chat closes.",
        &[E2E],
    ),
    (
        "MtProto1Tampered",
        "MODIFIED_PARAMETER",
        "A tampered MTProto 1.0 packet fails both versions and is discarded with the 2.0 error (MsgKeyMismatch); nothing changes.",
        &[E2E],
    ),
    (
        "MtProto1Replay",
        "EDGE_CASE",
        "An old MTProto 1.0 message replayed after the peer moved to 2.0 is a repeat (SeqNoRepeated), not a reason to close the chat: the version rules apply after the repeat check.",
        &[E2E, SEQ],
    ),
    (
        "LayerDecreased",
        "MODIFIED_PARAMETER",
        "A message processed in order with a lower layer than the one before it (TDLib: 'his_layer is not monotonic'); the chat closes.",
        &[TD_SC],
    ),
    (
        "Layer46Key",
        "EDGE_CASE",
        "A chat upgraded to layer 46 under a later key: the second half of the visualisation hashes that key.",
        &[PFS],
    ),
    (
        "EnvelopeCheck",
        "MISSING_STEP",
        "A plaintext that breaks one receiver check (length, padding, alignment) sealed with a correct msg_key: only that check can reject it.",
        &[E2E],
    ),
    (
        "Tampered",
        "MALLEABILITY",
        "A byte of msg_key or ciphertext changed: the msg_key recomputed over the whole plaintext differs.",
        &[E2E],
    ),
    (
        "WrongRole",
        "MODIFIED_PARAMETER",
        "The packet was encrypted with the receiver's own x (0 for the originator, 8 for the acceptor): reflected back, it must not verify.",
        &[E2E],
    ),
    (
        "UnknownFingerprint",
        "MODIFIED_PARAMETER",
        "The packet's key_fingerprint names no key of the chat.",
        &[PFS],
    ),
    (
        "Truncated",
        "EDGE_CASE",
        "A packet too short for its header or for the smallest plaintext, or not a multiple of 16 after the header.",
        &[E2E],
    ),
    (
        "LayerDecode",
        "MISSING_STEP",
        "The decrypted layer is not a strict TL value (unknown constructor, trailing bytes, cut short).",
        &[DML],
    ),
    (
        "RandomBytes",
        "MISSING_STEP",
        "decryptedMessageLayer.random_bytes must be at least 15 bytes; 15 is accepted, 14 ignored.",
        &[DML],
    ),
    (
        "EncryptRefuse",
        "MISSING_STEP",
        "A sender input that a receiver would reject (padding outside 12..1024, a message not a multiple of 4, a total not a multiple of 16) is refused.",
        &[E2E],
    ),
    (
        "InOrder",
        "FUNCTIONALITY",
        "Messages in order, own messages sent in between: each is delivered once, with the seq_nos of the role's parity.",
        &[SEQ],
    ),
    (
        "SeqNoParity",
        "MISSING_STEP",
        "in_seq_no or out_seq_no with the wrong parity for the sender's role: the chat is aborted at once.",
        &[SEQ],
    ),
    (
        "Replay",
        "MISSING_STEP",
        "A message whose out_seq_no was already received (or queued) is dropped without looking at the rest, the relay's replay included.",
        &[SEQ],
    ),
    (
        "Gap",
        "FUNCTIONALITY",
        "A message after a hole is queued and the hole requested with decryptedMessageActionResend (start = last before the hole + 2, end = received - 2); filling it releases the queue in order.",
        &[SEQ],
    ),
    (
        "InSeqNo",
        "MISSING_STEP",
        "in_seq_no negative, decreasing, above the count of messages sent, or out of order with a queued neighbour: the chat is aborted.",
        &[SEQ],
    ),
    (
        "Resend",
        "MISSING_STEP",
        "A resend request from the peer must name messages this side sent, with its out_seq_no parity, start <= end; otherwise the chat is aborted.",
        &[SEQ],
    ),
    (
        "GapQueueFull",
        "EDGE_CASE",
        "More out-of-order messages than the receiver keeps (1024 in the reference): the chat is aborted rather than growing without bound.",
        &[SEQ],
    ),
    (
        "RekeyFlow",
        "FUNCTIONALITY",
        "A complete re-keying exchange: RequestKey, AcceptKey with the new key's fingerprint, CommitKey, and the switch to the new key.",
        &[PFS],
    ),
    (
        "ConcurrentRequests",
        "EDGE_CASE",
        "Both sides sent RequestKey: the larger exchange_id (signed 64-bit) wins, equal ids abort both silently.",
        &[PFS],
    ),
    (
        "RekeyUnexpected",
        "MISSING_STEP",
        "An Accept or Commit for another exchange or out of turn, a second request during an exchange, an abort after the peer's own Accept: the chat is closed.",
        &[PFS],
    ),
    (
        "RekeyPending",
        "MISSING_STEP",
        "A new exchange is never started while one is pending.",
        &[PFS],
    ),
    (
        "RekeyAbort",
        "FUNCTIONALITY",
        "An AbortKey before this side committed returns it to idle and drops the pending key.",
        &[PFS],
    ),
];

fn fp_hex(key: &ChatKey) -> Hex {
    Hex(key.fingerprint().to_vec())
}

/// Every suite of this module.
pub fn suites() -> Result<Vec<Suite<Group>>, GenerateError> {
    Ok(vec![
        key_exchange()?,
        visualization()?,
        files()?,
        chat_trace()?,
        encrypt()?,
        decrypt()?,
        seq_trace()?,
        rekey()?,
    ])
}

// ---------------------------------------------------------------------------------------------
// Key exchange

fn key_exchange() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_key_exchange_test.json";
    let mut b = Builder::new(file, FLAGS);
    let group = telegram_group(file)?;
    let p = TELEGRAM_DH_PRIME.to_vec();
    let mut d = Drbg::new("secret key exchange");
    // The pair found by search whose shared key starts with a zero byte (harness/mtproto tests).
    let zero_a = [0x11u8; 256];
    let mut zero_b = [0x22u8; 256];
    zero_b[252..].copy_from_slice(&52u32.to_be_bytes());

    let acceptor_case = |b: &mut Builder,
                         flags: &[&str],
                         comment: String,
                         (local, server): (Vec<u8>, Vec<u8>),
                         g_a: Vec<u8>|
     -> Result<KeyExchangeCase, GenerateError> {
        let mut local_a = [0u8; 256];
        local_a.copy_from_slice(&local);
        let secret = mtproto::secret::client_secret(&local_a, &server);
        let r = mtproto::secret::key::accept(&group, &g_a, &secret);
        let (result, error) = verdict_of(&r);
        let (tc_id, flags) = b.case(flags)?;
        let ok = r.ok();
        Ok(KeyExchangeCase {
            tc_id,
            comment,
            flags,
            local_random: Hex(local),
            server_random: Hex(server),
            g_a: Some(Hex(g_a)),
            g_b: ok.as_ref().map(|a| Hex(a.g_b.to_vec())),
            key_fingerprint: ok.as_ref().map(|a| fp_hex(&a.key)),
            key: ok.as_ref().map(|a| Hex(a.key.as_bytes().to_vec())),
            result,
            error,
        })
    };
    let mut acc = Vec::new();
    for i in 0..4 {
        let g_a = group.pow_g(&dh_secret(&mut d)).to_vec();
        let io = (d.bytes(256), d.bytes(256));
        acc.push(acceptor_case(
            &mut b,
            &["Pseudorandom"],
            format!("pseudorandom exchange {i}"),
            io,
            g_a,
        )?);
    }
    for (n, comment) in [
        (
            0usize,
            "empty server random: the secret is the local random",
        ),
        (16, "16-byte server random mixes into the first 16 bytes"),
    ] {
        let g_a = group.pow_g(&dh_secret(&mut d)).to_vec();
        let io = (d.bytes(256), d.bytes(n));
        acc.push(acceptor_case(
            &mut b,
            &["ServerRandomMixed"],
            comment.into(),
            io,
            g_a,
        )?);
    }
    acc.push(acceptor_case(
        &mut b,
        &["LeadingZeroKey"],
        "the shared key's first byte is 0".into(),
        (zero_b.to_vec(), Vec::new()),
        group.pow_g(&zero_a).to_vec(),
    )?);
    let p_minus = |k: u8| {
        let mut v = p.clone();
        let last = v.len() - 1;
        v[last] -= k; // p is odd and ends in 0x5b: no borrow for k <= 0x5b
        v
    };
    let mut margin = vec![0u8; 256];
    margin[7] = 1; // 2^1984: the first value inside the margin
    let mut below_margin = vec![0xffu8; 256];
    below_margin[..8].copy_from_slice(&[0; 8]); // 2^1984 - 1
    let bad_values: Vec<(&[&str], &str, Vec<u8>)> = vec![
        (&["DhValueRange"], "g_a = 1", vec![1]),
        (&["DhValueRange"], "g_a = 0 (empty)", Vec::new()),
        (&["DhValueRange"], "g_a = p - 1", p_minus(1)),
        (&["DhValueRange"], "g_a = p", p.clone()),
        (&["DhValueMargin"], "g_a = 2", vec![2]),
        (
            &["DhValueMargin"],
            "g_a = 2^1984 - 1, just below the margin",
            below_margin,
        ),
        (&["DhValueMargin"], "g_a = p - 2", p_minus(2)),
    ];
    for (flags, comment, g_a) in bad_values {
        let io = (d.bytes(256), d.bytes(256));
        acc.push(acceptor_case(&mut b, flags, comment.into(), io, g_a)?);
    }
    let io = (d.bytes(256), d.bytes(256));
    acc.push(acceptor_case(
        &mut b,
        &["DhValueMargin"],
        "g_a = 2^1984, the lowest value inside the margin".into(),
        io,
        margin,
    )?);

    // The originator.
    let originator_case = |b: &mut Builder,
                           flags: &[&str],
                           comment: String,
                           (local, server): (Vec<u8>, Vec<u8>),
                           g_b: Vec<u8>,
                           fp: Option<[u8; 8]>|
     -> Result<KeyExchangeCase, GenerateError> {
        let mut local_a = [0u8; 256];
        local_a.copy_from_slice(&local);
        let a = mtproto::secret::client_secret(&local_a, &server);
        let req =
            mtproto::secret::key::Requester::new(group.clone(), a).map_err(|e| gerr(file, e))?;
        // The fingerprint the acceptor sent: of the right key unless the case changes it.
        let right = group
            .check_value(&g_b)
            .map(|v| ChatKey::new(group.pow(&v, &a)).fingerprint())
            .unwrap_or([0x5a; 8]);
        let fp = fp.unwrap_or(right);
        let r = req.complete(&g_b, i64::from_le_bytes(fp));
        let (result, error) = verdict_of(&r);
        let (tc_id, flags) = b.case(flags)?;
        Ok(KeyExchangeCase {
            tc_id,
            comment,
            flags,
            local_random: Hex(local),
            server_random: Hex(server),
            g_a: r.is_ok().then(|| Hex(req.g_a().to_vec())),
            g_b: Some(Hex(g_b)),
            key_fingerprint: Some(Hex(fp.to_vec())),
            key: r.ok().map(|k| Hex(k.as_bytes().to_vec())),
            result,
            error,
        })
    };
    let mut org = Vec::new();
    for i in 0..4 {
        let g_b = group.pow_g(&dh_secret(&mut d)).to_vec();
        let io = (d.bytes(256), d.bytes(256));
        org.push(originator_case(
            &mut b,
            &["Pseudorandom"],
            format!("pseudorandom exchange {i}"),
            io,
            g_b,
            None,
        )?);
    }
    org.push(originator_case(
        &mut b,
        &["LeadingZeroKey"],
        "the shared key's first byte is 0".into(),
        (zero_a.to_vec(), Vec::new()),
        group.pow_g(&zero_b).to_vec(),
        None,
    )?);
    let g_b = group.pow_g(&dh_secret(&mut d)).to_vec();
    let io = (d.bytes(256), d.bytes(256));
    let mut a_local = [0u8; 256];
    a_local.copy_from_slice(&io.0);
    let a = mtproto::secret::client_secret(&a_local, &io.1);
    let right = ChatKey::new(group.pow(&group.check_value(&g_b).map_err(|e| gerr(file, e))?, &a))
        .fingerprint();
    let mut wrong = right;
    wrong[0] ^= 1;
    org.push(originator_case(
        &mut b,
        &["FingerprintMismatch"],
        "key_fingerprint with one bit changed".into(),
        io,
        g_b.clone(),
        Some(wrong),
    )?);
    let io = (d.bytes(256), d.bytes(256));
    org.push(originator_case(
        &mut b,
        &["FingerprintMismatch"],
        "key_fingerprint of another key".into(),
        io,
        g_b,
        Some([0x5a; 8]),
    )?);
    for (flags, comment, g_b) in [
        (&["DhValueRange"] as &[&str], "g_b = 1", vec![1u8]),
        (&["DhValueRange"], "g_b = p - 1", p_minus(1)),
        (&["DhValueMargin"], "g_b = 2", vec![2]),
    ] {
        let io = (d.bytes(256), d.bytes(256));
        org.push(originator_case(
            &mut b,
            flags,
            comment.into(),
            io,
            g_b,
            Some([0; 8]),
        )?);
    }

    // A getDhConfig with a bad g: the same parameter checks as the handshake.
    let (tc_id, flags) = b.case(&["DhParams"])?;
    let bad_g = KeyExchangeGroup {
        group_type: "SecretKeyExchangeTest".into(),
        role: "acceptor".into(),
        p: Hex(p.clone()),
        g: 2,
        source: self_source(),
        tests: vec![KeyExchangeCase {
            tc_id,
            comment:
                "g = 2 with the production prime, which fails g = 2's congruence (p mod 8 != 7)"
                    .into(),
            flags,
            local_random: Hex(d.bytes(256)),
            server_random: Hex(d.bytes(256)),
            g_a: Some(Hex(group.pow_g(&dh_secret(&mut d)).to_vec())),
            g_b: None,
            key_fingerprint: None,
            key: None,
            result: Verdict::Invalid,
            error: Some(
                dh::check_params(&p, 2, &[0x42; 32], None)
                    .err()
                    .map(|e| mtproto::ProtocolError::name(&e).to_owned())
                    .ok_or_else(|| gerr(file, "g = 2 unexpectedly accepted"))?,
            ),
        }],
    };
    let mk = |role: &str, tests| {
        Group::KeyExchange(KeyExchangeGroup {
            group_type: "SecretKeyExchangeTest".into(),
            role: role.into(),
            p: Hex(p.clone()),
            g: 3,
            source: self_source(),
            tests,
        })
    };
    let groups = vec![
        mk("acceptor", acc),
        mk("originator", org),
        Group::KeyExchange(bad_g),
    ];
    Ok(b.finish(
        "MTProto secret chat key exchange",
        "secret_key_exchange_test_schema_v1.json",
        &[
            "Secret-chat key exchange (spec §5, §8.1): the acceptor checks g_a and answers g_b, the key and its fingerprint; the originator checks g_b, computes the key and checks the fingerprint. The secret is localRandom XOR serverRandom.",
            "All values computed by this project's reference (source self): no independent secret-chat vectors exist.",
        ],
        groups,
    ))
}

// ---------------------------------------------------------------------------------------------
// Visualisation

const SAMPLE: &str = include_str!("../../data/handshake_sample.txt");

fn sample_auth_key() -> Vec<u8> {
    SAMPLE
        .split("\n\n")
        .find_map(|blk| blk.strip_prefix("auth_key:\n"))
        .map(|h| hex::decode(h.split_whitespace().collect::<String>()).unwrap_or_default())
        .unwrap_or_default()
}

fn key256(file: &str, v: &[u8]) -> Result<[u8; 256], GenerateError> {
    <[u8; 256]>::try_from(v).map_err(|_| gerr(file, format!("a key of {} bytes", v.len())))
}

fn visualization() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_visualization_test.json";
    let mut b = Builder::new(file, FLAGS);
    let sample = key256(file, &sample_auth_key())?;
    let want_fp = "8ae7a271969a9b1f";
    let want = "26d6ceeff1381295e06ab26f8ae7a271deb2631ccf3612ce6aec7e164aa1f06c69f44758";
    let got = key_hash(&ChatKey::new(sample), None);
    if hex::encode(got) != want || hex::encode(ChatKey::new(sample).fingerprint()) != want_fp {
        return Err(gerr(
            file,
            "the reference disagrees with spec §11.4's key_hash",
        ));
    }
    let (tc_id, flags) = b.case(&["Ktv", "KeyPicture", "PixelOrderConvention"])?;
    let ktv = VisualizationGroup {
        group_type: "SecretVisualizationTest".into(),
        source: source(
            "spec-11.4",
            "spec §11.4 computed vector (not official): the §11.3 sample auth_key as a secret-chat key",
        ),
        tests: vec![VisualizationCase {
            tc_id,
            comment: format!(
                "the sample auth_key of spec §11.3 (key_fingerprint {want_fp}); pixels rendered by this project"
            ),
            flags,
            key: Hex(sample.to_vec()),
            layer46_key: None,
            key_hash: Some(Hex(got.to_vec())),
            pixels: Some(pixels_string(&got)),
            result: Verdict::Acceptable,
            error: None,
        }],
    };
    let mut d = Drbg::new("secret visualisation");
    let mut tests = Vec::new();
    for i in 0..6 {
        let key = ChatKey::new(d.array::<256>());
        let later = (i >= 3).then(|| ChatKey::new(d.array::<256>()));
        let flags: &[&str] = if later.is_some() {
            &[
                "Pseudorandom",
                "Layer46Key",
                "KeyPicture",
                "PixelOrderConvention",
            ]
        } else {
            &["Pseudorandom", "KeyPicture", "PixelOrderConvention"]
        };
        let hash = key_hash(&key, later.as_ref());
        let (tc_id, flags) = b.case(flags)?;
        tests.push(VisualizationCase {
            tc_id,
            comment: if later.is_some() {
                "created before layer 46, upgraded under a later key".into()
            } else {
                "created at layer 46 or later".into()
            },
            flags,
            key: Hex(key.as_bytes().to_vec()),
            layer46_key: later.as_ref().map(|k| Hex(k.as_bytes().to_vec())),
            key_hash: Some(Hex(hash.to_vec())),
            pixels: Some(pixels_string(&hash)),
            result: Verdict::Acceptable,
            error: None,
        });
    }
    let own = VisualizationGroup {
        group_type: "SecretVisualizationTest".into(),
        source: self_source(),
        tests,
    };
    // The part spec §8.5 fixes, stated alone: the 36-byte key hash, no picture.
    let (tc_id, flags) = b.case(&["Ktv", "KeyHashOnly"])?;
    let ktv_hash = VisualizationGroup {
        group_type: "SecretVisualizationTest".into(),
        source: source(
            "spec-11.4",
            "spec §11.4 computed vector (not official): the §11.3 sample auth_key as a secret-chat key",
        ),
        tests: vec![VisualizationCase {
            tc_id,
            comment: format!(
                "the key hash alone of the sample auth_key of spec §11.3 (key_fingerprint {want_fp}), chat created at layer 46 or later"
            ),
            flags,
            key: Hex(sample.to_vec()),
            layer46_key: None,
            key_hash: Some(Hex(got.to_vec())),
            pixels: None,
            result: Verdict::Valid,
            error: None,
        }],
    };
    let mut d = Drbg::new("secret visualisation key hash");
    let mut tests = Vec::new();
    for i in 0..6 {
        let key = ChatKey::new(d.array::<256>());
        let later = (i >= 3).then(|| ChatKey::new(d.array::<256>()));
        let flags: &[&str] = if later.is_some() {
            &["Pseudorandom", "Layer46Key", "KeyHashOnly"]
        } else {
            &["Pseudorandom", "KeyHashOnly"]
        };
        let hash = key_hash(&key, later.as_ref());
        let (tc_id, flags) = b.case(flags)?;
        tests.push(VisualizationCase {
            tc_id,
            comment: if later.is_some() {
                "the key hash alone, older form: created before layer 46, SHA256 half over the later key".into()
            } else {
                "the key hash alone, layer-46 form: created at layer 46 or later, both halves over the original key".into()
            },
            flags,
            key: Hex(key.as_bytes().to_vec()),
            layer46_key: later.as_ref().map(|k| Hex(k.as_bytes().to_vec())),
            key_hash: Some(Hex(hash.to_vec())),
            pixels: None,
            result: Verdict::Valid,
            error: None,
        });
    }
    let own_hash = VisualizationGroup {
        group_type: "SecretVisualizationTest".into(),
        source: self_source(),
        tests,
    };
    Ok(b.finish(
        "MTProto secret chat key visualisation",
        "secret_visualization_test_schema_v1.json",
        &[
            "Key visualisation (spec §8.5): SHA1(original key)[0..16] || SHA256(layer-46 key)[0..20], and its 12x12 picture (pixels: 144 colour indices into FFFFFF, D5E6F3, 2D5775, 2F99C9, least significant bit pair of each byte first). The spec-11.4 groups' keyHash is independent of this project's code; its pixels and everything else are computed by the reference.",
            "Spec §8.5 fixes the 36-byte key hash but not the picture's bit order, so the cases with pixels are acceptable (PixelOrderConvention): an answer without pixels is judged by its key hash; one with pixels must also match the convention. The KeyHashOnly cases (tcId 8 on) state the key hash alone, valid, in both forms: a chat created at layer 46 or later and an older chat upgraded under a later key (Layer46Key).",
        ],
        vec![
            Group::Visualization(ktv),
            Group::Visualization(own),
            Group::Visualization(ktv_hash),
            Group::Visualization(own_hash),
        ],
    ))
}

// ---------------------------------------------------------------------------------------------
// Files (spec §8.6)

/// The generator's file cases: known answers over a few sizes and part sizes, then the receiver's
/// rejections, each breaking one rule of an otherwise valid file.
fn files() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_file_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut d = Drbg::new("secret files");
    let bad = |e: mtproto::SecretError| gerr(file, e);
    let mut groups = Vec::new();
    for part_size in [16u64, 1024] {
        let part = usize::try_from(part_size).map_err(|e| gerr(file, e))?;
        let mut tests = Vec::new();
        for len in [0usize, 1, 15, 16, 17, 100, 1024, 3000] {
            let key = FileKey::new(d.array::<32>(), d.array::<32>());
            let body = d.bytes(len);
            let padding = d.bytes((16 - len % 16) % 16);
            let (encrypted, fp) = encrypt_file(&key, &body, &padding, part).map_err(bad)?;
            let (tc_id, flags) = b.case(&["FileKnownAnswer"])?;
            tests.push(FileCase {
                tc_id,
                comment: format!("{len}-byte file, parts of {part_size} bytes"),
                flags,
                key: Hex(d_key(&key).0),
                iv: Hex(d_key(&key).1),
                key_fingerprint: i64::from(fp),
                size: i64::try_from(len).map_err(|e| gerr(file, e))?,
                encrypted: Hex(encrypted),
                file: Some(Hex(body)),
                padding: Some(Hex(padding)),
                result: Verdict::Valid,
                error: None,
            });
        }
        if part_size == 1024 {
            // The receiver's rejections: one rule broken per case.
            let key = FileKey::new(d.array::<32>(), d.array::<32>());
            let body = d.bytes(40);
            let padding = d.bytes(8);
            let (encrypted, fp) = encrypt_file(&key, &body, &padding, part).map_err(bad)?;
            let swapped = i32::from_be_bytes(fp.to_le_bytes());
            let mut invalid = |flag: &str,
                               comment: &str,
                               fingerprint: i32,
                               size: i64,
                               enc: Vec<u8>,
                               error: &str|
             -> Result<(), GenerateError> {
                let (tc_id, flags) = b.case(&[flag])?;
                tests.push(FileCase {
                    tc_id,
                    comment: comment.into(),
                    flags,
                    key: Hex(d_key(&key).0),
                    iv: Hex(d_key(&key).1),
                    key_fingerprint: i64::from(fingerprint),
                    size,
                    encrypted: Hex(enc),
                    file: None,
                    padding: None,
                    result: Verdict::Invalid,
                    error: Some(error.into()),
                });
                Ok(())
            };
            let m = "FileFingerprintMismatch";
            invalid(
                "FileFingerprint",
                "key_fingerprint with its lowest bit flipped",
                fp ^ 1,
                40,
                encrypted.clone(),
                m,
            )?;
            invalid(
                "FileFingerprint",
                "key_fingerprint of another key",
                fp.wrapping_add(0x0101_0101),
                40,
                encrypted.clone(),
                m,
            )?;
            invalid(
                "FileFingerprint",
                "key_fingerprint 0",
                if fp == 0 { 1 } else { 0 },
                40,
                encrypted.clone(),
                m,
            )?;
            if swapped != fp {
                invalid(
                    "FileFingerprintByteOrder",
                    "key_fingerprint read big-endian",
                    swapped,
                    40,
                    encrypted.clone(),
                    m,
                )?;
            }
            let s = "FileSizeInvalid";
            invalid(
                "FileSize",
                "declared size above the encrypted length",
                fp,
                49,
                encrypted.clone(),
                s,
            )?;
            invalid(
                "FileSize",
                "negative declared size",
                fp,
                -1,
                encrypted.clone(),
                s,
            )?;
            let mut cut = encrypted.clone();
            cut.truncate(47);
            invalid(
                "FileSize",
                "encrypted length not a multiple of 16",
                fp,
                40,
                cut,
                s,
            )?;
            // A key or iv that is not 32 bytes, with the fingerprint a sender would compute over
            // those bytes: a receiver that checks the fingerprint over what it received and then
            // takes the first 32 bytes of a longer key, or pads a 16-byte (CBC-sized) iv, would
            // go on; one that truncates or pads first refuses with FileFingerprintMismatch (a
            // "different error" in the report).
            let (k, v) = d_key(&key);
            let longer = |b: &[u8], extra: u8| {
                let mut l = b.to_vec();
                l.push(extra);
                l
            };
            for (comment, fk, fv) in [
                ("key of 31 bytes", k[..31].to_vec(), v.clone()),
                (
                    "key of 33 bytes (the 32 bytes used plus one)",
                    longer(&k, 0x5a),
                    v.clone(),
                ),
                ("empty key", Vec::new(), v.clone()),
                (
                    "iv of 16 bytes (an AES-CBC iv)",
                    k.clone(),
                    v[..16].to_vec(),
                ),
                ("iv of 33 bytes", k.clone(), longer(&v, 0xa5)),
            ] {
                let (tc_id, flags) = b.case(&["FileKeyLength"])?;
                tests.push(FileCase {
                    tc_id,
                    comment: comment.into(),
                    flags,
                    key_fingerprint: i64::from(mtproto::secret::file::fingerprint(&fk, &fv)),
                    key: Hex(fk),
                    iv: Hex(fv),
                    size: 40,
                    encrypted: Hex(encrypted.clone()),
                    file: None,
                    padding: None,
                    result: Verdict::Invalid,
                    error: Some("FileKeyInvalid".into()),
                });
            }
            // Spec §8.6 and [e2e] say nothing about the padding a receiver must refuse: senders
            // pad to under one block, and the reference refuses a whole block more, but an
            // implementation that cuts to `size` and ignores the rest is not wrong.
            let (tc_id, flags) = b.case(&["FilePaddingBlock"])?;
            tests.push(FileCase {
                tc_id,
                comment: "a whole block of padding past the declared size (project strictness)"
                    .into(),
                flags,
                key: Hex(d_key(&key).0),
                iv: Hex(d_key(&key).1),
                key_fingerprint: i64::from(fp),
                size: 32,
                encrypted: Hex(encrypted.clone()),
                // What an accepting receiver returns: the first 32 bytes of the 40 encrypted.
                file: Some(Hex(body.get(..32).unwrap_or_default().to_vec())),
                padding: None,
                result: Verdict::Acceptable,
                error: Some(s.into()),
            });
        }
        groups.push(Group::File(FileGroup {
            group_type: "SecretFileTest".into(),
            part_size,
            source: source(
                "self",
                "project-computed known answers (mtproto-vectors generator v1): no independent secret-chat file vector is published",
            ),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto secret chat files",
        "secret_file_test_schema_v1.json",
        &["Secret-chat files (spec §8.6): the file encrypted with AES-256-IGE under a one-time 32-byte key and 32-byte iv, chained across upload parts of partSize bytes, padded to whole blocks, cut to the declared size on receipt; key_fingerprint = md5(key || iv)[0..4] XOR md5(key || iv)[4..8] as a little-endian int32, as TDLib computes it. Every value is computed by this project (project-computed known answers, not independent evidence)."],
        groups,
    ))
}

// ---------------------------------------------------------------------------------------------
// Chat traces: layers and MTProto versions (spec §8.2)

/// A message from the originator (the peer of the acceptor under test).
enum Body {
    Text,
    NotifyLayer(i32),
}

/// A packet from the originator: raw in/out counters, the layer field, MTProto 2.0 or 1.0.
fn peer_packet(
    d: &mut Drbg,
    key: &ChatKey,
    (raw_in, raw_out): (i32, i32),
    layer: i32,
    body: Body,
    v1: bool,
) -> Result<Vec<u8>, mtproto::SecretError> {
    let mut l = text_layer(d, 16, 2 * raw_in, 2 * raw_out + 1);
    l.layer = layer;
    if let Body::NotifyLayer(n) = body {
        l.message = DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
            random_id: i64::from_le_bytes(d.array::<8>()),
            action: DecryptedMessageAction::DecryptedMessageActionNotifyLayer(
                DecryptedMessageActionNotifyLayer { layer: n },
            ),
        });
    }
    let inner = l.to_bytes();
    if v1 {
        let pad = (16 - (inner.len() + 4) % 16) % 16;
        message::encrypt_v1(key, &inner, &d.bytes(pad))
    } else {
        let pad = message::padding_len(inner.len(), 0);
        message::encrypt(key, Role::Originator, &inner, &d.bytes(pad))
    }
}

fn notify_reply() -> ChatReply {
    ChatReply {
        layer: LAYER.max(73),
        action: Hex(DecryptedMessageAction::DecryptedMessageActionNotifyLayer(
            DecryptedMessageActionNotifyLayer { layer: LAYER },
        )
        .to_bytes()),
    }
}

fn resend_reply(start_seq_no: i32, end_seq_no: i32) -> ChatReply {
    ChatReply {
        layer: 73,
        action: Hex(DecryptedMessageAction::DecryptedMessageActionResend(
            DecryptedMessageActionResend {
                start_seq_no,
                end_seq_no,
            },
        )
        .to_bytes()),
    }
}

fn chat_expect(verdict: &str) -> ChatExpect {
    ChatExpect {
        verdict: verdict.into(),
        delivered: None,
        peer_layer: None,
        replies: None,
        notices: None,
        layer: None,
        action: None,
        error: None,
    }
}

fn chat_deliver(outs: &[i64], peer_layer: i32, replies: Vec<ChatReply>, newer: bool) -> ChatExpect {
    ChatExpect {
        delivered: Some(outs.to_vec()),
        peer_layer: Some(peer_layer),
        replies: (!replies.is_empty()).then_some(replies),
        notices: newer.then(|| vec!["PeerLayerNewer".to_owned()]),
        ..chat_expect("deliver")
    }
}

fn refused(verdict: &str, error: &str) -> ChatExpect {
    ChatExpect {
        error: Some(error.into()),
        ..chat_expect(verdict)
    }
}

fn recv(packet: Vec<u8>, expect: ChatExpect) -> ChatStep {
    ChatStep {
        op: "receive".into(),
        packet: Some(Hex(packet)),
        message: None,
        exchange_id: None,
        secret: None,
        fresh: None,
        expect,
    }
}

/// Hand-written traces for the acceptor's side, each checked against the reference before it is
/// written.
fn chat_trace() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_chat_trace_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut d = Drbg::new("secret chat traces");
    let key = ChatKey::new(d.array::<256>());
    let e = |x: mtproto::SecretError| gerr(file, x);
    let l = LAYER;
    let mut cases: Vec<(&str, &[&str], Vec<ChatStep>)> = Vec::new();
    let p = |d: &mut Drbg, seq, layer, body, v1| peer_packet(d, &key, seq, layer, body, v1);

    let m = p(&mut d, (0, 0), l, Body::Text, false).map_err(e)?;
    cases.push((
        "a 2.0 message at this side's layer: the peer's layer follows it",
        &["LayerTracked"],
        vec![recv(m, chat_deliver(&[1], l, vec![], false))],
    ));
    let m = p(&mut d, (0, 0), 46, Body::Text, false).map_err(e)?;
    cases.push((
        "a peer at layer 46 hears this side's layer once",
        &["LayerTracked", "NotifyLayerReply"],
        vec![recv(m, chat_deliver(&[1], 46, vec![notify_reply()], false))],
    ));
    let m1 = p(&mut d, (0, 0), 46, Body::Text, false).map_err(e)?;
    let m2 = p(&mut d, (0, 1), 46, Body::Text, false).map_err(e)?;
    cases.push((
        "one NotifyLayer reply per chat, not one per message",
        &["NotifyLayerReply"],
        vec![
            recv(m1, chat_deliver(&[1], 46, vec![notify_reply()], false)),
            recv(m2, chat_deliver(&[3], 46, vec![], false)),
        ],
    ));
    let m = p(&mut d, (1, 0), 46, Body::Text, false).map_err(e)?;
    let announce = ChatStep {
        op: "announce".into(),
        packet: None,
        message: None,
        exchange_id: None,
        secret: None,
        fresh: None,
        expect: ChatExpect {
            layer: Some(notify_reply().layer),
            action: Some(notify_reply().action),
            ..chat_expect("sent")
        },
    };
    cases.push((
        "announced when ready: no second NotifyLayer for an older peer",
        &["LayerAnnounce"],
        vec![announce, recv(m, chat_deliver(&[1], 46, vec![], false))],
    ));
    let m = p(&mut d, (0, 0), 46, Body::NotifyLayer(l), false).map_err(e)?;
    cases.push((
        "decryptedMessageActionNotifyLayer raises the peer's layer",
        &["NotifyLayerProcessed"],
        vec![recv(m, chat_deliver(&[1], l, vec![], false))],
    ));
    let m1 = p(&mut d, (0, 0), l, Body::Text, false).map_err(e)?;
    let m2 = p(&mut d, (0, 1), l, Body::NotifyLayer(46), false).map_err(e)?;
    cases.push((
        "a NotifyLayer below the known layer changes nothing",
        &["NotifyLayerProcessed"],
        vec![
            recv(m1, chat_deliver(&[1], l, vec![], false)),
            recv(m2, chat_deliver(&[3], l, vec![], false)),
        ],
    ));
    let m = p(&mut d, (0, 0), l + 1, Body::Text, false).map_err(e)?;
    cases.push((
        "a message of a layer above this side's: accepted, the user is told to update",
        &["PeerLayerNewer"],
        vec![recv(m, chat_deliver(&[1], l + 1, vec![], true))],
    ));
    let m = p(&mut d, (0, 0), l, Body::NotifyLayer(l + 20), false).map_err(e)?;
    cases.push((
        "a NotifyLayer above this side's layer: the user is told to update",
        &["PeerLayerNewer"],
        vec![recv(m, chat_deliver(&[1], l + 20, vec![], true))],
    ));
    let m = p(&mut d, (0, 0), 46, Body::Text, true).map_err(e)?;
    cases.push((
        "an MTProto 1.0 message at layer 46 is accepted",
        &["MtProto1Below73"],
        vec![recv(m, chat_deliver(&[1], 46, vec![notify_reply()], false))],
    ));
    let late = p(&mut d, (0, 0), 46, Body::Text, true).map_err(e)?;
    let v2 = p(&mut d, (0, 1), 46, Body::Text, false).map_err(e)?;
    cases.push((
        "a 1.0 message sent before the peer's first 2.0 one may arrive after it",
        &["MtProto1Below73"],
        vec![
            recv(
                v2,
                ChatExpect {
                    peer_layer: Some(46),
                    replies: Some(vec![resend_reply(1, 1)]),
                    ..chat_expect("queue")
                },
            ),
            recv(late, chat_deliver(&[1, 3], 46, vec![notify_reply()], false)),
        ],
    ));
    let m = p(&mut d, (0, 0), 73, Body::Text, true).map_err(e)?;
    cases.push((
        "an MTProto 1.0 message at layer 73",
        &["MtProto1AtLayer73"],
        vec![recv(m, refused("close", "MtProto1Forbidden"))],
    ));
    let v2 = p(&mut d, (0, 0), 46, Body::Text, false).map_err(e)?;
    let v1 = p(&mut d, (0, 1), 46, Body::Text, true).map_err(e)?;
    cases.push((
        "an MTProto 1.0 message after a 2.0 one with a lower out_seq_no",
        &["MtProto1AfterV2"],
        vec![
            recv(v2, chat_deliver(&[1], 46, vec![notify_reply()], false)),
            recv(v1, refused("close", "MtProto1Forbidden")),
        ],
    ));
    let m1 = p(&mut d, (0, 0), l, Body::Text, false).map_err(e)?;
    let m2 = p(&mut d, (0, 1), 46, Body::Text, false).map_err(e)?;
    cases.push((
        "the peer's layer goes down",
        &["LayerDecreased"],
        vec![
            recv(m1, chat_deliver(&[1], l, vec![], false)),
            recv(m2, refused("close", "LayerDecreased")),
        ],
    ));
    let mut m = p(&mut d, (0, 0), 46, Body::Text, true).map_err(e)?;
    if let Some(last) = m.last_mut() {
        *last ^= 1;
    }
    cases.push((
        "a tampered MTProto 1.0 packet",
        &["MtProto1Tampered"],
        vec![recv(m, refused("reject", "MsgKeyMismatch"))],
    ));
    let old = p(&mut d, (0, 0), 46, Body::Text, true).map_err(e)?;
    let new = p(&mut d, (0, 1), l, Body::Text, false).map_err(e)?;
    cases.push((
        "an old 1.0 message replayed after the peer moved to 2.0 at layer 73",
        &["MtProto1Replay"],
        vec![
            recv(
                old.clone(),
                chat_deliver(&[1], 46, vec![notify_reply()], false),
            ),
            recv(new, chat_deliver(&[3], l, vec![], false)),
            recv(old, refused("reject", "SeqNoRepeated")),
        ],
    ));

    let mut tests = Vec::new();
    for (comment, flags, steps) in cases {
        let first = steps
            .iter()
            .find(|st| matches!(st.expect.verdict.as_str(), "reject" | "close" | "refuse"))
            .and_then(|st| st.expect.error.clone());
        let (tc_id, flags) = b.case(flags)?;
        let case = ChatTraceCase {
            tc_id,
            comment: comment.into(),
            flags,
            result: if first.is_some() {
                Verdict::Invalid
            } else {
                Verdict::Valid
            },
            error: first,
            steps,
        };
        check_chat_trace(file, &key, &case)?;
        tests.push(case);
    }
    let group = ChatTraceGroup {
        group_type: "SecretChatTraceTest".into(),
        role: "acceptor".into(),
        key: Hex(key.as_bytes().to_vec()),
        source: source(
            "self",
            "mtproto-vectors generator v1 (hand-written traces checked against the reference)",
        ),
        tests,
    };
    Ok(b.finish(
        "MTProto secret chat layers and MTProto versions",
        "secret_chat_trace_test_schema_v1.json",
        &["One side of a secret chat (the acceptor) receiving packets from the originator (spec §8.2): the peer's layer (starts at 46, raised by message layers and NotifyLayer, a rise above this side's layer reported as PeerLayerNewer), this side's NotifyLayer announcements, MTProto 1.0 accepted below layer 73 and refused at 73 or after a 2.0 message with a lower out_seq_no, and a layer that goes down. Replies are given as their layer and action. Hand-written traces, checked against the reference; every value is this project's."],
        vec![Group::ChatTrace(group)],
    ))
}

/// Refuse to write a chat trace the reference does not reproduce step for step.
fn check_chat_trace(file: &str, key: &ChatKey, case: &ChatTraceCase) -> Result<(), GenerateError> {
    let mut req = Fields::new();
    req.insert("role".into(), Value::from("acceptor"));
    req.insert("key".into(), Value::from(hex::encode(key.as_bytes())));
    let steps: Vec<Value> = case
        .steps
        .iter()
        .map(|s| {
            let mut m = serde_json::Map::new();
            m.insert("op".into(), Value::from(s.op.clone()));
            if let Some(p) = &s.packet {
                m.insert("packet".into(), Value::from(p.to_hex()));
            }
            Value::Object(m)
        })
        .collect();
    req.insert("steps".into(), Value::Array(steps));
    let got = match op::call(op::CHAT_TRACE, &req) {
        Some(Ok(Answer::Ok(f))) => f.get("results").cloned().unwrap_or(Value::Null),
        other => {
            return Err(gerr(
                file,
                format!("tc {}: the reference answered {other:?}", case.tc_id),
            ));
        }
    };
    let want = Value::Array(
        case.steps
            .iter()
            .map(|s| serde_json::to_value(&s.expect).unwrap_or(Value::Null))
            .collect(),
    );
    if got != want {
        return Err(gerr(
            file,
            format!(
                "tc {} ({}): the reference gives {got}, the trace says {want}",
                case.tc_id, case.comment
            ),
        ));
    }
    Ok(())
}

/// The key and iv of a generated file key, for the case fields.
fn d_key(k: &FileKey) -> (Vec<u8>, Vec<u8>) {
    (k.key().to_vec(), k.iv().to_vec())
}

// ---------------------------------------------------------------------------------------------
// Messages

fn text_layer(
    d: &mut Drbg,
    random_bytes: usize,
    in_seq_no: i32,
    out_seq_no: i32,
) -> DecryptedMessageLayer {
    let n = d.range(0, 40);
    let text: String = d
        .bytes(n)
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    DecryptedMessageLayer {
        random_bytes: d.bytes(random_bytes),
        layer: 73,
        in_seq_no,
        out_seq_no,
        message: DecryptedMessage::DecryptedMessage73(DecryptedMessage73 {
            no_webpage: false,
            silent: false,
            random_id: i64::from_le_bytes(d.array::<8>()),
            ttl: 0,
            message: text,
            media: None,
            entities: None,
            via_bot_name: None,
            reply_to_random_id: None,
            grouped_id: None,
        }),
    }
}

fn encrypt() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_encrypt_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut d = Drbg::new("secret encrypt");
    let mut groups = Vec::new();
    for sender in [Role::Originator, Role::Acceptor] {
        let mut tests = Vec::new();
        let key = ChatKey::new(d.array::<256>());
        let mut push = |b: &mut Builder,
                        flags: &[&str],
                        comment: String,
                        layer: Vec<u8>,
                        padding: Vec<u8>|
         -> Result<(), GenerateError> {
            let r = message::encrypt(&key, sender, &layer, &padding);
            let (result, error) = verdict_of(&r);
            let (tc_id, flags) = b.case(flags)?;
            tests.push(EncryptCase {
                tc_id,
                comment,
                flags,
                key: Hex(key.as_bytes().to_vec()),
                layer: Hex(layer),
                padding: Hex(padding),
                packet: r.ok().map(Hex),
                result,
                error,
            });
            Ok(())
        };
        for i in 0..4 {
            let layer = text_layer(&mut d, 15 + i * 5, 2 * i as i32, 2 * i as i32 + 1).to_bytes();
            let extra = d.range(0, 20);
            let pad = d.bytes(message::padding_len(layer.len(), extra));
            push(
                &mut b,
                &["Pseudorandom"],
                format!(
                    "a layer of {} bytes, {} bytes of padding",
                    layer.len(),
                    pad.len()
                ),
                layer,
                pad,
            )?;
        }
        let layer = text_layer(&mut d, 16, 0, 1).to_bytes();
        let max = message::padding_len(layer.len(), 1000);
        push(
            &mut b,
            &["Pseudorandom"],
            format!("the most padding that stays within 1024 ({max})"),
            layer.clone(),
            d.bytes(max),
        )?;
        let min = message::padding_len(layer.len(), 0);
        for (flags, comment, l, pad) in [
            (
                &["EncryptRefuse"] as &[&str],
                "padding of 8 bytes",
                layer.clone(),
                vec![0x11; 8],
            ),
            (
                &["EncryptRefuse"],
                "padding of 1028 bytes",
                layer.clone(),
                vec![0x22; 1028],
            ),
            (
                &["EncryptRefuse"],
                "a message not a multiple of 4 bytes",
                layer[..layer.len() - 1].to_vec(),
                vec![0x33; min],
            ),
            (
                &["EncryptRefuse"],
                "length + message + padding not a multiple of 16",
                layer.clone(),
                vec![0x44; min + 4],
            ),
        ] {
            push(&mut b, flags, comment.into(), l, pad)?;
        }
        groups.push(Group::Encrypt(EncryptGroup {
            group_type: "SecretEncryptTest".into(),
            sender: role_name(sender).into(),
            source: self_source(),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto 2.0 secret chat message encryption",
        "secret_encrypt_test_schema_v1.json",
        &["Secret-chat message encryption (spec §8.2): length || decryptedMessageLayer || padding under MTProto 2.0 with the chat key, x = 0 from the originator and 8 from the acceptor. Computed by this project's reference (source self)."],
        groups,
    ))
}

fn sealed(key: &ChatKey, sender: Role, plaintext: &[u8]) -> Result<Vec<u8>, GenerateError> {
    envelope::seal(key.as_auth_key(), sender.send_direction(), plaintext)
        .map_err(|e| gerr("secret/secret_decrypt_test.json", e))
}

fn plaintext(declared: i32, inner: &[u8], padding: &[u8]) -> Vec<u8> {
    let mut p = declared.to_le_bytes().to_vec();
    p.extend_from_slice(inner);
    p.extend_from_slice(padding);
    p
}

fn len32(v: &[u8]) -> i32 {
    i32::try_from(v.len()).unwrap_or(i32::MAX)
}

/// A layer whose serialization plus 4 + `padding` is a multiple of 16 (by the random_bytes length).
fn aligned_layer(d: &mut Drbg, padding: usize) -> Vec<u8> {
    for extra in 0..16 {
        let l = text_layer(&mut d.clone(), 16 + extra, 0, 1).to_bytes();
        if (4 + l.len() + padding).is_multiple_of(16) {
            return text_layer(d, 16 + extra, 0, 1).to_bytes();
        }
    }
    Vec::new()
}

fn decrypt() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_decrypt_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut d = Drbg::new("secret decrypt");
    let mut groups = Vec::new();
    for receiver in [Role::Originator, Role::Acceptor] {
        let sender = receiver.peer();
        let key = ChatKey::new(d.array::<256>());
        let mut tests = Vec::new();
        let mut push = |b: &mut Builder,
                        flags: &[&str],
                        comment: String,
                        packet: Vec<u8>|
         -> Result<(), GenerateError> {
            let r = message::decrypt(&key, receiver, &packet);
            let (result, error) = verdict_of(&r);
            let (tc_id, flags) = b.case(flags)?;
            tests.push(DecryptCase {
                tc_id,
                comment,
                flags,
                key: Hex(key.as_bytes().to_vec()),
                packet: Hex(packet),
                layer: r.ok().map(|l| Hex(l.to_bytes())),
                result,
                error,
            });
            Ok(())
        };
        let enc = |inner: &[u8], pad: &[u8]| {
            message::encrypt(&key, sender, inner, pad).map_err(|e| gerr(file, e))
        };
        for i in 0..4usize {
            let inner = text_layer(&mut d, 15 + 7 * i, 2 * i as i32, 2 * i as i32 + 1).to_bytes();
            let extra = d.range(0, 10);
            let pad = d.bytes(message::padding_len(inner.len(), extra));
            push(
                &mut b,
                &["Pseudorandom"],
                format!("a layer of {} bytes", inner.len()),
                enc(&inner, &pad)?,
            )?;
        }
        let inner = text_layer(&mut d, 15, 0, 1).to_bytes();
        let pad = d.bytes(message::padding_len(inner.len(), 0));
        push(
            &mut b,
            &["RandomBytes"],
            "random_bytes of exactly 15 bytes".into(),
            enc(&inner, &pad)?,
        )?;
        let short = text_layer(&mut d, 14, 0, 1).to_bytes();
        let pad14 = d.bytes(message::padding_len(short.len(), 0));
        push(
            &mut b,
            &["RandomBytes"],
            "random_bytes of 14 bytes".into(),
            enc(&short, &pad14)?,
        )?;
        for padding in [12usize, 1024] {
            let inner = aligned_layer(&mut d, padding);
            push(
                &mut b,
                &["EnvelopeCheck"],
                format!("padding of {padding} bytes (a bound)"),
                sealed(
                    &key,
                    sender,
                    &plaintext(len32(&inner), &inner, &d.bytes(padding)),
                )?,
            )?;
        }
        for padding in [8usize, 1028] {
            let inner = aligned_layer(&mut d, padding);
            push(
                &mut b,
                &["EnvelopeCheck"],
                format!("padding of {padding} bytes"),
                sealed(
                    &key,
                    sender,
                    &plaintext(len32(&inner), &inner, &d.bytes(padding)),
                )?,
            )?;
        }
        let inner = text_layer(&mut d, 20, 0, 1).to_bytes();
        let pad = d.bytes(message::padding_len(inner.len(), 1));
        let good = enc(&inner, &pad)?;
        let available = len32(&inner) + len32(&pad);
        push(
            &mut b,
            &["EnvelopeCheck"],
            "length field past the end of the plaintext".into(),
            sealed(&key, sender, &plaintext(available + 4, &inner, &pad))?,
        )?;
        push(
            &mut b,
            &["EnvelopeCheck"],
            "negative length field".into(),
            sealed(&key, sender, &plaintext(-4, &inner, &pad))?,
        )?;
        push(
            &mut b,
            &["EnvelopeCheck"],
            "length field not a multiple of 4".into(),
            sealed(&key, sender, &plaintext(len32(&inner) - 1, &inner, &pad))?,
        )?;
        let mut bad_id = inner.clone();
        bad_id[0] ^= 0x01;
        push(
            &mut b,
            &["LayerDecode"],
            "unknown constructor instead of decryptedMessageLayer".into(),
            sealed(&key, sender, &plaintext(len32(&bad_id), &bad_id, &pad))?,
        )?;
        let mut trailing = inner.clone();
        trailing.extend_from_slice(&[0; 16]);
        push(
            &mut b,
            &["LayerDecode"],
            "16 bytes after the layer inside the length".into(),
            sealed(
                &key,
                sender,
                &plaintext(len32(&trailing), &trailing, &pad[..pad.len() - 16]),
            )?,
        )?;
        let cut = &inner[..inner.len() - 16];
        let mut cut_pad = pad.clone();
        cut_pad.extend_from_slice(&inner[inner.len() - 16..]);
        push(
            &mut b,
            &["LayerDecode"],
            "the length cuts the layer short".into(),
            sealed(&key, sender, &plaintext(len32(cut), cut, &cut_pad))?,
        )?;
        let mut t = good.clone();
        t[0] ^= 0x80;
        push(
            &mut b,
            &["UnknownFingerprint"],
            "key_fingerprint of another key".into(),
            t,
        )?;
        let mut t = good.clone();
        t[8] ^= 0x01;
        push(
            &mut b,
            &["Tampered"],
            "msg_key with one bit changed".into(),
            t,
        )?;
        let mut t = good.clone();
        let last = t.len() - 1;
        t[last] ^= 0x01;
        push(
            &mut b,
            &["Tampered"],
            "last ciphertext byte changed".into(),
            t,
        )?;
        push(
            &mut b,
            &["WrongRole"],
            "encrypted with the receiver's own x".into(),
            message::encrypt(&key, receiver, &inner, &pad).map_err(|e| gerr(file, e))?,
        )?;
        push(
            &mut b,
            &["Truncated"],
            "20 bytes".into(),
            good[..20].to_vec(),
        )?;
        push(
            &mut b,
            &["Truncated"],
            "24 + 32 bytes: below the smallest plaintext".into(),
            good[..56].to_vec(),
        )?;
        push(
            &mut b,
            &["Truncated"],
            "one byte short of a block".into(),
            good[..good.len() - 1].to_vec(),
        )?;
        groups.push(Group::Decrypt(DecryptGroup {
            group_type: "SecretDecryptTest".into(),
            receiver: role_name(receiver).into(),
            source: self_source(),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto 2.0 secret chat message decryption",
        "secret_decrypt_test_schema_v1.json",
        &[
            "Secret-chat message decryption (spec §8.2), both roles: the fingerprint selects the key, then size and alignment, the msg_key over the whole plaintext (constant time), the length and padding, the layer as a strict TL value, and random_bytes >= 15.",
            "Invalid plaintexts are sealed with a correct msg_key so that only the named check can reject them. Computed by this project's reference (source self).",
        ],
        groups,
    ))
}

// ---------------------------------------------------------------------------------------------
// Traces

fn ex(verdict: &str) -> Expect {
    Expect {
        verdict: verdict.into(),
        in_seq_no: None,
        out_seq_no: None,
        delivered: None,
        resend_start: None,
        resend_end: None,
        action: None,
        key_fingerprint: None,
        error: None,
    }
}

fn step(op: &str) -> Step {
    Step {
        op: op.into(),
        in_seq_no: None,
        out_seq_no: None,
        start_seq_no: None,
        end_seq_no: None,
        exchange_id: None,
        action: None,
        expect: ex(""),
    }
}

/// Hand-written seq steps: `S(in, out)` a send expecting those numbers; `R(in, out, expect)`.
enum Sq {
    S(i32, i32),
    R(i32, i32, Expect),
    Rr(i32, i32, Expect),
}

fn deliver(outs: &[i64]) -> Expect {
    Expect {
        delivered: Some(outs.to_vec()),
        ..ex("deliver")
    }
}

fn queue(resend: Option<(i32, i32)>) -> Expect {
    Expect {
        resend_start: resend.map(|r| r.0),
        resend_end: resend.map(|r| r.1),
        ..ex("queue")
    }
}

fn rejected(verdict: &str, error: &str) -> Expect {
    Expect {
        error: Some(error.into()),
        ..ex(verdict)
    }
}

fn seq_steps(list: Vec<Sq>) -> Vec<Step> {
    list.into_iter()
        .map(|s| match s {
            Sq::S(i, o) => Step {
                expect: Expect {
                    in_seq_no: Some(i),
                    out_seq_no: Some(o),
                    ..ex("sent")
                },
                ..step("send")
            },
            Sq::R(i, o, e) => Step {
                in_seq_no: Some(i),
                out_seq_no: Some(o),
                expect: e,
                ..step("receive")
            },
            Sq::Rr(s, e2, e) => Step {
                start_seq_no: Some(s),
                end_seq_no: Some(e2),
                expect: e,
                ..step("resendRequest")
            },
        })
        .collect()
}

/// Run `steps` through the reference's trace op; the results, or why it could not.
fn reference_results(
    op_name: &str,
    mut req: Fields,
    steps: &[Step],
    file: &str,
) -> Result<Vec<Expect>, GenerateError> {
    req.insert(
        "steps".into(),
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
        ),
    );
    let answer = op::call(op_name, &req)
        .ok_or_else(|| gerr(file, "no such op"))?
        .map_err(|e| gerr(file, e))?;
    let Answer::Ok(f) = answer else {
        return Err(gerr(
            file,
            format!("the reference did not run the trace: {answer:?}"),
        ));
    };
    let results = f.get("results").cloned().unwrap_or(Value::Null);
    serde_json::from_value(results).map_err(|e| gerr(file, e))
}

fn trace_verdict(steps: &[Step]) -> (Verdict, Option<String>) {
    match steps
        .iter()
        .find(|s| matches!(s.expect.verdict.as_str(), "ignore" | "close" | "refuse"))
    {
        Some(s) => (Verdict::Invalid, s.expect.error.clone()),
        None => (Verdict::Valid, None),
    }
}

fn seq_trace() -> Result<(String, File<Group>), GenerateError> {
    use Sq::{R, Rr, S};
    let file = "secret/secret_seq_trace_test.json";
    let mut b = Builder::new(file, FLAGS);
    let closed = || rejected("close", "ChatClosed");
    let mut groups = Vec::new();
    for role in [Role::Acceptor, Role::Originator] {
        // Parities: what this side receives (from the peer) and sends.
        let (pi, po) = mtproto::secret::seq::parities(role.peer());
        let (mi, mo) = mtproto::secret::seq::parities(role);
        let o = |raw: i32| 2 * raw + po; // the peer's out_seq_no
        let i_ = |raw: i32| 2 * raw + pi; // the peer's in_seq_no
        let oo = |raw: i64| 2 * raw + i64::from(po);
        let mut hand: Vec<(&[&str], &str, Vec<Sq>)> = vec![
            (
                &["InOrder"],
                "three messages in order, one sent in between",
                vec![
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(0), o(1), deliver(&[oo(1)])),
                    S(2 * 2 + mi, mo),
                    R(i_(1), o(2), deliver(&[oo(2)])),
                ],
            ),
            (
                &["Replay"],
                "the same message twice",
                vec![
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(0), o(0), rejected("ignore", "SeqNoRepeated")),
                    R(i_(0), o(1), deliver(&[oo(1)])),
                ],
            ),
            (
                &["Replay"],
                "a repeat is dropped before its in_seq_no is looked at",
                vec![
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(500), o(0), rejected("ignore", "SeqNoRepeated")),
                ],
            ),
            (
                &["Replay"],
                "a negative out_seq_no is below every counter (-1 / 2 truncates to 0)",
                vec![
                    R(
                        i_(0),
                        if po == 1 { -1 } else { -2 },
                        rejected("ignore", "SeqNoRepeated"),
                    ),
                    R(i_(0), o(0), deliver(&[oo(0)])),
                ],
            ),
            (
                &["Gap"],
                "a hole of two, filled in reverse",
                vec![
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(0), o(3), queue(Some((o(1), o(2))))),
                    R(i_(0), o(2), queue(None)),
                    R(i_(0), o(1), deliver(&[oo(1), oo(2), oo(3)])),
                ],
            ),
            (
                &["Gap"],
                "the first message missing",
                vec![
                    R(i_(0), o(2), queue(Some((o(0), o(1))))),
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(0), o(1), deliver(&[oo(1), oo(2)])),
                ],
            ),
            (
                &["Gap"],
                "two holes, one request each; a message right after the queue opens none",
                vec![
                    R(i_(0), o(2), queue(Some((o(0), o(1))))),
                    R(i_(0), o(3), queue(None)),
                    R(i_(0), o(6), queue(Some((o(4), o(5))))),
                    R(i_(0), o(0), deliver(&[oo(0)])),
                    R(i_(0), o(1), deliver(&[oo(1), oo(2), oo(3)])),
                    R(i_(0), o(5), queue(None)),
                    R(i_(0), o(4), deliver(&[oo(4), oo(5), oo(6)])),
                ],
            ),
            (
                &["Gap", "Replay"],
                "a message already queued behind a gap, again",
                vec![
                    R(i_(0), o(2), queue(Some((o(0), o(1))))),
                    R(i_(0), o(2), rejected("ignore", "SeqNoRepeated")),
                ],
            ),
            (
                &["SeqNoParity"],
                "out_seq_no of the wrong parity",
                vec![
                    R(i_(0), o(0) + 1, rejected("close", "SeqNoParity")),
                    R(i_(0), o(0), closed()),
                ],
            ),
            (
                &["SeqNoParity"],
                "in_seq_no of the wrong parity",
                vec![R(i_(0) + 1, o(0), rejected("close", "SeqNoParity"))],
            ),
            (
                &["InSeqNo"],
                "in_seq_no above the number of messages sent",
                vec![R(i_(1), o(0), rejected("close", "InSeqNoInvalid"))],
            ),
            (
                &["InSeqNo"],
                "negative in_seq_no",
                vec![R(i_(0) - 2, o(0), rejected("close", "InSeqNoInvalid"))],
            ),
            (
                &["InSeqNo"],
                "in_seq_no decreasing",
                vec![
                    S(mi, mo),
                    S(mi, 2 + mo),
                    R(i_(2), o(0), deliver(&[oo(0)])),
                    R(i_(1), o(1), rejected("close", "InSeqNoInvalid")),
                ],
            ),
            (
                &["InSeqNo", "Gap"],
                "a queued message with a larger in_seq_no than the one after it",
                vec![
                    S(mi, mo),
                    S(mi, 2 + mo),
                    R(i_(1), o(2), queue(Some((o(0), o(1))))),
                    R(i_(2), o(1), rejected("close", "InSeqNoInvalid")),
                ],
            ),
            (
                &["Resend"],
                "resend requests for messages sent",
                vec![
                    S(mi, mo),
                    S(mi, 2 + mo),
                    S(mi, 4 + mo),
                    Rr(mo, 4 + mo, ex("ok")),
                    Rr(2 + mo, 2 + mo, ex("ok")),
                ],
            ),
            (
                &["Resend"],
                "a resend request past the last message sent",
                vec![
                    S(mi, mo),
                    Rr(mo, 2 + mo, rejected("close", "ResendInvalid")),
                ],
            ),
            (
                &["Resend"],
                "a resend request with the wrong parity",
                vec![
                    S(mi, mo),
                    S(mi, 2 + mo),
                    Rr(1 - mo, 1 - mo, rejected("close", "ResendInvalid")),
                ],
            ),
            (
                &["Resend"],
                "a resend request with start after end",
                vec![
                    S(mi, mo),
                    S(mi, 2 + mo),
                    Rr(2 + mo, mo, rejected("close", "ResendInvalid")),
                ],
            ),
        ];
        // The gap queue's bound: 1024 queued messages, then one more.
        let mut full = Vec::new();
        for raw in 1..=1025 {
            let e = match raw {
                1 => queue(Some((o(0), o(0)))),
                1025 => rejected("close", "GapQueueFull"),
                _ => queue(None),
            };
            full.push(R(i_(0), o(raw), e));
        }
        hand.push((
            &["GapQueueFull"],
            "1024 messages behind a hole, then one more",
            full,
        ));
        let mut tests = Vec::new();
        for (flags, comment, list) in hand {
            let steps = seq_steps(list);
            let mut req = Fields::new();
            req.insert("role".into(), Value::from(role_name(role)));
            let got = reference_results(op::SEQ_TRACE, req, &steps, file)?;
            for (k, (g, s)) in got.iter().zip(&steps).enumerate() {
                if *g != s.expect {
                    return Err(gerr(
                        file,
                        format!(
                            "{comment} ({}): step {k}: the reference gives {g:?}, the trace expects {:?}",
                            role_name(role),
                            s.expect
                        ),
                    ));
                }
            }
            let (result, error) = trace_verdict(&steps);
            let (tc_id, flags) = b.case(flags)?;
            tests.push(SeqTraceCase {
                tc_id,
                comment: comment.into(),
                flags,
                steps,
                result,
                error,
            });
        }
        // Pseudorandom traces near the counters.
        let mut d = Drbg::new(&format!("secret seq trace {}", role_name(role)));
        for t in 0..8 {
            let mut steps = Vec::new();
            let (mut sent, mut got) = (0i32, 0i32);
            for _ in 0..d.range(5, 30) {
                let s = match d.below(6) {
                    0 => {
                        sent += 1;
                        step("send")
                    }
                    1 if d.below(4) == 0 => {
                        let a = d.range(0, 4) as i32;
                        let z = a + d.range(0, 3) as i32;
                        Step {
                            start_seq_no: Some(2 * a + mo),
                            end_seq_no: Some(2 * z + mo),
                            ..step("resendRequest")
                        }
                    }
                    _ => {
                        let out = got + d.range(0, 3) as i32 - 1;
                        got = got.max(out + 1);
                        let inn = d.range(0, sent.max(0) as usize + 1) as i32;
                        let bad_parity = d.below(20) == 0;
                        Step {
                            in_seq_no: Some(2 * inn + pi),
                            out_seq_no: Some(2 * out + po + i32::from(bad_parity)),
                            ..step("receive")
                        }
                    }
                };
                steps.push(s);
            }
            let mut req = Fields::new();
            req.insert("role".into(), Value::from(role_name(role)));
            let got = reference_results(op::SEQ_TRACE, req, &steps, file)?;
            for (s, g) in steps.iter_mut().zip(got) {
                s.expect = g;
            }
            let (result, error) = trace_verdict(&steps);
            let (tc_id, flags) = b.case(&["Pseudorandom"])?;
            tests.push(SeqTraceCase {
                tc_id,
                comment: format!("pseudorandom trace {t}"),
                flags,
                steps,
                result,
                error,
            });
        }
        groups.push(Group::SeqTrace(SeqTraceGroup {
            group_type: "SecretSeqTraceTest".into(),
            role: role_name(role).into(),
            source: self_source(),
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto secret chat seq_no",
        "secret_seq_trace_test_schema_v1.json",
        &[
            "Secret-chat sequence numbers (spec §8.3) on one side: sends assign (in_seq_no, out_seq_no) = 2·count + parity by role; receives are delivered, queued behind a gap (with the resend request for a new hole), ignored as repeats, or close the chat; the peer's resend requests are checked.",
            "Hand-written traces (their expected results written by hand and checked against the reference when generated) and pseudorandom ones (results from the reference). Source self.",
        ],
        groups,
    ))
}

fn action_bytes(a: DecryptedMessageAction) -> Hex {
    Hex(a.to_bytes())
}

fn request_key(ex_id: i64, g_a: &[u8]) -> Hex {
    action_bytes(DecryptedMessageAction::DecryptedMessageActionRequestKey(
        DecryptedMessageActionRequestKey {
            exchange_id: ex_id,
            g_a: g_a.to_vec(),
        },
    ))
}

fn accept_key(ex_id: i64, g_b: &[u8], fp: [u8; 8]) -> Hex {
    action_bytes(DecryptedMessageAction::DecryptedMessageActionAcceptKey(
        DecryptedMessageActionAcceptKey {
            exchange_id: ex_id,
            g_b: g_b.to_vec(),
            key_fingerprint: i64::from_le_bytes(fp),
        },
    ))
}

fn commit_key(ex_id: i64, fp: [u8; 8]) -> Hex {
    action_bytes(DecryptedMessageAction::DecryptedMessageActionCommitKey(
        DecryptedMessageActionCommitKey {
            exchange_id: ex_id,
            key_fingerprint: i64::from_le_bytes(fp),
        },
    ))
}

fn abort_key(ex_id: i64) -> Hex {
    action_bytes(DecryptedMessageAction::DecryptedMessageActionAbortKey(
        DecryptedMessageActionAbortKey { exchange_id: ex_id },
    ))
}

fn exid(v: i64) -> Option<Hex> {
    Some(Hex(v.to_le_bytes().to_vec()))
}

fn rekey() -> Result<(String, File<Group>), GenerateError> {
    let file = "secret/secret_rekey_test.json";
    let mut b = Builder::new(file, FLAGS);
    let group = telegram_group(file)?;
    let mut d = Drbg::new("secret rekey");
    let ours = dh_secret(&mut d);
    let theirs = dh_secret(&mut d);
    let g_ours = group.pow_g(&ours);
    let g_theirs = group.pow_g(&theirs);
    let v_theirs = group.check_value(&g_theirs).map_err(|e| gerr(file, e))?;
    let new_key = ChatKey::new(group.pow(&v_theirs, &ours));
    let fp = new_key.fingerprint();
    let mut fp_bad = fp;
    fp_bad[7] ^= 0x40;
    let req = |x: i64, e: Expect| Step {
        exchange_id: exid(x),
        expect: e,
        ..step("request")
    };
    let committed = |x: i64| Step {
        exchange_id: exid(x),
        expect: ex("nothing"),
        ..step("committed")
    };
    let recv = |a: Hex, e: Expect| Step {
        action: Some(a),
        expect: e,
        ..step("receive")
    };
    let send = |a: Hex| Expect {
        action: Some(a),
        ..ex("send")
    };
    let switch = |f: [u8; 8]| Expect {
        key_fingerprint: Some(Hex(f.to_vec())),
        ..ex("switch")
    };
    let commit = |x: i64| Expect {
        action: Some(commit_key(x, fp)),
        key_fingerprint: Some(Hex(fp.to_vec())),
        ..ex("commit")
    };
    let close = |e: &str| rejected("close", e);
    let closed = || rejected("close", "ChatClosed");
    let cases: Vec<(&[&str], &str, Vec<Step>)> = vec![
        (
            &["RekeyFlow"],
            "this side requests, the peer accepts, this side commits",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(accept_key(1, &g_theirs, fp), commit(1)),
                committed(1),
            ],
        ),
        (
            &["RekeyFlow"],
            "the peer requests, this side accepts, the peer commits",
            vec![
                recv(request_key(7, &g_theirs), send(accept_key(7, &g_ours, fp))),
                recv(commit_key(7, fp), switch(fp)),
            ],
        ),
        (
            &["ConcurrentRequests"],
            "both request; this side's exchange_id is larger: the peer's is ignored",
            vec![
                req(9, send(request_key(9, &g_ours))),
                recv(request_key(3, &g_theirs), ex("nothing")),
                recv(accept_key(9, &g_theirs, fp), commit(9)),
            ],
        ),
        (
            &["ConcurrentRequests"],
            "both request; the peer's exchange_id is larger (signed: -5 < 4): this side accepts it",
            vec![
                req(-5, send(request_key(-5, &g_ours))),
                recv(request_key(4, &g_theirs), send(accept_key(4, &g_ours, fp))),
                recv(commit_key(4, fp), switch(fp)),
            ],
        ),
        (
            &["ConcurrentRequests"],
            "both request with the same exchange_id: both abort silently, then a new exchange can start",
            vec![
                req(6, send(request_key(6, &g_ours))),
                recv(request_key(6, &g_theirs), ex("abortedSilently")),
                req(8, send(request_key(8, &g_ours))),
            ],
        ),
        (
            &["RekeyPending"],
            "a second request while one is pending",
            vec![
                req(1, send(request_key(1, &g_ours))),
                req(2, rejected("refuse", "RekeyPending")),
                recv(accept_key(1, &g_theirs, fp), commit(1)),
            ],
        ),
        (
            &["RekeyUnexpected"],
            "an AcceptKey for another exchange",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(accept_key(2, &g_theirs, fp), close("RekeyUnexpected")),
                recv(accept_key(1, &g_theirs, fp), closed()),
            ],
        ),
        (
            &["FingerprintMismatch"],
            "an AcceptKey whose fingerprint is not the new key's",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(
                    accept_key(1, &g_theirs, fp_bad),
                    close("KeyFingerprintMismatch"),
                ),
            ],
        ),
        (
            &["DhValueRange"],
            "an AcceptKey with g_b = 1",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(accept_key(1, &[1], fp), close("ValueOutOfRange")),
            ],
        ),
        (
            &["DhValueMargin"],
            "a RequestKey with g_a = 2",
            vec![recv(request_key(1, &[2]), close("ValueUnsafe"))],
        ),
        (
            &["FingerprintMismatch"],
            "a CommitKey whose fingerprint is not the pending key's",
            vec![
                recv(request_key(7, &g_theirs), send(accept_key(7, &g_ours, fp))),
                recv(commit_key(7, fp_bad), close("KeyFingerprintMismatch")),
            ],
        ),
        (
            &["RekeyUnexpected"],
            "a CommitKey for another exchange",
            vec![
                recv(request_key(7, &g_theirs), send(accept_key(7, &g_ours, fp))),
                recv(commit_key(8, fp), close("RekeyUnexpected")),
            ],
        ),
        (
            &["RekeyUnexpected"],
            "a CommitKey with no exchange",
            vec![recv(commit_key(1, fp), close("RekeyUnexpected"))],
        ),
        (
            &["RekeyUnexpected"],
            "an AcceptKey with no request",
            vec![recv(accept_key(1, &g_theirs, fp), close("RekeyUnexpected"))],
        ),
        (
            &["RekeyUnexpected"],
            "a second RequestKey after this side accepted the first",
            vec![
                recv(request_key(7, &g_theirs), send(accept_key(7, &g_ours, fp))),
                recv(request_key(8, &g_theirs), close("RekeyUnexpected")),
            ],
        ),
        (
            &["RekeyAbort"],
            "the peer aborts this side's request; a new one can start",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(abort_key(1), ex("nothing")),
                req(2, send(request_key(2, &g_ours))),
            ],
        ),
        (
            &["RekeyAbort", "RekeyUnexpected"],
            "the requester aborts after this side's accept: the pending key is dropped, a late commit is unexpected",
            vec![
                recv(request_key(7, &g_theirs), send(accept_key(7, &g_ours, fp))),
                recv(abort_key(7), ex("nothing")),
                recv(commit_key(7, fp), close("RekeyUnexpected")),
            ],
        ),
        (
            &["RekeyUnexpected"],
            "an abort from the peer after its own AcceptKey",
            vec![
                req(1, send(request_key(1, &g_ours))),
                recv(accept_key(1, &g_theirs, fp), commit(1)),
                committed(1),
                recv(abort_key(1), close("RekeyUnexpected")),
            ],
        ),
        (
            &["RekeyAbort"],
            "an abort of an exchange that does not exist is ignored",
            vec![recv(abort_key(99), ex("nothing"))],
        ),
    ];
    let mut tests = Vec::new();
    for (flags, comment, steps) in cases {
        let mut req = Fields::new();
        req.insert("p".into(), Value::from(hex::encode(TELEGRAM_DH_PRIME)));
        req.insert("g".into(), Value::from(3));
        req.insert("secret".into(), Value::from(hex::encode(ours)));
        let got = reference_results(op::REKEY_TRACE, req, &steps, file)?;
        for (k, (g, s)) in got.iter().zip(&steps).enumerate() {
            if *g != s.expect {
                return Err(gerr(
                    file,
                    format!(
                        "{comment}: step {k}: the reference gives {g:?}, the trace expects {:?}",
                        s.expect
                    ),
                ));
            }
        }
        let (result, error) = trace_verdict(&steps);
        let (tc_id, flags) = b.case(flags)?;
        tests.push(RekeyCase {
            tc_id,
            comment: comment.into(),
            flags,
            secret: Hex(ours.to_vec()),
            steps,
            result,
            error,
        });
    }
    let g = RekeyGroup {
        group_type: "SecretRekeyTest".into(),
        p: Hex(TELEGRAM_DH_PRIME.to_vec()),
        g: 3,
        source: self_source(),
        tests,
    };
    Ok(b.finish(
        "MTProto secret chat re-keying",
        "secret_rekey_test_schema_v1.json",
        &[
            "Re-keying (spec §8.4) on one side: request / receive the peer's RequestKey, AcceptKey, CommitKey, AbortKey (TL bytes) / note that its own CommitKey was sent; each step's result (the action sent, the switch to the new key with its fingerprint, nothing, or the error that closes the chat).",
            "The peer's values use a second secret; expected results are written by hand and checked against the reference when generated. Source self.",
        ],
        vec![Group::Rekey(g)],
    ))
}
