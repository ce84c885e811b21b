//! The embedded journal: one SQLite file per station, WAL mode, shared safely by the station's
//! processes (every change is one `BEGIN IMMEDIATE` transaction; a busy file is waited for).

use super::claim::{Decision, Existing, decide};
use super::model::*;
use super::schema::{self, Dialect};
use super::{JournalError, Now, Station, Store};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::time::Duration;

pub(crate) struct SqliteStore {
    conn: Connection,
    url: String,
    salt: Vec<u8>,
}

impl SqliteStore {
    pub(crate) fn open(path: &str) -> Result<Self, JournalError> {
        let url = path.to_string();
        let err = |what: &str| {
            let url = url.clone();
            let what = what.to_string();
            move |source| JournalError::Sqlite { url, what, source }
        };
        let conn = Connection::open(path).map_err(err("cannot open the journal file"))?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(err("cannot set the busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("cannot switch to WAL mode"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("cannot set synchronous writes"))?;
        let mut s = SqliteStore {
            conn,
            url,
            salt: Vec::new(),
        };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        let e = err(&self.url, "cannot create or update the journal's tables");
        let url = self.url.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let salt = (|| -> Result<Result<Vec<u8>, JournalError>, rusqlite::Error> {
            tx.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                [],
            )?;
            let version: i64 = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|v| v.parse().unwrap_or(-1))
                .unwrap_or(0);
            if !(0..=schema::VERSION).contains(&version) {
                return Ok(Err(JournalError::TooNew {
                    url: url.clone(),
                    found: version,
                    known: schema::VERSION,
                }));
            }
            for v in version + 1..=schema::VERSION {
                for sql in schema::migration(v, Dialect::Sqlite) {
                    tx.execute(&sql, [])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![schema::VERSION.to_string()],
            )?;
            let fresh: [u8; 16] = rand_salt();
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('salt', ?1) ON CONFLICT (key) DO NOTHING",
                params![hex::encode(fresh)],
            )?;
            let salt: String =
                tx.query_row("SELECT value FROM meta WHERE key = 'salt'", [], |r| {
                    r.get(0)
                })?;
            Ok(hex::decode(&salt).map_err(|_| JournalError::Corrupt {
                url: url.clone(),
                what: "the stored salt is not hex (the file was edited by hand?)".into(),
            }))
        })()
        .map_err(e)?;
        let salt = salt?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit the schema"))?;
        self.salt = salt;
        Ok(())
    }
}

/// A fresh random salt for a new journal (from the OS; zeros only if the OS has no randomness).
pub(crate) fn rand_salt() -> [u8; 16] {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        b = [0u8; 16];
    }
    b
}

/// The claim row of a record, if any (one query for `claim` and `peek`).
fn existing(conn: &Connection, key: &str) -> rusqlite::Result<Option<Existing>> {
    conn.query_row(
        "SELECT state, owner, station, card_id, since_unix FROM claims WHERE record_key = ?1",
        params![key],
        |r| {
            Ok(Existing {
                state: r.get(0)?,
                owner: r.get(1)?,
                station: r.get(2)?,
                card_id: r.get(3)?,
                since_unix: r.get(4)?,
            })
        },
    )
    .optional()
}

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.get(0)?,
        time_utc: r.get(1)?,
        time_local: r.get(2)?,
        station: r.get(3)?,
        operator: r.get(4)?,
        reader: r.get(5)?,
        card_id: r.get(6)?,
        card_number: r.get(7)?,
        holder_hash: r.get(8)?,
        holder_ssn: r.get(9)?,
        record_key: r.get(10)?,
        profile: r.get(11)?,
        fingerprint: r.get(12)?,
        result: r.get(13)?,
        reason: r.get(14)?,
        apdus: r.get(15)?,
        duration_ms: r.get(16)?,
        sscard_version: r.get(17)?,
    })
}

fn card_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, String, String, String, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

impl Store for SqliteStore {
    fn salt(&self) -> &[u8] {
        &self.salt
    }

    fn claim(&mut self, key: &str, st: &Station, now: &Now) -> Result<ClaimOutcome, JournalError> {
        let e = err(&self.url, "cannot claim a record");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let out = (|| -> rusqlite::Result<ClaimOutcome> {
            let existing = existing(&tx, key)?;
            match decide(existing.as_ref(), st, now) {
                Decision::Insert => {
                    tx.execute(
                        "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                         VALUES (?1, 'claimed', ?2, ?3, '', ?4)",
                        params![key, st.owner, st.id, now.unix],
                    )?;
                    Ok(ClaimOutcome::Claimed)
                }
                Decision::TakeOver(out) => {
                    tx.execute(
                        "UPDATE claims SET owner = ?2, station = ?3, since_unix = ?4
                         WHERE record_key = ?1 AND state = 'claimed'",
                        params![key, st.owner, st.id, now.unix],
                    )?;
                    Ok(out)
                }
                Decision::Answer(out) => Ok(out),
            }
        })()
        .map_err(e)?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit a claim"))?;
        Ok(out)
    }

