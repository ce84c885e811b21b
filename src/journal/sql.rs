//! The one shape of both journal stores: the migrations, the claim, the rows written and read
//! back, written once over the small [`Tx`] of `db.rs` that SQLite and PostgreSQL each
//! implement (`sqlite.rs`, `pg.rs`: connecting, and running a statement in a transaction).
//!
//! The SQL is PostgreSQL's (`$1` placeholders, `RETURNING id`, `ON CONFLICT`); SQLite understands
//! it once its placeholders are written `?1`. Where the two differ (the id column, the row lock,
//! the migration lock), [`Dialect`] says which.

use super::claim::{Decision, Existing, decide};
use super::db::{Arg, Backend, DbError, Tx, all, attempt_row, first, insert, replacement_row};
use super::model::*;
use super::schema::{self, Dialect};
use super::{JournalError, Now, Station, Store};

/// A fresh random salt for a new journal (from the OS; zeros only if the OS has no randomness).
fn rand_salt() -> [u8; 16] {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        b = [0u8; 16];
    }
    b
}

/// An arbitrary, fixed advisory-lock id: only one sscard migrates a register at a time.
const MIGRATION_LOCK: i64 = 0x7373_6361_7264;

/// A journal store over a [`Backend`]: the same behaviour on SQLite and PostgreSQL.
pub(crate) struct SqlStore<B> {
    db: B,
    url: String,
    salt: Vec<u8>,
}

impl<B: Backend> SqlStore<B> {
    /// Brings the journal's schema up to date (refusing one written by a newer sscard) and
    /// reads its salt, making one for a new journal.
    pub(crate) fn open(db: B, url: &str) -> Result<Self, JournalError> {
        let mut s = SqlStore {
            db,
            url: url.to_string(),
            salt: Vec::new(),
        };
        let url = s.url.clone();
        s.salt = s.in_tx("cannot create or update the journal's tables", |tx| {
            migrate(tx, &url)
        })?;
        Ok(s)
    }

    fn in_tx<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>,
    ) -> Result<T, JournalError> {
        self.db
            .in_tx(f)
            .map_err(|e| e.into_journal(&self.url, what))
    }

    fn hash(&self, ssn: &str) -> String {
        super::salted_hash(&self.salt, "holder", ssn)
    }
}

fn migrate(tx: &mut dyn Tx, url: &str) -> Result<Vec<u8>, DbError> {
    if tx.dialect() == Dialect::Postgres {
        tx.exec(
            "SELECT pg_advisory_xact_lock($1)",
            &[Arg::Int(MIGRATION_LOCK)],
        )?;
    }
    tx.exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        &[],
    )?;
    let meta = |tx: &mut dyn Tx, key: &str| {
        first(
            tx,
            "SELECT value FROM meta WHERE key = $1",
            &[Arg::Text(key)],
            |r| r.text(0),
        )
    };
    let version = meta(tx, "schema_version")?.map_or(0, |v| v.parse().unwrap_or(-1));
    if !(0..=schema::VERSION).contains(&version) {
        return Err(DbError::Journal(JournalError::TooNew {
            url: url.to_string(),
            found: version,
            known: schema::VERSION,
        }));
    }
    for v in version + 1..=schema::VERSION {
        for sql in schema::migration(v, tx.dialect()) {
            tx.exec(&sql, &[])?;
        }
    }
    tx.exec(
        "INSERT INTO meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[Arg::Text(&schema::VERSION.to_string())],
    )?;
    tx.exec(
        "INSERT INTO meta (key, value) VALUES ('salt', $1) ON CONFLICT (key) DO NOTHING",
        &[Arg::Text(&hex::encode(rand_salt()))],
    )?;
    let salt = meta(tx, "salt")?.unwrap_or_default();
    hex::decode(&salt).map_err(|_| {
        DbError::Journal(JournalError::Corrupt {
            url: url.to_string(),
            what: "the stored salt is not hex (it was edited by hand?)".into(),
        })
    })
}

