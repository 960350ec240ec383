//! One test per receiver check (spec §3.1 R1–R6, in their order), each built so that only the check
//! it is named after can reject it: malformed plaintexts are sealed with a correct msg_key.

use mtproto::envelope::{self, Message, PacketKind, unencrypted};
use mtproto::{Direction, EnvelopeError, ProtocolError, Reaction, Receiver};

use crate::support::{SESSION, header, key_0_255, key_with_seed, packet_for};

/// Seal a plaintext with header length field `length`, `body_len` body bytes and `pad` padding
/// bytes, for a client receiver.
fn sealed(length: i32, body_len: usize, pad: usize) -> Vec<u8> {
    let mut p = header(SESSION, 0x5e30_8b91_c2c1_f001, 1, length);
    p.extend(std::iter::repeat_n(0x11, body_len));
    p.extend(std::iter::repeat_n(0x22, pad));
    assert_eq!(p.len() % 16, 0, "test plaintext must be block aligned");
    envelope::seal(&key_0_255(), Direction::ServerToClient, &p).unwrap()
}

fn client_decrypt(packet: &[u8]) -> Result<envelope::Decrypted, EnvelopeError> {
    envelope::decrypt(&key_0_255(), Receiver::Client, SESSION, packet)
}

#[test]
fn well_formed_packet_is_accepted_by_both_receivers() {
    for receiver in [Receiver::Client, Receiver::Server] {
        let p = packet_for(receiver, b"abcdefgh", 24);
        let m = envelope::decrypt(&key_0_255(), receiver, SESSION, &p).unwrap();
        assert_eq!(m.body(), b"abcdefgh");
        assert_eq!(m.padding(), &[0xa5; 24][..]);
    }
}

#[test]
fn shorter_than_outer_header_is_too_short() {
    let p = packet_for(Receiver::Client, b"", 16);
    for len in 0..24 {
        assert_eq!(
            client_decrypt(&p[..len]).unwrap_err(),
            EnvelopeError::TooShort { len, min: 24 }
        );
    }
}

#[test]
fn other_key_is_auth_key_id_mismatch() {
    let p = packet_for(Receiver::Client, b"", 16);
    let err = envelope::decrypt(&key_with_seed(9), Receiver::Client, SESSION, &p).unwrap_err();
    assert_eq!(err, EnvelopeError::AuthKeyIdMismatch);
    let mut q = p.clone();
    q[3] ^= 0x40;
    assert_eq!(
        client_decrypt(&q).unwrap_err(),
        EnvelopeError::AuthKeyIdMismatch
    );
}

#[test]
fn unaligned_encrypted_data_is_not_block_aligned() {
    let p = packet_for(Receiver::Client, b"", 16);
    for cut in 1..16 {
        let err = client_decrypt(&p[..p.len() - cut]).unwrap_err();
        assert_eq!(err.name(), "NotBlockAligned", "cut {cut}");
    }
    let mut longer = p.clone();
    longer.push(0);
    assert_eq!(
        client_decrypt(&longer).unwrap_err().name(),
        "NotBlockAligned"
    );
}

#[test]
fn encrypted_data_under_48_bytes_is_too_short() {
    // 16 and 32 bytes of encrypted data, sealed with a correct msg_key.
    for len in [16usize, 32] {
        let p = envelope::seal(&key_0_255(), Direction::ServerToClient, &vec![0u8; len]).unwrap();
        assert_eq!(
            client_decrypt(&p).unwrap_err(),
            EnvelopeError::TooShort { len, min: 48 }
        );
    }
    let p = envelope::seal(&key_0_255(), Direction::ServerToClient, &[]).unwrap();
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::TooShort { len: 0, min: 48 }
    );
}

