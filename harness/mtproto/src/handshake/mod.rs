//! The auth-key handshake (spec §4).

pub mod pq;