/// The claim row of a record, if any; on PostgreSQL locked until the transaction ends.
fn existing(tx: &mut dyn Tx, key: &str) -> Result<Option<Existing>, DbError> {
    let lock = match tx.dialect() {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "", // the transaction is IMMEDIATE: the whole file is ours
    };
    first(
        tx,
        &format!(
            "SELECT state, owner, station, card_id, since_unix FROM claims WHERE record_key = $1{lock}"
        ),
        &[Arg::Text(key)],
        |r| {
            Ok(Existing {
                state: r.text(0)?,
                owner: r.text(1)?,
                station: r.text(2)?,
                card_id: r.text(3)?,
                since_unix: r.int(4)?,
            })
        },
    )
}

/// Marks a card issued (a new one is added), with a note.
fn card_issued(
    tx: &mut dyn Tx,
    card_id: &str,
    card_number: &str,
    holder_hash: &str,
    station: &str,
    time_utc: &str,
    note: &str,
) -> Result<u64, DbError> {
    tx.exec(
        "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
         VALUES ($1, 'issued', $2, $3, $4, $5, $6)
         ON CONFLICT (card_id) DO UPDATE SET state = 'issued', card_number = excluded.card_number,
           holder_hash = excluded.holder_hash, station = excluded.station,
           time_utc = excluded.time_utc, note = excluded.note",
        &[
            Arg::Text(card_id),
            Arg::Text(card_number),
            Arg::Text(holder_hash),
            Arg::Text(station),
            Arg::Text(time_utc),
            Arg::Text(note),
        ],
    )
}

/// Sets a card's state; a card never seen is added (with the holder hash and station given).
/// Whether the card was known.
fn set_state(
    tx: &mut dyn Tx,
    card_id: &str,
    state: CardState,
    note: &str,
    holder_hash: &str,
    station: &str,
    time_utc: &str,
) -> Result<bool, DbError> {
    let n = tx.exec(
        "UPDATE cards SET state = $2, note = $3, time_utc = $4 WHERE card_id = $1",
        &[
            Arg::Text(card_id),
            Arg::Text(state.as_str()),
            Arg::Text(note),
            Arg::Text(time_utc),
        ],
    )?;
    if n == 0 {
        tx.exec(
            "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
             VALUES ($1, $2, '', $3, $4, $5, $6)",
            &[
                Arg::Text(card_id),
                Arg::Text(state.as_str()),
                Arg::Text(holder_hash),
                Arg::Text(station),
                Arg::Text(time_utc),
                Arg::Text(note),
            ],
        )?;
    }
    Ok(n > 0)
}

impl<B: Backend> Store for SqlStore<B> {
    fn salt(&self) -> &[u8] {
        &self.salt
    }

    fn claim(&mut self, key: &str, st: &Station, now: &Now) -> Result<ClaimOutcome, JournalError> {
        self.in_tx("cannot claim a record", |tx| {
            // Two passes at most: when another station inserts the claim between our look and
            // our insert, the insert does nothing and the second look sees (and locks) theirs.
            for _ in 0..2 {
                let found = existing(tx, key)?;
                match decide(found.as_ref(), st, now) {
                    Decision::Insert => {
                        let n = tx.exec(
                            "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                             VALUES ($1, 'claimed', $2, $3, '', $4) ON CONFLICT (record_key) DO NOTHING",
                            &[Arg::Text(key), Arg::Text(&st.owner), Arg::Text(&st.id), Arg::Int(now.unix)],
                        )?;
                        if n == 1 {
                            return Ok(ClaimOutcome::Claimed);
                        }
                    }
                    Decision::TakeOver(out) => {
                        tx.exec(
                            "UPDATE claims SET owner = $2, station = $3, since_unix = $4
                             WHERE record_key = $1 AND state = 'claimed'",
                            &[Arg::Text(key), Arg::Text(&st.owner), Arg::Text(&st.id), Arg::Int(now.unix)],
                        )?;
                        return Ok(out);
                    }
                    Decision::Answer(out) => return Ok(out),
                }
            }
            Ok(ClaimOutcome::Held {
                owner: "another station".into(),
            })
        })
    }

