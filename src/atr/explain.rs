//! A readable, byte-by-byte breakdown of an ATR for operators.

use super::{Atr, Convention, ErrorDetection, InterfaceGroup, Mode};
use crate::apdu::spaced;
use std::fmt::Write as _;

fn follows(y: u8, i: usize) -> String {
    let names: Vec<String> = [(1u8, 'A'), (2, 'B'), (4, 'C'), (8, 'D')]
        .iter()
        .filter(|(bit, _)| y & bit != 0)
        .map(|(_, l)| format!("T{l}{i}"))
        .collect();
    if names.is_empty() {
        "no more interface bytes".into()
    } else {
        let verb = if names.len() == 1 {
            "follows"
        } else {
            "follow"
        };
        format!("{} {verb}", names.join(" "))
    }
}

fn khz(k: u32) -> String {
    if k.is_multiple_of(1000) {
        format!("{} MHz", k / 1000)
    } else {
        format!("{}.{} MHz", k / 1000, (k % 1000) / 100)
    }
}

impl Atr {
    /// The clock line: `Fi=372 Di=1 fmax=5 MHz: 9600 bit/s at 3.57 MHz, ...`.
    pub fn clock_summary(&self) -> String {
        let c = &self.clock;
        let fi =
            c.fi.map_or(format!("RFU ({:X})", c.fi_code), |v| v.to_string());
        let di =
            c.di.map_or(format!("RFU ({:X})", c.di_code), |v| v.to_string());
        let mut s = format!("Fi={fi} Di={di}");
        if let Some(f) = c.fmax_khz {
            let _ = write!(s, " fmax={}", khz(f));
        }
        if let Some(r) = c.bit_rate_default_clock {
            let _ = write!(s, ": {r} bit/s at 3.57 MHz");
        }
        if let (Some(r), Some(f)) = (c.bit_rate_max_clock, c.fmax_khz) {
            let _ = write!(s, ", {r} bit/s at {}", khz(f));
        }
        s
    }

    fn group_lines(&self, g: &InterfaceGroup, out: &mut String) {
        let i = g.i;
        let for_t = |t: Option<u8>| t.map(|t| format!(" (for T={t})")).unwrap_or_default();
        if let Some(b) = g.ta {
            let what = match (i, g.applies_to) {
                (1, _) => self.clock_summary(),
                (2, _) => match &self.mode {
                    Mode::Specific {
                        protocol,
                        can_change,
                        implicit_parameters,
                    } => format!(
                        "specific mode, T={protocol}{}{}",
                        if *can_change {
                            ", can change to negotiable by warm reset"
                        } else {
                            ", cannot change mode"
                        },
                        if *implicit_parameters {
                            ", implicit Fi/Di"
                        } else {
                            ", Fi/Di from TA1"
                        }
                    ),
                    Mode::Negotiable => String::new(),
                },
                (_, Some(1)) => format!("IFSC = {b} bytes{}", for_t(Some(1))),
                (_, Some(15)) => {
                    let p = self.t15_params.as_ref();
                    format!(
                        "clock stop {}; classes {}",
                        p.and_then(|p| p.clock_stop.clone()).unwrap_or_default(),
                        p.map(|p| p.classes.join(", ")).unwrap_or_default()
                    )
                }
                (_, t) => format!("protocol-specific{}", for_t(t)),
            };
            let _ = writeln!(out, "  TA{i}  {b:02X}  {what}");
        }
        if let Some(b) = g.tb {
            let what = match (i, g.applies_to) {
                (1, _) | (2, _) => "programming voltage (deprecated, ignored)".to_string(),
                (_, Some(1)) => format!("BWI = {}, CWI = {}", b >> 4, b & 0x0F),
                (_, Some(15)) => "SPU: use of contact C6".to_string(),
                (_, t) => format!("protocol-specific{}", for_t(t)),
            };
            let _ = writeln!(out, "  TB{i}  {b:02X}  {what}");
        }
        if let Some(b) = g.tc {
            let what = match (i, g.applies_to) {
                (1, _) if b == 255 => {
                    "extra guard time N = 255: minimum guard time (12 etu for T=0, 11 etu for T=1)"
                        .to_string()
                }
                (1, _) => format!("extra guard time N = {b} etu"),
                (2, _) => format!("T=0 waiting time integer WI = {b}"),
                (_, Some(1)) => {
                    format!("error detection {}", if b & 1 == 1 { "CRC" } else { "LRC" })
                }
                (_, t) => format!("protocol-specific{}", for_t(t)),
            };
            let _ = writeln!(out, "  TC{i}  {b:02X}  {what}");
        }
        if let Some(b) = g.td {
            let t = b & 0x0F;
            let proto = if t == 15 {
                "T=15 (global interface bytes follow)".to_string()
            } else {
                format!("protocol T={t}")
            };
            let _ = writeln!(out, "  TD{i}  {b:02X}  {proto}; {}", follows(b >> 4, i + 1));
        }
    }

