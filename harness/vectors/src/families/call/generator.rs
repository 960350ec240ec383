//! The generator of `vectors/call/` (spec §9, §11.4, §12): call emoji, the callee's commitment
//! check and call packets; the replay traces are generated in [`super::replay`].
//!
//! The call emoji of spec §11.4 go in a group of their own (computed from the documented
//! formulas, not an official value), as does the 333-entry emoji table of spec §12 (TDLib and the
//! Android client). No peer ships call vectors: every other value is computed by this project's
//! reference (`source.name = "self"`), a regression pin, not independent evidence.
//!
//! Invalid cases break exactly one rule: a `g_a` that fails its commitment is itself a valid DH
//! value, a wrong fingerprint goes with the right `g_a`, a tampered packet differs in one bit.

// Generator arithmetic on fixed arrays; the loader and runner parts never index.
#![allow(clippy::indexing_slicing)]

use mtproto::call::{CallKey, EMOJI, emoji_indices, g_a_hash};
use mtproto::crypto::dh::TELEGRAM_DH_PRIME;
use mtproto::secret::{ChatKey, Role};

use super::{
    CallPacketCase, CallPacketGroup, CommitmentCase, CommitmentGroup, EmojiCase, EmojiGroup, Group,
};
use crate::core::e2e::{dh_secret, role_name, telegram_group, verdict_of};
use crate::core::file::{File, Hex, Source};
use crate::core::generate::{
    Builder, Drbg, Flag, GenerateError, Suite, gen_err as gerr, self_source,
};
use crate::core::result::Verdict;

const E2E: &str = "https://core.telegram.org/api/end-to-end";
const PFS: &str = "https://core.telegram.org/api/end-to-end/pfs";
const VC: &str = "https://core.telegram.org/api/end-to-end/video-calls";
const AUTH: &str = "https://core.telegram.org/mtproto/auth_key";

/// The flags of this family's generated files: (name, bugType, description, links).
const FLAGS: &[Flag] = &[
    (
        "Ktv",
        "BASIC",
        "A value of spec §11.4, computed from the documented formulas (not an official value); see the group's source.",
        &[E2E],
    ),
    (
        "EmojiTable",
        "BASIC",
        "The emoji at each of the 333 indices, from the table TDLib and the Android client share (spec §12). The (key, gA) inputs reaching each index were found by this project's search.",
        &[VC],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Inputs from the generator's deterministic DRBG; outputs computed by this project's reference (a regression pin, not independent evidence).",
        &[],
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
        "Truncated",
        "EDGE_CASE",
        "A packet too short for its header or for the smallest plaintext, or not a multiple of 16 after the header.",
        &[E2E],
    ),
    (
        "Commitment",
        "MISSING_STEP",
        "The callee must check SHA256(g_a) against the g_a_hash it received first; a g_a that is itself a valid DH value but not the committed one is rejected.",
        &[VC],
    ),
    (
        "CallPacket",
        "FUNCTIONALITY",
        "A call packet: msg_key over the unpadded body with x = 0 / 8 by sender, + 128 on the signaling channel, the body under AES-256-CTR with the 16-byte IV of spec §9.3.",
        &[VC],
    ),
    (
        "WrongChannel",
        "MODIFIED_PARAMETER",
        "The packet was encrypted for the other channel (x differs by 128): it must not verify.",
        &[VC],
    ),
    (
        "TopBitMask",
        "EDGE_CASE",
        "A 64-bit word of SHA256(key || g_a) has its top bit set: the index is (word & 0x7fff...) mod 333, which differs from word mod 333.",
        &[VC],
    ),
];

/// Every suite of this module (the replay suite is [`super::replay::suite`]).
pub fn suites() -> Result<Vec<Suite<Group>>, GenerateError> {
    Ok(vec![emoji()?, commitment()?, call_packet()?])
}

