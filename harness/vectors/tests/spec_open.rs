//! Spec-open cases are `acceptable` and carry the data that checks an accepting answer: a pq that
//! is two primes with one of 2^32 or more (`PqFactorAbove32Bits`, with p and q), and an
//! obfuscated2 init with a forbidden first word on the decoding side (`ForbiddenPrefix`, with the
//! frames). Accepting with wrong outputs fails, with the right ones passes (and fails under
//! `--acceptable fail`); rejecting passes; the loader refuses an acceptable case without the data.

use std::path::PathBuf;

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, op};
use mtproto_vectors::{
    AcceptablePolicy, CaseResult, Outcome, RunOptions, VectorFile, Verdict, load_file, parse_str,
    run_file,
};
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors")
}

/// An IUT whose answers come from a closure; it records the ops it was asked.
struct Fake<F: FnMut(&str, &Fields) -> Answer> {
    hello: Hello,
    answer: F,
    asked: Vec<String>,
}

impl<F: FnMut(&str, &Fields) -> Answer> Iut for Fake<F> {
    fn hello(&self) -> &Hello {
        &self.hello
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        self.asked.push(op.to_owned());
        (self.answer)(op, request)
    }
}

fn fake<F: FnMut(&str, &Fields) -> Answer>(answer: F) -> Fake<F> {
    Fake {
        hello: Hello {
            name: "fake".into(),
            version: "0".into(),
            ops: op::ALL.iter().map(|&o| o.to_owned()).collect(),
        },
        answer,
        asked: Vec::new(),
    }
}

fn external(acceptable: AcceptablePolicy) -> RunOptions {
    RunOptions {
        strict_errors: true,
        acceptable,
        iut_is_reference: false,
    }
}

fn run_one(vf: &VectorFile, tc_id: u64, iut: &mut dyn Iut, opts: &RunOptions) -> CaseResult {
    let results = run_file(vf, iut, opts, &|m| m.tc_id == tc_id, &mut |_| {});
    assert_eq!(results.len(), 1, "{} tcId {tc_id}", vf.path);
    results.into_iter().next().unwrap()
}

/// Every case of `file` carrying `flag`, as JSON.
fn cases_with(file: &str, flag: &str) -> (VectorFile, Vec<Value>) {
    let vf = load_file(&vectors_dir().join(file)).unwrap();
    let v = serde_json::to_value(&vf).unwrap();
    let cases = v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().cloned())
        .filter(|c| c["flags"].as_array().unwrap().contains(&json!(flag)))
        .collect();
    (vf, cases)
}

