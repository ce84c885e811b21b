//! The human report of a diagnosis.

use super::Report;
use std::fmt::Write;

fn us(v: Option<u64>) -> String {
    match v {
        Some(x) if x >= 10_000 => format!("{:.1} ms", x as f64 / 1000.0),
        Some(x) => format!("{x} µs"),
        None => "-".into(),
    }
}

impl Report {
    /// The report as the operator reads it: the verdict and its reasons first, then each check.
    pub fn render(&self) -> String {
        let mut o = String::new();
        match &self.spec_version {
            Some(v) => {
                let _ = writeln!(
                    o,
                    "Card on {} (profile {}; the card says spec version {v})",
                    self.reader, self.profile
                );
            }
            None => {
                let _ = writeln!(o, "Card on {} (profile {})", self.reader, self.profile);
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "VERDICT: {}", self.verdict_text);
        for r in &self.reasons {
            let _ = writeln!(o, "  - {}", r.text);
        }
        for n in &self.not_read {
            let _ = writeln!(o, "  - not read: {n}");
        }
        for n in &self.notes {
            let _ = writeln!(o, "  - {n}");
        }
        let _ = writeln!(o);
        let p = &self.power;
        if p.atr.is_empty() && p.answered == 0 {
            let _ = writeln!(o, "Power-up  no ATR");
        } else {
            let _ = writeln!(o, "Power-up  ATR {}", p.atr);
            let _ = writeln!(
                o,
                "          {} resets (cold/warm), {} answered, {}, {}",
                p.resets,
                p.answered,
                if p.distinct_atrs.len() <= 1 {
                    "the same ATR every time"
                } else {
                    "the ATR CHANGES"
                },
                if p.well_formed {
                    "well-formed (TCK right)"
                } else {
                    "MALFORMED"
                }
            );
            let _ = writeln!(
                o,
                "          protocol {}, {}",
                if p.protocols.is_empty() {
                    "T=0 (default)".to_string()
                } else {
                    p.protocols.join(" and ")
                },
                p.bit_rate
                    .map(|b| format!("{b} bit/s at 3.57 MHz"))
                    .unwrap_or_else(|| "bit rate unknown".into())
            );
        }
        if let Some(pr) = &self.product {
            let _ = writeln!(o, "{}", pr.line());
        }
        let l = &self.link;
        if l.commands > 0 {
            let _ = writeln!(
                o,
                "Link      {} x SELECT MF: {} failed{}; latency min {}, median {}, max {}",
                l.commands,
                l.errors,
                if l.failures.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", l.failures.join(", "))
                },
                us(l.min_us),
                us(l.median_us),
                us(l.max_us)
            );
        }
        if !self.dfs.is_empty() {
            let _ = writeln!(o, "Files");
        }
        for df in &self.dfs {
            let state = match (df.enabled, &df.lcs) {
                (Some(true), _) => "enabled".to_string(),
                (Some(false), Some(l)) => format!("NOT ENABLED ({l})"),
                (Some(false), None) => "NOT ENABLED".to_string(),
                (None, Some(l)) => l.clone(),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                o,
                "  {:<16} {}  {}{}",
                df.path,
                df.label,
                if df.status == "ok" { "" } else { &df.status },
                state
            );
            if let Some(a) = &df.algorithm {
                let _ = writeln!(o, "  {:<16}   algorithm {a}", "");
            }
            for pin in &df.pins {
                let _ = writeln!(o, "  {:<16}   PIN {}: {}", "", pin.name, pin.state);
            }
            for ef in &df.efs {
                let bad: Vec<_> = ef.elements.iter().filter(|e| e.status != "ok").collect();
                let ok = ef.elements.len() - bad.len();
                let _ = writeln!(
                    o,
                    "  {:<16} {}  {}",
                    ef.path,
                    ef.label,
                    if ef.status == "ok" && ef.elements.is_empty() {
                        "selectable (the profile declares no data elements in it)".to_string()
                    } else if ef.status == "ok" || ef.status == "see elements" {
                        format!("{ok} of {} elements ok", ef.elements.len())
                    } else {
                        ef.status.clone()
                    }
                );
                if ef.status.starts_with("not checked") {
                    continue; // the whole EF: one line says it
                }
                for e in bad {
                    let _ = writeln!(
                        o,
                        "  {:<16}   {} {} {}: {}",
                        "", e.tag, e.name, e.label, e.status
                    );
                }
            }
        }
        if let Some(e) = &self.expiry {
            let _ = writeln!(
                o,
                "Expiry    {} (today {}): {}",
                e.date,
                e.today,
                if e.expired {
                    "EXPIRED (the card stays usable)"
                } else {
                    "valid"
                }
            );
        }
        if let Some(p) = &self.photo {
            let _ = writeln!(o, "Photo     {}: {}", p.file, p.status);
        }
        if self.authentications == 0 {
            let _ = writeln!(
                o,
                "Read-only: {} commands sent, none writes or spends a try.",
                self.apdus
            );
        } else {
            let _ = writeln!(
                o,
                "Read-only: {} commands sent, none writes; {} external authentication(s) with the read key.",
                self.apdus, self.authentications
            );
        }
        o
    }
}
