//! Runner outcome logic against a scripted IUT.

use std::path::Path;

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, op};
use mtproto_vectors::core::judge::hex_diff;
use mtproto_vectors::{
    AcceptablePolicy, CaseMeta, CaseResult, Outcome, RunOptions, VectorFile, Verdict, load_file,
    parse_str, run_file,
};
use serde_json::{Value, json};

/// An IUT whose answers come from a closure.
struct Scripted<F: FnMut(&str, &Fields) -> Answer> {
    hello: Hello,
    answer: F,
}

impl<F: FnMut(&str, &Fields) -> Answer> Iut for Scripted<F> {
    fn hello(&self) -> &Hello {
        &self.hello
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        (self.answer)(op, request)
    }
}

fn scripted<F: FnMut(&str, &Fields) -> Answer>(answer: F) -> Scripted<F> {
    Scripted {
        hello: Hello {
            name: "scripted".into(),
            version: "0".into(),
            ops: op::ALL.iter().map(|&o| o.to_owned()).collect(),
        },
        answer,
    }
}

/// tcId 1 valid, 2 invalid (NotBlockAligned), 3 acceptable (empty input), computed by the
/// reference so the reference passes them.
fn ige_file() -> VectorFile {
    let key = "00".repeat(32);
    let iv = "11".repeat(32);
    let msg = "22".repeat(16);
    let mut reference = ReferenceIut::new();
    let mut req = Fields::new();
    req.insert("key".into(), json!(key));
    req.insert("iv".into(), json!(iv));
    req.insert("msg".into(), json!(msg));
    let Answer::Ok(out) = reference.call(op::IGE_ENCRYPT, &req) else {
        panic!("reference refused")
    };
    let ct = out["ct"].clone();
    let v = json!({
        "algorithm": "AES-256-IGE", "schema": "ige_test_schema_v1.json", "numberOfTests": 3,
        "header": [],
        "notes": {
            "NotBlockAligned": {"bugType": "MISSING_STEP", "description": "d"},
            "EmptyInput": {"bugType": "EDGE_CASE", "description": "d"}
        },
        "testGroups": [{"type": "IgeTest", "source": {"name": "self", "version": "1"}, "tests": [
            {"tcId": 1, "comment": "valid", "flags": [], "key": key, "iv": iv, "msg": msg,
             "ct": ct, "result": "valid"},
            {"tcId": 2, "comment": "invalid", "flags": ["NotBlockAligned"], "key": key, "iv": iv,
             "msg": "00", "ct": "00", "result": "invalid", "error": "NotBlockAligned"},
            {"tcId": 3, "comment": "acceptable", "flags": ["EmptyInput"], "key": key, "iv": iv,
             "msg": "", "ct": "", "result": "acceptable"}
        ]}]
    });
    parse_str(&v.to_string(), "vectors/ige/fixture_test.json").unwrap()
}

fn run(file: &VectorFile, iut: &mut dyn Iut, opts: RunOptions) -> Vec<CaseResult> {
    run_file(file, iut, &opts, &|_| true, &mut |_| {})
}

fn external(strict: bool) -> RunOptions {
    RunOptions {
        strict_errors: strict,
        acceptable: AcceptablePolicy::Pass,
        iut_is_reference: false,
    }
}

fn outcomes(results: &[CaseResult]) -> Vec<Outcome> {
    results.iter().map(|r| r.outcome).collect()
}

#[test]
fn the_reference_passes_and_results_carry_the_case() {
    let file = ige_file();
    let results = run(&file, &mut ReferenceIut::new(), RunOptions::default());
    assert_eq!(outcomes(&results), [Outcome::Pass; 3]);
    let r = &results[1];
    assert_eq!(r.file, "vectors/ige/fixture_test.json");
    assert_eq!(r.family, "ige");
    assert_eq!(r.algorithm, "AES-256-IGE");
    assert_eq!(r.group_type, "IgeTest");
    assert_eq!(r.flags, ["NotBlockAligned"]);
    assert_eq!(r.bug_types, ["MISSING_STEP"]);
    assert_eq!(r.expected, Verdict::Invalid);
    assert_eq!(r.expected_error.as_deref(), Some("NotBlockAligned"));
    assert_eq!(r.error.as_deref(), Some("NotBlockAligned"));
    assert_eq!(r.vector["type"], json!("IgeTest"));
    assert_eq!(r.vector["source"]["name"], json!("self"));
    assert_eq!(r.vector["msg"], json!("00"));
    assert_eq!(
        results[2].detail,
        "ige.encrypt: accepted; ige.decrypt: accepted"
    );
}

