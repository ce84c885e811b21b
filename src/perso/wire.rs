//! The command APDUs of a plan as data: for the printed plan (`--dry-run`, APDU and byte
//! counts) and for the secure-messaging commands whose MAC'd form `crypto` builds. Plain
//! commands are sent through [`crate::card`]; a test checks that the headers of the printed
//! plan are exactly those the run sends.

use crate::apdu::Command;
use crate::card::{RecordRef, SelectBy, SelectReturn, build};

/// SELECT by DF name, FCP requested (P1=04, P2=04): [`build::select`].
pub fn select_by_name(name: &[u8]) -> Command {
    build::select(SelectBy::Name(name), SelectReturn::Fcp)
}

/// SELECT of the MF, FCP requested (P1=00, P2=04): [`build::select`].
pub fn select_mf_fcp() -> Command {
    build::select(SelectBy::Mf, SelectReturn::Fcp)
}

/// GET CHALLENGE of `len` bytes: [`build::get_challenge`].
pub fn get_challenge(len: usize) -> Command {
    build::get_challenge(len)
}

/// READ RECORD, record identified by `tag` in file `sfi` (P2 = SFI<<3):
/// [`build::read_record`].
pub fn read_record_by_tag(sfi: u8, tag: u8, le: usize) -> Command {
    build::read_record(sfi, RecordRef::Tag(tag), le)
}

/// UPDATE RECORD, record identified by `tag` in file `sfi`: [`build::update_record`].
pub fn update_record_by_tag(sfi: u8, tag: u8, record: &[u8]) -> Command {
    build::update_record(sfi, RecordRef::Tag(tag), record)
}

/// ACTIVATE FILE: the file `fid` (the application DF), or the current file:
/// [`build::activate_file`].
pub fn activate_file(fid: Option<u16>) -> Command {
    build::activate_file(fid)
}

/// DEACTIVATE FILE: the file `fid` (the application DF), or the current file:
/// [`build::deactivate_file`].
pub fn deactivate_file(fid: Option<u16>) -> Command {
    build::deactivate_file(fid)
}

/// APPEND RECORD to file `sfi`, for a record the card does not have yet:
/// [`build::append_record`].
pub fn append_record(sfi: u8, record: &[u8]) -> Command {
    build::append_record(sfi, record)
}

/// RESET RETRY COUNTER of PIN `pin_ref`: `p1` 02 with the new PIN as data, 03 with none.
/// Sent under secure messaging; the data is the caller's secret: [`build::reset_retry_counter`].
pub fn reset_retry_counter(p1: u8, pin_ref: u8, data: &[u8]) -> Command {
    build::reset_retry_counter(p1, pin_ref, data)
}
