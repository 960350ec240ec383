//! Integration tests of the reference crate: known answers from independent sources, one test per
//! receiver check, and property tests against naive models.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod call;
mod dh;
mod envelope_checks;
mod handshake;
mod known_answers;
mod pq;
mod properties;
mod rsa_pad;
mod secret;
mod secret_sim;
mod session;
mod support;
mod tl;
mod tl_values;
mod transport;
