//! Each [`Mutation`] is rejected by the reference client for exactly the check it targets: the
//! decoy of a case cannot be dropped for another reason (which would leave its check untested).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtproto::envelope::{self, Receiver};
use mtproto::session::{
    ClientConfig, ClientReceiver, FutureSalt, Inbound, InnerHeader, MsgIdKind, SaltSchedule,
    ServerConfig, ServerReceiver, parse_container,
};
use mtproto::{AuthKey, Direction, ProtocolError};
use mtproto_wire::case::Mutation;
use mtproto_wire::clock;
use mtproto_wire::rng::Rng;
use mtproto_wire::seal::Sealer;
use mtproto_wire::tl;

/// What the reference client says about `packet`: `Ok` or the name of the failing check.
fn client_verdict(
    key: &AuthKey,
    session: i64,
    rx: &mut ClientReceiver,
    packet: &[u8],
) -> Result<(), String> {
    let m = envelope::decrypt(key, Receiver::Client, session, packet)
        .map_err(|e| e.name().to_string())?;
    let now = clock::now_secs(0);
    let body = m.body().to_vec();
    let inbound = Inbound {
        session_id: m.session_id,
        salt: m.salt,
        msg_id: m.msg_id,
        seq_no: m.seq_no,
        content_related: tl::content_related(&body),
    };
    if tl::ctor(&body) == Some(tl::MSG_CONTAINER) {
        let inner: Vec<InnerHeader> = parse_container(&body)
            .unwrap()
            .unwrap()
            .map(|m| {
                let m = m.unwrap();
                InnerHeader {
                    msg_id: m.msg_id,
                    seq_no: m.seq_no,
                    content_related: true,
                    is_container: m.is_container(),
                }
            })
            .collect();
        rx.receive_container(now, &inbound, &inner)
            .map_err(|e| e.name().to_string())?;
        for h in &inner {
            rx.receive_inner(h)
                .map(|_| ())
                .map_err(|e| e.name().to_string())?;
        }
        return Ok(());
    }
    rx.receive(now, &inbound)
        .map(|_| ())
        .map_err(|e| e.name().to_string())
}

#[test]
fn every_mutation_is_refused_by_the_check_it_targets() {
    // A key whose bytes differ (a constant key would make x = 0 and x = 8 derive alike).
    let bytes: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(151).wrapping_add(7));
    let key = AuthKey::new(bytes);
    let session = 0x1234_5678;
    for m in Mutation::ALL {
        let mut sealer = Sealer::new(
            AuthKey::new(bytes),
            Direction::ServerToClient,
            9,
            session,
            0,
            Rng::from_seed(1),
        );
        let mut rx = ClientReceiver::new(
            session,
            ClientConfig {
                clock_synced: true,
                ..ClientConfig::default()
            },
        );
        // A valid message first (the duplicate case reuses its msg_id).
        let first = sealer
            .seal(
                &tl::new_session_created(4, 5, 9),
                MsgIdKind::ServerOther,
                None,
            )
            .unwrap();
        assert_eq!(
            client_verdict(&key, session, &mut rx, &first.packet),
            Ok(())
        );
        let pong = tl::pong(8, 77);
        let decoy = sealer
            .seal(&pong, MsgIdKind::ServerResponse, Some(m))
            .unwrap();
        let want = m.expected_error();
        assert_eq!(
            client_verdict(&key, session, &mut rx, &decoy.packet),
            Err(want.to_string()),
            "{m:?}"
        );
        // The truth after it is accepted.
        let truth = sealer.seal(&pong, MsgIdKind::ServerResponse, None).unwrap();
        assert_eq!(
            client_verdict(&key, session, &mut rx, &truth.packet),
            Ok(()),
            "{m:?}: truth"
        );
    }
}

#[test]
fn mutation_names_round_trip_through_json() {
    for m in Mutation::ALL {
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Mutation>(&j).unwrap(), m);
        assert_eq!(format!("\"{}\"", m.name()), j);
    }
}

/// What the reference server says about `packet`.
fn server_verdict(
    key: &AuthKey,
    session: i64,
    rx: &mut ServerReceiver,
    packet: &[u8],
) -> Result<(), String> {
    let m = envelope::decrypt(key, Receiver::Server, session, packet)
        .map_err(|e| e.name().to_string())?;
    let now = clock::now_secs(0);
    let body = m.body().to_vec();
    let inbound = Inbound {
        session_id: m.session_id,
        salt: m.salt,
        msg_id: m.msg_id,
        seq_no: m.seq_no,
        content_related: tl::content_related(&body),
    };
    if tl::ctor(&body) == Some(tl::MSG_CONTAINER) {
        let inner: Vec<InnerHeader> = parse_container(&body)
            .unwrap()
            .unwrap()
            .map(|m| {
                let m = m.unwrap();
                InnerHeader {
                    msg_id: m.msg_id,
                    seq_no: m.seq_no,
                    content_related: tl::content_related(m.body),
                    is_container: m.is_container(),
                }
            })
            .collect();
        rx.receive_container(now, &inbound, &inner)
            .map_err(|e| e.name().to_string())?;
        for h in &inner {
            rx.receive_inner(h)
                .map(|_| ())
                .map_err(|e| e.name().to_string())?;
        }
        return Ok(());
    }
    rx.receive(now, &inbound)
        .map(|_| ())
        .map_err(|e| e.name().to_string())
}

#[test]
fn every_client_side_mutation_is_refused_by_the_server_check_it_targets() {
    let bytes: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(89).wrapping_add(3));
    let key = AuthKey::new(bytes);
    let (session, salt) = (0x7777, 0x5151);
    let now = clock::now_secs(0);
    for m in Mutation::CLIENT_SENT {
        let mut sealer = Sealer::new(
            AuthKey::new(bytes),
            Direction::ClientToServer,
            salt,
            session,
            0,
            Rng::from_seed(2),
        );
        let salts = SaltSchedule::new(&[FutureSalt {
            salt,
            valid_since: now - 60,
            valid_until: now + 60,
        }]);
        let mut rx = ServerReceiver::new(session, ServerConfig::default(), salts);
        // A content-related message first for the seq_no cases (as their wire cases do).
        let first_body = if m.is_seq_no() {
            tl::query()
        } else {
            tl::ping(1)
        };
        let first = sealer.seal(&first_body, MsgIdKind::Client, None).unwrap();
        assert_eq!(
            server_verdict(&key, session, &mut rx, &first.packet),
            Ok(())
        );
        let decoy_body = match m {
            Mutation::SeqNoEvenForContent => tl::query(),
            Mutation::SeqNoOddForService => tl::msgs_ack(&[2]),
            _ => tl::ping(2),
        };
        let decoy = sealer
            .seal(&decoy_body, MsgIdKind::Client, Some(m))
            .unwrap();
        assert_eq!(
            server_verdict(&key, session, &mut rx, &decoy.packet),
            Err(m.expected_error().to_string()),
            "{m:?}"
        );
        let truth = sealer.seal(&tl::ping(3), MsgIdKind::Client, None).unwrap();
        assert_eq!(
            server_verdict(&key, session, &mut rx, &truth.packet),
            Ok(()),
            "{m:?}: truth"
        );
    }
}
