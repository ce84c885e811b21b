//! [`CardError`]: what went wrong with a card command, in words for a station operator, with
//! the command, the file and the status word kept.

use crate::apdu::Sw;
use crate::transport::TransportError;
use thiserror::Error;

/// A card command that failed.
#[derive(Debug, Error)]
pub enum CardError {
    /// The link to the card failed (no card, card removed, reader error, ...).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card refused the command with a status word.
    #[error("{command}{of}{target} refused: {sw}{sep}{advice}",
        of = if target.is_empty() { "" } else { " of " },
        sep = if advice(command, *sw).is_some() { ": " } else { "" },
        advice = advice(command, *sw).unwrap_or(""))]
    Status {
        /// The command, e.g. `UPDATE RECORD`.
        command: &'static str,
        /// What it acted on, in words, e.g. `EF06 tag 08`.
        target: String,
        /// The status word the card answered.
        sw: Sw,
    },
    /// The card answered success but with data that cannot be right.
    #[error("{command}{of}{target}: {problem}", of = if target.is_empty() { "" } else { " of " })]
    BadResponse {
        /// The command.
        command: &'static str,
        /// What it acted on.
        target: String,
        /// What is wrong with the answer.
        problem: String,
    },
    /// The command cannot be built from these arguments (nothing was sent).
    #[error("{command}: {problem}")]
    BadArgument {
        /// The command.
        command: &'static str,
        /// What is wrong.
        problem: String,
    },
}

impl CardError {
    /// The status word, when the card refused the command.
    pub fn sw(&self) -> Option<Sw> {
        match self {
            CardError::Status { sw, .. } => Some(*sw),
            _ => None,
        }
    }

    /// Replaces the target (e.g. `SFI 6 tag 08` by `EF06 tag 08 (name)`), for callers that
    /// know the file better than the command layer.
    pub fn with_target(self, new: impl Into<String>) -> CardError {
        match self {
            CardError::Status { command, sw, .. } => CardError::Status {
                command,
                target: new.into(),
                sw,
            },
            CardError::BadResponse {
                command, problem, ..
            } => CardError::BadResponse {
                command,
                target: new.into(),
                problem,
            },
            other => other,
        }
    }
}

/// What an operator should do about `sw` answered to `command` (`None`: nothing specific to
/// add to the status word's meaning).
pub fn advice(command: &str, sw: Sw) -> Option<&'static str> {
    let is = |c: &str| command == c;
    let writes = matches!(
        command,
        "UPDATE RECORD" | "APPEND RECORD" | "UPDATE BINARY" | "WRITE KEY" | "CREATE FILE"
    );
    if sw.tries_left().is_some() {
        return Some(match command {
            "VERIFY" => "wrong PIN; when no tries are left the PIN is blocked",
            "EXTERNAL AUTHENTICATE" => {
                "wrong cryptogram: check the key (and its diversification for this card); when no tries are left the key is blocked"
            }
            "CHANGE REFERENCE DATA" => "the old PIN is wrong",
            "RESET RETRY COUNTER" => "the unblocking key or code is wrong",
            _ => "verification failed",
        });
    }
    Some(match sw.0 {
        0x6982 if writes => {
            "external authentication with the write key is missing (or the PIN is not verified)"
        }
        0x6982 if command.starts_with("READ") => {
            "the file needs the PIN or external authentication with the read key first (3rd-generation cards protect EF05/EF06)"
        }
        0x6982 => "the file's access condition is not met: verify the PIN or authenticate first",
        0x6983 if is("VERIFY") || is("CHANGE REFERENCE DATA") => {
            "the PIN is blocked: unblock it (`sscard pin unblock`)"
        }
        0x6983 => "the key or PIN is blocked; the card cannot be used with it any more",
        0x6984 => "the key or PIN is not usable (not loaded or invalidated)",
        0x6985 if is("EXTERNAL AUTHENTICATE") => {
            "send GET CHALLENGE right before EXTERNAL AUTHENTICATE"
        }
        0x6985 => {
            "the application may be deactivated (`sscard enable`) or the file is in the wrong life cycle state"
        }
        0x6986 => "no current file: select the EF (or use its SFI) first",
        0x6981 => {
            "the command does not fit the file (record command on a transparent EF or the reverse)"
        }
        0x6A82 if is("SELECT") => {
            "the file or application is not on this card: wrong profile, or the card is not initialised (`sscard init`)"
        }
        0x6A82 => "no file with this SFI in the current DF: check the profile's file list",
        0x6A83 => "the record is not there: the file has fewer records than the profile expects",
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
    use super::*;

    #[test]
    fn operator_message() {
        let e = CardError::Status {
            command: "UPDATE RECORD",
            target: "EF06 tag 08".into(),
            sw: Sw(0x6982),
        };
        assert_eq!(
            e.to_string(),
            "UPDATE RECORD of EF06 tag 08 refused: 6982 (security status not satisfied): external authentication with the write key is missing (or the PIN is not verified)"
        );
        let e = CardError::Status {
            command: "GET CHALLENGE",
            target: String::new(),
            sw: Sw(0x6A81),
        };
        assert_eq!(
            e.to_string(),
            "GET CHALLENGE refused: 6A81 (function not supported)"
        );
        assert_eq!(e.sw(), Some(Sw(0x6A81)));
        let e = e.with_target("the card");
        assert!(
            e.to_string()
                .starts_with("GET CHALLENGE of the card refused")
        );
    }

    #[test]
    fn advice_depends_on_the_command() {
        assert!(advice("VERIFY", Sw(0x63C2)).unwrap().contains("wrong PIN"));
        assert!(advice("VERIFY", Sw(0x6983)).unwrap().contains("unblock"));
        assert!(
            advice("SELECT", Sw(0x6A82))
                .unwrap()
                .contains("sscard init")
        );
        assert!(
            advice("READ RECORD", Sw(0x6982))
                .unwrap()
                .contains("read key")
        );
        assert!(advice("READ RECORD", Sw(0x6A82)).unwrap().contains("SFI"));
        assert_eq!(advice("SELECT", Sw(0x9000)), None);
    }
}
