//! The harness's client against the reference server driver (in-process) over every transport:
//! the server side of the shell (accepting every transport, handshake server, service messages)
//! works end to end. Also the building blocks: loopback-only binding, close detection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mtproto_wire::WireError;
use mtproto_wire::client::Client;
use mtproto_wire::driver::{self, Env};
use mtproto_wire::framing::{FramedConn, Limits, Transport};
use mtproto_wire::keys;
use mtproto_wire::net::{Conn, Deadline, Listener};
use mtproto_wire::rng::Rng;

fn start_server(t: &Transport) -> (std::net::SocketAddr, std::thread::JoinHandle<(i32, String)>) {
    let mut env = Env::new();
    env.insert(driver::ADDR.into(), "127.0.0.1:0".into());
    env.insert(driver::TRANSPORT.into(), t.name());
    env.insert(driver::SECRET.into(), t.secret_hex());
    env.insert(
        driver::RSA_PRIVATE.into(),
        keys::TEST_RSA_PRIVATE_PEM.into(),
    );
    env.insert(driver::TIMEOUT_MS.into(), "10000".into());
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        struct Tee(Vec<u8>, std::sync::mpsc::Sender<String>);
        impl std::io::Write for Tee {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let before = self.0.len();
                self.0.extend_from_slice(b);
                if b.contains(&b'\n') {
                    let text = String::from_utf8_lossy(&self.0).into_owned();
                    let done = text[..before].matches('\n').count();
                    for l in text.lines().skip(done) {
                        let _ = self.1.send(l.to_string());
                    }
                }
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut out = Tee(Vec::new(), tx);
        let code = driver::run_reference_server(&env, &mut out);
        (code, String::from_utf8_lossy(&out.0).into_owned())
    });
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["event"], "listening", "{first}");
    (v["addr"].as_str().unwrap().parse().unwrap(), h)
}

