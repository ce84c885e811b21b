//! `sscard batch`: personalize a list of records over one or more readers, unattended, with a
//! journal that makes every record issued exactly once (and a re-run resume).

use super::Globals;
use super::journal::JournalArgs;
use super::perso::load_profile;
use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sscard::batch::{self, Event, Job, STAND_IN_CARD_ID, source};
use sscard::error::ErrorChain;
use sscard::perso::Station;
use sscard::record::{HolderRecord, load_records};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Arguments of `sscard batch`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile the cards were initialised with: a name (`ssc-3.00`, see
    /// `sscard profile list`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// Where the card keys come from (one PSAM or HSM serves every reader).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// The holders' records: JSON (a list, or one object per line) or CSV. A record without
    /// `card_id` (or `card_number`) takes the one the manufacturer wrote on the card.
    #[arg(long, value_name = "FILE")]
    pub records: PathBuf,
    /// The readers, comma-separated: PC/SC reader names, indexes or unique parts of names, or
    /// `feed:DIR` for a virtual card feeder (the blank images of DIR, one after another).
    #[arg(long, value_name = "SPEC,...", value_delimiter = ',', required = true)]
    pub readers: Vec<String>,
    /// The journal and who is issuing.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// One JSON object per event on stdout instead of the progress display.
    #[arg(long)]
    pub json: bool,
}

