//! `sscard sim --show`: a summary of a card image (no key values, no file contents).

use super::faults;
use sscard::apdu::spaced;
use sscard::sim::VirtualCard;
use sscard::sim::fs::{FileStructure, Node};
use sscard::sim::security::{KeyStore, Tries};
use std::fmt::Write as _;
use std::path::Path;

/// The summary text of the card loaded from `path`.
pub fn summary(card: &VirtualCard, path: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "image:    {}", path.display());
    let _ = writeln!(out, "ATR:      {}", spaced(card.atr()));
    let _ = writeln!(
        out,
        "protocol: {}",
        if card.is_t0() {
            "T=0 behaviour (61xx / GET RESPONSE, 6Cxx on a wrong Le)"
        } else {
            "T=1 behaviour (complete responses)"
        }
    );
    let _ = writeln!(out, "faults:   {}", faults::describe(card.faults()));
    if card.is_psam() {
        let _ = writeln!(
            out,
            "PSAM:     {}",
            super::psam::describe_keys(card.psam_keys())
        );
    }
    let _ = writeln!(out, "files:");
    tree(&mut out, &card.state().mf, 1);
    out
}

fn tree(out: &mut String, n: &Node, depth: usize) {
    let indent = "  ".repeat(depth);
    let fid = n
        .fid
        .map(|f| format!("{:04X}", f.0))
        .unwrap_or_else(|| "----".into());
    let mut line = format!("{indent}{fid} ");
    match n.kind {
        FileStructure::Df => {
            line.push_str("DF");
            if let Some(name) = &n.name {
                let _ = write!(line, " name {}", spaced(&name.0));
            }
            let _ = write!(line, ", {} children", n.children.len());
        }
        FileStructure::Transparent => {
            let _ = write!(line, "EF transparent, {} bytes", n.size.unwrap_or(0));
        }
        k => {
            let what = match k {
                FileStructure::LinearFixed => "linear fixed",
                FileStructure::LinearVariable => "linear variable",
                _ => "cyclic",
            };
            let _ = write!(
                line,
                "EF {what}, {} of {} records (max length {})",
                n.records.len(),
                n.max_records.unwrap_or(0),
                n.record_len.unwrap_or(0)
            );
        }
    }
    if let Some(sfi) = n.sfi {
        let _ = write!(line, ", SFI {sfi:02X}");
    }
    let _ = write!(line, ", {:?}, access {}", n.lcs, spaced(&n.access.0));
    if n.memory_failure {
        line.push_str(", MEMORY FAILURE");
    }
    let _ = writeln!(out, "{line}");
    if n.is_df() {
        keys(out, &n.keys, &indent);
    }
    for c in &n.children {
        tree(out, c, depth + 1);
    }
}

/// Key ids, roles and try counters of a DF; never the values.
fn keys(out: &mut String, ks: &KeyStore, indent: &str) {
    let tries = |t: &Tries| {
        if t.max == 0 {
            "unlimited tries".to_string()
        } else {
            format!("{} of {} tries left", t.left, t.max)
        }
    };
    for k in &ks.keys {
        let _ = writeln!(
            out,
            "{indent}  key {:02X}: {:?}, {}",
            k.id,
            k.usage,
            tries(&k.tries)
        );
    }
    for p in &ks.pins {
        let blocked = if p.tries.blocked() { " (BLOCKED)" } else { "" };
        let _ = writeln!(
            out,
            "{indent}  PIN {:02X}: {}{blocked}",
            p.reference,
            tries(&p.tries)
        );
    }
}