    /// A multi-line, byte-by-byte explanation for operators (ends with a newline).
    pub fn explain(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "ATR  {}", spaced(&self.raw));
        let conv = match self.convention {
            Convention::Direct => "direct convention",
            Convention::Inverse => "inverse convention",
        };
        let _ = writeln!(out, "  TS   {:02X}  {conv}", self.raw.first().unwrap_or(&0));
        let _ = writeln!(
            out,
            "  T0   {:02X}  {}; {} historical byte(s)",
            self.t0,
            follows(self.t0 >> 4, 1),
            self.historical_len()
        );
        for g in &self.interface {
            self.group_lines(g, &mut out);
        }
        let h = &self.historical;
        if h.bytes.is_empty() {
            let _ = writeln!(out, "  historical bytes: none");
        } else {
            let _ = writeln!(out, "  historical  {}", spaced(&h.bytes));
            let _ = writeln!(out, "    {}", h.format);
            for o in &h.objects {
                let _ = writeln!(
                    out,
                    "    {:X}{:X} {}  {}",
                    o.tag,
                    o.value.len(),
                    spaced(&o.value),
                    o.name
                );
            }
            if let Some(st) = &h.status {
                if let Some(l) = st.lcs {
                    let _ = writeln!(out, "    life cycle status {l:02X}");
                }
                if let Some(sw) = st.sw {
                    let _ = writeln!(out, "    status word {sw}");
                }
            }
            if let Some(t) = &h.text {
                let _ = writeln!(out, "    as text: \"{t}\"");
            }
        }
        match self.tck {
            Some(t) => {
                let _ = writeln!(out, "  TCK  {t:02X}  correct");
            }
            None => {
                let _ = writeln!(out, "  TCK  absent (only T=0 offered, none needed)");
            }
        }
        let protos: Vec<String> = self.protocols.iter().map(|t| format!("T={t}")).collect();
        let _ = writeln!(out, "protocols   {}", protos.join(", "));
        let mode = match &self.mode {
            Mode::Negotiable => {
                "negotiable (PPS possible; default 9600 bit/s at 3.57 MHz until then)".to_string()
            }
            Mode::Specific { protocol, .. } => format!("specific, T={protocol}"),
        };
        let _ = writeln!(out, "mode        {mode}");
        let _ = writeln!(out, "speed       {}", self.clock_summary());
        let _ = writeln!(out, "guard time  {} extra etu", self.extra_guard_time);
        if let Some(p) = &self.t0_params {
            let wt = p
                .wt_ms
                .map(|m| format!(" (WT {m} ms at 3.57 MHz)"))
                .unwrap_or_default();
            let _ = writeln!(out, "T=0         WI {}{wt}", p.wi);
        }
        if let Some(p) = &self.t1_params {
            let _ = writeln!(
                out,
                "T=1         IFSC {}, BWI {}, CWI {}, {}{}",
                p.ifsc,
                p.bwi,
                p.cwi,
                match p.error_detection {
                    ErrorDetection::Lrc => "LRC",
                    ErrorDetection::Crc => "CRC",
                },
                if p.from_atr { "" } else { " (defaults)" }
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "note        {n}");
        }
        out
    }
}
