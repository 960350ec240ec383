//! `run vectors/wire --client/--server COMMAND` end to end, on the binary cargo builds: the
//! reference drivers (`wire-client`, `wire-server`) pass every case; a broken client (a mutant)
//! fails with the transcript and a repro naming the driver; hostile fixture drivers (crash, no
//! connection, no exit, garbage or a flood on stdout, garbage or a 2 GB length prefix on the
//! socket, a server that never listens) are `error` cases with a clear detail, the run goes on to
//! the next case, and no process of their group is left.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{BIN, harness};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn results(out: &Path) -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    doc["results"].as_array().unwrap().clone()
}

#[test]
fn the_reference_drivers_pass_every_wire_case_over_tcp() {
    let out = tempfile::tempdir().unwrap();
    let client = format!("'{BIN}' wire-client");
    let server = format!("'{BIN}' wire-server");
    let run = harness(&[
        "run",
        "vectors/wire",
        "--client",
        &client,
        "--server",
        &server,
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let so = stdout(&run);
    assert_eq!(run.status.code(), Some(0), "{so}");
    let rs = results(out.path());
    assert!(rs.len() >= 98, "{}", rs.len());
    assert!(so.ends_with(&format!(
        "{} passed, 0 failed, 0 unsupported, 0 errors\n",
        rs.len()
    )));
    for r in &rs {
        assert_eq!(r["family"], "wire");
        assert_eq!(r["outcome"], "pass", "{r}");
    }
    let types: std::collections::BTreeSet<_> =
        rs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        ["WireClientTest", "WireServerTest"]
    );
    let junit = fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("wire.wire_client_test"),
        "junit names the wire files"
    );
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(doc["wire"]["client"], Value::String(client));
    assert_eq!(doc["wire"]["timeoutMs"], 10_000);
}

/// A client whose msg_key check is gone takes the decoy: the case fails, and every report
/// carries the transcript (both directions, hex, decoded) and a repro naming the driver.
#[test]
fn a_broken_client_fails_with_its_transcript_and_a_repro_naming_the_driver() {
    let out = tempfile::tempdir().unwrap();
    let client = format!("'{BIN}' wire-client --mutant skip-msg-key");
    let run = harness(&[
        "run",
        "vectors/wire/wire_client_test.json",
        "--client",
        &client,
        "--filter",
        "flag=Envelope",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let so = stdout(&run);
    assert_eq!(run.status.code(), Some(1), "{so}");
    let rs = results(out.path());
    let failed: Vec<_> = rs.iter().filter(|r| r["outcome"] == "fail").collect();
    assert!(!failed.is_empty(), "{so}");
    for r in &failed {
        let detail = r["detail"].as_str().unwrap();
        assert!(detail.contains("decoy"), "{detail}");
        assert!(detail.contains("harness -> peer"), "{detail}");
        assert!(detail.contains("peer -> harness"), "{detail}");
        let frames = r["vector"]["wire"]["transcript"].as_array().unwrap();
        assert!(frames.len() > 4);
        assert!(frames.iter().any(|f| f["note"].as_str().is_some()));
    }
    let md = fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("--client"), "{md}");
    assert!(md.contains("skip-msg-key"), "{md}");
    let junit = fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("transcript ("),
        "junit carries the transcript"
    );
    assert!(junit.contains("--client"), "junit repro names the driver");
}

// ---- Hostile fixture drivers ----

/// The processes (not zombies) whose process group is `pgid`.
fn group_members(pgid: i32) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
            && !matches!(f.first(), Some(&"Z") | Some(&"X"))
        {
            out.push(stat);
        }
    }
    out
}

