//! Secret chats (spec §8): key exchange and fingerprint, the message checks for both roles, the
//! seq_no rules, re-keying and the visualisation. Each rule has a test that fails without it.

use std::sync::OnceLock;

use mtproto::ProtocolError;
use mtproto::Reaction;
use mtproto::crypto::dh::{DhGroup, TELEGRAM_DH_PRIME, check_params};
use mtproto::crypto::kdf::Direction;
use mtproto::envelope;
use mtproto::error::{DhError, EnvelopeError, SecretError};
use mtproto::secret::ChatKey;
use mtproto::secret::chat::{LAYER, MAX_UNACKED, SecretChat, Verdict};
use mtproto::secret::key::{Requester, accept, client_secret};
use mtproto::secret::message::{self, MIN_RANDOM_BYTES, Role, padding_len};
use mtproto::secret::rekey::{self, Rekey, RekeyOutcome, RekeyPhase};
use mtproto::secret::seq::{Arrival, MAX_QUEUED, ResendRequest, SeqState, parities};
use mtproto::secret::visual::key_hash;
use mtproto::tl::Tl;
use mtproto::tl::generated::secret::enums::{DecryptedMessage, DecryptedMessageAction};
use mtproto::tl::generated::secret::types::{
    DecryptedMessage73, DecryptedMessageActionAbortKey, DecryptedMessageActionAcceptKey,
    DecryptedMessageActionCommitKey, DecryptedMessageActionNoop, DecryptedMessageActionRequestKey,
    DecryptedMessageActionResend, DecryptedMessageLayer,
};
use sha1::{Digest, Sha1};

use crate::dh::SAMPLE_AUTH_KEY;
use crate::support::h;

/// The production group, checked once for the whole test binary.
pub fn group() -> DhGroup {
    static G: OnceLock<DhGroup> = OnceLock::new();
    G.get_or_init(|| check_params(&TELEGRAM_DH_PRIME, 3, &[0x5a; 32], None).unwrap())
        .clone()
}

pub fn secret(byte: u8) -> [u8; 256] {
    let mut s = [byte; 256];
    s[0] = 0x3f;
    s
}

pub fn chat_key(seed: u8) -> ChatKey {
    ChatKey::new(core::array::from_fn(|i| {
        (i as u8).wrapping_mul(29).wrapping_add(seed)
    }))
}

pub fn text(random_id: i64, s: &str) -> DecryptedMessage {
    DecryptedMessage::DecryptedMessage73(DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id,
        ttl: 0,
        message: s.into(),
        media: None,
        entities: None,
        via_bot_name: None,
        reply_to_random_id: None,
        grouped_id: None,
    })
}

pub fn layer(in_seq_no: i32, out_seq_no: i32, message: DecryptedMessage) -> DecryptedMessageLayer {
    DecryptedMessageLayer {
        random_bytes: vec![0xab; MIN_RANDOM_BYTES],
        layer: LAYER,
        in_seq_no,
        out_seq_no,
        message,
    }
}

