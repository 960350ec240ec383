//! `cargo run -p mtproto-tlgen`: rewrite `harness/mtproto/src/tl/generated.rs` from the schemas.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let path = mtproto_tlgen::output_path();
    match mtproto_tlgen::generate_all() {
        Ok(code) => match std::fs::write(&path, code) {
            Ok(()) => {
                println!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
