//! What the interface bytes mean: Fi/Di/fmax (TA1), mode (TA2), T=0, T=1 and T=15 parameters
//! (ISO/IEC 7816-3 §8.3, §10.2, §11.4).

use super::InterfaceGroup;
use serde::Serialize;

/// The usual reader clock, 3.5712 MHz, at which Fi=372 Di=1 gives 9600 bit/s.
pub const DEFAULT_CLOCK_HZ: u32 = 3_571_200;

/// Fi and fmax (kHz) by the high nibble of TA1 (ISO/IEC 7816-3 Table 7); `None` is RFU.
fn fi_fmax(code: u8) -> Option<(u16, u32)> {
    Some(match code {
        0x0 => (372, 4_000),
        0x1 => (372, 5_000),
        0x2 => (558, 6_000),
        0x3 => (744, 8_000),
        0x4 => (1116, 12_000),
        0x5 => (1488, 16_000),
        0x6 => (1860, 20_000),
        0x9 => (512, 5_000),
        0xA => (768, 7_500),
        0xB => (1024, 10_000),
        0xC => (1536, 15_000),
        0xD => (2048, 20_000),
        _ => return None,
    })
}

/// Di by the low nibble of TA1 (ISO/IEC 7816-3 Table 8); `None` is RFU.
fn di(code: u8) -> Option<u8> {
    Some(match code {
        0x1 => 1,
        0x2 => 2,
        0x3 => 4,
        0x4 => 8,
        0x5 => 16,
        0x6 => 32,
        0x7 => 64,
        0x8 => 12,
        0x9 => 20,
        _ => return None,
    })
}

/// Transmission speed parameters (TA1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// True when TA1 is present (otherwise the defaults Fi=372, Di=1, fmax=5 MHz apply).
    pub from_ta1: bool,
    /// The Fi code (TA1 high nibble; 1 by default).
    pub fi_code: u8,
    /// The Di code (TA1 low nibble; 1 by default).
    pub di_code: u8,
    /// Clock rate conversion integer Fi (`None` if the code is RFU).
    pub fi: Option<u16>,
    /// Baud rate adjustment integer Di (`None` if the code is RFU).
    pub di: Option<u8>,
    /// Maximum clock frequency in kHz.
    pub fmax_khz: Option<u32>,
    /// Bit rate (bit/s) with Fi/Di at the usual 3.5712 MHz clock.
    pub bit_rate_default_clock: Option<u32>,
    /// Bit rate (bit/s) with Fi/Di at fmax.
    pub bit_rate_max_clock: Option<u32>,
}

impl Clock {
    pub(super) fn from_ta1(ta1: Option<u8>, notes: &mut Vec<String>) -> Clock {
        let b = ta1.unwrap_or(0x11);
        let (fi_code, di_code) = (b >> 4, b & 0x0F);
        let f = fi_fmax(fi_code);
        let d = di(di_code);
        if f.is_none() {
            notes.push(format!(
                "TA1 = {b:02X}: Fi code {fi_code:X} is reserved (RFU)"
            ));
        }
        if d.is_none() {
            notes.push(format!(
                "TA1 = {b:02X}: Di code {di_code:X} is reserved (RFU)"
            ));
        }
        let rate = |clock_hz: u32| match (f, d) {
            (Some((fi, _)), Some(di)) => {
                Some((u64::from(clock_hz) * u64::from(di) / u64::from(fi)) as u32)
            }
            _ => None,
        };
        Clock {
            from_ta1: ta1.is_some(),
            fi_code,
            di_code,
            fi: f.map(|x| x.0),
            di: d,
            fmax_khz: f.map(|x| x.1),
            bit_rate_default_clock: rate(DEFAULT_CLOCK_HZ),
            bit_rate_max_clock: f.and_then(|(_, fmax)| rate(fmax.saturating_mul(1000))),
        }
    }
}

/// Negotiable or specific mode (TA2, ISO/IEC 7816-3 §6.3.1, §8.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Mode {
    /// No TA2: the reader may negotiate with PPS, or use the first protocol offered at the
    /// default rate.
    Negotiable,
    /// TA2 present: the card works only with this protocol.
    Specific {
        /// The protocol T imposed.
        protocol: u8,
        /// True when the card can switch to negotiable mode by a warm reset (bit 8 = 0).
        can_change: bool,
        /// True when Fi/Di are implicit, not the ones of TA1 (bit 5 = 1).
        implicit_parameters: bool,
    },
}

