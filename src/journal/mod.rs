//! The issuance journal: one row per attempt to issue a card, claims that make every record
//! issued exactly once, the state of every card issued (issued, lost, disabled, replaced), and
//! the replacements done at a station.
//!
//! Two stores share one schema and one behaviour:
//! - SQLite (`--journal station.db`, the embedded default): one station, WAL mode, several
//!   processes of that station may share the file;
//! - PostgreSQL (`--journal postgres://user@host:port/db`): a city-wide register that many
//!   stations write at once. A record is claimed in a transaction, so two stations can never
//!   issue the same record twice: the second one is told who holds it and goes on.
//!
//! What is stored about a person: a salted SHA-256 of the citizen number (the salt is made when
//! the journal is created and kept in it, so every station sharing a register hashes alike),
//! and the clear number only when the station asks for it (`--journal-holder-data`). Never a
//! PIN, never a key.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sscard::journal::{Journal, Station};
//! let mut j = Journal::open("station.db", Station::new("STATION-01", "op7"))?;
//! println!("{} attempts", j.stats()?.attempts);
//! # Ok(()) }
//! ```

mod claim;
mod db;
mod model;
mod pg;
mod schema;
mod sql;
mod sqlite;

pub use model::{
    AttemptFilter, AttemptResult, AttemptRow, CardEntry, CardState, ClaimOutcome, NewAttempt,
    NewReplacement, ReplacementRow, Stats,
};

use sha2::{Digest, Sha256};
use std::time::Duration;
use thiserror::Error;

/// Why the journal could not do what was asked.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The SQLite file could not be opened or used.
    #[error("journal {url}: {what}")]
    Sqlite {
        /// The journal.
        url: String,
        /// What was being done.
        what: String,
        /// The database's own error.
        #[source]
        source: rusqlite::Error,
    },
    /// The PostgreSQL register could not be reached or used.
    #[error("register {url}: {what}")]
    Postgres {
        /// The register, without its password.
        url: String,
        /// What was being done.
        what: String,
        /// The database's own error.
        #[source]
        source: postgres::Error,
    },
    /// The journal was written by a newer sscard.
    #[error(
        "journal {url} has schema version {found}; this sscard knows up to {known}: update sscard on this station before using it"
    )]
    TooNew {
        /// The journal.
        url: String,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// The journal holds something this sscard cannot read (hand-edited or damaged).
    #[error("journal {url}: {what}")]
    Corrupt {
        /// The journal.
        url: String,
        /// What is wrong.
        what: String,
    },
}

/// Who is issuing: written into every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// The station's id (`--station` or `SSCARD_STATION`).
    pub id: String,
    /// The operator (`--operator` or `SSCARD_OPERATOR`).
    pub operator: String,
    /// The owner of claims made by this process: station, host and process id.
    pub owner: String,
    /// Whether the citizen number is also stored in clear (`--journal-holder-data`).
    pub store_holder_data: bool,
    /// How long a claim of another process stays valid without a result.
    pub lease: Duration,
}

impl Station {
    /// A station with the default lease (15 minutes) that does not store holder data in clear.
    pub fn new(id: &str, operator: &str) -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "host".into());
        Station {
            id: id.to_string(),
            operator: operator.to_string(),
            owner: format!("{id}@{host}#{}", std::process::id()),
            store_holder_data: false,
            lease: Duration::from_secs(15 * 60),
        }
    }
}

