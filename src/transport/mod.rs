//! The one trait every card link implements: a PC/SC reader, the in-process virtual card.
//!
//! Above this line nobody knows which one they talk to.

#[cfg(test)]
pub(crate) mod fake;
pub mod pcsc;
pub mod select;
pub mod tap;
mod tx;

pub use tap::{Observer, Refusal, Tap};
pub use tx::Tx;

use thiserror::Error;

/// How to reset a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetKind {
    /// Warm reset: RST toggled, power kept.
    Warm,
    /// Cold reset: power removed and applied again.
    Cold,
}

/// A failure of the link to the card (not a status word: the card did not answer properly).
#[derive(Debug, Error)]
pub enum TransportError {
    /// The PC/SC service is not running.
    #[error(
        "the PC/SC service (pcscd) is not running: start it with `pcscd` (as root) or `systemctl start pcscd`"
    )]
    NoService,
    /// No reader is attached.
    #[error("no smart card reader found: plug a reader in (and check `pcscd` sees it)")]
    NoReaders,
    /// The reader name matched nothing.
    #[error("no reader matches '{wanted}'; readers: {available}")]
    UnknownReader {
        /// What the user asked for.
        wanted: String,
        /// The readers there are, numbered.
        available: String,
    },
    /// The reader name matched several readers.
    #[error("'{wanted}' matches several readers: {matches}; give the index or the full name")]
    AmbiguousReader {
        /// What the user asked for.
        wanted: String,
        /// The readers that matched.
        matches: String,
    },
    /// No card in the reader.
    #[error("no card in reader '{reader}': insert a card")]
    NoCard {
        /// Reader name.
        reader: String,
    },
    /// No reader was chosen and none of the readers holds a card.
    #[error("no card in any reader ({readers}): insert a card, or choose a reader with --reader")]
    NoCardInAnyReader {
        /// The readers there are, numbered.
        readers: String,
    },
    /// The card was removed (or lost power) during a command.
    #[error(
        "the card in '{reader}' was removed or lost power during a command: put it back and run the same command again"
    )]
    CardRemoved {
        /// Reader name.
        reader: String,
    },
    /// Another program holds the card exclusively.
    #[error(
        "another program is using the card in '{reader}' (sharing violation): close it and retry"
    )]
    SharingViolation {
        /// Reader name.
        reader: String,
    },
    /// The card gave no ATR (dead chip or not inserted properly).
    #[error(
        "the card in '{reader}' does not answer to reset (no ATR): reinsert it; if it persists the chip is dead"
    )]
    Unresponsive {
        /// Reader name.
        reader: String,
    },
    /// Waiting for a card event timed out.
    #[error("timed out after {secs:.1} s waiting for {what} in '{reader}'")]
    Timeout {
        /// Reader name.
        reader: String,
        /// What was awaited.
        what: &'static str,
        /// How long we waited.
        secs: f64,
    },
    /// The answer was shorter than 2 bytes.
    #[error(transparent)]
    ShortResponse(#[from] crate::apdu::ResponseError),
    /// Another PC/SC error, kept with its source.
    #[error("PC/SC error on '{reader}' while {doing}{}", pcsc_advice(source))]
    Pcsc {
        /// Reader name (or `-` for context-level calls).
        reader: String,
        /// What we were doing.
        doing: &'static str,
        /// The pcsc-lite error.
        #[source]
        source: ::pcsc::Error,
    },
    /// The virtual card failed to load or save its image, or another I/O error.
    #[error("{what}")]
    Io {
        /// What failed.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A backend's own failure (the virtual card's image could not be loaded or saved, ...),
    /// kept as the source; its message is the backend error's.
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A policy of the tap refused the command before it reached the card (diagnose is
    /// read-only: a bug in sscard if ever seen).
    #[error(
        "{policy}: the command {} was refused before reaching the card on '{reader}' \
         (a bug in sscard: please report it)",
        crate::apdu::spaced(header)
    )]
    Refused {
        /// The policy (`diagnose is read-only`).
        policy: &'static str,
        /// The command's header, CLA INS P1 P2 (never its data).
        header: [u8; 4],
        /// Reader name.
        reader: String,
    },
    /// A command that cannot be encoded as an APDU (nothing was sent).
    #[error("cannot encode command {} for '{reader}'", crate::apdu::spaced(header))]
    Encode {
        /// Reader name.
        reader: String,
        /// The command's header, CLA INS P1 P2 (never its data).
        header: [u8; 4],
        /// Why it cannot be encoded (boxed: errors stay small).
        #[source]
        source: Box<crate::apdu::ApduError>,
    },
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}

