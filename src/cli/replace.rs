//! `sscard replace`: the community station's replacement job (aged, damaged, lost or expired
//! card). Parses, opens the cards and the journal, and shows each step as it happens; the job
//! itself is `sscard::replace`.

use super::Globals;
use super::journal::JournalArgs;
use super::perso::load_profile;
use anyhow::{Context, Result, bail};
use sscard::error::ErrorChain;
use sscard::perso::Station;
use sscard::replace::cards::{Slot, Slots};
use sscard::replace::{Applicant, Event, Job, Reason, ReplaceError, Request, receipt};
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER: &str = "\
Steps, each shown as it happens and each safe to repeat after an interruption (run the same
command again):
  1 old-card     diagnose the old card (read-only), read its data (skipped for a lost card)
  2 holder-data  from the old card, or --record when it is unreadable or lost; when both
                 exist and differ, stop and list the fields
  3 new-card     personalize with the holder's data and the new card's own card id and number
                 (--record, or what the manufacturer wrote), write the photo, verify, enable
  4 disable-old  disable the old card's application when it still answers
  5 record       the replacement in the journal / register (old card -> new card)

One reader for both cards: give the same reader to --old and --new; sscard asks for the old
card, the new one, then the old one again to disable it.

Exit codes: 0 replaced; 4 the operator must decide (the old card is only expired: give
--reason expired; the old card and --record differ; the holder's data is missing: give
--record); 1 anything else (the message says what and what to do).";

/// Why, for `--reason`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonArg {
    /// The chip has aged.
    Aged,
    /// The card is damaged.
    Damaged,
    /// The card is lost (no old card).
    Lost,
    /// The card has expired (it stays usable).
    Expired,
    /// Anything else.
    Other,
}

/// Who applies, for `--applicant`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicantArg {
    /// The holder in person (ID card and photo).
    Holder,
    /// An entrusted agent (the holder's ID card, the agent's ID card and the old card).
    Agent,
}

/// Arguments of `sscard replace`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER)]
pub struct Args {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// Where the card keys come from.
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// The reader of the old card (index, name, unique part of it, or `sim:IMAGE.json`).
    /// Not used with --reason lost.
    #[arg(long, value_name = "READER")]
    pub old: Option<String>,
    /// The reader of the new card (the same reader as --old: used in turn).
    #[arg(long, value_name = "READER")]
    pub new: String,
    /// Why the card is replaced.
    #[arg(long, value_enum)]
    pub reason: ReasonArg,
    /// Who applies.
    #[arg(long, value_enum, default_value = "holder")]
    pub applicant: ApplicantArg,
    /// The agent's citizen number (18 characters, from the agent's ID card); stored only as a
    /// salted hash.
    #[arg(long, value_name = "ID")]
    pub agent_id: Option<String>,
    /// The holder's record (JSON or CSV, as perso takes): the holder's data when the old card
    /// is unreadable or lost, checked against the old card otherwise; also the new card's
    /// card_id / card_number where the region assigns them.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Which record of the file (1-based), when it holds several.
    #[arg(long, value_name = "N", requires = "record")]
    pub index: Option<usize>,
    /// The new card's number (as printed on its face), when neither --record nor the card
    /// gives it.
    #[arg(long, value_name = "NUMBER")]
    pub card_number: Option<String>,
    /// Issue with --record's holder data even where the old card differs (after checking the
    /// holder's ID card).
    #[arg(long, requires = "record")]
    pub take_record: bool,
    /// The holder's photo (JPEG or PNG; resized and re-encoded as `photo write` does). Without
    /// it, the old card's photo is carried over when it can be read.
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// The lost card's identification code (32 hex digits), when known, for the register.
    #[arg(long, value_name = "HEX")]
    pub old_card_id: Option<String>,
    /// Compare the old card's expiry date with this date and issue the new card on it
    /// (YYYYMMDD) instead of today.
    #[arg(long, value_name = "YYYYMMDD")]
    pub today: Option<String>,
    /// The region checks (the new card's product on record, the profile approved).
    #[command(flatten)]
    pub issue: super::region::IssueArgs,
    /// The journal and who is issuing.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// One JSON object per step event, then the result, on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write a one-page receipt (plain text) to FILE: holder name, new card number, date,
    /// station; never the full citizen number, never a PIN.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
}

fn reason(r: ReasonArg) -> Reason {
    match r {
        ReasonArg::Aged => Reason::Aged,
        ReasonArg::Damaged => Reason::Damaged,
        ReasonArg::Lost => Reason::Lost,
        ReasonArg::Expired => Reason::Expired,
        ReasonArg::Other => Reason::Other,
    }
}

