//! The session layer: generators, one test per receiver rule (named after the bug it catches),
//! containers, salts, acks, and the state-machine property test against the plain model in
//! `harness/fuzzing/src/session_model.rs`, included here by path (it uses only `std`).

use mtproto::error::SessionError;
use mtproto::session::{
    AckQueue, ClientConfig, ClientReceiver, FutureSalt, Inbound, InnerHeader, MAX_ACK_IDS,
    MsgIdGenerator, MsgIdKind, MsgIdWindow, SaltSchedule, SeqNoGenerator, ServerConfig,
    ServerReceiver, WindowRefusal, msg_id_time, msgs_ack_body, parse_container,
};
use mtproto::{ProtocolError, Reaction, Receiver};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

#[path = "../../fuzzing/src/session_model.rs"]
mod session_model;

use session_model::{Inner, Model, Msg, V};

const T0: i64 = 1_700_000_000;
const SID: i64 = 0x1234_5678_9abc_def0;
const SALT: i64 = 0x5a17;

fn client(window: usize, synced: bool) -> ClientReceiver {
    ClientReceiver::new(
        SID,
        ClientConfig {
            window,
            clock_synced: synced,
        },
    )
}

fn server(window: usize) -> ServerReceiver {
    let salts = SaltSchedule::new(&[FutureSalt {
        salt: SALT,
        valid_since: T0 - 1800,
        valid_until: T0 + 1800,
    }]);
    ServerReceiver::new(SID, ServerConfig { window }, salts)
}

fn cid(t: i64, k: i64) -> i64 {
    ((T0 + t) << 32) | (k * 4 + 1)
}

fn sid(t: i64, k: i64) -> i64 {
    ((T0 + t) << 32) | (k * 4)
}

fn msg(id: i64, seq: i32, content: bool) -> Inbound {
    Inbound {
        session_id: SID,
        salt: SALT,
        msg_id: id,
        seq_no: seq,
        content_related: content,
    }
}

/// Accepted, whatever the ack state.
fn ok<T>(r: Result<T, SessionError>) {
    if let Err(e) = r {
        panic!("rejected: {e}");
    }
}

fn name(r: Result<impl Sized, SessionError>) -> &'static str {
    match r {
        Ok(_) => "accept",
        Err(e) => e.name(),
    }
}

// Generators ------------------------------------------------------------------------------------

#[test]
fn client_msg_ids_divisible_by_4_and_increasing_when_the_clock_stalls_or_goes_back() {
    let mut g = MsgIdGenerator::new();
    let mut last = 0;
    for (secs, nanos) in [
        (100, 5),
        (100, 5),
        (100, 0),
        (99, 999_999_999),
        (101, 0),
        (50, 0),
    ] {
        let id = g.next(secs, nanos, MsgIdKind::Client).unwrap();
        assert_eq!(id % 4, 0);
        assert!(id > last, "{id} after {last}");
        assert_ne!(id & 0xffff_ffff, 0, "the low 32 bits are never empty");
        last = id;
    }
    // The fraction of a second is in the low bits.
    let mut g = MsgIdGenerator::new();
    let half = g.next(1000, 500_000_000, MsgIdKind::Client).unwrap();
    assert_eq!(half >> 32, 1000);
    assert_eq!(half & 0xffff_ffff, 0x8000_0000);
    assert_eq!(msg_id_time(half), 1000);
}

#[test]
fn server_msg_ids_are_1_mod_4_for_responses_and_3_otherwise() {
    let mut g = MsgIdGenerator::new();
    for _ in 0..5 {
        let r = g.next(7, 0, MsgIdKind::ServerResponse).unwrap();
        assert_eq!(r % 4, 1);
        let o = g.next(7, 0, MsgIdKind::ServerOther).unwrap();
        assert_eq!(o % 4, 3);
        assert!(o > r);
    }
}

#[test]
fn msg_id_generator_refuses_to_wrap() {
    let mut g = MsgIdGenerator::new();
    assert!(g.next(u32::MAX, 999_999_999, MsgIdKind::Client).is_some());
    let mut n = 0;
    while g.next(u32::MAX, 999_999_999, MsgIdKind::Client).is_some() {
        n += 1;
        assert!(n < 100, "never wraps");
    }
}