/// A packet from `sender` with the smallest padding.
pub fn packet(key: &ChatKey, sender: Role, l: &DecryptedMessageLayer) -> Vec<u8> {
    let inner = l.to_bytes();
    let pad = vec![0x5c; padding_len(inner.len(), 0)];
    message::encrypt(key, sender, &inner, &pad).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Key exchange (§5, §8.1)

#[test]
fn both_sides_agree_and_the_fingerprint_is_the_low_64_bits_of_sha1() {
    let req = Requester::new(group(), secret(0x11)).unwrap();
    let acc = accept(&group(), req.g_a(), &secret(0x22)).unwrap();
    let key = req.complete(&acc.g_b, acc.key_fingerprint()).unwrap();
    assert_eq!(key.as_bytes(), acc.key.as_bytes());
    let sha = Sha1::digest(key.as_bytes());
    assert_eq!(key.fingerprint().as_slice(), &sha[12..20]);
    assert_eq!(
        key.fingerprint_long(),
        i64::from_le_bytes(sha[12..20].try_into().unwrap())
    );
}

#[test]
fn a_wrong_fingerprint_discards_the_chat() {
    let req = Requester::new(group(), secret(0x11)).unwrap();
    let acc = accept(&group(), req.g_a(), &secret(0x22)).unwrap();
    let e = req
        .complete(&acc.g_b, acc.key_fingerprint() ^ 1)
        .unwrap_err();
    assert_eq!(e, SecretError::KeyFingerprintMismatch);
    assert_eq!(e.reaction(), Reaction::CloseChat);
}

#[test]
fn both_sides_check_the_peer_value() {
    let req = Requester::new(group(), secret(0x11)).unwrap();
    for (bad, want) in [
        (vec![1u8], DhError::ValueOutOfRange),
        (TELEGRAM_DH_PRIME.to_vec(), DhError::ValueOutOfRange),
        (vec![2u8], DhError::ValueUnsafe),
    ] {
        let e = accept(&group(), &bad, &secret(0x22)).unwrap_err();
        assert_eq!(e, SecretError::Dh(want));
        assert_eq!(req.complete(&bad, 0).unwrap_err(), SecretError::Dh(want));
    }
}

#[test]
fn an_own_secret_that_gives_an_unsafe_value_is_refused() {
    // a = 1 gives g_a = g = 3, which the peer would reject.
    let mut one = [0u8; 256];
    one[255] = 1;
    let e = Requester::new(group(), one).unwrap_err();
    assert_eq!(e, SecretError::Dh(DhError::ValueUnsafe));
}

#[test]
fn the_key_keeps_its_leading_zero_byte() {
    // Found by search: this (a, b) gives a shared key whose first byte is 0.
    let mut b = [0x22u8; 256];
    b[252..].copy_from_slice(&52u32.to_be_bytes());
    let req = Requester::new(group(), [0x11; 256]).unwrap();
    let acc = accept(&group(), req.g_a(), &b).unwrap();
    assert_eq!(acc.key.as_bytes()[0], 0);
    let key = req.complete(&acc.g_b, acc.key_fingerprint()).unwrap();
    assert_eq!(key.as_bytes().len(), 256);
    assert_eq!(
        key.fingerprint().as_slice(),
        &Sha1::digest(acc.key.as_bytes())[12..20]
    );
}

#[test]
fn the_client_secret_xors_the_server_random_into_local_randomness() {
    let local = [0xf0u8; 256];
    let mixed = client_secret(&local, &[0x0f; 256]);
    assert_eq!(mixed, [0xff; 256]);
    // Never replaced by the server bytes: equal server and local bytes do not give them back.
    assert_eq!(client_secret(&local, &local), [0; 256]);
    // A short server random mixes into the first bytes only.
    let short = client_secret(&local, &[0xff; 3]);
    assert_eq!(&short[..4], &[0x0f, 0x0f, 0x0f, 0xf0]);
}

// ---------------------------------------------------------------------------------------------
// Spec §11.4 computed values and the visualisation (§8.5)

#[test]
fn sample_key_fingerprint_and_key_hash_match_spec_11_4() {
    let key = ChatKey::new(h(SAMPLE_AUTH_KEY).try_into().unwrap());
    assert_eq!(key.fingerprint().to_vec(), h("8ae7a271969a9b1f"));
    assert_eq!(
        key_hash(&key, None).to_vec(),
        h("26d6ceeff1381295e06ab26f8ae7a271deb2631ccf3612ce6aec7e164aa1f06c69f44758")
    );
}

#[test]
fn the_second_half_of_the_visualisation_is_over_the_layer_46_key() {
    let original = chat_key(1);
    let later = chat_key(2);
    let v = key_hash(&original, Some(&later));
    assert_eq!(&v[..16], &key_hash(&original, None)[..16]);
    assert_eq!(&v[16..], &key_hash(&later, None)[16..]);
    assert_ne!(v, key_hash(&original, None));
}

// ---------------------------------------------------------------------------------------------
// Messages (§8.2)

fn sample_layer() -> DecryptedMessageLayer {
    layer(0, 1, text(42, "hello"))
}

#[test]
fn round_trip_in_both_roles_with_x_by_role() {
    let key = chat_key(3);
    for sender in [Role::Originator, Role::Acceptor] {
        let l = sample_layer();
        let p = packet(&key, sender, &l);
        assert_eq!(&p[..8], &key.fingerprint());
        assert_eq!(message::decrypt(&key, sender.peer(), &p).unwrap(), l);
        // The sender itself reads with the other x, so its own packet does not verify.
        assert_eq!(
            message::decrypt(&key, sender, &p).unwrap_err(),
            SecretError::Envelope(EnvelopeError::MsgKeyMismatch)
        );
    }
    // x = 0 for the originator: the packet is the cloud envelope's seal with x = 0.
    let l = sample_layer();
    let inner = l.to_bytes();
    let pad = vec![0x5c; padding_len(inner.len(), 0)];
    let mut plain = (inner.len() as i32).to_le_bytes().to_vec();
    plain.extend_from_slice(&inner);
    plain.extend_from_slice(&pad);
    let sealed = envelope::seal(key.as_auth_key(), Direction::ClientToServer, &plain).unwrap();
    assert_eq!(packet(&key, Role::Originator, &l), sealed);
}

fn sealed(key: &ChatKey, sender: Role, plaintext: &[u8]) -> Vec<u8> {
    envelope::seal(key.as_auth_key(), sender.send_direction(), plaintext).unwrap()
}

fn plaintext(declared: i32, inner: &[u8], padding: usize) -> Vec<u8> {
    let mut p = declared.to_le_bytes().to_vec();
    p.extend_from_slice(inner);
    p.extend(std::iter::repeat_n(0x77, padding));
    p
}

fn decrypt_err(p: &[u8]) -> String {
    message::decrypt(&chat_key(3), Role::Acceptor, p)
        .unwrap_err()
        .name()
        .to_string()
}

#[test]
fn each_receiver_check_rejects_a_packet_with_a_correct_msg_key() {
    let key = chat_key(3);
    let inner = sample_layer().to_bytes();
    let n = inner.len() as i32;
    let pad = padding_len(inner.len(), 0);
    let o = Role::Originator;
    // Baseline: the same construction is accepted.
    message::decrypt(
        &key,
        Role::Acceptor,
        &sealed(&key, o, &plaintext(n, &inner, pad)),
    )
    .unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            sealed(&key, o, &plaintext(n + 4 + pad as i32, &inner, pad)),
            "LengthOutOfRange",
        ),
        (
            sealed(&key, o, &plaintext(-4, &inner, pad)),
            "LengthOutOfRange",
        ),
        (
            sealed(&key, o, &plaintext(n - 1, &inner, pad)),
            "LengthNotAligned",
        ),
    ];
    for (p, want) in cases {
        assert_eq!(decrypt_err(&p), want);
    }
}

