//! The secret-chat and call ops of the reference IUT (spec §8, §9).
//!
//! | op | request | answer (`ok`) | rejects with |
//! |---|---|---|---|
//! | `secret.acceptKey` | `p`, `g`, `localRandom` (256 B), `serverRandom`, `gA` | `gB`, `key`, `keyFingerprint` | the DH errors |
//! | `secret.completeKey` | `p`, `g`, `localRandom`, `serverRandom`, `gB`, `keyFingerprint` | `gA`, `key` | the DH errors, `KeyFingerprintMismatch` |
//! | `secret.keyHash` | `key`, optional `layer46Key` | `keyHash` (36 B), `pixels` (144 characters `0`..`3`, the 12×12 picture row by row) | — |
//! | `secret.encrypt` | `sender` (`originator`/`acceptor`), `key`, `layer` (TL bytes), `padding` | `packet` | `LengthNotAligned`, `PaddingTooShort`, `PaddingTooLong`, `NotBlockAligned` |
//! | `secret.decrypt` | `receiver` (`originator`/`acceptor`), `key`, `packet` | `layer` | the checks of spec §8.2, first failing first |
//! | `secret.seqTrace` | `role`, `steps` | `results`, one per step | — (the results are the output) |
//! | `secret.rekeyTrace` | `p`, `g`, `secret` (256 B), `steps` | `results`, one per step | — |
//! | `secret.fileEncrypt` | `key`, `iv` (32 B each), `file`, `padding` (0..=15 B), `partSize` (a positive multiple of 16) | `encrypted`, `keyFingerprint` (TL `int`) | — |
//! | `secret.fileDecrypt` | `key`, `iv`, `keyFingerprint` (TL `int`), `size`, `encrypted` | `file` | `FileKeyInvalid`, `FileFingerprintMismatch`, `FileSizeInvalid` |
//! | `secret.chatTrace` | `role`, `key` (256 B), `steps` (`receive` with a `packet`, `send` with a `message` (TL bytes of a `DecryptedMessage`), `rekey` with `exchangeId` and `secret` (256 B), or `announce`; each may carry `fresh`, the step's 32 bytes of randomness) | `results`, one per step (`send` / `rekey`: `sent` with the packet's `layer` and the message or action as `action`) | — |
//! | `call.emoji` | `key`, `gA` (256 B each) | `emojiIndices`, `emoji`, `keyFingerprint` | — |
//! | `call.confirm` | `p`, `g`, `b`, `gAHash`, `gA`, `keyFingerprint` | `gB`, `key` | `GaHashMismatch`, the DH errors, `KeyFingerprintMismatch` |
//! | `call.encrypt` | `sender`, `channel` (`transport` / `signaling`), `key`, `body` | `packet` | — |
//! | `call.decrypt` | `receiver`, `channel`, `key`, `packet` | `body` | `TooShort`, `MsgKeyMismatch` |
//! | `call.replayTrace` | `role`, `channel`, `key`, optional `sentBefore`, `steps` | `results`, one per step | — |
//!
//! The client secret of a key exchange is `localRandom XOR serverRandom` (spec §5). 64-bit values
//! (`keyFingerprint`, `exchangeId`) are the hex of their 8 little-endian wire bytes. Trace steps
//! and their results are described in `vectors/README.md`.

use mtproto::ProtocolError;
use mtproto::Reaction;
use mtproto::call::packet::{self, Channel};
use mtproto::call::seq::{Incoming, Outgoing};
use mtproto::call::{CallKey, Callee};
use mtproto::secret::file::{FileKey, decrypt_file, encrypt_file};
use mtproto::secret::key::{Requester, accept, client_secret};
use mtproto::secret::message::{self, Role};
use mtproto::secret::rekey::{Rekey, RekeyOutcome};
use mtproto::secret::seq::{Arrival, SeqState, parities};
use mtproto::secret::visual::{key_hash, pixels_string};
use mtproto::secret::{ChatKey, Notice, SecretChat, Verdict};
use mtproto::tl::Tl;
use mtproto::tl::generated::secret::enums::DecryptedMessage;
use mtproto::tl::generated::secret::enums::DecryptedMessageAction;
use serde_json::{Value, json};

