//! The reference drivers: the reference's own client and server over std::net, configured by
//! environment variables and reporting one JSON line per outcome on stdout. A driver holds no
//! test logic: it connects (or listens), does what it is told, reports, and exits.
//!
//! | variable | used by | meaning |
//! |---|---|---|
//! | `MTPROTO_WIRE_ADDR` | both | `127.0.0.1:PORT`: where the client connects / the server listens (port 0: any) |
//! | `MTPROTO_WIRE_TRANSPORT` | both | `abridged`, `intermediate`, `padded`, `full`, `obfuscated2-abridged`, `obfuscated2-intermediate`, `obfuscated2-padded` |
//! | `MTPROTO_WIRE_SECRET` | both | MTProxy secret, hex (16 bytes, or `dd` ‖ 16 bytes); empty or unset: none |
//! | `MTPROTO_WIRE_DC` | client | the DC number for `p_q_inner_data_dc` (and an MTProxy init) |
//! | `MTPROTO_WIRE_RSA_PUBLIC` | client | the server's RSA public key, PKCS#1 PEM text |
//! | `MTPROTO_WIRE_RSA_PRIVATE` | server | the server's RSA private key, PKCS#1 PEM text |
//! | `MTPROTO_WIRE_PINGS` | client | how many pings to send after the handshake (default 1) |
//! | `MTPROTO_WIRE_TIMEOUT_MS` | both | the driver's own bound on the whole run (default 10000) |
//! | `MTPROTO_WIRE_SEED` | both | optional: seed of the reference drivers' randomness (decimal) |
//!
//! Lines on stdout (one JSON object each): `{"event":"handshake","ok":true}`,
//! `{"event":"handshake","ok":false,"detail":"..."}`, `{"event":"pong","ping_id":N}`,
//! `{"event":"listening","addr":"127.0.0.1:PORT"}` (server), `{"event":"error","detail":"..."}`.
//! Exit status 0 when every step succeeded, 1 otherwise.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use crate::client::Client;
use crate::error::{Result, WireError};
use crate::framing::{FramedConn, Limits, Transport};
use crate::keys;
use crate::net::{Conn, Deadline, Listener};
use crate::rng::Rng;
use crate::server::{HandshakeEnd, Server};

/// `127.0.0.1:PORT`.
pub const ADDR: &str = "MTPROTO_WIRE_ADDR";
/// The transport name.
pub const TRANSPORT: &str = "MTPROTO_WIRE_TRANSPORT";
/// The MTProxy secret (hex).
pub const SECRET: &str = "MTPROTO_WIRE_SECRET";
/// The DC number.
pub const DC: &str = "MTPROTO_WIRE_DC";
/// The server's public key (PEM).
pub const RSA_PUBLIC: &str = "MTPROTO_WIRE_RSA_PUBLIC";
/// The server's private key (PEM).
pub const RSA_PRIVATE: &str = "MTPROTO_WIRE_RSA_PRIVATE";
/// How many pings.
pub const PINGS: &str = "MTPROTO_WIRE_PINGS";
/// The driver's own time bound (ms).
pub const TIMEOUT_MS: &str = "MTPROTO_WIRE_TIMEOUT_MS";
/// The seed of the reference drivers' randomness.
pub const SEED: &str = "MTPROTO_WIRE_SEED";

/// A driver's configuration: the `MTPROTO_WIRE_*` variables.
pub type Env = BTreeMap<String, String>;

/// The `MTPROTO_WIRE_*` variables of this process.
pub fn env_from_process() -> Env {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("MTPROTO_WIRE_"))
        .collect()
}

fn get<'a>(env: &'a Env, name: &str) -> Result<&'a str> {
    env.get(name)
        .map(String::as_str)
        .ok_or_else(|| WireError::config(name, "not set"))
}

fn parse<T: std::str::FromStr>(env: &Env, name: &str, default: T) -> Result<T> {
    match env.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| WireError::config(name, format!("not a number: {v:?}"))),
    }
}

fn addr(env: &Env) -> Result<SocketAddr> {
    let a = get(env, ADDR)?;
    a.parse()
        .map_err(|_| WireError::config(ADDR, format!("not an address: {a:?}")))
}

fn rng(env: &Env) -> Result<Rng> {
    Ok(match env.get(SEED) {
        Some(_) => Rng::from_seed(parse(env, SEED, 0u64)?),
        None => Rng::from_os(),
    })
}

fn transport(env: &Env) -> Result<Transport> {
    Transport::parse(get(env, TRANSPORT)?, env.get(SECRET).map(String::as_str))
}

