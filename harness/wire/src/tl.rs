//! The few service-message bodies the actors write and read (spec: service messages), built with
//! the reference's codec, and a one-line description of any body for transcripts.

use mtproto::codec::{Reader, put_int, put_long, put_tl_bytes, put_u32};
use mtproto::tl::Tl;
use mtproto::tl::generated::mtproto::Object;

/// `ping#7abe77ec ping_id:long = Pong`
pub const PING: u32 = 0x7abe_77ec;
/// `ping_delay_disconnect#f3427b8c ping_id:long disconnect_delay:int = Pong`
pub const PING_DELAY_DISCONNECT: u32 = 0xf342_7b8c;
/// `pong#347773c5 msg_id:long ping_id:long = Pong`
pub const PONG: u32 = 0x3477_73c5;
/// `new_session_created#9ec20908 first_msg_id:long unique_id:long server_salt:long`
pub const NEW_SESSION_CREATED: u32 = 0x9ec2_0908;
/// `bad_msg_notification#a7eff811 bad_msg_id:long bad_msg_seqno:int error_code:int`
pub const BAD_MSG_NOTIFICATION: u32 = 0xa7ef_f811;
/// `bad_server_salt#edab447b bad_msg_id:long bad_msg_seqno:int error_code:int new_server_salt:long`
pub const BAD_SERVER_SALT: u32 = 0xedab_447b;
/// `rpc_result#f35c6d01 req_msg_id:long result:Object`
pub const RPC_RESULT: u32 = 0xf35c_6d01;
/// `rpc_error#2144ca19 error_code:int error_message:string`
pub const RPC_ERROR: u32 = 0x2144_ca19;
/// `http_wait#9299359f max_delay:int wait_after:int max_wait:int`
pub const HTTP_WAIT: u32 = 0x9299_359f;
/// `msgs_ack#62d6b459`
pub const MSGS_ACK: u32 = mtproto::session::MSGS_ACK_ID;
/// `msg_container#73f1f8dc`
pub const MSG_CONTAINER: u32 = mtproto::session::MSG_CONTAINER_ID;

/// The constructor id at the front of `body`.
pub fn ctor(body: &[u8]) -> Option<u32> {
    Reader::new(body).u32().ok()
}

/// Whether a message with this body needs an acknowledgment: everything but acks, containers
/// and pings ([desc] "content-related"; the reference's session layer counts pings as service).
///
/// [desc]: https://core.telegram.org/mtproto/description
pub fn content_related(body: &[u8]) -> bool {
    !matches!(
        ctor(body),
        Some(MSGS_ACK | MSG_CONTAINER | PING | PING_DELAY_DISCONNECT | HTTP_WAIT)
    )
}

/// [`content_related`] as the harness's server reads a client's message: a `ping` counts as
/// the client counted it (odd `seq_no`: content-related). The description page excludes only
/// acknowledgments and containers from content-related messages, so a client that counts its
/// pings (Telethon, pymtproto) and one that does not (the Pyrogram forks, the reference) are
/// both served; the reference's own pings stay service messages.
pub fn content_related_as_sent(body: &[u8], seq_no: i32) -> bool {
    content_related(body)
        || (matches!(ctor(body), Some(PING | PING_DELAY_DISCONNECT)) && seq_no & 1 == 1)
}

/// `ping ping_id`.
pub fn ping(ping_id: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(12);
    put_u32(&mut b, PING);
    put_long(&mut b, ping_id);
    b
}

/// The `ping_id` of a `ping` or `ping_delay_disconnect` body.
pub fn ping_id(body: &[u8]) -> Option<i64> {
    let mut r = Reader::new(body);
    match r.u32().ok()? {
        PING | PING_DELAY_DISCONNECT => r.long().ok(),
        _ => None,
    }
}

/// `msgs_ack msg_ids:Vector<long>`.
pub fn msgs_ack(ids: &[i64]) -> Vec<u8> {
    let mut b = Vec::new();
    mtproto::session::msgs_ack_body(ids, &mut b);
    b
}

