//! `sscard init`: build a profile's file structure on a blank card (manufacturer step).

use super::Globals;
use anyhow::Context as _;
use sscard::error::ErrorChain;
use sscard::init;
use sscard::init::resume::Found;
use sscard::profile::keys::{Factors, KeyFile};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sscard init`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file to build.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// Key file with the master keys (default: test-keys.toml next to the profile, the
    /// synthetic test keys: for test cards only).
    #[arg(long, value_name = "KEYFILE")]
    pub keys: Option<PathBuf>,
    /// The card identification code (32 hex digits: region + D156000005 + 16 hex), for keys
    /// diversified by it.
    #[arg(long, value_name = "HEX")]
    pub card_id: Option<String>,
    /// ATR of the card in a dry run (hex), for keys diversified by the ATR or its historical
    /// bytes.
    #[arg(long, value_name = "HEX")]
    pub atr: Option<String>,
    /// Print the APDUs (keys and PINs masked) with their count and size; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the card identification code (--card-id) into the card's EF05 (record 01),
    /// as a manufacturer does, so stations read it from the card (`sscard batch`).
    #[arg(long, requires = "card_id")]
    pub write_card_id: bool,
    /// Do not read the structure back after building it.
    #[arg(long)]
    pub no_verify: bool,
    /// The region checks (products on record, approved profiles).
    #[command(flatten)]
    pub issue: super::region::IssueArgs,
}

fn historical(atr: &[u8]) -> anyhow::Result<Vec<u8>> {
    let a = sscard::atr::Atr::parse(atr)
        .with_context(|| format!("the ATR {} is malformed", sscard::apdu::spaced(atr)))?;
    Ok(a.historical.bytes)
}

/// Runs `sscard init`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let profile = super::profile::load(&args.profile)?;
    let needs_keys = !profile.all_keys().is_empty();
    let key_path = match &args.keys {
        Some(k) => k.clone(),
        None if !needs_keys => PathBuf::new(),
        None => {
            let p = args
                .profile
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("test-keys.toml");
            eprintln!(
                "sscard: using the synthetic test keys {} (--keys to choose): test cards only",
                p.display()
            );
            p
        }
    };
    let keys = if key_path.as_os_str().is_empty() {
        KeyFile::empty()
    } else {
        KeyFile::load(&key_path)?
    };
    if let Err(errs) = keys.check(&profile) {
        for e in &errs {
            eprintln!("sscard: {e}", e = e.chain());
        }
        anyhow::bail!(
            "the key file {} lacks {} key(s) the profile needs (listed above)",
            key_path.display(),
            errs.len()
        );
    }
    let mut factors = Factors::default();
    if let Some(id) = &args.card_id {
        let id = id.trim();
        sscard::codec::rules::check_card_id(id)
            .with_context(|| format!("--card-id {id} is not a card identification code"))?;
        factors.card_id = Some(sscard::apdu::parse_hex(id)?);
    }
    if args.dry_run {
        if let Some(a) = &args.atr {
            let atr = sscard::apdu::parse_hex(a)?;
            factors.atr_historical = Some(historical(&atr)?);
            factors.atr = Some(atr);
        }
        let plan = init::init_plan(&profile, &keys, &factors)?;
        let from = if needs_keys {
            format!(", keys from {}", key_path.display())
        } else {
            String::new()
        };
        println!(
            "init plan for profile {} ({}){from}",
            profile.meta.name,
            args.profile.display()
        );
        print!("{}", plan.render());
        return Ok(ExitCode::SUCCESS);
    }
    let region = args.issue.region.load()?;
    args.issue.check_approval(region.as_ref(), &profile)?;
    let mut t = super::common::open_card_with(g, true)?;
    let reader = t.name();
    if let Err(e) = args.issue.region.check_and_say(region.as_ref(), &t.atr()) {
        let _ = t.close();
        return Err(e.context(format!("the card in '{reader}' is not initialised")));
    }
    if factors.atr_historical.is_none() {
        factors.atr_historical = historical(&t.atr()).ok();
        factors.atr = Some(t.atr());
    }
    let resume = match sscard::init::resume::resume_plan(&profile, &keys, &factors, &mut *t) {
        Ok(r) => r,
        Err(e) => {
            let _ = t.close();
            return Err(anyhow::Error::new(e).context(format!(
                "cannot build profile {} on the card in '{reader}'",
                profile.meta.name
            )));
        }
    };
    let plan = &resume.plan;
    match resume.found {
        Found::Complete => println!(
            "the card in '{reader}' already holds profile {}, initialisation closed: nothing to do",
            profile.meta.name
        ),
        Found::Partial { files, total, redo } => println!(
            "resuming an interrupted init: {files} of {total} files already built{}",
            if redo > 0 {
                format!(", {redo} incomplete EF(s) deleted and created again")
            } else {
                String::new()
            }
        ),
        Found::Blank => {}
    }
    if let Err(e) = init::run(plan, &mut *t) {
        let msg = format!(
            "building profile {} on the card in '{reader}' stopped",
            profile.meta.name
        );
        let _ = t.close();
        return Err(anyhow::Error::new(e).context(msg));
    }
    if resume.found != Found::Complete {
        println!(
            "built profile {} on '{reader}': {} APDUs, {} bytes",
            profile.meta.name,
            plan.apdu_count(),
            plan.byte_count()
        );
    }
    let mut code = ExitCode::SUCCESS;
    if !args.no_verify {
        let diffs = init::verify_structure(&profile, &mut *t)
            .with_context(|| format!("reading the structure back from '{reader}' failed"))?;
        if diffs.is_empty() {
            let files: usize = profile
                .dfs()
                .iter()
                .map(|p| p.last().map_or(0, |d| d.efs.len() + 1))
                .sum::<usize>()
                .saturating_sub(1);
            println!("read back: the FCP of all {files} created files matches the profile");
        } else {
            for d in &diffs {
                eprintln!("sscard: mismatch: {d}");
            }
            eprintln!(
                "sscard: the card's structure differs from the profile in {} place(s): do not use this card",
                diffs.len()
            );
            code = ExitCode::from(1);
        }
    }
    if args.write_card_id
        && let Some(id) = &args.card_id
    {
        let station = sscard::perso::Station::new(&profile)?;
        let values = super::perso::factor_values(&station, None, Some(id))?;
        let r = station
            .write_elements(&mut *t, &values, Some(&keys))
            .with_context(|| format!("writing the card identification code on '{reader}'"))?;
        println!(
            "card identification code {} written and read back ({} APDUs)",
            id.trim().to_ascii_uppercase(),
            r.stats.apdus
        );
    }
    t.close()?;
    Ok(code)
}
