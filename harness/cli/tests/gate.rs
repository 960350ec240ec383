//! The gate for external implementations (issue 21): hostile fixture adapters
//! (`tests/fixtures/adapters/hostile.py`) against bounded I/O, process groups, the circuit breaker
//! and `--deadline`, honest exit codes, outcome-carrying baselines, repros that rerun the adapter,
//! flag notes in the reports, and docs/ci.md's third-party job run command by command.
//!
//! Every run here is bounded (`bounded`): a regression to a hang fails the test instead of
//! hanging it, and no test waits on a timeout longer than about a second.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed setup should stop the test"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mtproto-harness");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `--iut` for a hostile fixture adapter in `mode`.
fn hostile(mode: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adapters/hostile.py");
    format!("python3 '{}' {mode}", script.display())
}

/// What a bounded run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn all(&self) -> String {
        format!("exit {}\n{}\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs the harness in `dir` with `CI=true`, killing it (and failing the test) after `limit`.
fn bounded(dir: &Path, args: &[&str], limit: Duration) -> Run {
    bounded_env(dir, args, limit, &[])
}

fn bounded_env(dir: &Path, args: &[&str], limit: Duration, env: &[(&str, &str)]) -> Run {
    let logs = tempfile::tempdir().unwrap();
    let out = logs.path().join("out");
    let err = logs.path().join("err");
    let started = Instant::now();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "mtproto-harness {args:?} still running after {limit:?}: killed; stderr: {}",
                fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: fs::read_to_string(&out).unwrap(),
        stderr: fs::read_to_string(&err).unwrap(),
        took: started.elapsed(),
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn results(out: &Path) -> Vec<Value> {
    read_json(&out.join("results.json"))["results"]
        .as_array()
        .unwrap()
        .clone()
}

/// Defect 1: a request larger than the pipe buffer to an adapter that stopped reading blocked the
/// runner in the pipe write forever. TL tcId 22 is a 131 KB request.
#[test]
fn an_adapter_that_stops_reading_cannot_hang_the_run_with_a_large_request() {
    let out = tempfile::tempdir().unwrap();
    let run = bounded(
        &workspace(),
        &[
            "run",
            "vectors/tl/tl_codec_test.json",
            "--filter",
            "tcId=22",
            "--iut",
            &hostile("deaf"),
            "--timeout-ms",
            "800",
            "--out",
            out.path().to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let rs = results(out.path());
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0]["outcome"], "error");
    let detail = rs[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("did not read its request") && detail.contains("within 800 ms"),
        "{detail}"
    );
    assert!(run.took < Duration::from_secs(10), "{:?}", run.took);
}

fn alive(pid: &str) -> bool {
    // A killed child is reparented and reaped; until then it is a zombie (state Z).
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        }
        Err(_) => false,
    }
}

