//! The `mtproto-harness` binary, driven as a user and a CI job drive it: exit codes, messages,
//! the four reports and the baseline gate. Fixtures are under `tests/fixtures/`; each test copies
//! what it needs into a temporary directory and runs there, so report paths read `vectors/...`.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed setup should stop the test"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mtproto-harness");
const SMALL: &str = "vectors/ige/small_ige_test.json";
/// The case whose `ct` is wrong in the `wrong_ct` fixture.
const WRONG: u64 = 3;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A temporary directory holding `fixtures/<name>/ige/small_ige_test.json` as `vectors/ige/...`.
fn sandbox(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(SMALL);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(
        fixtures().join(fixture).join("ige/small_ige_test.json"),
        &to,
    )
    .unwrap();
    dir
}

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The run data embedded in `index.html`.
fn html_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"data\">";
    let start = html.find(open).unwrap() + open.len();
    let len = html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..start + len]).unwrap()
}

/// Checks that `junit.xml` parses and its counts equal `results.json`'s; returns the document.
fn check_junit(out: &Path) -> String {
    let results = read_json(&out.join("results.json"));
    let xml = fs::read_to_string(out.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr =
        |n: roxmltree::Node<'_, '_>, a: &str| -> u64 { n.attribute(a).unwrap().parse().unwrap() };
    let counts = &results["counts"];
    assert_eq!(attr(root, "tests"), counts["total"].as_u64().unwrap());
    assert_eq!(attr(root, "failures"), counts["fail"].as_u64().unwrap());
    assert_eq!(attr(root, "errors"), counts["error"].as_u64().unwrap());
    assert_eq!(
        attr(root, "skipped"),
        counts["unsupported"].as_u64().unwrap()
    );
    let cases = results["results"].as_array().unwrap();
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let files: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["file"].as_str().unwrap()).collect();
    assert_eq!(suites.len(), files.len(), "a testsuite per file");
    let mut total = 0;
    let mut failures = 0;
    for suite in &suites {
        let name = suite.attribute("name").unwrap();
        let testcases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let in_file: Vec<_> = cases.iter().filter(|c| c["file"] == name).collect();
        assert_eq!(attr(*suite, "tests") as usize, testcases.len());
        assert_eq!(testcases.len(), in_file.len());
        let failed = testcases
            .iter()
            .filter(|t| t.children().any(|c| c.has_tag_name("failure")))
            .count();
        assert_eq!(attr(*suite, "failures") as usize, failed);
        for (t, c) in testcases.iter().zip(&in_file) {
            let want = format!("tcId {}: ", c["tcId"]);
            assert!(t.attribute("name").unwrap().starts_with(&want));
        }
        total += testcases.len();
        failures += failed;
    }
    assert_eq!(total as u64, counts["total"].as_u64().unwrap());
    assert_eq!(failures as u64, counts["fail"].as_u64().unwrap());
    xml
}

/// Checks that `index.html` loads nothing from anywhere.
fn check_self_contained(out: &Path) -> String {
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let lower = html.to_ascii_lowercase();
    for banned in [
        "://", "src=", "href=", "@import", "url(", "<link", "<iframe", "<img",
    ] {
        assert!(!lower.contains(banned), "index.html contains {banned:?}");
    }
    assert!(
        html.contains("default-src 'none'"),
        "a CSP that forbids fetches"
    );
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "only the page's own scripts close"
    );
    html
}

#[test]
fn shipped_suites_pass_and_lint_clean() {
    let root = workspace();
    let out = tempfile::tempdir().unwrap();
    let run = harness(&root, &["run", "--out", out.path().to_str().unwrap()]);
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    let results = read_json(&out.path().join("results.json"));
    let total = results["counts"]["total"].as_u64().unwrap();
    assert!(total > 0);
    assert_eq!(results["counts"]["pass"].as_u64().unwrap(), total);
    assert!(stdout(&run).ends_with(&format!(
        "{total} passed, 0 failed, 0 unsupported, 0 errors\n"
    )));
    assert!(
        stderr(&run).is_empty(),
        "no progress bar in CI: {}",
        stderr(&run)
    );
    check_junit(out.path());
    check_self_contained(out.path());
    let lint = harness(&root, &["lint", "vectors/"]);
    assert_eq!(code(&lint), 0, "{}", stderr(&lint));
}

#[test]
fn one_wrong_ct_fails_in_all_four_reports() {
    let dir = sandbox("wrong_ct");
    let run = harness(dir.path(), &["run", "--out", "out"]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let so = stdout(&run);
    assert!(so.contains(&format!("FAIL {SMALL} tcId {WRONG}: ")), "{so}");
    assert!(
        so.ends_with("7 passed, 1 failed, 0 unsupported, 0 errors\n"),
        "{so}"
    );
    let out = dir.path().join("out");

    let results = read_json(&out.join("results.json"));
    let failed: Vec<_> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["tcId"], WRONG);
    assert_eq!(failed[0]["file"], SMALL);
    assert!(
        failed[0]["detail"]
            .as_str()
            .unwrap()
            .contains("ct: expected")
    );

    let xml = check_junit(&out);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testcase")
                && n.attribute("name")
                    .unwrap()
                    .starts_with(&format!("tcId {WRONG}: "))
        })
        .unwrap();
    // The untrusted comment survives escaping intact.
    assert!(
        case.attribute("name")
            .unwrap()
            .contains("</script><script>alert(1)</script> & <b>\"quoted\"</b>")
    );
    let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
    let text = failure.text().unwrap();
    assert!(
        text.contains("expected: valid") && text.contains("got: accepted"),
        "{text}"
    );
    assert!(text.contains("ct: expected"), "{text}");
    assert!(text.contains(&format!(
        "repro: mtproto-harness run {SMALL} --filter tcId={WRONG}"
    )));
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("expected valid")
    );

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.starts_with("## ❌ mtproto-harness: 7 passed, 1 failed"),
        "{md}"
    );
    assert!(md.contains(&format!("small\\_ige\\_test#{WRONG}")), "{md}");
    assert!(md.contains("| ige | 8 | 7 | 1 | 0 | 0 |"), "{md}");
    assert!(!md.contains("<script>"), "comments are escaped in Markdown");

    let html = check_self_contained(&out);
    let data = html_data(&html);
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    let bad = cases.iter().find(|c| c[1] == WRONG).unwrap();
    assert_eq!(bad[7], 1, "outcome fail");
    assert!(bad[10].is_object(), "a failure carries its vector");
    assert!(
        bad[3].as_str().unwrap().contains("</script>"),
        "the comment round-trips as data"
    );
    assert_eq!(
        data["files"][0]["repro"],
        format!("mtproto-harness run {SMALL}")
    );
}

