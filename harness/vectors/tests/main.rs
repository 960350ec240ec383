//! The one integration-test binary of `mtproto-vectors`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod call_replay_suites;
mod families;
mod handshake_suites;
mod loader;
mod rsa_suites;
mod runner;
mod secret_suites;
mod session_bugs;
mod spec_open;
mod suites;
mod vocabulary;