fn emoji_case(
    b: &mut Builder,
    flags: &[&str],
    comment: String,
    key: [u8; 256],
    g_a: [u8; 256],
) -> Result<EmojiCase, GenerateError> {
    let k = CallKey::new(key, g_a);
    let (tc_id, flags) = b.case(flags)?;
    Ok(EmojiCase {
        tc_id,
        comment,
        flags,
        key: Hex(key.to_vec()),
        g_a: Hex(g_a.to_vec()),
        emoji_indices: k.emoji_indices().iter().map(|&i| i as u64).collect(),
        emoji: k.emoji().iter().map(|&e| e.to_owned()).collect(),
        key_fingerprint: Hex(k.fingerprint().to_vec()),
        result: Verdict::Valid,
        error: None,
    })
}

fn top_bit_matters(key: &[u8; 256], g_a: &[u8; 256]) -> bool {
    use sha2::{Digest, Sha256};
    let h: [u8; 32] = Sha256::new()
        .chain_update(key)
        .chain_update(g_a)
        .finalize()
        .into();
    h.chunks_exact(8).any(|c| {
        let w = u64::from_be_bytes(c.try_into().unwrap_or([0; 8]));
        w >> 63 == 1 && (w & (u64::MAX >> 1)) % 333 != w % 333
    })
}

fn emoji() -> Result<(String, File<Group>), GenerateError> {
    let file = "call/call_emoji_test.json";
    let mut b = Builder::new(file, FLAGS);
    let key: [u8; 256] = core::array::from_fn(|i| i as u8);
    let g_a: [u8; 256] = core::array::from_fn(|i| 255 - i as u8);
    let ktv_case = emoji_case(
        &mut b,
        &["Ktv"],
        "key = 00..ff, caller g_a = ff..00".into(),
        key,
        g_a,
    )?;
    if ktv_case.emoji_indices != [122, 225, 65, 23]
        || ktv_case.key_fingerprint.to_hex() != "32d1586ea457dfc8"
    {
        return Err(gerr(
            file,
            "the reference disagrees with spec §11.4's call emoji",
        ));
    }
    let ktv = EmojiGroup {
        group_type: "CallEmojiTest".into(),
        source: Source {
            name: "spec-11.4".into(),
            version: "spec §11.4 computed vector (not official)".into(),
        },
        tests: vec![ktv_case],
    };
    // One case per table index: search keys (with a fixed g_a) until every index leads once.
    let mut d = Drbg::new("call emoji table");
    let table_g_a = g_a;
    let mut found: Vec<Option<[u8; 256]>> = vec![None; EMOJI.len()];
    let mut tries = 0u32;
    while found.iter().any(Option::is_none) {
        tries += 1;
        if tries > 200_000 {
            return Err(gerr(
                file,
                "the search for every emoji index did not finish",
            ));
        }
        let k = d.array::<256>();
        let first = emoji_indices(&k, &table_g_a)[0];
        if let Some(slot @ None) = found.get_mut(first) {
            *slot = Some(k);
        }
    }
    let mut table = Vec::new();
    for (i, k) in found.into_iter().enumerate() {
        let k = k.ok_or_else(|| gerr(file, "an index without a key"))?;
        table.push(emoji_case(
            &mut b,
            &["EmojiTable"],
            format!("first emoji is table entry {i}"),
            k,
            table_g_a,
        )?);
    }
    let table = EmojiGroup {
        group_type: "CallEmojiTest".into(),
        source: Source {
            name: "spec-12-emoji-table".into(),
            version: "the 333 emoji of TDLib td/telegram/misc.cpp and Android EncryptionKeyEmojifier.java, via spec §12".into(),
        },
        tests: table,
    };
    let mut d = Drbg::new("call emoji");
    let mut own = Vec::new();
    for i in 0..8 {
        let k = d.array::<256>();
        let ga = d.array::<256>();
        let flags: &[&str] = if top_bit_matters(&k, &ga) {
            &["Pseudorandom", "TopBitMask"]
        } else {
            &["Pseudorandom"]
        };
        own.push(emoji_case(
            &mut b,
            flags,
            format!("pseudorandom key and g_a {i}"),
            k,
            ga,
        )?);
    }
    let own = EmojiGroup {
        group_type: "CallEmojiTest".into(),
        source: self_source(),
        tests: own,
    };
    Ok(b.finish(
        "MTProto call key visualisation",
        "call_emoji_test_schema_v1.json",
        &[
            "Call emoji (spec §9.2, §12): h = SHA256(key || caller's g_a); emoji[i] = TABLE[(big-endian u64 of h[8i..8i+8] & 0x7fffffffffffffff) mod 333], with the key fingerprint SHA1(key)[12..20].",
            "Group spec-11.4 is independent of this project's code. Group spec-12-emoji-table checks the whole table: the emoji strings are the independent table (TDLib and Android); the keys that reach each index and the indices were computed by this project. Group self is this project's reference only.",
        ],
        vec![Group::Emoji(ktv), Group::Emoji(table), Group::Emoji(own)],
    ))
}

