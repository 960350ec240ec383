//! The IO shell of `mtproto-harness`: the sans-IO reference (`mtproto`) over loopback TCP, as a
//! hostile MTProto server (for a client under test) and client (for a server under test).
//!
//! | module | what it holds |
//! |---|---|
//! | [`net`] | 127.0.0.1 listener and connections; a deadline on every read, write and accept |
//! | [`framing`] | the five transports over a connection, a frame cap, the transcript of each frame |
//! | [`fuzz`] | `wire-fuzz`: mutated wire cases against a driver, findings minimised and checked on the reference |
//! | [`keys`] | the committed test-only RSA key and the server's DH group |
//! | [`legacy_rsa`] | reading the pre-RSA_PAD `req_DH_params` encoding some clients still send |
//! | [`forge`] | handshake messages a hostile server forges (bad pq, DH parameters, nonces, hashes) |
//! | [`rawframe`] | frames written by hand: bad full-transport CRC/seqno, huge lengths, non-minimal abridged |
//! | [`seal`] | encrypted messages as a sender builds them, and the [`case::Mutation`]s that break them |
//! | [`server`] | the harness as Telegram: handshake server, session service messages |
//! | [`client`] | the harness as a client: handshake client, pings |
//! | [`driver`] | the reference drivers configured by `MTPROTO_WIRE_*` variables (one JSON line per outcome) |
//! | [`case`] | the scripted case model (serde) |
//! | [`runner`] | runs a client-role case against a driver command: spawn, serve the script, verdict |
//! | [`suite`] | the built-in client-role cases |
//!
//! Nothing here listens beyond 127.0.0.1, and every wait has a bound.

pub mod case;
pub mod client;
pub mod clock;
pub mod driver;
pub mod error;
pub mod forge;
pub mod framing;
pub mod fuzz;
pub mod keys;
pub mod legacy_rsa;
pub mod net;
pub mod rawframe;
pub mod rng;
pub mod runner;
pub mod seal;
pub mod server;
pub mod suite;
pub mod tl;
pub mod transcript;

pub use error::{Result, WireError};
