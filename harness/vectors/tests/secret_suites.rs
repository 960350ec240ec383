//! The secret-chat and call suites catch implementations that skip a rule: the flagged cases of
//! each rule fail an IUT that lacks it, while the reference passes them all (`suites.rs`).

use std::path::PathBuf;

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut};
use mtproto_vectors::{CaseMeta, CaseResult, Outcome, RunOptions, Verdict, load_paths, run_file};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn run(name: &str, iut: &mut dyn Iut) -> Vec<CaseResult> {
    run_type(name, None, iut)
}

/// Run the cases of `family` (of one group type if given).
fn run_type(family: &str, group_type: Option<&str>, iut: &mut dyn Iut) -> Vec<CaseResult> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors")
        .join(family);
    let select = |m: &CaseMeta<'_>| group_type.is_none_or(|t| m.group_type == t);
    let mut out = Vec::new();
    for vf in &load_paths(&[dir]).unwrap() {
        out.extend(run_file(
            vf,
            iut,
            &RunOptions::default(),
            &select,
            &mut |_| {},
        ));
    }
    out
}

fn failed_with_flag(results: &[CaseResult], flag: &str) -> (usize, usize) {
    let flagged: Vec<_> = results
        .iter()
        .filter(|r| r.flags.iter().any(|f| f == flag))
        .collect();
    let failed = flagged
        .iter()
        .filter(|r| r.outcome == Outcome::Fail)
        .count();
    (failed, flagged.len())
}

/// A callee that never checks `g_a` against its commitment: it hashes whatever `g_a` arrives.
struct SkipsCommitment(ReferenceIut);

impl Iut for SkipsCommitment {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let mut req = request.clone();
        if op == "call.confirm" {
            let g_a = hex::decode(req["gA"].as_str().unwrap()).unwrap();
            req.insert(
                "gAHash".into(),
                Value::from(hex::encode(Sha256::digest(&g_a))),
            );
        }
        self.0.call(op, &req)
    }
}

#[test]
fn a_callee_that_skips_the_commitment_fails_every_commitment_case() {
    let results = run("call", &mut SkipsCommitment(ReferenceIut::new()));
    let (failed, flagged) = failed_with_flag(&results, "Commitment");
    assert!(flagged >= 3);
    assert_eq!(failed, flagged);
}

/// A receiver that never checks seq_no parity: it rounds every received number to the parity it
/// expects before applying the other rules.
struct SkipsParity(ReferenceIut);

impl Iut for SkipsParity {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let mut req = request.clone();
        if op == "secret.seqTrace" {
            // The peer's parities: originator sends (0, 1), acceptor (1, 0).
            let (pi, po) = if req["role"] == "acceptor" {
                (0, 1)
            } else {
                (1, 0)
            };
            for s in req["steps"].as_array_mut().unwrap() {
                for (name, p) in [("inSeqNo", pi), ("outSeqNo", po)] {
                    if let Some(v) = s.get(name).and_then(Value::as_i64) {
                        let fixed = if v.rem_euclid(2) == p { v } else { v - 1 };
                        s[name] = Value::from(fixed);
                    }
                }
            }
        }
        self.0.call(op, &req)
    }
}

#[test]
fn a_receiver_that_skips_the_parity_check_fails_every_parity_case() {
    let results = run("secret", &mut SkipsParity(ReferenceIut::new()));
    let (failed, flagged) = failed_with_flag(&results, "SeqNoParity");
    assert!(flagged >= 4);
    assert_eq!(failed, flagged);
}

/// An IUT that lets one named rejection through (answers `ok`): every case expecting that error
/// fails, and only those.
struct LetsThrough(ReferenceIut, &'static str);

impl Iut for LetsThrough {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        match self.0.call(op, request) {
            Answer::Rejected { error } if error == self.1 => Answer::Ok(Fields::new()),
            other => other,
        }
    }
}