#[test]
fn seq_no_counts_content_related_messages() {
    let mut g = SeqNoGenerator::new();
    let got: Vec<i32> = [false, true, true, false, true, false]
        .iter()
        .map(|&c| g.next(c).unwrap())
        .collect();
    assert_eq!(got, [0, 1, 3, 4, 5, 6]);
    assert_eq!(g.content_count(), 3);
}

// Client receiver -------------------------------------------------------------------------------

#[test]
fn client_ignores_even_msg_ids_parity() {
    let mut r = client(1000, true);
    assert_eq!(name(r.check_msg_id(T0, cid(0, 1) - 1)), "MsgIdParity");
    assert_eq!(name(r.check_msg_id(T0, cid(0, 1) + 1)), "MsgIdParity");
    assert_eq!(name(r.check_msg_id(T0, cid(0, 1) + 2)), "accept");
}

#[test]
fn client_ignores_duplicates_and_older_replays_keep_only_newest() {
    let mut r = client(1000, true);
    for k in 1..=3 {
        r.check_msg_id(T0, cid(0, k)).unwrap();
    }
    for k in 1..=3 {
        assert_eq!(name(r.check_msg_id(T0, cid(0, k))), "Duplicate");
    }
}

#[test]
fn client_replay_after_out_of_order_highest_seen_moves_backwards() {
    let mut r = client(1000, true);
    r.check_msg_id(T0, cid(0, 1)).unwrap();
    r.check_msg_id(T0, cid(0, 3)).unwrap();
    r.check_msg_id(T0, cid(0, 2)).unwrap();
    assert_eq!(name(r.check_msg_id(T0, cid(0, 3))), "Duplicate");
}

#[test]
fn client_too_old_once_window_full_lower_than_all_rule() {
    let mut r = client(3, true);
    r.check_msg_id(T0, cid(0, 5)).unwrap();
    // Not full: a lower id is accepted.
    r.check_msg_id(T0, cid(0, 2)).unwrap();
    r.check_msg_id(T0, cid(0, 7)).unwrap();
    assert_eq!(name(r.check_msg_id(T0, cid(0, 1))), "TooOld");
    r.check_msg_id(T0, cid(0, 3)).unwrap(); // evicts 2
    assert_eq!(
        r.window().iter().collect::<Vec<_>>(),
        [cid(0, 3), cid(0, 5), cid(0, 7)]
    );
    assert_eq!(name(r.check_msg_id(T0, cid(0, 2))), "TooOld");
    assert_eq!(r.window().len(), 3);
}

#[test]
fn client_time_window_boundaries_when_synced_only() {
    let now = T0 + 1000;
    let mut r = client(1000, true);
    assert_eq!(name(r.check_msg_id(now, ((now - 300) << 32) | 1)), "accept");
    assert_eq!(
        name(r.check_msg_id(now, ((now - 300) << 32) - 1)),
        "TimeTooFarPast"
    );
    assert_eq!(
        name(r.check_msg_id(now, ((now + 29) << 32) | 0xffff_ffff)),
        "accept"
    );
    assert_eq!(
        name(r.check_msg_id(now, ((now + 30) << 32) | 1)),
        "TimeTooFarFuture"
    );
    assert_eq!(
        name(r.check_msg_id(now, -1)),
        "TimeTooFarFuture",
        "ids compare unsigned"
    );
    let mut r = client(1000, false);
    assert_eq!(
        name(r.check_msg_id(now, ((now - 3000) << 32) | 1)),
        "accept"
    );
    assert_eq!(
        name(r.check_msg_id(now, ((now + 3000) << 32) | 1)),
        "accept"
    );
    r.set_clock_synced(true);
    assert_eq!(
        name(r.check_msg_id(now, ((now + 3001) << 32) | 1)),
        "TimeTooFarFuture"
    );
}

