//! Session traces: `EncryptedSession::decrypt_frame_dedup_with_offset`, ferogram's receive path
//! with its shared 500-entry ring of seen msg_ids (`SeenMsgIds`).
//!
//! Each `session.feed` step becomes a real server packet (salt 0, the step's session_id, msg_id
//! and seq_no, a `pong` body, 12..27 bytes of zero padding, msg_key and AES-IGE with x = 8, as a
//! server makes them: ferogram has no server-side encryption, so the adapter builds the packet
//! from `sha2` and ferogram's `aes::ige_encrypt`). ferogram's clock offset is set to the step's
//! `now` minus this machine's clock, so its time window reads the trace's clock.

use std::collections::BTreeMap;

use ferogram_crypto::{AuthKey, aes};
use ferogram_mtproto::{DecryptError, EncryptedSession, SeenMsgIds, new_seen_msg_ids};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::ops::{decrypt_error, system_now};
use crate::proto::{Answer, OpResult, Req, hex_array, int, ok, string};

/// The auth key every session uses (bytes 0..255).
fn session_key() -> [u8; 256] {
    std::array::from_fn(|i| u8::try_from(i).unwrap_or(0))
}

struct Open {
    session_id: i64,
    seen: SeenMsgIds,
}

/// The open sessions, by handle.
#[derive(Default)]
pub struct Sessions {
    next: u64,
    open: BTreeMap<u64, Open>,
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A server-to-client packet (x = 8) for `data`, the test fixture ferogram decrypts.
fn server_packet(key: &[u8; 256], data: &[u8]) -> Vec<u8> {
    let mut plain = data.to_vec();
    let pad = 12 + (16 - (plain.len() + 12) % 16) % 16;
    plain.resize(plain.len() + pad, 0);
    let large = sha256(&[&key[96..128], &plain]);
    let msg_key: [u8; 16] = large[8..24].try_into().unwrap_or_default();
    let a = sha256(&[&msg_key, &key[8..44]]);
    let b = sha256(&[&key[48..84], &msg_key]);
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..]);
    aes::ige_encrypt(&mut plain, &aes_key, &aes_iv);
    let mut out = AuthKey::from_bytes(*key).key_id().to_vec();
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plain);
    out
}

fn handle(req: &Req) -> Result<u64, String> {
    u64::try_from(int(req, "handle")?).map_err(|e| format!("field `handle`: {e}"))
}

impl Sessions {
    /// `session.open`: client receivers with the default window (ferogram's ring is 500 and
    /// cannot be resized).
    pub fn open(&mut self, req: &Req) -> OpResult {
        if string(req, "receiver")? != "client" {
            return Ok(Answer::Unsupported);
        }
        if req.contains_key("windowSize") {
            return Ok(Answer::Unsupported);
        }
        let session_id = i64::from_le_bytes(hex_array::<8>(req, "sessionId")?);
        self.next += 1;
        self.open.insert(
            self.next,
            Open {
                session_id,
                seen: new_seen_msg_ids(),
            },
        );
        Ok(ok([("handle", Value::from(self.next))]))
    }

    /// `session.feed`: one step through `decrypt_frame_dedup_with_offset`.
    pub fn feed(&mut self, req: &Req) -> OpResult {
        let h = handle(req)?;
        let s = self
            .open
            .get(&h)
            .ok_or_else(|| format!("field `handle`: unknown {h}"))?;
        if req.contains_key("container") {
            return Ok(Answer::Unsupported); // unpacked past the receive checks
        }
        let sid = hex_array::<8>(req, "sessionId")?;
        let msg_id = hex_array::<8>(req, "msgId")?;
        let seq_no =
            i32::try_from(int(req, "seqNo")?).map_err(|e| format!("field `seqNo`: {e}"))?;
        let now = int(req, "now")?;
        let mut data = vec![0u8; 8];
        data.extend_from_slice(&sid);
        data.extend_from_slice(&msg_id);
        data.extend_from_slice(&seq_no.to_le_bytes());
        data.extend_from_slice(&20u32.to_le_bytes());
        data.extend_from_slice(&0x3477_73c5u32.to_le_bytes());
        data.extend_from_slice(&msg_id);
        data.extend_from_slice(&msg_id);
        let key = session_key();
        let mut packet = server_packet(&key, &data);
        let offset = i32::try_from(now - system_now())
            .map_err(|e| format!("field `now`: offset from this clock: {e}"))?;
        let got = EncryptedSession::decrypt_frame_dedup_with_offset(
            &key,
            s.session_id,
            &mut packet,
            &s.seen,
            offset,
        );
        let mut m = Map::new();
        match got {
            Ok(_) => {
                m.insert("verdict".into(), "accept".into());
            }
            Err(e) => {
                let name = match e {
                    DecryptError::MsgIdTimeWindow => {
                        let secs = i64::from(u32::from_le_bytes(
                            msg_id[4..8].try_into().unwrap_or_default(),
                        ));
                        if secs < now {
                            "TimeTooFarPast"
                        } else {
                            "TimeTooFarFuture"
                        }
                    }
                    ref e => decrypt_error(e),
                };
                m.insert("verdict".into(), "ignore".into());
                m.insert("error".into(), name.into());
            }
        }
        Ok(Answer::Ok(m))
    }

    /// `session.close`.
    pub fn close(&mut self, req: &Req) -> OpResult {
        self.open.remove(&handle(req)?);
        Ok(ok([]))
    }
}
