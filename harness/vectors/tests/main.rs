//! The one integration-test binary of `mtproto-vectors` (STYLE.md 13).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod call_replay_suites;
mod handshake_suites;
mod loader;
mod runner;
mod secret_suites;
mod session_bugs;
mod suites;
