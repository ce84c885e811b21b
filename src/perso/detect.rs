//! Which generation is this card? As public readers tell it: SELECT the SSSE by name and read
//! EF05 tag 03, the spec version (`1.00`, `2.00`/`2.01`, `3.00`); its first digit picks the
//! shipped profile. Needs no key (EF05 is free on every generation).

use crate::card::{Ef, RecordRef, SSSE_NAME};
use crate::session::{Session, SessionError};
use crate::tlv::SimpleTlv;
use thiserror::Error;

/// EF05's short file identifier.
const EF05_SFI: u8 = 5;
/// The spec version's tag in EF05.
const SPEC_VERSION_TAG: u8 = 0x03;

/// Why the generation could not be told.
#[derive(Debug, Error)]
pub enum DetectError {
    /// A command failed (no SSSE, EF05 refused, link failure).
    #[error(
        "telling the card's generation (SELECT SSSE, READ RECORD EF05 tag 03; \
         give --profile to say which profile the card was made with)"
    )]
    Session(#[from] SessionError),
    /// EF05 tag 03 holds something that is not a spec version this toolkit ships a profile
    /// for.
    #[error(
        "the card's spec version (EF05 tag 03) is '{found}': no shipped profile for it \
         (1.x, 2.x and 3.x are known); give --profile"
    )]
    Unknown {
        /// What the card holds (printable characters, or hex).
        found: String,
    },
}

/// What the card says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// EF05 tag 03 as text (`3.00`).
    pub spec_version: String,
    /// The shipped profile for it (`ssc-3.00`).
    pub profile: &'static str,
}

/// The shipped profile's name for a spec version (`2.01` gives `ssc-2.00`), by its first digit.
pub fn profile_for(spec_version: &str) -> Option<&'static str> {
    let mut chars = spec_version.chars();
    match (chars.next(), chars.next()) {
        (Some('1'), None | Some('.')) => Some("ssc-1.00"),
        (Some('2'), None | Some('.')) => Some("ssc-2.00"),
        (Some('3'), None | Some('.')) => Some("ssc-3.00"),
        _ => None,
    }
}

/// The generation a spec version names (`3.00` gives 3), by its first digit.
pub fn generation_of(spec_version: &str) -> Option<u8> {
    profile_for(spec_version).and_then(|p| p.get(4..5)?.parse().ok())
}

/// Reads EF05 tag 03 (SELECT SSSE by name, READ RECORD by tag; 2 APDUs) and tells which
/// shipped profile fits. The session's current DF is the SSSE afterwards.
pub fn detect(s: &mut Session<'_>) -> Result<Detected, DetectError> {
    let version = spec_version(s)?;
    match profile_for(&version) {
        Some(profile) => Ok(Detected {
            spec_version: version,
            profile,
        }),
        None => Err(DetectError::Unknown { found: version }),
    }
}

/// EF05 tag 03 as text (trailing `00`/space padding removed; hex when not printable).
pub fn spec_version(s: &mut Session<'_>) -> Result<String, SessionError> {
    let value = ef05_value(s, SPEC_VERSION_TAG, 4, "03 (规范版本, the spec version)")?;
    let text: String = value
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    let text = text.trim_end().to_string();
    if text.chars().all(|c| c.is_ascii_graphic()) && !text.is_empty() {
        Ok(text)
    } else {
        Ok(crate::apdu::compact(&value))
    }
}

/// The card identification code, EF05 tag 01 (16 bytes), as stations read it before they
/// compute a key diversified by it.
pub fn card_id(s: &mut Session<'_>) -> Result<Vec<u8>, SessionError> {
    ef05_value(s, 0x01, 16, "01 (卡识别码, the card identification code)")
}

/// SELECT SSSE, READ RECORD of `tag` in EF05 (`len` bytes at most): the value.
fn ef05_value(
    s: &mut Session<'_>,
    tag: u8,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, SessionError> {
    s.reselect_df(SSSE_NAME, "SSSE")?;
    let doing = format!("reading EF05 tag {what}");
    let record = s.with_card(&doing, |c| {
        c.read_record(Ef::Sfi(EF05_SFI), RecordRef::Tag(tag), len + 2)
    })?;
    SimpleTlv::parse_record(&record)
        .ok()
        .filter(|t| t.tag == tag)
        .map(|t| t.value)
        .ok_or_else(|| SessionError::BadAnswer {
            card: s.card_name(),
            doing,
            reason: format!(
                "not a tag {tag:02X} SIMPLE-TLV record: {}",
                crate::apdu::compact(&record)
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_digit_picks_the_profile() {
        assert_eq!(profile_for("1.00"), Some("ssc-1.00"));
        assert_eq!(profile_for("2.01"), Some("ssc-2.00"));
        assert_eq!(profile_for("3.00"), Some("ssc-3.00"));
        assert_eq!(profile_for("4.00"), None);
        assert_eq!(profile_for("30.0"), None);
        assert_eq!(profile_for(""), None);
        assert_eq!(generation_of("2.00"), Some(2));
        assert_eq!(generation_of("x"), None);
    }
}