/// The operations both stores implement. Each runs in its own database transaction.
pub(crate) trait Store: Send {
    fn salt(&self) -> &[u8];
    fn claim(
        &mut self,
        record_key: &str,
        st: &Station,
        now: &Now,
    ) -> Result<ClaimOutcome, JournalError>;
    fn release(&mut self, record_key: &str, st: &Station) -> Result<(), JournalError>;
    fn peek(&mut self, record_key: &str) -> Result<Option<claim::Existing>, JournalError>;
    fn attempt(
        &mut self,
        a: &NewAttempt,
        st: &Station,
        now: &Now,
        issued: bool,
    ) -> Result<i64, JournalError>;
    fn card(&mut self, card_id: &str) -> Result<Option<CardEntry>, JournalError>;
    fn set_card_state(
        &mut self,
        card_id: &str,
        state: CardState,
        note: &str,
        now: &Now,
    ) -> Result<bool, JournalError>;
    fn attempts(&mut self, f: &AttemptFilter) -> Result<Vec<AttemptRow>, JournalError>;
    fn replacement(
        &mut self,
        r: &NewReplacement,
        st: &Station,
        now: &Now,
    ) -> Result<i64, JournalError>;
    fn replacements(&mut self) -> Result<Vec<ReplacementRow>, JournalError>;
    fn replacement_outcome(&mut self, id: i64, outcome: &str) -> Result<(), JournalError>;
}

/// The time of an event, in UTC and in the station's local time.
#[derive(Debug, Clone)]
pub(crate) struct Now {
    pub utc: String,
    pub local: String,
    pub unix: i64,
}

impl Now {
    pub(crate) fn current() -> Self {
        let utc = chrono::Utc::now();
        let local = chrono::Local::now();
        Now {
            utc: utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            local: local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
            unix: utc.timestamp(),
        }
    }
}

/// An open journal (SQLite) or register (PostgreSQL), for one station.
pub struct Journal {
    store: Box<dyn Store>,
    station: Station,
    url: String,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("url", &self.url)
            .field("station", &self.station)
            .finish()
    }
}

