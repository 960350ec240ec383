//! Loader failure modes: each names the file and the JSON path.

use std::fs;
use std::path::{Path, PathBuf};

use mtproto_vectors::{LoadError, find_files, lint_paths_with, load_paths, parse_str};
use serde_json::{Value, json};

const FILE: &str = "vectors/ige/x_test.json";

fn hex(n: usize) -> String {
    "ab".repeat(n)
}

/// A small valid IgeTest file.
fn base() -> Value {
    json!({
        "algorithm": "AES-256-IGE",
        "schema": "ige_test_schema_v1.json",
        "numberOfTests": 3,
        "header": ["fixture"],
        "notes": {
            "Ktv": {"bugType": "BASIC", "description": "known answer"},
            "NotBlockAligned": {"bugType": "MISSING_STEP", "description": "length"},
            "EmptyInput": {"bugType": "EDGE_CASE", "description": "empty", "links": ["x"]}
        },
        "testGroups": [{
            "type": "IgeTest",
            "source": {"name": "self", "version": "1"},
            "tests": [
                {"tcId": 1, "comment": "ok", "flags": ["Ktv"], "key": hex(32), "iv": hex(32),
                 "msg": hex(16), "ct": hex(16), "result": "valid"},
                {"tcId": 2, "comment": "bad", "flags": ["NotBlockAligned"], "key": hex(16),
                 "iv": hex(32), "msg": "00", "ct": "00", "result": "invalid",
                 "error": "NotBlockAligned"},
                {"tcId": 3, "comment": "empty", "flags": ["EmptyInput"], "key": hex(32),
                 "iv": hex(32), "msg": "", "ct": "", "result": "acceptable"}
            ]
        }]
    })
}

fn load(v: &Value) -> Result<mtproto_vectors::VectorFile, LoadError> {
    parse_str(&serde_json::to_string_pretty(v).unwrap(), FILE)
}

fn err(v: &Value) -> String {
    load(v).unwrap_err().to_string()
}

fn test_mut(v: &mut Value, t: usize) -> &mut serde_json::Map<String, Value> {
    v["testGroups"][0]["tests"][t].as_object_mut().unwrap()
}

#[test]
fn the_fixture_loads() {
    let vf = load(&base()).unwrap();
    assert_eq!(vf.family, "ige");
    assert_eq!(vf.path, FILE);
    assert_eq!(vf.test_groups.len(), 1);
    assert_eq!(vf.bug_types(&["Ktv".into()]), ["BASIC"]);
}

#[test]
fn malformed_json_has_line_and_column() {
    let e = parse_str("{\n  \"algorithm\": \"x\",\n  oops\n}\n", FILE).unwrap_err();
    assert_eq!(e.position, Some((3, 3)), "{e}");
    let s = e.to_string();
    assert!(s.starts_with(&format!("{FILE}: malformed JSON: ")), "{s}");
    assert!(s.ends_with("(line 3, column 3)"), "{s}");
    let e = parse_str("", FILE).unwrap_err().to_string();
    assert!(e.contains("malformed JSON"), "{e}");
    let trailing = format!("{}\n{{}}", serde_json::to_string(&base()).unwrap());
    let e = parse_str(&trailing, FILE).unwrap_err();
    assert!(
        e.message.contains("malformed JSON: trailing characters"),
        "{e}"
    );
    assert_eq!(e.position.map(|p| p.0), Some(2), "{e}");
}

#[test]
fn unknown_fields_are_errors_at_every_level() {
    let mut v = base();
    v["extra"] = json!(1);
    let e = err(&v);
    assert!(e.contains("unknown field `extra`"), "{e}");

    let mut v = base();
    v["testGroups"][0]["direction"] = json!("clientToServer");
    let e = err(&v);
    assert!(e.starts_with(&format!("{FILE}: testGroups[0]")), "{e}");
    assert!(e.contains("unknown field `direction`"), "{e}");

    let mut v = base();
    test_mut(&mut v, 1).insert("foo".into(), json!("00"));
    let e = load(&v).unwrap_err();
    assert!(
        e.path
            .as_deref()
            .unwrap()
            .starts_with("testGroups[0].tests[1]"),
        "{e}"
    );
    assert!(e.message.contains("unknown field `foo`"), "{e}");
    // The position points into the file, not into the group's fragment.
    let (line, _) = e.position.unwrap();
    assert!(line > 20, "{e}");

    let mut v = base();
    v["notes"]["Ktv"]["severity"] = json!("high");
    assert!(err(&v).contains("unknown field `severity`"));

    let mut v = base();
    v["testGroups"][0]["source"]["url"] = json!("x");
    let e = err(&v);
    assert!(
        e.contains("testGroups[0].source") && e.contains("unknown field `url`"),
        "{e}"
    );
}