#[test]
fn each_invalid_one_shot_case_depends_on_its_own_check() {
    for (family, group_type, error) in [
        ("secret", "SecretDecryptTest", "UnknownKeyFingerprint"),
        ("secret", "SecretDecryptTest", "MsgKeyMismatch"),
        ("secret", "SecretDecryptTest", "LengthOutOfRange"),
        ("secret", "SecretDecryptTest", "LengthNotAligned"),
        ("secret", "SecretDecryptTest", "PaddingTooShort"),
        ("secret", "SecretDecryptTest", "PaddingTooLong"),
        ("secret", "SecretDecryptTest", "RandomBytesTooShort"),
        ("secret", "SecretDecryptTest", "UnknownConstructor"),
        ("secret", "SecretEncryptTest", "PaddingTooShort"),
        ("secret", "SecretEncryptTest", "NotBlockAligned"),
        ("secret", "SecretKeyExchangeTest", "KeyFingerprintMismatch"),
        ("secret", "SecretKeyExchangeTest", "ValueOutOfRange"),
        ("secret", "SecretKeyExchangeTest", "ValueUnsafe"),
        ("call", "CallCommitmentTest", "GaHashMismatch"),
        ("call", "CallCommitmentTest", "KeyFingerprintMismatch"),
        ("call", "CallPacketTest", "MsgKeyMismatch"),
        ("call", "CallPacketTest", "TooShort"),
        ("secret", "SecretFileTest", "FileKeyInvalid"),
        ("secret", "SecretFileTest", "FileFingerprintMismatch"),
        ("secret", "SecretFileTest", "FileSizeInvalid"),
    ] {
        let results = run_type(
            family,
            Some(group_type),
            &mut LetsThrough(ReferenceIut::new(), error),
        );
        // Acceptable cases (project strictness beyond the spec, e.g. `FilePaddingBlock`) are
        // judged by their outputs when accepted, which this empty acceptance lacks: only the
        // invalid ones are counted.
        let expecting = results
            .iter()
            .filter(|r| {
                r.expected == Verdict::Invalid && r.expected_error.as_deref() == Some(error)
            })
            .count();
        let failed: Vec<_> = results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass && r.expected != Verdict::Acceptable)
            .collect();
        assert!(expecting > 0, "{group_type}/{error}: no case expects it");
        assert_eq!(failed.len(), expecting, "{group_type}/{error}");
        assert!(
            failed
                .iter()
                .all(|r| r.expected_error.as_deref() == Some(error))
        );
    }
}

/// A renderer that takes the most significant bit pair of each byte first.
struct MsbFirstPixels(ReferenceIut);

impl Iut for MsbFirstPixels {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let mut answer = self.0.call(op, request);
        if let (Answer::Ok(f), "secret.keyHash") = (&mut answer, op) {
            let hash = hex::decode(f["keyHash"].as_str().unwrap()).unwrap();
            let pixels: String = hash
                .iter()
                .flat_map(|b| [b >> 6, (b >> 4) & 3, (b >> 2) & 3, b & 3])
                .map(|i| char::from(b'0' + i))
                .collect();
            f.insert("pixels".into(), Value::from(pixels));
        }
        answer
    }
}

#[test]
fn a_renderer_with_the_other_bit_order_fails_every_picture_case() {
    let results = run_type(
        "secret",
        Some("SecretVisualizationTest"),
        &mut MsbFirstPixels(ReferenceIut::new()),
    );
    let (failed, flagged) = failed_with_flag(&results, "KeyPicture");
    assert!(flagged >= 7);
    assert_eq!(failed, flagged);
    // The key-hash-only cases do not judge a picture: they pass.
    let (hash_only_failed, hash_only) = failed_with_flag(&results, "KeyHashOnly");
    assert!(hash_only >= 7);
    assert_eq!(hash_only_failed, 0);
    assert_eq!(flagged + hash_only, results.len());
}

/// A receiver that builds the file key_fingerprint big-endian: it compares its own (big-endian)
/// value with the received one, which is the reference comparing against the byte-swapped value.
struct BigEndianFileFingerprint(ReferenceIut);

impl Iut for BigEndianFileFingerprint {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let swap = |v: &Value| {
            let fp = i32::try_from(v.as_i64().unwrap()).unwrap();
            Value::from(i32::from_be_bytes(fp.to_le_bytes()))
        };
        let mut req = request.clone();
        if op == "secret.fileDecrypt" {
            req.insert("keyFingerprint".into(), swap(&request["keyFingerprint"]));
        }
        let mut answer = self.0.call(op, &req);
        if let (Answer::Ok(f), "secret.fileEncrypt") = (&mut answer, op) {
            let fp = swap(&f["keyFingerprint"]);
            f.insert("keyFingerprint".into(), fp);
        }
        answer
    }
}

#[test]
fn a_big_endian_file_fingerprint_fails_the_byte_order_and_every_valid_file_case() {
    let results = run_type(
        "secret",
        Some("SecretFileTest"),
        &mut BigEndianFileFingerprint(ReferenceIut::new()),
    );
    let (failed, flagged) = failed_with_flag(&results, "FileFingerprintByteOrder");
    assert!(flagged >= 1);
    assert_eq!(failed, flagged);
    let (failed, flagged) = failed_with_flag(&results, "FileKnownAnswer");
    assert!(flagged >= 16);
    assert_eq!(failed, flagged);
}

/// Rewrite the per-step results of `secret.chatTrace` answers.
struct ChatResults<F: FnMut(&mut Value)>(ReferenceIut, F);