use crate::handshake::group;
use crate::{Answer, Fields, fields};

/// `secret.acceptKey`.
pub const ACCEPT_KEY: &str = "secret.acceptKey";
/// `secret.completeKey`.
pub const COMPLETE_KEY: &str = "secret.completeKey";
/// `secret.keyHash`.
pub const KEY_HASH: &str = "secret.keyHash";
/// `secret.encrypt`.
pub const ENCRYPT: &str = "secret.encrypt";
/// `secret.decrypt`.
pub const DECRYPT: &str = "secret.decrypt";
/// `secret.seqTrace`.
pub const SEQ_TRACE: &str = "secret.seqTrace";
/// `secret.rekeyTrace`.
pub const REKEY_TRACE: &str = "secret.rekeyTrace";
/// `secret.fileEncrypt`.
pub const FILE_ENCRYPT: &str = "secret.fileEncrypt";
/// `secret.fileDecrypt`.
pub const FILE_DECRYPT: &str = "secret.fileDecrypt";
/// `secret.chatTrace`.
pub const CHAT_TRACE: &str = "secret.chatTrace";
/// `call.emoji`.
pub const CALL_EMOJI: &str = "call.emoji";
/// `call.confirm`.
pub const CALL_CONFIRM: &str = "call.confirm";
/// `call.encrypt`.
pub const CALL_ENCRYPT: &str = "call.encrypt";
/// `call.decrypt`.
pub const CALL_DECRYPT: &str = "call.decrypt";
/// `call.replayTrace`.
pub const CALL_REPLAY_TRACE: &str = "call.replayTrace";
/// This module's ops.
pub const OPS: &[&str] = &[
    ACCEPT_KEY,
    COMPLETE_KEY,
    KEY_HASH,
    ENCRYPT,
    DECRYPT,
    SEQ_TRACE,
    REKEY_TRACE,
    FILE_ENCRYPT,
    FILE_DECRYPT,
    CHAT_TRACE,
    CALL_EMOJI,
    CALL_CONFIRM,
    CALL_ENCRYPT,
    CALL_DECRYPT,
    CALL_REPLAY_TRACE,
];

/// Dispatch one of [`OPS`]; `None` for another op.
pub fn call(op: &str, request: &Fields) -> Option<Result<Answer, String>> {
    Some(match op {
        ACCEPT_KEY => accept_key(request),
        COMPLETE_KEY => complete_key(request),
        KEY_HASH => key_hash_op(request),
        ENCRYPT => encrypt(request),
        DECRYPT => decrypt(request),
        SEQ_TRACE => seq_trace(request),
        REKEY_TRACE => rekey_trace(request),
        FILE_ENCRYPT => file_encrypt(request),
        FILE_DECRYPT => file_decrypt(request),
        CHAT_TRACE => chat_trace(request),
        CALL_EMOJI => call_emoji(request),
        CALL_CONFIRM => call_confirm(request),
        CALL_ENCRYPT => call_packet(request, true),
        CALL_DECRYPT => call_packet(request, false),
        CALL_REPLAY_TRACE => call_replay_trace(request),
        _ => return None,
    })
}

fn role(request: &Fields, name: &str) -> Result<Role, String> {
    match fields::string(request, name)? {
        "originator" => Ok(Role::Originator),
        "acceptor" => Ok(Role::Acceptor),
        other => Err(format!(
            "field `{name}`: {other:?} is neither \"originator\" nor \"acceptor\""
        )),
    }
}

fn chat_key(request: &Fields, name: &str) -> Result<ChatKey, String> {
    fields::hex_array::<256>(request, name).map(ChatKey::new)
}

fn secret_of(request: &Fields) -> Result<[u8; 256], String> {
    let local = fields::hex_array::<256>(request, "localRandom")?;
    let server = fields::hex(request, "serverRandom")?;
    Ok(client_secret(&local, &server))
}

