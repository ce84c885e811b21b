//! Answer-to-reset (ISO/IEC 7816-3 §8): parse, check and explain an ATR.
//!
//! [`Atr::parse`] reads TS, T0, every interface byte group (TAi TBi TCi TDi), the historical
//! bytes and TCK, checks the structure, and derives what an operator wants to know: the
//! protocols offered, Fi/Di/fmax and the bit rate they give, the extra guard time, specific or
//! negotiable mode, the T=0 and T=1 parameters. A malformed ATR is an [`AtrError`] that names
//! the byte. [`Atr::explain`] gives a readable breakdown; [`names`] finds the card names
//! pcsc-tools' `smartcard_list.txt` gives for an ATR.
//!
//! The ATR is taken as the logical byte values a reader reports (PC/SC decodes the inverse
//! convention already): TS `3B` is the direct convention, `3F` the inverse one.

mod explain;
mod historical;
pub mod names;
mod params;

pub use historical::{CompactObject, Historical, StatusIndicator};
pub use params::{Clock, DEFAULT_CLOCK_HZ, ErrorDetection, Mode, T0Params, T1Params, T15Params};

use crate::apdu::{HexError, parse_hex};
use serde::Serialize;
use thiserror::Error;

/// An ATR that does not follow ISO/IEC 7816-3 §8. Every variant names the byte.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AtrError {
    /// No byte at all.
    #[error("the ATR is empty: the card did not answer to reset")]
    Empty,
    /// TS is neither `3B` nor `3F`.
    #[error(
        "TS (byte 0) is {0:02X}: an ATR starts with 3B (direct convention) or 3F (inverse convention){hint}",
        hint = if *.0 == 0x03 { "; 03 is an inverse-convention TS read as direct: the reader did not decode it" } else { "" }
    )]
    BadTs(u8),
    /// A byte announced by T0 or a TDi is missing.
    #[error("{announced_by} announces {byte} (byte {index}) but the ATR has only {index} bytes")]
    Missing {
        /// The missing byte, e.g. `TA2`.
        byte: String,
        /// The byte that announced it, e.g. `TD1`.
        announced_by: String,
        /// Where it should have been (0-based), which is also the ATR's length.
        index: usize,
    },
    /// Fewer historical bytes than T0 announces.
    #[error(
        "T0 announces {k} historical bytes (from byte {start}) but only {got} follow: the ATR is cut short"
    )]
    HistoricalTruncated {
        /// K, from T0.
        k: usize,
        /// Index of the first historical byte.
        start: usize,
        /// How many are there.
        got: usize,
    },
    /// TCK is required but absent.
    #[error("TCK (byte {index}) is required because {why}, but the ATR ends before it")]
    MissingTck {
        /// Where TCK should have been.
        index: usize,
        /// Why it is required, e.g. `T=1 is offered`.
        why: String,
    },
    /// TCK does not make the XOR of T0..TCK zero.
    #[error(
        "TCK (byte {index}) is {tck:02X} but should be {expected:02X} (XOR of T0 to the last historical byte): the ATR was corrupted; reset the card and read it again"
    )]
    BadTck {
        /// Index of TCK.
        index: usize,
        /// The TCK received.
        tck: u8,
        /// The TCK that would be correct.
        expected: u8,
    },
    /// Bytes after the end of the ATR.
    #[error("{count} unexpected byte(s) from byte {index} on, after {after}")]
    Trailing {
        /// Index of the first extra byte.
        index: usize,
        /// How many extra bytes.
        count: usize,
        /// What they follow: `the historical bytes` or `TCK`.
        after: &'static str,
    },
    /// The hex text given for the ATR is malformed.
    #[error("the ATR is not valid hex")]
    Hex(#[from] HexError),
}

/// The bit convention announced by TS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// `3B`: high level is 1, least significant bit first.
    Direct,
    /// `3F`: low level is 1, most significant bit first.
    Inverse,
}

/// One group of interface bytes: TAi, TBi, TCi, TDi (i from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceGroup {
    /// The group number i.
    pub i: usize,
    /// The protocol T these bytes apply to (for i ≥ 3: the T of TD(i-1)); `None` for the
    /// global groups 1 and 2.
    pub applies_to: Option<u8>,
    /// TAi.
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub ta: Option<u8>,
    /// TBi.
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub tb: Option<u8>,
    /// TCi.
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub tc: Option<u8>,
    /// TDi.
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub td: Option<u8>,
}