impl Mode {
    pub(super) fn from_ta2(ta2: Option<u8>) -> Mode {
        match ta2 {
            None => Mode::Negotiable,
            Some(b) => Mode::Specific {
                protocol: b & 0x0F,
                can_change: b & 0x80 == 0,
                implicit_parameters: b & 0x10 != 0,
            },
        }
    }
}

/// T=0 parameters (ISO/IEC 7816-3 §10.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct T0Params {
    /// Waiting time integer WI (TC2; 10 by default).
    pub wi: u8,
    /// The waiting time WT = 960 × WI × Fi / f, in milliseconds at 3.5712 MHz.
    pub wt_ms: Option<u32>,
}

impl T0Params {
    pub(super) fn from_tc2(tc2: Option<u8>, clock: &Clock) -> T0Params {
        let wi = tc2.unwrap_or(10);
        let wt_ms = clock.fi.map(|fi| {
            (960u64 * u64::from(wi) * u64::from(fi) * 1000 / u64::from(DEFAULT_CLOCK_HZ)) as u32
        });
        T0Params { wi, wt_ms }
    }
}

/// Error detection code of T=1 (first TC for T=1, bit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ErrorDetection {
    /// Longitudinal redundancy check (1 byte), the default.
    Lrc,
    /// Cyclic redundancy check (2 bytes).
    Crc,
}

/// T=1 parameters (ISO/IEC 7816-3 §11.4): the first TA, TB and TC after a TD announcing T=1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct T1Params {
    /// Information field size of the card, IFSC (default 32).
    pub ifsc: u8,
    /// Block waiting time integer BWI (default 4).
    pub bwi: u8,
    /// Character waiting time integer CWI (default 13).
    pub cwi: u8,
    /// Error detection code (default LRC).
    pub error_detection: ErrorDetection,
    /// True when any of them came from the ATR (false: all defaults).
    pub from_atr: bool,
}

impl T1Params {
    pub(super) fn from_groups(groups: &[InterfaceGroup]) -> T1Params {
        let for_t1 = || {
            groups
                .iter()
                .filter(|g| g.i >= 3 && g.applies_to == Some(1))
        };
        let ta = for_t1().find_map(|g| g.ta);
        let tb = for_t1().find_map(|g| g.tb);
        let tc = for_t1().find_map(|g| g.tc);
        T1Params {
            ifsc: ta.unwrap_or(32),
            bwi: tb.map_or(4, |b| b >> 4),
            cwi: tb.map_or(13, |b| b & 0x0F),
            error_detection: if tc.is_some_and(|c| c & 1 == 1) {
                ErrorDetection::Crc
            } else {
                ErrorDetection::Lrc
            },
            from_atr: ta.is_some() || tb.is_some() || tc.is_some(),
        }
    }
}

/// Global parameters after T=15 (ISO/IEC 7816-3 §8.3): clock stop, classes, SPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct T15Params {
    /// Clock stop indicator X (first TA for T=15, bits 8-7), in words.
    pub clock_stop: Option<String>,
    /// Supported classes (first TA for T=15, bits 6-1): `A` (5 V), `B` (3 V), `C` (1.8 V).
    pub classes: Vec<String>,
    /// Standard or proprietary use of contact C6 (first TB for T=15), raw.
    pub spu: Option<u8>,
}

impl T15Params {
    pub(super) fn from_groups(groups: &[InterfaceGroup]) -> Option<T15Params> {
        let for_t15 = || {
            groups
                .iter()
                .filter(|g| g.i >= 3 && g.applies_to == Some(15))
        };
        let ta = for_t15().find_map(|g| g.ta);
        let tb = for_t15().find_map(|g| g.tb);
        if ta.is_none() && tb.is_none() {
            return None;
        }
        let clock_stop = ta.map(|b| {
            match b >> 6 {
                0 => "not supported",
                1 => "supported, state L",
                2 => "supported, state H",
                _ => "supported, no preference",
            }
            .to_string()
        });
        let mut classes = Vec::new();
        if let Some(b) = ta {
            for (bit, name) in [(1u8, "A (5 V)"), (2, "B (3 V)"), (4, "C (1.8 V)")] {
                if b & bit != 0 {
                    classes.push(name.to_string());
                }
            }
        }
        Some(T15Params {
            clock_stop,
            classes,
            spu: tb,
        })
    }
}