    fn peek(&mut self, key: &str) -> Result<Option<Existing>, JournalError> {
        existing(&self.conn, key).map_err(err(&self.url, "cannot look up a claim"))
    }

    fn release(&mut self, key: &str, st: &Station) -> Result<(), JournalError> {
        self.conn
            .execute(
                "DELETE FROM claims WHERE record_key = ?1 AND state = 'claimed' AND owner = ?2",
                params![key, st.owner],
            )
            .map_err(err(&self.url, "cannot release a claim"))?;
        Ok(())
    }

    fn attempt(
        &mut self,
        a: &NewAttempt,
        st: &Station,
        now: &Now,
        issued: bool,
    ) -> Result<i64, JournalError> {
        let e = err(&self.url, "cannot write an attempt");
        let holder_hash = super::salted_hash(&self.salt, "holder", &a.ssn);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let id = (|| -> rusqlite::Result<i64> {
            tx.execute(
                &format!(
                    "INSERT INTO attempts ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                     ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                    schema::ATTEMPT_COLUMNS
                ),
                params![
                    now.utc,
                    now.local,
                    st.id,
                    st.operator,
                    a.reader,
                    a.card_id,
                    a.card_number,
                    holder_hash,
                    st.store_holder_data.then_some(a.ssn.as_str()),
                    a.record_key,
                    a.profile,
                    a.fingerprint,
                    a.result.as_str(),
                    a.reason,
                    i64::try_from(a.apdus).unwrap_or(i64::MAX),
                    i64::try_from(a.duration_ms).unwrap_or(i64::MAX),
                    schema::sscard_version(),
                ],
            )?;
            let id = tx.last_insert_rowid();
            if issued {
                tx.execute(
                    "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                     VALUES (?1, 'issued', ?2, ?3, ?4, ?5)
                     ON CONFLICT (record_key) DO UPDATE SET state = 'issued', owner = excluded.owner,
                       station = excluded.station, card_id = excluded.card_id,
                       since_unix = excluded.since_unix",
                    params![a.record_key, st.owner, st.id, a.card_id, now.unix],
                )?;
                tx.execute(
                    "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
                     VALUES (?1, 'issued', ?2, ?3, ?4, ?5, '')
                     ON CONFLICT (card_id) DO UPDATE SET state = 'issued', card_number = excluded.card_number,
                       holder_hash = excluded.holder_hash, station = excluded.station,
                       time_utc = excluded.time_utc, note = ''",
                    params![a.card_id, a.card_number, holder_hash, st.id, now.utc],
                )?;
            }
            Ok(id)
        })()
        .map_err(e)?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit an attempt"))?;
        Ok(id)
    }