fn ok(fields: &[(&str, Value)]) -> Answer {
    Answer::Ok(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn outcome(vf: &VectorFile, tc_id: u64, answer: &Answer, policy: AcceptablePolicy) -> CaseResult {
    let mut iut = fake(|_, _| answer.clone());
    run_one(vf, tc_id, &mut iut, &external(policy))
}

#[test]
fn pq_with_a_factor_above_32_bits_is_acceptable_and_its_factors_are_checked() {
    let (vf, cases) = cases_with("pq/pq_test.json", "PqFactorAbove32Bits");
    // 44 random products with a 33-bit p and 10 products of a 41-bit and a 21-bit prime.
    assert_eq!(cases.len(), 54);
    for c in &cases {
        let tc_id = c["tcId"].as_u64().unwrap();
        assert_eq!(c["result"], "acceptable", "tcId {tc_id}");
        let (p, q) = (c["p"].clone(), c["q"].clone());
        let right = ok(&[("p", p.clone()), ("q", q.clone())]);
        let r = outcome(&vf, tc_id, &right, AcceptablePolicy::Pass);
        assert_eq!(r.outcome, Outcome::Pass, "tcId {tc_id}: {r:?}");
        // Wrong factors: swapped, or q off by one.
        let swapped = ok(&[("p", q.clone()), ("q", p.clone())]);
        let r = outcome(&vf, tc_id, &swapped, AcceptablePolicy::Pass);
        assert_eq!(r.outcome, Outcome::Fail, "tcId {tc_id}: {r:?}");
        let mut q_bytes = hex::decode(q.as_str().unwrap()).unwrap();
        *q_bytes.last_mut().unwrap() ^= 2;
        let off = ok(&[("p", p.clone()), ("q", json!(hex::encode(q_bytes)))]);
        let r = outcome(&vf, tc_id, &off, AcceptablePolicy::Pass);
        assert_eq!(r.outcome, Outcome::Fail, "tcId {tc_id}: {r:?}");
        // --acceptable fail: even the right factors fail; a rejection passes.
        let r = outcome(&vf, tc_id, &right, AcceptablePolicy::Fail);
        assert_eq!(r.outcome, Outcome::Fail, "tcId {tc_id}: {r:?}");
        let reject = Answer::Rejected {
            error: "PqNotFactorable".into(),
        };
        for policy in [AcceptablePolicy::Pass, AcceptablePolicy::Fail] {
            let r = outcome(&vf, tc_id, &reject, policy);
            assert_eq!(r.outcome, Outcome::Pass, "tcId {tc_id}: {r:?}");
        }
        // The reference keeps rejecting them, and passes.
        let r = run_one(&vf, tc_id, &mut ReferenceIut::new(), &RunOptions::default());
        assert_eq!(r.outcome, Outcome::Pass, "tcId {tc_id}: {r:?}");
        assert_eq!(r.error.as_deref(), Some("PqNotFactorable"), "tcId {tc_id}");
    }
}

#[test]
fn pq_cases_the_spec_decides_stay_invalid() {
    let vf = load_file(&vectors_dir().join("pq/pq_test.json")).unwrap();
    let v = serde_json::to_value(&vf).unwrap();
    let invalid: Vec<Value> = v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().cloned())
        .filter(|c| c["result"] == "invalid")
        .collect();
    let pqs: Vec<&str> = invalid.iter().map(|c| c["pq"].as_str().unwrap()).collect();
    // 2^64 + 15 = 31 · 107 · 5561273462077043 and 2^64 - 1: three or more prime factors.
    assert!(pqs.contains(&"01000000000000000f"), "{pqs:?}");
    assert!(pqs.contains(&"ffffffffffffffff"), "{pqs:?}");
    for c in &invalid {
        assert!(c.get("p").is_none() && c.get("q").is_none(), "{c}");
        assert!(
            !c["flags"]
                .as_array()
                .unwrap()
                .contains(&json!("PqFactorAbove32Bits"))
        );
    }
    assert!(
        invalid
            .iter()
            .any(|c| c["comment"].as_str().unwrap().starts_with("three primes"))
    );
}

#[test]
fn the_loader_requires_p_and_q_on_an_acceptable_pq_case() {
    let text = std::fs::read_to_string(vectors_dir().join("pq/pq_test.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let case = v["testGroups"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|g| g["tests"].as_array_mut().unwrap().iter_mut())
        .find(|c| c["result"] == "acceptable")
        .unwrap();
    case.as_object_mut().unwrap().remove("q");
    let e = parse_str(
        &serde_json::to_string_pretty(&v).unwrap(),
        "pq/pq_test.json",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("acceptable case gives p and q"), "{e}");
}

#[test]
fn forbidden_obfuscation_prefixes_are_acceptable_on_the_decoding_side_with_frames() {
    let (vf, cases) = cases_with("transport/transport_test.json", "ForbiddenPrefix");
    // Four prefixes (ef, POST, eeeeeeee, zero second word) in six client-to-server groups.
    assert_eq!(cases.len(), 24);
    for c in &cases {
        let tc_id = c["tcId"].as_u64().unwrap();
        assert_eq!(c["result"], "acceptable", "tcId {tc_id}");
        let frames = c["frames"].clone();
        assert!(!frames.as_array().unwrap().is_empty(), "tcId {tc_id}");
        // An accepting decoder giving the frames passes, and is never asked to encode.
        let right = ok(&[("frames", frames.clone())]);
        let mut iut = fake(|_, _| right.clone());
        let r = run_one(&vf, tc_id, &mut iut, &external(AcceptablePolicy::Pass));
        assert_eq!(r.outcome, Outcome::Pass, "tcId {tc_id}: {r:?}");
        assert_eq!(iut.asked, [op::TRANSPORT_DECODE], "tcId {tc_id}");
        // Other frames fail.
        let mut wrong = frames.clone();
        wrong.as_array_mut().unwrap().pop();
        let r = outcome(
            &vf,
            tc_id,
            &ok(&[("frames", wrong)]),
            AcceptablePolicy::Pass,
        );
        assert_eq!(r.outcome, Outcome::Fail, "tcId {tc_id}: {r:?}");
        // --acceptable fail: accepting fails.
        let r = outcome(&vf, tc_id, &right, AcceptablePolicy::Fail);
        assert_eq!(r.outcome, Outcome::Fail, "tcId {tc_id}: {r:?}");
        // The reference rejects (ForbiddenPrefix) and passes.
        let r = run_one(&vf, tc_id, &mut ReferenceIut::new(), &RunOptions::default());
        assert_eq!(r.outcome, Outcome::Pass, "tcId {tc_id}: {r:?}");
        assert_eq!(r.error.as_deref(), Some("ForbiddenPrefix"), "tcId {tc_id}");
    }
}

/// The frames an acceptable forbidden-prefix case gives are those of the unmodified stream: the
/// reference, told the first 8 bytes of the init are the original ones, decodes them.
#[test]
fn an_acceptable_prefix_case_decodes_like_its_unmodified_stream() {
    let (vf, cases) = cases_with("transport/transport_test.json", "ForbiddenPrefix");
    let v = serde_json::to_value(&vf).unwrap();
    for c in &cases {
        let tc_id = c["tcId"].as_u64().unwrap();
        // The group's valid case is the unmodified stream.
        let group = v["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["tests"].as_array().unwrap().contains(c))
            .unwrap();
        let original = group["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["result"] == "valid")
            .unwrap();
        assert_eq!(c["frames"], original["frames"], "tcId {tc_id}");
        let (a, b) = (
            hex::decode(c["stream"].as_str().unwrap()).unwrap(),
            hex::decode(original["stream"].as_str().unwrap()).unwrap(),
        );
        assert_eq!(a.len(), b.len(), "tcId {tc_id}");
        assert_eq!(a[8..], b[8..], "tcId {tc_id}: only bytes 0..8 differ");
    }
}

#[test]
fn acceptable_cases_other_than_the_spec_open_ones_are_not_introduced() {
    for (file, flag) in [
        ("pq/pq_test.json", "PqFactorAbove32Bits"),
        ("transport/transport_test.json", "ForbiddenPrefix"),
    ] {
        let vf = load_file(&vectors_dir().join(file)).unwrap();
        let v = serde_json::to_value(&vf).unwrap();
        for c in v["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["tests"].as_array().unwrap().iter())
        {
            let flagged = c["flags"].as_array().unwrap().contains(&json!(flag));
            assert_eq!(
                c["result"] == json!(Verdict::Acceptable),
                flagged,
                "{file}: {c}"
            );
        }
    }
}

/// The outputs an accepting answer is judged by, per case type, for every type that has (or had)
/// acceptable cases. A type with an acceptable case must be listed here.
const ACCEPTING_OUTPUTS: &[(&str, &[&str])] = &[
    ("PqTest", &["p", "q"]),
    ("TransportTest", &["frames"]),
    ("IgeTest", &["ct"]),
    ("SecretFileTest", &["file"]),
    ("SecretVisualizationTest", &["keyHash", "pixels"]),
    ("EnvelopeDecryptTest", &["salt", "msgId", "seqNo", "body"]),
    ("RsaPadDecryptTest", &["dataWithPadding", "data"]),
    // A wire case is judged by its script (the actions and the reactions each allows).
    ("WireClientTest", &["script"]),
    ("WireServerTest", &["script"]),
];

/// Every vector file under `vectors/` (the schemas left out), relative to it.
fn vector_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(vectors_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() || dir.ends_with("schemas") {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                let rel = f.strip_prefix(vectors_dir()).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_acceptable_case_carries_and_the_loader_requires_its_outputs() {
    let mut seen = 0;
    for file in vector_files() {
        let text = std::fs::read_to_string(vectors_dir().join(&file)).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        for (g, group) in v["testGroups"].as_array().unwrap().iter().enumerate() {
            let ty = group["type"].as_str().unwrap();
            for (t, case) in group["tests"].as_array().unwrap().iter().enumerate() {
                if case["result"] != "acceptable" {
                    continue;
                }
                seen += 1;
                let Some((_, outputs)) = ACCEPTING_OUTPUTS.iter().find(|(n, _)| *n == ty) else {
                    panic!("{file}: {ty} has acceptable cases but no entry in ACCEPTING_OUTPUTS");
                };
                for field in *outputs {
                    assert!(
                        case.get(*field).is_some(),
                        "{file} tcId {}: an acceptable {ty} lacks `{field}`",
                        case["tcId"]
                    );
                    // And the loader refuses the case without it.
                    let mut cut = v.clone();
                    cut["testGroups"][g]["tests"][t]
                        .as_object_mut()
                        .unwrap()
                        .remove(*field);
                    assert!(
                        parse_str(&serde_json::to_string_pretty(&cut).unwrap(), &file).is_err(),
                        "{file} tcId {}: the loader takes an acceptable {ty} without `{field}`",
                        case["tcId"]
                    );
                }
            }
        }
    }
    assert!(seen > 0);
}

#[test]
fn key_picture_cases_are_acceptable_and_pixels_are_judged_when_answered() {
    let (vf, cases) = cases_with(
        "secret/secret_visualization_test.json",
        "PixelOrderConvention",
    );
    assert!(!cases.is_empty());
    for c in &cases {
        assert_eq!(c["result"], "acceptable", "{c}");
        let tc = c["tcId"].as_u64().unwrap();
        let key_hash = c["keyHash"].clone();
        let pixels = c["pixels"].as_str().unwrap().to_owned();
        let pass = AcceptablePolicy::Pass;
        // The key hash alone: judged by it.
        let r = outcome(&vf, tc, &ok(&[("keyHash", key_hash.clone())]), pass);
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
        // With the convention's pixels: passes; with another order: fails.
        let r = outcome(
            &vf,
            tc,
            &ok(&[("keyHash", key_hash.clone()), ("pixels", json!(pixels))]),
            pass,
        );
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
        let msb_first: String = pixels
            .as_bytes()
            .chunks(4)
            .flat_map(|q| q.iter().rev())
            .map(|&b| b as char)
            .collect();
        if msb_first != pixels {
            let r = outcome(
                &vf,
                tc,
                &ok(&[("keyHash", key_hash.clone()), ("pixels", json!(msb_first))]),
                pass,
            );
            assert_eq!(r.outcome, Outcome::Fail, "{r:?}");
        }
        // A wrong key hash fails whatever the pixels.
        let r = outcome(&vf, tc, &ok(&[("keyHash", json!("00".repeat(36)))]), pass);
        assert_eq!(r.outcome, Outcome::Fail, "{r:?}");
    }
    let (_, hash_only) = cases_with("secret/secret_visualization_test.json", "KeyHashOnly");
    assert!(hash_only.iter().any(|c| c.get("layer46Key").is_some()));
    assert!(hash_only.iter().any(|c| c.get("layer46Key").is_none()));
    for c in &hash_only {
        assert_eq!(c["result"], "valid", "{c}");
        assert!(c.get("pixels").is_none(), "{c}");
    }
}