#[test]
fn client_check_order_parity_time_duplicate() {
    let mut r = client(1000, true);
    r.check_msg_id(T0, cid(0, 1)).unwrap();
    // A duplicate that is also too old is a time error; an even id far away a parity error.
    assert_eq!(name(r.check_msg_id(T0 + 400, cid(0, 1))), "TimeTooFarPast");
    assert_eq!(name(r.check_msg_id(T0, cid(9999, 1) - 1)), "MsgIdParity");
}

#[test]
fn client_rejected_msg_id_not_remembered() {
    let mut r = client(1000, true);
    assert_eq!(name(r.check_msg_id(T0, cid(40, 1))), "TimeTooFarFuture");
    assert_eq!(name(r.check_msg_id(T0 + 20, cid(40, 1))), "accept");
}

#[test]
fn client_session_mismatch_and_reactions_are_ignore() {
    let mut r = client(1000, true);
    let mut m = msg(cid(0, 1), 1, true);
    m.session_id = SID + 1;
    let e = r.receive(T0, &m).unwrap_err();
    assert_eq!(e.name(), "SessionIdMismatch");
    assert_eq!(e.reaction(), Reaction::Ignore);
    m.session_id = SID;
    assert!(r.receive(T0, &m).is_ok());
    let e = r.receive(T0, &m).unwrap_err();
    assert_eq!((e.name(), e.reaction()), ("Duplicate", Reaction::Ignore));
}

#[test]
fn client_time_exempt_service_message_skips_only_the_time_window() {
    let mut r = client(1000, true);
    let late = msg(cid(-5000, 1), 0, false);
    assert_eq!(name(r.receive(T0, &late)), "TimeTooFarPast");
    assert_eq!(name(r.receive_time_exempt(&late)), "accept");
    assert_eq!(name(r.receive_time_exempt(&late)), "Duplicate");
    assert_eq!(
        name(r.receive_time_exempt(&msg(cid(-5000, 2) - 1, 0, false))),
        "MsgIdParity"
    );
}

#[test]
fn client_acks_every_content_related_message() {
    let mut r = client(1000, true);
    for k in 1..=17 {
        let a = r.receive(T0, &msg(cid(0, k), 1, true)).unwrap();
        assert_eq!(a.ack_due, k > 16);
    }
    ok(r.receive(T0, &msg(cid(0, 100), 0, false)));
    assert_eq!(
        r.acks().pending().len(),
        17,
        "a non-content-related message is not acked"
    );
    let mut out = Vec::new();
    r.acks().drain_into(&mut out);
    assert_eq!(out.len(), 4 + 4 + 4 + 17 * 8);
    assert_eq!(&out[..4], &0x62d6_b459u32.to_le_bytes());
    assert_eq!(&out[4..8], &0x1cb5_c415u32.to_le_bytes());
    assert_eq!(&out[8..12], &17i32.to_le_bytes());
    assert_eq!(&out[12..20], &cid(0, 1).to_le_bytes());
    assert!(r.acks().pending().is_empty());
}

#[test]
fn reset_forgets_the_session_and_keeps_the_memory() {
    let mut c = client(4, true);
    for k in 1..=6 {
        ok(c.receive(T0, &msg(cid(0, k), 1, true)));
    }
    let heap = c.window().heap_bytes();
    c.reset(SID ^ 1);
    assert_eq!(
        c,
        ClientReceiver::new(
            SID ^ 1,
            ClientConfig {
                window: 4,
                clock_synced: true
            }
        )
    );
    assert_eq!(c.window().heap_bytes(), heap, "the ring was reallocated");
    assert_eq!(c.acks().heap_bytes(), MAX_ACK_IDS * 8);
    // A msg_id of the old session is new again.
    ok(c.receive(
        T0,
        &Inbound {
            session_id: SID ^ 1,
            ..msg(cid(0, 6), 1, true)
        },
    ));

    let mut s = server(4);
    ok(s.receive(T0, &msg(sid(0, 1), 1, true)));
    ok(s.receive(T0, &msg(sid(0, 2), 3, true)));
    assert_eq!(s.content_count(), 2);
    s.reset(SID);
    assert_eq!(s, server(4));
    // seq_no restarts: 1 is the next content-related seq_no again.
    ok(s.receive(T0, &msg(sid(0, 2), 1, true)));
}