/// Runs `sscard replace`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let applicant = match (args.applicant, &args.agent_id) {
        (ApplicantArg::Holder, None) => Applicant::Holder,
        (ApplicantArg::Holder, Some(_)) => {
            bail!("--agent-id is for --applicant agent: give both, or neither")
        }
        (ApplicantArg::Agent, None) => {
            bail!("--applicant agent needs --agent-id (the agent's citizen number)")
        }
        (ApplicantArg::Agent, Some(id)) => Applicant::agent(id)?,
    };
    if let Some(t) = &args.today
        && (t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()))
    {
        bail!("--today wants a date YYYYMMDD, got '{t}'");
    }
    let reason = reason(args.reason);
    let profile = load_profile(&args.profile)?;
    let region = args.issue.region.load()?;
    let approval =
        sscard::region::check_approval(region.as_ref(), &profile, args.issue.unapproved)?;
    if let Some(line) = approval.line(&profile.meta.name)
        && !args.json
    {
        println!("{line}");
    }
    let keys = args.keys.require("replacing a card")?;
    let mut station =
        Station::new(&profile)?.with_profile_dir(&super::perso::profile_dir(&args.profile));
    if let Some(kf) = &keys.file {
        station = station.with_key_file_pin(kf);
    }
    let mut record = match &args.record {
        Some(p) => Some(load_record_loose(&station, p, args.index)?),
        None => None,
    };
    if let Some(n) = &args.card_number {
        sscard::codec::rules::check_card_number(n.trim())
            .map_err(|e| anyhow::anyhow!("--card-number {n}: {e}", e = e.chain()))?;
        let r = record
            .get_or_insert_with(|| sscard::record::HolderRecord::from_pairs("--card-number", []));
        r.fields.insert("card_number".into(), n.trim().to_string());
    }
    let photo = match &args.photo {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("--photo {}", p.display()))?),
        None => None,
    };
    let old_slot = match (&args.old, reason) {
        (_, Reason::Lost) => Slot::Sim(PathBuf::new()),
        (Some(spec), _) => Slot::parse(spec).with_context(|| format!("--old {spec}"))?,
        (None, _) => bail!(
            "--old READER is needed: the old card is read and disabled (only --reason lost goes without it)"
        ),
    };
    let new_slot = Slot::parse(&args.new).with_context(|| format!("--new {}", args.new))?;
    let mut cards = Slots::new(old_slot, new_slot, g.protocol).traced(g.trace);
    let mut journal = args.journal.open()?;
    let req = Request {
        reason,
        applicant,
        record,
        take_record: args.take_record,
        photo,
        old_card_id: args.old_card_id.clone(),
        today: args.today.clone(),
    };
    let mut job = Job {
        station: &station,
        keys: &keys.source,
        journal: &mut journal,
        region: region.as_ref(),
        allow_unlisted_product: args.issue.region.allow_unlisted_product,
    };
    let json = args.json;
    let mut show = |e: Event| show(&e, json);
    match sscard::replace::run(&mut job, &req, &mut cards, &mut show) {
        Ok(summary) => {
            if let Some(path) = &args.receipt {
                std::fs::write(path, receipt::text(&summary))
                    .with_context(|| format!("writing the receipt {}", path.display()))?;
            }
            if json {
                println!("{}", receipt::to_json(&summary));
            } else {
                println!(
                    "OK: {} has the new card {} (card id {}); the old card: {}",
                    summary.holder_name,
                    summary.new_card_number,
                    summary.new_card_id,
                    summary.old_card_outcome
                );
                if let Some(path) = &args.receipt {
                    println!("receipt  {}", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let decide = matches!(
                e,
                ReplaceError::ExpiredUsable { .. }
                    | ReplaceError::Differs(_)
                    | ReplaceError::NeedRecord { .. }
            );
            if json {
                let mut doc =
                    serde_json::json!({"result": "stopped", "error": e.chain().to_string()});
                if let (ReplaceError::Differs(d), Some(obj)) = (&e, doc.as_object_mut()) {
                    obj.insert("differences".into(), serde_json::to_value(d)?);
                }
                println!("{doc}");
            }
            if decide {
                let msg = sscard::input::plain(&e.chain().to_string());
                let mut lines = msg.lines();
                eprintln!("sscard: stopped: {}", lines.next().unwrap_or(""));
                for l in lines {
                    eprintln!("  {}", l.trim());
                }
                return Ok(ExitCode::from(4));
            }
            Err(e.into())
        }
    }
}

/// The record: validated field by field as perso does, except the new card's own fields
/// (card id and number may come from the new card, the issue date is today), which are
/// checked once the new card is known.
fn load_record_loose(
    station: &Station<'_>,
    path: &std::path::Path,
    index: Option<usize>,
) -> Result<sscard::record::HolderRecord> {
    let records = sscard::record::load_records(path)?;
    let stand_in = |r: &sscard::record::HolderRecord| {
        let mut c = r.clone();
        for (field, value) in [
            ("card_id", sscard::batch::STAND_IN_CARD_ID),
            ("card_number", "A00000003"),
            ("issue_date", "20250101"),
        ] {
            if c.get(field).is_none() {
                c.fields.insert(field.into(), value.into());
            }
        }
        c.apply_defaults();
        c
    };
    let holder_field = station.app.identity_field.clone();
    let problems: Vec<String> = records
        .iter()
        .filter(|r| r.get(&holder_field).is_some())
        .filter_map(|r| {
            station
                .encode(&stand_in(r))
                .err()
                .map(|e| e.chain().to_string())
        })
        .collect();
    super::perso::pick_record(records, &problems, path, index, "the holder's")
}

fn show(e: &Event, json: bool) {
    use serde_json::json;
    if json {
        let v = match e {
            Event::Prompt { text } => json!({"event": "prompt", "text": text}),
            Event::Begin { step, text } => {
                json!({"event": "begin", "step": step.as_str(), "n": step.number(), "text": text})
            }
            Event::Done { step, text } => {
                json!({"event": "done", "step": step.as_str(), "n": step.number(), "text": text})
            }
            Event::Note { step, text } => {
                json!({"event": "note", "step": step.as_str(), "n": step.number(), "text": text})
            }
        };
        println!("{v}");
        return;
    }
    match e {
        Event::Prompt { text } => println!(">> {text}"),
        Event::Begin { step, text } => {
            println!("[{}/5] {:<12} {text} ...", step.number(), step.as_str())
        }
        Event::Done { step, text } => {
            println!("[{}/5] {:<12} {text}", step.number(), step.as_str())
        }
        Event::Note { step, text } => {
            println!("[{}/5] {:<12} note: {text}", step.number(), step.as_str())
        }
    }
}
