//! The session traces (`vectors/session/`): the reference passes them, an independent plain model
//! passes them, and a copy of that model built with any one known bug fails at least one case —
//! one carrying the flag written for that bug.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, fields, op};
use mtproto_vectors::{CaseResult, Outcome, RunOptions, load_paths, parse_str, run_file};
use serde_json::Value;

#[path = "../../fuzzing/src/session_model.rs"]
mod session_model;

use session_model::{Bug, Inner, Model, Msg, V};

fn session_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/session")
}

/// The model behind the adapter ops, with an optional bug.
struct ModelIut {
    hello: Hello,
    bug: Option<Bug>,
    open: BTreeMap<u64, Model>,
    next: u64,
}

impl ModelIut {
    fn new(bug: Option<Bug>) -> Self {
        Self {
            hello: Hello {
                name: format!("model {bug:?}"),
                version: "0".into(),
                ops: vec![
                    op::SESSION_OPEN.into(),
                    op::SESSION_FEED.into(),
                    op::SESSION_CLOSE.into(),
                ],
            },
            bug,
            open: BTreeMap::new(),
            next: 0,
        }
    }
}

fn verdict(v: &V) -> Value {
    match v {
        V::Accept => serde_json::json!({"verdict": "accept"}),
        V::Ignore(e) => serde_json::json!({"verdict": "ignore", "error": e}),
        V::Bad(c) => serde_json::json!({"verdict": "badMsg", "code": c}),
    }
}

impl Iut for ModelIut {
    fn hello(&self) -> &Hello {
        &self.hello
    }

    fn call(&mut self, op_name: &str, r: &Fields) -> Answer {
        match op_name {
            op::SESSION_OPEN => {
                let session = fields::long(r, "sessionId").unwrap();
                let window = r.get("windowSize").and_then(Value::as_u64).unwrap_or(1000) as usize;
                let model = if r["receiver"] == "server" {
                    let salts = r["salts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| {
                            let m = s.as_object().unwrap();
                            (
                                fields::long(m, "salt").unwrap(),
                                m["validSince"].as_i64().unwrap(),
                                m["validUntil"].as_i64().unwrap(),
                            )
                        })
                        .collect();
                    Model::server(session, window, salts, self.bug)
                } else {
                    let synced = r
                        .get("clockSynced")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    Model::client(session, window, synced, self.bug)
                };
                self.next += 1;
                self.open.insert(self.next, model);
                let mut a = Fields::new();
                a.insert("handle".into(), Value::from(self.next));
                Answer::Ok(a)
            }
            op::SESSION_FEED => {
                let model = self.open.get_mut(&r["handle"].as_u64().unwrap()).unwrap();
                let msg = Msg {
                    now: r["now"].as_i64().unwrap(),
                    session_id: fields::long(r, "sessionId").unwrap(),
                    salt: r
                        .get("salt")
                        .map_or(0, |_| fields::long(r, "salt").unwrap()),
                    msg_id: fields::long(r, "msgId").unwrap(),
                    seq_no: fields::int(r, "seqNo").unwrap(),
                    content_related: r["contentRelated"].as_bool().unwrap(),
                };
                let answer = match r.get("container").and_then(Value::as_array) {
                    None => verdict(&model.feed(&msg)),
                    Some(list) => {
                        let inner: Vec<Inner> = list
                            .iter()
                            .map(|i| {
                                let m = i.as_object().unwrap();
                                Inner {
                                    msg_id: fields::long(m, "msgId").unwrap(),
                                    seq_no: fields::int(m, "seqNo").unwrap(),
                                    content_related: m["contentRelated"].as_bool().unwrap(),
                                    is_container: m.contains_key("container"),
                                }
                            })
                            .collect();
                        let (top, each) = model.feed_container(&msg, &inner);
                        let mut v = verdict(&top);
                        if let Some(each) = each {
                            v["inner"] = Value::Array(each.iter().map(verdict).collect());
                        }
                        v
                    }
                };
                Answer::Ok(answer.as_object().unwrap().clone())
            }
            op::SESSION_CLOSE => {
                self.open.remove(&r["handle"].as_u64().unwrap());
                Answer::Ok(Fields::new())
            }
            _ => Answer::Unsupported,
        }
    }
}

fn run_all(iut: &mut dyn Iut) -> Vec<CaseResult> {
    let files = load_paths(&[session_dir()]).unwrap();
    assert_eq!(files.len(), 2, "the client and the server trace files");
    files
        .iter()
        .flat_map(|vf| run_file(vf, iut, &RunOptions::default(), &|_| true, &mut |_| {}))
        .collect()
}

fn failures(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| {
            format!(
                "{} #{} {:?} {:?}: {}",
                r.file, r.tc_id, r.flags, r.outcome, r.detail
            )
        })
        .collect()
}

