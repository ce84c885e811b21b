//! `sscard run`: run an APDU script (scriptor-compatible, with expectations and variables).

use super::Globals;
use anyhow::Context;
use sscard::error::ErrorChain;
use sscard::script::{Event, RunOptions, Script, ScriptError, Vars};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sscard run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The script (format: apdu-scripts/README.md); `-` reads it from standard input, as
    /// scriptor does without a file (includes are then relative to the current folder).
    pub script: PathBuf,
    /// Set a variable: `--set CARD_NUMBER=D12345676` (repeatable). Names like PIN, PUK or
    /// KEY* are masked in all output.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Set a variable that is masked (`******`) in all output: `--secret PIN=123456`.
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secret: Vec<String>,
    /// Variables from a record file (a JSON object; nested objects flatten with `_`).
    #[arg(long = "vars", value_name = "FILE")]
    pub vars: Option<PathBuf>,
    /// Run only this named block (`block NAME` ... `end`).
    #[arg(long)]
    pub block: Option<String>,
    /// Go on after an unmet expectation and count failures (exit code 1 if any).
    #[arg(long)]
    pub keep_going: bool,
    /// One JSON document on stdout instead of scriptor-style lines.
    #[arg(long)]
    pub json: bool,
    /// No automatic GET RESPONSE on 61xx or re-send on 6Cxx: send exactly the script's APDUs.
    #[arg(long)]
    pub raw: bool,
    /// Only check the script (syntax, includes, variables, APDU lengths); send nothing.
    #[arg(long)]
    pub check: bool,
}

/// A script error for the operator: its message already names the cause (the I/O error, the
/// APDU problem, the link failure), so the cause is not repeated after it.
fn operator(e: ScriptError) -> anyhow::Error {
    anyhow::Error::msg(e.chain().to_string())
}

fn gather_vars(args: &Args) -> anyhow::Result<Vars> {
    let mut vars = match &args.vars {
        Some(p) => Vars::load_json(p).map_err(operator)?,
        None => Vars::new(),
    };
    for s in &args.set {
        let (k, v) = Vars::parse_assignment(s).map_err(|e| anyhow::anyhow!("--set: {e}"))?;
        vars.set(&k, v);
    }
    for s in &args.secret {
        let (k, v) = Vars::parse_assignment(s).map_err(|e| anyhow::anyhow!("--secret: {e}"))?;
        vars.set_secret(&k, v);
    }
    Ok(vars)
}

/// Runs `sscard run`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let script = if args.script.as_os_str() == "-" {
        let text = sscard::input::read_stream(std::io::stdin(), sscard::input::TEXT_MAX)
            .context("reading the script from standard input")?;
        Script::parse_str(std::path::Path::new("<stdin>"), &text)
    } else {
        Script::load(&args.script)
    }
    .map_err(operator)?;
    let vars = gather_vars(&args)?;
    script
        .check(args.block.as_deref(), &vars)
        .map_err(operator)?;
    if args.check {
        let blocks = script.block_names();
        let what = match &args.block {
            Some(b) => format!("block '{b}'"),
            None => "top level".to_string(),
        };
        if blocks.is_empty() {
            println!("{}: {what} OK, nothing sent", script.path().display());
        } else {
            println!(
                "{}: {what} OK, nothing sent; blocks: {}",
                script.path().display(),
                blocks.join(", ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut card = if g.trace && script.uses_secrets(&vars) {
        eprintln!(
            "sscard: note: --trace is off for this run: the script uses secret variables that the \
             wire trace cannot tell apart; the exchanges below are shown with them masked"
        );
        let mut quiet = g.clone();
        quiet.trace = false;
        super::common::open_card(&quiet)?
    } else {
        super::common::open_card(g)?
    };
    let opts = RunOptions {
        raw: args.raw,
        keep_going: args.keep_going,
    };
    let mut events: Vec<serde_json::Value> = Vec::new();
    let json = args.json;
    let mut on_event = |e: &Event| {
        if json {
            events.push(e.to_json());
        } else {
            println!("{}", e.to_text());
            if let Event::Exchange(x) = e
                && let Some(m) = &x.failure
                && opts.keep_going
            {
                println!("!! {m}");
            }
        }
    };
    let result = match args.block.as_deref() {
        Some(b) => script.run_block_with(b, &mut *card, &vars, &opts, &mut on_event),
        None => script.run(&mut *card, &vars, &opts, &mut on_event),
    };
    let closed = card
        .close()
        .with_context(|| format!("closing the card link {}", card.name()));
    let code = match (&result, json) {
        (Ok(report), false) => {
            println!("== {}", report.summary());
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        (Ok(report), true) => {
            let doc = serde_json::json!({
                "script": script.path().display().to_string(),
                "block": args.block,
                "reader": card.name(),
                "passed": report.passed(),
                "exchanges": report.exchanges,
                "expectations_met": report.expectations_met,
                "failures": report.failures.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
                "exited": report.exited,
                "events": events,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        (Err(e), true) => {
            let failures: Vec<String> = match e {
                ScriptError::Expectation(m) => vec![m.to_string()],
                _ => Vec::new(),
            };
            let doc = serde_json::json!({
                "script": script.path().display().to_string(),
                "block": args.block,
                "reader": card.name(),
                "passed": false,
                "error": e.chain().to_string(),
                "failures": failures,
                "events": events,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
            eprintln!("sscard: error: {e}", e = e.chain());
            ExitCode::from(1)
        }
        (Err(_), false) => ExitCode::from(1),
    };
    if let Err(e) = result {
        if !json {
            return Err(operator(e));
        }
        closed?;
        return Ok(code);
    }
    closed?;
    Ok(code)
}
