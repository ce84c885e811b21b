//! Pure command builders: the one place where each command's bytes are decided. The
//! [`Card`](super::Card) methods send them (after checking their arguments), and the plans of
//! `sscard init` and personalization print, count and MAC them.
//!
//! They take arguments already checked (an SFI 0..=30, data of 1..=255 bytes) and never fail;
//! the CLA is `00` (WRITE KEY: `80`). Section numbers refer to ISO/IEC 7816-4:2005; the file
//! management commands are those of ISO/IEC 7816-9.

use super::{RecordRef, SelectBy, SelectReturn};
use crate::apdu::Command;
use crate::tlv::Fcp;

/// SELECT (ISO/IEC 7816-4 §7.1.1): `00 A4 P1 P2 [Lc data] [Le 00]`, P1 and data from `by`,
/// P2 from `ret` (`00` FCI, `04` FCP, `0C` nothing; `+02` for the next occurrence). Le `00`
/// unless nothing is returned.
pub fn select(by: SelectBy<'_>, ret: SelectReturn) -> Command {
    let (p1, data) = by.p1_data();
    let mut p2 = match ret {
        SelectReturn::Fci => 0x00,
        SelectReturn::Fcp => 0x04,
        SelectReturn::Nothing => 0x0C,
    };
    if matches!(by, SelectBy::NextName(_)) {
        p2 |= 0x02;
    }
    let cmd = Command::new(0x00, 0xA4, p1, p2).with_data(data);
    if ret == SelectReturn::Nothing {
        cmd
    } else {
        cmd.with_le(256)
    }
}

/// GET RESPONSE (ISO/IEC 7816-4 §7.6.1): `00 C0 00 00 Le`, the `le` bytes a `61xx` announced.
pub fn get_response(le: usize) -> Command {
    Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le)
}

/// READ BINARY (ISO/IEC 7816-4 §7.2.3): `00 B0 P1 P2 Le`; `sfi` 0: the current EF at
/// `offset` (0..=32767, P1-P2), else `P1 = 80 | SFI`, `P2 = offset` (0..=255).
pub fn read_binary(sfi: u8, offset: u16, le: usize) -> Command {
    let (p1, p2) = binary_p1p2(sfi, offset);
    Command::new(0x00, 0xB0, p1, p2).with_le(le)
}

/// UPDATE BINARY (ISO/IEC 7816-4 §7.2.5): `00 D6 P1 P2 Lc data`, P1-P2 as for
/// [`read_binary`].
pub fn update_binary(sfi: u8, offset: u16, data: &[u8]) -> Command {
    let (p1, p2) = binary_p1p2(sfi, offset);
    Command::new(0x00, 0xD6, p1, p2).with_data(data)
}

fn binary_p1p2(sfi: u8, offset: u16) -> (u8, u8) {
    let [hi, lo] = offset.to_be_bytes();
    if sfi == 0 {
        (hi & 0x7F, lo)
    } else {
        (0x80 | sfi, lo)
    }
}

/// READ RECORD (ISO/IEC 7816-4 §7.3.3): `00 B2 P1 <SFI<<3 | mode> Le`, `sfi` 0 for the
/// current EF.
pub fn read_record(sfi: u8, rec: RecordRef, le: usize) -> Command {
    let (p1, mode) = rec.p1_mode_raw();
    Command::new(0x00, 0xB2, p1, (sfi << 3) | mode).with_le(le)
}

/// UPDATE RECORD (ISO/IEC 7816-4 §7.3.5): `00 DC P1 <SFI<<3 | mode> Lc record`, `sfi` 0 for
/// the current EF.
pub fn update_record(sfi: u8, rec: RecordRef, record: &[u8]) -> Command {
    let (p1, mode) = rec.p1_mode_raw();
    Command::new(0x00, 0xDC, p1, (sfi << 3) | mode).with_data(record)
}