#[test]
fn padding_bounds_are_12_and_1024() {
    let key = chat_key(3);
    // Vary random_bytes so that 4 + layer + padding is a multiple of 16 for each padding.
    for (padding, want) in [
        (8usize, Some("PaddingTooShort")),
        (12, None),
        (1024, None),
        (1028, Some("PaddingTooLong")),
    ] {
        let mut l = sample_layer();
        let mut found = None;
        for extra in 0..16 {
            l.random_bytes = vec![1; MIN_RANDOM_BYTES + extra];
            let inner = l.to_bytes();
            if (4 + inner.len() + padding).is_multiple_of(16) {
                found = Some(inner);
                break;
            }
        }
        let inner = found.expect("some random_bytes length aligns");
        let p = sealed(
            &key,
            Role::Originator,
            &plaintext(inner.len() as i32, &inner, padding),
        );
        let got = message::decrypt(&key, Role::Acceptor, &p);
        match want {
            None => assert!(got.is_ok(), "padding {padding}: {got:?}"),
            Some(w) => assert_eq!(got.unwrap_err().name(), w, "padding {padding}"),
        }
    }
}

#[test]
fn random_bytes_need_at_least_15() {
    let key = chat_key(3);
    for (n, ok) in [(14usize, false), (15, true)] {
        let mut l = sample_layer();
        l.random_bytes = vec![9; n];
        let got = message::decrypt(&key, Role::Acceptor, &packet(&key, Role::Originator, &l));
        if ok {
            got.unwrap();
        } else {
            let e = got.unwrap_err();
            assert_eq!(e, SecretError::RandomBytesTooShort { len: 14 });
            assert_eq!(e.reaction(), Reaction::Ignore);
        }
    }
}

#[test]
fn the_layer_is_decoded_strictly() {
    let key = chat_key(3);
    let mut inner = sample_layer().to_bytes();
    // Wrong constructor id.
    inner[0] ^= 1;
    let p = sealed(
        &key,
        Role::Originator,
        &plaintext(inner.len() as i32, &inner, padding_len(inner.len(), 0)),
    );
    assert_eq!(decrypt_err(&p), "UnknownConstructor");
    // Trailing bytes inside the declared length.
    let mut inner = sample_layer().to_bytes();
    inner.extend_from_slice(&[0; 4]);
    let p = sealed(
        &key,
        Role::Originator,
        &plaintext(inner.len() as i32, &inner, padding_len(inner.len(), 0)),
    );
    assert_eq!(decrypt_err(&p), "TrailingBytes");
}

#[test]
fn fingerprint_tamper_size_and_alignment_failures_come_first() {
    let key = chat_key(3);
    let p = packet(&key, Role::Originator, &sample_layer());
    let mut other = p.clone();
    other[0] ^= 1;
    assert_eq!(decrypt_err(&other), "UnknownKeyFingerprint");
    let mut tampered = p.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(decrypt_err(&tampered), "MsgKeyMismatch");
    assert_eq!(decrypt_err(&p[..p.len() - 1]), "NotBlockAligned");
    assert_eq!(decrypt_err(&p[..20]), "TooShort");
    assert_eq!(decrypt_err(&p[..24 + 32]), "TooShort");
    // Another key with the right fingerprint position: msg_key fails.
    let e = message::decrypt(&chat_key(4), Role::Acceptor, &p).unwrap_err();
    assert_eq!(e.name(), "UnknownKeyFingerprint");
    for e in [
        SecretError::UnknownKeyFingerprint,
        SecretError::Envelope(EnvelopeError::MsgKeyMismatch),
    ] {
        assert_eq!(e.reaction(), Reaction::Discard);
    }
}