#[test]
fn ack_backlog_full_refuses_without_remembering() {
    let mut q = AckQueue::new();
    for i in 0..MAX_ACK_IDS {
        assert!(q.push(i as i64));
    }
    assert!(!q.push(1));
    let mut out = Vec::new();
    msgs_ack_body(&vec![7; MAX_ACK_IDS + 5], &mut out);
    assert_eq!(
        out.len(),
        12 + MAX_ACK_IDS * 8,
        "at most 8192 ids per msgs_ack"
    );

    let mut r = client(MAX_ACK_IDS + 10, false);
    for k in 0..MAX_ACK_IDS as i64 {
        ok(r.receive(T0, &msg(cid(0, k), 1, true)));
    }
    let next = msg(cid(0, 99_999), 1, true);
    let e = r.receive(T0, &next).unwrap_err();
    assert_eq!(
        (e.name(), e.reaction()),
        ("AckBacklogFull", Reaction::Refuse)
    );
    r.acks().drain_into(&mut Vec::new());
    assert!(
        r.receive(T0, &next).is_ok(),
        "the refused id was not remembered"
    );
}

#[test]
fn client_container_rules() {
    let inner = |id, c| InnerHeader {
        msg_id: id,
        seq_no: 1,
        content_related: true,
        is_container: c,
    };
    let mut r = client(1000, true);
    let cont = msg(cid(0, 10), 2, false);
    let nested = [inner(cid(0, 8), true)];
    assert_eq!(
        name(r.receive_container(T0, &cont, &nested)),
        "ContainerNested"
    );
    let big: Vec<_> = (0..1025).map(|k| inner(cid(0, 0) - 4 * k, false)).collect();
    assert_eq!(
        name(r.receive_container(T0, &cont, &big)),
        "ContainerTooLarge"
    );
    assert_eq!(name(r.receive_container(T0, &cont, &big[..1024])), "accept");
    let mut r = client(1000, true);
    assert_eq!(
        name(r.receive_container(T0, &cont, &[inner(cid(0, 10), false)])),
        "ContainerMsgIdNotGreatest"
    );
    assert_eq!(
        name(r.receive_container(T0, &cont, &[inner(cid(0, 9), false)])),
        "accept"
    );
    assert_eq!(name(r.receive_inner(&inner(cid(0, 9), false))), "accept");
    assert_eq!(name(r.receive_inner(&inner(cid(0, 9), false))), "Duplicate");
    // The nested message's time is the container's business.
    assert_eq!(
        name(r.receive_inner(&inner(cid(-9999, 1), false))),
        "accept"
    );
}

// Server receiver -------------------------------------------------------------------------------

fn code(r: Result<impl Sized, SessionError>) -> Option<i32> {
    r.err().and_then(|e| e.bad_msg_code())
}

#[test]
fn server_codes_16_17_18_parity_and_time() {
    let mut r = server(1000);
    assert_eq!(code(r.receive(T0, &msg(sid(0, 1) + 2, 1, true))), Some(18));
    assert_eq!(code(r.receive(T0, &msg(sid(-301, 1), 1, true))), Some(16));
    assert_eq!(code(r.receive(T0, &msg(sid(31, 1), 1, true))), Some(17));
    assert_eq!(code(r.receive(T0, &msg((T0 + 30) << 32, 0, false))), None);
}

#[test]
fn server_ignores_duplicates_and_answers_20_when_too_old() {
    let mut r = server(2);
    ok(r.receive(T0, &msg(sid(0, 1), 0, false)));
    ok(r.receive(T0, &msg(sid(0, 2), 0, false)));
    let e = r.receive(T0, &msg(sid(0, 2), 0, false)).unwrap_err();
    assert_eq!((e.name(), e.reaction()), ("Duplicate", Reaction::Ignore));
    ok(r.receive(T0, &msg(sid(0, 3), 0, false)));
    assert_eq!(code(r.receive(T0, &msg(sid(0, 1), 0, false))), Some(20));
}

