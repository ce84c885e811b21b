//! A session with one card: the transport, what the card's security state is, and what is
//! selected.
//!
//! The session is the layer between the workflows and the card commands. It
//! - counts every APDU and byte that goes over the link (personalization is measured in APDUs);
//! - remembers the current DF (by name) so that a workflow never sends a second SELECT of the
//!   file that is already current;
//! - remembers which external authentications hold in the current DF, so that no
//!   authentication is repeated while the card's security state holds (it is lost on SELECT
//!   of another DF, on reset and on any link failure);
//! - sends commands with a secure-messaging MAC (CLA `04`) when a file's access condition asks
//!   for one.
//!
//! Keys arrive as [`CardKey`]s: a key source ([`KeySource`]: a key file, a PSAM, an HSM)
//! with this card's diversification chain. The session asks the source for each cryptogram
//! and MAC; it never sees a master key, and errors never carry key, cryptogram, MAC or PIN
//! bytes.

mod keys;
mod soft;
mod source;

pub use keys::{CardKey, CardKeys, MissingKey, SessionKey};
pub use soft::{SoftKeys, refuse_hardware_only};
pub use source::{KeySource, KeySourceError, KeyUse, SharedSource, shared};

use crate::apdu::{Command, Response, Sw, compact};
use crate::card::{Card, CardError, SelectBy, SelectReturn, advice};
use crate::cos::Lcs;
use crate::crypto::{self, CHALLENGE_LEN, CryptoError};
use crate::error::ErrorChain;
use crate::transport::tap::Count;
use crate::transport::{Tap, Transport, TransportError, Tx};
use std::collections::BTreeSet;
use thiserror::Error;

/// Traffic counters of a session.
pub use crate::transport::tap::Stats;

/// A failure in a session, with the card and the command it happened on.
#[derive(Debug, Error)]
pub enum SessionError {
    /// The link failed (card removed, power lost, reader gone).
    #[error("{doing} on {card}")]
    Transport {
        /// The card (reader name or `sim:PATH`).
        card: String,
        /// What was being done, e.g. `UPDATE RECORD EF06 tag 08 (社会保障号码)`.
        doing: String,
        /// The link error.
        #[source]
        source: TransportError,
    },
    /// A card command failed (keeps the command, the file and the status word).
    #[error("{doing} on {card}")]
    Card {
        /// The card.
        card: String,
        /// What was being done, e.g. `writing EF06 tag 08 社会保障号码 (ssn)`.
        doing: String,
        /// The card command's error.
        #[source]
        source: CardError,
    },
    /// The card refused a command.
    #[error("{doing} on {card}: the card answered {} ({}){}{}", compact(&sw.to_bytes()), sw.meaning(),
        if advice(header[1], *sw).is_some() { ": " } else { "" }, advice(header[1], *sw).unwrap_or(""))]
    Refused {
        /// The card.
        card: String,
        /// What was being done.
        doing: String,
        /// The header of the command (CLA INS P1 P2), never its data.
        header: [u8; 4],
        /// The status word.
        sw: Sw,
    },
    /// External authentication failed: the key does not match the card's.
    #[error(
        "external authentication with key {key_id:02X} ({key_label}) on {card} failed: the card answered {} ({}). \
         {advice}; nothing was written after this point",
        compact(&sw.to_bytes()),
        sw.meaning()
    )]
    AuthFailed {
        /// What to do, naming the key source (`The key in the key file is not this card's
        /// key ...`, `The PSAM in reader 'X' does not hold this card's keys ...`).
        advice: String,
        /// The card.
        card: String,
        /// The key id on the card.
        key_id: u8,
        /// The key's role/name from the profile.
        key_label: String,
        /// The status word.
        sw: Sw,
    },
    /// The card's answer has the wrong form (e.g. a challenge of the wrong length).
    #[error("{doing} on {card}: unexpected answer: {reason}")]
    BadAnswer {
        /// The card.
        card: String,
        /// What was being done.
        doing: String,
        /// What is wrong.
        reason: String,
    },
    /// The key source failed (reader or token missing, key not held, operation refused).
    #[error("{doing}")]
    KeySource {
        /// What was being done.
        doing: String,
        /// The key source's error (never carries secret bytes).
        #[source]
        source: KeySourceError,
    },
    /// A cryptographic helper failed (never carries secret bytes).
    #[error("{doing}")]
    Crypto {
        /// What was being done.
        doing: String,
        /// The error.
        #[source]
        source: CryptoError,
    },
}