/// Run two cases of `role` against `driver` (which records its shell's pid, the process group
/// id, in a file first): both must be `error` with `want` in the detail, the run must finish in
/// time, and no process of either group may be left.
fn hostile(role: &str, driver: &str, want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let command = format!("echo $$ >> '{}'; {driver}", pids.display());
    let (file, ids) = match role {
        "--client" => ("vectors/wire/wire_client_test.json", "tcId=1,2"),
        _ => ("vectors/wire/wire_server_test.json", "tcId=1001,1002"),
    };
    let out = dir.path().join("out");
    let t = Instant::now();
    let run = harness(&[
        "run",
        file,
        role,
        &command,
        "--filter",
        ids,
        "--timeout-ms",
        "1500",
        "--out",
        out.to_str().unwrap(),
    ]);
    let took = t.elapsed();
    let so = stdout(&run);
    assert_eq!(run.status.code(), Some(1), "{driver}: {so}");
    assert!(
        so.ends_with("0 passed, 0 failed, 0 unsupported, 2 errors\n"),
        "{driver}: the run goes on to the second case: {so}"
    );
    assert!(took < Duration::from_secs(12), "{driver}: took {took:?}");
    for r in results(&out) {
        assert_eq!(r["outcome"], "error", "{driver}: {r}");
        let detail = r["detail"].as_str().unwrap();
        assert!(detail.contains(want), "{driver}: {detail:?} lacks {want:?}");
        assert!(detail.contains("driver: "), "{detail}");
    }
    let pids = fs::read_to_string(&pids).unwrap();
    let pids: Vec<i32> = pids.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(pids.len(), 2, "{driver}: one driver per case");
    for pid in pids {
        let left = group_members(pid);
        assert!(left.is_empty(), "{driver}: group {pid} left {left:?}");
    }
}

#[test]
fn a_crashing_client_driver_is_an_error() {
    hostile(
        "--client",
        "echo '{\"event\":\"starting\"}'; echo boom >&2; kill -SEGV $$",
        "exited",
    );
}

#[test]
fn a_client_driver_that_never_connects_is_an_error() {
    hostile("--client", "sleep 30 & sleep 30", "timed out");
}

#[test]
fn a_client_driver_that_connects_and_stalls_is_an_error() {
    hostile(
        "--client",
        "exec bash -c 'exec 3<>/dev/tcp/${MTPROTO_WIRE_ADDR%:*}/${MTPROTO_WIRE_ADDR##*:}; sleep 30'",
        "timed out",
    );
}

#[test]
fn a_client_driver_that_never_exits_is_an_error() {
    // Everything right (handshake, pings), then no exit.
    hostile(
        "--client",
        &format!("'{BIN}' wire-client; sleep 30"),
        "did not exit within 1500 ms",
    );
}

#[test]
fn a_client_driver_that_prints_garbage_is_an_error() {
    hostile(
        "--client",
        "echo 'this is not json'; exit 1",
        "not a JSON object",
    );
}

#[test]
fn a_client_driver_that_floods_stdout_is_an_error() {
    hostile("--client", "yes '{\"event\":\"flood\"}'", "output contract");
}

#[test]
fn garbage_on_the_socket_is_an_error() {
    hostile(
        "--client",
        "exec bash -c 'exec 3<>/dev/tcp/${MTPROTO_WIRE_ADDR%:*}/${MTPROTO_WIRE_ADDR##*:}; printf \"GET / HTTP/1.1\\r\\n\\r\\n\" >&3; sleep 30'",
        "WrongTransportTag",
    );
}

#[test]
fn a_two_gigabyte_length_prefix_on_the_socket_is_an_error() {
    // Case 1 is abridged: the tag ef, then 7f and a 3-byte length of 0xffffff words (64 MiB);
    // case 2 intermediate: the tag ee ee ee ee, then a length of 0x7ffffff0 (2 GiB).
    hostile(
        "--client",
        r#"exec bash -c 'exec 3<>/dev/tcp/${MTPROTO_WIRE_ADDR%:*}/${MTPROTO_WIRE_ADDR##*:}; case $MTPROTO_WIRE_TRANSPORT in abridged) printf "\xef\x7f\xff\xff\xff" >&3;; *) printf "\xee\xee\xee\xee\xf0\xff\xff\x7f" >&3;; esac; sleep 30'"#,
        "exceeds the cap",
    );
}

#[test]
fn a_server_driver_that_never_listens_is_an_error() {
    hostile("--server", "sleep 30", "listen");
}

#[test]
fn a_server_driver_that_crashes_is_an_error() {
    hostile("--server", "echo boom >&2; kill -SEGV $$", "exited");
}
