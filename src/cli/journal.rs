//! `sscard journal show|export|stats|lost|card`: the station's issuance journal or the city's
//! register, for the operator and the back office.

use super::Globals;
use anyhow::{Context, Result};
use sscard::journal::{AttemptFilter, AttemptRow, CardState, Journal, Station};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the journal is and who is writing: shared by every command that journals.
#[derive(clap::Args, Debug, Clone)]
pub struct JournalArgs {
    /// The journal: a SQLite file (`station.db`, `sqlite:station.db`) or a city register
    /// (`postgres://user@host:port/db`; put the password in ~/.pgpass or PGPASSWORD, not here).
    #[arg(long, value_name = "URL", env = "SSCARD_JOURNAL")]
    pub journal: String,
    /// This station's id, written into every row.
    #[arg(
        long,
        value_name = "ID",
        env = "SSCARD_STATION",
        default_value = "station"
    )]
    pub station: String,
    /// The operator, written into every row.
    #[arg(
        long,
        value_name = "NAME",
        env = "SSCARD_OPERATOR",
        default_value = "operator"
    )]
    pub operator: String,
    /// Also store the citizen number in clear (by default only a salted hash is stored).
    #[arg(long)]
    pub journal_holder_data: bool,
}

impl JournalArgs {
    /// Opens the journal for this station.
    pub fn open(&self) -> Result<Journal> {
        let mut st = Station::new(&self.station, &self.operator);
        st.store_holder_data = self.journal_holder_data;
        Journal::open(&self.journal, st).context("opening the issuance journal")
    }
}

/// `sscard journal ...`
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List attempts (newest last).
    Show(ShowArgs),
    /// Export attempts as CSV for the back office (to stdout or --out).
    Export(ExportArgs),
    /// Counts by result and by reader.
    Stats(StatsArgs),
    /// Mark a card as reported lost (by its card identification code).
    Lost(LostArgs),
    /// What the register knows about one card.
    Card(LostArgs),
}

/// Arguments of `journal show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The journal.
    #[command(flatten)]
    pub j: JournalArgs,
    /// Only this card (card identification code).
    #[arg(long, value_name = "CARD_ID")]
    pub card: Option<String>,
    /// Only this result (issued, resumed, already-done, refused, failed).
    #[arg(long)]
    pub result: Option<String>,
    /// Only the newest N (0 = all).
    #[arg(long, default_value_t = 50)]
    pub last: usize,
}

/// Arguments of `journal export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The journal.
    #[command(flatten)]
    pub j: JournalArgs,
    /// Write the CSV here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `journal stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The journal.
    #[command(flatten)]
    pub j: JournalArgs,
}

/// Arguments of `journal lost` and `journal card`.
#[derive(clap::Args, Debug)]
pub struct LostArgs {
    /// The journal.
    #[command(flatten)]
    pub j: JournalArgs,
    /// The card identification code (32 hex digits).
    #[arg(value_name = "CARD_ID")]
    pub card_id: String,
    /// A note (who reported it, where).
    #[arg(long, default_value = "")]
    pub note: String,
}

/// Runs `sscard journal ...`.
pub fn run(c: Command, _g: &Globals) -> Result<ExitCode> {
    match c {
        Command::Show(a) => {
            let mut j = a.j.open()?;
            let rows = j.attempts(&AttemptFilter {
                card_id: a.card,
                result: a.result,
                station: None,
                limit: a.last,
            })?;
            if rows.is_empty() {
                println!("no attempts in {}", j.url());
            }
            for r in &rows {
                println!("{}", show_line(r));
            }
        }
        Command::Export(a) => {
            let mut j = a.j.open()?;
            let rows = j.attempts(&AttemptFilter::default())?;
            let mut out: Box<dyn Write> = match &a.out {
                Some(p) => Box::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            write_csv(&mut out, &rows).context("writing the CSV export")?;
            if let Some(p) = &a.out {
                eprintln!("exported {} attempts to {}", rows.len(), p.display());
            }
        }
        Command::Stats(a) => {
            let mut j = a.j.open()?;
            let s = j.stats()?;
            println!("journal  {}", j.url());
            println!("attempts {}", s.attempts);
            println!("cards issued {}", s.cards_issued);
            for (result, n) in &s.by_result {
                println!("  {result:<13} {n}");
            }
            for (reader, by) in &s.by_reader {
                let parts: Vec<String> = by.iter().map(|(r, n)| format!("{r} {n}")).collect();
                println!("reader {reader}: {}", parts.join(", "));
            }
        }
        Command::Lost(a) => {
            let card = checked_card_id(&a.card_id)?;
            let mut j = a.j.open()?;
            let note = if a.note.is_empty() {
                "reported lost".to_string()
            } else {
                a.note.clone()
            };
            let known = j.set_card_state(&card, CardState::Lost, &note)?;
            if known {
                println!("card {card} marked lost in {}", j.url());
            } else {
                println!(
                    "card {card} marked lost in {} (it was not issued through this journal: check the card id)",
                    j.url()
                );
            }
        }
        Command::Card(a) => {
            let card = checked_card_id(&a.card_id)?;
            let mut j = a.j.open()?;
            match j.card(&card)? {
                Some(e) => println!(
                    "card {} {} (card number {}, station {}, since {}){}",
                    e.card_id,
                    e.state,
                    if e.card_number.is_empty() {
                        "?"
                    } else {
                        &e.card_number
                    },
                    if e.station.is_empty() {
                        "?"
                    } else {
                        &e.station
                    },
                    e.time_utc,
                    if e.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", e.note)
                    }
                ),
                None => {
                    println!("card {card} is not in {}", j.url());
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn checked_card_id(s: &str) -> Result<String> {
    let t = s.trim().to_ascii_uppercase();
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!(
            "{s:?} is not a card identification code: it has 32 hex digits (region code + D156000005 + 16 more), as `sscard read` shows in EF05 01"
        );
    }
    Ok(t)
}

fn show_line(r: &AttemptRow) -> String {
    format!(
        "{} {} {} reader {} card {} {} {}{} ({} APDUs, {} ms)",
        r.time_local,
        r.station,
        r.operator,
        r.reader,
        if r.card_id.is_empty() {
            "?"
        } else {
            &r.card_id
        },
        if r.card_number.is_empty() {
            "?"
        } else {
            &r.card_number
        },
        r.result,
        if r.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", r.reason)
        },
        r.apdus,
        r.duration_ms
    )
}

/// Writes attempts as RFC 4180 CSV with a header.
fn write_csv(out: &mut dyn Write, rows: &[AttemptRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "time_utc",
        "time_local",
        "station",
        "operator",
        "reader",
        "card_id",
        "card_number",
        "holder_hash",
        "holder_ssn",
        "profile",
        "fingerprint",
        "result",
        "reason",
        "apdus",
        "duration_ms",
        "sscard_version",
    ])?;
    for r in rows {
        w.write_record([
            r.id.to_string().as_str(),
            &r.time_utc,
            &r.time_local,
            &r.station,
            &r.operator,
            &r.reader,
            &r.card_id,
            &r.card_number,
            &r.holder_hash,
            r.holder_ssn.as_deref().unwrap_or(""),
            &r.profile,
            &r.fingerprint,
            &r.result,
            &r.reason,
            r.apdus.to_string().as_str(),
            r.duration_ms.to_string().as_str(),
            &r.sscard_version,
        ])?;
    }
    w.flush()?;
    Ok(())
}
