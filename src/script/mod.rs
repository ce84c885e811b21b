//! APDU scripts: pcsc-tools' `scriptor` format (one hex APDU per line, `#` comments, `reset`,
//! `exit`, `\` continuations) plus expectations (`-> 9000`, `-> 6F .. * 9000`), variables
//! (`${CARD_NUMBER}`, captures `-> ${CHALLENGE:8} 9000`), `echo`, `include`, `set`/`default`,
//! `raw on|off` and named blocks (`block enable` ... `end`) that a profile can run by name.
//!
//! The format is documented in `apdu-scripts/README.md`.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sscard::script::{Script, Vars};
//! let script = Script::load(std::path::Path::new("apdu-scripts/sim-enable.apdu"))?;
//! let mut card = sscard::sim::transport::open(std::path::Path::new("card.json"))?;
//! let report = script.run_block("enable", &mut *card, &Vars::new())?;
//! println!("{}", report.summary());
//! # Ok(()) }
//! ```

mod error;
mod flow;
mod line;
mod load;
mod pattern;
mod run;
mod syntax;
mod token;
mod vars;

/// What a secret looks like in every output (the trace's mask).
pub use crate::trace::MASK;
pub use error::{Loc, Mismatch, ScriptError};
pub use vars::{Vars, is_secret_name, is_valid_name};

use crate::apdu::Sw;
use crate::transport::Transport;
use load::Block;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use syntax::Stmt;

/// A loaded script: its top-level lines and its named blocks, includes resolved.
#[derive(Clone)]
pub struct Script {
    path: Arc<Path>,
    main: Vec<Stmt>,
    blocks: BTreeMap<String, Block>,
}

impl std::fmt::Debug for Script {
    /// The file, the number of lines and the block names; never the lines themselves (a
    /// `default PIN 123456` or a literal VERIFY would show).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("path", &self.path)
            .field("statements", &self.main.len())
            .field("blocks", &self.block_names())
            .finish()
    }
}

/// How to run a script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Send exactly what the script says: no automatic GET RESPONSE on 61xx, no re-send on
    /// 6Cxx (a script can also switch with `raw on` / `raw off`).
    pub raw: bool,
    /// Run on after an unmet expectation and count failures, instead of stopping.
    pub keep_going: bool,
}

/// One exchange as it happened (secrets already masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    /// The APDU line.
    pub loc: Loc,
    /// The command sent, spaced hex, secrets as `******`.
    pub command: String,
    /// The response (data then SW), one token per byte, secrets as one `******` token.
    pub response: Vec<String>,
    /// The status word.
    pub sw: Sw,
    /// The expectation as written (normalized), if the line has one.
    pub expected: Option<String>,
    /// Why the expectation was not met, if it was not.
    pub failure: Option<Mismatch>,
}

/// What a running script reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A command was sent and answered.
    Exchange(Exchanged),
    /// The card was reset.
    Reset {
        /// The `reset` line.
        loc: Loc,
        /// The new ATR.
        atr: Vec<u8>,
    },
    /// An `echo` line (secrets masked).
    Echo {
        /// The `echo` line.
        loc: Loc,
        /// The text, variables filled in.
        text: String,
    },
}

impl Event {
    /// The event as scriptor prints it: `> 00 A4 ...` then `< 90 00 : success`, 16 response
    /// bytes per line; `> RESET` then `< OK: 3B ...`; echo text as is.
    pub fn to_text(&self) -> String {
        match self {
            Event::Exchange(x) => {
                let mut resp = String::new();
                for (i, t) in x.response.iter().enumerate() {
                    if i > 0 {
                        resp.push(if i % 16 == 0 { '\n' } else { ' ' });
                    }
                    resp.push_str(t);
                }
                format!("> {}\n< {} : {}", x.command, resp, x.sw.meaning())
            }
            Event::Reset { atr, .. } => format!("> RESET\n< OK: {}", crate::apdu::spaced(atr)),
            Event::Echo { text, .. } => text.clone(),
        }
    }

    /// The event for machines.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let at = |l: &Loc| json!({"file": l.file.display().to_string(), "line": l.line});
        match self {
            Event::Exchange(x) => json!({
                "type": "exchange",
                "at": at(&x.loc),
                "command": x.command,
                "response": x.response.join(" "),
                "sw": format!("{:04X}", x.sw.0),
                "meaning": x.sw.meaning(),
                "expected": x.expected,
                "ok": x.failure.is_none(),
                "failure": x.failure.as_ref().map(|m| json!({
                    "message": m.to_string(),
                    "detail": m.detail,
                })),
            }),
            Event::Reset { loc, atr } => json!({
                "type": "reset", "at": at(loc), "atr": crate::apdu::compact(atr),
            }),
            Event::Echo { loc, text } => json!({"type": "echo", "at": at(loc), "text": text}),
        }
    }
}

/// What a finished run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Commands sent (GET RESPONSE done by the exchange layer not counted).
    pub exchanges: usize,
    /// Expectations that were met.
    pub expectations_met: usize,
    /// Expectations that were not met (at most one unless `keep_going`).
    pub failures: Vec<Mismatch>,
    /// True when an `exit` line ended the run.
    pub exited: bool,
    /// The variables at the end, captures included.
    pub vars: Vars,
}

