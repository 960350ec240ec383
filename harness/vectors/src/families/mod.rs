//! One module per family. Each implements [`Family`](crate::core::family::Family) and imports
//! only `crate::core` (a test in `tests/` enforces it); the registry (`crate::registry`) lists
//! them. One module still hosts two families, because their types and generator are shared:
//! [`secret`] (`secret`, `call`); each group type names its family in its
//! [`GroupType`](crate::core::family::GroupType).

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