#[test]
fn reference_passes_every_session_trace() {
    let results = run_all(&mut ReferenceIut::new());
    assert!(results.len() >= 250, "{} traces", results.len());
    let failed = failures(&results);
    assert!(
        failed.is_empty(),
        "the reference fails:\n{}",
        failed.join("\n")
    );
    assert!(
        results.iter().all(|r| r.detail.is_empty()),
        "no different-error notes"
    );
}

#[test]
fn the_plain_model_passes_every_session_trace() {
    let failed = failures(&run_all(&mut ModelIut::new(None)));
    assert!(
        failed.is_empty(),
        "the model disagrees:\n{}",
        failed.join("\n")
    );
}

/// The flag written for each bug: the suite must catch the bug in a case carrying it.
fn flag_for(bug: Bug) -> &'static str {
    match bug {
        Bug::KeepOnlyNewest => "ReplayOlderInWindow",
        Bug::HighestSeenMovesBackwards => "ReplayAfterReorder",
        Bug::LowerThanAllSkippedUntilFull => "TooOldSmallWindow",
        Bug::NoParityCheck => "MsgIdParity",
        Bug::NoTimeWindow => "TimeTooFarPast",
        Bug::TimeWindowWhenUnsynced => "UnsyncedClock",
        Bug::NoSessionCheck => "SessionIdMismatch",
        Bug::RejectedIdRemembered => "RejectedNotRemembered",
        Bug::NoSeqNoCheck => "SeqNoParity",
        Bug::DocOnlySeqNoRules => "ReorderingAttack",
        Bug::NoSaltCheck => "BadServerSalt",
        Bug::SaltNoOverlap => "SaltOverlap",
        Bug::NoContainerRules => "ContainerNested",
        Bug::ContainerLimitOffByOne => "ContainerMaxSize",
    }
}

fn assert_caught(bug: Bug) {
    let results = run_all(&mut ModelIut::new(Some(bug)));
    let failed: Vec<&CaseResult> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    let flag = flag_for(bug);
    assert!(
        failed.iter().any(|r| r.flags.iter().any(|f| f == flag)),
        "{bug:?}: no failing case carries {flag}; failing: {:?}",
        failed
            .iter()
            .map(|r| (r.tc_id, &r.flags))
            .collect::<Vec<_>>()
    );
}

#[test]
fn catches_keep_only_newest() {
    assert_caught(Bug::KeepOnlyNewest);
}

#[test]
fn catches_highest_seen_moving_backwards() {
    assert_caught(Bug::HighestSeenMovesBackwards);
}

#[test]
fn catches_lower_than_all_rule_skipped_until_a_larger_buffer_fills() {
    assert_caught(Bug::LowerThanAllSkippedUntilFull);
}

#[test]
fn catches_no_parity_check() {
    assert_caught(Bug::NoParityCheck);
}

#[test]
fn catches_no_time_window() {
    assert_caught(Bug::NoTimeWindow);
}

#[test]
fn catches_time_window_applied_before_the_clock_is_synced() {
    assert_caught(Bug::TimeWindowWhenUnsynced);
}

#[test]
fn catches_no_session_id_check() {
    assert_caught(Bug::NoSessionCheck);
}

#[test]
fn catches_rejected_msg_id_remembered() {
    assert_caught(Bug::RejectedIdRemembered);
}

#[test]
fn catches_no_seq_no_check() {
    assert_caught(Bug::NoSeqNoCheck);
}

#[test]
fn catches_reordering_attack_under_doc_only_seq_no_rules() {
    assert_caught(Bug::DocOnlySeqNoRules);
}

#[test]
fn catches_no_salt_check() {
    assert_caught(Bug::NoSaltCheck);
}

#[test]
fn catches_salts_without_overlap() {
    assert_caught(Bug::SaltNoOverlap);
}

#[test]
fn catches_no_container_rules() {
    assert_caught(Bug::NoContainerRules);
}

#[test]
fn catches_container_limit_off_by_one() {
    assert_caught(Bug::ContainerLimitOffByOne);
}

#[test]
fn every_bug_has_a_test() {
    let tested: BTreeSet<&str> = Bug::ALL.iter().map(|&b| flag_for(b)).collect();
    assert_eq!(tested.len(), Bug::ALL.len(), "one flag per bug");
}

// Loader: the trace-specific rules.

fn minimal(
    receiver: &str,
    group_extra: &str,
    step_extra: &str,
    expect: &str,
    result: &str,
) -> String {
    format!(
        r#"{{"algorithm": "a", "schema": "msg_id_trace_test_schema_v1.json", "numberOfTests": 1,
        "header": [], "notes": {{}}, "testGroups": [{{"type": "MsgIdTraceTest", "receiver": "{receiver}"{group_extra},
        "source": {{"name": "self", "version": "1"}}, "tests": [{{"tcId": 1, "comment": "", "flags": [],
        "sessionId": "0102030405060708", "steps": [{{"now": 1, "msgId": "0100000000000000", "seqNo": 0,
        "contentRelated": false{step_extra}, "expect": {expect}}}], {result}}}]}}]}}"#
    )
}

