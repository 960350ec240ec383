//! `mtproto-harness`: the conformance runner's command line.
fn main() {}
