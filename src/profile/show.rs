//! `sscard profile show`: a readable tree with FIDs, SFIs, sizes, access conditions, FCPs and
//! the data elements with their labels.

use super::fcp;
use super::model::{Access, AccessRules, Df, Ef, EfSize, Profile};
use std::fmt::Write;

fn access_text(a: &AccessRules) -> String {
    let ops: Vec<String> = AccessRules::OPERATIONS
        .iter()
        .zip(a.in_order())
        .filter(|(_, acc)| **acc != Access::Never)
        .map(|(op, acc)| format!("{op} {}", short(acc)))
        .collect();
    if ops.is_empty() {
        "everything never".into()
    } else if ops.len() == 6 {
        ops.join(", ")
    } else {
        format!("{}; others never", ops.join(", "))
    }
}

fn short(a: &Access) -> String {
    match a {
        Access::Always => "always".into(),
        Access::Never => "never".into(),
        Access::Pin { name, .. } => format!("pin:{name} ({:02X})", a.byte()),
        Access::Auth { key, .. } => format!("auth:{key} ({:02X})", a.byte()),
        Access::Mac { key, .. } => format!("mac:{key} ({:02X})", a.byte()),
    }
}

fn aid_text(aid: &[u8]) -> String {
    let hex = crate::apdu::compact(aid);
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(aid) {
        Some(t) if t.chars().all(|c| !c.is_control()) && t.chars().any(|c| c.is_alphabetic()) => {
            format!("{hex} (\"{t}\")")
        }
        _ => hex,
    }
}

fn label(l: &str) -> String {
    if l.is_empty() {
        String::new()
    } else {
        format!("  {l}")
    }
}

fn df_line(out: &mut String, df: &Df, ind: &str, is_mf: bool) {
    let kind = if is_mf { "MF" } else { "DF" };
    let _ = write!(out, "{ind}{kind} {}{}", df.name, label(&df.label));
    if let Some(f) = df.fid {
        let _ = write!(out, "  FID {f:04X}");
    }
    if let Some(a) = &df.aid {
        let _ = write!(out, "  AID {}", aid_text(a));
    }
    let _ = writeln!(out, "  LCS {}", df.lcs.as_str());
    let _ = writeln!(out, "{ind}   access: {}", access_text(&df.access));
    if !is_mf {
        let _ = writeln!(
            out,
            "{ind}   FCP {}",
            crate::apdu::spaced(&fcp::df_fcp(df).to_bytes())
        );
    }
    for k in &df.keys {
        let div = k
            .diversification
            .map_or("not diversified".to_string(), |d| {
                format!("diversified by {}", d.as_str())
            });
        let tries = if k.max_tries == 0 {
            "unlimited tries".to_string()
        } else {
            format!("{} tries", k.max_tries)
        };
        let _ = writeln!(
            out,
            "{ind}   key {:02X} {} ({}, {}, {div}, {tries}){}",
            k.id,
            k.name,
            k.role.as_str(),
            k.algorithm,
            label(&k.label)
        );
    }
    for p in &df.pins {
        let _ = writeln!(
            out,
            "{ind}   PIN ref {:02X} {} ({} tries, initial PIN set at init){}",
            p.reference,
            p.name,
            p.max_tries,
            label(&p.label)
        );
    }
}

fn ef_lines(out: &mut String, ef: &Ef, ind: &str) {
    let size = match ef.size {
        EfSize::Bytes(n) => format!("{n} bytes"),
        EfSize::Records { count, length } => format!("{count} records of up to {length} bytes"),
    };
    let sfi = ef.sfi.map_or(String::new(), |s| format!("  SFI {s}"));
    let _ = writeln!(
        out,
        "{ind}EF {}{}  FID {:04X}{sfi}  {}, {size}  LCS {}",
        ef.name,
        label(&ef.label),
        ef.fid,
        ef.structure.as_str(),
        ef.lcs.as_str()
    );
    let _ = writeln!(out, "{ind}   access: {}", access_text(&ef.access));
    let _ = writeln!(
        out,
        "{ind}   FCP {}",
        crate::apdu::spaced(&fcp::ef_fcp(ef).to_bytes())
    );
    if let Some(p) = &ef.photo {
        let _ = writeln!(
            out,
            "{ind}   photo: baseline JPEG {}x{} pixels, UPDATE BINARY chunks of up to {} bytes",
            p.width, p.height, p.chunk
        );
    }
    if !ef.elements.is_empty() {
        let _ = writeln!(out, "{ind}   rec tag  len format pad  name           label");
    }
    for e in &ef.elements {
        let mut notes = Vec::new();
        if let Some(r) = e.rule {
            notes.push(format!("check {r}"));
        }
        if !e.values.is_empty() {
            notes.push(format!("values {}", e.values.join("/")));
        }
        if let Some(c) = &e.continues {
            notes.push(format!("continues {c}"));
        }
        if !e.required {
            notes.push("optional".into());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join("; "))
        };
        let _ = writeln!(
            out,
            "{ind}   {:>3} {:02X} {:>4} {:<6} {:<4} {:<14} {}{notes}",
            e.record,
            e.tag,
            e.length,
            e.format.as_str(),
            e.padding.as_string(),
            e.name,
            e.label
        );
    }
}

fn walk(out: &mut String, df: &Df, depth: usize) {
    let ind = "   ".repeat(depth);
    df_line(out, df, &ind, depth == 0);
    let inner = "   ".repeat(depth + 1);
    for ef in &df.efs {
        ef_lines(out, ef, &inner);
    }
    for c in &df.dfs {
        walk(out, c, depth + 1);
    }
}

/// The profile as readable text.
pub fn render(p: &Profile) -> String {
    let mut out = String::new();
    let _ = write!(out, "profile {}", p.meta.name);
    if let Some(v) = &p.meta.spec_version {
        let _ = write!(out, "  spec {v}");
    }
    if let Some(g) = p.meta.generation {
        let _ = write!(out, "  generation {g}");
    }
    if let Some(r) = &p.meta.region {
        let _ = write!(out, "  region {r}");
    }
    out.push('\n');
    if let Some(d) = &p.meta.description {
        let _ = writeln!(out, "  {d}");
    }
    let f = super::fingerprint::fingerprint(p);
    let _ = writeln!(out, "fingerprint sha256:{}", f.sha256);
    let _ = writeln!(out, "            sm3:{}", f.sm3);
    out.push('\n');
    walk(&mut out, &p.mf, 0);
    for (purpose, c) in &p.commands {
        let _ = writeln!(out, "command {purpose}: {} block {}", c.script, c.block);
    }
    out
}
