//! The `sscard` command line: a thin layer over the library.
#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(&args.global);
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            // One line for the operator: what happened, where, what to do.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("sscard: error: {msg}");
            ExitCode::from(1)
        }
    }
}
