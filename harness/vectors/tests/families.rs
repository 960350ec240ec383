//! The family shape: the registry and the modules under `families/` are exactly the
//! `vectors/<dir>` families, no family imports
//! another family or the registry, and the one judge applies `--acceptable fail` and
//! `--strict-errors` in every family.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, op};
use mtproto_vectors::registry::{families, group_types};
use mtproto_vectors::{
    AcceptablePolicy, CaseResult, Outcome, RunOptions, VectorFile, Verdict, load_file, parse_str,
    run_file,
};
use serde_json::{Value, json};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::...` and `super::...` paths a source file names (comments included: a doc link
/// to another family is a dependency of the reader too).
fn paths_named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(tail[..end].to_owned());
            rest = &tail[start.len()..];
        }
    }
    out
}

#[test]
fn no_family_imports_another_family_or_the_registry() {
    let root = src().join("families");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() >= 8, "{files:?}");
    let mut bad = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap();
        if rel == Path::new("mod.rs") {
            continue;
        }
        // The family a file belongs to: its top-level module under families/.
        let own = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let text = fs::read_to_string(file).unwrap();
        // In a family's directory, or in a file with an inline module, `super::` is the family.
        let nested = rel.components().count() > 1 || text.contains("\nmod ");
        for path in paths_named(&text) {
            let allowed = path.starts_with("crate::core")
                || path == "crate::case_struct"
                || path == "crate::header_of"
                || path.starts_with(&format!("crate::families::{own}::"))
                // Inside a family's directory, `super::` is the family itself.
                || (nested && path.starts_with("super::") && !path.starts_with("super::super"));
            if !allowed {
                bad.push(format!("{}: {path}", rel.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "families may import only crate::core (and themselves): {bad:#?}"
    );
}

#[test]
fn core_imports_no_family_and_not_the_registry() {
    let root = src().join("core");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for path in paths_named(&text) {
            assert!(
                !path.starts_with("crate::families") && !path.starts_with("crate::registry"),
                "{}: {path}",
                file.display()
            );
        }
    }
}

#[test]
fn the_registry_lists_exactly_the_vector_directories() {
    let dirs: BTreeSet<String> = fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir() && e.file_name() != "schemas")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = families().into_iter().map(str::to_owned).collect();
    assert_eq!(listed, dirs);
    // One module per family: `families/<name>.rs` or `families/<name>/`, named for its directory.
    let modules: BTreeSet<String> = fs::read_dir(src().join("families"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(modules, dirs, "the modules under families/");
    // Every group type a module lists names that module's family: no module serves two.
    for module in &modules {
        let mut files = Vec::new();
        let dir = src().join("families").join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src().join("families").join(format!("{module}.rs")));
        }
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            for (i, _) in text.match_indices("family: \"") {
                let rest = &text[i + "family: \"".len()..];
                let named = &rest[..rest.find('"').unwrap()];
                assert_eq!(named, module, "{}", file.display());
            }
        }
    }
    // Every committed file's family is its directory, and comes from its group type.
    for f in mtproto_vectors::load_paths(&[vectors_dir()]).unwrap() {
        let dir = Path::new(&f.path)
            .parent()
            .and_then(|d| d.file_name())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(f.family, dir, "{}", f.path);
    }
    // One schema per group type, each type once.
    let mut names = BTreeSet::new();
    for t in group_types() {
        assert!(names.insert(t.name), "{} listed twice", t.name);
        assert!(
            vectors_dir().join("schemas").join(t.schema).is_file(),
            "{}",
            t.schema
        );
    }
}

#[test]
fn family_comes_from_the_group_type_not_the_directory() {
    let dir = std::env::temp_dir().join(format!("mtproto-family-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("one")).unwrap();
    let copy = dir.join("one/aes256_ige_test.json");
    fs::copy(vectors_dir().join("ige/aes256_ige_test.json"), &copy).unwrap();
    assert_eq!(load_file(&copy).unwrap().family, "ige");
    let text = fs::read_to_string(vectors_dir().join("secret/secret_file_test.json")).unwrap();
    assert_eq!(parse_str(&text, "./x.json").unwrap().family, "secret");
    let text = fs::read_to_string(vectors_dir().join("call/call_replay_test.json")).unwrap();
    assert_eq!(parse_str(&text, "x.json").unwrap().family, "call");
    fs::remove_dir_all(&dir).unwrap();
}

/// `run` and `lint` load through the same loader: a file (or a group, or a case) written as a JSON
/// array of its fields, which serde would take, is refused by both.
#[test]
fn run_and_lint_refuse_the_same_array_form_files() {
    let text = fs::read_to_string(vectors_dir().join("ige/aes128_ige_openssl_test.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let dir = std::env::temp_dir().join(format!("mtproto-array-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("ige")).unwrap();
    // The whole file as an array of its fields, in order.
    let whole = json!([
        v["algorithm"],
        v["schema"],
        v["numberOfTests"],
        v["header"],
        v["notes"],
        v["testGroups"]
    ]);
    // One case as an array of its fields, in order.
    let mut one_case = v.clone();
    let c = &v["testGroups"][0]["tests"][0];
    one_case["testGroups"][0]["tests"][0] = json!([
        c["tcId"],
        c["comment"],
        c["flags"],
        c["key"],
        c["iv"],
        c["msg"],
        c["ct"],
        c["result"]
    ]);
    for (name, value) in [("whole", whole), ("case", one_case)] {
        let file = dir.join(format!("ige/{name}_test.json"));
        fs::write(&file, serde_json::to_string_pretty(&value).unwrap()).unwrap();
        let loaded = load_file(&file);
        assert!(loaded.is_err(), "{name}: run accepted an array-form file");
        let e = loaded.unwrap_err().to_string();
        assert!(e.contains("array"), "{name}: {e}");
        assert!(
            mtproto_vectors::lint_paths_with(
                std::slice::from_ref(&file),
                &vectors_dir().join("schemas")
            )
            .is_err(),
            "{name}: lint accepted it"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The one judge, per family

/// An IUT whose answers come from a closure.
struct Fake<F: FnMut(&str, &Fields) -> Answer> {
    hello: Hello,
    answer: F,
}

impl<F: FnMut(&str, &Fields) -> Answer> Iut for Fake<F> {
    fn hello(&self) -> &Hello {
        &self.hello
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
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
    }
}

const WRONG: &str = "NotTheExpectedName";

fn external(strict: bool, acceptable: AcceptablePolicy) -> RunOptions {
    RunOptions {
        strict_errors: strict,
        acceptable,
        iut_is_reference: false,
    }
}

fn family_files(family: &str) -> Vec<VectorFile> {
    mtproto_vectors::load_paths(&[vectors_dir().join(family)]).unwrap()
}

fn run_one(vf: &VectorFile, tc_id: u64, iut: &mut dyn Iut, opts: &RunOptions) -> CaseResult {
    let results = run_file(vf, iut, opts, &|m| m.tc_id == tc_id, &mut |_| {});
    assert_eq!(results.len(), 1, "{} tcId {tc_id}", vf.path);
    results.into_iter().next().unwrap()
}

const TRACES: &[&str] = &[
    "MsgIdTraceTest",
    "SecretSeqTraceTest",
    "SecretRekeyTest",
    "SecretChatTraceTest",
    "CallReplayTest",
];

/// The expected step results of case `tc_id` in `vf` (as written in the file), with every
/// `error` renamed to [`WRONG`].
fn renamed_expects(vf: &VectorFile, tc_id: u64) -> Vec<Value> {
    let v = serde_json::to_value(vf).unwrap();
    let case = v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter())
        .find(|c| c["tcId"] == json!(tc_id))
        .unwrap()
        .clone();
    case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut e = s["expect"].clone();
            if e.get("error").is_some() {
                e["error"] = json!(WRONG);
            }
            e
        })
        .collect()
}

/// An IUT that rejects exactly what `tc_id` of `vf` rejects, naming another error.
fn wrong_names(vf: &VectorFile, tc_id: u64, group_type: &str) -> Box<dyn Iut> {
    if !TRACES.contains(&group_type) {
        return Box::new(fake(|_, _| Answer::Rejected {
            error: WRONG.into(),
        }));
    }
    let expects = renamed_expects(vf, tc_id);
    if group_type == "MsgIdTraceTest" {
        let mut next = 0usize;
        return Box::new(fake(move |op, _| match op {
            op::SESSION_OPEN => Answer::Ok(Fields::from_iter([("handle".into(), json!(1))])),
            op::SESSION_FEED => {
                let e = expects.get(next).cloned().unwrap_or(Value::Null);
                next += 1;
                Answer::Ok(e.as_object().cloned().unwrap_or_default())
            }
            _ => Answer::Ok(Fields::new()),
        }));
    }
    Box::new(fake(move |_, _| {
        Answer::Ok(Fields::from_iter([(
            "results".into(),
            Value::Array(expects.clone()),
        )]))
    }))
}

/// The first invalid case of `family` (for session, one without containers, whose rejections
/// are all `ignore`s, so that a name can differ): (file, tcId, group type).
fn an_invalid_case(family: &str) -> Option<(VectorFile, u64, &'static str)> {
    for vf in family_files(family) {
        let v = serde_json::to_value(&vf).unwrap();
        for (g, group) in vf.test_groups.iter().enumerate() {
            for (t, h) in group.headers().iter().enumerate() {
                if h.result != Verdict::Invalid {
                    continue;
                }
                if group.type_name() == "MsgIdTraceTest" {
                    let steps = v["testGroups"][g]["tests"][t]["steps"].as_array().unwrap();
                    let plain = steps.iter().all(|s| {
                        s.get("container").is_none() && s["expect"]["verdict"] != json!("badMsg")
                    });
                    if !plain {
                        continue;
                    }
                }
                let (tc_id, ty) = (h.tc_id, group.type_name());
                return Some((vf.clone(), tc_id, ty));
            }
        }
    }
    None
}

/// `--strict-errors`: a rejection naming another error passes (with a `different error` detail)
/// for an external IUT, and fails under `--strict-errors` and for the reference.
fn strict_errors_apply(family: &str) {
    // A family without invalid cases (MsgKeyTest: a derivation cannot be rejected) gets a
    // synthetic one past the loader.
    let (vf, tc_id, ty) = an_invalid_case(family).unwrap_or_else(|| {
        let t = group_types()
            .into_iter()
            .find(|t| t.family == family)
            .unwrap();
        let vf = synthetic(family, t.name, "invalid", Some("KeyWrongLength"));
        let tc_id = vf.test_groups[0].headers()[0].tc_id;
        (vf, tc_id, t.name)
    });
    let lenient = run_one(
        &vf,
        tc_id,
        wrong_names(&vf, tc_id, ty).as_mut(),
        &external(false, AcceptablePolicy::Pass),
    );
    assert_eq!(
        lenient.outcome,
        Outcome::Pass,
        "{family} {ty} {tc_id}: {lenient:?}"
    );
    assert!(
        lenient.detail.contains("different error"),
        "{family}: {}",
        lenient.detail
    );
    assert_eq!(lenient.error.as_deref(), Some(WRONG), "{family}");
    for opts in [
        external(true, AcceptablePolicy::Pass),
        RunOptions::default(),
    ] {
        let strict = run_one(&vf, tc_id, wrong_names(&vf, tc_id, ty).as_mut(), &opts);
        assert_eq!(
            strict.outcome,
            Outcome::Fail,
            "{family} {ty} {tc_id}: {strict:?}"
        );
    }
}

/// A copy of the first valid case of `group_type` in `family` as the only case of a file, with
/// `result` set to `verdict` (and `error` to `error`), parsed by the family's parser only: the
/// loader refuses an acceptable case in most group types (and an invalid one in `MsgKeyTest`),
/// but the runner must still apply the judge's policy to whatever it is given.
fn synthetic(family: &str, group_type: &str, verdict: &str, error: Option<&str>) -> VectorFile {
    for path in fs::read_dir(vectors_dir().join(family)).unwrap() {
        let path = path.unwrap().path();
        let v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for g in v["testGroups"].as_array().unwrap() {
            if g["type"] != json!(group_type) {
                continue;
            }
            let Some(case) = g["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["result"] == json!("valid"))
            else {
                continue;
            };
            let mut case = case.clone();
            case["result"] = json!(verdict);
            if let Some(e) = error {
                case["error"] = json!(e);
            }
            let mut g = g.clone();
            g["tests"] = json!([case]);
            let text = serde_json::to_string(&g).unwrap();
            let part = mtproto_vectors::core::load::Part {
                file: "synthetic_test.json",
                text: &text,
                raw: &text,
                prefix: "testGroups[0]",
            };
            let group = mtproto_vectors::registry::parse_group(&part, group_type)
                .unwrap()
                .unwrap();
            let loaded = load_file(&path).unwrap();
            return VectorFile {
                path: format!("{family}/synthetic_test.json"),
                family: family.to_owned(),
                algorithm: loaded.algorithm,
                schema: loaded.schema,
                number_of_tests: 1,
                header: Vec::new(),
                notes: loaded.notes,
                test_groups: vec![group],
            };
        }
    }
    panic!("{family}: no valid {group_type} case")
}

/// `--acceptable`: for each of the family's group types, an acceptable case accepted with the
/// right outputs (by the reference) passes under `pass` and fails under `fail`.
fn acceptable_policy_applies(family: &str) {
    let types: Vec<_> = group_types()
        .into_iter()
        .filter(|t| t.family == family)
        .collect();
    assert!(!types.is_empty(), "{family}");
    for t in types {
        let vf = synthetic(family, t.name, "acceptable", None);
        let tc_id = vf.test_groups[0].headers()[0].tc_id;
        let pass = run_one(
            &vf,
            tc_id,
            &mut ReferenceIut::new(),
            &external(false, AcceptablePolicy::Pass),
        );
        assert_eq!(pass.outcome, Outcome::Pass, "{}: {pass:?}", t.name);
        assert!(
            pass.detail.contains("accepted"),
            "{}: {}",
            t.name,
            pass.detail
        );
        let fail = run_one(
            &vf,
            tc_id,
            &mut ReferenceIut::new(),
            &external(false, AcceptablePolicy::Fail),
        );
        assert_eq!(fail.outcome, Outcome::Fail, "{}: {fail:?}", t.name);
        assert!(
            fail.detail.contains("policy"),
            "{}: {}",
            t.name,
            fail.detail
        );
    }
}

#[test]
fn judge_ige() {
    strict_errors_apply("ige");
    acceptable_policy_applies("ige");
    // The shipped acceptable case (empty input), which the reference accepts.
    let vf = load_file(&vectors_dir().join("ige/aes256_ige_test.json")).unwrap();
    let acceptable = vf
        .test_groups
        .iter()
        .flat_map(|g| {
            g.headers()
                .into_iter()
                .map(|h| (h.tc_id, h.result))
                .collect::<Vec<_>>()
        })
        .find(|(_, r)| *r == Verdict::Acceptable)
        .unwrap()
        .0;
    let r = run_one(
        &vf,
        acceptable,
        &mut ReferenceIut::new(),
        &external(false, AcceptablePolicy::Fail),
    );
    assert_eq!(r.outcome, Outcome::Fail, "{r:?}");
}

#[test]
fn judge_kdf() {
    strict_errors_apply("kdf");
    acceptable_policy_applies("kdf");
}

#[test]
fn judge_envelope() {
    strict_errors_apply("envelope");
    acceptable_policy_applies("envelope");
}

#[test]
fn judge_session() {
    strict_errors_apply("session");
    acceptable_policy_applies("session");
}

#[test]
fn judge_transport() {
    strict_errors_apply("transport");
    acceptable_policy_applies("transport");
}

#[test]
fn judge_tl() {
    strict_errors_apply("tl");
    acceptable_policy_applies("tl");
}

#[test]
fn judge_dh() {
    strict_errors_apply("dh");
    acceptable_policy_applies("dh");
}

#[test]
fn judge_pq() {
    strict_errors_apply("pq");
    acceptable_policy_applies("pq");
}

#[test]
fn judge_rsa() {
    strict_errors_apply("rsa");
    acceptable_policy_applies("rsa");
}

#[test]
fn judge_handshake() {
    strict_errors_apply("handshake");
    acceptable_policy_applies("handshake");
}

#[test]
fn judge_secret() {
    strict_errors_apply("secret");
    acceptable_policy_applies("secret");
    // The shipped acceptable SecretFileTest case (tcId 29, FilePaddingBlock) under
    // --acceptable fail: an implementation that accepts it fails.
    let vf = load_file(&vectors_dir().join("secret/secret_file_test.json")).unwrap();
    let pass = run_one(
        &vf,
        29,
        &mut ReferenceIut::new(),
        &external(false, AcceptablePolicy::Pass),
    );
    assert_eq!(pass.outcome, Outcome::Pass, "{pass:?}");
    let fail = run_one(
        &vf,
        29,
        &mut ReferenceIut::new(),
        &external(false, AcceptablePolicy::Fail),
    );
    if pass.error.is_none() {
        assert_eq!(fail.outcome, Outcome::Fail, "{fail:?}");
    } else {
        assert_eq!(
            fail.outcome,
            Outcome::Pass,
            "a rejection always passes: {fail:?}"
        );
    }
}

#[test]
fn judge_call() {
    strict_errors_apply("call");
    acceptable_policy_applies("call");
}

/// The `wire` family is judged by the wire runner, not by an adapter: `run_file` runs none of its
/// cases against any IUT (no `unsupported` either), and its loader refuses a `result` or `error`
/// the script does not give, an action of the other role, and an unknown transport.
#[test]
fn judge_wire() {
    let files = family_files("wire");
    // The two generated suites, and the wire-fuzz findings beside them (`*_fuzz_test.json`).
    let generated = files
        .iter()
        .filter(|f| !f.path.ends_with("_fuzz_test.json"))
        .count();
    assert_eq!(generated, 2);
    let mut cases = 0;
    for vf in &files {
        cases += vf.number_of_tests;
        let ran = run_file(
            vf,
            &mut ReferenceIut::new(),
            &RunOptions::default(),
            &|_| true,
            &mut |_| {},
        );
        assert!(ran.is_empty(), "{}: {ran:?}", vf.path);
    }
    assert!(cases >= 98, "{cases}");
    let text = fs::read_to_string(vectors_dir().join("wire/wire_client_test.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = v.clone();
        f(&mut v);
        parse_str(&serde_json::to_string(&v).unwrap(), "w.json")
    };
    assert!(edit(&|_| {}).is_ok());
    // A valid session called invalid.
    let e = edit(&|v| {
        v["testGroups"][0]["tests"][0]["result"] = json!("invalid");
        v["testGroups"][0]["tests"][0]["error"] = json!("MsgKeyMismatch");
    })
    .unwrap_err();
    assert!(e.to_string().contains("the script makes this case"), "{e}");
    // A decoy case naming another check than its mutation breaks.
    let tests = v["testGroups"][0]["tests"].as_array().unwrap();
    let decoy = tests
        .iter()
        .position(|t| t["error"] == json!("MsgKeyMismatch"))
        .unwrap();
    let e = edit(&|v| v["testGroups"][0]["tests"][decoy]["error"] = json!("PaddingTooLong"))
        .unwrap_err();
    assert!(e.to_string().contains("the script makes this case"), "{e}");
    // A server-role action in a client-role case.
    let e = edit(&|v| {
        v["testGroups"][0]["tests"][0]["script"][1]["action"] = json!({"action": "send_query"});
    })
    .unwrap_err();
    assert!(e.to_string().contains("server-role"), "{e}");
    // An unknown transport.
    let e = edit(&|v| v["testGroups"][0]["tests"][0]["transport"] = json!("http")).unwrap_err();
    assert!(e.to_string().contains("unknown transport"), "{e}");
}