fn commitment() -> Result<(String, File<Group>), GenerateError> {
    use mtproto::call::{Callee, Caller};
    let file = "call/call_commitment_test.json";
    let mut b = Builder::new(file, FLAGS);
    let group = telegram_group(file)?;
    let mut d = Drbg::new("call commitment");
    let mut tests = Vec::new();
    let mut push = |b: &mut Builder,
                    flags: &[&str],
                    comment: String,
                    bsec: [u8; 256],
                    hash: Vec<u8>,
                    g_a: Vec<u8>,
                    fp: [u8; 8]|
     -> Result<(), GenerateError> {
        let callee = Callee::new(group.clone(), &hash, bsec).map_err(|e| gerr(file, e))?;
        let r = callee.on_confirmed(&g_a, i64::from_le_bytes(fp));
        let (result, error) = verdict_of(&r);
        let (tc_id, flags) = b.case(flags)?;
        tests.push(CommitmentCase {
            tc_id,
            comment,
            flags,
            b: Hex(bsec.to_vec()),
            g_a_hash: Hex(hash),
            g_a: Hex(g_a),
            key_fingerprint: Hex(fp.to_vec()),
            g_b: r.is_ok().then(|| Hex(callee.g_b().to_vec())),
            key: r.ok().map(|k| Hex(k.key().as_bytes().to_vec())),
            result,
            error,
        });
        Ok(())
    };
    let pair = |d: &mut Drbg| -> Result<(Caller, [u8; 256], [u8; 8]), GenerateError> {
        let caller = Caller::new(group.clone(), dh_secret(d)).map_err(|e| gerr(file, e))?;
        let bsec = dh_secret(d);
        let g_b = group.pow_g(&bsec);
        let k = caller.on_accepted(&g_b).map_err(|e| gerr(file, e))?;
        Ok((caller, bsec, k.fingerprint()))
    };
    for i in 0..3 {
        let (caller, bsec, fp) = pair(&mut d)?;
        push(
            &mut b,
            &["Pseudorandom"],
            format!("a committed exchange {i}"),
            bsec,
            caller.g_a_hash().to_vec(),
            caller.g_a().to_vec(),
            fp,
        )?;
    }
    let (caller, bsec, fp) = pair(&mut d)?;
    let (other, _, _) = pair(&mut d)?;
    let other_fp = {
        let k = ChatKey::new(group.pow(
            &group.check_value(other.g_a()).map_err(|e| gerr(file, e))?,
            &bsec,
        ));
        k.fingerprint()
    };
    push(
        &mut b,
        &["Commitment"],
        "g_a of another caller (a valid DH value, with its key's fingerprint)".into(),
        bsec,
        caller.g_a_hash().to_vec(),
        other.g_a().to_vec(),
        other_fp,
    )?;
    push(
        &mut b,
        &["Commitment"],
        "g_a_hash cut to 31 bytes".into(),
        bsec,
        caller.g_a_hash()[..31].to_vec(),
        caller.g_a().to_vec(),
        fp,
    )?;
    let mut flipped = caller.g_a_hash().to_vec();
    flipped[31] ^= 1;
    push(
        &mut b,
        &["Commitment"],
        "g_a_hash with its last bit changed".into(),
        bsec,
        flipped,
        caller.g_a().to_vec(),
        fp,
    )?;
    push(
        &mut b,
        &["FingerprintMismatch"],
        "the right g_a with a wrong key_fingerprint".into(),
        bsec,
        caller.g_a_hash().to_vec(),
        caller.g_a().to_vec(),
        [0x5a; 8],
    )?;
    push(
        &mut b,
        &["DhValueRange"],
        "a committed g_a = 1".into(),
        bsec,
        g_a_hash(&[1]).to_vec(),
        vec![1],
        fp,
    )?;
    push(
        &mut b,
        &["DhValueMargin"],
        "a committed g_a = 2".into(),
        bsec,
        g_a_hash(&[2]).to_vec(),
        vec![2],
        fp,
    )?;
    let g = CommitmentGroup {
        group_type: "CallCommitmentTest".into(),
        p: Hex(TELEGRAM_DH_PRIME.to_vec()),
        g: 3,
        source: self_source(),
        tests,
    };
    Ok(b.finish(
        "MTProto call key exchange commitment",
        "call_commitment_test_schema_v1.json",
        &["The callee's last step of the call key exchange (spec §9.1): SHA256(g_a) must equal the g_a_hash received first, then g_a's DH checks, then the key fingerprint. Computed by this project's reference (source self)."],
        vec![Group::Commitment(g)],
    ))
}

