//! The city-wide register on PostgreSQL: the same schema and rules as the SQLite journal
//! ([`super::sql`]), shared by many stations at once. A record is claimed inside a transaction
//! that locks its row (or inserts it, where the primary key makes a second insert lose), so two
//! stations never issue the same record. This is the PostgreSQL connection underneath.

use super::db::{Arg, Backend, Cols, DbError, Tx};
use super::schema::Dialect;
use super::sql::SqlStore;
use super::{JournalError, redact_url};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Transaction};

/// The PostgreSQL connection of a register.
pub(crate) struct PgDb {
    client: Client,
}

/// Connects to the register and brings its schema up to date.
pub(crate) fn open(url: &str) -> Result<SqlStore<PgDb>, JournalError> {
    let shown = redact_url(url);
    let client = Client::connect(url, NoTls).map_err(|source| JournalError::Postgres {
        url: shown.clone(),
        what:
            "cannot connect (is the server running, and are the address, user and database right?)"
                .into(),
        source,
    })?;
    SqlStore::open(PgDb { client }, &shown)
}

impl Backend for PgDb {
    fn in_tx<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut tx = self.client.transaction()?;
        let out = f(&mut PgTx(&mut tx))?;
        tx.commit()?;
        Ok(out)
    }
}

struct PgTx<'a, 'b>(&'a mut Transaction<'b>);

fn pg_args<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter()
        .map(|a| -> &(dyn ToSql + Sync) {
            match a {
                Arg::Text(s) => s,
                Arg::OptText(o) => o,
                Arg::Int(i) => i,
            }
        })
        .collect()
}

impl Tx for PgTx<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        if args.is_empty() {
            // Schema statements: no parameters, so no prepared statement either.
            self.0.batch_execute(sql)?;
            return Ok(0);
        }
        Ok(self.0.execute(sql, &pg_args(args))?)
    }

    fn query(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Cols) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        for r in self.0.query(sql, &pg_args(args))? {
            each(&r)?;
        }
        Ok(())
    }
}

impl Cols for postgres::Row {
    fn text(&self, i: usize) -> Result<String, DbError> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, DbError> {
        Ok(self.try_get(i)?)
    }
}