    fn peek(&mut self, key: &str) -> Result<Option<Existing>, JournalError> {
        self.in_tx("cannot look up a claim", |tx| existing(tx, key))
    }

    fn release(&mut self, key: &str, st: &Station) -> Result<(), JournalError> {
        self.in_tx("cannot release a claim", |tx| {
            tx.exec(
                "DELETE FROM claims WHERE record_key = $1 AND state = 'claimed' AND owner = $2",
                &[Arg::Text(key), Arg::Text(&st.owner)],
            )
            .map(|_| ())
        })
    }

    fn attempt(
        &mut self,
        a: &NewAttempt,
        st: &Station,
        now: &Now,
        issued: bool,
    ) -> Result<i64, JournalError> {
        let holder_hash = self.hash(&a.ssn);
        let ssn = st.store_holder_data.then_some(a.ssn.as_str());
        let apdus = i64::try_from(a.apdus).unwrap_or(i64::MAX);
        let ms = i64::try_from(a.duration_ms).unwrap_or(i64::MAX);
        self.in_tx("cannot write an attempt", |tx| {
            let id = insert(
                tx,
                "attempts",
                schema::ATTEMPT_COLUMNS,
                &[
                    Arg::Text(&now.utc),
                    Arg::Text(&now.local),
                    Arg::Text(&st.id),
                    Arg::Text(&st.operator),
                    Arg::Text(&a.reader),
                    Arg::Text(&a.card_id),
                    Arg::Text(&a.card_number),
                    Arg::Text(&holder_hash),
                    Arg::OptText(ssn),
                    Arg::Text(&a.record_key),
                    Arg::Text(&a.profile),
                    Arg::Text(&a.fingerprint),
                    Arg::Text(a.result.as_str()),
                    Arg::Text(&a.reason),
                    Arg::Int(apdus),
                    Arg::Int(ms),
                    Arg::Text(schema::sscard_version()),
                ],
            )?;
            if issued {
                tx.exec(
                    "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                     VALUES ($1, 'issued', $2, $3, $4, $5)
                     ON CONFLICT (record_key) DO UPDATE SET state = 'issued', owner = excluded.owner,
                       station = excluded.station, card_id = excluded.card_id,
                       since_unix = excluded.since_unix",
                    &[
                        Arg::Text(&a.record_key),
                        Arg::Text(&st.owner),
                        Arg::Text(&st.id),
                        Arg::Text(&a.card_id),
                        Arg::Int(now.unix),
                    ],
                )?;
                card_issued(
                    tx,
                    &a.card_id,
                    &a.card_number,
                    &holder_hash,
                    &st.id,
                    &now.utc,
                    "",
                )?;
            }
            Ok(id)
        })
    }

    fn card(&mut self, card_id: &str) -> Result<Option<CardEntry>, JournalError> {
        let sql = format!(
            "SELECT {} FROM cards WHERE card_id = $1",
            schema::CARD_COLUMNS
        );
        let row = self.in_tx("cannot look up a card", |tx| {
            first(tx, &sql, &[Arg::Text(card_id)], |r| {
                Ok((
                    r.text(0)?,
                    r.text(1)?,
                    r.text(2)?,
                    r.text(3)?,
                    r.text(4)?,
                    r.text(5)?,
                    r.text(6)?,
                ))
            })
        })?;
        let Some((card_id, state, card_number, holder_hash, station, time_utc, note)) = row else {
            return Ok(None);
        };
        let state = CardState::parse(&state).ok_or_else(|| JournalError::Corrupt {
            url: self.url.clone(),
            what: format!("card {card_id} has an unknown state {state:?}"),
        })?;
        Ok(Some(CardEntry {
            card_id,
            state,
            card_number,
            holder_hash,
            station,
            time_utc,
            note,
        }))
    }

