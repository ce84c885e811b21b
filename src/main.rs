//! The `sscard` command line: a thin layer over the library.
#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = match cli::generate::packaging(&argv) {
        Some(result) => result,
        None => {
            let args = cli::Cli::parse_from(argv);
            cli::init_logging(&args.global);
            cli::run(args)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // The error and its causes, each once (`{:#}`: joined by `: `). The first line is
            // the reason (what happened, where, what to do); a list of problems (all errors of
            // a record or a profile) follows on indented lines.
            let msg = sscard::input::plain(&format!("{e:#}"));
            let mut lines = msg.lines().filter(|l| !l.trim().is_empty());
            eprintln!("sscard: error: {}", lines.next().unwrap_or("unknown error"));
            for line in lines {
                eprintln!("  {}", line.trim_end());
            }
            ExitCode::from(1)
        }
    }
}

/// `sscard atr --json | head` closes our stdout early: that is the reader's choice, not a
/// fault. Rust's print macros panic on it; end quietly instead (exit 141, as SIGPIPE would).
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