#[test]
fn server_seq_no_parity_34_35() {
    let mut r = server(1000);
    assert_eq!(code(r.receive(T0, &msg(sid(0, 1), 1, false))), Some(34));
    assert_eq!(code(r.receive(T0, &msg(sid(0, 2), 0, true))), Some(35));
}

#[test]
fn server_seq_no_order_32_33() {
    let mut r = server(1000);
    assert_eq!(code(r.receive(T0, &msg(sid(0, 1), 3, true))), Some(33));
    ok(r.receive(T0, &msg(sid(0, 2), 1, true)));
    assert_eq!(code(r.receive(T0, &msg(sid(0, 3), 1, true))), Some(32));
    assert_eq!(r.content_count(), 1);
}

#[test]
fn server_refuses_the_reordering_attack() {
    // Albrecht et al., "Four Attacks and a Proof for Telegram", attack 1: m1 (seq 1) and m2
    // (seq 3) delivered as m2, m1.
    let mut r = server(1000);
    let m1 = msg(sid(0, 1), 1, true);
    let m2 = msg(sid(0, 2), 3, true);
    assert_eq!(code(r.receive(T0, &m2)), Some(33));
    ok(r.receive(T0, &m1));
    ok(r.receive(T0, &m2));
    // A lower msg_id with the next seq_no after a higher one was accepted.
    let mut r = server(1000);
    ok(r.receive(T0, &msg(sid(0, 5), 1, true)));
    assert_eq!(code(r.receive(T0, &msg(sid(0, 4), 3, true))), Some(33));
    // Acks (same even seq_no) may come in either order.
    ok(r.receive(T0, &msg(sid(0, 7), 2, false)));
    ok(r.receive(T0, &msg(sid(0, 6), 2, false)));
}

#[test]
fn server_salts_rotate_and_overlap_48() {
    let salts = SaltSchedule::new(&[
        FutureSalt {
            salt: 1,
            valid_since: 0,
            valid_until: 3600,
        },
        FutureSalt {
            salt: 2,
            valid_since: 1800,
            valid_until: 5400,
        },
    ]);
    assert!(salts.accepts(1, 0) && !salts.accepts(1, 3600) && !salts.accepts(2, 1799));
    assert!(salts.accepts(1, 2000) && salts.accepts(2, 2000));
    assert_eq!(salts.current(2000), Some(2));
    assert_eq!(salts.current(100), Some(1));
    let mut s = salts.clone();
    assert!(s.rotate(
        3600,
        FutureSalt {
            salt: 3,
            valid_since: 3600,
            valid_until: 7200
        }
    ));
    assert_eq!(s.salts().len(), 2, "the expired salt is forgotten");

    let mut r = server(1000);
    let mut m = msg(sid(0, 1), 1, true);
    m.salt = 99;
    let e = r.receive(T0, &m).unwrap_err();
    assert_eq!((e.name(), e.bad_msg_code()), ("BadServerSalt", Some(48)));
    m.salt = SALT;
    ok(r.receive(T0, &m));
}

#[test]
fn server_session_mismatch_is_discarded() {
    let mut r = server(1000);
    let mut m = msg(sid(0, 1), 1, true);
    m.session_id = 5;
    let e = r.receive(T0, &m).unwrap_err();
    assert_eq!(
        (e.name(), e.reaction()),
        ("SessionIdMismatch", Reaction::Discard)
    );
}

#[test]
fn server_container_rules_19_34_64() {
    let inner = |id, seq, content| InnerHeader {
        msg_id: id,
        seq_no: seq,
        content_related: content,
        is_container: false,
    };
    let mut r = server(1000);
    ok(r.receive(T0, &msg(sid(0, 20), 0, false)));
    let good = [inner(sid(0, 21), 1, true), inner(sid(0, 22), 3, true)];
    assert_eq!(
        code(r.receive_container(T0, &msg(sid(0, 20), 4, false), &good)),
        Some(19)
    );
    assert_eq!(
        code(r.receive_container(T0, &msg(sid(0, 30), 5, false), &good)),
        Some(34)
    );
    assert_eq!(
        code(r.receive_container(T0, &msg(sid(0, 30), 2, false), &good)),
        Some(64),
        "seq_no below nested"
    );
    let mut nested = good;
    nested[0].is_container = true;
    assert_eq!(
        code(r.receive_container(T0, &msg(sid(0, 30), 4, false), &nested)),
        Some(64)
    );
    assert_eq!(
        code(r.receive_container(T0, &msg(sid(0, 21), 4, false), &good)),
        Some(64),
        "nested id not lower"
    );
    r.receive_container(T0, &msg(sid(0, 30), 4, false), &good)
        .unwrap();
    for m in &good {
        ok(r.receive_inner(m));
    }
    assert_eq!(r.content_count(), 2);
    ok(r.receive(T0, &msg(sid(0, 31), 5, true)));
    assert_eq!(
        SessionError::ContainerTooLarge {
            receiver: Receiver::Server
        }
        .bad_msg_code(),
        Some(64)
    );
}