impl Journal {
    /// Opens (creating or migrating when needed) the journal at `url`: `postgres://...` or
    /// `postgresql://...` for a register, `sqlite:PATH` or a plain path for SQLite.
    pub fn open(url: &str, station: Station) -> Result<Self, JournalError> {
        let store: Box<dyn Store> =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                Box::new(pg::open(url)?)
            } else {
                let path = url.strip_prefix("sqlite:").unwrap_or(url);
                Box::new(sqlite::open(path)?)
            };
        Ok(Journal {
            store,
            station,
            url: redact_url(url),
        })
    }

    /// The journal's address, with any password removed (for messages).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The station this journal writes for.
    pub fn station(&self) -> &Station {
        &self.station
    }

    /// The salted hash under which a citizen number is stored.
    pub fn holder_hash(&self, ssn: &str) -> String {
        salted_hash(self.store.salt(), "holder", ssn)
    }

    /// The key of a record: a salted hash over all its fields (sorted by name), so the same
    /// record given again is recognised, and a new record for the same holder (a replacement)
    /// is not mistaken for it.
    pub fn record_key<'a>(&self, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let mut pairs: Vec<(&str, &str)> = fields.into_iter().collect();
        pairs.sort_unstable();
        let mut text = String::new();
        for (k, v) in pairs {
            text.push_str(k);
            text.push('\u{1f}');
            text.push_str(v);
            text.push('\u{1e}');
        }
        salted_hash(self.store.salt(), "record", &text)
    }

    /// Claims a record for this process: `Claimed` means go on and issue it; anything else
    /// means leave it (already issued, or being issued elsewhere).
    pub fn claim(&mut self, record_key: &str) -> Result<ClaimOutcome, JournalError> {
        self.store.claim(record_key, &self.station, &Now::current())
    }

    /// Where a record stands without claiming it: `None` when nobody holds it, else issued (with
    /// its card) or held (by whom).
    pub fn status(&mut self, record_key: &str) -> Result<Option<ClaimOutcome>, JournalError> {
        Ok(self.store.peek(record_key)?.map(|e| {
            if e.state == "issued" {
                ClaimOutcome::Issued {
                    card_id: e.card_id,
                    station: e.station,
                }
            } else {
                ClaimOutcome::Held { owner: e.owner }
            }
        }))
    }

    /// Gives a claimed record back (its card was refused): another card will take it.
    pub fn release(&mut self, record_key: &str) -> Result<(), JournalError> {
        self.store.release(record_key, &self.station)
    }

    /// Writes one attempt. An issued result also marks the record issued and the card issued,
    /// in the same database transaction.
    pub fn record_attempt(&mut self, a: &NewAttempt) -> Result<i64, JournalError> {
        let issued = a.result.is_issued();
        self.store
            .attempt(a, &self.station, &Now::current(), issued)
    }

    /// The state of a card, by its card identification code.
    pub fn card(&mut self, card_id: &str) -> Result<Option<CardEntry>, JournalError> {
        self.store.card(&card_id.to_ascii_uppercase())
    }

    /// Marks a card as reported lost, disabled or replaced; a card the journal never saw is
    /// added. Returns whether the card was known before.
    pub fn set_card_state(
        &mut self,
        card_id: &str,
        state: CardState,
        note: &str,
    ) -> Result<bool, JournalError> {
        self.store
            .set_card_state(&card_id.to_ascii_uppercase(), state, note, &Now::current())
    }

    /// Attempts, oldest first, as the filter says.
    pub fn attempts(&mut self, f: &AttemptFilter) -> Result<Vec<AttemptRow>, JournalError> {
        self.store.attempts(f)
    }

    /// Records a replacement (old card → new card); the old card's state is set as the
    /// replacement says, the new card is marked issued.
    pub fn record_replacement(&mut self, r: &NewReplacement) -> Result<i64, JournalError> {
        self.store.replacement(r, &self.station, &Now::current())
    }

    /// Sets what became of the old card of replacement `id` (a replacement is recorded with
    /// `disable-pending` before its old card is disabled, then finished with `disabled` or
    /// `not-disabled: why`).
    pub fn set_replacement_outcome(&mut self, id: i64, outcome: &str) -> Result<(), JournalError> {
        self.store.replacement_outcome(id, outcome)
    }

    /// The replacement that issued card `new_card_id`, if one was recorded.
    pub fn replacement_for(
        &mut self,
        new_card_id: &str,
    ) -> Result<Option<ReplacementRow>, JournalError> {
        Ok(self
            .replacements()?
            .into_iter()
            .find(|r| r.new_card_id.eq_ignore_ascii_case(new_card_id)))
    }

    /// Every replacement, oldest first.
    pub fn replacements(&mut self) -> Result<Vec<ReplacementRow>, JournalError> {
        self.store.replacements()
    }

    /// Counts by result and by reader.
    pub fn stats(&mut self) -> Result<Stats, JournalError> {
        let rows = self.attempts(&AttemptFilter::default())?;
        Ok(Stats::from_rows(&rows))
    }
}

fn salted_hash(salt: &[u8], domain: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    h.update([0u8]);
    h.update(salt);
    h.update([0u8]);
    h.update(text.as_bytes());
    hex::encode(h.finalize())
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((cred, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match cred.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Whether a claim owner (`station@host#pid`) is a process of this host that no longer runs.
pub(crate) fn owner_is_dead_here(owner: &str) -> bool {
    let Some((left, pid)) = owner.rsplit_once('#') else {
        return false;
    };
    let Some((_, host)) = left.rsplit_once('@') else {
        return false;
    };
    let here = Station::new("", "");
    let Some((here_left, _)) = here.owner.rsplit_once('#') else {
        return false;
    };
    let here_host = here_left.rsplit_once('@').map(|(_, h)| h).unwrap_or("");
    if host != here_host || pid.parse::<u32>().is_err() {
        return false;
    }
    cfg!(target_os = "linux") && !std::path::Path::new("/proc").join(pid).exists()
}

/// The register state of an old card after a replacement, from what became of it.
pub(crate) fn old_card_state(outcome: &str) -> CardState {
    if outcome.starts_with("lost") {
        CardState::Lost
    } else {
        CardState::Replaced
    }
}

#[cfg(test)]
mod tests;