#[test]
fn the_client_pings_the_reference_server_over_every_transport() {
    for t in Transport::standard() {
        let (addr, server) = start_server(&t);
        let deadline = Deadline::after(Duration::from_secs(10));
        let conn = Conn::connect(addr, deadline).unwrap();
        let framed =
            FramedConn::client(conn, &t, 2, Rng::from_seed(3), Limits::default(), deadline)
                .unwrap();
        let mut c = Client::new(framed, Rng::from_seed(4));
        c.handshake(
            &[keys::public_key(keys::TEST_RSA_PUBLIC_PEM).unwrap()],
            2,
            deadline,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
        for id in [11, 12, 13] {
            assert_eq!(c.ping(id, deadline).unwrap(), id, "{}", t.name());
        }
        c.conn.close();
        let (code, out) = server.join().unwrap();
        assert_eq!(code, 0, "{}: {out}", t.name());
        assert!(
            out.contains("\"handshake\",\"ok\":true") || out.contains("\"ok\":true"),
            "{out}"
        );
    }
}

/// The fingerprint README.md documents.
const DOCUMENTED_FINGERPRINT: &str = "35f1339b4564853b";

#[test]
fn the_test_key_fingerprint_is_the_documented_one() {
    // Printed in harness/wire/README.md.
    assert_eq!(
        format!("{:016x}", keys::test_fingerprint().unwrap() as u64),
        DOCUMENTED_FINGERPRINT
    );
}

#[test]
fn only_loopback_addresses_are_bound_or_dialled() {
    let e = Listener::bind("0.0.0.0:0".parse().unwrap()).unwrap_err();
    assert!(matches!(e, WireError::Config { .. }), "{e}");
    let e = Conn::connect(
        "192.0.2.1:443".parse().unwrap(),
        Deadline::after(Duration::from_millis(100)),
    )
    .unwrap_err();
    assert!(matches!(e, WireError::Config { .. }), "{e}");
    let l = Listener::bind_loopback().unwrap();
    assert!(l.addr().ip().is_loopback() && l.addr().port() != 0);
}

#[test]
fn a_closed_peer_and_a_silent_peer_are_told_apart() {
    let l = Listener::bind_loopback().unwrap();
    let d = Deadline::after(Duration::from_secs(5));
    let c = Conn::connect(l.addr(), d).unwrap();
    let mut s = l.accept(d, || Ok(())).unwrap();
    let mut buf = [0u8; 4];
    let e = s
        .read_some(
            &mut buf,
            Deadline::after(Duration::from_millis(50)),
            "silence",
        )
        .unwrap_err();
    assert!(matches!(e, WireError::Timeout { .. }), "{e}");
    drop(c);
    let e = s
        .read_some(&mut buf, Deadline::after(Duration::from_secs(2)), "close")
        .unwrap_err();
    assert!(matches!(e, WireError::Closed { .. }), "{e}");
}

#[test]
fn a_frame_over_the_cap_is_refused_as_it_arrives() {
    // Intermediate with a declared length of 2 MiB (below the transport's 2^24 but above the
    // shell's 1 MiB cap): refused once the cap is passed, not after 2 MiB are buffered.
    let l = Listener::bind_loopback().unwrap();
    let d = Deadline::after(Duration::from_secs(5));
    let mut c = Conn::connect(l.addr(), d).unwrap();
    let s = l.accept(d, || Ok(())).unwrap();
    let t = Transport::plain(mtproto::transport::Kind::Intermediate);
    let writer = std::thread::spawn(move || {
        let mut bytes = vec![0xee; 4];
        bytes.extend_from_slice(&(2u32 << 20).to_le_bytes());
        bytes.extend(std::iter::repeat_n(0u8, (1 << 20) + 64 * 1024));
        let _ = c.write_all(&bytes, Deadline::after(Duration::from_secs(5)), "flood");
        c
    });
    let mut f = FramedConn::server(s, &t, Rng::from_seed(1), Limits::default(), d).unwrap();
    let e = f.recv(d, "a frame").unwrap_err();
    assert!(matches!(e, WireError::FrameTooLong { .. }), "{e}");
    drop(f);
    drop(writer.join());
}

#[test]
fn the_reference_server_answers_other_queries_with_rpc_error_and_acknowledges_them() {
    let t = Transport::plain(mtproto::transport::Kind::Abridged);
    let (addr, server) = start_server(&t);
    let deadline = Deadline::after(Duration::from_secs(10));
    let conn = Conn::connect(addr, deadline).unwrap();
    let framed =
        FramedConn::client(conn, &t, 2, Rng::from_seed(5), Limits::default(), deadline).unwrap();
    let mut c = Client::new(framed, Rng::from_seed(6));
    c.handshake(
        &[keys::public_key(keys::TEST_RSA_PUBLIC_PEM).unwrap()],
        2,
        deadline,
    )
    .unwrap();
    // A content-related query the server does not serve: an unknown constructor and an int.
    let query = [0x78, 0x56, 0x34, 0x12, 1, 0, 0, 0];
    let sent = c.send_body(&query, deadline, "unknown query").unwrap();
    let (mut error, mut acked, mut new_session) = (None, false, false);
    while error.is_none() || !acked {
        for m in c.recv_messages(deadline).unwrap() {
            let mut r = mtproto::codec::Reader::new(&m.body);
            match r.u32().unwrap() {
                mtproto_wire::tl::RPC_RESULT => {
                    assert_eq!(r.long().unwrap(), sent.msg_id);
                    assert_eq!(r.u32().unwrap(), mtproto_wire::tl::RPC_ERROR);
                    error = Some((r.int().unwrap(), r.tl_bytes().unwrap().to_vec()));
                    // "Server message identifiers modulo 4 yield 1 if the message is a response".
                    assert_eq!(m.msg_id & 3, 1);
                }
                mtproto_wire::tl::MSGS_ACK => {
                    let _vector = r.u32().unwrap();
                    let n = r.int().unwrap();
                    acked |= (0..n).any(|_| r.long().unwrap() == sent.msg_id);
                    assert_eq!(m.msg_id & 3, 3);
                }
                mtproto_wire::tl::NEW_SESSION_CREATED => {
                    assert_eq!(r.long().unwrap(), sent.msg_id, "first_msg_id");
                    new_session = true;
                }
                other => panic!("unexpected constructor {other:#x}"),
            }
        }
    }
    assert!(new_session);
    assert_eq!(error, Some((400, b"INPUT_METHOD_INVALID".to_vec())));
    c.conn.close();
    assert_eq!(server.join().unwrap().0, 0);
}

/// What a server answers to `decoy`, sent with an odd seq_no (`SeqNoOddForService`) on a fresh
/// session, then (unless the decoy is a ping) a valid ping: `"pong"` or `"code N"` for the decoy,
/// and whether the server noted a seq_no refusal it did not enforce.
fn odd_seq_no_answer(lenient: bool, decoy: Vec<u8>) -> (String, bool) {
    use mtproto_wire::case::Mutation;
    let t = Transport::plain(mtproto::transport::Kind::Intermediate);
    let listener = Listener::bind_loopback().unwrap();
    let addr = listener.addr();
    let deadline = Deadline::after(Duration::from_secs(10));
    let tc = t.clone();
    let client = std::thread::spawn(move || {
        let t = tc;
        let conn = Conn::connect(addr, deadline).unwrap();
        let framed =
            FramedConn::client(conn, &t, 2, Rng::from_seed(7), Limits::default(), deadline)
                .unwrap();
        let mut c = Client::new(framed, Rng::from_seed(8));
        let key = keys::public_key(keys::TEST_RSA_PUBLIC_PEM).unwrap();
        c.handshake(&[key], 2, deadline).unwrap();
        // A first ping takes the session's salt.
        c.ping(1, deadline).unwrap();
        let is_ping = mtproto_wire::tl::ping_id(&decoy).is_some();
        let sent = c
            .send_mutated(&decoy, Mutation::SeqNoOddForService, deadline, "odd seq_no")
            .unwrap();
        let truth = (!is_ping).then(|| {
            c.send_body(&mtproto_wire::tl::ping(3), deadline, "truth")
                .unwrap()
                .msg_id
        });
        let mut answer = "nothing".to_string();
        'recv: loop {
            for m in c.recv_messages(deadline).unwrap() {
                let mut r = mtproto::codec::Reader::new(&m.body);
                match r.u32().unwrap() {
                    mtproto_wire::tl::PONG => {
                        let req = mtproto_wire::tl::read_pong(&m.body).map(|p| p.0);
                        if req == Some(sent.msg_id) {
                            answer = "pong".to_string();
                            break 'recv;
                        }
                        if req.is_some() && req == truth {
                            break 'recv;
                        }
                    }
                    mtproto_wire::tl::BAD_MSG_NOTIFICATION => {
                        assert_eq!(r.long().unwrap(), sent.msg_id, "only the decoy is refused");
                        let _seq = r.int();
                        answer = format!("code {}", r.int().unwrap());
                    }
                    _ => {}
                }
            }
        }
        c.conn.close();
        answer
    });
    let conn = listener.accept(deadline, || Ok(())).unwrap();
    let framed =
        FramedConn::server(conn, &t, Rng::from_seed(9), Limits::default(), deadline).unwrap();
    let mut server = mtproto_wire::server::Server::new(framed, Rng::from_seed(10));
    server.lenient_seq_no = lenient;
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM).unwrap();
    server
        .handshake(std::slice::from_ref(&key), None, deadline, Duration::ZERO)
        .unwrap();
    let _ = server.serve(deadline);
    let answer = client.join().unwrap();
    let noted = server.conn.transcript.frames.iter().any(|f| {
        f.note
            .as_deref()
            .is_some_and(|n| n.contains("seq_no not enforced"))
    });
    (answer, noted)
}

