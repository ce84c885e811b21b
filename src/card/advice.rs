//! [`advice`]: what a station operator should do next about a status word, by command. The one
//! place this is said: card errors, session errors and the script runner all ask it.

use crate::apdu::Sw;

/// Instruction bytes (INS) of the commands the advice knows (ISO/IEC 7816-4 §5.4, and the
/// social security card's WRITE KEY).
pub mod ins {
    /// SELECT.
    pub const SELECT: u8 = 0xA4;
    /// READ BINARY.
    pub const READ_BINARY: u8 = 0xB0;
    /// READ RECORD.
    pub const READ_RECORD: u8 = 0xB2;
    /// UPDATE BINARY.
    pub const UPDATE_BINARY: u8 = 0xD6;
    /// UPDATE RECORD.
    pub const UPDATE_RECORD: u8 = 0xDC;
    /// APPEND RECORD.
    pub const APPEND_RECORD: u8 = 0xE2;
    /// CREATE FILE.
    pub const CREATE_FILE: u8 = 0xE0;
    /// DELETE FILE.
    pub const DELETE_FILE: u8 = 0xE4;
    /// ACTIVATE FILE.
    pub const ACTIVATE_FILE: u8 = 0x44;
    /// DEACTIVATE FILE.
    pub const DEACTIVATE_FILE: u8 = 0x04;
    /// GET CHALLENGE.
    pub const GET_CHALLENGE: u8 = 0x84;
    /// GET RESPONSE.
    pub const GET_RESPONSE: u8 = 0xC0;
    /// EXTERNAL AUTHENTICATE.
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
    /// INTERNAL AUTHENTICATE.
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
    /// VERIFY.
    pub const VERIFY: u8 = 0x20;
    /// CHANGE REFERENCE DATA.
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// RESET RETRY COUNTER.
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// WRITE KEY (proprietary, CLA 80).
    pub const WRITE_KEY: u8 = 0xD4;
}

/// What an operator should do about `sw` answered to the command with instruction byte `ins`
/// (`None`: nothing specific to add to the status word's meaning).
pub fn advice(ins: u8, sw: Sw) -> Option<&'static str> {
    use ins::*;
    let writes = matches!(
        ins,
        UPDATE_RECORD | APPEND_RECORD | UPDATE_BINARY | WRITE_KEY | CREATE_FILE
    );
    let reads = matches!(ins, READ_RECORD | READ_BINARY);
    if sw.tries_left().is_some() {
        return Some(match ins {
            VERIFY => "wrong PIN; when no tries are left the PIN is blocked",
            EXTERNAL_AUTHENTICATE => {
                "wrong cryptogram: check the key (and its diversification for this card); when no tries are left the key is blocked"
            }
            CHANGE_REFERENCE_DATA => "the old PIN is wrong",
            RESET_RETRY_COUNTER => "the unblocking key or code is wrong",
            _ => "verification failed",
        });
    }
    Some(match sw.0 {
        0x6982 if writes => {
            "external authentication with the write key is missing (or the PIN is not verified)"
        }
        0x6982 if reads => {
            "the file needs the PIN or external authentication with the read key first (3rd-generation cards protect EF05/EF06)"
        }
        0x6982 => "the file's access condition is not met: verify the PIN or authenticate first",
        0x6983 if matches!(ins, VERIFY | CHANGE_REFERENCE_DATA) => {
            "the PIN is blocked: unblock it (`sscard pin unblock`)"
        }
        0x6983 => "the key or PIN is blocked; the card cannot be used with it any more",
        0x6984 => "the key or PIN is not usable (not loaded or invalidated)",
        0x6985 if ins == EXTERNAL_AUTHENTICATE => {
            "send GET CHALLENGE right before EXTERNAL AUTHENTICATE"
        }
        0x6985 => {
            "the application may be deactivated (`sscard enable`) or the file is in the wrong life cycle state"
        }
        0x6986 => "no current file: select the EF (or use its SFI) first",
        0x6981 => {
            "the command does not fit the file (record command on a transparent EF or the reverse)"
        }
        0x6A82 if ins == SELECT => {
            "the file or application is not on this card: wrong profile, or the card is not initialised (`sscard init`)"
        }
        0x6A82 => "no file with this SFI in the current DF: check the profile's file list",
        0x6A83 => {
            "the record is not there: the file has fewer records than the profile expects (wrong profile, or the card is not initialised)"
        }
        0x6A84 => "not enough memory in the file or on the card",
        0x6A88 => "the key or PIN referenced is not loaded on the card",
        0x6A89 | 0x6A8A => "it already exists: the card is already initialised (use a blank card)",
        0x6A80 => "the data is wrong for this file: check the value's length and encoding",
        0x6700 => {
            "wrong length: the value does not fit the record, or the card expects another length"
        }
        0x6A86 | 0x6B00 => {
            "wrong P1/P2: an offset past the end of the file, or an addressing mode the card does not support"
        }
        0x6581 => {
            "memory failure: the chip's memory may be worn out; replace the card if it repeats"
        }
        0x6D00 => {
            "this card's operating system does not know the instruction: check the profile's command set"
        }
        0x6E00 => "class byte not supported: check CLA (secure messaging needs CLA 04)",
        0x6988 => "wrong MAC: check the maintenance key",
        0x6283 => "the file is deactivated (card disabled): `sscard enable` re-activates it",
        0x6F00 => "internal card error: retry; if it repeats the chip may be faulty",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::ins::*;
    use super::*;

    #[test]
    fn advice_depends_on_the_command() {
        assert!(advice(VERIFY, Sw(0x63C2)).unwrap().contains("wrong PIN"));
        assert!(advice(VERIFY, Sw(0x6983)).unwrap().contains("unblock"));
        assert!(advice(SELECT, Sw(0x6A82)).unwrap().contains("sscard init"));
        assert!(
            advice(READ_RECORD, Sw(0x6982))
                .unwrap()
                .contains("read key")
        );
        assert!(
            advice(UPDATE_RECORD, Sw(0x6982))
                .unwrap()
                .contains("write key")
        );
        assert!(advice(READ_RECORD, Sw(0x6A82)).unwrap().contains("SFI"));
        assert!(
            advice(READ_RECORD, Sw(0x6985))
                .unwrap()
                .contains("sscard enable")
        );
        assert_eq!(advice(SELECT, Sw(0x9000)), None);
    }
}