impl<F: FnMut(&mut Value)> Iut for ChatResults<F> {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let mut answer = self.0.call(op, request);
        if let (Answer::Ok(f), "secret.chatTrace") = (&mut answer, op) {
            for r in f.get_mut("results").unwrap().as_array_mut().unwrap() {
                (self.1)(r);
            }
        }
        answer
    }
}

fn chat_failures(iut: &mut dyn Iut, flag: &str) -> (usize, usize, usize) {
    let results = run_type("secret", Some("SecretChatTraceTest"), iut);
    let (failed, flagged) = failed_with_flag(&results, flag);
    let all_failed = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .count();
    (failed, flagged, all_failed)
}

#[test]
fn each_chat_layer_rule_fails_exactly_its_cases_when_removed() {
    // A chat that lets a forbidden 1.0 message or a lower layer through (answers `deliver`).
    for (error, flags) in [
        (
            "MtProto1Forbidden",
            &["MtProto1AtLayer73", "MtProto1AfterV2"][..],
        ),
        ("LayerDecreased", &["LayerDecreased"][..]),
    ] {
        let mut iut = ChatResults(ReferenceIut::new(), |r: &mut Value| {
            if r["error"] == error {
                *r = serde_json::json!({"verdict": "deliver"});
            }
        });
        let results = run_type("secret", Some("SecretChatTraceTest"), &mut iut);
        let failed: Vec<_> = results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        assert!(!failed.is_empty(), "{error}");
        assert!(
            failed
                .iter()
                .all(|r| r.flags.iter().any(|f| flags.contains(&f.as_str()))),
            "{error}"
        );
        for flag in flags {
            let (f, n) = failed_with_flag(&results, flag);
            assert!(n >= 1);
            assert_eq!(f, n, "{flag}");
        }
    }
    // A chat that never tells the user about a newer peer.
    let mut silent = ChatResults(ReferenceIut::new(), |r: &mut Value| {
        if let Value::Object(m) = r {
            m.remove("notices");
        }
    });
    let (failed, flagged, all) = chat_failures(&mut silent, "PeerLayerNewer");
    assert!(flagged >= 2);
    assert_eq!((failed, all), (flagged, flagged));
    // A chat that never answers an older peer with its layer.
    let mut mute = ChatResults(ReferenceIut::new(), |r: &mut Value| {
        if let Some(Value::Array(rs)) = r.get_mut("replies") {
            rs.retain(|x| !x["action"].as_str().unwrap().starts_with("838804f3"));
            if rs.is_empty() {
                r.as_object_mut().unwrap().remove("replies");
            }
        }
    });
    let (failed, flagged, _) = chat_failures(&mut mute, "NotifyLayerReply");
    assert!(flagged >= 2);
    assert_eq!(failed, flagged);
}

/// A chat without the MTProto 1.0 fallback: it never sees the packets that only pass as 1.0
/// (they are answered as the 2.0 check answers them) and runs the rest.
struct NoV1(ReferenceIut);

impl Iut for NoV1 {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if op != "secret.chatTrace" {
            return self.0.call(op, request);
        }
        let key = mtproto::secret::ChatKey::new(
            hex::decode(request["key"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let steps = request["steps"].as_array().unwrap();
        let is_v1 = |s: &Value| {
            s.get("packet").is_some_and(|p| {
                let p = hex::decode(p.as_str().unwrap()).unwrap();
                mtproto::secret::message::decrypt(&key, mtproto::secret::Role::Acceptor, &p)
                    .is_err()
                    && mtproto::secret::message::decrypt_any(
                        &key,
                        mtproto::secret::Role::Acceptor,
                        &p,
                    )
                    .is_ok()
            })
        };
        let mut req = request.clone();
        req.insert(
            "steps".into(),
            Value::Array(steps.iter().filter(|s| !is_v1(s)).cloned().collect()),
        );
        let Answer::Ok(mut f) = self.0.call(op, &req) else {
            panic!("the reference refused a trace");
        };
        let mut inner = f["results"].as_array().unwrap().clone().into_iter();
        let merged: Vec<Value> = steps
            .iter()
            .map(|s| {
                if is_v1(s) {
                    serde_json::json!({"verdict": "reject", "error": "MsgKeyMismatch"})
                } else {
                    inner.next().unwrap()
                }
            })
            .collect();
        f.insert("results".into(), Value::Array(merged));
        Answer::Ok(f)
    }
}

#[test]
fn a_chat_without_the_mtproto_1_fallback_fails_every_1_0_acceptance_case() {
    let (failed, flagged, _) = chat_failures(&mut NoV1(ReferenceIut::new()), "MtProto1Below73");
    assert!(flagged >= 2);
    assert_eq!(failed, flagged);
}
