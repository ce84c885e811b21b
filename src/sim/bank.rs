//! A minimal bank application for the demo card: the DF `A000000333010101` (PBOC debit) with
//! one record file (SFI 1) whose record 1 holds the PAN (tag 5A) and its expiry (tag 5F24),
//! readable without a key. Only what a station reads to bind the card to an account; not a
//! payment application.

use super::VirtualCard;
use super::fs::{Fid, FileStructure, Hex, Node};

/// The demo card's PAN: synthetic, obviously test data, with a correct Luhn digit.
pub const DEMO_PAN: &str = "6200000000000000000";

pub use crate::profile::BANK_AID;

/// The record `70 { 5A PAN, 5F24 YYMMDD }` for `pan` (digits; BCD, padded with `F`).
pub fn pan_record(pan: &str, expiry_yymmdd: [u8; 3]) -> Result<Vec<u8>, String> {
    if pan.is_empty() || pan.len() > 19 || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("a PAN is 1 to 19 digits, got '{pan}'"));
    }
    let mut nibbles: Vec<u8> = pan.bytes().map(|b| b - b'0').collect();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0x0F);
    }
    let bcd: Vec<u8> = nibbles
        .chunks(2)
        .map(|p| match p {
            [hi, lo] => (hi << 4) | lo,
            _ => 0xFF,
        })
        .collect();
    let mut inner = vec![0x5A, u8::try_from(bcd.len()).unwrap_or(10)];
    inner.extend_from_slice(&bcd);
    inner.extend_from_slice(&[0x5F, 0x24, 0x03]);
    inner.extend_from_slice(&expiry_yymmdd);
    let mut rec = vec![0x70, u8::try_from(inner.len()).unwrap_or(0x12)];
    rec.extend_from_slice(&inner);
    Ok(rec)
}

/// Adds the bank application holding `pan` under the MF (the manufacturer's step; replaces
/// one already there).
pub fn install(card: &mut VirtualCard, pan: &str) -> Result<(), String> {
    let record = pan_record(pan, [0x35, 0x12, 0x31])?;
    let mut ef = Node::ef(FileStructure::LinearVariable, Fid(0x0001), 64, 4);
    ef.sfi = Some(1);
    ef.records = vec![Hex(record)];
    let mut df = Node::df(None, Some(BANK_AID.to_vec()));
    df.children.push(ef);
    let mf = card
        .node_mut(&[])
        .ok_or_else(|| "the card has no MF".to_string())?;
    mf.children
        .retain(|c| c.name.as_ref().map(|n| n.0.as_slice()) != Some(&BANK_AID[..]));
    mf.children.push(df);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_holds_the_pan_in_bcd() {
        let r = pan_record(DEMO_PAN, [0x35, 0x12, 0x31]).unwrap();
        assert_eq!(
            crate::apdu::compact(&r),
            "70125A0A6200000000000000000F5F2403351231"
        );
        assert!(pan_record("12a4", [0; 3]).is_err());
        assert!(pan_record("", [0; 3]).is_err());
    }
}