/// `pong msg_id ping_id`.
pub fn pong(msg_id: i64, ping_id: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    put_u32(&mut b, PONG);
    put_long(&mut b, msg_id);
    put_long(&mut b, ping_id);
    b
}

/// `(msg_id, ping_id)` of a `pong` body.
pub fn read_pong(body: &[u8]) -> Option<(i64, i64)> {
    let mut r = Reader::new(body);
    (r.u32().ok()? == PONG).then_some(())?;
    Some((r.long().ok()?, r.long().ok()?))
}

/// `new_session_created first_msg_id unique_id server_salt`.
pub fn new_session_created(first_msg_id: i64, unique_id: i64, salt: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    put_u32(&mut b, NEW_SESSION_CREATED);
    put_long(&mut b, first_msg_id);
    put_long(&mut b, unique_id);
    put_long(&mut b, salt);
    b
}

/// `bad_msg_notification bad_msg_id bad_msg_seqno error_code`.
pub fn bad_msg_notification(bad_msg_id: i64, seqno: i32, code: i32) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    put_u32(&mut b, BAD_MSG_NOTIFICATION);
    put_long(&mut b, bad_msg_id);
    put_int(&mut b, seqno);
    put_int(&mut b, code);
    b
}

/// `bad_server_salt bad_msg_id bad_msg_seqno 48 new_server_salt`.
pub fn bad_server_salt(bad_msg_id: i64, seqno: i32, new_salt: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    put_u32(&mut b, BAD_SERVER_SALT);
    put_long(&mut b, bad_msg_id);
    put_int(&mut b, seqno);
    put_int(&mut b, 48);
    put_long(&mut b, new_salt);
    b
}

/// `help.getNearestDc#1fb33026 = NearestDc`: a content-related query the harness servers do
/// not serve (answered with `rpc_error`).
pub const HELP_GET_NEAREST_DC: u32 = 0x1fb3_3026;

/// The body of `help.getNearestDc`.
pub fn query() -> Vec<u8> {
    let mut b = Vec::with_capacity(4);
    put_u32(&mut b, HELP_GET_NEAREST_DC);
    b
}

/// `rpc_result req_msg_id (rpc_error code message)`.
pub fn rpc_error_result(req_msg_id: i64, code: i32, message: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(40);
    put_u32(&mut b, RPC_RESULT);
    put_long(&mut b, req_msg_id);
    put_u32(&mut b, RPC_ERROR);
    put_int(&mut b, code);
    let _ = put_tl_bytes(&mut b, message.as_bytes());
    b
}

/// A `msg_container` of `(msg_id, seqno, body)` messages.
pub fn container(messages: &[(i64, i32, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    put_u32(&mut b, MSG_CONTAINER);
    put_int(&mut b, i32::try_from(messages.len()).unwrap_or(i32::MAX));
    for (id, seq, body) in messages {
        put_long(&mut b, *id);
        put_int(&mut b, *seq);
        put_int(&mut b, i32::try_from(body.len()).unwrap_or(i32::MAX));
        b.extend_from_slice(body);
    }
    b
}

/// One line describing a body: its TL as JSON-ish text when the service schema decodes it,
/// else its constructor id.
pub fn describe(body: &[u8]) -> String {
    match Object::from_bytes(body) {
        Ok(o) => json_text(&o.to_json()),
        Err(_) => match ctor(body) {
            Some(PING) => format!("ping ping_id={}", ping_id(body).unwrap_or(0)),
            Some(c) => format!("constructor {c:#010x}"),
            None => "empty body".to_string(),
        },
    }
}

/// The reference's TL JSON form as compact JSON text.
fn json_text(j: &mtproto::tl::Json) -> String {
    fn value(j: &mtproto::tl::Json) -> serde_json::Value {
        use mtproto::tl::Json;
        match j {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            Json::Int(i) => serde_json::Value::from(*i),
            Json::Str(s) => serde_json::Value::String(s.clone()),
            Json::Array(a) => serde_json::Value::Array(a.iter().map(value).collect()),
            Json::Object(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), value(v))).collect())
            }
        }
    }
    value(j).to_string()
}
