//! The DH, pq and handshake suites: the reference passes every case, and a client that skips a
//! check is caught by the tampered transcripts.

use std::path::PathBuf;

use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut};
use mtproto_vectors::{Outcome, RunOptions, load_paths, run_file};

fn family(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors")
        .join(name)
}

fn run(name: &str, iut: &mut dyn Iut) -> Vec<mtproto_vectors::CaseResult> {
    let files = load_paths(&[family(name)]).unwrap();
    let mut out = Vec::new();
    for vf in &files {
        out.extend(run_file(
            vf,
            iut,
            &RunOptions::default(),
            &|_| true,
            &mut |_| {},
        ));
    }
    out
}

fn assert_all_pass(name: &str, at_least: usize) {
    let results = run(name, &mut ReferenceIut::new());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{} #{} {:?}: {}", r.file, r.tc_id, r.outcome, r.detail))
        .collect();
    assert!(
        failed.is_empty(),
        "the reference fails:\n{}",
        failed.join("\n")
    );
    assert!(
        results.len() >= at_least,
        "{name}: only {} cases",
        results.len()
    );
}

#[test]
fn reference_passes_every_dh_case() {
    assert_all_pass("dh", 60);
}

#[test]
fn reference_passes_every_pq_case() {
    assert_all_pass("pq", 250);
}

#[test]
fn reference_passes_every_handshake_case() {
    assert_all_pass("handshake", 30);
}

/// A client that never checks `new_nonce_hash` (it accepts any dh_gen_* as ok): the tampered
/// dh_gen transcripts must fail it.
struct SkipsNewNonceHash(ReferenceIut);

impl Iut for SkipsNewNonceHash {
    fn hello(&self) -> &Hello {
        self.0.hello()
    }
    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        match self.0.call(op, request) {
            Answer::Rejected { error } if error == "NewNonceHashMismatch" => {
                Answer::Ok(Fields::new())
            }
            other => other,
        }
    }
}

#[test]
fn a_client_that_skips_the_new_nonce_hash_check_fails_the_tampered_transcripts() {
    let results = run("handshake", &mut SkipsNewNonceHash(ReferenceIut::new()));
    let caught = results
        .iter()
        .filter(|r| r.expected_error.as_deref() == Some("NewNonceHashMismatch"))
        .filter(|r| r.outcome == Outcome::Fail)
        .count();
    assert!(caught >= 3, "{caught}");
}
