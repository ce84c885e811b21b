//! The suite's outputs: the table with evidence for people, JUnit XML for a lab's CI.

use super::{Outcome, SuiteReport};
use std::fmt::Write;

impl SuiteReport {
    /// The pass/fail table, then the evidence of every failure, then what was changed.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Conformance of the card on {} to profile {}",
            self.reader, self.profile
        );
        let _ = writeln!(o, "ATR {}", self.atr);
        let _ = writeln!(o);
        let _ = writeln!(o, "  #  result   group       check");
        for c in &self.checks {
            let _ = writeln!(
                o,
                "{:>3}  {:<8} {:<11} {}",
                c.id,
                c.outcome.word(),
                c.group,
                c.name
            );
            if c.outcome == Outcome::Skip || c.outcome == Outcome::Fail {
                let _ = writeln!(o, "{:>25}{}", "", c.detail);
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{} checks: {} passed, {} failed, {} skipped, {} not run",
            self.checks.len(),
            self.count(Outcome::Pass),
            self.count(Outcome::Fail),
            self.count(Outcome::Skip),
            self.count(Outcome::NotRun)
        );
        if self.card_lost {
            let _ = writeln!(
                o,
                "The card stopped answering during the run: the checks after it were not run."
            );
        }
        let fails: Vec<_> = self
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .collect();
        if !fails.is_empty() {
            let _ = writeln!(o);
            let _ = writeln!(o, "Evidence of the failures:");
            for c in fails {
                let _ = writeln!(o, "[{}] {}: {}", c.id, c.name, c.detail);
                for line in &c.evidence {
                    let _ = writeln!(o, "      {line}");
                }
            }
        }
        let _ = writeln!(o);
        if self.card_lost {
            let _ = writeln!(o, "Card state: unknown (the card stopped answering).");
            for c in &self.changed {
                let _ = writeln!(o, "  - changed before that: {c}");
            }
        } else if self.changed.is_empty() {
            let _ = writeln!(
                o,
                "Card state: restored (PIN counters full, life cycle as found or activated)."
            );
        } else {
            let _ = writeln!(o, "Changed on the card by the suite:");
            for c in &self.changed {
                let _ = writeln!(o, "  - {c}");
            }
        }
        o
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

/// The report as JUnit XML: one `testsuite`, one `testcase` per check (`classname` = group);
/// failures carry the APDU evidence, skips and checks not run are `skipped`.
pub fn junit_xml(r: &SuiteReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        o,
        r#"<testsuite name="sscard conformance {}" tests="{}" failures="{}" skipped="{}" errors="0">"#,
        esc(&r.profile),
        r.checks.len(),
        r.count(Outcome::Fail),
        r.count(Outcome::Skip) + r.count(Outcome::NotRun)
    );
    let _ = writeln!(
        o,
        r#"  <properties><property name="reader" value="{}"/><property name="atr" value="{}"/></properties>"#,
        esc(&r.reader),
        esc(&r.atr)
    );
    for c in &r.checks {
        let name = format!("{:03} {}", c.id, c.name);
        let _ = write!(
            o,
            r#"  <testcase classname="{}" name="{}""#,
            esc(c.group),
            esc(&name)
        );
        match c.outcome {
            Outcome::Pass => {
                let _ = writeln!(o, "/>");
            }
            Outcome::Fail => {
                let _ = writeln!(o, ">");
                let _ = writeln!(
                    o,
                    r#"    <failure message="{}">{}</failure>"#,
                    esc(&c.detail),
                    esc(&c.evidence.join("\n"))
                );
                let _ = writeln!(o, "  </testcase>");
            }
            Outcome::Skip | Outcome::NotRun => {
                let _ = writeln!(o, ">");
                let _ = writeln!(o, r#"    <skipped message="{}"/>"#, esc(&c.detail));
                let _ = writeln!(o, "  </testcase>");
            }
        }
    }
    if !r.changed.is_empty() {
        let _ = writeln!(
            o,
            "  <system-out>{}</system-out>",
            esc(&format!("changed: {}", r.changed.join("; ")))
        );
    }
    let _ = writeln!(o, "</testsuite>");
    o
}