fn call_packet() -> Result<(String, File<Group>), GenerateError> {
    use mtproto::call::packet::{self, Channel};
    let file = "call/call_packet_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut d = Drbg::new("call packet");
    let mut groups = Vec::new();
    for sender in [Role::Originator, Role::Acceptor] {
        for (channel, name, other) in [
            (Channel::Transport, "transport", Channel::Signaling),
            (Channel::Signaling, "signaling", Channel::Transport),
        ] {
            let key = ChatKey::new(d.array::<256>());
            let receiver = sender.peer();
            let mut tests = Vec::new();
            let mut push = |b: &mut Builder,
                            flags: &[&str],
                            comment: String,
                            p: Vec<u8>|
             -> Result<(), GenerateError> {
                let r = packet::decrypt(&key, receiver, channel, &p);
                let (result, error) = verdict_of(&r);
                let (tc_id, flags) = b.case(flags)?;
                tests.push(CallPacketCase {
                    tc_id,
                    comment,
                    flags,
                    key: Hex(key.as_bytes().to_vec()),
                    body: r.ok().map(Hex),
                    packet: Hex(p),
                    result,
                    error,
                });
                Ok(())
            };
            for n in [1usize, 4, 37, 160] {
                let body = d.bytes(n);
                push(
                    &mut b,
                    &["CallPacket"],
                    format!("a body of {n} bytes"),
                    packet::encrypt(&key, sender, channel, &body),
                )?;
            }
            let body = d.bytes(24);
            let good = packet::encrypt(&key, sender, channel, &body);
            let mut t = good.clone();
            t[3] ^= 0x10;
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
                "last body byte changed (CTR: the plaintext flips the same bit)".into(),
                t,
            )?;
            push(
                &mut b,
                &["WrongRole"],
                "encrypted with the receiver's own x".into(),
                packet::encrypt(&key, receiver, channel, &body),
            )?;
            push(
                &mut b,
                &["WrongChannel"],
                "encrypted for the other channel".into(),
                packet::encrypt(&key, sender, other, &body),
            )?;
            push(
                &mut b,
                &["Truncated"],
                "16 bytes: msg_key and no body".into(),
                good[..16].to_vec(),
            )?;
            push(
                &mut b,
                &["Truncated"],
                "10 bytes".into(),
                good[..10].to_vec(),
            )?;
            groups.push(Group::Packet(CallPacketGroup {
                group_type: "CallPacketTest".into(),
                sender: role_name(sender).into(),
                channel: name.into(),
                source: self_source(),
                tests,
            }));
        }
    }
    Ok(b.finish(
        "MTProto 2.0 call packets (AES-256-CTR)",
        "call_packet_test_schema_v1.json",
        &["Call packets of the current protocol (spec §9.3): msg_key = SHA256(key[88+x..+32] || body)[8..24], aes_key/aes_iv from msg_key as in §9.3, packet = msg_key || AES-256-CTR(body); x = 0 from the caller, 8 from the callee, +128 for signaling. The receiver discards a packet whose msg_key does not match. Computed by this project's reference (source self)."],
        groups,
    ))
}