#[test]
fn encrypt_refuses_what_a_receiver_would_reject() {
    let key = chat_key(3);
    let inner = sample_layer().to_bytes();
    for (inner, pad, want) in [
        (inner.clone(), 8usize, "PaddingTooShort"),
        (inner.clone(), 1028, "PaddingTooLong"),
        (inner[..inner.len() - 1].to_vec(), 12, "LengthNotAligned"),
        (
            inner.clone(),
            padding_len(inner.len(), 0) + 4,
            "NotBlockAligned",
        ),
    ] {
        let e = message::encrypt(&key, Role::Originator, &inner, &vec![0; pad]).unwrap_err();
        assert_eq!(e.name(), want);
    }
}

// ---------------------------------------------------------------------------------------------
// seq_no (§8.3), on the pure state

fn seq(role: Role) -> SeqState<u32> {
    SeqState::new(role)
}

#[test]
fn parities_follow_the_role_table() {
    assert_eq!(parities(Role::Originator), (0, 1));
    assert_eq!(parities(Role::Acceptor), (1, 0));
    let mut a = seq(Role::Originator);
    assert_eq!(a.next_send().unwrap(), (0, 1));
    assert_eq!(a.next_send().unwrap(), (0, 3));
    let mut b = seq(Role::Acceptor);
    assert_eq!(b.next_send().unwrap(), (1, 0));
    // B received A's first message: its next in_seq_no is 2·1 + 1.
    assert!(matches!(b.arrive(0, 1, 0).unwrap(), Arrival::Deliver(_)));
    assert_eq!(b.next_send().unwrap(), (3, 2));
}

#[test]
fn a_wrong_parity_in_either_field_closes_the_chat() {
    let mut b = seq(Role::Acceptor);
    for (i, o) in [(1, 1), (0, 0), (1, 0)] {
        let e = b.arrive(i, o, 0).unwrap_err();
        assert_eq!(e, SecretError::SeqNoParity);
        assert_eq!(e.reaction(), Reaction::CloseChat);
    }
    assert_eq!(b.received(), 0);
}

#[test]
fn repeats_are_dropped_unread() {
    let mut b = seq(Role::Acceptor);
    b.arrive(0, 1, 0).unwrap();
    let e = b.arrive(0, 1, 0).unwrap_err();
    assert_eq!(e, SecretError::SeqNoRepeated { out_seq_no: 1 });
    assert_eq!(e.reaction(), Reaction::Ignore);
    // A repeat is dropped before its in_seq_no is looked at.
    assert_eq!(b.arrive(1000, 1, 0).unwrap_err().name(), "SeqNoRepeated");
    // Negative out_seq_no is below every counter, even the first (-1 / 2 truncates to 0).
    assert_eq!(b.arrive(0, -1, 0).unwrap_err().name(), "SeqNoRepeated");
    assert_eq!(
        seq(Role::Acceptor).arrive(0, -1, 0).unwrap_err().name(),
        "SeqNoRepeated"
    );
    assert_eq!(
        seq(Role::Acceptor).arrive(-1, 1, 0).unwrap_err().name(),
        "SeqNoParity"
    );
    assert_eq!(
        seq(Role::Originator).arrive(-1, 0, 0).unwrap_err().name(),
        "InSeqNoInvalid"
    );
    // A message already queued behind a gap is a repeat too.
    b.arrive(0, 7, 0).unwrap();
    assert_eq!(b.arrive(0, 7, 0).unwrap_err().name(), "SeqNoRepeated");
}

#[test]
fn a_gap_queues_and_asks_for_the_hole_with_the_spec_numbers() {
    let mut b = seq(Role::Acceptor);
    b.arrive(0, 1, 1).unwrap(); // raw 0
    // raw 3 arrives: hole raw 1..=2, transmitted 3..=5.
    assert_eq!(
        b.arrive(0, 7, 4).unwrap(),
        Arrival::Queued(Some(ResendRequest {
            start_seq_no: 3,
            end_seq_no: 5
        }))
    );
    // Filling inside the requested hole asks for nothing new.
    assert_eq!(b.arrive(0, 5, 3).unwrap(), Arrival::Queued(None));
    // Right after the last queued: no hole.
    assert_eq!(b.arrive(0, 9, 5).unwrap(), Arrival::Queued(None));
    // A second hole past the queue: its own request.
    assert_eq!(
        b.arrive(0, 15, 8).unwrap(),
        Arrival::Queued(Some(ResendRequest {
            start_seq_no: 11,
            end_seq_no: 13
        }))
    );
    // The missing raw 1 releases 1, 2 (queued 3), 3, 4 in order; 8 waits.
    let Arrival::Deliver(items) = b.arrive(0, 3, 2).unwrap() else {
        panic!()
    };
    assert_eq!(
        items.iter().map(|(r, t)| (*r, *t)).collect::<Vec<_>>(),
        vec![(1, 2), (2, 3), (3, 4), (4, 5)]
    );
    assert_eq!(b.received(), 5);
    assert_eq!(b.queued(), 1);
}

#[test]
fn the_first_message_missing_opens_a_hole_from_zero() {
    let mut b = seq(Role::Acceptor);
    assert_eq!(
        b.arrive(0, 5, 0).unwrap(),
        Arrival::Queued(Some(ResendRequest {
            start_seq_no: 1,
            end_seq_no: 3
        }))
    );
}