#[test]
fn wrong_output_fails_with_field_and_hex() {
    let file = ige_file();
    let mut reference = ReferenceIut::new();
    let mut iut = scripted(|op, req| match (op, reference.call(op, req)) {
        (op::IGE_ENCRYPT, Answer::Ok(mut f)) => {
            f.insert("ct".into(), json!("ff".repeat(16)));
            Answer::Ok(f)
        }
        (_, a) => a,
    });
    let results = run(&file, &mut iut, RunOptions::default());
    assert_eq!(results[0].outcome, Outcome::Fail);
    let d = &results[0].detail;
    assert!(d.starts_with("ige.encrypt: ct: expected "), "{d}");
    assert!(d.ends_with(&format!("got {}", "ff".repeat(16))), "{d}");
    assert_eq!(results[1].outcome, Outcome::Pass);
}

#[test]
fn accepting_an_invalid_case_fails() {
    let file = ige_file();
    let mut iut = scripted(|_, _| {
        let mut f = Fields::new();
        f.insert("ct".into(), json!("00"));
        f.insert("msg".into(), json!("00"));
        Answer::Ok(f)
    });
    let r = &run(&file, &mut iut, RunOptions::default())[1];
    assert_eq!(r.outcome, Outcome::Fail);
    assert!(
        r.detail
            .contains("accepted an invalid case (expected NotBlockAligned)"),
        "{}",
        r.detail
    );
}

#[test]
fn different_errors_fail_the_reference_and_strict_runs_only() {
    let file = ige_file();
    for name in ["TooShort", "Rejected"] {
        let mut iut = scripted(|_, _| Answer::Rejected { error: name.into() });
        let as_reference = &run(&file, &mut iut, RunOptions::default())[1];
        assert_eq!(as_reference.outcome, Outcome::Fail);
        assert!(
            as_reference
                .detail
                .contains(&format!("expected error NotBlockAligned, got {name}"))
        );
        let lenient = &run(&file, &mut iut, external(false))[1];
        assert_eq!(lenient.outcome, Outcome::Pass);
        assert_eq!(
            lenient.detail,
            format!("ige.encrypt: different error: {name}; ige.decrypt: different error: {name}")
        );
        assert_eq!(lenient.error.as_deref(), Some(name));
        let strict = &run(&file, &mut iut, external(true))[1];
        assert_eq!(strict.outcome, Outcome::Fail);
        // A rejected valid case fails whatever the options.
        let valid = &run(&file, &mut iut, external(false))[0];
        assert_eq!(valid.outcome, Outcome::Fail);
        assert!(
            valid
                .detail
                .contains(&format!("rejected a valid case with {name}"))
        );
    }
}