impl TransportError {
    /// Wraps a backend's own error (the backend names what failed and where).
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        TransportError::Backend(Box::new(e))
    }
}

/// What an operator should do after a PC/SC error that has no variant of its own (starts with
/// `; ` or is empty).
fn pcsc_advice(e: &::pcsc::Error) -> &'static str {
    use ::pcsc::Error as E;
    match e {
        E::CommError | E::InternalError | E::ReaderUnavailable | E::UnknownReader => {
            "; the reader or the PC/SC service (pcscd) went away: check the reader's cable and that \
             pcscd runs (`sscard readers`), then run the same command again (a personalization \
             stopped half way is finished by the re-run)"
        }
        E::ResetCard => "; another program reset the card: run the same command again",
        E::NotTransacted => {
            "; the card's transaction was broken (another program or a reset): run the same command again"
        }
        _ => "",
    }
}

/// Opens the card named by a reader setting: `sim:IMAGE.json` is the in-process virtual card,
/// anything else (or `None`: the one reader holding a card) a PC/SC reader.
pub fn open(
    reader: Option<&str>,
    exclusive: bool,
    protocol: pcsc::ProtocolChoice,
) -> Result<Box<dyn Transport>, TransportError> {
    if let Some(path) = reader.and_then(|r| r.strip_prefix("sim:")) {
        if path.trim().is_empty() {
            return Err(TransportError::Other(
                "--reader sim: needs the virtual card's image file after the colon, e.g. --reader sim:card.json \
                 (or SSCARD_READER=sim:card.json)"
                    .into(),
            ));
        }
        return crate::sim::transport::open(std::path::Path::new(path));
    }
    pcsc::connect(&pcsc::ConnectOptions {
        reader: reader.map(str::to_string),
        exclusive,
        protocol,
    })
}

/// A link to one card. Both the PC/SC reader and the virtual card implement it.
pub trait Transport {
    /// Sends one command APDU as bytes and returns the raw response (data, SW1, SW2).
    /// No 61xx/6Cxx handling here: that is `exchange`'s job.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// The ATR of the card as last reset.
    fn atr(&self) -> Vec<u8>;

    /// A name for messages: the reader name, or `sim:PATH`.
    fn name(&self) -> String;

    /// Resets the card and returns the new ATR.
    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError>;

    /// Backend hook: take the card exclusively (no-op by default). Only [`Tx`] calls it;
    /// everyone else starts a transaction with `dyn Transport::transaction` or [`Tx::begin`].
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Backend hook: give the card back (no-op by default). Only [`Tx`] calls it.
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Called once when the user is done with the card (the virtual card saves its image).
    fn close(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn name(&self) -> String {
        (**self).name()
    }
    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        (**self).reset(kind)
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        (**self).begin_transaction()
    }
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        (**self).end_transaction()
    }
    fn close(&mut self) -> Result<(), TransportError> {
        (**self).close()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn name(&self) -> String {
        (**self).name()
    }
    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        (**self).reset(kind)
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        (**self).begin_transaction()
    }
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        (**self).end_transaction()
    }
    fn close(&mut self) -> Result<(), TransportError> {
        (**self).close()
    }
}
