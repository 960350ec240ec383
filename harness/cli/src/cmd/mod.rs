//! One module per subcommand.

pub mod adapter;
pub mod baseline;
pub mod fuzz;
pub mod lint;
pub mod matrix;
pub mod run;
pub mod self_test;
pub mod vectors;
pub mod what_fails;
pub mod wire;
pub mod wire_fuzz;