impl SessionError {
    /// The status word, when the card answered one.
    pub fn sw(&self) -> Option<Sw> {
        match self {
            SessionError::Refused { sw, .. } | SessionError::AuthFailed { sw, .. } => Some(*sw),
            SessionError::Card { source, .. } => source.sw(),
            _ => None,
        }
    }

    /// True when the link failed (the card may have been removed or lost power).
    pub fn is_link_failure(&self) -> bool {
        matches!(
            self,
            SessionError::Transport { .. }
                | SessionError::Card {
                    source: CardError::Transport(_),
                    ..
                }
        )
    }
}

/// What SELECT of a DF told about its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfState {
    /// The status word (`9000`, or `6283` for a deactivated DF).
    pub sw: Sw,
    /// The FCP/FCI the card returned (may be empty).
    pub fcp: Vec<u8>,
    /// Life cycle status (tag 8A of the FCP), when the card gave one.
    pub lcs: Option<u8>,
}

impl DfState {
    /// True when the DF is operational and activated: SELECT answered 9000 and LCS (if given)
    /// is activated (`05` or `07`).
    pub fn is_active(&self) -> bool {
        self.sw == Sw::OK
            && self
                .lcs
                .is_none_or(|l| Lcs::from_byte(l) == Some(Lcs::Activated))
    }
    /// True when the DF is deactivated (SELECT answered 6283, or LCS `04`/`06`).
    pub fn is_deactivated(&self) -> bool {
        self.sw == Sw::FILE_DEACTIVATED
            || self.lcs.and_then(Lcs::from_byte) == Some(Lcs::Deactivated)
    }
}

/// Runs `f` in a session inside one exclusive transaction on `t`: nobody else can send to
/// the card until `f` returns. The transaction ends after `f`; an error ending it is reported
/// when `f` itself succeeded.
pub fn in_transaction<R, E: From<SessionError>>(
    t: &mut dyn Transport,
    f: impl FnOnce(&mut Session<'_>) -> Result<R, E>,
) -> Result<R, E> {
    let card = t.name();
    let mut tx = t.transaction().map_err(|source| SessionError::Transport {
        card: card.clone(),
        doing: "starting the exclusive transaction".into(),
        source,
    })?;
    let result = f(&mut Session::new(&mut tx));
    let ended = tx.end();
    let value = result?;
    ended.map_err(|source| SessionError::Transport {
        card,
        doing: "ending the transaction".into(),
        source,
    })?;
    Ok(value)
}

/// A session with one card.
pub struct Session<'t> {
    link: Tap<&'t mut dyn Transport, Count>,
    current_df: Option<Vec<u8>>,
    authenticated: BTreeSet<u8>,
}

impl<'t> Session<'t> {
    /// Starts a session inside a transaction (the security state it tracks holds only while
    /// no other program can reach the card). Nothing is sent.
    pub fn new(tx: &'t mut Tx<'_>) -> Self {
        Session {
            link: Tap::new(tx as &mut dyn Transport, Count::default()),
            current_df: None,
            authenticated: BTreeSet::new(),
        }
    }

    /// The card's name for messages.
    pub fn card_name(&self) -> String {
        self.link.name()
    }

