//! What the journal stores: attempts, card states, claims, replacements.

use std::collections::BTreeMap;
use std::fmt;

/// How an attempt to issue a card ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttemptResult {
    /// Personalized, verified and enabled.
    Issued,
    /// A card torn mid-way was finished, verified and enabled.
    Resumed,
    /// The card already held this record and was enabled: nothing written.
    AlreadyDone,
    /// The card was refused before anything was written (another holder, wrong structure,
    /// chip failing): the record goes back to pending.
    Refused,
    /// The run stopped mid-way (card pulled, reader gone, a command failed): the card may hold
    /// part of the record and is finished when it comes back.
    #[default]
    Failed,
}

impl AttemptResult {
    /// Every result, for parsing and statistics.
    pub const ALL: [AttemptResult; 5] = [
        AttemptResult::Issued,
        AttemptResult::Resumed,
        AttemptResult::AlreadyDone,
        AttemptResult::Refused,
        AttemptResult::Failed,
    ];

    /// The word stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptResult::Issued => "issued",
            AttemptResult::Resumed => "resumed",
            AttemptResult::AlreadyDone => "already-done",
            AttemptResult::Refused => "refused",
            AttemptResult::Failed => "failed",
        }
    }

    /// Parses a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the card left the station good and enabled with this record.
    pub fn is_issued(self) -> bool {
        matches!(
            self,
            AttemptResult::Issued | AttemptResult::Resumed | AttemptResult::AlreadyDone
        )
    }
}

impl fmt::Display for AttemptResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a worker reports about one card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttempt {
    /// The record's key ([`super::Journal::record_key`]).
    pub record_key: String,
    /// The reader the card was in.
    pub reader: String,
    /// The card identification code (hex), when it could be read.
    pub card_id: String,
    /// The card number, when known.
    pub card_number: String,
    /// The holder's citizen number; stored as a salted hash, and in clear only when the
    /// station asks for it.
    pub ssn: String,
    /// The profile's name.
    pub profile: String,
    /// The profile's fingerprint.
    pub fingerprint: String,
    /// How it ended.
    pub result: AttemptResult,
    /// Why (for refused and failed attempts), one line for the operator.
    pub reason: String,
    /// APDUs sent.
    pub apdus: u64,
    /// How long the card took, in milliseconds.
    pub duration_ms: u64,
}

/// One attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    /// Row id.
    pub id: i64,
    /// UTC time, RFC 3339.
    pub time_utc: String,
    /// The station's local time, RFC 3339 with its offset.
    pub time_local: String,
    /// Station id.
    pub station: String,
    /// Operator.
    pub operator: String,
    /// Reader.
    pub reader: String,
    /// Card identification code.
    pub card_id: String,
    /// Card number.
    pub card_number: String,
    /// Salted hash of the citizen number.
    pub holder_hash: String,
    /// The citizen number in clear, only when the station stored it.
    pub holder_ssn: Option<String>,
    /// The record's key.
    pub record_key: String,
    /// Profile name.
    pub profile: String,
    /// Profile fingerprint.
    pub fingerprint: String,
    /// Result word ([`AttemptResult::as_str`]).
    pub result: String,
    /// Reason.
    pub reason: String,
    /// APDUs sent.
    pub apdus: i64,
    /// Milliseconds.
    pub duration_ms: i64,
    /// The sscard version that wrote the row.
    pub sscard_version: String,
}

/// Which attempts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    /// Only this card.
    pub card_id: Option<String>,
    /// Only this result word.
    pub result: Option<String>,
    /// Only this station.
    pub station: Option<String>,
    /// At most this many (the newest), 0 = all.
    pub limit: usize,
}

/// What happened to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This process holds the record now: issue it.
    Claimed,
    /// This process already held it (a run torn mid-way, or resumed after a stop).
    Resumed,
    /// The record was issued already (by this or another station).
    Issued {
        /// The card it is on.
        card_id: String,
        /// The station that issued it.
        station: String,
    },
    /// Another live process is issuing it right now.
    Held {
        /// Who (`station@host#pid`).
        owner: String,
    },
}

/// The state of a card in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    /// Issued and in use.
    Issued,
    /// Reported lost.
    Lost,
    /// Its application was disabled.
    Disabled,
    /// Replaced by another card.
    Replaced,
}

impl CardState {
    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Issued => "issued",
            CardState::Lost => "lost",
            CardState::Disabled => "disabled",
            CardState::Replaced => "replaced",
        }
    }

    /// Parses a stored word.
    pub fn parse(s: &str) -> Option<Self> {
        [
            CardState::Issued,
            CardState::Lost,
            CardState::Disabled,
            CardState::Replaced,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CardState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A card as the register knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardEntry {
    /// Card identification code.
    pub card_id: String,
    /// State.
    pub state: CardState,
    /// Card number.
    pub card_number: String,
    /// Salted hash of the holder's citizen number.
    pub holder_hash: String,
    /// Station that issued it (or last changed it).
    pub station: String,
    /// When its state last changed (UTC).
    pub time_utc: String,
    /// Operator's note (why lost, replaced by which card...).
    pub note: String,
}

/// A replacement to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewReplacement {
    /// The old card's id, empty when unknown (lost and never read).
    pub old_card_id: String,
    /// The new card's id.
    pub new_card_id: String,
    /// The new card's number.
    pub new_card_number: String,
    /// The holder's citizen number (stored hashed, in clear only when the station says).
    pub ssn: String,
    /// aged, damaged, lost, expired, other.
    pub reason: String,
    /// holder or agent.
    pub applicant: String,
    /// The agent's citizen number (stored hashed only), empty for the holder in person.
    pub agent_ssn: String,
    /// What became of the old card: `disabled`, `not-disabled: why`, `lost`.
    pub old_card_outcome: String,
}

/// A replacement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementRow {
    /// Row id.
    pub id: i64,
    /// UTC time.
    pub time_utc: String,
    /// Local time.
    pub time_local: String,
    /// Station.
    pub station: String,
    /// Operator.
    pub operator: String,
    /// Old card id.
    pub old_card_id: String,
    /// New card id.
    pub new_card_id: String,
    /// Holder hash.
    pub holder_hash: String,
    /// Reason.
    pub reason: String,
    /// holder or agent.
    pub applicant: String,
    /// Agent hash (empty for the holder).
    pub agent_hash: String,
    /// What became of the old card.
    pub old_card_outcome: String,
    /// sscard version.
    pub sscard_version: String,
}

/// Counts for `sscard journal stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Attempts in all.
    pub attempts: usize,
    /// By result word.
    pub by_result: BTreeMap<String, usize>,
    /// By reader, then result word.
    pub by_reader: BTreeMap<String, BTreeMap<String, usize>>,
    /// Distinct cards issued.
    pub cards_issued: usize,
}

impl Stats {
    pub(crate) fn from_rows(rows: &[AttemptRow]) -> Self {
        let mut s = Stats {
            attempts: rows.len(),
            ..Stats::default()
        };
        let mut cards = std::collections::BTreeSet::new();
        for r in rows {
            *s.by_result.entry(r.result.clone()).or_default() += 1;
            *s.by_reader
                .entry(r.reader.clone())
                .or_default()
                .entry(r.result.clone())
                .or_default() += 1;
            if AttemptResult::parse(&r.result).is_some_and(AttemptResult::is_issued) {
                cards.insert(r.card_id.clone());
            }
        }
        s.cards_issued = cards.len();
        s
    }
}