    fn card(&mut self, card_id: &str) -> Result<Option<CardEntry>, JournalError> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT {} FROM cards WHERE card_id = ?1",
                    schema::CARD_COLUMNS
                ),
                params![card_id],
                card_row,
            )
            .optional()
            .map_err(err(&self.url, "cannot look up a card"))?;
        row.map(|r| card_entry(&self.url, r)).transpose()
    }

    fn set_card_state(
        &mut self,
        card_id: &str,
        state: CardState,
        note: &str,
        now: &Now,
    ) -> Result<bool, JournalError> {
        let e = err(&self.url, "cannot change a card's state");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let known = (|| -> rusqlite::Result<bool> {
            let n = tx.execute(
                "UPDATE cards SET state = ?2, note = ?3, time_utc = ?4 WHERE card_id = ?1",
                params![card_id, state.as_str(), note, now.utc],
            )?;
            if n == 0 {
                tx.execute(
                    "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
                     VALUES (?1, ?2, '', '', '', ?3, ?4)",
                    params![card_id, state.as_str(), now.utc, note],
                )?;
            }
            Ok(n > 0)
        })()
        .map_err(e)?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit a card state"))?;
        Ok(known)
    }

    fn attempts(&mut self, f: &AttemptFilter) -> Result<Vec<AttemptRow>, JournalError> {
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM attempts
               WHERE (?1 IS NULL OR card_id = ?1) AND (?2 IS NULL OR result = ?2)
                 AND (?3 IS NULL OR station = ?3)
               ORDER BY id DESC LIMIT ?4) ORDER BY id",
            schema::ATTEMPT_COLUMNS
        );
        let limit = if f.limit == 0 {
            -1
        } else {
            i64::try_from(f.limit).unwrap_or(-1)
        };
        let e = err(&self.url, "cannot list attempts");
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(err(&self.url, "cannot list attempts"))?;
        let rows = stmt
            .query_map(
                params![
                    f.card_id.as_ref().map(|c| c.to_ascii_uppercase()),
                    f.result,
                    f.station,
                    limit
                ],
                attempt_row,
            )
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(e)?;
        Ok(rows)
    }

    fn replacement(
        &mut self,
        r: &NewReplacement,
        st: &Station,
        now: &Now,
    ) -> Result<i64, JournalError> {
        let e = err(&self.url, "cannot write a replacement");
        let holder_hash = super::salted_hash(&self.salt, "holder", &r.ssn);
        let agent_hash = if r.agent_ssn.is_empty() {
            String::new()
        } else {
            super::salted_hash(&self.salt, "holder", &r.agent_ssn)
        };
        let old_state = super::old_card_state(&r.old_card_outcome);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let id = (|| -> rusqlite::Result<i64> {
            tx.execute(
                &format!(
                    "INSERT INTO replacements ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    schema::REPLACEMENT_COLUMNS
                ),
                params![
                    now.utc,
                    now.local,
                    st.id,
                    st.operator,
                    r.old_card_id,
                    r.new_card_id,
                    holder_hash,
                    r.reason,
                    r.applicant,
                    agent_hash,
                    r.old_card_outcome,
                    schema::sscard_version(),
                ],
            )?;
            let id = tx.last_insert_rowid();
            if !r.old_card_id.is_empty() {
                let note = format!("replaced by {} ({})", r.new_card_id, r.reason);
                let n = tx.execute(
                    "UPDATE cards SET state = ?2, note = ?3, time_utc = ?4 WHERE card_id = ?1",
                    params![r.old_card_id, old_state.as_str(), note, now.utc],
                )?;
                if n == 0 {
                    tx.execute(
                        "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
                         VALUES (?1, ?2, '', ?3, ?4, ?5, ?6)",
                        params![r.old_card_id, old_state.as_str(), holder_hash, st.id, now.utc, note],
                    )?;
                }
            }
            tx.execute(
                "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
                 VALUES (?1, 'issued', ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (card_id) DO UPDATE SET state = 'issued', card_number = excluded.card_number,
                   holder_hash = excluded.holder_hash, station = excluded.station,
                   time_utc = excluded.time_utc, note = excluded.note",
                params![
                    r.new_card_id,
                    r.new_card_number,
                    holder_hash,
                    st.id,
                    now.utc,
                    format!("replaces {}", if r.old_card_id.is_empty() { "an unknown card" } else { &r.old_card_id })
                ],
            )?;
            Ok(id)
        })()
        .map_err(e)?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit a replacement"))?;
        Ok(id)
    }

    fn replacement_outcome(&mut self, id: i64, outcome: &str) -> Result<(), JournalError> {
        self.conn
            .execute(
                "UPDATE replacements SET old_card_outcome = ?2 WHERE id = ?1",
                params![id, outcome],
            )
            .map_err(err(&self.url, "cannot finish a replacement"))?;
        Ok(())
    }

    fn replacements(&mut self) -> Result<Vec<ReplacementRow>, JournalError> {
        let e = err(&self.url, "cannot list replacements");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM replacements ORDER BY id",
                schema::REPLACEMENT_COLUMNS
            ))
            .map_err(err(&self.url, "cannot list replacements"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ReplacementRow {
                    id: r.get(0)?,
                    time_utc: r.get(1)?,
                    time_local: r.get(2)?,
                    station: r.get(3)?,
                    operator: r.get(4)?,
                    old_card_id: r.get(5)?,
                    new_card_id: r.get(6)?,
                    holder_hash: r.get(7)?,
                    reason: r.get(8)?,
                    applicant: r.get(9)?,
                    agent_hash: r.get(10)?,
                    old_card_outcome: r.get(11)?,
                    sscard_version: r.get(12)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(e)?;
        Ok(rows)
    }
}

/// A card row read from either store → a typed entry.
pub(crate) fn card_entry(
    url: &str,
    (card_id, state, card_number, holder_hash, station, time_utc, note): (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ),
) -> Result<CardEntry, JournalError> {
    let state = CardState::parse(&state).ok_or_else(|| JournalError::Corrupt {
        url: url.to_string(),
        what: format!("card {card_id} has an unknown state {state:?}"),
    })?;
    Ok(CardEntry {
        card_id,
        state,
        card_number,
        holder_hash,
        station,
        time_utc,
        note,
    })
}

fn err(url: &str, what: &str) -> impl FnOnce(rusqlite::Error) -> JournalError + use<> {
    let url = url.to_string();
    let what = what.to_string();
    move |source| JournalError::Sqlite { url, what, source }
}