#[test]
fn container_bytes_parse_without_allocation_and_stop_at_garbage() {
    let mut body = Vec::new();
    body.extend_from_slice(&0x73f1_f8dcu32.to_le_bytes());
    body.extend_from_slice(&2i32.to_le_bytes());
    for (id, seq, inner) in [
        (8i64, 1i32, &0x62d6_b459u32.to_le_bytes()),
        (9, 3, &0x73f1_f8dcu32.to_le_bytes()),
    ] {
        body.extend_from_slice(&id.to_le_bytes());
        body.extend_from_slice(&seq.to_le_bytes());
        body.extend_from_slice(&4i32.to_le_bytes());
        body.extend_from_slice(inner);
    }
    let it = parse_container(&body).unwrap().unwrap();
    assert_eq!(it.declared(), 2);
    let msgs: Vec<_> = it.map(Result::unwrap).collect();
    assert_eq!(
        (msgs[0].msg_id, msgs[0].seq_no, msgs[1].is_container()),
        (8, 1, true)
    );
    assert!(parse_container(&[1, 2, 3, 4]).is_none());
    // A declared count beyond the bytes: one error, then the iterator ends.
    let mut short = body[..8].to_vec();
    short[4] = 200;
    let errs: Vec<_> = parse_container(&short).unwrap().unwrap().collect();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].is_err());
    let mut negative = body[..8].to_vec();
    negative[7] = 0x80;
    assert!(parse_container(&negative).unwrap().is_err());
}

#[test]
fn window_memory_is_bounded_whatever_the_traffic() {
    let mut w = MsgIdWindow::new(100);
    let bytes = w.state_bytes();
    for i in 0..10_000i64 {
        let id = if i % 3 == 0 {
            1_000_000 - i * 4
        } else {
            1_000_000 + i * 4
        };
        let _ = w.check_and_insert(id);
    }
    assert_eq!(w.len(), 100);
    assert_eq!(w.state_bytes(), bytes, "no growth");
    assert_eq!(
        w.check_and_insert(w.highest().unwrap()),
        Err(WindowRefusal::Duplicate)
    );
    assert_eq!(w.check_and_insert(0), Err(WindowRefusal::TooOld));
    assert_eq!(MsgIdWindow::new(0).capacity(), 1);
}

#[test]
fn server_reactions_are_the_spec_codes() {
    use SessionError as E;
    let s = Receiver::Server;
    let table = [
        (E::TimeTooFarPast { receiver: s }, 16),
        (E::TimeTooFarFuture { receiver: s }, 17),
        (E::MsgIdParity { receiver: s }, 18),
        (E::ContainerMsgIdReused, 19),
        (E::TooOld { receiver: s }, 20),
        (E::SeqNoTooLow, 32),
        (E::SeqNoTooHigh, 33),
        (E::SeqNoShouldBeEven, 34),
        (E::SeqNoShouldBeOdd, 35),
        (E::BadServerSalt, 48),
        (E::ContainerNested { receiver: s }, 64),
    ];
    for (e, c) in table {
        assert_eq!(e.reaction(), Reaction::BadMsgNotification(c), "{e}");
    }
    for e in [
        E::TooOld {
            receiver: Receiver::Client,
        },
        E::MsgIdParity {
            receiver: Receiver::Client,
        },
    ] {
        assert_eq!(e.reaction(), Reaction::Ignore);
    }
}

