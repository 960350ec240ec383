//! Integration tests of the reference crate.