/// Loads and validates every record (all problems before any card is touched); refuses a list
/// with the same holder twice.
fn load_all(station: &Station<'_>, args: &Args) -> Result<Vec<HolderRecord>> {
    let records = load_records(&args.records)?;
    if records.is_empty() {
        bail!(
            "{} holds no record: nothing to issue",
            args.records.display()
        );
    }
    let mut problems = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for r in &records {
        let mut check = r.clone();
        if check.get("card_id").is_none() {
            check
                .fields
                .insert("card_id".into(), STAND_IN_CARD_ID.into());
        }
        if check.get("card_number").is_none() {
            check
                .fields
                .insert("card_number".into(), "A00000003".into());
        }
        if let Err(e) = station.encode(&check) {
            problems.push(e.chain().to_string());
        }
        let who = r.get(&station.app.identity_field).unwrap_or("").to_string();
        if let Some(first) = seen.insert(who.clone(), r.source.to_string()) {
            problems.push(format!(
                "{}: the same holder ({who}) as {first}: one card per holder in a batch",
                r.source
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} problem(s) in {} ({} records); no card was touched:\n{}",
            problems.len(),
            args.records.display(),
            records.len(),
            problems.join("\n")
        );
    }
    Ok(records)
}

/// Runs `sscard batch`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.profile)?;
    let keys = args.keys.require("a batch")?;
    let dir = super::perso::profile_dir(&args.profile);
    let mut station = Station::new(&profile)?.with_profile_dir(&dir);
    if let Some(kf) = &keys.file {
        station = station.with_key_file_pin(kf);
    }
    let records = load_all(&station, &args)?;
    let total = records.len();
    let sources = args
        .readers
        .iter()
        .map(|spec| source::parse(spec, g.protocol).with_context(|| format!("--readers {spec}")))
        .collect::<Result<Vec<_>>>()?;
    let journal = Mutex::new(args.journal.open()?);
    let fp = sscard::profile::fingerprint::fingerprint(&profile);
    let job = Job {
        station: &station,
        profile: (profile.meta.name.clone(), format!("sha256:{}", fp.sha256)),
        records,
        keys: &keys.source,
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                eprintln!("sscard batch: stopping now");
                std::process::exit(130);
            }
            eprintln!(
                "sscard batch: finishing the cards in progress, then stopping (Ctrl-C again to stop at once)"
            );
        });
    }
    let display = Display::new(&args, total);
    let summary = batch::run(&job, sources, &journal, &stop, &|e| display.event(&e))?;
    display.finish();
    println!(
        "batch: {} issued, {} refused, {} failed; records: {} pending, {} torn, {} issued before or elsewhere (of {total})",
        summary.issued,
        summary.refused,
        summary.failed,
        summary.pending,
        summary.torn,
        summary.elsewhere
    );
    for e in &summary.reader_errors {
        eprintln!("reader error: {e}");
    }
    if summary.torn > 0 {
        println!(
            "{} record(s) are on cards torn mid-way: put those cards back and run the same command again",
            summary.torn
        );
    }
    if stop.load(Ordering::SeqCst) {
        println!("stopped on request: run the same command again to go on");
    }
    let done = summary.pending == 0 && summary.torn == 0 && summary.reader_errors.is_empty();
    Ok(if done {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// The progress display: bars on a terminal, plain lines otherwise, JSON events with `--json`.
struct Display {
    json: bool,
    multi: Option<MultiProgress>,
    total: Option<ProgressBar>,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Display {
    fn new(args: &Args, total: usize) -> Self {
        let tty = std::io::stdout().is_terminal() && !args.json;
        if !tty {
            return Display {
                json: args.json,
                multi: None,
                total: None,
                bars: Mutex::new(BTreeMap::new()),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let bar = multi.add(ProgressBar::new(total as u64));
        bar.set_style(
            ProgressStyle::with_template(
                "total  [{bar:30}] {pos}/{len} cards, {per_sec} ({eta} left) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Display {
            json: false,
            multi: Some(multi),
            total: Some(bar),
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    fn reader_bar(&self, reader: &str) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        let mut bars = self.bars.lock().ok()?;
        Some(
            bars.entry(reader.to_string())
                .or_insert_with(|| {
                    let b = multi.add(ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("{prefix:>24} {pos} cards  {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    b.set_prefix(reader.to_string());
                    b
                })
                .clone(),
        )
    }

    fn event(&self, e: &Event) {
        if self.json {
            println!("{}", json_event(e));
            return;
        }
        let line = plain(e);
        match (self.reader_bar(reader_of(e)), &self.total) {
            (Some(bar), Some(total)) => {
                if let Event::Card { result, .. } = e
                    && result.is_issued()
                {
                    bar.inc(1);
                    total.inc(1);
                }
                bar.set_message(line);
            }
            _ => println!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(t) = &self.total {
            t.finish();
        }
        if let Ok(bars) = self.bars.lock() {
            for b in bars.values() {
                b.finish();
            }
        }
    }
}

fn reader_of(e: &Event) -> &str {
    match e {
        Event::Waiting { reader }
        | Event::Started { reader, .. }
        | Event::Card { reader, .. }
        | Event::Skipped { reader, .. }
        | Event::RemoveCard { reader }
        | Event::Stopped { reader, .. } => reader,
    }
}

fn plain(e: &Event) -> String {
    match e {
        Event::Waiting { reader } => format!("{reader}: waiting for a card"),
        Event::Started { reader, record } => format!("{reader}: issuing {record}"),
        Event::Card {
            reader,
            record,
            result,
            card_id,
            card_number,
            reason,
            apdus,
            ms,
            ..
        } => format!(
            "{reader}: {result} card {} {} {}{} ({apdus} APDUs, {ms} ms)",
            if card_id.is_empty() { "?" } else { card_id },
            if card_number.is_empty() {
                "?"
            } else {
                card_number
            },
            record.as_deref().unwrap_or(""),
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            }
        ),
        Event::Skipped { reader, reason } => format!("{reader}: {reason}"),
        Event::RemoveCard { reader } => format!("{reader}: take the card out"),
        Event::Stopped { reader, why } => format!("{reader}: stopped ({why})"),
    }
}

fn json_event(e: &Event) -> serde_json::Value {
    use serde_json::json;
    match e {
        Event::Waiting { reader } => json!({"event": "waiting", "reader": reader}),
        Event::Started { reader, record } => {
            json!({"event": "started", "reader": reader, "record": record})
        }
        Event::Card {
            reader,
            record,
            result,
            card_id,
            card_number,
            reason,
            apdus,
            ms,
            journal_us,
        } => json!({"event": "card", "reader": reader, "record": record, "result": result.as_str(),
                    "card_id": card_id, "card_number": card_number, "reason": reason,
                    "apdus": apdus, "ms": ms, "journal_us": journal_us}),
        Event::Skipped { reader, reason } => {
            json!({"event": "skipped", "reader": reader, "reason": reason})
        }
        Event::RemoveCard { reader } => json!({"event": "remove-card", "reader": reader}),
        Event::Stopped { reader, why } => json!({"event": "stopped", "reader": reader, "why": why}),
    }
}