impl RunReport {
    /// True when every expectation was met.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// `12 exchanges, 7 expectations met, 1 not met`.
    pub fn summary(&self) -> String {
        format!(
            "{} exchange(s), {} expectation(s) met, {} not met",
            self.exchanges,
            self.expectations_met,
            self.failures.len()
        )
    }
}

impl Script {
    /// Reads a script file and everything it includes.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let text = crate::input::read_text(path, crate::input::TEXT_MAX).map_err(|source| {
            ScriptError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        load::load_text(path, &text)
    }

    /// Reads a script from text; `name` is shown in messages and anchors relative includes.
    pub fn parse_str(name: &Path, text: &str) -> Result<Script, ScriptError> {
        load::load_text(name, text)
    }

    /// The script's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the blocks, sorted.
    pub fn block_names(&self) -> Vec<&str> {
        self.blocks.keys().map(String::as_str).collect()
    }

    /// True when the script has a block of that name.
    pub fn has_block(&self, name: &str) -> bool {
        self.blocks.contains_key(name)
    }

    /// True when running this script with `vars` involves secret values: a secret variable
    /// given, or a `set`/capture into a secret name (see [`is_secret_name`]). The wire trace
    /// (`--trace`) cannot mask those, so the CLI turns it off for such runs.
    pub fn uses_secrets(&self, vars: &Vars) -> bool {
        vars.names().any(|n| vars.is_secret(n))
            || self
                .main
                .iter()
                .chain(self.blocks.values().flat_map(|b| b.stmts.iter()))
                .any(Stmt::defines_secret)
    }

    pub(crate) fn unknown_block(&self, at: Option<&Loc>, name: &str) -> ScriptError {
        let names = self.block_names();
        ScriptError::UnknownBlock {
            where_: at
                .map(|l| format!("{}: ", l.line_only()))
                .unwrap_or_default(),
            name: name.to_string(),
            file: self.path.display().to_string(),
            available: if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            },
        }
    }

    fn entry(&self, block: Option<&str>) -> Result<&[Stmt], ScriptError> {
        match block {
            None => Ok(&self.main),
            Some(name) => self
                .blocks
                .get(name)
                .map(|b| b.stmts.as_slice())
                .ok_or_else(|| self.unknown_block(None, name)),
        }
    }

    /// The whole-script check, without a card: every variable is defined before it is used
    /// (by `vars`, a `set` line or an earlier capture), every value fits where it is used,
    /// every command whose values are known is a well-formed APDU. `block`: check only that
    /// block (and what it calls); `None`: the top level.
    pub fn check(&self, block: Option<&str>, vars: &Vars) -> Result<(), ScriptError> {
        let stmts = self.entry(block)?;
        let mut c = run::Checker {
            script: self,
            vars: vars.clone(),
            dynamic: BTreeSet::new(),
        };
        c.check(stmts).map(|_| ())
    }

    /// Runs the top level of the script (blocks run only when called), reporting each event.
    /// Checks the whole script first: nothing is sent when the check fails.
    pub fn run(
        &self,
        card: &mut dyn Transport,
        vars: &Vars,
        opts: &RunOptions,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<RunReport, ScriptError> {
        self.run_entry(None, card, vars, opts, on_event)
    }

    /// Runs one named block with options, reporting each event.
    pub fn run_block_with(
        &self,
        name: &str,
        card: &mut dyn Transport,
        vars: &Vars,
        opts: &RunOptions,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<RunReport, ScriptError> {
        self.run_entry(Some(name), card, vars, opts, on_event)
    }

    /// Runs one named block (a chip's own enable sequence, say), stopping with
    /// `ScriptError::Expectation` at the first unmet expectation. For profiles.
    pub fn run_block(
        &self,
        name: &str,
        card: &mut dyn Transport,
        vars: &Vars,
    ) -> Result<RunReport, ScriptError> {
        let mut log = |e: &Event| tracing::debug!(target: "sscard::script", "{}", e.to_text());
        self.run_entry(Some(name), card, vars, &RunOptions::default(), &mut log)
    }

    fn run_entry(
        &self,
        block: Option<&str>,
        card: &mut dyn Transport,
        vars: &Vars,
        opts: &RunOptions,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<RunReport, ScriptError> {
        let mut vars = vars.clone();
        let blocks: Vec<&[Stmt]> = self.blocks.values().map(|b| b.stmts.as_slice()).collect();
        for name in flow::secret_by_use(&self.main, &blocks) {
            vars.mark_secret(&name);
        }
        let vars = &vars;
        self.check(block, vars)?;
        let stmts = self.entry(block)?;
        let mut r = run::Runner {
            script: self,
            card,
            opts: *opts,
            raw: opts.raw,
            on_event,
            secret_pending: false,
            report: RunReport {
                vars: vars.clone(),
                ..RunReport::default()
            },
        };
        r.exec(stmts)?;
        Ok(r.report)
    }
}