fn line(out: &mut dyn Write, v: serde_json::Value) {
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// The reference client driver: connect to `MTPROTO_WIRE_ADDR`, create an auth key, send
/// `MTPROTO_WIRE_PINGS` pings, print one line per outcome, return the exit status.
pub fn run_reference_client(env: &Env, out: &mut dyn Write) -> i32 {
    run_client_with(env, out, &|_| {})
}

/// [`run_reference_client`] with `configure` applied to the client before it connects (tests
/// use it to make fixture clients with a known bug, e.g. [`Client::stale_retry`]).
pub fn run_client_with(env: &Env, out: &mut dyn Write, configure: &dyn Fn(&mut Client)) -> i32 {
    match client_steps(env, out, configure) {
        Ok(()) => 0,
        Err(e) => {
            line(out, json!({"event": "error", "detail": e.to_string()}));
            1
        }
    }
}

fn client_steps(env: &Env, out: &mut dyn Write, configure: &dyn Fn(&mut Client)) -> Result<()> {
    let deadline = Deadline::after(Duration::from_millis(parse(env, TIMEOUT_MS, 10_000u64)?));
    let transport = transport(env)?;
    let dc: i32 = parse(env, DC, 2)?;
    let pings: u32 = parse(env, PINGS, 1)?;
    let key = keys::public_key(get(env, RSA_PUBLIC)?)?;
    let mut rng = rng(env)?;
    let conn = Conn::connect(addr(env)?, deadline)?;
    let framed = FramedConn::client(
        conn,
        &transport,
        i16::try_from(dc).unwrap_or(0),
        Rng::from_seed(rng.u64()),
        Limits::default(),
        deadline,
    )?;
    let mut client = Client::new(framed, Rng::from_seed(rng.u64()));
    configure(&mut client);
    if let Err(e) = client.handshake(std::slice::from_ref(&key), dc, deadline) {
        line(
            out,
            json!({"event": "handshake", "ok": false, "detail": e.to_string()}),
        );
        client.conn.close();
        return Err(e);
    }
    line(out, json!({"event": "handshake", "ok": true}));
    for _ in 0..pings {
        let ping_id = rng.i64();
        let got = client.ping(ping_id, deadline)?;
        line(out, json!({"event": "pong", "ping_id": got}));
    }
    client.conn.close();
    Ok(())
}

/// The reference server driver: listen on `MTPROTO_WIRE_ADDR` (loopback only; port 0 picks one),
/// print `{"event":"listening","addr":...}`, serve one connection with the key of
/// `MTPROTO_WIRE_RSA_PRIVATE` until the client closes, print the outcome, return the exit status.
pub fn run_reference_server(env: &Env, out: &mut dyn Write) -> i32 {
    run_server_with(env, out, &|_| {})
}

/// [`run_reference_server`] with `configure` applied to the server once a client connected
/// (tests use it for fixture servers with a known bug, e.g. [`Server::quick_acks`] off).
pub fn run_server_with(env: &Env, out: &mut dyn Write, configure: &dyn Fn(&mut Server)) -> i32 {
    match server_steps(env, out, configure) {
        Ok(()) => 0,
        Err(e) => {
            line(out, json!({"event": "error", "detail": e.to_string()}));
            1
        }
    }
}

fn server_steps(env: &Env, out: &mut dyn Write, configure: &dyn Fn(&mut Server)) -> Result<()> {
    let deadline = Deadline::after(Duration::from_millis(parse(env, TIMEOUT_MS, 10_000u64)?));
    let transport = transport(env)?;
    let key = keys::private_key(get(env, RSA_PRIVATE)?)?;
    let mut rng = rng(env)?;
    let want = env.get(ADDR).map(|_| addr(env)).transpose()?;
    let listener = match want {
        Some(a) if a.port() != 0 => Listener::bind(a)?,
        _ => Listener::bind_loopback()?,
    };
    line(
        out,
        json!({"event": "listening", "addr": listener.addr().to_string()}),
    );
    let conn = listener.accept(deadline, || Ok(()))?;
    let framed = FramedConn::server(
        conn,
        &transport,
        Rng::from_seed(rng.u64()),
        Limits::default(),
        deadline,
    )?;
    let mut server = Server::new(framed, Rng::from_seed(rng.u64()));
    configure(&mut server);
    match server.handshake(std::slice::from_ref(&key), None, deadline, Duration::ZERO) {
        Ok(HandshakeEnd::Done) => line(out, json!({"event": "handshake", "ok": true})),
        Ok(other) => {
            return Err(WireError::protocol("handshake", format!("{other:?}")));
        }
        Err(e) => {
            line(
                out,
                json!({"event": "handshake", "ok": false, "detail": e.to_string()}),
            );
            return Err(e);
        }
    }
    server.serve(deadline)?;
    line(out, json!({"event": "closed"}));
    Ok(())
}