#[test]
fn in_seq_no_must_be_non_negative_non_decreasing_and_at_most_what_was_sent() {
    let mut b = seq(Role::Acceptor);
    // B sent nothing: A cannot have received anything.
    assert_eq!(
        b.arrive(2, 1, 0).unwrap_err(),
        SecretError::InSeqNoInvalid { in_seq_no: 2 }
    );
    assert_eq!(b.arrive(-2, 1, 0).unwrap_err().name(), "InSeqNoInvalid");
    b.next_send().unwrap();
    b.next_send().unwrap();
    b.arrive(4, 1, 0).unwrap(); // A received both
    let e = b.arrive(2, 3, 0).unwrap_err(); // decreasing
    assert_eq!(e.name(), "InSeqNoInvalid");
    assert_eq!(e.reaction(), Reaction::CloseChat);
    b.arrive(4, 3, 0).unwrap();
    // Queued messages are checked against their queued neighbours.
    b.arrive(4, 9, 0).unwrap();
    assert_eq!(b.arrive(6, 7, 0).unwrap_err().name(), "InSeqNoInvalid");
}

#[test]
fn the_gap_queue_is_bounded() {
    let mut b = seq(Role::Acceptor);
    for i in 0..MAX_QUEUED as i32 {
        b.arrive(0, 2 * (i + 2) + 1, 0).unwrap();
    }
    assert_eq!(
        b.arrive(0, 2 * (MAX_QUEUED as i32 + 2) + 1, 0).unwrap_err(),
        SecretError::GapQueueFull
    );
    // The missing message still releases the whole queue.
    let Arrival::Deliver(items) = b.arrive(0, 1, 0).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 1);
    let Arrival::Deliver(items) = b.arrive(0, 3, 0).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), MAX_QUEUED + 1);
}

#[test]
fn resend_requests_must_name_sent_messages_with_this_sides_parity() {
    let mut a = seq(Role::Originator);
    for _ in 0..3 {
        a.next_send().unwrap();
    }
    assert_eq!(a.check_resend(1, 5).unwrap(), 0..=2);
    assert_eq!(a.check_resend(3, 3).unwrap(), 1..=1);
    for (s, e) in [(1, 7), (0, 4), (1, 4), (5, 3), (-1, 3)] {
        let err = a.check_resend(s, e).unwrap_err();
        assert_eq!(err, SecretError::ResendInvalid { start: s, end: e });
        assert_eq!(err.reaction(), Reaction::CloseChat);
    }
}

// ---------------------------------------------------------------------------------------------
// The chat: resends, closing, re-keying (§8.3, §8.4)

pub fn pair(seed: u8) -> (SecretChat, SecretChat) {
    let key = chat_key(seed);
    (
        SecretChat::new(Role::Originator, key.clone(), group(), 0),
        SecretChat::new(Role::Acceptor, key, group(), 0),
    )
}

pub fn accepted(v: Verdict) -> (Vec<mtproto::secret::Delivered>, Vec<Vec<u8>>) {
    match v {
        Verdict::Accepted {
            delivered,
            replies,
            notices,
        } => {
            assert!(notices.is_empty(), "unexpected notices {notices:?}");
            (delivered, replies)
        }
        other => panic!("expected Accepted, got {other:?}"),
    }
}

#[test]
fn the_log_of_unacknowledged_sends_is_capped() {
    let (mut a, mut b) = pair(12);
    let sent: Vec<_> = (0..MAX_UNACKED)
        .map(|i| a.send(text(i as i64, "u"), 0, &[i as u8; 32]).unwrap())
        .collect();
    // B has acknowledged nothing: one more message would outgrow the resend log.
    let err = a.send(text(-1, "one too many"), 0, &[1; 32]).unwrap_err();
    assert_eq!(err.name(), "BadRequest");
    assert_eq!(a.counts(), (MAX_UNACKED as u32, 0));
    // B opens a gap without acknowledging: A would have to log a resend request, so the chat
    // closes instead of growing.
    let _first = b.send(text(0, "b0"), 0, &[2; 32]).unwrap();
    let second = b.send(text(1, "b1"), 0, &[3; 32]).unwrap();
    match a.receive(&second, 0, &[4; 32]) {
        Verdict::Closed(e) => assert_eq!(e.name(), "BadRequest"),
        other => panic!("expected Closed, got {other:?}"),
    }
    // Once the peer acknowledges, the log empties and sending resumes.
    let (mut c, mut d) = pair(13);
    for (i, _) in sent.iter().enumerate() {
        let p = c.send(text(i as i64, "u"), 0, &[i as u8; 32]).unwrap();
        accepted(d.receive(&p, 0, &[0; 32]));
    }
    assert!(c.send(text(-1, "x"), 0, &[1; 32]).is_err());
    let ack = d.send(text(0, "ack"), 0, &[5; 32]).unwrap();
    accepted(c.receive(&ack, 0, &[6; 32]));
    assert!(c.send(text(-2, "after the ack"), 0, &[7; 32]).is_ok());
}