// State machine: the real receivers against the plain model --------------------------------------

/// One delivery to both receivers.
#[derive(Clone, Debug)]
enum Op {
    Deliver(Msg),
    Container(Msg, Vec<Inner>),
}

#[derive(Clone, Debug)]
struct RefState {
    model: Model,
    now: i64,
    /// Every msg_id delivered so far (for replays and reorderings).
    seen: Vec<i64>,
    /// The verdicts of the last op.
    last: (V, Option<Vec<V>>),
}

struct Setup;

/// Salts rotating every 1800 s with 1800 s of overlap.
fn salts() -> Vec<(i64, i64, i64)> {
    (0..8)
        .map(|i| (100 + i, T0 + 1800 * (i - 1), T0 + 1800 * (i + 1)))
        .collect()
}

impl ReferenceStateMachine for Setup {
    type State = RefState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<RefState> {
        (
            any::<bool>(),
            prop_oneof![Just(1000usize), 1usize..8],
            any::<bool>(),
        )
            .prop_map(|(server, window, synced)| {
                let model = if server {
                    Model::server(SID, window, salts(), None)
                } else {
                    Model::client(SID, window, synced, None)
                };
                RefState {
                    model,
                    now: T0,
                    seen: Vec::new(),
                    last: (V::Accept, None),
                }
            })
            .boxed()
    }

    fn transitions(state: &RefState) -> BoxedStrategy<Op> {
        let server = state.model.server;
        let now = state.now;
        let seen = state.seen.clone();
        let parity = |id: i64, bits: i64| (id & !3) | (bits & 3);
        let good_bits = if server {
            Just(0i64).boxed()
        } else {
            prop_oneof![Just(1i64), Just(3i64)].boxed()
        };
        // A msg_id from a sender clock near `now` (skewed up to -400 s / +60 s).
        let fresh = (
            -400i64..60,
            0i64..(1 << 30),
            prop_oneof![8 => good_bits, 1 => 0i64..4],
        )
            .prop_map(move |(skew, frac, bits)| parity(((now + skew) << 32) | (frac << 2), bits));
        let replay = if seen.is_empty() {
            fresh.clone().boxed()
        } else {
            proptest::sample::select(seen).boxed()
        };
        let id = prop_oneof![4 => fresh.clone(), 2 => replay];
        let seq = (0i32..12, any::<bool>());
        let salt = prop_oneof![6 => (0i64..8).prop_map(|i| 100 + i), 1 => Just(7i64)];
        let session = prop_oneof![12 => Just(SID), 1 => Just(SID ^ 1)];
        let clock = -100i64..500;
        let msg = (id, seq, salt, session, clock).prop_map(
            move |(id, (seq, content), salt, session_id, dt)| Msg {
                now: now + dt.max(0) * i64::from(dt > 400),
                session_id,
                salt,
                msg_id: id,
                seq_no: seq,
                content_related: content,
            },
        );
        let inner = proptest::collection::vec(
            (
                fresh,
                0i32..12,
                any::<bool>(),
                proptest::bool::weighted(0.05),
            ),
            0..5,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(msg_id, seq_no, content_related, is_container)| Inner {
                    msg_id,
                    seq_no,
                    content_related,
                    is_container,
                })
                .collect::<Vec<_>>()
        });
        prop_oneof![
            6 => msg.clone().prop_map(Op::Deliver),
            1 => (msg, inner).prop_map(|(mut m, mut inner)| {
                m.content_related = false;
                m.seq_no &= !1;
                // Mostly well-formed: nested ids below the container's.
                for (k, i) in inner.iter_mut().enumerate() {
                    if i.msg_id >= m.msg_id && k % 2 == 0 {
                        i.msg_id = m.msg_id.wrapping_sub(4 * (k as i64 + 1));
                    }
                }
                Op::Container(m, inner)
            }),
        ]
        .boxed()
    }

    fn apply(mut state: RefState, op: &Op) -> RefState {
        match op {
            Op::Deliver(m) => {
                state.now = state.now.max(m.now);
                state.last = (state.model.feed(m), None);
                state.seen.push(m.msg_id);
            }
            Op::Container(m, inner) => {
                state.now = state.now.max(m.now);
                state.last = state.model.feed_container(m, inner);
                state.seen.push(m.msg_id);
                state.seen.extend(inner.iter().map(|i| i.msg_id));
            }
        }
        state
    }
}