/// A ping's parity is the client's choice (the description page excepts only acknowledgments
/// and containers from content-related messages; Telethon and GramJS send odd pings, the
/// Pyrogram forks even ones, Telegram serves both): the reference server (strict) and the
/// harness as Telegram for a client under test (`lenient_seq_no`) both answer a ping with an odd
/// seq_no, and neither counts it as a refusal. A server that reads every ping as a service
/// message answers code 34 here.
#[test]
fn a_ping_with_an_odd_seq_no_is_served_in_both_modes() {
    for lenient in [false, true] {
        let (answer, noted) = odd_seq_no_answer(lenient, mtproto_wire::tl::ping(2));
        assert_eq!(answer, "pong", "lenient_seq_no = {lenient}");
        assert!(!noted, "lenient_seq_no = {lenient}: nothing was refused");
    }
}

/// An acknowledgment is never content-related, so an odd seq_no on it is refused with code 34
/// by the reference server; the harness as Telegram for a client under test serves it anyway
/// and notes the refusal in the transcript.
#[test]
fn an_acknowledgment_with_an_odd_seq_no_gets_34_unless_lenient() {
    let (strict, noted) = odd_seq_no_answer(false, mtproto_wire::tl::msgs_ack(&[5]));
    assert_eq!(strict, "code 34");
    assert!(!noted);
    let (lenient, noted) = odd_seq_no_answer(true, mtproto_wire::tl::msgs_ack(&[5]));
    assert_eq!(lenient, "nothing");
    assert!(noted, "the refusal is noted in the transcript");
}
