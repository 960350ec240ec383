//! Each client-role handshake case is refused by the reference client for the check it targets
//! (the driver's `handshake ok:false` detail names the error), so a pass means that check ran;
//! and the dh_gen_retry case fails a client that resends with a wrong retry_id.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mtproto_wire::case::{Action, HandshakeTamper};
use mtproto_wire::runner::{Driver, Outcome, RunOptions, run_client_case};
use mtproto_wire::suite::client_cases;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        ..RunOptions::default()
    }
}

fn tamper_of(c: &mtproto_wire::case::WireCase) -> Option<HandshakeTamper> {
    c.script.iter().find_map(|s| match s.action {
        Action::Handshake { tamper } => tamper,
        _ => None,
    })
}

/// The words of the reference's error for each tamper.
fn expected_error(t: HandshakeTamper) -> &'static str {
    use HandshakeTamper as T;
    match t {
        T::ResPqNonce | T::ServerDhNonce | T::ServerDhInnerNonce => "nonce",
        T::ServerDhServerNonce => "server_nonce",
        T::ResPqUnknownFingerprint => "fingerprint",
        T::ResPqPrimePq | T::ResPqThreeFactors => "pq",
        T::ServerDhAnswerHash | T::ServerDhInnerHash => "hash",
        T::DhPrimeNotSafe => "prime",
        T::DhGNotGenerator => "generator",
        T::GaOne | T::GaPMinusOne => "range",
        T::GaBelowMargin | T::GaAboveMargin => "unsafe",
        T::DhGenOkNonceHash => "new_nonce_hash",
        T::DhGenFail => "dh_gen_fail",
        _ => "",
    }
}

#[test]
fn each_handshake_case_is_refused_for_its_own_check() {
    let driver = Driver::reference_client();
    let mut wrong = Vec::new();
    for case in client_cases() {
        let Some(t) = tamper_of(&case) else { continue };
        if t == HandshakeTamper::DhGenRetry {
            continue;
        }
        let v = run_client_case(&case, &driver, &opts());
        let detail = v
            .events
            .iter()
            .find(|e| e["event"] == "handshake")
            .and_then(|e| e["detail"].as_str())
            .unwrap_or_default()
            .to_lowercase();
        eprintln!("{t:?}: {detail}");
        if v.outcome != Outcome::Pass || !detail.contains(expected_error(t)) {
            wrong.push(format!("{t:?}: {:?} {} / {detail}", v.outcome, v.detail));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The dh_gen_retry case passes the reference and fails a client that resends its first
/// set_client_DH_params (retry_id 0) after dh_gen_retry.
#[test]
fn the_retry_case_catches_a_stale_retry_id() {
    let case = client_cases()
        .into_iter()
        .find(|c| tamper_of(c) == Some(HandshakeTamper::DhGenRetry))
        .expect("a dh_gen_retry case");
    let v = run_client_case(&case, &Driver::reference_client(), &opts());
    assert_eq!(v.outcome, Outcome::Pass, "{}", v.detail);
    let stale = Driver::InProcess(std::sync::Arc::new(|env, out| {
        mtproto_wire::driver::run_client_with(env, out, &|c| c.stale_retry = true)
    }));
    let v = run_client_case(&case, &stale, &opts());
    assert_eq!(v.outcome, Outcome::Fail, "{}", v.detail);
    assert!(v.detail.contains("retry_id"), "{}", v.detail);
}
