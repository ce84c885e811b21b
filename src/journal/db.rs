//! The database plumbing under both journal stores: the values bound to a statement, a row
//! read back, a transaction ([`Tx`]) and a connection that runs one ([`Backend`]); SQLite and
//! PostgreSQL each implement them (`sqlite.rs`, `pg.rs`). The row mappings are here once.

use super::JournalError;
use super::model::{AttemptRow, ReplacementRow};
use super::schema::Dialect;

/// A value bound to a statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// A 64-bit integer.
    Int(i64),
}

/// What went wrong inside a transaction: the database's own error, or a journal error found on
/// the way (a schema too new, a damaged salt).
#[derive(Debug)]
pub(crate) enum DbError {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    Journal(JournalError),
    /// The database did not give what a statement must give (damaged, or hand-edited).
    Missing(String),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sqlite(e)
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::Postgres(e)
    }
}

impl DbError {
    /// The journal error for the operator: which journal, what was being done, and the
    /// database's own error as the source.
    pub(crate) fn into_journal(self, url: &str, what: &str) -> JournalError {
        let (url, what) = (url.to_string(), what.to_string());
        match self {
            DbError::Sqlite(source) => JournalError::Sqlite { url, what, source },
            DbError::Postgres(source) => JournalError::Postgres { url, what, source },
            DbError::Journal(e) => e,
            DbError::Missing(what) => JournalError::Corrupt { url, what },
        }
    }
}

/// One row of a query's result.
pub(crate) trait Cols {
    fn text(&self, i: usize) -> Result<String, DbError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError>;
    fn int(&self, i: usize) -> Result<i64, DbError>;
}

/// A statement runner inside one transaction.
pub(crate) trait Tx {
    /// Which SQL this is.
    fn dialect(&self) -> Dialect;
    /// Runs a statement (`$N` placeholders); the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError>;
    /// Runs a query (`$N` placeholders), giving each row to `each`.
    fn query(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Cols) -> Result<(), DbError>,
    ) -> Result<(), DbError>;
}

/// A store's connection: runs a closure in one transaction, committing when it succeeds.
pub(crate) trait Backend: Send {
    fn in_tx<T>(&mut self, f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>)
    -> Result<T, DbError>;
}

/// Every row a query gives, each mapped by `row`.
pub(crate) fn all<T>(
    tx: &mut dyn Tx,
    sql: &str,
    args: &[Arg<'_>],
    row: impl Fn(&dyn Cols) -> Result<T, DbError>,
) -> Result<Vec<T>, DbError> {
    let mut out = Vec::new();
    tx.query(sql, args, &mut |r| {
        out.push(row(r)?);
        Ok(())
    })?;
    Ok(out)
}

/// The first row a query gives, if any.
pub(crate) fn first<T>(
    tx: &mut dyn Tx,
    sql: &str,
    args: &[Arg<'_>],
    row: impl Fn(&dyn Cols) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    Ok(all(tx, sql, args, row)?.into_iter().next())
}

/// `$1, $2, ... $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts one row into `table` (every column but `id`), returning its id.
pub(crate) fn insert(
    tx: &mut dyn Tx,
    table: &str,
    columns: &str,
    args: &[Arg<'_>],
) -> Result<i64, DbError> {
    let cols = columns.trim_start_matches("id, ");
    let sql = format!(
        "INSERT INTO {table} ({cols}) VALUES ({}) RETURNING id",
        placeholders(args.len())
    );
    first(tx, &sql, args, |r| r.int(0))?.ok_or_else(|| {
        DbError::Missing(format!("the database gave no id for a new row of {table}"))
    })
}

pub(crate) fn attempt_row(r: &dyn Cols) -> Result<AttemptRow, DbError> {
    Ok(AttemptRow {
        id: r.int(0)?,
        time_utc: r.text(1)?,
        time_local: r.text(2)?,
        station: r.text(3)?,
        operator: r.text(4)?,
        reader: r.text(5)?,
        card_id: r.text(6)?,
        card_number: r.text(7)?,
        holder_hash: r.text(8)?,
        holder_ssn: r.opt_text(9)?,
        record_key: r.text(10)?,
        profile: r.text(11)?,
        fingerprint: r.text(12)?,
        result: r.text(13)?,
        reason: r.text(14)?,
        apdus: r.int(15)?,
        duration_ms: r.int(16)?,
        sscard_version: r.text(17)?,
    })
}

pub(crate) fn replacement_row(r: &dyn Cols) -> Result<ReplacementRow, DbError> {
    Ok(ReplacementRow {
        id: r.int(0)?,
        time_utc: r.text(1)?,
        time_local: r.text(2)?,
        station: r.text(3)?,
        operator: r.text(4)?,
        old_card_id: r.text(5)?,
        new_card_id: r.text(6)?,
        holder_hash: r.text(7)?,
        reason: r.text(8)?,
        applicant: r.text(9)?,
        agent_hash: r.text(10)?,
        old_card_outcome: r.text(11)?,
        sscard_version: r.text(12)?,
    })
}
