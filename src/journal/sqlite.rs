//! The embedded journal: one SQLite file per station, WAL mode, shared safely by the station's
//! processes (every change is one `BEGIN IMMEDIATE` transaction; a busy file is waited for).
//! What is stored and how is [`super::sql`]'s, the same as on PostgreSQL; this is the SQLite
//! connection underneath.

use super::JournalError;
use super::db::{Arg, Backend, Cols, DbError, Tx};
use super::schema::Dialect;
use super::sql::SqlStore;
use rusqlite::types::{Null, ToSqlOutput};
use rusqlite::{Connection, TransactionBehavior, params_from_iter};
use std::time::Duration;

/// The SQLite connection of a journal.
pub(crate) struct SqliteDb {
    conn: Connection,
}

/// Opens the journal file (creating it), in WAL mode with synchronous writes.
pub(crate) fn open(path: &str) -> Result<SqlStore<SqliteDb>, JournalError> {
    let err = |what: &str| {
        let url = path.to_string();
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
    SqlStore::open(SqliteDb { conn }, path)
}

impl Backend for SqliteDb {
    fn in_tx<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

struct SqliteTx<'a>(&'a Connection);

/// PostgreSQL's `$1` placeholders as SQLite's `?1`.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        let n = self.0.execute(&sqlite_sql(sql), params_from_iter(args))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn query(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Cols) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let mut stmt = self.0.prepare(&sqlite_sql(sql))?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            each(r)?;
        }
        Ok(())
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Arg::Text(s) | Arg::OptText(Some(s)) => ToSqlOutput::from(s),
            Arg::OptText(None) => ToSqlOutput::from(Null),
            Arg::Int(i) => ToSqlOutput::from(i),
        })
    }
}

impl Cols for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, DbError> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, DbError> {
        Ok(self.get(i)?)
    }
}