#[test]
fn loader_accepts_a_minimal_trace() {
    let text = minimal(
        "client",
        r#", "clockSynced": true"#,
        "",
        r#"{"verdict": "accept"}"#,
        r#""result": "valid""#,
    );
    parse_str(&text, "t_test.json").unwrap();
}

#[test]
fn loader_rejects_broken_traces() {
    let cases = [
        // (receiver, group extra, step extra, expect, result, message part)
        (
            "client",
            "",
            "",
            r#"{"verdict": "accept"}"#,
            r#""result": "valid""#,
            "clockSynced",
        ),
        (
            "server",
            r#", "salts": []"#,
            "",
            r#"{"verdict": "accept"}"#,
            r#""result": "valid""#,
            "a server step carries its salt",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            "",
            r#"{"verdict": "badMsg", "code": 16}"#,
            r#""result": "invalid", "error": "TimeTooFarPast""#,
            "never answers bad_msg_notification",
        ),
        (
            "server",
            r#", "salts": []"#,
            r#", "salt": "0000000000000000""#,
            r#"{"verdict": "badMsg", "code": 21}"#,
            r#""result": "invalid", "error": "TooOld""#,
            "not a bad_msg_notification code",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            "",
            r#"{"verdict": "ignore", "error": "Duplicate"}"#,
            r#""result": "valid""#,
            "the case is invalid",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            "",
            r#"{"verdict": "ignore", "error": "Duplicate"}"#,
            r#""result": "invalid", "error": "TooOld""#,
            "first rejected step",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            "",
            r#"{"verdict": "ignore"}"#,
            r#""result": "invalid", "error": "TooOld""#,
            "an ignore carries an error",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            r#", "salt": "0000000000000000""#,
            r#"{"verdict": "accept"}"#,
            r#""result": "valid""#,
            "no salt to check",
        ),
        (
            "client",
            r#", "clockSynced": true, "windowSize": 0"#,
            "",
            r#"{"verdict": "accept"}"#,
            r#""result": "valid""#,
            "at least 1",
        ),
        (
            "client",
            r#", "clockSynced": true"#,
            r#", "container": [{"msgId": "0000000000000000", "seqNo": 0, "contentRelated": false}]"#,
            r#"{"verdict": "accept"}"#,
            r#""result": "valid""#,
            "each message it holds is judged",
        ),
    ];
    for (receiver, g, s, e, r, want) in cases {
        let err = parse_str(&minimal(receiver, g, s, e, r), "t_test.json").unwrap_err();
        assert!(err.to_string().contains(want), "{err} lacks {want:?}");
    }
}

#[test]
fn a_different_error_name_fails_the_reference_but_not_an_external_iut() {
    struct Renamer(ReferenceIut);
    impl Iut for Renamer {
        fn hello(&self) -> &Hello {
            self.0.hello()
        }
        fn call(&mut self, op: &str, r: &Fields) -> Answer {
            match self.0.call(op, r) {
                Answer::Ok(mut f) if f.get("error").is_some() && f["verdict"] == "ignore" => {
                    f.insert("error".into(), Value::from("Rejected"));
                    Answer::Ok(f)
                }
                a => a,
            }
        }
    }
    let vf = &load_paths(&[session_dir()]).unwrap()[0];
    let strict = run_file(
        vf,
        &mut Renamer(ReferenceIut::new()),
        &RunOptions::default(),
        &|_| true,
        &mut |_| {},
    );
    assert!(strict.iter().any(|r| r.outcome == Outcome::Fail));
    let lenient = RunOptions {
        iut_is_reference: false,
        ..RunOptions::default()
    };
    let results = run_file(
        vf,
        &mut Renamer(ReferenceIut::new()),
        &lenient,
        &|_| true,
        &mut |_| {},
    );
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{:?}",
        failures(&results)
    );
    assert!(results.iter().any(|r| r.detail.contains("different error")));
}

#[test]
fn an_iut_without_session_ops_is_unsupported() {
    struct Nothing(Hello);
    impl Iut for Nothing {
        fn hello(&self) -> &Hello {
            &self.0
        }
        fn call(&mut self, _: &str, _: &Fields) -> Answer {
            Answer::Unsupported
        }
    }
    let mut iut = Nothing(Hello {
        name: "n".into(),
        version: "0".into(),
        ops: vec![],
    });
    assert!(
        run_all(&mut iut)
            .iter()
            .all(|r| r.outcome == Outcome::Unsupported)
    );
}
