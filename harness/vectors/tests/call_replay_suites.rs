//! `vectors/call/call_replay_test.json` catches a receiver or sender that lacks one rule: a
//! model of one side of a call channel, written here apart from the reference, runs the traces
//! with each rule removed in turn; the cases of that rule fail and only those, while the model
//! with every rule passes them all (as does the reference, `suites.rs`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use aes::Aes256Enc;
use cipher::{BlockCipherEncrypt, KeyInit};
use mtproto::call::packet::{self, Channel};
use mtproto::secret::{ChatKey, Role};
use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut};
use mtproto_vectors::{CaseMeta, CaseResult, Outcome, RunOptions, load_paths, run_file};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The rules of `call.replayTrace`, each of which the model can leave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Packets under 21 bytes are not decrypted (`TooShort`).
    MinLength,
    /// msg_key must match (`MsgKeyMismatch`).
    MsgKey,
    /// The two flag bits are masked off the seq.
    MaskFlags,
    /// A counter at or below the highest − 64 is discarded (`SeqTooOld`).
    TooOld,
    /// A counter already received is discarded (`SeqRepeated`).
    Repeated,
    /// The sender stops after 2^30 − 1 (`SeqLimitReached`).
    SenderLimit,
}

/// AES-256-CTR with a 128-bit big-endian counter, written out.
fn ctr(key: &[u8; 32], iv: &[u8; 16], data: &mut [u8]) {
    let aes = Aes256Enc::new_from_slice(key).unwrap();
    let mut counter = u128::from_be_bytes(*iv);
    for chunk in data.chunks_mut(16) {
        let mut block = counter.to_be_bytes().into();
        aes.encrypt_block(&mut block);
        let stream: [u8; 16] = block.into();
        for (b, k) in chunk.iter_mut().zip(stream) {
            *b ^= k;
        }
        counter = counter.wrapping_add(1);
    }
}

/// The model: the checks in the order of spec §9.3 and tgcalls, minus `without`.
struct Model {
    without: Option<Rule>,
}

impl Model {
    fn has(&self, r: Rule) -> bool {
        self.without != Some(r)
    }

    fn trace(&self, request: &Fields) -> Value {
        let role = if request["role"] == "originator" {
            Role::Originator
        } else {
            Role::Acceptor
        };
        let channel = if request["channel"] == "signaling" {
            Channel::Signaling
        } else {
            Channel::Transport
        };
        let key: [u8; 256] = hex::decode(request["key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let chat_key = ChatKey::new(key);
        let x = packet::x(role.peer(), channel);
        let mut sent = request
            .get("sentBefore")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut seen = BTreeSet::new();
        let mut max = 0u64;
        let mut aborted = false;
        let mut results = Vec::new();
        for s in request["steps"].as_array().unwrap() {
            if aborted {
                results.push(json!({"verdict": "abort", "error": "CallAborted"}));
                continue;
            }
            if s["op"] == "send" {
                if self.has(Rule::SenderLimit) && sent >= (1 << 30) - 1 {
                    aborted = true;
                    results.push(json!({"verdict": "abort", "error": "SeqLimitReached"}));
                } else {
                    sent += 1;
                    results.push(json!({"verdict": "sent", "counter": sent}));
                }
                continue;
            }
            let p = hex::decode(s["packet"].as_str().unwrap()).unwrap();
            let discard = |e: &str| json!({"verdict": "discard", "error": e});
            if p.len() < 21 && (self.has(Rule::MinLength) || p.len() < 20) {
                results.push(discard("TooShort"));
                continue;
            }
            let msg_key: [u8; 16] = p[..16].try_into().unwrap();
            let (aes_key, aes_iv) = packet::derive(&chat_key, x, &msg_key);
            let mut body = p[16..].to_vec();
            ctr(&aes_key, &aes_iv, &mut body);
            let large = Sha256::new()
                .chain_update(&key[88 + x..88 + x + 32])
                .chain_update(&body)
                .finalize();
            if self.has(Rule::MsgKey) && large[8..24] != msg_key {
                results.push(discard("MsgKeyMismatch"));
                continue;
            }
            let seq = u64::from(u32::from_be_bytes(body[..4].try_into().unwrap()));
            let counter = if self.has(Rule::MaskFlags) {
                seq & 0x3fff_ffff
            } else {
                seq
            };
            if counter == 0 {
                aborted = true;
                results.push(json!({"verdict": "abort", "error": "SeqOutOfRange"}));
                continue;
            }
            if self.has(Rule::TooOld) && counter + 64 <= max {
                results.push(discard("SeqTooOld"));
                continue;
            }
            if self.has(Rule::Repeated) && seen.contains(&counter) {
                results.push(discard("SeqRepeated"));
                continue;
            }
            seen.insert(counter);
            max = max.max(counter);
            results.push(json!({"verdict": "accept", "counter": counter}));
        }
        Value::Array(results)
    }
}

/// The reference for every op but `call.replayTrace`, which the model answers.
struct ModelIut(ReferenceIut, Model);

impl Iut for ModelIut {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if op != "call.replayTrace" {
            return self.0.call(op, request);
        }
        let mut f = Fields::new();
        f.insert("results".into(), self.1.trace(request));
        Answer::Ok(f)
    }
}

fn run(without: Option<Rule>) -> Vec<CaseResult> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors/call");
    let select = |m: &CaseMeta<'_>| m.group_type == "CallReplayTest";
    let mut iut = ModelIut(ReferenceIut::new(), Model { without });
    let mut out = Vec::new();
    for vf in &load_paths(&[dir]).unwrap() {
        out.extend(run_file(
            vf,
            &mut iut,
            &RunOptions::default(),
            &select,
            &mut |_| {},
        ));
    }
    out
}