#[test]
fn a_gap_sends_a_resend_request_that_the_peer_answers() {
    let (mut a, mut b) = pair(5);
    let p: Vec<_> = (0..3)
        .map(|i| a.send(text(i, "m"), 0, &[i as u8; 32]).unwrap())
        .collect();
    let (d, replies) = accepted(b.receive(&p[2], 0, &[1; 32]));
    assert!(d.is_empty());
    assert_eq!(replies.len(), 1);
    // A reads the request and resends raw 0 and 1.
    let (d, resent) = accepted(a.receive(&replies[0], 0, &[2; 32]));
    assert_eq!(d.len(), 1);
    assert_eq!(resent.len(), 2);
    let (d, _) = accepted(b.receive(&resent[1], 0, &[3; 32]));
    assert!(d.is_empty());
    let (d, _) = accepted(b.receive(&resent[0], 0, &[3; 32]));
    assert_eq!(
        d.iter().map(|m| m.out_seq_no).collect::<Vec<_>>(),
        vec![1, 3, 5]
    );
    // The late originals are repeats now.
    for orig in &p {
        assert!(matches!(
            b.receive(orig, 0, &[4; 32]),
            Verdict::Rejected(SecretError::SeqNoRepeated { .. })
        ));
    }
}

#[test]
fn a_resend_request_for_unsent_messages_closes_the_chat_and_it_stays_closed() {
    let (mut a, mut b) = pair(6);
    let req = b
        .send_action(
            DecryptedMessageAction::DecryptedMessageActionResend(DecryptedMessageActionResend {
                start_seq_no: 1,
                end_seq_no: 1,
            }),
            0,
            &[0; 32],
        )
        .unwrap();
    match a.receive(&req, 0, &[0; 32]) {
        Verdict::Closed(e) => assert_eq!(e, SecretError::ResendInvalid { start: 1, end: 1 }),
        v => panic!("{v:?}"),
    }
    assert!(a.is_closed());
    let p = b.send(text(1, "x"), 0, &[1; 32]).unwrap();
    assert!(matches!(
        a.receive(&p, 0, &[0; 32]),
        Verdict::Closed(SecretError::ChatClosed)
    ));
    assert_eq!(
        a.send(text(1, "x"), 0, &[0; 32]).unwrap_err(),
        SecretError::ChatClosed
    );
}

#[test]
fn a_resend_request_behind_a_gap_is_processed_at_once_and_only_once() {
    let (mut a, mut b) = pair(7);
    let to_b = a.send(text(0, "a0"), 0, &[0; 32]).unwrap();
    accepted(b.receive(&to_b, 0, &[0; 32]));
    let b0 = b.send(text(1, "b0"), 0, &[1; 32]).unwrap();
    let req = b
        .send_action(
            DecryptedMessageAction::DecryptedMessageActionResend(DecryptedMessageActionResend {
                start_seq_no: 1,
                end_seq_no: 1,
            }),
            0,
            &[2; 32],
        )
        .unwrap();
    // The request arrives before b0: A queues it, answers it now, and asks for b0.
    let (d, replies) = accepted(a.receive(&req, 0, &[3; 32]));
    assert!(d.is_empty());
    assert_eq!(replies.len(), 2, "the resend and the request for the hole");
    // b0 releases the request, which is not answered twice.
    let (d, replies) = accepted(a.receive(&b0, 0, &[4; 32]));
    assert_eq!(d.len(), 2);
    assert!(replies.is_empty());
}

#[test]
fn tampered_or_foreign_packets_change_nothing() {
    let (mut a, mut b) = pair(8);
    let p = a.send(text(0, "x"), 0, &[0; 32]).unwrap();
    for i in 0..p.len() {
        let mut t = p.clone();
        t[i] ^= 0x10;
        assert!(
            matches!(b.receive(&t, 0, &[0; 32]), Verdict::Rejected(_)),
            "byte {i}"
        );
    }
    // Its own packet reflected back.
    assert!(matches!(a.receive(&p, 0, &[0; 32]), Verdict::Rejected(_)));
    let (d, _) = accepted(b.receive(&p, 0, &[0; 32]));
    assert_eq!(d.len(), 1);
}

fn deliver_all(from: &mut Vec<Vec<u8>>, to: &mut SecretChat, seed: u8) -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    for p in from.drain(..) {
        let (_, r) = accepted(to.receive(&p, 0, &[seed; 32]));
        replies.extend(r);
    }
    replies
}

