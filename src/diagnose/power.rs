//! Power-up and link checks: the ATR over cold and warm resets, and a run of harmless commands.

use super::verdict::{Findings, Verdict};
use crate::apdu::{Command, Sw, spaced};
use crate::atr::Atr;
use crate::error::ErrorChain;
use crate::exchange::exchange_auto;
use crate::transport::{ResetKind, Transport};
use serde::Serialize;
use std::time::Instant;

/// What the ATR looked like over the resets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PowerCheck {
    /// The ATR at connection (spaced hex; empty when none).
    pub atr: String,
    /// Resets tried (cold and warm alternately).
    pub resets: usize,
    /// Resets answered with an ATR.
    pub answered: usize,
    /// Every distinct ATR seen.
    pub distinct_atrs: Vec<String>,
    /// Whether the ATR parses and its check byte (TCK) is right.
    pub well_formed: bool,
    /// Why it is not well-formed.
    pub problem: Option<String>,
    /// The protocols offered (`T=0`, `T=1`).
    pub protocols: Vec<String>,
    /// Bit rate at the default 3.5712 MHz clock, bit/s, with the ATR's Fi/Di.
    pub bit_rate: Option<u32>,
}

/// Power-up: the connection ATR, then `resets` resets alternating cold and warm.
pub fn check_power(t: &mut dyn Transport, resets: usize, f: &mut Findings) -> PowerCheck {
    let first = t.atr();
    let mut pc = PowerCheck {
        atr: spaced(&first),
        ..PowerCheck::default()
    };
    let mut seen: Vec<Vec<u8>> = Vec::new();
    if !first.is_empty() {
        seen.push(first.clone());
    }
    let mut failures = Vec::new();
    for i in 0..resets {
        let kind = if i % 2 == 0 {
            ResetKind::Cold
        } else {
            ResetKind::Warm
        };
        pc.resets += 1;
        match t.reset(kind) {
            Ok(atr) if !atr.is_empty() => {
                pc.answered += 1;
                if !seen.contains(&atr) {
                    seen.push(atr);
                }
            }
            Ok(_) => failures.push(format!("{kind:?} reset: empty ATR")),
            Err(e) => failures.push(format!("{kind:?} reset: {e}", e = e.chain())),
        }
    }
    pc.distinct_atrs = seen.iter().map(|a| spaced(a)).collect();
    if seen.is_empty() {
        f.add(
            Verdict::NoResponse,
            format!("no answer to reset (no ATR) on {} resets", pc.resets),
        );
        return pc;
    }
    if !failures.is_empty() {
        f.add(
            Verdict::ChipFailing,
            format!(
                "{} of {} resets gave no ATR ({})",
                failures.len(),
                pc.resets,
                failures.join("; ")
            ),
        );
    }
    if seen.len() > 1 {
        f.add(
            Verdict::ChipFailing,
            format!(
                "the ATR changes from one reset to the next: {}",
                pc.distinct_atrs.join(" / ")
            ),
        );
    }
    let mut problems = Vec::new();
    for atr in &seen {
        match Atr::parse(atr) {
            Ok(a) => {
                if pc.protocols.is_empty() {
                    pc.protocols = a.protocols.iter().map(|p| format!("T={p}")).collect();
                    pc.bit_rate = a.clock.bit_rate_default_clock;
                }
            }
            Err(e) => problems.push(format!("ATR {}: {e}", spaced(atr), e = e.chain())),
        }
    }
    pc.well_formed = problems.is_empty();
    if !problems.is_empty() {
        pc.problem = Some(problems.join("; "));
        f.add(
            Verdict::ChipFailing,
            format!("malformed ATR: {}", problems.join("; ")),
        );
    }
    pc
}

/// What the run of harmless commands showed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkCheck {
    /// Commands sent (SELECT MF, no response data).
    pub commands: usize,
    /// Commands that failed (no answer, or a status word other than 9000).
    pub errors: usize,
    /// What the failures were, e.g. `6581 ×3`, `no answer ×1`.
    pub failures: Vec<String>,
    /// Fastest answer, microseconds.
    pub min_us: Option<u64>,
    /// Median answer time, microseconds.
    pub median_us: Option<u64>,
    /// Slowest answer, microseconds.
    pub max_us: Option<u64>,
    /// True when the card stopped answering and a reset did not bring it back.
    pub lost: bool,
}

/// Sends `rounds` SELECT MF (`00 A4 00 0C 02 3F 00`) and counts the failures. A command that
/// gets no answer is followed by one cold reset; if that fails too the card is lost.
pub fn check_link(t: &mut dyn Transport, rounds: usize, f: &mut Findings) -> LinkCheck {
    let cmd = Command::new(0x00, 0xA4, 0x00, 0x0C).with_data(vec![0x3F, 0x00]);
    let mut lc = LinkCheck::default();
    let mut times = Vec::new();
    let mut fails: Vec<(String, usize)> = Vec::new();
    let mut note = |what: String| match fails.iter_mut().find(|(w, _)| *w == what) {
        Some((_, n)) => *n += 1,
        None => fails.push((what, 1)),
    };
    for _ in 0..rounds {
        lc.commands += 1;
        let start = Instant::now();
        let r = exchange_auto(t, &cmd);
        let us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        match r {
            Ok(r) if r.sw == Sw::OK => times.push(us),
            Ok(r) => {
                times.push(us);
                lc.errors += 1;
                note(format!("{:04X}", r.sw.0));
            }
            Err(_) => {
                lc.errors += 1;
                note("no answer".into());
                if t.reset(ResetKind::Cold).is_err() {
                    lc.lost = true;
                    break;
                }
            }
        }
    }
    times.sort_unstable();
    lc.min_us = times.first().copied();
    lc.max_us = times.last().copied();
    lc.median_us = times.get(times.len() / 2).copied();
    lc.failures = fails
        .into_iter()
        .map(|(w, n)| format!("{w} ×{n}"))
        .collect();
    if lc.lost {
        f.add(
            Verdict::NoResponse,
            format!(
                "the card stopped answering after {} commands and did not come back after a reset",
                lc.commands
            ),
        );
    } else if lc.errors > 0 && lc.errors == lc.commands && fails_are_silence(&lc.failures) {
        // The ATR came back after every reset: the chip is there and powered, and fails.
        f.add(
            Verdict::ChipFailing,
            format!(
                "the chip answers reset (ATR) but none of {} harmless commands ({}): its \
                 operating system or memory is failing, not the contacts or the reader",
                lc.commands,
                lc.failures.join(", ")
            ),
        );
    } else if lc.errors > 0 {
        f.add(
            Verdict::ChipFailing,
            format!(
                "the link is unreliable: {} of {} harmless commands failed ({})",
                lc.errors,
                lc.commands,
                lc.failures.join(", ")
            ),
        );
    }
    lc
}

/// True when every failure noted is "no answer" (the card was silent, not refusing).
fn fails_are_silence(failures: &[String]) -> bool {
    !failures.is_empty() && failures.iter().all(|w| w.starts_with("no answer"))
}
