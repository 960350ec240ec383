//! Transcript notes decode what the harness receives with the reference's TL module: the
//! handshake messages both ways and the encrypted messages of the session, containers included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mtproto_wire::runner::{Driver, RunOptions, run_client_case, run_server_case};
use mtproto_wire::suite::{client_cases, server_cases};
use mtproto_wire::tl;
use mtproto_wire::transcript::Dir;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        ..RunOptions::default()
    }
}

#[test]
fn the_reference_tl_decodes_service_bodies_and_containers() {
    let (_, req_pq) = mtproto::handshake::client::start([7; 16]);
    assert!(tl::describe(&req_pq).contains("\"req_pq_multi\""));
    let c = tl::container(&[(4, 1, &tl::ping(5)), (8, 2, &tl::msgs_ack(&[3]))]);
    let d = tl::describe(&c);
    assert!(
        d.contains("\"ping_id\":5") && d.contains("\"msg_ids\":[3]"),
        "{d}"
    );
    let d = tl::describe(&tl::rpc_error_result(12, 400, "X"));
    assert!(d.contains("\"error_code\":400"), "{d}");
}

/// Every frame the harness received in a valid case carries a decoded note.
#[test]
fn received_frames_carry_decoded_tl() {
    let c = client_cases().into_iter().next().unwrap();
    let v = run_client_case(&c, &Driver::reference_client(), &opts());
    let notes: Vec<String> = v
        .transcript
        .iter()
        .filter(|f| f.dir == Dir::Received && f.kind == "payload")
        .map(|f| f.note.clone().unwrap_or_default())
        .collect();
    for want in [
        "req_pq_multi",
        "req_DH_params",
        "set_client_DH_params",
        "\"ping\"",
    ] {
        assert!(notes.iter().any(|n| n.contains(want)), "{want}: {notes:?}");
    }
    let s = server_cases().into_iter().next().unwrap();
    let v = run_server_case(&s, &Driver::reference_server(), &opts());
    let notes: Vec<String> = v
        .transcript
        .iter()
        .filter(|f| f.dir == Dir::Received && f.kind == "payload")
        .map(|f| f.note.clone().unwrap_or_default())
        .collect();
    for want in [
        "resPQ",
        "server_DH_params_ok",
        "dh_gen_ok",
        "pong",
        "new_session_created",
    ] {
        assert!(notes.iter().any(|n| n.contains(want)), "{want}: {notes:?}");
    }
}
