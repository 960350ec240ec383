//! One module per subcommand.

pub mod baseline;
pub mod lint;
pub mod run;
pub mod vectors;
