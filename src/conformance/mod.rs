//! The conformance suite: checks generated from a profile, run on a card product, to prove it
//! behaves as the approved structure says: files selectable by FID/AID/SFI, FCPs as declared,
//! access conditions enforced both ways, the PIN counter, the life cycle, T=0 handling and the
//! ISO errors for bad parameters. A pass/fail table with the APDU evidence of every failure
//! (docs/diagnose.md, "Conformance").
//!
//! It writes to the card (wrong PINs, life-cycle changes, records rewritten with their own
//! content): run it only on test cards. It restores what it can and lists what it changed.
//! A card that stops answering ends the run: the checks left are reported as not run.

mod checks;
mod lab;
mod life;
mod output;
mod pin;

pub use lab::Options;
pub use output::junit_xml;

use serde::Serialize;

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// The card behaved as required.
    Pass,
    /// It did not.
    Fail,
    /// Not applicable, or a prerequisite (a key) is missing.
    Skip,
    /// Not run: the card stopped answering earlier.
    NotRun,
}

impl Outcome {
    /// The word in the table.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
            Outcome::NotRun => "NOT RUN",
        }
    }
}

/// One check and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Number in the run, from 1.
    pub id: usize,
    /// Group: `select`, `fcp`, `access`, `pin`, `life-cycle`, `t0`, `iso-errors`.
    pub group: &'static str,
    /// What is checked.
    pub name: String,
    /// The outcome.
    pub outcome: Outcome,
    /// What was seen (the reason of a failure or a skip).
    pub detail: String,
    /// The APDUs of a failed check (`> command`, `< response`), secrets masked.
    pub evidence: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    /// The reader (or `sim:PATH`).
    pub reader: String,
    /// The card's ATR at the start.
    pub atr: String,
    /// The profile's name.
    pub profile: String,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// What the suite changed on the card and could not restore.
    pub changed: Vec<String>,
    /// True when the card stopped answering during the run.
    pub card_lost: bool,
}

impl SuiteReport {
    /// Count of checks with this outcome.
    pub fn count(&self, o: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == o).count()
    }

    /// True when no check failed and none was left unrun.
    pub fn passed(&self) -> bool {
        self.count(Outcome::Fail) == 0 && self.count(Outcome::NotRun) == 0
    }
}

/// Runs the suite generated from `profile` on the card on `t`, with the key file's keys and
/// initial PINs.
pub fn run_suite(
    t: &mut dyn crate::transport::Transport,
    profile: &crate::profile::Profile,
    keys: Option<&crate::profile::keys::KeyFile>,
    opts: &Options,
) -> SuiteReport {
    let source = keys.map(|kf| crate::session::shared(crate::session::SoftKeys::new(kf.clone())));
    lab::run_with(t, profile, keys, source, opts, checks::run_all)
}

/// Runs the suite with the card's cryptograms and MACs from `source` (a key file, a PSAM, an
/// HSM); `pins` gives initial PINs that differ from the profile's.
pub fn run_suite_with(
    t: &mut dyn crate::transport::Transport,
    profile: &crate::profile::Profile,
    pins: Option<&crate::profile::keys::KeyFile>,
    source: Option<crate::session::SharedSource>,
    opts: &Options,
) -> SuiteReport {
    lab::run_with(t, profile, pins, source, opts, checks::run_all)
}

/// The report for a card that gives no ATR at all: one failed check, nothing else run.
pub fn no_answer_report(reader: &str, profile: &crate::profile::Profile, why: &str) -> SuiteReport {
    SuiteReport {
        reader: reader.to_string(),
        atr: String::new(),
        profile: profile.meta.name.clone(),
        checks: vec![CheckResult {
            id: 1,
            group: "power",
            name: "the card answers to reset".into(),
            outcome: Outcome::Fail,
            detail: why.to_string(),
            evidence: Vec::new(),
        }],
        changed: Vec::new(),
        card_lost: true,
    }
}
