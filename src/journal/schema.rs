//! The journal's schema, one list of versioned migrations for both stores. The version reached
//! is kept in the journal itself (`meta.schema_version`); a journal written by a newer sscard is
//! refused rather than misread.

/// The SQL dialect a migration is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The newest schema version this sscard writes.
pub(crate) const VERSION: i64 = 1;

/// The statements that bring a journal from `version - 1` to `version`, for `version` in
/// 1..=VERSION.
pub(crate) fn migration(version: i64, d: Dialect) -> Vec<String> {
    let id = match d {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    };
    match version {
        1 => vec![
            format!(
                "CREATE TABLE attempts (
                    id {id},
                    time_utc TEXT NOT NULL,
                    time_local TEXT NOT NULL,
                    station TEXT NOT NULL,
                    operator TEXT NOT NULL,
                    reader TEXT NOT NULL,
                    card_id TEXT NOT NULL,
                    card_number TEXT NOT NULL,
                    holder_hash TEXT NOT NULL,
                    holder_ssn TEXT,
                    record_key TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    result TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    apdus BIGINT NOT NULL,
                    duration_ms BIGINT NOT NULL,
                    sscard_version TEXT NOT NULL)"
            ),
            "CREATE INDEX attempts_card ON attempts (card_id)".into(),
            "CREATE INDEX attempts_record ON attempts (record_key)".into(),
            // One row per record ever claimed: the uniqueness that makes a record issued once.
            "CREATE TABLE claims (
                record_key TEXT PRIMARY KEY,
                state TEXT NOT NULL CHECK (state IN ('claimed', 'issued')),
                owner TEXT NOT NULL,
                station TEXT NOT NULL,
                card_id TEXT NOT NULL,
                since_unix BIGINT NOT NULL)"
                .into(),
            // One row per card: found in one query when a card is reported lost.
            "CREATE TABLE cards (
                card_id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                card_number TEXT NOT NULL,
                holder_hash TEXT NOT NULL,
                station TEXT NOT NULL,
                time_utc TEXT NOT NULL,
                note TEXT NOT NULL)"
                .into(),
            format!(
                "CREATE TABLE replacements (
                    id {id},
                    time_utc TEXT NOT NULL,
                    time_local TEXT NOT NULL,
                    station TEXT NOT NULL,
                    operator TEXT NOT NULL,
                    old_card_id TEXT NOT NULL,
                    new_card_id TEXT NOT NULL,
                    holder_hash TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    applicant TEXT NOT NULL,
                    agent_hash TEXT NOT NULL,
                    old_card_outcome TEXT NOT NULL,
                    sscard_version TEXT NOT NULL)"
            ),
        ],
        _ => Vec::new(),
    }
}

/// The columns of `attempts` in the order the stores read them.
pub(crate) const ATTEMPT_COLUMNS: &str = "id, time_utc, time_local, station, operator, reader, \
    card_id, card_number, holder_hash, holder_ssn, record_key, profile, fingerprint, result, \
    reason, apdus, duration_ms, sscard_version";

/// The columns of `replacements` in the order the stores read them.
pub(crate) const REPLACEMENT_COLUMNS: &str = "id, time_utc, time_local, station, operator, \
    old_card_id, new_card_id, holder_hash, reason, applicant, agent_hash, old_card_outcome, \
    sscard_version";

/// The columns of `cards` in the order the stores read them.
pub(crate) const CARD_COLUMNS: &str =
    "card_id, state, card_number, holder_hash, station, time_utc, note";

/// The version of sscard written into rows: version, git commit and build date
/// (`0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-29)`), so a register can tell which build issued
/// a card.
pub(crate) fn sscard_version() -> &'static str {
    crate::version::LONG
}
