//! End-to-end calls (spec §9, §12): the emoji table, the §11.4 computed values, the committed
//! key exchange, call packets and their replay rule.

use mtproto::ProtocolError;
use mtproto::Reaction;
use mtproto::call::packet::{self, Channel, ReplayWindow, SEQ_LIMIT};
use mtproto::call::{CallKey, Callee, Caller, EMOJI, EMOJI_COUNT, emoji_indices, g_a_hash};
use mtproto::error::{CallError, DhError};
use mtproto::secret::Role;

use crate::secret::{chat_key, group, secret};
use crate::support::h;

#[test]
fn the_table_has_333_entries_without_variation_selectors() {
    assert_eq!(EMOJI_COUNT, 333);
    assert_eq!(EMOJI.len(), 333);
    assert_eq!(EMOJI[0], "\u{1F609}");
    assert_eq!(EMOJI[43], "\u{270C}");
    assert_eq!(EMOJI[150], "\u{260E}");
    assert_eq!(EMOJI[205], "\u{1F0CF}");
    assert_eq!(EMOJI[301], "\u{1F1EF}\u{1F1F5}");
    assert_eq!(EMOJI[311], "1\u{20E3}");
    assert_eq!(EMOJI[320], "0\u{20E3}");
    assert_eq!(EMOJI[332], "\u{1F537}");
    assert!(
        EMOJI
            .iter()
            .all(|e| !e.is_empty() && !e.contains('\u{FE0F}'))
    );
    let distinct: std::collections::BTreeSet<_> = EMOJI.iter().collect();
    assert_eq!(distinct.len(), 333);
}

fn spec_key() -> CallKey {
    let key: [u8; 256] = core::array::from_fn(|i| i as u8);
    let g_a: [u8; 256] = core::array::from_fn(|i| 255 - i as u8);
    CallKey::new(key, g_a)
}

#[test]
fn emoji_fingerprint_and_voice_call_id_match_spec_11_4() {
    let k = spec_key();
    use sha2::{Digest, Sha256};
    let hash = Sha256::new()
        .chain_update(k.key().as_bytes())
        .chain_update(k.g_a())
        .finalize();
    assert_eq!(
        hash.to_vec(),
        h("1c7454fdb5783a77693d566de1ea54b3f3ba558f48aae8f782c199c84e355143")
    );
    assert_eq!(k.emoji_indices(), [122, 225, 65, 23]);
    assert_eq!(
        k.emoji(),
        ["\u{1F335}", "\u{1F374}", "\u{1F45E}", "\u{1F640}"]
    );
    assert_eq!(k.fingerprint().to_vec(), h("32d1586ea457dfc8"));
    assert_eq!(
        k.voice_call_id().to_vec(),
        h("7158785fbd1da870e7110266bf944880")
    );
}

#[test]
fn the_top_bit_of_each_word_is_masked() {
    // Find a key whose first hash word has its top bit set, and check the index is taken
    // modulo 333 of the masked value (unmasked, it differs for such words: 2^63 mod 333 = 8).
    let g_a = [7u8; 256];
    for seed in 0u8..=255 {
        let key = [seed; 256];
        use sha2::{Digest, Sha256};
        let hash = Sha256::new().chain_update(key).chain_update(g_a).finalize();
        let word = u64::from_be_bytes(hash[..8].try_into().unwrap());
        if word >> 63 == 1 {
            let masked = (word & (u64::MAX >> 1)) % 333;
            assert_ne!(masked, word % 333);
            assert_eq!(emoji_indices(&key, &g_a)[0] as u64, masked);
            return;
        }
    }
    panic!("no key with the top bit set");
}

#[test]
fn caller_and_callee_agree_on_key_fingerprint_and_emoji() {
    let caller = Caller::new(group(), secret(0x61)).unwrap();
    let commitment = caller.g_a_hash();
    assert_eq!(commitment, g_a_hash(caller.g_a()));
    let callee = Callee::new(group(), &commitment, secret(0x62)).unwrap();
    let a_key = caller.on_accepted(callee.g_b()).unwrap();
    let b_key = callee
        .on_confirmed(caller.g_a(), i64::from_le_bytes(a_key.fingerprint()))
        .unwrap();
    assert_eq!(a_key.key().as_bytes(), b_key.key().as_bytes());
    assert_eq!(a_key.emoji(), b_key.emoji());
    assert_eq!(b_key.g_a(), caller.g_a());
}

