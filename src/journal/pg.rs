//! The city-wide register on PostgreSQL: the same schema and rules as the SQLite journal, shared
//! by many stations at once. A record is claimed inside a transaction that locks its row (or
//! inserts it, where the primary key makes a second insert lose), so two stations never issue
//! the same record.

use super::claim::{Decision, Existing, decide};
use super::model::*;
use super::schema::{self, Dialect};
use super::sqlite::{card_entry, rand_salt};
use super::{JournalError, Now, Station, Store, redact_url};
use postgres::{Client, NoTls, Transaction};

pub(crate) struct PgStore {
    client: Client,
    url: String,
    salt: Vec<u8>,
}

/// An arbitrary, fixed advisory-lock id: only one sscard migrates a register at a time.
const MIGRATION_LOCK: i64 = 0x7373_6361_7264;

impl PgStore {
    pub(crate) fn open(url: &str) -> Result<Self, JournalError> {
        let shown = redact_url(url);
        let client = Client::connect(url, NoTls).map_err(|source| JournalError::Postgres {
            url: shown.clone(),
            what: "cannot connect (is the server running, and are the address, user and database right?)".into(),
            source,
        })?;
        let mut s = PgStore {
            client,
            url: shown,
            salt: Vec::new(),
        };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<(), JournalError> {
        let url = self.url.clone();
        let e = err(&self.url, "cannot create or update the register's tables");
        let mut tx = self
            .client
            .transaction()
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let salt = (|| -> Result<Result<Vec<u8>, JournalError>, postgres::Error> {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            )?;
            let version: i64 = tx
                .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])?
                .map(|r| r.try_get::<_, String>(0))
                .transpose()?
                .map_or(0, |v| v.parse().unwrap_or(-1));
            if !(0..=schema::VERSION).contains(&version) {
                return Ok(Err(JournalError::TooNew {
                    url: url.clone(),
                    found: version,
                    known: schema::VERSION,
                }));
            }
            for v in version + 1..=schema::VERSION {
                for sql in schema::migration(v, Dialect::Postgres) {
                    tx.batch_execute(&sql)?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&schema::VERSION.to_string()],
            )?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('salt', $1) ON CONFLICT (key) DO NOTHING",
                &[&hex::encode(rand_salt())],
            )?;
            let salt: String = tx
                .query_one("SELECT value FROM meta WHERE key = 'salt'", &[])?
                .try_get(0)?;
            Ok(hex::decode(&salt).map_err(|_| JournalError::Corrupt {
                url: url.clone(),
                what: "the stored salt is not hex (the table was edited by hand?)".into(),
            }))
        })()
        .map_err(e)?;
        let salt = salt?;
        tx.commit()
            .map_err(err(&self.url, "cannot commit the schema"))?;
        self.salt = salt;
        Ok(())
    }

    /// Runs `f` in one transaction, committing on success.
    fn in_tx<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, postgres::Error>,
    ) -> Result<T, JournalError> {
        let mut tx = self
            .client
            .transaction()
            .map_err(err(&self.url, "cannot start a transaction"))?;
        let out = f(&mut tx).map_err(err(&self.url, what))?;
        tx.commit().map_err(err(&self.url, what))?;
        Ok(out)
    }
}

fn existing(tx: &mut Transaction<'_>, key: &str) -> Result<Option<Existing>, postgres::Error> {
    tx.query_opt(
        "SELECT state, owner, station, card_id, since_unix FROM claims
             WHERE record_key = $1 FOR UPDATE",
        &[&key],
    )?
    .map(|r| {
        Ok(Existing {
            state: r.try_get(0)?,
            owner: r.try_get(1)?,
            station: r.try_get(2)?,
            card_id: r.try_get(3)?,
            since_unix: r.try_get(4)?,
        })
    })
    .transpose()
}

fn card_upsert_issued(
    tx: &mut Transaction<'_>,
    card_id: &str,
    card_number: &str,
    holder_hash: &str,
    station: &str,
    time_utc: &str,
    note: &str,
) -> Result<u64, postgres::Error> {
    tx.execute(
        "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
         VALUES ($1, 'issued', $2, $3, $4, $5, $6)
         ON CONFLICT (card_id) DO UPDATE SET state = 'issued', card_number = excluded.card_number,
           holder_hash = excluded.holder_hash, station = excluded.station,
           time_utc = excluded.time_utc, note = excluded.note",
        &[
            &card_id,
            &card_number,
            &holder_hash,
            &station,
            &time_utc,
            &note,
        ],
    )
}