#[test]
fn missing_and_mistyped_fields() {
    let mut v = base();
    test_mut(&mut v, 0).remove("iv");
    let e = err(&v);
    assert!(
        e.contains("testGroups[0].tests[0]") && e.contains("missing field `iv`"),
        "{e}"
    );

    let mut v = base();
    test_mut(&mut v, 0).insert("tcId".into(), json!("1"));
    assert!(err(&v).contains("testGroups[0].tests[0].tcId"));

    let mut v = base();
    test_mut(&mut v, 0).insert("result".into(), json!("maybe"));
    assert!(err(&v).contains("testGroups[0].tests[0].result"));
}

#[test]
fn wrong_number_of_tests() {
    let mut v = base();
    v["numberOfTests"] = json!(4);
    assert_eq!(
        err(&v),
        format!("{FILE}: numberOfTests: says 4, but the file has 3 tests")
    );
}

#[test]
fn duplicate_tc_id() {
    let mut v = base();
    test_mut(&mut v, 2).insert("tcId".into(), json!(1));
    assert_eq!(
        err(&v),
        format!(
            "{FILE}: testGroups[0].tests[2].tcId: duplicate tcId 1 (first at testGroups[0].tests[0])"
        )
    );
}

#[test]
fn flag_without_note() {
    let mut v = base();
    test_mut(&mut v, 0).insert("flags".into(), json!(["Ktv", "Nope"]));
    assert_eq!(
        err(&v),
        format!("{FILE}: testGroups[0].tests[0].flags[1]: flag \"Nope\" has no entry in notes")
    );
}

#[test]
fn invalid_bug_type() {
    let mut v = base();
    v["notes"]["Ktv"]["bugType"] = json!("SCARY");
    let e = err(&v);
    assert!(
        e.starts_with(&format!(
            "{FILE}: notes.Ktv.bugType: invalid bugType \"SCARY\""
        )),
        "{e}"
    );
}

#[test]
fn bad_hex() {
    for (bad, why) in [
        ("AB", "uppercase hex digit"),
        ("abc", "odd number of digits"),
        ("zz", "not a hex digit"),
    ] {
        let mut v = base();
        test_mut(&mut v, 0).insert("msg".into(), json!(bad));
        let e = load(&v).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("testGroups[0].tests[0].msg"), "{e}");
        assert!(
            e.message.contains("invalid hex") && e.message.contains(why),
            "{e}"
        );
    }
}

#[test]
fn wrong_byte_length() {
    let mut v = base();
    test_mut(&mut v, 0).insert("iv".into(), json!(hex(31)));
    assert_eq!(
        err(&v),
        format!("{FILE}: testGroups[0].tests[0].iv: expected 32 bytes, got 31")
    );
    let mut v = base();
    test_mut(&mut v, 0).insert("key".into(), json!(hex(24)));
    assert_eq!(
        err(&v),
        format!("{FILE}: testGroups[0].tests[0].key: expected 16 or 32 bytes, got 24")
    );
}

#[test]
fn invalid_case_without_error() {
    let mut v = base();
    test_mut(&mut v, 1).remove("error");
    assert_eq!(
        err(&v),
        format!(
            "{FILE}: testGroups[0].tests[1].error: an invalid case must name the error it expects"
        )
    );
    let mut v = base();
    test_mut(&mut v, 1).insert("error".into(), json!("Oops"));
    assert!(err(&v).contains("testGroups[0].tests[1].error: unknown error name \"Oops\""));
    let mut v = base();
    test_mut(&mut v, 0).insert("error".into(), json!("TooShort"));
    assert!(err(&v).contains("testGroups[0].tests[0].error: a valid case cannot expect an error"));
}