    /// The card's ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.link.atr()
    }

    /// Traffic so far.
    pub fn stats(&self) -> Stats {
        self.link.observer().stats
    }

    /// CLA INS P1 P2 of every APDU sent so far, in order.
    pub fn headers(&self) -> &[[u8; 4]] {
        &self.link.observer().headers
    }

    /// The transport, counted, for card commands that take one. Anything sent this way that
    /// changes the selection or the security state must be followed by [`Session::forget`].
    pub fn transport(&mut self) -> &mut dyn Transport {
        &mut self.link
    }

    /// Forgets the selection and security state (after a reset or a link failure).
    pub fn forget(&mut self) {
        self.current_df = None;
        self.authenticated.clear();
    }

    /// Whether external authentication with `key_id` holds in the current DF.
    pub fn is_authenticated(&self, key_id: u8) -> bool {
        self.authenticated.contains(&key_id)
    }

    /// The DF name currently selected, as far as the session knows.
    pub fn current_df(&self) -> Option<&[u8]> {
        self.current_df.as_deref()
    }

    /// Sends one command (61xx/6Cxx handled by `exchange`) and returns the response, whatever
    /// its status word. A link failure forgets the security state.
    pub fn send(&mut self, cmd: &Command, doing: &str) -> Result<Response, SessionError> {
        self.with_card(doing, |c| c.transmit(cmd))
    }

    /// Runs card commands ([`crate::card`]) on this session's link; a failure gets `doing`
    /// and the card's name, and a link failure forgets the security state.
    pub fn with_card<T>(
        &mut self,
        doing: &str,
        f: impl FnOnce(&mut Card<'_>) -> Result<T, CardError>,
    ) -> Result<T, SessionError> {
        let result = f(&mut Card::new(&mut self.link));
        result.map_err(|source| {
            if matches!(source, CardError::Transport(_)) {
                self.forget();
            }
            SessionError::Card {
                card: self.card_name(),
                doing: doing.to_string(),
                source,
            }
        })
    }

    /// Sends one command and requires `9000` (or a `62xx` warning when `warn_ok`).
    pub fn send_ok(&mut self, cmd: &Command, doing: &str) -> Result<Response, SessionError> {
        let r = self.send(cmd, doing)?;
        if r.sw.is_success() {
            Ok(r)
        } else {
            Err(self.refused(cmd, doing, r.sw))
        }
    }

    fn refused(&self, cmd: &Command, doing: &str, sw: Sw) -> SessionError {
        SessionError::Refused {
            card: self.card_name(),
            doing: doing.to_string(),
            header: [cmd.cla, cmd.ins, cmd.p1, cmd.p2],
            sw,
        }
    }

    /// Selects a DF by name unless it is already the current DF. Returns `None` when nothing
    /// was sent.
    pub fn select_df(&mut self, name: &[u8], label: &str) -> Result<Option<DfState>, SessionError> {
        if self.current_df.as_deref() == Some(name) {
            return Ok(None);
        }
        self.reselect_df(name, label).map(Some)
    }

    /// Selects the MF and returns its life cycle status (tag 8A of its FCP), when the card
    /// gave one. The session then knows no current DF.
    pub fn select_mf(&mut self) -> Result<Option<u8>, SessionError> {
        let r = self.with_card("selecting the MF", |c| {
            c.select(SelectBy::Mf, SelectReturn::Fcp)
        });
        self.forget();
        Ok(r?.fcp.and_then(|f| f.lcs))
    }

    /// Selects a DF by name even when it is current (to re-read its state), returning its
    /// state. `9000` and `6283` (deactivated, still selected) both select it.
    pub fn reselect_df(&mut self, name: &[u8], label: &str) -> Result<DfState, SessionError> {
        let doing = format!("selecting {label}");
        let r = self.with_card(&doing, |c| {
            c.select(SelectBy::Name(name), SelectReturn::Fcp)
        });
        // Selecting (or failing to select) a DF clears the security state on the card.
        self.forget();
        let sel = r?;
        if sel.sw != Sw::OK && sel.sw != Sw::FILE_DEACTIVATED {
            return Err(SessionError::Refused {
                card: self.card_name(),
                doing,
                header: [0x00, 0xA4, 0x04, 0x04],
                sw: sel.sw,
            });
        }
        self.current_df = Some(name.to_vec());
        let lcs = sel.fcp.as_ref().and_then(|f| f.lcs);
        Ok(DfState {
            sw: sel.sw,
            fcp: sel.data,
            lcs,
        })
    }

    /// External authentication with `key` as key `key_id` of the current DF, unless it already
    /// holds. GET CHALLENGE, then EXTERNAL AUTHENTICATE with the cryptogram the key's source
    /// computes (docs/crypto.md). A key this card refused before is not tried again: the
    /// refusal is returned without sending anything. Returns whether APDUs were sent.
    pub fn authenticate<K: SessionKey + ?Sized>(
        &mut self,
        key_id: u8,
        key_label: &str,
        key: &K,
    ) -> Result<bool, SessionError> {
        if self.authenticated.contains(&key_id) {
            return Ok(false);
        }
        let refused = |card: String, sw: Sw| SessionError::AuthFailed {
            advice: key.refused_advice(),
            card,
            key_id,
            key_label: key_label.to_string(),
            sw,
        };
        if let Some(sw) = key.refused() {
            return Err(refused(self.card_name(), sw));
        }
        let doing = format!("authenticating with key {key_id:02X} ({key_label})");
        let challenge = self.challenge(&doing)?;
        let cryptogram = key.cryptogram(&challenge).map_err(|e| {
            source_error(
                e,
                format!("computing the cryptogram for key {key_id:02X} ({key_label})"),
            )
        })?;
        match self.with_card(&doing, |c| c.external_authenticate(key_id, &cryptogram)) {
            Ok(()) => {}
            Err(SessionError::Card {
                source: CardError::Status { sw, .. },
                ..
            }) => {
                key.mark_refused(sw);
                return Err(refused(self.card_name(), sw));
            }
            Err(e) => return Err(e),
        }
        self.authenticated.insert(key_id);
        Ok(true)
    }

    fn challenge(&mut self, doing: &str) -> Result<Vec<u8>, SessionError> {
        self.with_card(doing, |c| c.get_challenge(CHALLENGE_LEN))
    }

    /// Sends `cmd` with a secure-messaging MAC its key source computes over a fresh challenge
    /// (CLA gets bit `04`; docs/crypto.md). Requires `9000`.
    pub fn send_with_mac<K: SessionKey + ?Sized>(
        &mut self,
        cmd: &Command,
        key: &K,
        doing: &str,
    ) -> Result<Response, SessionError> {
        let challenge = self.challenge(&format!("GET CHALLENGE for the MAC of {doing}"))?;
        let crypto_err = |source| SessionError::Crypto {
            doing: format!("computing the MAC of {doing}"),
            source,
        };
        let mut bytes = crypto::sm_mac_input(cmd.cla, cmd.ins, cmd.p1, cmd.p2, &cmd.data)
            .map_err(crypto_err)?;
        let mac = key
            .mac(&challenge, &bytes)
            .map_err(|e| source_error(e, format!("computing the MAC of {doing}")))?;
        bytes.extend_from_slice(&mac);
        let mut sm = Command::parse(&bytes).map_err(|e| SessionError::BadAnswer {
            card: self.card_name(),
            doing: doing.to_string(),
            reason: e.chain().to_string(),
        })?;
        sm.le = cmd.le;
        self.send_ok(&sm, doing)
    }
}

/// A key source's error in the session's words: a software computation keeps the crypto
/// error, anything else names the source's problem.
fn source_error(e: KeySourceError, doing: String) -> SessionError {
    match e {
        KeySourceError::Crypto { source, .. } => SessionError::Crypto { doing, source },
        other => SessionError::KeySource {
            doing,
            source: other,
        },
    }
}

#[cfg(test)]
mod tests;