fn accept_key(request: &Fields) -> Result<Answer, String> {
    let g_a = fields::hex(request, "gA")?;
    let b = secret_of(request)?;
    let group = match group(request)? {
        Ok(g) => g,
        Err(a) => return Ok(a),
    };
    Ok(match accept(&group, &g_a, &b) {
        Ok(acc) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "gB", &acc.g_b);
            fields::put_hex(&mut f, "key", acc.key.as_bytes());
            fields::put_hex(&mut f, "keyFingerprint", &acc.key.fingerprint());
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn complete_key(request: &Fields) -> Result<Answer, String> {
    let g_b = fields::hex(request, "gB")?;
    let fp = fields::long(request, "keyFingerprint")?;
    let a = secret_of(request)?;
    let group = match group(request)? {
        Ok(g) => g,
        Err(a) => return Ok(a),
    };
    let req = match Requester::new(group, a) {
        Ok(r) => r,
        Err(e) => return Ok(Answer::rejected(&e)),
    };
    Ok(match req.complete(&g_b, fp) {
        Ok(key) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "gA", req.g_a());
            fields::put_hex(&mut f, "key", key.as_bytes());
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn key_hash_op(request: &Fields) -> Result<Answer, String> {
    let key = chat_key(request, "key")?;
    let later = match request.get("layer46Key") {
        None | Some(Value::Null) => None,
        Some(_) => Some(chat_key(request, "layer46Key")?),
    };
    let hash = key_hash(&key, later.as_ref());
    let mut f = Fields::new();
    fields::put_hex(&mut f, "keyHash", &hash);
    f.insert("pixels".into(), Value::String(pixels_string(&hash)));
    Ok(Answer::Ok(f))
}

fn file_key(request: &Fields) -> Result<FileKey, String> {
    Ok(FileKey::new(
        fields::hex_array::<32>(request, "key")?,
        fields::hex_array::<32>(request, "iv")?,
    ))
}

/// `secret.fileEncrypt`: a secret-chat file encrypted part by part (spec §8.6).
fn file_encrypt(request: &Fields) -> Result<Answer, String> {
    let key = file_key(request)?;
    let file = fields::hex(request, "file")?;
    let padding = fields::hex(request, "padding")?;
    let part_size = fields::get(request, "partSize")?
        .as_u64()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or("field `partSize`: expected a non-negative integer")?;
    Ok(match encrypt_file(&key, &file, &padding, part_size) {
        Ok((encrypted, fp)) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "encrypted", &encrypted);
            f.insert("keyFingerprint".into(), Value::from(fp));
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

/// `secret.fileDecrypt`: the receiver's checks of spec §8.6, then the file cut to `size`. The key
/// and iv are what the peer's message carried: a length other than 32 is the peer's
/// (`FileKeyInvalid`), not a malformed request.
fn file_decrypt(request: &Fields) -> Result<Answer, String> {
    let key =
        match FileKey::from_fields(&fields::hex(request, "key")?, &fields::hex(request, "iv")?) {
            Ok(key) => key,
            Err(e) => return Ok(Answer::rejected(&e)),
        };
    let fp = fields::int(request, "keyFingerprint")?;
    let size = fields::get(request, "size")?
        .as_i64()
        .ok_or("field `size`: expected an integer")?;
    let encrypted = fields::hex(request, "encrypted")?;
    Ok(match decrypt_file(&key, fp, size, &encrypted) {
        Ok(file) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "file", &file);
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn encrypt(request: &Fields) -> Result<Answer, String> {
    let sender = role(request, "sender")?;
    let key = chat_key(request, "key")?;
    let layer = fields::hex(request, "layer")?;
    let padding = fields::hex(request, "padding")?;
    Ok(match message::encrypt(&key, sender, &layer, &padding) {
        Ok(p) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "packet", &p);
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn decrypt(request: &Fields) -> Result<Answer, String> {
    let receiver = role(request, "receiver")?;
    let key = chat_key(request, "key")?;
    let packet = fields::hex(request, "packet")?;
    Ok(match message::decrypt(&key, receiver, &packet) {
        Ok(layer) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "layer", &layer.to_bytes());
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn steps(request: &Fields) -> Result<&Vec<Value>, String> {
    fields::get(request, "steps")?
        .as_array()
        .ok_or_else(|| "field `steps`: expected an array".to_owned())
}

fn step_fields(steps: &[Value], i: usize) -> Result<&Fields, String> {
    steps
        .get(i)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("field `steps[{i}]`: expected an object"))
}

fn at(i: usize, e: String) -> String {
    format!("steps[{i}]: {e}")
}

fn closing(e: &dyn ProtocolError) -> Value {
    json!({"verdict": "close", "error": e.name()})
}

const CHAT_CLOSED: &str = "ChatClosed";

/// `secret.seqTrace`: the seq_no rules of spec §8.3 for one side.
fn seq_trace(request: &Fields) -> Result<Answer, String> {
    let role = role(request, "role")?;
    let steps = steps(request)?;
    let (_, peer_out) = parities(role.peer());
    let mut state: SeqState<()> = SeqState::new(role);
    let mut closed = false;
    let mut results = Vec::with_capacity(steps.len());
    for i in 0..steps.len() {
        let s = step_fields(steps, i)?;
        let op = fields::string(s, "op").map_err(|e| at(i, e))?;
        if closed {
            results.push(json!({"verdict": "close", "error": CHAT_CLOSED}));
            continue;
        }
        let r = match op {
            "send" => match state.next_send() {
                Ok((i, o)) => json!({"verdict": "sent", "inSeqNo": i, "outSeqNo": o}),
                Err(e) => json!({"verdict": "refuse", "error": e.name()}),
            },
            "receive" => {
                let in_seq = fields::int(s, "inSeqNo").map_err(|e| at(i, e))?;
                let out_seq = fields::int(s, "outSeqNo").map_err(|e| at(i, e))?;
                match state.arrive(in_seq, out_seq, ()) {
                    Ok(Arrival::Deliver(items)) => {
                        let outs: Vec<i64> = items
                            .iter()
                            .map(|(raw, ())| 2 * i64::from(*raw) + i64::from(peer_out))
                            .collect();
                        json!({"verdict": "deliver", "delivered": outs})
                    }
                    Ok(Arrival::Queued(None)) => json!({"verdict": "queue"}),
                    Ok(Arrival::Queued(Some(r))) => json!({
                        "verdict": "queue",
                        "resendStart": r.start_seq_no,
                        "resendEnd": r.end_seq_no,
                    }),
                    Err(e) if e.reaction() == Reaction::CloseChat => {
                        closed = true;
                        closing(&e)
                    }
                    Err(e) => json!({"verdict": "ignore", "error": e.name()}),
                }
            }
            "resendRequest" => {
                let start = fields::int(s, "startSeqNo").map_err(|e| at(i, e))?;
                let end = fields::int(s, "endSeqNo").map_err(|e| at(i, e))?;
                match state.check_resend(start, end) {
                    Ok(_) => json!({"verdict": "ok"}),
                    Err(e) => {
                        closed = true;
                        closing(&e)
                    }
                }
            }
            other => return Err(at(i, format!("unknown op {other:?}"))),
        };
        results.push(r);
    }
    let mut f = Fields::new();
    f.insert("results".into(), Value::Array(results));
    Ok(Answer::Ok(f))
}

fn action_hex(a: &DecryptedMessageAction) -> String {
    hex::encode(a.to_bytes())
}

/// `secret.rekeyTrace`: the re-keying state machine of spec §8.4 for one side.
fn rekey_trace(request: &Fields) -> Result<Answer, String> {
    let secret = fields::hex_array::<256>(request, "secret")?;
    let steps = steps(request)?;
    let group = match group(request)? {
        Ok(g) => g,
        Err(a) => return Ok(a),
    };
    let mut rekey = Rekey::new(group);
    let mut closed = false;
    let mut results = Vec::with_capacity(steps.len());
    for i in 0..steps.len() {
        let s = step_fields(steps, i)?;
        let op = fields::string(s, "op").map_err(|e| at(i, e))?;
        if closed {
            results.push(json!({"verdict": "close", "error": CHAT_CLOSED}));
            continue;
        }
        let r = match op {
            "request" => {
                let ex = fields::long(s, "exchangeId").map_err(|e| at(i, e))?;
                match rekey.request(ex, &secret) {
                    Ok(a) => json!({"verdict": "send", "action": action_hex(&a)}),
                    Err(e) if e.reaction() == Reaction::CloseChat => {
                        closed = true;
                        closing(&e)
                    }
                    Err(e) => json!({"verdict": "refuse", "error": e.name()}),
                }
            }
            "committed" => {
                rekey.committed(fields::long(s, "exchangeId").map_err(|e| at(i, e))?);
                json!({"verdict": "nothing"})
            }
            "receive" => {
                let bytes = fields::hex(s, "action").map_err(|e| at(i, e))?;
                let action = DecryptedMessageAction::from_bytes(&bytes)
                    .map_err(|e| at(i, format!("field `action`: {e}")))?;
                match rekey.on_action(&action, &secret) {
                    Ok(RekeyOutcome::Nothing) => json!({"verdict": "nothing"}),
                    Ok(RekeyOutcome::AbortedSilently) => json!({"verdict": "abortedSilently"}),
                    Ok(RekeyOutcome::Send(a)) => {
                        json!({"verdict": "send", "action": action_hex(&a)})
                    }
                    Ok(RekeyOutcome::CommitThenSwitch(a, k)) => json!({
                        "verdict": "commit",
                        "action": action_hex(&a),
                        "keyFingerprint": hex::encode(k.fingerprint()),
                    }),
                    Ok(RekeyOutcome::Switch(k)) => json!({
                        "verdict": "switch",
                        "keyFingerprint": hex::encode(k.fingerprint()),
                    }),
                    Err(e) => {
                        closed = true;
                        closing(&e)
                    }
                }
            }
            other => return Err(at(i, format!("unknown op {other:?}"))),
        };
        results.push(r);
    }
    let mut f = Fields::new();
    f.insert("results".into(), Value::Array(results));
    Ok(Answer::Ok(f))
}

/// What a packet this side sent carries, read back as the peer reads it: its layer and its
/// service action (or the whole message, TL bytes).
fn reply_value(chat: &SecretChat, packet: &[u8]) -> Result<Value, String> {
    // Under the current key, or the old one for what went out before a switch (the Commit).
    let layer = message::decrypt(chat.current_key(), chat.role().peer(), packet)
        .or_else(|e| match chat.old_key() {
            Some(old) => message::decrypt(old, chat.role().peer(), packet),
            None => Err(e),
        })
        .map_err(|e| format!("a reply does not decrypt: {e}"))?;
    let action = match &layer.message {
        DecryptedMessage::DecryptedMessageService17(m) => m.action.to_bytes(),
        DecryptedMessage::DecryptedMessageService8(m) => m.action.to_bytes(),
        other => other.to_bytes(),
    };
    Ok(json!({"layer": layer.layer, "action": hex::encode(action)}))
}

/// `secret.chatTrace`: one side of a chat receiving packets (spec §8.2 layers and versions,
/// §8.3, §8.4), with the layer announcement of `announce` steps, its own messages (`send`) and
/// re-keys (`rekey`). Time is 0; each step's randomness is its `fresh` bytes, or the step index
/// repeated (it reaches the reported fields only through a re-key's DH values).
fn chat_trace(request: &Fields) -> Result<Answer, String> {
    let role = role(request, "role")?;
    let key = chat_key(request, "key")?;
    let steps = steps(request)?;
    let group = match group(&{
        let mut f = Fields::new();
        f.insert(
            "p".into(),
            Value::String(hex::encode(mtproto::crypto::dh::TELEGRAM_DH_PRIME)),
        );
        f.insert("g".into(), Value::from(3));
        f
    })? {
        Ok(g) => g,
        Err(a) => return Ok(a),
    };
    let mut chat = SecretChat::new(role, key, group, 0);
    let mut results = Vec::with_capacity(steps.len());
    for i in 0..steps.len() {
        let s = step_fields(steps, i)?;
        let fresh = match s.get("fresh") {
            None => [u8::try_from(i % 256).unwrap_or(0); 32],
            Some(_) => fields::hex_array::<32>(s, "fresh").map_err(|e| at(i, e))?,
        };
        let r = match fields::string(s, "op").map_err(|e| at(i, e))? {
            "rekey" => {
                let exchange_id = fields::long(s, "exchangeId").map_err(|e| at(i, e))?;
                let secret = fields::hex_array::<256>(s, "secret").map_err(|e| at(i, e))?;
                match chat.start_rekey(exchange_id, &secret, 0, &fresh) {
                    Ok(p) => {
                        let mut v = reply_value(&chat, &p).map_err(|e| at(i, e))?;
                        if let Value::Object(m) = &mut v {
                            m.insert("verdict".into(), Value::from("sent"));
                        }
                        v
                    }
                    Err(e) => json!({"verdict": "refuse", "error": e.name()}),
                }
            }
            "announce" => match chat.announce_layer(0, &fresh) {
                Ok(p) => {
                    let mut v = reply_value(&chat, &p).map_err(|e| at(i, e))?;
                    if let Value::Object(m) = &mut v {
                        m.insert("verdict".into(), Value::from("sent"));
                    }
                    v
                }
                Err(e) => json!({"verdict": "refuse", "error": e.name()}),
            },
            "send" => {
                let bytes = fields::hex(s, "message").map_err(|e| at(i, e))?;
                let message = DecryptedMessage::from_bytes(&bytes)
                    .map_err(|e| at(i, format!("field `message`: {e}")))?;
                match chat.send(message, 0, &fresh) {
                    Ok(p) => {
                        let mut v = reply_value(&chat, &p).map_err(|e| at(i, e))?;
                        if let Value::Object(m) = &mut v {
                            m.insert("verdict".into(), Value::from("sent"));
                        }
                        v
                    }
                    Err(e) => json!({"verdict": "refuse", "error": e.name()}),
                }
            }
            "receive" => {
                let packet = fields::hex(s, "packet").map_err(|e| at(i, e))?;
                match chat.receive(&packet, 0, &fresh) {
                    Verdict::Accepted {
                        delivered,
                        replies,
                        notices,
                    } => {
                        let mut m = serde_json::Map::new();
                        if delivered.is_empty() {
                            m.insert("verdict".into(), Value::from("queue"));
                        } else {
                            m.insert("verdict".into(), Value::from("deliver"));
                            m.insert(
                                "delivered".into(),
                                json!(delivered.iter().map(|d| d.out_seq_no).collect::<Vec<_>>()),
                            );
                        }
                        m.insert("peerLayer".into(), Value::from(chat.peer_layer()));
                        if !replies.is_empty() {
                            let rs = replies
                                .iter()
                                .map(|p| reply_value(&chat, p))
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(|e| at(i, e))?;
                            m.insert("replies".into(), Value::Array(rs));
                        }
                        if !notices.is_empty() {
                            let ns: Vec<Value> = notices
                                .iter()
                                .map(|n| match n {
                                    Notice::PeerLayerNewer { .. } => Value::from("PeerLayerNewer"),
                                })
                                .collect();
                            m.insert("notices".into(), Value::Array(ns));
                        }
                        Value::Object(m)
                    }
                    Verdict::Rejected(e) => json!({"verdict": "reject", "error": e.name()}),
                    Verdict::Closed(e) => closing(&e),
                }
            }
            other => return Err(at(i, format!("unknown op {other:?}"))),
        };
        results.push(r);
    }
    let mut f = Fields::new();
    f.insert("results".into(), Value::Array(results));
    Ok(Answer::Ok(f))
}

fn call_emoji(request: &Fields) -> Result<Answer, String> {
    let key = fields::hex_array::<256>(request, "key")?;
    let g_a = fields::hex_array::<256>(request, "gA")?;
    let k = CallKey::new(key, g_a);
    let mut f = Fields::new();
    f.insert("emojiIndices".into(), json!(k.emoji_indices()));
    f.insert("emoji".into(), json!(k.emoji()));
    fields::put_hex(&mut f, "keyFingerprint", &k.fingerprint());
    Ok(Answer::Ok(f))
}

fn call_confirm(request: &Fields) -> Result<Answer, String> {
    let b = fields::hex_array::<256>(request, "b")?;
    let hash = fields::hex(request, "gAHash")?;
    let g_a = fields::hex(request, "gA")?;
    let fp = fields::long(request, "keyFingerprint")?;
    let group = match group(request)? {
        Ok(g) => g,
        Err(a) => return Ok(a),
    };
    let callee = match Callee::new(group, &hash, b) {
        Ok(c) => c,
        Err(e) => return Ok(Answer::rejected(&e)),
    };
    Ok(match callee.on_confirmed(&g_a, fp) {
        Ok(k) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "gB", callee.g_b());
            fields::put_hex(&mut f, "key", k.key().as_bytes());
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn channel(request: &Fields) -> Result<Channel, String> {
    match fields::string(request, "channel")? {
        "transport" => Ok(Channel::Transport),
        "signaling" => Ok(Channel::Signaling),
        other => Err(format!(
            "field `channel`: {other:?} is neither \"transport\" nor \"signaling\""
        )),
    }
}

const CALL_ABORTED: &str = "CallAborted";

/// `call.replayTrace`: one side of a call channel (spec §9.3). `receive` steps take the peer's
/// packets through msg_key, the first seq and the replay window; `send` steps number this side's
/// messages, starting after `sentBefore`.
fn call_replay_trace(request: &Fields) -> Result<Answer, String> {
    let role = role(request, "role")?;
    let channel = channel(request)?;
    let key = chat_key(request, "key")?;
    let sent_before = match request.get("sentBefore") {
        None | Some(Value::Null) => 0,
        Some(_) => u32::try_from(fields::int(request, "sentBefore")?)
            .map_err(|_| "field `sentBefore`: negative".to_owned())?,
    };
    let steps = steps(request)?;
    let mut incoming = Incoming::new(key, role, channel);
    let mut outgoing = match Outgoing::resume(sent_before) {
        Ok(o) => o,
        Err(e) => return Err(format!("field `sentBefore`: {e}")),
    };
    let mut aborted = false;
    let mut results = Vec::with_capacity(steps.len());
    for i in 0..steps.len() {
        let s = step_fields(steps, i)?;
        let op = fields::string(s, "op").map_err(|e| at(i, e))?;
        if aborted {
            results.push(json!({"verdict": "abort", "error": CALL_ABORTED}));
            continue;
        }
        let outcome = match op {
            "receive" => {
                let bytes = fields::hex(s, "packet").map_err(|e| at(i, e))?;
                incoming
                    .receive(&bytes)
                    .map(|r| json!({"verdict": "accept", "counter": r.counter}))
            }
            "send" => outgoing
                .next_counter()
                .map(|c| json!({"verdict": "sent", "counter": c})),
            other => return Err(at(i, format!("unknown op {other:?}"))),
        };
        results.push(match outcome {
            Ok(v) => v,
            Err(e) if e.reaction() == Reaction::CloseChat => {
                aborted = true;
                json!({"verdict": "abort", "error": e.name()})
            }
            Err(e) => json!({"verdict": "discard", "error": e.name()}),
        });
    }
    let mut f = Fields::new();
    f.insert("results".into(), Value::Array(results));
    Ok(Answer::Ok(f))
}

fn call_packet(request: &Fields, encrypt: bool) -> Result<Answer, String> {
    let channel = channel(request)?;
    let key = chat_key(request, "key")?;
    let mut f = Fields::new();
    if encrypt {
        let sender = role(request, "sender")?;
        let body = fields::hex(request, "body")?;
        fields::put_hex(
            &mut f,
            "packet",
            &packet::encrypt(&key, sender, channel, &body),
        );
        return Ok(Answer::Ok(f));
    }
    let receiver = role(request, "receiver")?;
    let p = fields::hex(request, "packet")?;
    Ok(match packet::decrypt(&key, receiver, channel, &p) {
        Ok(body) => {
            fields::put_hex(&mut f, "body", &body);
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ops_are_unique() {
        let mut ops = super::OPS.to_vec();
        ops.sort_unstable();
        ops.dedup();
        assert_eq!(ops.len(), super::OPS.len());
    }
}