#[test]
fn rekeying_switches_both_sides_and_drops_the_old_key_once_the_new_one_is_used() {
    let (mut a, mut b) = pair(9);
    let old = a.current_key().fingerprint();
    let mut to_b = vec![a.start_rekey(77, &secret(0x31), 0, &[0; 32]).unwrap()];
    assert_eq!(*a.rekey_phase(), RekeyPhase::Requested { exchange_id: 77 });
    assert!(
        a.start_rekey(78, &secret(0x32), 0, &[0; 32]).unwrap_err() == SecretError::RekeyPending
    );
    let mut to_a = deliver_all(&mut to_b, &mut b, 1); // AcceptKey
    assert_eq!(*b.rekey_phase(), RekeyPhase::Accepted { exchange_id: 77 });
    assert_eq!(b.current_key().fingerprint(), old);
    let mut to_b = deliver_all(&mut to_a, &mut a, 2); // CommitKey, A switches
    assert_ne!(a.current_key().fingerprint(), old);
    assert!(a.holds_old_key());
    // A message under the new key sent before B saw the commit still gets through, after it.
    to_b.push(a.send(text(5, "new key"), 0, &[3; 32]).unwrap());
    to_b.reverse();
    let mut replies = deliver_all(&mut to_b, &mut b, 4);
    assert!(replies.len() <= 1); // at most the request for the commit's hole, answered below
    let _ = deliver_all(&mut replies, &mut a, 5);
    assert_eq!(b.current_key().fingerprint(), a.current_key().fingerprint());
    assert!(
        !b.holds_old_key(),
        "B dropped the old key after a new-key message in order"
    );
    // B's next message uses the new key; A drops its old key on reading it.
    let mut to_a = vec![b.send(text(6, "ack"), 0, &[6; 32]).unwrap()];
    assert_eq!(&to_a[0][..8], &a.current_key().fingerprint());
    deliver_all(&mut to_a, &mut a, 7);
    assert!(!a.holds_old_key());
    assert_eq!(*a.rekey_phase(), RekeyPhase::Idle);
}

fn rekey_of(group: DhGroup) -> Rekey {
    Rekey::new(group)
}

fn request_key(ex: i64, s: u8) -> DecryptedMessageAction {
    DecryptedMessageAction::DecryptedMessageActionRequestKey(DecryptedMessageActionRequestKey {
        exchange_id: ex,
        g_a: group().pow_g(&secret(s)).to_vec(),
    })
}

#[test]
fn concurrent_requests_keep_the_larger_exchange_id_and_equal_ones_abort_silently() {
    // Ours larger: theirs is ignored.
    let mut r = rekey_of(group());
    r.request(10, &secret(0x41)).unwrap();
    assert!(matches!(
        r.on_action(&request_key(-20, 0x42), &secret(0x43)).unwrap(),
        RekeyOutcome::Nothing
    ));
    assert_eq!(*r.phase(), RekeyPhase::Requested { exchange_id: 10 });
    // Theirs larger (signed compare: -1 < 5): ours is dropped and theirs accepted.
    let mut r = rekey_of(group());
    r.request(-1, &secret(0x41)).unwrap();
    assert!(matches!(
        r.on_action(&request_key(5, 0x42), &secret(0x43)).unwrap(),
        RekeyOutcome::Send(_)
    ));
    assert_eq!(*r.phase(), RekeyPhase::Accepted { exchange_id: 5 });
    // Equal: both abort, nothing sent.
    let mut r = rekey_of(group());
    r.request(9, &secret(0x41)).unwrap();
    assert!(matches!(
        r.on_action(&request_key(9, 0x42), &secret(0x43)).unwrap(),
        RekeyOutcome::AbortedSilently
    ));
    assert_eq!(*r.phase(), RekeyPhase::Idle);
}

