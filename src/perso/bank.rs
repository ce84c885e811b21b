//! The bank application beside the social security one: stations read its PAN (tag `5A`) to
//! bind the card to the holder's account. SELECT `A000000333010101` by name, then READ RECORD
//! of its record files until a record holds tag 5A. No key is needed; a card without the bank
//! application is normal (a note, not an error).

use crate::apdu::Sw;
use crate::card::{Ef, RecordRef, SelectBy, SelectReturn};
use crate::session::{Session, SessionError};

pub use crate::profile::BANK_AID;

/// Short file identifiers searched for the PAN, and records per file.
const SFIS: std::ops::RangeInclusive<u8> = 1..=3;
const RECORDS: std::ops::RangeInclusive<u8> = 1..=4;

/// What the bank application gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankApp {
    /// The application is there and holds this PAN (digits).
    Pan(String),
    /// The application is there but no record of files 1-3 holds tag 5A.
    NoPan,
    /// The card has no bank application (SELECT answered 6A82).
    Absent,
}

impl BankApp {
    /// For the operator: the PAN, or why there is none.
    pub fn describe(&self) -> String {
        match self {
            BankApp::Pan(p) => p.clone(),
            BankApp::NoPan => {
                "bank application present, no PAN (tag 5A) in records 1-4 of files 1-3".into()
            }
            BankApp::Absent => "no bank application on this card".into(),
        }
    }
}

/// Reads the bank application's PAN. The session's current DF is unknown afterwards.
pub fn read_pan(s: &mut Session<'_>) -> Result<BankApp, SessionError> {
    let doing = "selecting the bank application A000000333010101";
    let sel = s.with_card(doing, |c| {
        match c.select(SelectBy::Name(&BANK_AID), SelectReturn::Fci) {
            Err(e) if e.sw() == Some(Sw::FILE_NOT_FOUND) => Ok(None),
            other => other.map(Some),
        }
    });
    s.forget();
    if sel?.is_none() {
        return Ok(BankApp::Absent);
    }
    for sfi in SFIS {
        for n in RECORDS {
            let doing = format!("reading record {n} of SFI {sfi} of the bank application");
            let r = s.with_card(&doing, |c| {
                match c.read_record(Ef::Sfi(sfi), RecordRef::Number(n), 256) {
                    Err(e) if e.sw().is_some_and(|sw| sw.sw1() == 0x6A) => Ok(None),
                    other => other.map(Some),
                }
            })?;
            let Some(record) = r else { break };
            if let Some(pan) = pan_in(&record) {
                return Ok(BankApp::Pan(pan));
            }
        }
    }
    Ok(BankApp::NoPan)
}

/// The PAN in a record (`70` template holding `5A`), as digits (BCD, `F` padding dropped).
pub fn pan_in(record: &[u8]) -> Option<String> {
    use iso7816_tlv::ber::{Tag, Tlv, Value};
    let tlv = Tlv::from_bytes(record).ok()?;
    let tag = Tag::try_from(0x5Au64).ok()?;
    let found = if *tlv.tag() == tag {
        &tlv
    } else {
        tlv.find(&tag)?
    };
    let Value::Primitive(bytes) = found.value() else {
        return None;
    };
    let digits: String = bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0F])
        .take_while(|d| *d != 0x0F)
        .map(|d| char::from_digit(u32::from(d), 10))
        .collect::<Option<String>>()?;
    (!digits.is_empty()).then_some(digits)
}

/// True when the last digit of `pan` is its Luhn check digit (ISO/IEC 7812-1).
pub fn luhn_ok(pan: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in pan.chars().rev().enumerate() {
        let Some(d) = c.to_digit(10) else {
            return false;
        };
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
    }
    pan.len() >= 2 && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pan_is_found_in_a_record_template() {
        // 70 12 | 5A 0A 6200000000000000000F (19 digits, padded with F) | 5F24 03 351231
        let rec = crate::apdu::parse_hex("70125A0A6200000000000000000F5F2403351231").unwrap();
        assert_eq!(pan_in(&rec).as_deref(), Some("6200000000000000000"));
        let rec = crate::apdu::parse_hex("70135A0A6200000000000000000F5F2403351231").unwrap();
        assert_eq!(pan_in(&rec), None, "a malformed template gives nothing");
        assert_eq!(pan_in(&[0x70, 0x00]), None);
        assert_eq!(pan_in(&[]), None);
    }

    #[test]
    fn luhn() {
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
        assert!(!luhn_ok("7992739871x"));
        assert!(luhn_ok(crate::sim::bank::DEMO_PAN));
    }
}
