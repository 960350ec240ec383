//! The stateful session ops (`docs/adapter-protocol.md`): `session.open` gives a handle,
//! `session.feed` runs one trace step through the receiver behind it, `session.close` forgets it.
//!
//! | op | request | answer (`ok`) |
//! |---|---|---|
//! | `session.open` | `receiver` (`client`/`server`), `sessionId`, optional `windowSize` (int, default 1000), `clockSynced` (bool, client), `salts` (server: `[{salt, validSince, validUntil}]`) | `handle` (int) |
//! | `session.feed` | `handle`, `now` (unix seconds), `msgId`, `seqNo`, `contentRelated` (bool), `sessionId`, optional `salt` (server), `container` (`[{msgId, seqNo, contentRelated, container?}]`) | `verdict`: `accept` / `ignore` (+ `error`) / `badMsg` (+ `code`, `error`); a container that is accepted also gives `inner`: one `{verdict, error?, code?}` per nested message |
//! | `session.close` | `handle` | (nothing) |
//!
//! `session.feed` answers `ok` whatever the receiver decides: the verdict is the output. Requests
//! the op cannot read (an unknown handle, a missing field) are [`Answer::Error`].

use std::collections::BTreeMap;

use mtproto::error::SessionError;
use mtproto::session::{
    ClientConfig, ClientReceiver, DEFAULT_WINDOW, FutureSalt, Inbound, InnerHeader, SaltSchedule,
    ServerConfig, ServerReceiver,
};
use mtproto::{ProtocolError, Reaction, Receiver};
use serde_json::Value;

use crate::{Answer, Fields, fields, parse_receiver};

/// How many sessions may be open at once; opening another fails (a harness bug, not the IUT's).
pub const MAX_OPEN_SESSIONS: usize = 256;

#[derive(Clone, Debug)]
enum Session {
    Client(ClientReceiver),
    Server(ServerReceiver),
}

/// The open sessions of one IUT, by handle.
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    next: u64,
    open: BTreeMap<u64, Session>,
}

type OpResult = Result<Answer, String>;

fn opt_bool(request: &Fields, name: &str) -> Result<Option<bool>, String> {
    match request.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| format!("field `{name}`: expected a boolean")),
    }
}

fn int64(v: &Value, name: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("field `{name}`: expected an integer"))
}

fn long_value(v: &Value, name: &str) -> Result<i64, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("field `{name}`: expected a hex string"))?;
    let bytes = hex::decode(s).map_err(|e| format!("field `{name}`: invalid hex: {e}"))?;
    <[u8; 8]>::try_from(bytes.as_slice())
        .map(i64::from_le_bytes)
        .map_err(|_| format!("field `{name}`: expected 8 bytes, got {}", bytes.len()))
}

fn handle(request: &Fields) -> Result<u64, String> {
    fields::get(request, "handle")?
        .as_u64()
        .ok_or_else(|| "field `handle`: expected a non-negative integer".to_owned())
}

fn verdict(result: Result<(), SessionError>) -> Fields {
    let mut out = Fields::new();
    match result {
        Ok(()) => {
            out.insert("verdict".into(), Value::from("accept"));
        }
        Err(e) => {
            match e.reaction() {
                Reaction::BadMsgNotification(code) => {
                    out.insert("verdict".into(), Value::from("badMsg"));
                    out.insert("code".into(), Value::from(code));
                }
                _ => {
                    out.insert("verdict".into(), Value::from("ignore"));
                }
            }
            out.insert("error".into(), Value::from(e.name()));
        }
    }
    out
}

fn inner_headers(list: &[Value]) -> Result<Vec<InnerHeader>, String> {
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let Value::Object(m) = v else {
                return Err(format!("field `container[{i}]`: expected an object"));
            };
            Ok(InnerHeader {
                msg_id: fields::long(m, "msgId").map_err(|e| format!("container[{i}]: {e}"))?,
                seq_no: fields::int(m, "seqNo").map_err(|e| format!("container[{i}]: {e}"))?,
                content_related: opt_bool(m, "contentRelated")
                    .map_err(|e| format!("container[{i}]: {e}"))?
                    .ok_or_else(|| format!("container[{i}]: field `contentRelated`: missing"))?,
                is_container: m.get("container").is_some(),
            })
        })
        .collect()
}