#[test]
fn the_full_model_passes_every_case() {
    let results = run(None);
    assert!(results.len() >= 20);
    for r in &results {
        assert_eq!(r.outcome, Outcome::Pass, "#{} {}", r.tc_id, r.detail);
    }
}

#[test]
fn each_rule_has_cases_that_fail_without_it_and_only_those() {
    for (rule, fails) in [
        (Rule::MinLength, &["CallShortPacket"][..]),
        (Rule::MsgKey, &["CallTamperedFirst"]),
        (Rule::MaskFlags, &["CallSeqFlagBits"]),
        (Rule::TooOld, &["CallWindowBound", "CallTooOld"]),
        (
            Rule::Repeated,
            &["CallReplayNewest", "CallReplayInWindow", "CallSeqFlagBits"],
        ),
        (Rule::SenderLimit, &["CallSeqLimit"]),
    ] {
        let results = run(Some(rule));
        let failed: Vec<_> = results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        assert!(!failed.is_empty(), "{rule:?}: nothing fails without it");
        for r in &failed {
            assert!(
                r.flags.iter().any(|f| fails.contains(&f.as_str())),
                "{rule:?}: #{} {:?} failed",
                r.tc_id,
                r.flags
            );
        }
        // Every invalid case naming this rule's error fails without it.
        let error = match rule {
            Rule::MinLength => Some("TooShort"),
            Rule::MsgKey => Some("MsgKeyMismatch"),
            Rule::TooOld => Some("SeqTooOld"),
            Rule::Repeated => Some("SeqRepeated"),
            Rule::SenderLimit => Some("SeqLimitReached"),
            Rule::MaskFlags => None,
        };
        for r in results
            .iter()
            .filter(|r| error.is_some() && r.expected_error.as_deref() == error)
        {
            assert_ne!(r.outcome, Outcome::Pass, "{rule:?}: #{} passed", r.tc_id);
        }
        // And every flag the rule names has a failing case.
        for f in fails {
            assert!(
                failed.iter().any(|r| r.flags.iter().any(|g| g == f)),
                "{rule:?}: no {f} case fails"
            );
        }
    }
}