#[test]
fn unsupported_and_error_answers() {
    let file = ige_file();
    let mut iut = scripted(|_, _| Answer::Unsupported);
    assert_eq!(
        outcomes(&run(&file, &mut iut, external(false))),
        [Outcome::Unsupported; 3]
    );
    let mut iut = scripted(|_, _| Answer::Error("adapter crashed".into()));
    let results = run(&file, &mut iut, external(false));
    assert_eq!(outcomes(&results), [Outcome::Error; 3]);
    assert!(results[0].detail.contains("adapter crashed"));
    // An `ok` answer without the output, or with garbage in it, is an error too.
    let mut iut = scripted(|_, _| Answer::Ok(Fields::new()));
    let r = &run(&file, &mut iut, external(false))[0];
    assert_eq!(r.outcome, Outcome::Error);
    assert!(r.detail.contains("the answer has no `ct`"), "{}", r.detail);
    let mut iut = scripted(|_, _| {
        let mut f = Fields::new();
        f.insert("ct".into(), json!(42));
        f.insert("msg".into(), json!("zz"));
        Answer::Ok(f)
    });
    let r = &run(&file, &mut iut, external(false))[0];
    assert_eq!(r.outcome, Outcome::Error);
    // Half supported: the worse outcome wins, a failure over unsupported.
    let mut reference = ReferenceIut::new();
    let mut iut = scripted(|op, req| {
        if op == op::IGE_DECRYPT {
            Answer::Unsupported
        } else {
            reference.call(op, req)
        }
    });
    let results = run(&file, &mut iut, external(false));
    assert_eq!(results[0].outcome, Outcome::Unsupported);
    assert!(results[0].detail.contains("does not support ige.decrypt"));
}

#[test]
fn acceptable_policy() {
    let file = ige_file();
    let strict_acceptable = RunOptions {
        acceptable: AcceptablePolicy::Fail,
        ..RunOptions::default()
    };
    let r = &run(&file, &mut ReferenceIut::new(), strict_acceptable)[2];
    assert_eq!(r.outcome, Outcome::Fail);
    assert!(r.detail.contains("accepted an acceptable case"));
    // Rejecting an acceptable case passes under either policy.
    let mut iut = scripted(|_, _| Answer::Rejected {
        error: "NotBlockAligned".into(),
    });
    for opts in [RunOptions::default(), strict_acceptable] {
        let r = &run(&file, &mut iut, opts)[2];
        assert_eq!(r.outcome, Outcome::Pass);
        assert!(r.detail.contains("rejected with NotBlockAligned"));
    }
}

#[test]
fn select_and_on_case() {
    let file = ige_file();
    let mut seen = Vec::new();
    let select = |m: &CaseMeta<'_>| {
        assert_eq!(m.family, "ige");
        assert_eq!(m.group_type, "IgeTest");
        m.flags.iter().any(|f| f == "NotBlockAligned") && m.bug_types == ["MISSING_STEP"]
    };
    let results = run_file(
        &file,
        &mut ReferenceIut::new(),
        &RunOptions::default(),
        &select,
        &mut |r| seen.push(r.tc_id),
    );
    assert_eq!(seen, [2]);
    assert_eq!(results.len(), 1);
}

#[test]
fn decrypt_failures_name_the_field() {
    // Take one valid case of the shipped decrypt suite and let an IUT get seqNo and body wrong.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors/envelope/envelope_decrypt_test.json");
    let file = load_file(&path).unwrap();
    let mut reference = ReferenceIut::new();
    let mut iut = scripted(|op, req| match reference.call(op, req) {
        Answer::Ok(mut f) => {
            f.insert("seqNo".into(), json!(f["seqNo"].as_i64().unwrap() + 1));
            Answer::Ok(f)
        }
        a => a,
    });
    let only_first = |m: &CaseMeta<'_>| m.tc_id == 1;
    let r = run_file(
        &file,
        &mut iut,
        &RunOptions::default(),
        &only_first,
        &mut |_| {},
    );
    assert_eq!(r[0].outcome, Outcome::Fail);
    assert_eq!(r[0].detail, "seqNo: expected 2, got 3");
    assert_eq!(r[0].vector["receiver"], Value::from("client"));
}

#[test]
fn long_values_are_shown_around_the_first_difference() {
    let a = vec![7u8; 100];
    let mut b = a.clone();
    b[50] = 8;
    let d = hex_diff("packet", &a, &b);
    assert!(
        d.starts_with("packet: first difference at byte 50 (expected 100 bytes, got 100): "),
        "{d}"
    );
    assert!(
        d.contains(&format!("…{}08{}…", "07".repeat(8), "07".repeat(23))),
        "{d}"
    );
    assert_eq!(hex_diff("x", &[1], &[2]), "x: expected 01, got 02");
}