#[test]
fn any_flipped_bit_after_the_key_id_is_msg_key_mismatch() {
    let p = packet_for(Receiver::Client, &[7u8; 40], 40);
    for bit in (8 * 8)..(p.len() * 8) {
        let mut q = p.clone();
        q[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            client_decrypt(&q).unwrap_err(),
            EnvelopeError::MsgKeyMismatch,
            "bit {bit}"
        );
    }
}

#[test]
fn packet_for_the_other_receiver_is_msg_key_mismatch() {
    let to_server = packet_for(Receiver::Server, b"ping", 12);
    assert_eq!(
        client_decrypt(&to_server).unwrap_err(),
        EnvelopeError::MsgKeyMismatch
    );
}

#[test]
fn negative_length_is_out_of_range() {
    let p = sealed(-4, 0, 16);
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::LengthOutOfRange {
            declared: -4,
            available: 16
        }
    );
    let p = sealed(i32::MIN, 0, 16);
    assert_eq!(client_decrypt(&p).unwrap_err().name(), "LengthOutOfRange");
}

#[test]
fn length_past_the_plaintext_is_out_of_range() {
    // 16 bytes after the header, length claims 20.
    let p = sealed(20, 0, 16);
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::LengthOutOfRange {
            declared: 20,
            available: 16
        }
    );
    // The attack-3 shape: a huge length must be rejected, never read.
    let p = sealed(1 << 24, 0, 16);
    assert_eq!(client_decrypt(&p).unwrap_err().name(), "LengthOutOfRange");
}

#[test]
fn length_not_divisible_by_4_is_not_aligned() {
    // 2-byte body, 30 bytes of padding: only the alignment rule is broken.
    let p = sealed(2, 2, 30);
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::LengthNotAligned { declared: 2 }
    );
}

#[test]
fn padding_of_8_bytes_is_too_short() {
    let p = sealed(8, 8, 8);
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::PaddingTooShort { len: 8 }
    );
    // 12 bytes is the minimum and accepted.
    let p = sealed(4, 4, 12);
    client_decrypt(&p).unwrap();
}

#[test]
fn padding_of_1028_bytes_is_too_long() {
    let p = sealed(12, 12, 1028);
    assert_eq!(
        client_decrypt(&p).unwrap_err(),
        EnvelopeError::PaddingTooLong { len: 1028 }
    );
    // 1024 bytes is the maximum and accepted.
    let p = sealed(0, 0, 1024);
    client_decrypt(&p).unwrap();
}

#[test]
fn wrong_session_is_session_id_mismatch() {
    let p = packet_for(Receiver::Client, b"", 16);
    assert_eq!(
        envelope::decrypt(&key_0_255(), Receiver::Client, SESSION.wrapping_add(1), &p).unwrap_err(),
        EnvelopeError::SessionIdMismatch
    );
    // The server's first message of a connection may carry any session.
    let p = packet_for(Receiver::Server, b"", 16);
    let m = envelope::decrypt_any_session(&key_0_255(), Receiver::Server, &p).unwrap();
    assert_eq!(m.session_id, SESSION);
}

#[test]
fn first_broken_rule_names_the_error() {
    // Misaligned length AND too little padding: length alignment is checked first.
    let p = sealed(6, 8, 8);
    assert_eq!(client_decrypt(&p).unwrap_err().name(), "LengthNotAligned");
    // Out-of-range length AND misaligned: out-of-range first.
    let p = sealed(-3, 0, 16);
    assert_eq!(client_decrypt(&p).unwrap_err().name(), "LengthOutOfRange");
    // Bad padding AND wrong session: padding first.
    let mut pt = header(SESSION ^ 5, 1, 1, 8);
    pt.extend([0u8; 16]);
    let p = envelope::seal(&key_0_255(), Direction::ServerToClient, &pt).unwrap();
    assert_eq!(client_decrypt(&p).unwrap_err().name(), "PaddingTooShort");
}