impl Sessions {
    /// `session.open`.
    pub fn open(&mut self, request: &Fields) -> OpResult {
        let receiver = parse_receiver(request)?;
        let session_id = fields::long(request, "sessionId")?;
        let window = match request.get("windowSize") {
            None => DEFAULT_WINDOW,
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n >= 1)
                .ok_or("field `windowSize`: expected a positive integer")?,
        };
        let session = match receiver {
            Receiver::Client => Session::Client(ClientReceiver::new(
                session_id,
                ClientConfig {
                    window,
                    clock_synced: opt_bool(request, "clockSynced")?.unwrap_or(false),
                },
            )),
            Receiver::Server => {
                let mut salts = Vec::new();
                if let Some(list) = request.get("salts") {
                    let list = list.as_array().ok_or("field `salts`: expected an array")?;
                    for (i, s) in list.iter().enumerate() {
                        let Value::Object(m) = s else {
                            return Err(format!("field `salts[{i}]`: expected an object"));
                        };
                        salts.push(FutureSalt {
                            salt: long_value(fields::get(m, "salt")?, "salt")?,
                            valid_since: int64(fields::get(m, "validSince")?, "validSince")?,
                            valid_until: int64(fields::get(m, "validUntil")?, "validUntil")?,
                        });
                    }
                }
                Session::Server(ServerReceiver::new(
                    session_id,
                    ServerConfig { window },
                    SaltSchedule::new(&salts),
                ))
            }
        };
        if self.open.len() >= MAX_OPEN_SESSIONS {
            return Err(format!("more than {MAX_OPEN_SESSIONS} sessions open"));
        }
        let h = self.next;
        self.next = self.next.wrapping_add(1);
        self.open.insert(h, session);
        let mut answer = Fields::new();
        answer.insert("handle".into(), Value::from(h));
        Ok(Answer::Ok(answer))
    }

    /// `session.close`.
    pub fn close(&mut self, request: &Fields) -> OpResult {
        let h = handle(request)?;
        self.open
            .remove(&h)
            .map(|_| Answer::Ok(Fields::new()))
            .ok_or_else(|| format!("field `handle`: no open session {h}"))
    }

    /// `session.feed`.
    pub fn feed(&mut self, request: &Fields) -> OpResult {
        let h = handle(request)?;
        let msg = Inbound {
            session_id: fields::long(request, "sessionId")?,
            salt: match request.get("salt") {
                Some(v) => long_value(v, "salt")?,
                None => 0,
            },
            msg_id: fields::long(request, "msgId")?,
            seq_no: fields::int(request, "seqNo")?,
            content_related: opt_bool(request, "contentRelated")?
                .ok_or("field `contentRelated`: missing")?,
        };
        let now = int64(fields::get(request, "now")?, "now")?;
        let container = match request.get("container") {
            None => None,
            Some(v) => Some(inner_headers(
                v.as_array().ok_or("field `container`: expected an array")?,
            )?),
        };
        let session = self
            .open
            .get_mut(&h)
            .ok_or_else(|| format!("field `handle`: no open session {h}"))?;
        let answer = match (session, container) {
            (Session::Client(r), None) => verdict(r.receive(now, &msg).map(|_| ())),
            (Session::Server(r), None) => verdict(r.receive(now, &msg).map(|_| ())),
            (Session::Client(r), Some(inner)) => {
                let mut out = verdict(r.receive_container(now, &msg, &inner));
                if out.get("verdict") == Some(&Value::from("accept")) {
                    let each = inner
                        .iter()
                        .map(|m| Value::Object(verdict(r.receive_inner(m).map(|_| ()))))
                        .collect();
                    out.insert("inner".into(), Value::Array(each));
                }
                out
            }
            (Session::Server(r), Some(inner)) => {
                let mut out = verdict(r.receive_container(now, &msg, &inner));
                if out.get("verdict") == Some(&Value::from("accept")) {
                    let each = inner
                        .iter()
                        .map(|m| Value::Object(verdict(r.receive_inner(m).map(|_| ()))))
                        .collect();
                    out.insert("inner".into(), Value::Array(each));
                }
                out
            }
        };
        // The acks a real endpoint would send now; a trace never fills the queue.
        let mut scratch = Vec::new();
        match self.open.get_mut(&h) {
            Some(Session::Client(r)) => r.acks().drain_into(&mut scratch),
            Some(Session::Server(r)) => r.acks().drain_into(&mut scratch),
            None => {}
        }
        Ok(Answer::Ok(answer))
    }
}