#[test]
fn the_callee_rejects_a_g_a_that_does_not_match_the_commitment() {
    let caller = Caller::new(group(), secret(0x61)).unwrap();
    let other = Caller::new(group(), secret(0x63)).unwrap();
    let callee = Callee::new(group(), &caller.g_a_hash(), secret(0x62)).unwrap();
    // A valid DH value, but not the one committed to.
    let k = other.on_accepted(callee.g_b()).unwrap();
    let e = callee
        .on_confirmed(other.g_a(), i64::from_le_bytes(k.fingerprint()))
        .unwrap_err();
    assert_eq!(e, CallError::GaHashMismatch);
    assert_eq!(e.reaction(), Reaction::CloseChat);
    // A truncated commitment matches nothing.
    let short = Callee::new(group(), &caller.g_a_hash()[..31], secret(0x62)).unwrap();
    assert_eq!(
        short.on_confirmed(caller.g_a(), 0).unwrap_err(),
        CallError::GaHashMismatch
    );
}

#[test]
fn the_callee_checks_g_a_after_the_commitment_and_then_the_fingerprint() {
    // A committed but invalid g_a: the hash matches, the DH check fails.
    let callee = Callee::new(group(), &g_a_hash(&[1]), secret(0x62)).unwrap();
    assert_eq!(
        callee.on_confirmed(&[1], 0).unwrap_err(),
        CallError::Dh(DhError::ValueOutOfRange)
    );
    let callee = Callee::new(group(), &g_a_hash(&[2]), secret(0x62)).unwrap();
    assert_eq!(
        callee.on_confirmed(&[2], 0).unwrap_err(),
        CallError::Dh(DhError::ValueUnsafe)
    );
    let caller = Caller::new(group(), secret(0x61)).unwrap();
    let callee = Callee::new(group(), &caller.g_a_hash(), secret(0x62)).unwrap();
    let k = caller.on_accepted(callee.g_b()).unwrap();
    let fp = i64::from_le_bytes(k.fingerprint());
    assert_eq!(
        callee.on_confirmed(caller.g_a(), fp ^ 1).unwrap_err(),
        CallError::KeyFingerprintMismatch
    );
    // The caller checks g_b.
    assert_eq!(
        caller.on_accepted(&[1]).unwrap_err(),
        CallError::Dh(DhError::ValueOutOfRange)
    );
}

#[test]
fn a_relay_in_the_middle_gets_different_emoji_on_the_two_sides() {
    // Mallory answers the caller as callee and calls the callee as caller.
    let alice = Caller::new(group(), secret(0x61)).unwrap();
    let m_to_bob = Caller::new(group(), secret(0x71)).unwrap();
    let m_to_alice = Callee::new(group(), &alice.g_a_hash(), secret(0x72)).unwrap();
    let bob = Callee::new(group(), &m_to_bob.g_a_hash(), secret(0x62)).unwrap();
    let alice_key = alice.on_accepted(m_to_alice.g_b()).unwrap();
    let m_bob_key = m_to_bob.on_accepted(bob.g_b()).unwrap();
    let bob_key = bob
        .on_confirmed(m_to_bob.g_a(), i64::from_le_bytes(m_bob_key.fingerprint()))
        .unwrap();
    assert_ne!(alice_key.emoji_indices(), bob_key.emoji_indices());
    // Swapping in Alice's g_a towards Bob breaks Mallory's own commitment.
    assert_eq!(
        bob.on_confirmed(alice.g_a(), 0).unwrap_err(),
        CallError::GaHashMismatch
    );
}