#[test]
fn accept_and_commit_must_match_the_exchange_and_the_fingerprint() {
    // A's side.
    let a_secret = secret(0x51);
    let mut a = rekey_of(group());
    a.request(3, &a_secret).unwrap();
    let g_a = group().pow_g(&a_secret);
    let b_secret = secret(0x52);
    let g_b = group().pow_g(&b_secret);
    let new_key = ChatKey::new(group().pow(&group().check_value(&g_a).unwrap(), &b_secret));
    let accept_key = |ex: i64, fp: i64| {
        DecryptedMessageAction::DecryptedMessageActionAcceptKey(DecryptedMessageActionAcceptKey {
            exchange_id: ex,
            g_b: g_b.to_vec(),
            key_fingerprint: fp,
        })
    };
    let z = [0u8; 256];
    assert_eq!(
        a.on_action(&accept_key(4, new_key.fingerprint_long()), &z)
            .unwrap_err(),
        SecretError::RekeyUnexpected { exchange_id: 4 }
    );
    assert_eq!(
        a.on_action(&accept_key(3, new_key.fingerprint_long() ^ 1), &z)
            .unwrap_err(),
        SecretError::KeyFingerprintMismatch
    );
    let bad_g_b =
        DecryptedMessageAction::DecryptedMessageActionAcceptKey(DecryptedMessageActionAcceptKey {
            exchange_id: 3,
            g_b: vec![1],
            key_fingerprint: 0,
        });
    assert_eq!(
        a.on_action(&bad_g_b, &z).unwrap_err(),
        SecretError::Dh(DhError::ValueOutOfRange)
    );
    match a
        .on_action(&accept_key(3, new_key.fingerprint_long()), &z)
        .unwrap()
    {
        RekeyOutcome::CommitThenSwitch(_, k) => assert_eq!(k.fingerprint(), new_key.fingerprint()),
        o => panic!("{o:?}"),
    }
    a.committed(3);
    // B may not abort after its own Accept.
    let abort =
        DecryptedMessageAction::DecryptedMessageActionAbortKey(DecryptedMessageActionAbortKey {
            exchange_id: 3,
        });
    assert_eq!(
        a.on_action(&abort, &z).unwrap_err(),
        SecretError::RekeyUnexpected { exchange_id: 3 }
    );

    // B's side.
    let mut b = rekey_of(group());
    assert!(matches!(
        b.on_action(&request_key(3, 0x51), &b_secret).unwrap(),
        RekeyOutcome::Send(_)
    ));
    let commit = |ex: i64, fp: i64| {
        DecryptedMessageAction::DecryptedMessageActionCommitKey(DecryptedMessageActionCommitKey {
            exchange_id: ex,
            key_fingerprint: fp,
        })
    };
    assert_eq!(
        b.on_action(&commit(2, new_key.fingerprint_long()), &z)
            .unwrap_err()
            .name(),
        "RekeyUnexpected"
    );
    assert_eq!(
        b.on_action(&commit(3, 1), &z).unwrap_err(),
        SecretError::KeyFingerprintMismatch
    );
    match b
        .on_action(&commit(3, new_key.fingerprint_long()), &z)
        .unwrap()
    {
        RekeyOutcome::Switch(k) => assert_eq!(k.as_bytes(), new_key.as_bytes()),
        o => panic!("{o:?}"),
    }
    // A second request while one is half done closes; a bad g_a is a DH error.
    let mut b = rekey_of(group());
    b.on_action(&request_key(3, 0x51), &b_secret).unwrap();
    assert_eq!(
        b.on_action(&request_key(4, 0x53), &b_secret)
            .unwrap_err()
            .name(),
        "RekeyUnexpected"
    );
    let mut b = rekey_of(group());
    let bad = DecryptedMessageAction::DecryptedMessageActionRequestKey(
        DecryptedMessageActionRequestKey {
            exchange_id: 1,
            g_a: vec![2],
        },
    );
    assert_eq!(
        b.on_action(&bad, &b_secret).unwrap_err(),
        SecretError::Dh(DhError::ValueUnsafe)
    );
    // An abort before the Accept resets; unrelated actions do nothing.
    let mut b = rekey_of(group());
    b.on_action(&request_key(8, 0x51), &b_secret).unwrap();
    let abort8 =
        DecryptedMessageAction::DecryptedMessageActionAbortKey(DecryptedMessageActionAbortKey {
            exchange_id: 8,
        });
    b.on_action(&abort8, &z).unwrap();
    assert_eq!(*b.phase(), RekeyPhase::Idle);
    assert!(b.pending_key().is_none());
    let noop = DecryptedMessageAction::DecryptedMessageActionNoop(DecryptedMessageActionNoop {});
    assert!(matches!(
        b.on_action(&noop, &z).unwrap(),
        RekeyOutcome::Nothing
    ));
}

#[test]
fn the_rekey_trigger_is_100_messages_or_a_week_after_one_encryption() {
    assert!(!rekey::rekey_due(100, 1, 0));
    assert!(rekey::rekey_due(101, 1, 0));
    assert!(!rekey::rekey_due(500, 0, 0));
    assert!(!rekey::rekey_due(1, 1, 7 * 86400));
    assert!(rekey::rekey_due(1, 1, 7 * 86400 + 1));
    let (mut a, mut b) = pair(10);
    for i in 0..101 {
        let p = a.send(text(i, "x"), 0, &[i as u8; 32]).unwrap();
        accepted(b.receive(&p, 0, &[0; 32]));
    }
    assert!(a.rekey_due(0));
    // B decrypted 101 but encrypted none.
    assert!(!b.rekey_due(0));
    let (c, _) = pair(11);
    assert!(!c.rekey_due(8 * 86400));
}

#[test]
fn error_names_and_reactions() {
    for (e, name, reaction) in [
        (SecretError::SeqNoParity, "SeqNoParity", Reaction::CloseChat),
        (
            SecretError::GapQueueFull,
            "GapQueueFull",
            Reaction::CloseChat,
        ),
        (SecretError::RekeyPending, "RekeyPending", Reaction::Refuse),
        (
            SecretError::from(EnvelopeError::AuthKeyIdMismatch),
            "UnknownKeyFingerprint",
            Reaction::Discard,
        ),
        (
            SecretError::Envelope(EnvelopeError::AuthKeyIdMismatch),
            "UnknownKeyFingerprint",
            Reaction::Discard,
        ),
    ] {
        assert_eq!((e.name(), e.reaction()), (name, reaction));
        assert!(e.to_string().starts_with(name));
    }
}