impl InterfaceGroup {
    /// The protocol T announced by TDi, if TDi is present.
    pub fn next_protocol(&self) -> Option<u8> {
        self.td.map(|td| td & 0x0F)
    }
}

/// A parsed and checked ATR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Atr {
    /// The ATR as received.
    #[serde(serialize_with = "crate::apdu::hexser::bytes")]
    pub raw: Vec<u8>,
    /// TS.
    pub convention: Convention,
    /// T0 (Y1 in the high nibble, K in the low nibble).
    pub t0: u8,
    /// The interface byte groups, i = 1, 2, ...
    pub interface: Vec<InterfaceGroup>,
    /// The protocols offered (T=0, T=1, ...), in the order the TDi give them; T=0 alone when
    /// there is no TD1. T=15 is not a protocol and is not listed here.
    pub protocols: Vec<u8>,
    /// True when T=15 (global interface bytes) is indicated.
    pub t15_indicated: bool,
    /// Fi, Di, fmax and the bit rate they give (TA1).
    pub clock: Clock,
    /// Extra guard time N in etu (TC1; 0 when absent; 255 means the minimum guard time).
    pub extra_guard_time: u8,
    /// Negotiable or specific mode (TA2).
    pub mode: Mode,
    /// T=0 parameters, when T=0 is offered.
    pub t0_params: Option<T0Params>,
    /// T=1 parameters, when T=1 is offered.
    pub t1_params: Option<T1Params>,
    /// Global parameters after T=15, when indicated.
    pub t15_params: Option<T15Params>,
    /// The historical bytes and what they say.
    pub historical: Historical,
    /// TCK, when present (it has been checked).
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub tck: Option<u8>,
    /// True when the protocols offered make TCK mandatory.
    pub tck_required: bool,
    /// Oddities that do not make the ATR unusable (RFU values, deprecated bytes, ...).
    pub notes: Vec<String>,
}

impl Atr {
    /// Parses hex text (spaces, colons, lower case allowed).
    pub fn from_hex(text: &str) -> Result<Atr, AtrError> {
        Atr::parse(&parse_hex(text)?)
    }