#[test]
fn packets_round_trip_with_x_by_sender_and_channel() {
    let key = chat_key(1);
    assert_eq!(packet::x(Role::Originator, Channel::Transport), 0);
    assert_eq!(packet::x(Role::Acceptor, Channel::Transport), 8);
    assert_eq!(packet::x(Role::Originator, Channel::Signaling), 128);
    assert_eq!(packet::x(Role::Acceptor, Channel::Signaling), 136);
    let body = b"seq and body bytes of any length";
    let mut seen = std::collections::BTreeSet::new();
    for sender in [Role::Originator, Role::Acceptor] {
        for channel in [Channel::Transport, Channel::Signaling] {
            let p = packet::encrypt(&key, sender, channel, body);
            assert_eq!(p.len(), 16 + body.len(), "CTR: no padding");
            assert!(seen.insert(p.clone()), "each x gives another packet");
            assert_eq!(
                packet::decrypt(&key, sender.peer(), channel, &p).unwrap(),
                body
            );
            assert_eq!(
                packet::decrypt(&key, sender, channel, &p).unwrap_err(),
                CallError::MsgKeyMismatch
            );
        }
    }
}

#[test]
fn every_bit_flip_and_short_packets_are_rejected() {
    let key = chat_key(1);
    let p = packet::encrypt(&key, Role::Originator, Channel::Transport, b"hello call");
    for i in 0..p.len() * 8 {
        let mut t = p.clone();
        t[i / 8] ^= 1 << (i % 8);
        let e = packet::decrypt(&key, Role::Acceptor, Channel::Transport, &t).unwrap_err();
        assert_eq!(e, CallError::MsgKeyMismatch);
        assert_eq!(e.reaction(), Reaction::Discard);
    }
    for n in [0, 15, 16] {
        assert_eq!(
            packet::decrypt(&key, Role::Acceptor, Channel::Transport, &p[..n]).unwrap_err(),
            CallError::TooShort { len: n }
        );
    }
}

#[test]
fn the_replay_window_keeps_64_seqs() {
    let mut w = ReplayWindow::new();
    assert_eq!(w.check(0).unwrap_err(), CallError::SeqOutOfRange { seq: 0 });
    assert_eq!(
        w.check(SEQ_LIMIT).unwrap_err(),
        CallError::SeqOutOfRange { seq: SEQ_LIMIT }
    );
    w.check(1).unwrap();
    assert_eq!(w.check(1).unwrap_err(), CallError::SeqRepeated { seq: 1 });
    w.check(100).unwrap();
    // 100 − 64 = 36 is too old; 37 is remembered and fresh.
    assert_eq!(w.check(36).unwrap_err(), CallError::SeqTooOld { seq: 36 });
    w.check(37).unwrap();
    assert_eq!(w.check(37).unwrap_err(), CallError::SeqRepeated { seq: 37 });
    w.check(99).unwrap();
    w.check(101).unwrap();
    assert_eq!(w.check(99).unwrap_err().name(), "SeqRepeated");
    assert_eq!(w.check(37).unwrap_err().name(), "SeqTooOld");
    assert_eq!(w.max(), 101);
    // A jump past the whole window forgets it.
    w.check(1000).unwrap();
    w.check(999).unwrap();
    assert_eq!(w.check(936).unwrap_err().name(), "SeqTooOld");
}

/// The §9.3 formulas written out from the spec, independently of `packet::derive`: a round trip
/// cannot tell a wrong byte layout of aes_key / aes_iv or a wrong key offset, this can.
fn spec_call_packet(key: &[u8; 256], x: usize, body: &[u8]) -> Vec<u8> {
    use cipher::{KeyIvInit, StreamCipher};
    use sha2::{Digest, Sha256};
    let large = Sha256::new()
        .chain_update(&key[88 + x..88 + x + 32])
        .chain_update(body)
        .finalize();
    let msg_key = &large[8..24];
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let aes_key: [u8; 32] = [&a[0..8], &b[8..24], &a[24..32]]
        .concat()
        .try_into()
        .unwrap();
    let aes_iv: [u8; 16] = [&b[0..4], &a[8..16], &b[24..28]]
        .concat()
        .try_into()
        .unwrap();
    let mut data = body.to_vec();
    ctr::Ctr128BE::<aes::Aes256>::new((&aes_key).into(), (&aes_iv).into())
        .apply_keystream(&mut data);
    [msg_key, &data].concat()
}

