//! Helpers shared by the tests.

use mtproto::AuthKey;
use mtproto::Receiver;
use mtproto::envelope::{self, Message};

pub fn h(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap()
}

pub fn key_0_255() -> AuthKey {
    AuthKey::new(core::array::from_fn(|i| i as u8))
}

pub fn key_with_seed(seed: u8) -> AuthKey {
    AuthKey::new(core::array::from_fn(|i| {
        (i as u8).wrapping_mul(31).wrapping_add(seed)
    }))
}

pub const SALT: i64 = 0x0102_0304_0506_0708;
pub const SESSION: i64 = -0x1122_3344_5566_7788;

/// The 32-byte plaintext header.
pub fn header(session_id: i64, msg_id: i64, seq_no: i32, length: i32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&SALT.to_le_bytes());
    p.extend_from_slice(&session_id.to_le_bytes());
    p.extend_from_slice(&msg_id.to_le_bytes());
    p.extend_from_slice(&seq_no.to_le_bytes());
    p.extend_from_slice(&length.to_le_bytes());
    p
}

/// A server-to-client packet for `receiver` Client with a valid layout.
pub fn packet_for(receiver: Receiver, body: &[u8], padding: usize) -> Vec<u8> {
    let msg = Message {
        salt: SALT,
        session_id: SESSION,
        msg_id: 0x5e30_8b91_c2c1_f001,
        seq_no: 2,
        body,
    };
    envelope::encrypt(
        &key_0_255(),
        receiver.direction(),
        &msg,
        &vec![0xa5; padding],
    )
    .unwrap()
}