    /// Parses and checks an ATR (ISO/IEC 7816-3 §8.2).
    pub fn parse(raw: &[u8]) -> Result<Atr, AtrError> {
        let ts = *raw.first().ok_or(AtrError::Empty)?;
        let convention = match ts {
            0x3B => Convention::Direct,
            0x3F => Convention::Inverse,
            other => return Err(AtrError::BadTs(other)),
        };
        let t0 = *raw.get(1).ok_or_else(|| AtrError::Missing {
            byte: "T0".into(),
            announced_by: "TS".into(),
            index: 1,
        })?;
        let mut notes = Vec::new();
        let mut interface = Vec::new();
        let mut td_protocols = Vec::new();
        let mut pos = 2usize;
        let mut y = t0 >> 4;
        let mut i = 1usize;
        let mut applies_to = None;
        loop {
            let announced_by = if i == 1 {
                "T0".to_string()
            } else {
                format!("TD{}", i - 1)
            };
            let mut group = InterfaceGroup {
                i,
                applies_to,
                ta: None,
                tb: None,
                tc: None,
                td: None,
            };
            for (bit, letter) in [(1u8, 'A'), (2, 'B'), (4, 'C'), (8, 'D')] {
                if y & bit == 0 {
                    continue;
                }
                let b = *raw.get(pos).ok_or_else(|| AtrError::Missing {
                    byte: format!("T{letter}{i}"),
                    announced_by: announced_by.clone(),
                    index: pos,
                })?;
                pos += 1;
                match letter {
                    'A' => group.ta = Some(b),
                    'B' => group.tb = Some(b),
                    'C' => group.tc = Some(b),
                    _ => group.td = Some(b),
                }
            }
            let td = group.td;
            interface.push(group);
            match td {
                Some(td) => {
                    let t = td & 0x0F;
                    if i == 1 && t == 15 {
                        notes
                            .push("TD1 indicates T=15, which ISO/IEC 7816-3 forbids in TD1".into());
                    }
                    td_protocols.push(t);
                    y = td >> 4;
                    applies_to = if i >= 2 { Some(t) } else { None };
                    i += 1;
                }
                None => break,
            }
        }

        let k = usize::from(t0 & 0x0F);
        let hist_end = pos + k;
        let historical_bytes = raw
            .get(pos..hist_end)
            .ok_or(AtrError::HistoricalTruncated {
                k,
                start: pos,
                got: raw.len().saturating_sub(pos),
            })?;

        let mut protocols: Vec<u8> = Vec::new();
        for &t in &td_protocols {
            if t != 15 && !protocols.contains(&t) {
                protocols.push(t);
            }
        }
        if td_protocols.is_empty() {
            protocols.push(0);
        }
        let t15_indicated = td_protocols.contains(&15);
        let tck_required = td_protocols.iter().any(|&t| t != 0);
        let rest = raw.get(hist_end..).unwrap_or(&[]);
        let expected = raw
            .get(1..hist_end)
            .unwrap_or(&[])
            .iter()
            .fold(0u8, |a, b| a ^ b);
        let tck = match (rest, tck_required) {
            ([], false) => None,
            ([], true) => {
                let why = match td_protocols.iter().find(|&&t| t != 0) {
                    Some(15) => "T=15 is indicated".to_string(),
                    Some(t) => format!("T={t} is offered"),
                    None => "a protocol other than T=0 is offered".to_string(),
                };
                return Err(AtrError::MissingTck {
                    index: hist_end,
                    why,
                });
            }
            ([tck], required) => {
                if *tck != expected {
                    if !required {
                        return Err(AtrError::Trailing {
                            index: hist_end,
                            count: 1,
                            after: "the historical bytes (only T=0 is offered, so no TCK)",
                        });
                    }
                    return Err(AtrError::BadTck {
                        index: hist_end,
                        tck: *tck,
                        expected,
                    });
                }
                if !required {
                    notes.push(
                        "a TCK is present although only T=0 is offered (ISO/IEC 7816-3 says it shall be absent); it is correct".into(),
                    );
                }
                Some(*tck)
            }
            (more, required) => {
                return Err(AtrError::Trailing {
                    index: hist_end + usize::from(required),
                    count: more.len() - usize::from(required),
                    after: if required {
                        "TCK"
                    } else {
                        "the historical bytes"
                    },
                });
            }
        };
        if raw.len() > 33 {
            notes.push(format!(
                "the ATR has {} bytes; ISO/IEC 7816-3 allows at most 33",
                raw.len()
            ));
        }

        let g1 = interface.first().cloned();
        let g2 = interface.get(1).cloned();
        let clock = Clock::from_ta1(g1.as_ref().and_then(|g| g.ta), &mut notes);
        if let Some(tb1) = g1.as_ref().and_then(|g| g.tb)
            && tb1 != 0
        {
            notes.push(format!(
                "TB1 = {tb1:02X} asks for a programming voltage VPP (deprecated since ISO/IEC 7816-3:2006; readers ignore it)"
            ));
        }
        if g2.as_ref().and_then(|g| g.tb).is_some() {
            notes
                .push("TB2 (programming voltage) is present: deprecated, readers ignore it".into());
        }
        let extra_guard_time = g1.as_ref().and_then(|g| g.tc).unwrap_or(0);
        let mode = Mode::from_ta2(g2.as_ref().and_then(|g| g.ta));
        let t0_params = protocols
            .contains(&0)
            .then(|| T0Params::from_tc2(g2.as_ref().and_then(|g| g.tc), &clock));
        let t1_params = protocols
            .contains(&1)
            .then(|| T1Params::from_groups(&interface));
        let t15_params = if t15_indicated {
            T15Params::from_groups(&interface)
        } else {
            None
        };
        let historical = Historical::parse(historical_bytes);
        Ok(Atr {
            raw: raw.to_vec(),
            convention,
            t0,
            interface,
            protocols,
            t15_indicated,
            clock,
            extra_guard_time,
            mode,
            t0_params,
            t1_params,
            t15_params,
            historical,
            tck,
            tck_required,
            notes,
        })
    }

    /// The number of historical bytes K (T0 low nibble).
    pub fn historical_len(&self) -> usize {
        usize::from(self.t0 & 0x0F)
    }

    /// The interface byte `TAi`/`TBi`/`TCi`/`TDi` by letter (`'A'`..`'D'`) and i (from 1).
    pub fn interface_byte(&self, letter: char, i: usize) -> Option<u8> {
        let g = self.interface.iter().find(|g| g.i == i)?;
        match letter.to_ascii_uppercase() {
            'A' => g.ta,
            'B' => g.tb,
            'C' => g.tc,
            'D' => g.td,
            _ => None,
        }
    }

    /// True when protocol T is offered.
    pub fn offers(&self, t: u8) -> bool {
        self.protocols.contains(&t)
    }
}

#[cfg(test)]
mod tests;