#[test]
fn packets_follow_the_spec_formulas_byte_for_byte() {
    let key = chat_key(3);
    // Longer than one AES block so the counter increment is covered too.
    let body: Vec<u8> = (0..77u8).collect();
    for (sender, channel, x) in [
        (Role::Originator, Channel::Transport, 0),
        (Role::Acceptor, Channel::Transport, 8),
        (Role::Originator, Channel::Signaling, 128),
        (Role::Acceptor, Channel::Signaling, 136),
    ] {
        assert_eq!(
            packet::encrypt(&key, sender, channel, &body),
            spec_call_packet(key.as_bytes(), x, &body),
            "x = {x}"
        );
    }
}

/// The receive path of `call::seq`: msg_key first, then the first seq (big-endian, tgcalls'
/// two flag bits masked off) through the window; the sender numbers from 1 and stops at 2^30 − 1.
#[test]
fn incoming_reads_the_first_seq_and_applies_the_window() {
    use mtproto::call::seq::{
        Incoming, MAX_COUNTER, MIN_PACKET_LEN, Outgoing, REQUIRES_ACK_BIT, SINGLE_MESSAGE_BIT,
        counter, first_seq,
    };
    let key = chat_key(0x5c);
    let mut out = Outgoing::new();
    let mut inc = Incoming::new(key.clone(), Role::Acceptor, Channel::Signaling);
    let p1 = out
        .seal(
            &key,
            Role::Originator,
            Channel::Signaling,
            SINGLE_MESSAGE_BIT,
            &[0xfe],
        )
        .unwrap();
    let p2 = out
        .seal(
            &key,
            Role::Originator,
            Channel::Signaling,
            REQUIRES_ACK_BIT,
            &[0xfe, 1, 2],
        )
        .unwrap();
    assert_eq!(p1.len(), MIN_PACKET_LEN);
    let r2 = inc.receive(&p2).unwrap();
    assert_eq!((r2.seq, r2.counter), (REQUIRES_ACK_BIT | 2, 2));
    assert_eq!(r2.body[4..], [0xfe, 1, 2]);
    let r1 = inc.receive(&p1).unwrap();
    assert_eq!((r1.seq, r1.counter), (SINGLE_MESSAGE_BIT | 1, 1));
    assert_eq!(
        inc.receive(&p1).unwrap_err(),
        CallError::SeqRepeated { seq: 1 }
    );
    assert_eq!(inc.max_counter(), 2);
    // Tampered: msg_key fails first and the window is untouched.
    let p3 = out
        .seal(&key, Role::Originator, Channel::Signaling, 0, &[0xfe])
        .unwrap();
    let mut t = p3.clone();
    t[20] ^= 1;
    assert_eq!(inc.receive(&t).unwrap_err(), CallError::MsgKeyMismatch);
    assert_eq!(inc.receive(&p3).unwrap().counter, 3);
    // Wrong channel or direction: msg_key.
    let other = Incoming::new(key.clone(), Role::Acceptor, Channel::Transport).receive(&p3);
    assert_eq!(other.unwrap_err(), CallError::MsgKeyMismatch);
    // 20 bytes are not decrypted, even with a valid msg_key.
    let short = packet::encrypt(
        &key,
        Role::Originator,
        Channel::Signaling,
        &9u32.to_be_bytes(),
    );
    assert_eq!(
        inc.receive(&short).unwrap_err(),
        CallError::TooShort { len: 20 }
    );
    // Counter 0 ends the call.
    let zero = packet::encrypt(
        &key,
        Role::Originator,
        Channel::Signaling,
        &[0, 0, 0, 0, 0xfe],
    );
    let e = inc.receive(&zero).unwrap_err();
    assert_eq!(e, CallError::SeqOutOfRange { seq: 0 });
    assert_eq!(e.reaction(), Reaction::CloseChat);
    assert_eq!(first_seq(&[1, 2, 3]), None);
    assert_eq!(counter(0xc000_0005), 5);
    // The sender's limit.
    let mut near = Outgoing::resume(MAX_COUNTER - 1).unwrap();
    assert_eq!(near.next_counter().unwrap(), MAX_COUNTER);
    assert_eq!(near.next_counter().unwrap_err(), CallError::SeqLimitReached);
    assert_eq!(near.counter(), MAX_COUNTER);
    assert_eq!(
        Outgoing::resume(MAX_COUNTER + 1).unwrap_err().reaction(),
        Reaction::CloseChat
    );
    assert_eq!(Outgoing::new().next_counter().unwrap(), 1);
}
