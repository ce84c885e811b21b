//! The command APDUs of a plan as data: for the printed plan (`--dry-run`, APDU and byte
//! counts) and for the secure-messaging commands whose MAC'd form `crypto` builds. Plain
//! commands are sent through [`crate::card`]; a test checks that the headers of the printed
//! plan are exactly those the run sends.

use crate::apdu::Command;

/// SELECT by DF name, FCP requested (ISO 7816-4 §11.1.1, P1=04, P2=04).
pub fn select_by_name(name: &[u8]) -> Command {
    Command::new(0x00, 0xA4, 0x04, 0x04)
        .with_data(name.to_vec())
        .with_le(256)
}

/// GET CHALLENGE of `len` bytes (ISO 7816-4 §11.5.3).
pub fn get_challenge(len: usize) -> Command {
    Command::new(0x00, 0x84, 0x00, 0x00).with_le(len)
}

/// READ RECORD, record identified by `tag` in file `sfi` (ISO 7816-4 §11.3.3, P2 = SFI<<3).
pub fn read_record_by_tag(sfi: u8, tag: u8, le: usize) -> Command {
    Command::new(0x00, 0xB2, tag, sfi << 3).with_le(le)
}

/// UPDATE RECORD, record identified by `tag` in file `sfi` (ISO 7816-4 §11.3.5).
pub fn update_record_by_tag(sfi: u8, tag: u8, record: &[u8]) -> Command {
    Command::new(0x00, 0xDC, tag, sfi << 3).with_data(record.to_vec())
}

/// ACTIVATE FILE (ISO 7816-9): the file `fid` (the application DF), or the current file.
pub fn activate_file(fid: Option<u16>) -> Command {
    file_op(0x44, fid)
}

/// DEACTIVATE FILE (ISO 7816-9): the file `fid` (the application DF), or the current file.
pub fn deactivate_file(fid: Option<u16>) -> Command {
    file_op(0x04, fid)
}

fn file_op(ins: u8, fid: Option<u16>) -> Command {
    let c = Command::new(0x00, ins, 0x00, 0x00);
    match fid {
        Some(f) => c.with_data(f.to_be_bytes().to_vec()),
        None => c,
    }
}

/// APPEND RECORD to file `sfi` (ISO 7816-4 §11.4.6), for a record the card does not have yet.
pub fn append_record(sfi: u8, record: &[u8]) -> Command {
    Command::new(0x00, 0xE2, 0x00, sfi << 3).with_data(record.to_vec())
}

/// RESET RETRY COUNTER of PIN `pin_ref` (ISO 7816-4 §11.5.10): `p1` 02 with the new PIN as
/// data, 03 with none. Sent under secure messaging; the data is the caller's secret.
pub fn reset_retry_counter(p1: u8, pin_ref: u8, data: &[u8]) -> Command {
    Command::new(0x00, 0x2C, p1, pin_ref).with_data(data.to_vec())
}