/// Defect 2: an adapter that forks a child holding stdout left the child running after the run.
#[test]
fn children_an_adapter_forks_do_not_outlive_the_run() {
    let out = tempfile::tempdir().unwrap();
    let pids = tempfile::tempdir().unwrap();
    let iut = format!("{} '{}'", hostile("fork"), pids.path().display());
    let run = bounded(
        &workspace(),
        &[
            "run",
            "vectors/ige/aes256_ige_test.json",
            "--filter",
            "tcId=1..3",
            "--iut",
            &iut,
            "--timeout-ms",
            "20000",
            "--out",
            out.path().to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    // The leader's exit is seen at once, though its child holds stdout: no request waits for its
    // timeout (20 s, far above four interpreter start-ups even on a loaded machine).
    assert!(run.took < Duration::from_secs(20), "{:?}", run.took);
    let forked: Vec<String> = fs::read_dir(pids.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !forked.is_empty(),
        "the fixture forked nothing: {}",
        run.all()
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut left: Vec<&String> = forked.iter().filter(|p| alive(p)).collect();
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        left.retain(|p| alive(p));
    }
    for pid in &left {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    assert!(left.is_empty(), "orphans left running: {left:?}");
}

/// Defect 3: a permanently broken adapter cost every case its timeout; the breaker gives it up
/// after N failures in a row with one message, and the rest are `error` at once.
#[test]
fn a_dead_adapter_is_given_up_after_failures_in_a_row() {
    for (mode, timeout) in [("crash", "2000"), ("hang", "1000")] {
        let out = tempfile::tempdir().unwrap();
        let run = bounded(
            &workspace(),
            &[
                "run",
                "vectors/ige",
                "vectors/kdf",
                "--iut",
                &hostile(mode),
                "--timeout-ms",
                timeout,
                "--max-failures-in-a-row",
                "3",
                "--out",
                out.path().to_str().unwrap(),
            ],
            Duration::from_secs(30),
        );
        assert_eq!(run.code, 1, "{mode}: {}", run.all());
        assert!(run.took < Duration::from_secs(15), "{mode}: {:?}", run.took);
        assert_eq!(
            run.stderr
                .matches("given up after 3 failures in a row")
                .count(),
            1,
            "{mode}: {}",
            run.all()
        );
        let rs = results(out.path());
        assert_eq!(rs.len(), 383, "{mode}");
        assert!(rs.iter().all(|r| r["outcome"] == "error"), "{mode}");
        let given_up = rs
            .iter()
            .filter(|r| r["detail"].as_str().unwrap().contains("given up"))
            .count();
        assert!(given_up >= 380, "{mode}: {given_up}");
        let doc = read_json(&out.path().join("results.json"));
        assert!(
            doc["adapter"]["gaveUp"]
                .as_str()
                .unwrap()
                .contains("given up")
        );
    }
}

/// Defect 3: `--deadline` bounds a whole run, breaker or not.
#[test]
fn the_deadline_bounds_a_whole_run() {
    let out = tempfile::tempdir().unwrap();
    let run = bounded(
        &workspace(),
        &[
            "run",
            "vectors/ige",
            "--iut",
            &hostile("hang"),
            "--timeout-ms",
            "1500",
            "--max-failures-in-a-row",
            "0",
            "--deadline",
            "1",
            "--out",
            out.path().to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.took < Duration::from_secs(6), "{:?}", run.took);
    let rs = results(out.path());
    assert!(rs.iter().all(|r| r["outcome"] == "error"));
    assert!(
        rs.iter()
            .filter(|r| r["detail"].as_str().unwrap().contains("--deadline"))
            .count()
            > 150
    );
}

/// Defect 4: an implementation that supports nothing exited 0.
#[test]
fn unsupported_cases_fail_an_external_run_unless_allowed_and_nothing_run_always_fails() {
    let ws = workspace();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let nothing = hostile("unsupported");
    for extra in [&[][..], &["--allow-unsupported"][..]] {
        let mut args = vec!["run", "vectors/ige", "--iut", &nothing, "--out", o];
        args.extend_from_slice(extra);
        let run = bounded(&ws, &args, Duration::from_secs(30));
        assert_eq!(run.code, 1, "{extra:?}: {}", run.all());
        assert!(run.stdout.contains("no selected case ran"), "{}", run.all());
        let summary = fs::read_to_string(out.path().join("summary.md")).unwrap();
        assert!(summary.starts_with("## ❌"), "{summary}");
    }
    // Some cases run and pass, the rest are unsupported.
    let partial = format!("'{BIN}' adapter --only-ops ige.encrypt,ige.decrypt");
    let args = [
        "run",
        "vectors/ige",
        "vectors/kdf",
        "--iut",
        &partial,
        "--out",
        o,
    ];
    let run = bounded(&ws, &args, Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("--allow-unsupported"), "{}", run.all());
    let mut allowed = args.to_vec();
    allowed.push("--allow-unsupported");
    let run = bounded(&ws, &allowed, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}", run.all());
    let summary = fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.starts_with("## ✅"), "{summary}");
    // The built-in reference is unchanged: every shipped IGE case passes, exit 0.
    let run = bounded(
        &ws,
        &["run", "vectors/ige", "--out", o],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 0, "{}", run.all());
}

/// A sandbox with the two IGE files as `vectors/ige/...`.
fn ige_sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("vectors/ige");
    fs::create_dir_all(&to).unwrap();
    for f in ["aes256_ige_test.json", "aes128_ige_openssl_test.json"] {
        fs::copy(workspace().join("vectors/ige").join(f), to.join(f)).unwrap();
    }
    dir
}

/// Defects 5 and 6: `baseline --iut` records each case's outcome; the gate fails when an
/// adapter answers `unsupported` where the baseline expects `fail` (it used to count that as a
/// matched failure), and refuses a baseline without outcomes.
#[test]
fn the_gate_compares_outcomes_not_just_failure() {
    let dir = ige_sandbox();
    let d = dir.path();
    let ok = hostile("ok");
    let run = bounded(
        d,
        &[
            "baseline",
            "--iut",
            &ok,
            "--timeout-ms",
            "5000",
            "--out",
            "b.json",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let entries = read_json(&d.join("b.json"));
    let entries = entries.as_array().unwrap();
    assert!(entries.len() > 100);
    // Valid cases error (no outputs in the answer), invalid ones fail (accepted).
    let outcomes: std::collections::BTreeSet<&str> = entries
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["error", "fail"].into(), "{}", entries.len());
    // The same adapter passes its own baseline.
    let gate = |iut: &str| {
        bounded(
            d,
            &["run", "--iut", iut, "--baseline", "b.json", "--out", "r"],
            Duration::from_secs(60),
        )
    };
    let run = gate(&ok);
    assert_eq!(run.code, 0, "{}", run.all());
    // An adapter that supports nothing does not.
    let run = gate(&hostile("unsupported"));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("gate: outcome changed: vectors/ige/aes256_ige_test.json tcId 133 is baselined as fail but is now unsupported"),
        "{}",
        run.all()
    );
    // A case that passed before (no entry) and is now unsupported.
    let one = serde_json::to_string(&entries[..1]).unwrap();
    fs::write(d.join("one.json"), one).unwrap();
    let run = bounded(
        d,
        &[
            "run",
            "--iut",
            &hostile("unsupported"),
            "--baseline",
            "one.json",
            "--out",
            "r",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("gate: now unsupported: vectors/ige/aes256_ige_test.json tcId 2"),
        "{}",
        run.all()
    );
    // A baseline from before outcomes: refused, with how to regenerate it.
    fs::write(
        d.join("old.json"),
        r#"[{"file": "vectors/ige/aes256_ige_test.json", "tcId": 1, "reason": "r"}]"#,
    )
    .unwrap();
    let run = bounded(
        d,
        &["run", "--iut", &ok, "--baseline", "old.json", "--out", "r"],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("no `outcome`") && run.stderr.contains("mtproto-harness baseline"),
        "{}",
        run.all()
    );
}

/// The commands of docs/ci.md's third-party job: the lines starting `mtproto-harness ` in the
/// shell block after the `third-party-job` marker.
fn third_party_job() -> Vec<String> {
    let doc = fs::read_to_string(workspace().join("docs/ci.md")).unwrap();
    let start = doc
        .find("<!-- third-party-job -->")
        .expect("docs/ci.md has the marker");
    let block = &doc[start..];
    let open = block.find("```sh\n").unwrap() + 6;
    let close = open + block[open..].find("```").unwrap();
    block[open..close]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("mtproto-harness "))
        .map(str::to_owned)
        .collect()
}

/// Defect 6: docs/ci.md's third-party job, command by command, against a fixture adapter: the
/// baseline is written from the adapter, the gate passes it, and the gate fails when the adapter
/// regresses to answering `unsupported`.
#[test]
fn the_documented_third_party_job_gates_a_fixture_adapter() {
    let commands = third_party_job();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands[0].starts_with("mtproto-harness baseline") && commands[0].contains("--iut"));
    assert!(commands[1].starts_with("mtproto-harness run") && commands[1].contains("--baseline"));
    let dir = ige_sandbox();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sh = |cmd: &str, adapter: &str| {
        let out = Command::new("sh")
            .args(["-c", cmd])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("CI", "true")
            .env("ADAPTER", adapter)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let ok = hostile("ok");
    let (code, log) = sh(&commands[0], &ok);
    assert_eq!(code, 0, "{}: {log}", commands[0]);
    let (code, log) = sh(&commands[1], &ok);
    assert_eq!(code, 0, "{}: {log}", commands[1]);
    assert!(log.contains("gate passed"), "{log}");
    let (code, log) = sh(&commands[1], &hostile("unsupported"));
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("gate: outcome changed"), "{log}");
}

/// Defects 7 and 10: every report's repro reruns the adapter with its timeout, the repro
/// reproduces the outcome when pasted, results.json records the adapter, and the reports carry
/// the flag notes (description, bug type, spec link) of a failing case.
#[test]
fn repros_rerun_the_adapter_and_reports_say_why_a_case_exists() {
    let dir = ige_sandbox();
    let d = dir.path();
    let ok = hostile("ok");
    let run = bounded(
        d,
        &[
            "run",
            "--iut",
            &ok,
            "--timeout-ms",
            "2500",
            "--acceptable",
            "fail",
            "--out",
            "r",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let out = d.join("r");
    let doc = read_json(&out.join("results.json"));
    let adapter = &doc["adapter"];
    assert_eq!(adapter["command"], ok.as_str());
    assert_eq!(adapter["timeoutMs"], 2500);
    assert_eq!(adapter["hello"]["name"], "hostile-ok");
    assert!(adapter["hello"]["ops"].as_array().unwrap().len() >= 14);
    assert_eq!(adapter["restarts"], 0);
    assert_eq!(doc["options"]["acceptable"], "fail");
    // tcId 133 is flagged NotBlockAligned (invalid); the `ok` adapter accepts it.
    let repro = format!(
        "mtproto-harness run vectors/ige/aes256_ige_test.json --iut '{}' --timeout-ms 2500 --acceptable fail --filter tcId=133",
        ok.replace('\'', r"'\''")
    );
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    let junit = fs::read_to_string(out.join("junit.xml")).unwrap();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let junit_text: String = roxmltree::Document::parse(&junit)
        .unwrap()
        .descendants()
        .filter_map(|n| n.text())
        .collect();
    assert!(junit_text.contains(&repro), "junit lacks {repro}");
    // summary.md lists the first 50 non-passing cases: tcId 133 is not among them, but each
    // row's repro has the same options.
    let options = repro
        .split(" run vectors/ige/aes256_ige_test.json")
        .nth(1)
        .unwrap();
    let md_options = options
        .split(" --filter")
        .next()
        .unwrap()
        .replace('\\', "\\\\")
        .replace('_', "\\_");
    assert!(
        summary.contains(&format!("{md_options} --filter tcId=")),
        "summary.md lacks {md_options}"
    );
    // index.html builds repros from each file's prefix.
    let prefix = repro.split(" --filter").next().unwrap();
    let html_json = html
        .split("<script type=\"application/json\" id=\"data\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let data: Value = serde_json::from_str(html_json).unwrap();
    let file = data["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "vectors/ige/aes256_ige_test.json")
        .unwrap();
    assert_eq!(file["repro"], prefix);
    // The notes: description, bug type and spec link of NotBlockAligned.
    let description = "The input (or encrypted_data) is not a multiple of 16 bytes.";
    let link = "https://core.telegram.org/mtproto/description";
    assert!(
        junit_text.contains("flag NotBlockAligned (MISSING_STEP): The input"),
        "junit notes"
    );
    assert!(junit_text.contains(&format!("spec: {link}")));
    assert!(summary.contains("### Why these cases exist"));
    assert!(
        summary.contains("**NotBlockAligned** (MISSING\\_STEP"),
        "summary notes"
    );
    assert!(summary.contains(&format!("<{link}>")), "summary link");
    assert!(
        file["notes"]["NotBlockAligned"]["description"]
            .as_str()
            .unwrap()
            .starts_with(description)
    );
    assert_eq!(file["notes"]["NotBlockAligned"]["links"][0], link);
    // Pasted into a shell, the repro reruns that case against the adapter: the same failure.
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let rerun = Command::new("sh")
        .args(["-c", &format!("{repro} --out again")])
        .current_dir(d)
        .env("PATH", path)
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(rerun.status.code(), Some(1));
    let again = results(&d.join("again"));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["outcome"], "fail");
    assert_eq!(
        read_json(&d.join("again/results.json"))["iut"]["name"],
        "hostile-ok"
    );
}

/// Defect 12: `--timeout-ms 0` used to become 1 ms; `tcId=..` and `family==x` were accepted.
#[test]
fn degenerate_options_are_refused() {
    let ws = workspace();
    for args in [
        &["run", "vectors/ige", "--timeout-ms", "0"][..],
        &[
            "baseline",
            "vectors/ige",
            "--timeout-ms",
            "0",
            "--out",
            "x.json",
        ][..],
        &["matrix", "--timeout-ms", "0"][..],
        &["run", "vectors/ige", "--filter", "tcId=.."][..],
        &["run", "vectors/ige", "--filter", "family==ige"][..],
        &["run", "vectors/ige", "--deadline", "0"][..],
    ] {
        let run = bounded(&ws, args, Duration::from_secs(30));
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
    }
}

/// Defect 12: the committed `reports/example/` was a stale run (1,497 cases). It is regenerated
/// here with the command reports/README.md gives and must equal the committed files byte for
/// byte; when the suites or the reports change, rerun that command and commit the result.
#[test]
fn the_committed_example_reports_are_what_the_documented_command_writes() {
    let ws = workspace();
    let readme = fs::read_to_string(ws.join("reports/README.md")).unwrap();
    let cmd = readme
        .lines()
        .find(|l| l.contains("-- run ") && l.contains("--out reports/example"))
        .expect("reports/README.md gives the command");
    let args: Vec<&str> = cmd
        .split(" -- ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .take_while(|a| *a != "--out")
        .collect();
    let out = tempfile::tempdir().unwrap();
    let mut full = args.clone();
    full.extend(["--out", out.path().to_str().unwrap(), "--quiet"]);
    let run = bounded(&ws, &full, Duration::from_secs(120));
    assert_eq!(
        run.code,
        1,
        "the example fails its fixture on purpose: {}",
        run.all()
    );
    for f in ["results.json", "junit.xml", "summary.md", "index.html"] {
        let fresh = fs::read(out.path().join(f)).unwrap();
        let committed = fs::read(ws.join("reports/example").join(f)).unwrap();
        assert!(
            fresh == committed,
            "reports/example/{f} is stale: regenerate it with `{}`",
            cmd.trim()
        );
    }
}

/// Defect 12: the case counts in vectors/README.md's `| file | type | cases | ... |` tables drifted
/// from the suites (268 for 272 envelope decrypt cases, 630 for 635 secret and call cases). Each
/// row's count must equal the cases of the files it names (a `*` row sums its files).
#[test]
fn vectors_readme_counts_match_the_suites() {
    let vectors = workspace().join("vectors");
    let readme = fs::read_to_string(vectors.join("README.md")).unwrap();
    let cases_in = |file: &Path| -> usize {
        let doc = read_json(file);
        doc["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["tests"].as_array().unwrap().len())
            .sum()
    };
    let mut in_table = false;
    let mut rows = 0;
    for line in readme.lines() {
        if line.starts_with("| file | type | cases |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(count) = cells.get(3).and_then(|c| c.parse::<usize>().ok()) else {
            continue;
        };
        if !in_table {
            continue;
        }
        let mut total = 0;
        for pattern in cells[1].split(", ") {
            let pattern = pattern.trim_matches('`');
            let (dir, name) = pattern.rsplit_once('/').unwrap();
            for entry in fs::read_dir(vectors.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                let hit = match name.split_once('*') {
                    Some((pre, post)) => file.starts_with(pre) && file.ends_with(post),
                    None => file == name,
                };
                if hit {
                    total += cases_in(&path);
                }
            }
        }
        assert_eq!(count, total, "vectors/README.md: {}", cells[1]);
        rows += 1;
    }
    assert!(rows >= 20, "only {rows} count rows found");
}
