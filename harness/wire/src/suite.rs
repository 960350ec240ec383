//! The built-in cases (client role from tcId 1, server role from 1001): the cases the `wire`
//! vector files are generated from (`mtproto_vectors::families::wire::suite`), re-exported for
//! the tests and the benchmark.

pub use mtproto_vectors::families::wire::suite::{client_cases, server_cases, server_reaction};