/// APPEND RECORD (ISO/IEC 7816-4 §7.3.6): `00 E2 00 <SFI<<3> Lc record`, `sfi` 0 for the
/// current EF.
pub fn append_record(sfi: u8, record: &[u8]) -> Command {
    Command::new(0x00, 0xE2, 0x00, sfi << 3).with_data(record)
}

/// CREATE FILE (ISO/IEC 7816-9 §8.4) in the current DF: `00 E0 00 00 Lc 62 ...`, the FCP of
/// docs/cos.md.
pub fn create_file(fcp: &Fcp) -> Command {
    Command::new(0x00, 0xE0, 0x00, 0x00).with_data(fcp.to_bytes())
}

/// DELETE FILE (ISO/IEC 7816-9 §8.5): `00 E4 00 00 [02 FID]`, the file `fid` or the current
/// one.
pub fn delete_file(fid: Option<u16>) -> Command {
    file_op(0xE4, fid)
}

/// ACTIVATE FILE (ISO/IEC 7816-9 §8.7): `00 44 00 00 [02 FID]`, the file `fid` or the
/// current one.
pub fn activate_file(fid: Option<u16>) -> Command {
    file_op(0x44, fid)
}

/// DEACTIVATE FILE (ISO/IEC 7816-9 §8.6): `00 04 00 00 [02 FID]`, the file `fid` or the
/// current one.
pub fn deactivate_file(fid: Option<u16>) -> Command {
    file_op(0x04, fid)
}

/// PUT DATA of the current DF's security attributes (docs/cos.md, only while the creation
/// state holds): `00 DA 00 62 Lc 62 08 86 06 <6 bytes>`.
pub fn put_security(attrs: &crate::cos::SecurityAttributes) -> Command {
    let mut data = vec![0x62, 0x08, 0x86, 0x06];
    data.extend_from_slice(&attrs.to_bytes());
    Command::new(0x00, 0xDA, 0x00, 0x62).with_data(data)
}

fn file_op(ins: u8, fid: Option<u16>) -> Command {
    let cmd = Command::new(0x00, ins, 0x00, 0x00);
    match fid {
        Some(f) => cmd.with_data(f.to_be_bytes().to_vec()),
        None => cmd,
    }
}

/// GET CHALLENGE (ISO/IEC 7816-4 §7.5.3): `00 84 00 00 Le`, `len` random bytes.
pub fn get_challenge(len: usize) -> Command {
    Command::new(0x00, 0x84, 0x00, 0x00).with_le(len)
}

/// EXTERNAL AUTHENTICATE (ISO/IEC 7816-4 §7.5.4): `00 82 00 <key id> Lc cryptogram`.
pub fn external_authenticate(key_id: u8, cryptogram: &[u8]) -> Command {
    Command::new(0x00, 0x82, 0x00, key_id).with_data(cryptogram)
}

/// INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §7.5.2): `00 88 00 <key id> Lc challenge 00`.
pub fn internal_authenticate(key_id: u8, challenge: &[u8]) -> Command {
    Command::new(0x00, 0x88, 0x00, key_id)
        .with_data(challenge)
        .with_le(256)
}

/// VERIFY (ISO/IEC 7816-4 §7.5.6): `00 20 00 <PIN ref> [Lc PIN]`; without a PIN it asks
/// for the tries left. The PIN is secret: the caller keeps it in a `Secret`.
pub fn verify(pin_ref: u8, pin: Option<&[u8]>) -> Command {
    let cmd = Command::new(0x00, 0x20, 0x00, pin_ref);
    match pin {
        Some(p) => cmd.with_data(p),
        None => cmd,
    }
}

/// CHANGE REFERENCE DATA (ISO/IEC 7816-4 §7.5.7): `00 24 00 <PIN ref> Lc old new`. `data`
/// (old then new PIN) is secret.
pub fn change_reference_data(pin_ref: u8, data: &[u8]) -> Command {
    Command::new(0x00, 0x24, 0x00, pin_ref).with_data(data)
}