enum Sut {
    Client(ClientReceiver),
    Server(ServerReceiver),
}

fn to_v(r: Result<(), SessionError>) -> V {
    match r {
        Ok(()) => V::Accept,
        Err(e) => match e.reaction() {
            Reaction::BadMsgNotification(c) => V::Bad(c),
            _ => V::Ignore(e.name()),
        },
    }
}

impl StateMachineTest for Setup {
    type SystemUnderTest = Sut;
    type Reference = Setup;

    fn init_test(state: &RefState) -> Sut {
        let m = &state.model;
        if m.server {
            let salts: Vec<FutureSalt> = m
                .salts
                .iter()
                .map(|&(salt, valid_since, valid_until)| FutureSalt {
                    salt,
                    valid_since,
                    valid_until,
                })
                .collect();
            Sut::Server(ServerReceiver::new(
                SID,
                ServerConfig { window: m.window },
                SaltSchedule::new(&salts),
            ))
        } else {
            Sut::Client(ClientReceiver::new(
                SID,
                ClientConfig {
                    window: m.window,
                    clock_synced: m.synced,
                },
            ))
        }
    }

    fn apply(mut sut: Sut, state: &RefState, op: Op) -> Sut {
        let got = match (&mut sut, &op) {
            (Sut::Client(r), Op::Deliver(m)) => {
                (to_v(r.receive(m.now, &inbound(m)).map(|_| ())), None)
            }
            (Sut::Server(r), Op::Deliver(m)) => {
                (to_v(r.receive(m.now, &inbound(m)).map(|_| ())), None)
            }
            (Sut::Client(r), Op::Container(m, inner)) => {
                let hs = headers(inner);
                let top = to_v(r.receive_container(m.now, &inbound(m), &hs));
                let each = (top == V::Accept).then(|| {
                    hs.iter()
                        .map(|h| to_v(r.receive_inner(h).map(|_| ())))
                        .collect()
                });
                (top, each)
            }
            (Sut::Server(r), Op::Container(m, inner)) => {
                let hs = headers(inner);
                let top = to_v(r.receive_container(m.now, &inbound(m), &hs));
                let each = (top == V::Accept).then(|| {
                    hs.iter()
                        .map(|h| to_v(r.receive_inner(h).map(|_| ())))
                        .collect()
                });
                (top, each)
            }
        };
        assert_eq!(got, state.last, "{op:?}");
        // Keep the ack queue from filling: a real endpoint sends its acks.
        match &mut sut {
            Sut::Client(r) => r.acks().drain_into(&mut Vec::new()),
            Sut::Server(r) => r.acks().drain_into(&mut Vec::new()),
        }
        sut
    }

    fn check_invariants(sut: &Sut, state: &RefState) {
        let window = match sut {
            Sut::Client(r) => r.window(),
            Sut::Server(r) => r.window(),
        };
        assert_eq!(
            window.iter().collect::<Vec<_>>(),
            state.model.stored(),
            "the stored msg_ids agree"
        );
        assert!(window.len() <= window.capacity());
    }
}

fn inbound(m: &Msg) -> Inbound {
    Inbound {
        session_id: m.session_id,
        salt: m.salt,
        msg_id: m.msg_id,
        seq_no: m.seq_no,
        content_related: m.content_related,
    }
}

fn headers(inner: &[Inner]) -> Vec<InnerHeader> {
    inner
        .iter()
        .map(|i| InnerHeader {
            msg_id: i.msg_id,
            seq_no: i.seq_no,
            content_related: i.content_related,
            is_container: i.is_container,
        })
        .collect()
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    /// Deliver / replay / reorder / skew-clock / rotate-salt sequences: the real receivers give
    /// the model's verdict at every step and store the same msg_ids.
    #[test]
    fn receivers_agree_with_the_plain_model(sequential 1..60 => Setup);
}