#[test]
fn every_envelope_failure_reacts_like_a_msg_key_failure() {
    let errors = [
        EnvelopeError::TooShort { len: 0, min: 24 },
        EnvelopeError::AuthKeyIdMismatch,
        EnvelopeError::NotBlockAligned { len: 17 },
        EnvelopeError::MsgKeyMismatch,
        EnvelopeError::LengthOutOfRange {
            declared: -1,
            available: 0,
        },
        EnvelopeError::LengthNotAligned { declared: 3 },
        EnvelopeError::PaddingTooShort { len: 8 },
        EnvelopeError::PaddingTooLong { len: 1028 },
        EnvelopeError::SessionIdMismatch,
    ];
    for e in errors {
        assert_eq!(e.reaction(), EnvelopeError::MsgKeyMismatch.reaction());
        assert_eq!(e.reaction(), Reaction::Discard);
        assert!(e.to_string().starts_with(e.name()));
    }
}

#[test]
fn encrypt_refuses_what_a_receiver_would_reject() {
    let key = key_0_255();
    let msg = |body| Message {
        salt: 1,
        session_id: 2,
        msg_id: 4,
        seq_no: 0,
        body,
    };
    let d = Direction::ClientToServer;
    assert_eq!(
        envelope::encrypt(&key, d, &msg(b"abc"), &[0; 13])
            .unwrap_err()
            .name(),
        "LengthNotAligned"
    );
    assert_eq!(
        envelope::encrypt(&key, d, &msg(b"abcd"), &[0; 8])
            .unwrap_err()
            .name(),
        "PaddingTooShort"
    );
    assert_eq!(
        envelope::encrypt(&key, d, &msg(b""), &[0; 1040])
            .unwrap_err()
            .name(),
        "PaddingTooLong"
    );
    assert_eq!(
        envelope::encrypt(&key, d, &msg(b"abcd"), &[0; 13])
            .unwrap_err()
            .name(),
        "NotBlockAligned"
    );
    for e in [
        envelope::encrypt(&key, d, &msg(b"abc"), &[0; 13]).unwrap_err(),
        envelope::seal(&key, d, &[0; 17]).unwrap_err(),
    ] {
        assert_eq!(e.reaction(), Reaction::Discard);
    }
}

#[test]
fn unencrypted_messages_round_trip_and_are_strict() {
    let p = unencrypted::encode(0x51e5_7ac4_2770_964a, b"\x78\x97\x46\x60abcdefgh").unwrap();
    assert_eq!(envelope::classify(&p).unwrap(), PacketKind::Unencrypted);
    let m = unencrypted::decode(&p).unwrap();
    assert_eq!(m.msg_id, 0x51e5_7ac4_2770_964a);
    assert_eq!(m.body, b"\x78\x97\x46\x60abcdefgh");

    let mut extra = p.clone();
    extra.extend([0; 4]);
    assert_eq!(
        unencrypted::decode(&extra).unwrap_err().name(),
        "LengthOutOfRange"
    );
    assert_eq!(
        unencrypted::decode(&p[..p.len() - 4]).unwrap_err().name(),
        "LengthOutOfRange"
    );
    for cut in 0..20 {
        assert_eq!(
            unencrypted::decode(&p[..cut]).unwrap_err().name(),
            "TooShort"
        );
    }
    let mut keyed = p.clone();
    keyed[0] = 1;
    assert_eq!(
        unencrypted::decode(&keyed).unwrap_err(),
        EnvelopeError::AuthKeyIdMismatch
    );
    assert_eq!(
        envelope::classify(&keyed).unwrap(),
        PacketKind::Encrypted([1, 0, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(
        unencrypted::encode(1, b"abc").unwrap_err().name(),
        "LengthNotAligned"
    );
    let mut odd = unencrypted::encode(1, b"abcd").unwrap();
    odd[16] = 3;
    odd.truncate(23);
    assert_eq!(
        unencrypted::decode(&odd).unwrap_err().name(),
        "LengthNotAligned"
    );
}
