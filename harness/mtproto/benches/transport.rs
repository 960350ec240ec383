//! Transport and TL throughput (issue 6 targets).
#![allow(missing_docs)]
fn main() {}