    fn set_card_state(
        &mut self,
        card_id: &str,
        state: CardState,
        note: &str,
        now: &Now,
    ) -> Result<bool, JournalError> {
        self.in_tx("cannot change a card's state", |tx| {
            set_state(tx, card_id, state, note, "", "", &now.utc)
        })
    }

    fn attempts(&mut self, f: &AttemptFilter) -> Result<Vec<AttemptRow>, JournalError> {
        let limit = if f.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(f.limit).unwrap_or(i64::MAX)
        };
        let card = f.card_id.as_ref().map(|c| c.to_ascii_uppercase());
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM attempts
               WHERE (CAST($1 AS TEXT) IS NULL OR card_id = $1)
                 AND (CAST($2 AS TEXT) IS NULL OR result = $2)
                 AND (CAST($3 AS TEXT) IS NULL OR station = $3)
               ORDER BY id DESC LIMIT $4) AS newest ORDER BY id",
            schema::ATTEMPT_COLUMNS
        );
        let args = [
            Arg::OptText(card.as_deref()),
            Arg::OptText(f.result.as_deref()),
            Arg::OptText(f.station.as_deref()),
            Arg::Int(limit),
        ];
        self.in_tx("cannot list attempts", |tx| {
            all(tx, &sql, &args, attempt_row)
        })
    }

    fn replacement(
        &mut self,
        r: &NewReplacement,
        st: &Station,
        now: &Now,
    ) -> Result<i64, JournalError> {
        let holder_hash = self.hash(&r.ssn);
        let agent_hash = if r.agent_ssn.is_empty() {
            String::new()
        } else {
            self.hash(&r.agent_ssn)
        };
        let old_state = super::old_card_state(&r.old_card_outcome);
        self.in_tx("cannot write a replacement", |tx| {
            let id = insert(
                tx,
                "replacements",
                schema::REPLACEMENT_COLUMNS,
                &[
                    Arg::Text(&now.utc),
                    Arg::Text(&now.local),
                    Arg::Text(&st.id),
                    Arg::Text(&st.operator),
                    Arg::Text(&r.old_card_id),
                    Arg::Text(&r.new_card_id),
                    Arg::Text(&holder_hash),
                    Arg::Text(&r.reason),
                    Arg::Text(&r.applicant),
                    Arg::Text(&agent_hash),
                    Arg::Text(&r.old_card_outcome),
                    Arg::Text(schema::sscard_version()),
                ],
            )?;
            if !r.old_card_id.is_empty() {
                let note = format!("replaced by {} ({})", r.new_card_id, r.reason);
                set_state(
                    tx,
                    &r.old_card_id,
                    old_state,
                    &note,
                    &holder_hash,
                    &st.id,
                    &now.utc,
                )?;
            }
            let note = format!(
                "replaces {}",
                if r.old_card_id.is_empty() {
                    "an unknown card"
                } else {
                    &r.old_card_id
                }
            );
            card_issued(
                tx,
                &r.new_card_id,
                &r.new_card_number,
                &holder_hash,
                &st.id,
                &now.utc,
                &note,
            )?;
            Ok(id)
        })
    }

    fn replacement_outcome(&mut self, id: i64, outcome: &str) -> Result<(), JournalError> {
        self.in_tx("cannot finish a replacement", |tx| {
            tx.exec(
                "UPDATE replacements SET old_card_outcome = $2 WHERE id = $1",
                &[Arg::Int(id), Arg::Text(outcome)],
            )
            .map(|_| ())
        })
    }

    fn replacements(&mut self) -> Result<Vec<ReplacementRow>, JournalError> {
        let sql = format!(
            "SELECT {} FROM replacements ORDER BY id",
            schema::REPLACEMENT_COLUMNS
        );
        self.in_tx("cannot list replacements", |tx| {
            all(tx, &sql, &[], replacement_row)
        })
    }
}
