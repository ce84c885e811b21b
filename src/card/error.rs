//! [`CardError`]: what went wrong with a card command, in words for a station operator, with
//! the command, the file and the status word kept.

use super::advice::advice;
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
        sep = if advice(*ins, *sw).is_some() { ": " } else { "" },
        advice = advice(*ins, *sw).unwrap_or(""))]
    Status {
        /// The command, e.g. `UPDATE RECORD`.
        command: &'static str,
        /// The command's instruction byte (INS), which [`advice`] is keyed by.
        ins: u8,
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
            CardError::Status {
                command, ins, sw, ..
            } => CardError::Status {
                command,
                ins,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_message() {
        let e = CardError::Status {
            command: "UPDATE RECORD",
            ins: 0xDC,
            target: "EF06 tag 08".into(),
            sw: Sw(0x6982),
        };
        assert_eq!(
            e.to_string(),
            "UPDATE RECORD of EF06 tag 08 refused: 6982 (security status not satisfied): external authentication with the write key is missing (or the PIN is not verified)"
        );
        let e = CardError::Status {
            command: "GET CHALLENGE",
            ins: 0x84,
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
}