#[test]
fn acceptable_case_without_flag() {
    let mut v = base();
    test_mut(&mut v, 2).insert("flags".into(), json!([]));
    assert_eq!(
        err(&v),
        format!(
            "{FILE}: testGroups[0].tests[2].flags: an acceptable case must carry a flag that says why"
        )
    );
}

#[test]
fn unknown_group_type_is_rejected_by_name() {
    let mut v = base();
    v["testGroups"][0]["type"] = json!("NoSuchTest");
    let e = err(&v);
    assert!(
        e.starts_with(&format!(
            "{FILE}: testGroups[0].type: unknown test-group type \"NoSuchTest\""
        )),
        "{e}"
    );
    let mut v = base();
    v["schema"] = json!("no_such_test_schema_v1.json");
    assert!(err(&v).contains("schema: unknown schema \"no_such_test_schema_v1.json\""));
    let mut v = base();
    v["schema"] = json!("msg_key_test_schema_v1.json");
    assert!(err(&v).contains("testGroups[0].type: a IgeTest group in a file whose schema"));
    let mut v = base();
    v["testGroups"][0].as_object_mut().unwrap().remove("type");
    assert!(err(&v).contains("testGroups[0].type: missing field `type`"));
}

#[test]
fn group_type_specific_rules() {
    // A valid decrypt case must give the decrypted fields; an invalid one must not.
    let decrypt = |case: Value| {
        json!({
            "algorithm": "x", "schema": "envelope_decrypt_test_schema_v1.json", "numberOfTests": 1,
            "header": [], "notes": {},
            "testGroups": [{"type": "EnvelopeDecryptTest", "receiver": "client",
                "source": {"name": "self", "version": "1"}, "tests": [case]}]
        })
    };
    let mut case = json!({"tcId": 1, "comment": "", "flags": [], "authKey": hex(256),
        "sessionId": hex(8), "packet": "", "result": "valid"});
    assert!(err(&decrypt(case.clone())).contains("testGroups[0].tests[0].salt: missing"));
    case["result"] = json!("invalid");
    case["error"] = json!("TooShort");
    case["body"] = json!("");
    assert!(err(&decrypt(case)).contains("testGroups[0].tests[0].body: an invalid"));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mtproto-vectors-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn missing_path_is_an_error() {
    let e = load_paths(&[PathBuf::from("vectors/no-such-dir")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("vectors/no-such-dir: cannot read"),
        "{e}"
    );
    let e = load_paths(&[PathBuf::from("no-such-file_test.json")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no-such-file_test.json: cannot read"),
        "{e}"
    );
}

#[test]
fn directories_are_walked_in_sorted_order_for_test_files_only() {
    let dir = scratch("walk");
    let text = serde_json::to_string(&base()).unwrap();
    fs::create_dir_all(dir.join("sub")).unwrap();
    for f in ["b_test.json", "a_test.json", "sub/c_test.json"] {
        fs::write(dir.join(f), &text).unwrap();
    }
    fs::write(dir.join("README.md"), "x").unwrap();
    // JSON schemas live beside the vectors and are not vector files.
    fs::create_dir_all(dir.join("schemas")).unwrap();
    fs::write(dir.join("schemas/x_schema_v1.json"), "{}").unwrap();
    let found = find_files(&[dir.clone(), dir.join("a_test.json")]).unwrap();
    let rel: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(rel, ["a_test.json", "b_test.json", "sub/c_test.json"]);
    assert_eq!(load_paths(std::slice::from_ref(&dir)).unwrap().len(), 3);
    // Any other *.json under a walked directory is an error naming it, never a silent skip.
    fs::write(dir.join("sub/notes.json"), "not json").unwrap();
    let e = find_files(std::slice::from_ref(&dir)).unwrap_err();
    assert!(
        e.file.ends_with("sub/notes.json")
            && e.message
                .starts_with("not a vector file: name must end in _test.json"),
        "{e}"
    );
    fs::rename(dir.join("sub/notes.json"), dir.join("notes.json")).unwrap();
    // A file given by name is loaded whatever it is called, and reported by that name.
    let e = load_paths(&[dir.join("notes.json")]).unwrap_err();
    assert!(
        e.file.ends_with("notes.json") && e.message.contains("malformed JSON"),
        "{e}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/schemas")
}

#[test]
fn lint_applies_the_schema_beyond_the_rust_types() {
    let dir = scratch("lint");
    let file = dir.join("x_test.json");
    fs::write(&file, serde_json::to_string(&base()).unwrap()).unwrap();
    assert_eq!(
        lint_paths_with(std::slice::from_ref(&file), &schemas()).unwrap(),
        1
    );
    // The loader and the schema both want a lowercase source name.
    let mut v = base();
    v["testGroups"][0]["source"]["name"] = json!("OpenSSL");
    fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    let e = load_paths(std::slice::from_ref(&file)).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("testGroups[0].source.name"), "{e}");
    let e = lint_paths_with(std::slice::from_ref(&file), &schemas()).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("testGroups[0].source.name"), "{e}");
    // The Rust types take any flag name that has a note; the schema wants UpperCamelCase.
    let mut v = base();
    v["notes"]["ktv"] = v["notes"]["Ktv"].clone();
    test_mut(&mut v, 0).insert("flags".into(), json!(["ktv"]));
    fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    assert!(load_paths(std::slice::from_ref(&file)).is_ok());
    let e = lint_paths_with(std::slice::from_ref(&file), &schemas()).unwrap_err();
    assert!(e.message.contains("does not match"), "{e}");
    fs::write(&file, serde_json::to_string(&base()).unwrap()).unwrap();
    // Without a schema directory beside the file or above it, lint says so.
    let e = mtproto_vectors::lint_paths(&[file]).unwrap_err();
    assert!(
        e.message.contains("no schemas/ige_test_schema_v1.json"),
        "{e}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_is_as_strict_as_lint() {
    let at = |v: &Value| load(v).unwrap_err().path.unwrap_or_default();
    // Duplicate flags.
    let mut v = base();
    test_mut(&mut v, 0).insert("flags".into(), json!(["Ktv", "Ktv"]));
    assert_eq!(at(&v), "testGroups[0].tests[0].flags[1]");
    assert!(err(&v).contains("duplicate flag"), "{}", err(&v));
    // An empty or malformed source.name.
    for name in ["", "OpenSSL", "1x", "open ssl", "-x"] {
        let mut v = base();
        v["testGroups"][0]["source"]["name"] = json!(name);
        assert_eq!(at(&v), "testGroups[0].source.name", "{name:?}");
    }
    for name in ["self", "openssl-igetest", "grammers", "tdlib1.8"] {
        let mut v = base();
        v["testGroups"][0]["source"]["name"] = json!(name);
        assert!(load(&v).is_ok(), "{name:?}");
    }
    // tcIds start at 1.
    let mut v = base();
    test_mut(&mut v, 0).insert("tcId".into(), json!(0));
    assert_eq!(at(&v), "testGroups[0].tests[0].tcId");
    // An error the group's operation cannot produce, though it is in the vocabulary.
    let mut v = base();
    test_mut(&mut v, 1).insert("error".into(), json!("PaddingTooShort"));
    assert_eq!(at(&v), "testGroups[0].tests[1].error");
    assert!(
        err(&v).contains("cannot come from a IgeTest case"),
        "{}",
        err(&v)
    );
}

#[test]
fn allowed_errors_are_mirrored_in_the_schemas() {
    use mtproto_vectors::core::vocabulary::is_error;
    use mtproto_vectors::registry::{allowed_errors, group_types};
    for t in group_types() {
        let (group_type, schema) = (t.name, t.schema);
        let text = fs::read_to_string(schemas().join(schema)).unwrap();
        let s: Value = serde_json::from_str(&text).unwrap();
        let listed = &s["$defs"]["test"]["properties"]["error"]["enum"];
        match allowed_errors(group_type) {
            Some(allowed) => {
                let listed: Vec<&str> = listed
                    .as_array()
                    .unwrap_or_else(|| panic!("{schema}: no enum on error"))
                    .iter()
                    .map(|e| e.as_str().unwrap())
                    .collect();
                assert_eq!(listed, allowed, "{schema}");
                assert!(allowed.iter().all(|e| is_error(e)), "{group_type}");
            }
            None => assert!(listed.is_null(), "{schema}: enum without allowed_errors"),
        }
    }
}

#[test]
fn the_same_file_reached_twice_is_loaded_once_under_a_normalized_name() {
    let found = find_files(&[
        PathBuf::from("../../vectors/ige"),
        PathBuf::from("./../../vectors/./ige/"),
        PathBuf::from("../../vectors/kdf/../ige/aes256_ige_test.json"),
    ])
    .unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    for p in &found {
        let s = p.to_string_lossy();
        assert!(
            !s.contains("/./") && !s.contains("..") && !s.starts_with("./"),
            "{s}"
        );
    }
    // Under the current directory, names are relative to it.
    let here = std::env::current_dir().unwrap().join("tests/../tests");
    let found = find_files(&[here, PathBuf::from("tests")]);
    // tests/ holds no vector files: nothing, but no error either.
    assert_eq!(found.unwrap(), Vec::<PathBuf>::new());
}

#[test]
fn only_regular_files_of_bounded_size_are_read() {
    let e = load_paths(&[PathBuf::from("/dev/zero")]).unwrap_err();
    assert_eq!(e.file, "/dev/zero");
    assert!(e.message.contains("not a regular file"), "{e}");
    let dir = scratch("bounded");
    let fifo = dir.join("fifo_test.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let e = load_paths(&[fifo]).unwrap_err();
    assert!(e.message.contains("not a regular file"), "{e}");
    let big = dir.join("big_test.json");
    fs::File::create(&big)
        .unwrap()
        .set_len(mtproto_vectors::load::MAX_FILE_SIZE + 1)
        .unwrap();
    let e = load_paths(&[big]).unwrap_err();
    assert!(e.message.starts_with("too large"), "{e}");
    fs::remove_dir_all(&dir).unwrap();
}

/// The error vocabulary the schemas allow (`common.json#/$defs/error`) is exactly the one the
/// loader allows: a name added to one list only would pass lint and fail to load, or the other
/// way round.
#[test]
fn schema_error_vocabulary_equals_the_loaders() {
    use std::collections::BTreeSet;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/schemas/common.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let in_schema: BTreeSet<&str> = schema["$defs"]["error"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("common.json: $defs.error.enum is not an array"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("common.json: {v} is not a string"))
        })
        .collect();
    let in_loader: BTreeSet<&str> = mtproto_vectors::core::vocabulary::errors()
        .into_iter()
        .collect();
    let only_schema: Vec<_> = in_schema.difference(&in_loader).collect();
    let only_loader: Vec<_> = in_loader.difference(&in_schema).collect();
    assert!(
        only_schema.is_empty() && only_loader.is_empty(),
        "only in common.json: {only_schema:?}; only in the loader: {only_loader:?}"
    );
}

/// The committed secret-chat file suite, for the `SecretFileTest` checks below.
fn secret_files() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/secret/secret_file_test.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The first case of `secret_files()` matching `pred`, as (group, test) indices.
fn find_case(v: &Value, pred: impl Fn(&Value) -> bool) -> (usize, usize) {
    for (g, group) in v["testGroups"].as_array().unwrap().iter().enumerate() {
        for (t, case) in group["tests"].as_array().unwrap().iter().enumerate() {
            if pred(case) {
                return (g, t);
            }
        }
    }
    panic!("no such case");
}

fn load_secret(v: &Value) -> Result<mtproto_vectors::VectorFile, LoadError> {
    parse_str(
        &serde_json::to_string_pretty(v).unwrap(),
        "vectors/secret/secret_file_test.json",
    )
}

#[test]
fn secret_file_key_lengths_other_than_32_only_in_file_key_invalid_cases() {
    let v = secret_files();
    load_secret(&v).unwrap();

    // A FileKeyInvalid case whose key and iv are both 32 bytes tests nothing.
    let mut w = v.clone();
    let (g, t) = find_case(&w, |c| c["error"] == "FileKeyInvalid");
    w["testGroups"][g]["tests"][t]["key"] = json!(hex(32));
    w["testGroups"][g]["tests"][t]["iv"] = json!(hex(32));
    let e = load_secret(&w).unwrap_err().to_string();
    assert!(
        e.contains(&format!("testGroups[{g}].tests[{t}]")) && e.contains("not 32 bytes"),
        "{e}"
    );

    // Any other case must carry 32-byte ones.
    let mut w = v.clone();
    let (g, t) = find_case(&w, |c| c["error"] == "FileFingerprintMismatch");
    w["testGroups"][g]["tests"][t]["key"] = json!(hex(31));
    let e = load_secret(&w).unwrap_err().to_string();
    assert!(
        e.contains(&format!("testGroups[{g}].tests[{t}]")) && e.contains("key"),
        "{e}"
    );

    // And no more than 64 bytes even where another length is the point.
    let mut w = v.clone();
    let (g, t) = find_case(&w, |c| c["error"] == "FileKeyInvalid");
    w["testGroups"][g]["tests"][t]["iv"] = json!(hex(65));
    let e = load_secret(&w).unwrap_err().to_string();
    assert!(e.contains(&format!("testGroups[{g}].tests[{t}].iv")), "{e}");
}

#[test]
fn a_valid_secret_file_case_declares_the_size_of_its_file() {
    let mut v = secret_files();
    let (g, t) = find_case(&v, |c| {
        c["result"] == "valid" && c["size"].as_i64() > Some(0)
    });
    let size = v["testGroups"][g]["tests"][t]["size"].as_i64().unwrap();
    v["testGroups"][g]["tests"][t]["size"] = json!(size - 1);
    let e = load_secret(&v).unwrap_err().to_string();
    assert!(
        e.contains(&format!("testGroups[{g}].tests[{t}].size")),
        "{e}"
    );
}

fn call_replays() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/call/call_replay_test.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn load_call(v: &Value) -> Result<mtproto_vectors::VectorFile, LoadError> {
    parse_str(
        &serde_json::to_string_pretty(v).unwrap(),
        "vectors/call/call_replay_test.json",
    )
}

/// The first case with a step after an abort, as (group, test, index of the abort step).
fn aborted_trace(v: &Value) -> (usize, usize, usize) {
    let (g, t) = find_case(v, |c| {
        let steps = c["steps"].as_array().unwrap();
        steps
            .iter()
            .position(|s| s["expect"]["verdict"] == "abort")
            .is_some_and(|i| i + 1 < steps.len())
    });
    let steps = v["testGroups"][g]["tests"][t]["steps"].as_array().unwrap();
    let i = steps
        .iter()
        .position(|s| s["expect"]["verdict"] == "abort")
        .unwrap();
    (g, t, i)
}

#[test]
fn call_replay_steps_name_known_errors_and_stay_aborted() {
    let v = call_replays();
    load_call(&v).unwrap();

    // A step's error outside the family's vocabulary.
    let mut w = v.clone();
    let (g, t, i) = aborted_trace(&w);
    w["testGroups"][g]["tests"][t]["steps"][i]["expect"]["error"] = json!("SeqTooNew");
    let e = load_call(&w).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "testGroups[{g}].tests[{t}].steps[{i}].expect.error"
        )),
        "{e}"
    );

    // A step after the abort that is answered as if the call went on.
    let mut w = v.clone();
    w["testGroups"][g]["tests"][t]["steps"][i + 1]["expect"] =
        json!({"verdict": "discard", "error": "SeqRepeated"});
    let e = load_call(&w).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "testGroups[{g}].tests[{t}].steps[{}].expect",
            i + 1
        )),
        "{e}"
    );

    // CallAborted before anything aborted.
    let mut w = v.clone();
    w["testGroups"][g]["tests"][t]["steps"][i]["expect"]["error"] = json!("CallAborted");
    let e = load_call(&w).unwrap_err().to_string();
    assert!(
        e.contains(&format!("testGroups[{g}].tests[{t}].steps[{i}].expect")),
        "{e}"
    );
}