fn set_state(
    tx: &mut Transaction<'_>,
    card_id: &str,
    state: CardState,
    note: &str,
    holder_hash: &str,
    station: &str,
    time_utc: &str,
) -> Result<bool, postgres::Error> {
    let n = tx.execute(
        "UPDATE cards SET state = $2, note = $3, time_utc = $4 WHERE card_id = $1",
        &[&card_id, &state.as_str(), &note, &time_utc],
    )?;
    if n == 0 {
        tx.execute(
            "INSERT INTO cards (card_id, state, card_number, holder_hash, station, time_utc, note)
             VALUES ($1, $2, '', $3, $4, $5, $6)",
            &[
                &card_id,
                &state.as_str(),
                &holder_hash,
                &station,
                &time_utc,
                &note,
            ],
        )?;
    }
    Ok(n > 0)
}

impl Store for PgStore {
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
                        let n = tx.execute(
                            "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                             VALUES ($1, 'claimed', $2, $3, '', $4) ON CONFLICT (record_key) DO NOTHING",
                            &[&key, &st.owner, &st.id, &now.unix],
                        )?;
                        if n == 1 {
                            return Ok(ClaimOutcome::Claimed);
                        }
                    }
                    Decision::TakeOver(out) => {
                        tx.execute(
                            "UPDATE claims SET owner = $2, station = $3, since_unix = $4
                             WHERE record_key = $1 AND state = 'claimed'",
                            &[&key, &st.owner, &st.id, &now.unix],
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
            tx.execute(
                "DELETE FROM claims WHERE record_key = $1 AND state = 'claimed' AND owner = $2",
                &[&key, &st.owner],
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
        let holder_hash = super::salted_hash(&self.salt, "holder", &a.ssn);
        let ssn = st.store_holder_data.then_some(a.ssn.as_str());
        let apdus = i64::try_from(a.apdus).unwrap_or(i64::MAX);
        let ms = i64::try_from(a.duration_ms).unwrap_or(i64::MAX);
        self.in_tx("cannot write an attempt", |tx| {
            let cols = schema::ATTEMPT_COLUMNS.trim_start_matches("id, ");
            let row = tx.query_one(
                &format!(
                    "INSERT INTO attempts ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14, $15, $16, $17) RETURNING id"
                ),
                &[
                    &now.utc,
                    &now.local,
                    &st.id,
                    &st.operator,
                    &a.reader,
                    &a.card_id,
                    &a.card_number,
                    &holder_hash,
                    &ssn,
                    &a.record_key,
                    &a.profile,
                    &a.fingerprint,
                    &a.result.as_str(),
                    &a.reason,
                    &apdus,
                    &ms,
                    &schema::sscard_version(),
                ],
            )?;
            if issued {
                tx.execute(
                    "INSERT INTO claims (record_key, state, owner, station, card_id, since_unix)
                     VALUES ($1, 'issued', $2, $3, $4, $5)
                     ON CONFLICT (record_key) DO UPDATE SET state = 'issued', owner = excluded.owner,
                       station = excluded.station, card_id = excluded.card_id,
                       since_unix = excluded.since_unix",
                    &[&a.record_key, &st.owner, &st.id, &a.card_id, &now.unix],
                )?;
                card_upsert_issued(
                    tx,
                    &a.card_id,
                    &a.card_number,
                    &holder_hash,
                    &st.id,
                    &now.utc,
                    "",
                )?;
            }
            row.try_get(0)
        })
    }

    fn card(&mut self, card_id: &str) -> Result<Option<CardEntry>, JournalError> {
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT {} FROM cards WHERE card_id = $1",
                    schema::CARD_COLUMNS
                ),
                &[&card_id],
            )
            .map_err(err(&self.url, "cannot look up a card"))?;
        let Some(r) = row else { return Ok(None) };
        let fields = (|| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
            ))
        })()
        .map_err(err(&self.url, "cannot read a card row"))?;
        card_entry(&self.url, fields).map(Some)
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
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {} FROM (SELECT * FROM attempts
                       WHERE ($1::TEXT IS NULL OR card_id = $1) AND ($2::TEXT IS NULL OR result = $2)
                         AND ($3::TEXT IS NULL OR station = $3)
                       ORDER BY id DESC LIMIT $4) AS newest ORDER BY id",
                    schema::ATTEMPT_COLUMNS
                ),
                &[&card, &f.result, &f.station, &limit],
            )
            .map_err(err(&self.url, "cannot list attempts"))?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRow {
                    id: r.try_get(0)?,
                    time_utc: r.try_get(1)?,
                    time_local: r.try_get(2)?,
                    station: r.try_get(3)?,
                    operator: r.try_get(4)?,
                    reader: r.try_get(5)?,
                    card_id: r.try_get(6)?,
                    card_number: r.try_get(7)?,
                    holder_hash: r.try_get(8)?,
                    holder_ssn: r.try_get(9)?,
                    record_key: r.try_get(10)?,
                    profile: r.try_get(11)?,
                    fingerprint: r.try_get(12)?,
                    result: r.try_get(13)?,
                    reason: r.try_get(14)?,
                    apdus: r.try_get(15)?,
                    duration_ms: r.try_get(16)?,
                    sscard_version: r.try_get(17)?,
                })
            })
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(err(&self.url, "cannot read a row"))
    }

    fn replacement(
        &mut self,
        r: &NewReplacement,
        st: &Station,
        now: &Now,
    ) -> Result<i64, JournalError> {
        let holder_hash = super::salted_hash(&self.salt, "holder", &r.ssn);
        let agent_hash = if r.agent_ssn.is_empty() {
            String::new()
        } else {
            super::salted_hash(&self.salt, "holder", &r.agent_ssn)
        };
        let old_state = super::old_card_state(&r.old_card_outcome);
        self.in_tx("cannot write a replacement", |tx| {
            let cols = schema::REPLACEMENT_COLUMNS.trim_start_matches("id, ");
            let row = tx.query_one(
                &format!(
                    "INSERT INTO replacements ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12) RETURNING id"
                ),
                &[
                    &now.utc,
                    &now.local,
                    &st.id,
                    &st.operator,
                    &r.old_card_id,
                    &r.new_card_id,
                    &holder_hash,
                    &r.reason,
                    &r.applicant,
                    &agent_hash,
                    &r.old_card_outcome,
                    &schema::sscard_version(),
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
            card_upsert_issued(
                tx,
                &r.new_card_id,
                &r.new_card_number,
                &holder_hash,
                &st.id,
                &now.utc,
                &note,
            )?;
            row.try_get(0)
        })
    }

    fn replacement_outcome(&mut self, id: i64, outcome: &str) -> Result<(), JournalError> {
        self.in_tx("cannot finish a replacement", |tx| {
            tx.execute(
                "UPDATE replacements SET old_card_outcome = $2 WHERE id = $1",
                &[&id, &outcome],
            )
            .map(|_| ())
        })
    }

    fn replacements(&mut self) -> Result<Vec<ReplacementRow>, JournalError> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {} FROM replacements ORDER BY id",
                    schema::REPLACEMENT_COLUMNS
                ),
                &[],
            )
            .map_err(err(&self.url, "cannot list replacements"))?;
        rows.iter()
            .map(|r| {
                Ok(ReplacementRow {
                    id: r.try_get(0)?,
                    time_utc: r.try_get(1)?,
                    time_local: r.try_get(2)?,
                    station: r.try_get(3)?,
                    operator: r.try_get(4)?,
                    old_card_id: r.try_get(5)?,
                    new_card_id: r.try_get(6)?,
                    holder_hash: r.try_get(7)?,
                    reason: r.try_get(8)?,
                    applicant: r.try_get(9)?,
                    agent_hash: r.try_get(10)?,
                    old_card_outcome: r.try_get(11)?,
                    sscard_version: r.try_get(12)?,
                })
            })
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(err(&self.url, "cannot read a row"))
    }
}

fn err(url: &str, what: &str) -> impl FnOnce(postgres::Error) -> JournalError + use<> {
    let url = url.to_string();
    let what = what.to_string();
    move |source| JournalError::Postgres { url, what, source }
}
