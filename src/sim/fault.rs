//! Fault injection: the ways a chip goes wrong, for the diagnosis and recovery work.
//! Stored in the card image (`"faults"`) or set with `VirtualCard::set_faults`. The rules are
//! documented in docs/virtual-card.md.

use serde::{Deserialize, Serialize};

/// What happens to the APDU during which power is lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterruptedWrite {
    /// The interrupted command is not executed at all (nothing written). The default.
    #[default]
    NotDone,
    /// The interrupted command is executed completely; only its answer is lost.
    Done,
}

/// Intermittent failures: each APDU fails with probability `rate`, drawn from a small
/// deterministic PRNG started from `seed` (same seed, same APDU sequence → same failures).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intermittent {
    /// Probability of failure per APDU, 0.0 to 1.0.
    pub rate: f64,
    /// PRNG seed.
    pub seed: u64,
    /// The status word of a failed APDU (default 6581, memory failure). The command is not
    /// executed.
    #[serde(default = "memory_failure_sw", with = "sw_hex")]
    pub sw: u16,
}

fn memory_failure_sw() -> u16 {
    0x6581
}

mod sw_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:04X}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let s = String::deserialize(d)?;
        u16::from_str_radix(s.trim(), 16).map_err(|_| {
            serde::de::Error::custom(format!("a status word is 4 hex digits, got \"{s}\""))
        })
    }
}

/// The fault configuration of a card. The default is a healthy card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Files whose content cannot be read or written: every READ, UPDATE or APPEND on them
    /// answers 6581 and changes nothing. Paths of FIDs from the MF, e.g. `3F00/DDF1/EF05`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memory_failure: Vec<String>,
    /// Intermittent failures at a rate, with a seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intermittent: Option<Intermittent>,
    /// Delay before every answer, in milliseconds.
    #[serde(skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
    /// Power is lost during the Nth APDU after power-on (1 = the first): that APDU and every
    /// later one get no answer until the next power-on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_loss_at: Option<u64>,
    /// Whether the interrupted APDU is executed (see [`InterruptedWrite`]).
    #[serde(skip_serializing_if = "is_default")]
    pub interrupted_write: InterruptedWrite,
    /// Lose power at the Nth APDU after every power-on, not just once. When false (the
    /// default) `power_loss_at` is cleared when it fires, so the card works after the next
    /// power-on, as a card pulled out once would.
    #[serde(skip_serializing_if = "is_false")]
    pub power_loss_repeat: bool,
    /// A dead chip: no ATR, no answer.
    #[serde(skip_serializing_if = "is_false")]
    pub dead: bool,
    /// Deliberate defects of a broken card product, for the conformance suite to catch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
}

/// A deliberately broken behaviour (a non-conforming card product), for testing that
/// `sscard conformance` catches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// The access conditions of READ and UPDATE are not enforced: both are always allowed
    /// (life cycle still checked).
    AccessNotEnforced,
    /// A wrong PIN does not count down: the tries left never change.
    PinCounterStuck,
    /// Reads below a deactivated DF (or of a deactivated file) are answered as if active.
    DeactivatedReadable,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}
fn is_default(v: &InterruptedWrite) -> bool {
    *v == InterruptedWrite::NotDone
}

impl FaultConfig {
    /// True when `d` is one of the configured defects.
    pub fn has(&self, d: Defect) -> bool {
        self.defects.contains(&d)
    }

    /// True when no fault is configured.
    pub fn is_healthy(&self) -> bool {
        *self == FaultConfig::default()
    }

    /// Normalises memory-failure paths to `3F00/XXXX/YYYY` upper case.
    pub fn normalise(&mut self) {
        for p in &mut self.memory_failure {
            *p = normalise_path(p);
        }
    }
}

/// `ddf1/ef05`, `3F00DDF1EF05`, `3F00/DDF1/EF05` → `3F00/DDF1/EF05`.
pub fn normalise_path(text: &str) -> String {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut parts: Vec<String> = digits
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    if parts.first().map(String::as_str) != Some("3F00") {
        parts.insert(0, "3F00".to_string());
    }
    parts.join("/")
}

/// A small deterministic PRNG (SplitMix64): enough for fault injection, no `rand` needed.
#[derive(Clone, Debug)]
pub struct Prng(u64);

impl Prng {
    /// Starts from `seed`.
    pub fn new(seed: u64) -> Prng {
        Prng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `rate` (≤ 0: never, ≥ 1: always).
    pub fn hit(&mut self, rate: f64) -> bool {
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prng_is_deterministic_and_rate_is_respected() {
        let mut a = Prng::new(42);
        let mut b = Prng::new(42);
        let va: Vec<bool> = (0..1000).map(|_| a.hit(0.1)).collect();
        let vb: Vec<bool> = (0..1000).map(|_| b.hit(0.1)).collect();
        assert_eq!(va, vb);
        let hits = va.iter().filter(|h| **h).count();
        assert!((50..=150).contains(&hits), "{hits} hits of 1000 at 10%");
        let mut c = Prng::new(1);
        assert!((0..100).all(|_| !c.hit(0.0)));
        assert!((0..100).all(|_| c.hit(1.0)));
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalise_path("ddf1/ef05"), "3F00/DDF1/EF05");
        assert_eq!(normalise_path("3F00DDF1EF05"), "3F00/DDF1/EF05");
        assert_eq!(normalise_path("3F00"), "3F00");
    }
}