/// RESET RETRY COUNTER (ISO/IEC 7816-4 §7.5.10): `00 2C P1 <PIN ref> [Lc data]`, `p1` 00
/// code and new PIN, 01 code only, 02 new PIN only, 03 neither. `data` is secret: the
/// caller keeps it in a `Secret` and the trace masks it.
pub fn reset_retry_counter(p1: u8, pin_ref: u8, data: &[u8]) -> Command {
    Command::new(0x00, 0x2C, p1, pin_ref).with_data(data)
}

/// WRITE KEY (docs/cos.md): `80 D4 00 <key id> Lc usage algorithm max-tries value`. `value`
/// is secret: printed plans mask data from byte 3 on.
pub fn write_key(key_id: u8, usage: u8, algorithm: u8, max_tries: u8, value: &[u8]) -> Command {
    let mut data = Vec::with_capacity(3 + value.len());
    data.extend_from_slice(&[usage, algorithm, max_tries]);
    data.extend_from_slice(value);
    Command::new(0x80, 0xD4, 0x00, key_id).with_data(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(c: &Command) -> String {
        crate::apdu::spaced(&c.to_bytes().unwrap_or_default())
    }

    #[test]
    fn builders_encode_the_documented_bytes() {
        assert_eq!(
            hex(&select(SelectBy::Fid(0xEF05), SelectReturn::Nothing)),
            "00 A4 00 0C 02 EF 05"
        );
        assert_eq!(
            hex(&select(SelectBy::Name(&[0xA0, 0x01]), SelectReturn::Fcp)),
            "00 A4 04 04 02 A0 01 00"
        );
        assert_eq!(
            hex(&read_record(6, RecordRef::Tag(8), 256)),
            "00 B2 08 30 00"
        );
        assert_eq!(
            hex(&update_record(6, RecordRef::Number(2), &[0x08, 0x01, 0x41])),
            "00 DC 02 34 03 08 01 41"
        );
        assert_eq!(
            hex(&append_record(5, &[0x01, 0x00])),
            "00 E2 00 28 02 01 00"
        );
        assert_eq!(hex(&activate_file(None)), "00 44 00 00");
        assert_eq!(hex(&deactivate_file(Some(0xDDF1))), "00 04 00 00 02 DD F1");
        assert_eq!(hex(&delete_file(Some(0xEF05))), "00 E4 00 00 02 EF 05");
        assert_eq!(hex(&get_challenge(8)), "00 84 00 00 08");
        assert_eq!(hex(&read_binary(0, 0x0102, 4)), "00 B0 01 02 04");
        assert_eq!(hex(&read_binary(5, 3, 4)), "00 B0 85 03 04");
        assert_eq!(hex(&update_binary(2, 0, &[0x55])), "00 D6 82 00 01 55");
        assert_eq!(hex(&verify(0, None)), "00 20 00 00");
        assert_eq!(hex(&get_response(0x10)), "00 C0 00 00 10");
        assert_eq!(hex(&verify(0, Some(&[0x12, 0x34]))), "00 20 00 00 02 12 34");
        assert_eq!(
            hex(&change_reference_data(0, &[0x12, 0x34])),
            "00 24 00 00 02 12 34"
        );
        assert_eq!(
            hex(&external_authenticate(1, &[0xAA; 2])),
            "00 82 00 01 02 AA AA"
        );
        assert_eq!(
            hex(&internal_authenticate(2, &[0x11])),
            "00 88 00 02 01 11 00"
        );
        assert_eq!(hex(&reset_retry_counter(3, 0, &[])), "00 2C 03 00");
        assert_eq!(
            hex(&write_key(0x0B, 0x10, 0x00, 3, &[0x12, 0x34])),
            "80 D4 00 0B 05 10 00 03 12 34"
        );
    }
}