#[test]
fn invalid_vector_files_exit_2_naming_file_and_path() {
    let cases = [
        ("malformed", "malformed JSON"),
        ("unknown_field", "testGroups[1].tests[1].colour"),
        ("duplicate_tcid", "testGroups[1].tests[2].tcId"),
    ];
    for (fixture, path) in cases {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join(SMALL);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(
            fixtures()
                .join("bad")
                .join(fixture)
                .join("ige/small_ige_test.json"),
            &to,
        )
        .unwrap();
        for cmd in [&["run", "--out", "out"][..], &["lint"][..]] {
            let out = harness(dir.path(), cmd);
            let err = stderr(&out);
            assert_eq!(code(&out), 2, "{fixture} {cmd:?}: {err}");
            assert!(err.contains(SMALL), "{fixture} {cmd:?}: {err}");
            assert!(err.contains(path), "{fixture} {cmd:?}: {err}");
        }
        assert!(
            !dir.path().join("out").exists(),
            "no reports from a run that could not start"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &["run", "vectors/nowhere_test.json"][..],
        &["lint", "vectors/nowhere_test.json"][..],
    ] {
        let out = harness(dir.path(), cmd);
        assert_eq!(code(&out), 2);
        assert!(
            stderr(&out).contains("vectors/nowhere_test.json"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn lint_accepts_a_good_file() {
    let dir = sandbox("good");
    let schemas = workspace().join("vectors/schemas");
    let to = dir.path().join("vectors/schemas");
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(schemas).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let out = harness(dir.path(), &["lint"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let run = harness(dir.path(), &["run", "--out", "out", "--quiet"]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(
        stdout(&run),
        "8 passed, 0 failed, 0 unsupported, 0 errors\n"
    );
}

fn write_baseline(dir: &Path, entries: &[(u64, &str)]) -> String {
    let list: Vec<Value> = entries
        .iter()
        .map(|(id, file)| serde_json::json!({"file": file, "tcId": id, "outcome": "fail", "reason": "known"}))
        .collect();
    fs::write(
        dir.join("baseline.json"),
        serde_json::to_string_pretty(&list).unwrap(),
    )
    .unwrap();
    "baseline.json".into()
}

#[test]
fn baseline_gate() {
    let dir = sandbox("wrong_ct");
    let gate = |entries: &[(u64, &str)]| {
        let b = write_baseline(dir.path(), entries);
        harness(dir.path(), &["run", "--out", "out", "--baseline", &b])
    };

    // Failures exactly as baselined: exit 0.
    let ok = gate(&[(WRONG, SMALL)]);
    assert_eq!(code(&ok), 0, "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("gate passed: 1 cases ended as baselined"),
        "{}",
        stdout(&ok)
    );
    let results = read_json(&dir.path().join("out/results.json"));
    assert_eq!(results["gate"]["matched"], 1);
    // `./` in the baseline names the same file.
    let ok = gate(&[(WRONG, "./vectors/ige/small_ige_test.json")]);
    assert_eq!(code(&ok), 0, "{}", stdout(&ok));

    // A new failure.
    let new = gate(&[]);
    assert_eq!(code(&new), 1);
    assert!(
        stdout(&new).contains(&format!("gate: new failure: {SMALL} tcId {WRONG}: fail: ")),
        "{}",
        stdout(&new)
    );

    // An unexpected pass.
    let pass = gate(&[(WRONG, SMALL), (4, SMALL)]);
    assert_eq!(code(&pass), 1);
    assert!(
        stdout(&pass).contains(&format!("gate: unexpected pass: {SMALL} tcId 4 passes")),
        "{}",
        stdout(&pass)
    );
    assert!(!stdout(&pass).contains("gate: new failure"));

    // Entries naming no case: a tcId the file lacks, a file that does not exist.
    let stale = gate(&[
        (WRONG, SMALL),
        (999, SMALL),
        (1, "vectors/ige/gone_test.json"),
    ]);
    assert_eq!(code(&stale), 1);
    let so = stdout(&stale);
    assert!(
        so.contains(&format!(
            "gate: stale baseline entry: {SMALL} tcId 999: the file has no case with this tcId"
        )),
        "{so}"
    );
    assert!(
        so.contains(
            "gate: stale baseline entry: vectors/ige/gone_test.json tcId 1: no such vector file"
        ),
        "{so}"
    );
    assert!(
        so.contains("0 new failures, 0 now unsupported, 0 changed outcomes, 0 unexpected passes, 2 stale baseline entries"),
        "{so}"
    );
    let md = fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.contains("**stale entry**"), "{md}");

    // A run given `./vectors` reports (and judges) the same file names.
    let b = write_baseline(dir.path(), &[(WRONG, SMALL)]);
    let dotted = harness(
        dir.path(),
        &["run", "./vectors", "--out", "out", "--baseline", &b],
    );
    assert_eq!(code(&dotted), 0, "{}", stdout(&dotted));
    let results = read_json(&dir.path().join("out/results.json"));
    assert_eq!(results["results"][0]["file"], SMALL);

    // A baselined case outside the filter is neither stale nor unexpected.
    let b = write_baseline(dir.path(), &[(WRONG, SMALL)]);
    let filtered = harness(
        dir.path(),
        &[
            "run",
            "--out",
            "out",
            "--baseline",
            &b,
            "--filter",
            "tcId=1..2",
        ],
    );
    assert_eq!(code(&filtered), 0, "{}", stdout(&filtered));

    // Bad baselines cannot run: exit 2.
    for (text, why) in [
        ("[{\"file\": \"x\", \"tcId\": 1}]", "reason"),
        (
            "[{\"file\": \"x\", \"tcId\": 1, \"outcome\": \"fail\", \"reason\": \"\"}]",
            "reason is required",
        ),
        ("{", "bad baseline"),
        (
            "[{\"file\": \"x\", \"tcId\": 1, \"outcome\": \"fail\", \"reason\": \"r\", \"extra\": 1}]",
            "extra",
        ),
    ] {
        fs::write(dir.path().join("bad.json"), text).unwrap();
        let out = harness(
            dir.path(),
            &["run", "--out", "out", "--baseline", "bad.json"],
        );
        assert_eq!(code(&out), 2, "{text}");
        assert!(
            stderr(&out).contains("bad.json") && stderr(&out).contains(why),
            "{}",
            stderr(&out)
        );
    }
    let out = harness(dir.path(), &["run", "--baseline", "missing.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.json"));
}

#[test]
fn baseline_command_writes_a_baseline_the_gate_accepts() {
    let dir = sandbox("wrong_ct");
    let out = harness(dir.path(), &["baseline", "--out", "ci/baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = read_json(&dir.path().join("ci/baseline.json"));
    let entries = written.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["file"], SMALL);
    assert_eq!(entries[0]["tcId"], WRONG);
    assert!(entries[0]["reason"].as_str().unwrap().starts_with("fail: "));
    let run = harness(
        dir.path(),
        &["run", "--out", "out", "--baseline", "ci/baseline.json"],
    );
    assert_eq!(code(&run), 0, "{}", stdout(&run));
    // `baseline` needs --out.
    assert_eq!(code(&harness(dir.path(), &["baseline"])), 2);
}

#[test]
fn filters_select_cases_and_bad_ones_exit_2() {
    let dir = sandbox("wrong_ct");
    let count = |filters: &[&str]| -> (i32, u64) {
        let mut args = vec!["run", "--out", "out"];
        for f in filters {
            args.push("--filter");
            args.push(f);
        }
        let out = harness(dir.path(), &args);
        let total = if code(&out) == 2 {
            0
        } else {
            read_json(&dir.path().join("out/results.json"))["counts"]["total"]
                .as_u64()
                .unwrap()
        };
        (code(&out), total)
    };
    assert_eq!(count(&["tcId=3"]), (1, 1));
    assert_eq!(count(&["tcId!=3"]), (0, 7));
    assert_eq!(count(&["tcId=1..4,133"]), (1, 5));
    assert_eq!(count(&["file=ige/*", "flag=NotBlockAligned"]), (0, 2));
    assert_eq!(count(&["family=ige", "bugType=MISSING_STEP"]), (0, 2));
    assert_eq!(count(&["type=IgeTest", "tcId=..2"]), (0, 2));
    assert!(count(&["flag=Ktv,SingleBlock"]).1 >= 2);

    let results = read_json(&dir.path().join("out/results.json"));
    assert_eq!(results["options"]["filters"][0], "flag=Ktv,SingleBlock");

    for bad in ["colour=red", "tcId=x", "tcId=9..3", "family", "flag="] {
        let out = harness(dir.path(), &["run", "--filter", bad]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(
            stderr(&out).contains("bad --filter"),
            "{bad}: {}",
            stderr(&out)
        );
    }
    let none = harness(dir.path(), &["run", "--filter", "family=kdf"]);
    assert_eq!(code(&none), 2);
    assert!(stderr(&none).contains("matched none"), "{}", stderr(&none));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["run", "--no-such-flag"][..],
        &["run", "--acceptable", "maybe"][..],
        &["vectors"][..],
    ] {
        let out = harness(dir.path(), args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(!stderr(&out).is_empty());
    }
    let help = harness(dir.path(), &["run", "--help"]);
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("--baseline"));
    assert_eq!(code(&harness(dir.path(), &["--version"])), 0);
}

#[test]
fn generated_suites_run_clean() {
    let dir = tempfile::tempdir().unwrap();
    let gen_out = harness(dir.path(), &["vectors", "generate", "--out", "gen"]);
    assert_eq!(code(&gen_out), 0, "{}", stderr(&gen_out));
    assert!(stdout(&gen_out).contains("wrote "));
    let run = harness(dir.path(), &["run", "gen", "--out", "out", "--quiet"]);
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    check_junit(&dir.path().join("out"));
}

// ---- Implementations under test: the adapter protocol (`adapters/README.md`) ----

/// `--iut` for the binary's own `adapter` subcommand with extra arguments.
fn own_adapter(extra: &str) -> String {
    format!("'{BIN}' adapter {extra}")
}

fn results_of(out: &Path) -> Vec<Value> {
    let doc = read_json(&out.join("results.json"));
    doc.get("results")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| doc.as_array().cloned())
        .unwrap()
}

#[test]
fn reference_adapter_passes_every_shipped_vector_through_the_pipe() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = harness(
        &workspace(),
        &["run", "--quiet", "--iut", &own_adapter(""), "--out", o],
    );
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    let results = results_of(out.path());
    assert!(results.len() > 100);
    for r in &results {
        assert_eq!(r["outcome"], "pass", "{r}");
    }
    assert!(stdout(&run).contains(" passed, 0 failed, 0 unsupported, 0 errors"));
}

#[test]
fn misbehaving_adapter_gives_error_cases_and_the_run_finishes() {
    // Request ids count from 1 across restarts; IGE case k (0-based) sends ids 2k+1 and 2k+2.
    let chaos = [
        (3, "hang"),
        (5, "crash"),
        (7, "wrong-id"),
        (9, "garbage"),
        (11, "non-object"),
        (13, "no-ok"),
        (15, "huge"),
        (17, "internal"),
    ];
    let spec: Vec<String> = chaos.iter().map(|(id, m)| format!("{id}={m}")).collect();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let started = std::time::Instant::now();
    let run = harness(
        &workspace(),
        &[
            "run",
            "vectors/ige/aes256_ige_test.json",
            "--filter",
            "tcId=1..12",
            "--iut",
            &own_adapter(&format!("--chaos {}", spec.join(","))),
            "--timeout-ms",
            "700",
            "--out",
            o,
        ],
    );
    assert_eq!(code(&run), 1, "{}{}", stdout(&run), stderr(&run));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(stdout(&run).contains("4 passed, 0 failed, 0 unsupported, 8 errors"));
    let results = results_of(out.path());
    assert_eq!(results.len(), 12);
    let wants = [
        "hang",
        "crash",
        "wrong id",
        "malformed JSON",
        "not a JSON object",
        "neither `ok` nor `unsupported`",
        "longer than",
        "chaos: library exception",
    ];
    for (k, r) in results.iter().enumerate() {
        let hit = chaos.iter().position(|(id, _)| *id == 2 * k + 1);
        match hit {
            Some(i) => {
                assert_eq!(r["outcome"], "error", "{r}");
                let detail = r["detail"].as_str().unwrap();
                assert!(detail.contains(wants[i]), "{detail} lacks {}", wants[i]);
            }
            None => assert_eq!(r["outcome"], "pass", "{r}"),
        }
    }
    // The crash's stderr line is in the detail.
    assert!(
        results[2]["detail"]
            .as_str()
            .unwrap()
            .contains("chaos: crashing on request 5")
    );
}

#[test]
fn ops_missing_from_hello_are_unsupported() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = harness(
        &workspace(),
        &[
            "run",
            "vectors/ige",
            "vectors/kdf",
            "--iut",
            &own_adapter("--only-ops ige.encrypt,ige.decrypt"),
            "--out",
            o,
        ],
    );
    let results = results_of(out.path());
    for r in &results {
        let family = r["family"].as_str().unwrap();
        let want = if family == "ige" {
            "pass"
        } else {
            "unsupported"
        };
        assert_eq!(r["outcome"], want, "{r}");
    }
    assert!(code(&run) <= 1, "{}", stderr(&run));
    let report = read_json(&out.path().join("results.json"));
    assert!(report.to_string().contains("mtproto-reference"));
}

#[test]
fn an_adapter_that_does_not_start_exits_2() {
    let dir = sandbox("good");
    for (iut, want) in [
        ("/nonexistent/adapter --flag", "cannot start"),
        ("'unterminated", "unterminated"),
        (&*own_adapter("--mutant no-such-mutant"), "did not start"),
        ("true", "did not start"),
    ] {
        let run = harness(dir.path(), &["run", "--iut", iut, "--timeout-ms", "5000"]);
        assert_eq!(code(&run), 2, "{iut}: {}", stderr(&run));
        assert!(stderr(&run).contains(want), "{iut}: {}", stderr(&run));
    }
}

#[test]
fn paths_are_deduplicated_normalized_and_must_be_vector_files() {
    let dir = sandbox("good");
    let run = |args: &[&str]| harness(dir.path(), args);
    let total = |o: &Output| {
        assert_eq!(code(o), 0, "{}{}", stdout(o), stderr(o));
        let results = read_json(&dir.path().join("out/results.json"));
        for r in results["results"].as_array().unwrap() {
            assert_eq!(r["file"], SMALL);
        }
        results["counts"]["total"].as_u64().unwrap()
    };
    let single = total(&run(&["run", "vectors", "--out", "out"]));
    // One file reached three ways runs once, under one normalized name.
    let twice = run(&[
        "run",
        "vectors",
        "./vectors",
        "vectors/../vectors/ige/./small_ige_test.json",
        "--out",
        "out",
    ]);
    assert_eq!(total(&twice), single);
    // `--filter file=` values are normalized the same way.
    let filtered = run(&["run", "--out", "out", "--filter", "file=./vectors/ige/*"]);
    assert_eq!(total(&filtered), single);

    // Any other *.json under a walked directory is an error naming it; schemas/ is exempt.
    fs::create_dir_all(dir.path().join("vectors/schemas")).unwrap();
    fs::write(
        dir.path().join("vectors/schemas/ige_test_schema_v1.json"),
        "{}",
    )
    .unwrap();
    assert_eq!(total(&run(&["run", "--out", "out"])), single);
    fs::write(dir.path().join("vectors/ige/notes.json"), "{}").unwrap();
    let stray = run(&["run", "--out", "out"]);
    assert_eq!(code(&stray), 2);
    assert!(
        stderr(&stray)
            .contains("vectors/ige/notes.json: not a vector file: name must end in _test.json"),
        "{}",
        stderr(&stray)
    );
    fs::remove_file(dir.path().join("vectors/ige/notes.json")).unwrap();

    // Not a regular file, or too large: exit 2 with a clear message, never a hang.
    let dev = run(&["run", "/dev/zero", "--out", "out"]);
    assert_eq!(code(&dev), 2);
    assert!(
        stderr(&dev).contains("not a regular file"),
        "{}",
        stderr(&dev)
    );
    let fifo = dir.path().join("fifo_test.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let f = run(&["run", "fifo_test.json", "--out", "out"]);
    assert_eq!(code(&f), 2);
    assert!(
        stderr(&f).contains("fifo_test.json: not a regular file"),
        "{}",
        stderr(&f)
    );
    let big = fs::File::create(dir.path().join("big_test.json")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    let b = run(&["run", "big_test.json", "--out", "out"]);
    assert_eq!(code(&b), 2);
    assert!(
        stderr(&b).contains("big_test.json: too large"),
        "{}",
        stderr(&b)
    );
}

#[test]
fn baseline_entries_for_files_outside_the_run_are_checked() {
    let dir = sandbox("good");
    fs::create_dir_all(dir.path().join("other")).unwrap();
    fs::copy(
        dir.path().join(SMALL),
        dir.path().join("other/more_test.json"),
    )
    .unwrap();
    fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
    let gate = |entries: &[(u64, &str)]| {
        let b = write_baseline(dir.path(), entries);
        harness(
            dir.path(),
            &["run", "vectors", "--out", "out", "--baseline", &b],
        )
    };
    // A case that exists in a file the run did not load: out of scope.
    let ok = gate(&[(1, "other/more_test.json")]);
    assert_eq!(code(&ok), 0, "{}", stdout(&ok));
    // A file that is not a vector file, or a tcId it lacks: stale.
    let stale = gate(&[(1, "Cargo.toml"), (99_999, "other/more_test.json")]);
    assert_eq!(code(&stale), 1, "{}", stdout(&stale));
    let so = stdout(&stale);
    assert!(
        so.contains("gate: stale baseline entry: Cargo.toml tcId 1: not a valid vector file"),
        "{so}"
    );
    assert!(
        so.contains(
            "gate: stale baseline entry: other/more_test.json tcId 99999: the file has no case"
        ),
        "{so}"
    );
    let results = read_json(&dir.path().join("out/results.json"));
    assert_eq!(
        results["gate"]["breaches"][0]["tcId"], 1,
        "{}",
        results["gate"]
    );
}

/// `self-test` on a test build (whose binary carries the mutants: see Cargo.toml).
fn self_test(dir: &Path, extra: &[&str]) -> (Output, Value) {
    let ws = workspace();
    let out = dir.join("self-test");
    let mut args = vec!["self-test", "--timeout-ms", "20000", "--out"];
    let out_s = out.to_string_lossy().into_owned();
    args.push(&out_s);
    args.extend_from_slice(extra);
    let run = Command::new(BIN)
        .args(&args)
        .current_dir(&ws)
        .output()
        .unwrap();
    let json = fs::read_to_string(out.join("self-test.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    (run, json)
}

#[test]
fn self_test_kills_the_session_dh_handshake_and_key_mutants_with_their_own_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let mutants = [
        "accept-even-server-msg-id",
        "newest-only-window",
        "skip-dh-margin",
        "skip-new-nonce-hash1",
        "drop-leading-zero",
    ];
    let mut args: Vec<&str> = Vec::new();
    for m in &mutants {
        args.extend(["--mutant", m]);
    }
    args.extend([
        "vectors/session",
        "vectors/dh/dh_value_test.json",
        "vectors/handshake",
        "vectors/envelope/envelope_decrypt_test.json",
    ]);
    let (run, json) = self_test(dir.path(), &args);
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
    assert!(
        stdout(&run).contains("5 mutants, 5 killed, 0 survived, 0 killed but not by their own"),
        "{}",
        stdout(&run)
    );
    let kills = json.as_array().unwrap();
    assert_eq!(kills.len(), mutants.len());
    for k in kills {
        assert_eq!(k["killed"], true, "{k}");
        assert_eq!(k["missed"], Value::Array(Vec::new()), "{k}");
    }
}

#[test]
fn a_surviving_mutant_fails_the_self_test() {
    let dir = tempfile::tempdir().unwrap();
    // The IGE vectors cannot see a session_id check.
    let (run, json) = self_test(dir.path(), &["--mutant", "skip-session-id", "vectors/ige"]);
    assert_eq!(code(&run), 1, "{}{}", stdout(&run), stderr(&run));
    assert!(
        stdout(&run).contains("SURVIVED skip-session-id"),
        "{}",
        stdout(&run)
    );
    assert_eq!(json[0]["killed"], false);
    // An unknown mutant is refused before anything runs.
    let (run, _) = self_test(dir.path(), &["--mutant", "no-such-mutant", "vectors/ige"]);
    assert_eq!(code(&run), 2, "{}{}", stdout(&run), stderr(&run));
}

#[test]
fn a_crash_or_hang_inside_a_session_trace_errors_that_trace_only() {
    // A trace opens a session (request 1 for the first), feeds its steps (request 2 is the first
    // feed), closes. A crash there, or a hang past the timeout, loses the session with the
    // adapter: that trace is an error, and the other traces run on the restarted adapter and pass.
    for (chaos, bad) in [("2=crash", 1u64), ("2=hang", 1)] {
        let out = tempfile::tempdir().unwrap();
        let run = harness(
            &workspace(),
            &[
                "run",
                "vectors/session/msg_id_trace_client_test.json",
                "--filter",
                "tcId=1..4",
                "--iut",
                &own_adapter(&format!("--chaos {chaos}")),
                "--timeout-ms",
                "700",
                "--out",
                out.path().to_str().unwrap(),
            ],
        );
        assert_eq!(code(&run), 1, "{chaos}: {}{}", stdout(&run), stderr(&run));
        assert!(
            stdout(&run).contains("3 passed, 0 failed, 0 unsupported, 1 errors"),
            "{chaos}: {}",
            stdout(&run)
        );
        for r in results_of(out.path()) {
            let want = if r["tcId"] == bad { "error" } else { "pass" };
            assert_eq!(r["outcome"], want, "{chaos}: {r}");
        }
    }
}

// fuzz-corpus / fuzz-to-vector --------------------------------------------------------------------

/// Every target gets inputs from the shipped vectors (or its built-in ones), each replays through
/// its entry point without a finding, and a second run adds nothing.
#[test]
fn fuzz_corpus_writes_inputs_for_every_target_that_replay_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let vectors = workspace().join("vectors");
    let run = harness(
        dir.path(),
        &[
            "fuzz-corpus",
            vectors.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--max-per-target",
            "12",
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    for (name, entry) in mtproto_fuzzing::TARGETS {
        let files: Vec<_> = fs::read_dir(out.join(name))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!files.is_empty(), "no corpus for {name}");
        let examples = mtproto_fuzzing::layout::examples()
            .iter()
            .filter(|(t, _)| t == name)
            .count();
        // The first case of every verdict/error class is kept beyond --max-per-target (the
        // shipped vectors have fewer than 48 classes per target).
        assert!(
            files.len() <= 12 + 48 + examples,
            "{name}: more than --max-per-target, every class and the built-in examples"
        );
        for f in files {
            entry(&fs::read(&f).unwrap());
        }
    }
    assert!(
        stdout(&run).contains("transport_padded: "),
        "{}",
        stdout(&run)
    );
    let again = harness(
        dir.path(),
        &[
            "fuzz-corpus",
            vectors.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--max-per-target",
            "12",
        ],
    );
    assert_eq!(code(&again), 0);
    assert!(
        stdout(&again)
            .lines()
            .filter(|l| l.contains("(0 new)"))
            .count()
            >= mtproto_fuzzing::TARGETS.len()
    );
}

/// One writer for the committed seeds: `fuzz/seeds/<target>/` holds exactly what
/// `fuzz-corpus --max-per-target 24` writes from the shipped vectors (files named by the hash of
/// their bytes), plus hand-named inputs (a crash input kept as a seed, such as
/// `handshake_server/retries-exhausted`). Regenerate with
/// `rm fuzz/seeds/*/???????????????? && mtproto-harness fuzz-corpus --max-per-target 24 --out fuzz/seeds`.
#[test]
fn committed_seeds_are_what_fuzz_corpus_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seeds");
    let vectors = workspace().join("vectors");
    let run = harness(
        dir.path(),
        &[
            "fuzz-corpus",
            vectors.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--max-per-target",
            "24",
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let hashed = |name: &str| name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit());
    let files = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(d)
            .map(|rd| {
                rd.map(|e| e.unwrap().path())
                    .filter(|p| hashed(&p.file_name().unwrap().to_string_lossy()))
                    .map(|p| {
                        (
                            p.file_name().unwrap().to_string_lossy().into_owned(),
                            fs::read(&p).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (name, _) in mtproto_fuzzing::TARGETS {
        let want = files(&out.join(name));
        let have = files(&workspace().join("fuzz/seeds").join(name));
        assert!(!want.is_empty(), "fuzz-corpus wrote nothing for {name}");
        let missing: Vec<_> = want.keys().filter(|k| !have.contains_key(*k)).collect();
        let stale: Vec<_> = have.keys().filter(|k| !want.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "fuzz/seeds/{name} differs from fuzz-corpus: missing {missing:?}, not written by it \
             {stale:?}"
        );
        assert_eq!(want, have, "fuzz/seeds/{name}: same names, other bytes");
    }
}

/// A bad vector directory is exit 2 with the file named.
#[test]
fn fuzz_corpus_refuses_invalid_vectors() {
    let dir = sandbox("bad/unknown_field");
    let run = harness(dir.path(), &["fuzz-corpus", "vectors", "--out", "corpus"]);
    assert_eq!(code(&run), 2, "{}", stdout(&run));
    assert!(stderr(&run).contains(SMALL), "{}", stderr(&run));
    assert!(stderr(&run).contains("colour"), "{}", stderr(&run));
}

fn schemas() -> String {
    workspace()
        .join("vectors/schemas")
        .to_string_lossy()
        .into_owned()
}

/// The committed regression input of the padded quick-ack finding becomes the shipped case:
/// same stream, same verdict, source fuzz:transport_padded, flag FuzzFinding.
#[test]
fn fuzz_to_vector_reproduces_the_shipped_fuzz_finding() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        workspace().join("fuzz/regressions/transport_padded/quick-ack-token-without-top-bit");
    let run = harness(
        dir.path(),
        &[
            "fuzz-to-vector",
            "transport_padded",
            input.to_str().unwrap(),
            "--schemas",
            &schemas(),
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let made: Value = serde_json::from_str(&stdout(&run)).unwrap();
    let group = &made["testGroups"][0];
    assert_eq!(group["source"]["name"], "fuzz:transport_padded");
    let case = &group["tests"][0];
    assert_eq!(case["flags"][0], "FuzzFinding");
    assert_eq!(case["result"], "invalid");
    assert_eq!(case["error"], "BadQuickAckToken");
    let shipped = read_json(&workspace().join("vectors/transport/transport_fuzz_test.json"));
    let found = shipped["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["source"]["name"] == "fuzz:transport_padded")
        .flat_map(|g| g["tests"].as_array().unwrap())
        .any(|t| t["stream"] == case["stream"] && t["error"] == case["error"]);
    assert!(found, "the shipped fuzz vectors lack the finding");
}

/// --out appends to a file (new tcId, same group when the attributes match, numberOfTests kept
/// right), and the result lints and passes.
#[test]
fn fuzz_to_vector_appends_and_the_file_lints_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vectors/pq/pq_fuzz_test.json");
    fs::create_dir_all(dir.path().join("vectors/schemas")).unwrap();
    for e in fs::read_dir(workspace().join("vectors/schemas")).unwrap() {
        let e = e.unwrap();
        fs::copy(
            e.path(),
            dir.path().join("vectors/schemas").join(e.file_name()),
        )
        .unwrap();
    }
    // pq inputs: mode 2 = big-endian pq as sent; a semiprime, then a prime.
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    fs::write(&a, [2, 0x17, 0xed, 0x48, 0x94, 0x1a, 0x08, 0xf9, 0x81]).unwrap();
    fs::write(&b, [2, 0x00, 0x00, 0x00, 0x07]).unwrap();
    for input in [&a, &b] {
        let run = harness(
            dir.path(),
            &[
                "fuzz-to-vector",
                "pq",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--schemas",
                &schemas(),
            ],
        );
        assert_eq!(code(&run), 0, "{}", stderr(&run));
    }
    let file = read_json(&out);
    assert_eq!(file["numberOfTests"], 2);
    let tests = file["testGroups"][0]["tests"].as_array().unwrap();
    assert_eq!(file["testGroups"].as_array().unwrap().len(), 1);
    assert_eq!(
        (tests[0]["tcId"].as_u64(), tests[1]["tcId"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(tests[0]["p"], "494c553b");
    assert_eq!(tests[1]["error"], "PqNotFactorable");
    let lint = harness(dir.path(), &["lint", "vectors"]);
    assert_eq!(code(&lint), 0, "{}", stderr(&lint));
    let run = harness(
        dir.path(),
        &["run", "vectors", "--quiet", "--out", "reports"],
    );
    assert_eq!(code(&run), 0, "{}{}", stdout(&run), stderr(&run));
}

/// An `--out` file is read by the strict loader before a case is appended: one the loader refuses
/// (here a case field no family has) is named with the loader's reason, exit 2, and left as it
/// was, never patched in place.
#[test]
fn fuzz_to_vector_refuses_an_out_file_the_loader_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pq_fuzz_test.json");
    let input = dir.path().join("a");
    fs::write(&input, [2, 0x17, 0xed, 0x48, 0x94, 0x1a, 0x08, 0xf9, 0x81]).unwrap();
    let args = |out: &Path| {
        vec![
            "fuzz-to-vector".to_owned(),
            "pq".to_owned(),
            input.to_str().unwrap().to_owned(),
            "--out".to_owned(),
            out.to_str().unwrap().to_owned(),
            "--schemas".to_owned(),
            schemas(),
        ]
    };
    let first = args(&out);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let run = harness(dir.path(), &first);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let text = fs::read_to_string(&out).unwrap();
    let bad = text.replacen("\"pq\": ", "\"pqq\": \"00\",\n          \"pq\": ", 1);
    assert_ne!(bad, text);
    fs::write(&out, &bad).unwrap();
    let run = harness(dir.path(), &first);
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("--out") && err.contains("pqq"), "{err}");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        bad,
        "the refused file was changed"
    );
}

/// Every committed `transport_obfuscated` seed becomes an obfuscated `TransportTest` case (the
/// client's init, the stream on the wire, the MTProxy secret when there is one) that loads, lints
/// and passes on the reference (fuzz-to-vector checks all three before it prints), with the
/// fuzz provenance.
#[test]
fn fuzz_to_vector_turns_obfuscated_seeds_into_transport_cases() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = workspace().join("fuzz/seeds/transport_obfuscated");
    let mut n = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for seed in fs::read_dir(&seeds).unwrap() {
        let seed = seed.unwrap().path();
        let run = harness(
            dir.path(),
            &[
                "fuzz-to-vector",
                "transport_obfuscated",
                seed.to_str().unwrap(),
                "--schemas",
                &schemas(),
            ],
        );
        assert_eq!(code(&run), 0, "{}: {}", seed.display(), stderr(&run));
        let made: Value = serde_json::from_str(&stdout(&run)).unwrap();
        let group = &made["testGroups"][0];
        assert_eq!(group["type"], "TransportTest");
        assert_eq!(group["obfuscated"], true);
        assert_eq!(group["source"]["name"], "fuzz:transport_obfuscated");
        let case = &group["tests"][0];
        assert_eq!(case["flags"][0], "FuzzFinding");
        assert_eq!(case["init"].as_str().unwrap().len(), 128);
        kinds.insert((
            group["transport"].as_str().unwrap().to_owned(),
            case["result"].as_str().unwrap().to_owned(),
        ));
        n += 1;
    }
    assert!(n > 0, "no committed transport_obfuscated seeds");
    assert!(
        kinds.iter().any(|(_, r)| r == "valid"),
        "no seed decodes to frames: {kinds:?}"
    );
}

/// Unknown targets, targets no vector type describes, missing or oversized artifacts and inputs
/// too short for their layout are exit 2 with a reason.
#[test]
fn fuzz_to_vector_refusals_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    fs::write(&small, [1u8]).unwrap();
    let big = dir.path().join("big");
    fs::write(&big, vec![0u8; (1 << 20) + 1]).unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["fuzz-to-vector", "no_such_target", "small"],
            "no fuzz target named no_such_target",
        ),
        (
            &["fuzz-to-vector", "envelope_roundtrip", "small"],
            "fuzz/regressions/envelope_roundtrip/",
        ),
        (
            &["fuzz-to-vector", "session_client", "small"],
            "delivers no message",
        ),
        (&["fuzz-to-vector", "pq", "missing"], "missing"),
        (&["fuzz-to-vector", "pq", "big"], "more than"),
        (&["fuzz-to-vector", "transport_full", "small"], "too short"),
    ];
    for (args, want) in cases {
        let run = harness(dir.path(), args);
        assert_eq!(code(&run), 2, "{args:?}: {}", stdout(&run));
        assert!(stderr(&run).contains(want), "{args:?}: {}", stderr(&run));
    }
}

/// The operation-list targets and the vector family each one's inputs become.
const OP_TARGETS: [(&str, &str); 5] = [
    ("session_client", "session"),
    ("session_server", "session"),
    ("handshake_client", "handshake"),
    ("handshake_server", "handshake"),
    ("secret_chat", "secret"),
];

/// Inputs beside the committed seeds, so each target gives both verdicts: a `handshake_server`
/// input whose `req_DH_params` has bit 300 flipped (`PqMismatch`; the seeds are all honest
/// exchanges), and a `session_client` and a `session_server` trace their receiver accepts whole
/// (the seeds all hold a rejection).
fn extra_inputs(target: &str) -> Vec<Vec<u8>> {
    use mtproto_fuzzing::layout::{SessionStep, session};
    let flip = |bit: u16| {
        let mut t = 0x3000_0000u32.to_le_bytes().to_vec();
        t.extend_from_slice(&bit.to_le_bytes());
        t
    };
    match target {
        "handshake_server" => {
            let mut v = vec![0u8; 9];
            v.extend_from_slice(&[0; 4]);
            v.extend(flip(300));
            v.extend_from_slice(&[0; 4]);
            vec![v]
        }
        "session_client" => {
            let t = (1_700_000_000i64 << 32) | 0x101;
            let step = |msg_id: i64| SessionStep {
                msg_id,
                seq_no: 1,
                content_related: true,
            };
            vec![session(1000, true, &[step(t), step(t + 4), step(t + 10)])]
        }
        "session_server" => {
            // Server parity (msg_id divisible by 4) and seq_nos 1, 3, 5 in order.
            let t = (1_700_000_000i64 << 32) | 0x100;
            let steps: Vec<SessionStep> = (0..3)
                .map(|k| SessionStep {
                    msg_id: t + 4 * k,
                    seq_no: 1 + 2 * k as i32,
                    content_related: true,
                })
                .collect();
            vec![session(1000, false, &steps)]
        }
        _ => Vec::new(),
    }
}

/// One verdict of a written case flipped, the case kept loadable (its result and error follow
/// the flipped step): the first step of a trace becomes a rejection it is not; a handshake's
/// valid case becomes a `NonceMismatch` refusal, an invalid one names another error. `None`
/// when the case has nothing to flip that way.
fn flip_one_verdict(family: &str, case: &mut Value) -> Option<()> {
    match family {
        "session" => {
            let first = &mut case["steps"][0];
            if first["expect"]["verdict"] != "accept" || first.get("container").is_some() {
                return None;
            }
            first["expect"] = serde_json::json!({"verdict": "ignore", "error": "Duplicate"});
            case["result"] = "invalid".into();
            case["error"] = "Duplicate".into();
        }
        "secret" => {
            let first = &mut case["steps"][0];
            if first["expect"]["verdict"] == "reject" {
                return None;
            }
            first["expect"] = serde_json::json!({"verdict": "reject", "error": "MsgKeyMismatch"});
            case["result"] = "invalid".into();
            case["error"] = "MsgKeyMismatch".into();
        }
        _ => {
            let m = case.as_object_mut()?;
            if m["result"] == "valid" {
                // A valid transcript lists the role's outputs, an invalid one none.
                let outputs: &[&str] = if m.contains_key("rsaD") {
                    &[
                        "resPq",
                        "serverDhParams",
                        "dhGen",
                        "authKey",
                        "serverSalt",
                        "dc",
                        "expiresIn",
                    ]
                } else {
                    &[
                        "reqPqMulti",
                        "reqDhParams",
                        "setClientDhParams",
                        "authKey",
                        "serverSalt",
                        "timeOffset",
                    ]
                };
                for k in outputs {
                    m.remove(*k);
                }
                m.insert("result".into(), "invalid".into());
                m.insert("error".into(), "NonceMismatch".into());
            } else {
                let other = if m["error"] == "NonceMismatch" {
                    "ServerNonceMismatch"
                } else {
                    "NonceMismatch"
                };
                m.insert("error".into(), other.into());
            }
        }
    }
    Some(())
}

/// Issue 8, findings to vectors, for the targets whose inputs are operation lists: every
/// committed seed of `session_client`, `session_server`, `handshake_client`, `handshake_server`
/// and `secret_chat` (plus [`extra_inputs`]) goes through `fuzz-to-vector --out`. Each is written
/// as a case of its family (source `fuzz:T`, flag `FuzzFinding`), or refused naming what the
/// family cannot express; the file lints and runs clean on the reference; and a copy with one
/// verdict flipped ([`flip_one_verdict`]) fails `run` — a written case is a real test.
#[test]
fn fuzz_to_vector_writes_operation_list_inputs_as_cases_that_fail_when_flipped() {
    let dir = tempfile::tempdir().unwrap();
    // `lint` finds the schemas above the files.
    fs::create_dir_all(dir.path().join("schemas")).unwrap();
    for e in fs::read_dir(workspace().join("vectors/schemas")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.path().join("schemas").join(e.file_name())).unwrap();
    }
    for (target, family) in OP_TARGETS {
        let mut inputs: Vec<PathBuf> = fs::read_dir(workspace().join("fuzz/seeds").join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        for (k, extra) in extra_inputs(target).into_iter().enumerate() {
            let path = dir.path().join(format!("{target}-extra-{k}"));
            fs::write(&path, extra).unwrap();
            inputs.push(path);
        }
        let out = dir
            .path()
            .join(format!("written/{family}/{target}_fuzz_test.json"));
        let (mut written, mut refused) = (0, 0);
        for input in &inputs {
            let run = harness(
                dir.path(),
                &[
                    "fuzz-to-vector",
                    target,
                    input.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--schemas",
                    &schemas(),
                ],
            );
            if code(&run) == 0 {
                written += 1;
            } else {
                assert_eq!(code(&run), 2, "{}", input.display());
                assert!(
                    stderr(&run).contains("cannot express"),
                    "{}: refused without naming what the family cannot express: {}",
                    input.display(),
                    stderr(&run)
                );
                refused += 1;
            }
        }
        assert!(written > 0, "{target}: nothing written ({refused} refused)");
        let file = read_json(&out);
        let mut results = std::collections::BTreeSet::new();
        for g in file["testGroups"].as_array().unwrap() {
            assert_eq!(g["source"]["name"], format!("fuzz:{target}"));
            for t in g["tests"].as_array().unwrap() {
                assert_eq!(t["flags"], serde_json::json!(["FuzzFinding"]));
                results.insert(t["result"].as_str().unwrap().to_owned());
            }
        }
        assert!(
            results.contains("valid") && results.contains("invalid"),
            "{target}: the inputs give only {results:?}"
        );
        if target == "secret_chat" {
            // The re-keying seeds convert too: a side starts one, the other answers it.
            assert!(
                fs::read_to_string(&out)
                    .unwrap()
                    .contains("\"op\": \"rekey\""),
                "no secret_chat case starts a re-key"
            );
        }
        let lint = harness(dir.path(), &["lint", out.to_str().unwrap()]);
        assert_eq!(code(&lint), 0, "{target}: {}", stderr(&lint));
        let run = harness(dir.path(), &["run", out.to_str().unwrap(), "--quiet"]);
        assert_eq!(code(&run), 0, "{target}: {}{}", stdout(&run), stderr(&run));

        // One verdict flipped: the file still loads and lints, and `run` fails on that case.
        let mut flipped = file.clone();
        let done = flipped["testGroups"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .flat_map(|g| g["tests"].as_array_mut().unwrap().iter_mut())
            .find_map(|t| flip_one_verdict(family, t).map(|()| t["tcId"].clone()));
        let tc_id = done.unwrap_or_else(|| panic!("{target}: no case to flip"));
        let bad = dir
            .path()
            .join(format!("flipped/{family}/{target}_fuzz_test.json"));
        fs::create_dir_all(bad.parent().unwrap()).unwrap();
        fs::write(&bad, serde_json::to_string_pretty(&flipped).unwrap()).unwrap();
        let lint = harness(dir.path(), &["lint", bad.to_str().unwrap()]);
        assert_eq!(code(&lint), 0, "{target} flipped: {}", stderr(&lint));
        let reports = dir.path().join(format!("reports-{target}"));
        let run = harness(
            dir.path(),
            &[
                "run",
                bad.to_str().unwrap(),
                "--quiet",
                "--out",
                reports.to_str().unwrap(),
            ],
        );
        assert_eq!(
            code(&run),
            1,
            "{target} flipped tcId {tc_id}: {}{}",
            stdout(&run),
            stderr(&run)
        );
    }
}

/// The expected verdicts must be the target's oracle's too: with a deliberate bug in the
/// reference (`--mutant`, test builds only), a session trace whose reference receiver now
/// disagrees with the target's model is refused naming the first differing step, and a handshake
/// whose run the target's oracle rejects is refused as such; nothing is written.
#[test]
fn fuzz_to_vector_refuses_when_the_reference_and_the_targets_oracle_disagree() {
    use mtproto_fuzzing::layout::{SessionStep, session};
    let dir = tempfile::tempdir().unwrap();
    let t = (1_700_000_000i64 << 32) | 0x101;
    let step = |msg_id: i64| SessionStep {
        msg_id,
        seq_no: 1,
        content_related: true,
    };
    // Step 2 carries an even msg_id, which only the mutant client accepts.
    let trace = dir.path().join("even");
    fs::write(
        &trace,
        session(1000, true, &[step(t), step(t + 4), step(t + 7)]),
    )
    .unwrap();
    let run = harness(
        dir.path(),
        &[
            "fuzz-to-vector",
            "session_client",
            trace.to_str().unwrap(),
            "--schemas",
            &schemas(),
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let run = harness(
        dir.path(),
        &[
            "fuzz-to-vector",
            "session_client",
            trace.to_str().unwrap(),
            "--schemas",
            &schemas(),
            "--mutant",
            "accept-even-server-msg-id",
        ],
    );
    assert_eq!(code(&run), 2, "{}", stdout(&run));
    let err = stderr(&run);
    assert!(
        err.contains(
            "step 2: the reference gives Accept and the target's model Ignore(\"MsgIdParity\")"
        ),
        "{err}"
    );
    assert!(stdout(&run).is_empty(), "{}", stdout(&run));

    // An input the mutant does not touch converts, but nothing computed under a mutant is
    // written: the tool's own re-check would run under it too.
    let odd = dir.path().join("odd");
    fs::write(&odd, session(1000, true, &[step(t)])).unwrap();
    let run = harness(
        dir.path(),
        &[
            "fuzz-to-vector",
            "session_client",
            odd.to_str().unwrap(),
            "--schemas",
            &schemas(),
            "--mutant",
            "accept-even-server-msg-id",
        ],
    );
    assert_eq!(code(&run), 2, "{}", stdout(&run));
    assert!(
        stderr(&run).contains("nothing is written"),
        "{}",
        stderr(&run)
    );
    assert!(stdout(&run).is_empty(), "{}", stdout(&run));

    // dh_gen_ok with a wrong new_nonce_hash1: the mutant client takes it, the oracle does not.
    let seeds = workspace().join("fuzz/seeds/handshake_client");
    let wrong_hash = fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let out = harness(
                dir.path(),
                &[
                    "fuzz-to-vector",
                    "handshake_client",
                    p.to_str().unwrap(),
                    "--schemas",
                    &schemas(),
                ],
            );
            stdout(&out).contains("NewNonceHashMismatch")
        })
        .expect("a committed handshake_client seed answers with a wrong new_nonce_hash1");
    let run = harness(
        dir.path(),
        &[
            "fuzz-to-vector",
            "handshake_client",
            wrong_hash.to_str().unwrap(),
            "--schemas",
            &schemas(),
            "--mutant",
            "skip-new-nonce-hash1",
        ],
    );
    assert_eq!(code(&run), 2, "{}", stdout(&run));
    assert!(
        stderr(&run).contains("the target's oracle fails on this input"),
        "{}",
        stderr(&run)
    );
}
