//! `sscard perso`: personalize a card with a holder's record, verify it and enable it.
//! Also the helpers the station commands (`verify`, `enable`, `disable`, `read`, `pin`) share.

use super::Globals;
use anyhow::{Context, Result, bail};
use sscard::error::ErrorChain;
use sscard::perso::{JobError, Outcome, PlanOptions, Report, RunOptions, Station};
use sscard::profile::Profile;
use sscard::record::{HolderRecord, load_records};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The profile and holder's record options `perso`, `verify` and `enable` share.
#[derive(clap::Args, Debug)]
pub struct HolderArgs {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file, the one the card was initialised with.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// The holder's record: JSON (one object or a list) or CSV (header line of field names).
    #[arg(long, value_name = "FILE")]
    pub record: PathBuf,
    /// Which record of the file (1-based), when it holds several.
    #[arg(long, value_name = "N")]
    pub index: Option<usize>,
}

impl HolderArgs {
    /// The profile's folder, against which its relative paths (the enable command list)
    /// resolve: the folder of the file, found by name or given as a path.
    pub fn profile_dir(&self) -> PathBuf {
        profile_dir(&self.profile)
    }
}

/// Arguments of `sscard perso`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile and the holder's record.
    #[command(flatten)]
    pub holder: HolderArgs,
    /// Where the card keys come from (needed unless --dry-run).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// Print the plan (steps, APDUs with secrets masked, counts) and touch no card.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite a card that holds another person's data, or re-personalize an enabled one.
    #[arg(long)]
    pub force: bool,
    /// The region checks (products on record, approved profiles).
    #[command(flatten)]
    pub issue: super::region::IssueArgs,
}

/// The folder of a `--profile` argument (a name is found through the profile folders), against
/// which the profile's relative paths (the enable command list) resolve.
pub(super) fn profile_dir(arg: &Path) -> PathBuf {
    sscard::profile::locate(arg).map_or_else(
        |_| arg.parent().unwrap_or(Path::new(".")).to_path_buf(),
        |f| f.dir(),
    )
}

/// Loads the profile, by name (`ssc-3.00`) or path.
pub(super) fn load_profile(path: &Path) -> Result<Profile> {
    Ok(sscard::profile::locate(path)?.load()?)
}

/// Loads every record of a file, validates all of them against the profile (every problem of
/// every record reported before anything is sent), and returns the chosen one.
pub(super) fn load_record(
    station: &Station<'_>,
    path: &Path,
    index: Option<usize>,
) -> Result<HolderRecord> {
    let records = load_records(path)?;
    let problems: Vec<String> = records
        .iter()
        .filter_map(|r| station.encode(r).err().map(|e| e.chain().to_string()))
        .collect();
    pick_record(records, &problems, path, index, "the one for this card")
}

/// The record chosen by `--index` (or the only one) of the records loaded from `path`, after
/// their validation `problems` (all of them reported at once, before anything is sent).
/// `whose` completes "choose ... with --index N" when the file holds several.
pub(super) fn pick_record(
    records: Vec<HolderRecord>,
    problems: &[String],
    path: &Path,
    index: Option<usize>,
    whose: &str,
) -> Result<HolderRecord> {
    if !problems.is_empty() {
        bail!(
            "{} of {} record(s) in {} are not valid:\n{}",
            problems.len(),
            records.len(),
            path.display(),
            problems.join("\n")
        );
    }
    let n = records.len();
    match index {
        Some(i) => records.into_iter().nth(i.wrapping_sub(1)).with_context(|| {
            format!(
                "{} holds {n} record(s); --index {i} is not one of them",
                path.display()
            )
        }),
        None if n == 1 => records.into_iter().next().context("no record"),
        None => bail!(
            "{} holds {n} records: choose {whose} with --index N (1 to {n})",
            path.display()
        ),
    }
}

/// What the keys of a read-only command are diversified by: the card identification code from
/// `--card-id` or from a record (`--record`); none when neither is given.
pub(super) fn factor_values(
    station: &Station<'_>,
    record: Option<&Path>,
    card_id: Option<&str>,
) -> Result<Vec<sscard::perso::Encoded>> {
    if let Some(id) = card_id {
        let el = station
            .app
            .element("card_id")
            .context("--card-id: the profile has no card_id element")?;
        let e = sscard::perso::encode::element(station.profile, "card_id")
            .context("--card-id: the profile has no card_id element")?;
        let value = e.encode(id.trim()).context("--card-id")?;
        return Ok(vec![sscard::perso::Encoded {
            el: el.clone(),
            value,
        }]);
    }
    match record {
        Some(p) => Ok(station.encode(&load_record(station, p, None)?)?),
        None => Ok(Vec::new()),
    }
}

/// Prints a report in the operator's words.
pub(super) fn print_report(card: &str, record: &HolderRecord, r: &Report) {
    let who = format!(
        "{} {}",
        record.get("name").unwrap_or("?"),
        record.get("ssn").unwrap_or("?")
    );
    let what = match r.outcome {
        Outcome::Personalized => "personalized",
        Outcome::Resumed => "personalized (finished an interrupted run)",
        Outcome::AlreadyDone => "already personalized and enabled for this holder: nothing written",
        Outcome::Overwritten => "personalized (previous holder's data overwritten, --force)",
        Outcome::Verified => "verified",
    };
    println!("card     {card}");
    println!("holder   {who}");
    println!("result   {what}");
    println!(
        "elements {} written, {} verified byte for byte",
        r.written, r.verified
    );
    println!(
        "state    {}",
        if r.enabled { "ENABLED" } else { "not enabled" }
    );
    println!(
        "traffic  {} APDUs, {} bytes out, {} bytes in",
        r.stats.apdus, r.stats.bytes_out, r.stats.bytes_in
    );
}

/// Runs `sscard perso`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.holder.profile)?;
    let mut station = Station::new(&profile)?.with_profile_dir(&args.holder.profile_dir());
    if let Some(kf) = args.keys.key_file()? {
        station = station.with_key_file_pin(&kf);
    }
    let record = load_record(&station, &args.holder.record, args.holder.index)?;
    let values = station.encode(&record)?;
    let plan = station.plan(&values, PlanOptions::default())?;
    if args.dry_run {
        println!(
            "plan for {} on profile {}:",
            record.source, profile.meta.name
        );
        print!("{}", plan.render());
        return Ok(ExitCode::SUCCESS);
    }
    if !args.keys.given()? {
        bail!(
            "--keys KEYS.toml is needed to personalize (or --psam READER, or --pkcs11 MODULE.so --token LABEL; or use --dry-run)"
        );
    }
    let keys = args.keys.require("personalizing")?;
    let region = args.issue.region.load()?;
    args.issue.check_approval(region.as_ref(), &profile)?;
    let mut card = super::common::open_card_with(g, true)?;
    let name = card.name();
    if let Err(e) = args
        .issue
        .region
        .check_and_say(region.as_ref(), &card.atr())
    {
        let _ = card.close();
        return Err(e.context(format!("nothing written to the card on {name}")));
    }
    let result = station.run_plan_from(
        card.as_mut(),
        &plan,
        &values,
        Some(&keys.source),
        RunOptions { force: args.force },
    );
    let _ = card.close();
    match result {
        Ok(r) => {
            print_report(&name, &record, &r);
            println!("OK: the card is good: hand it over");
            Ok(ExitCode::SUCCESS)
        }
        Err(JobError::Run(e)) => {
            Err(e).context(format!("personalizing {} on {name}", record.source))
        }
        Err(e) => Err(e.into()),
    }
}
