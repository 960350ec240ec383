//! One module per family, one family per `vectors/<dir>`. Each implements
//! [`Family`](crate::core::family::Family) and imports only `crate::core` (a test in `tests/`
//! enforces it); the registry (`crate::registry`) lists them.

pub mod call;
pub mod dh;
pub mod envelope;
pub mod handshake;
pub mod ige;
pub mod kdf;
pub mod pq;
pub mod secret;
pub mod session;
pub mod tl;
pub mod transport;
pub mod wire;
