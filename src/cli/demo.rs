//! `sscard demo`: the main job on the built-in virtual card, no reader needed.

use super::Globals;
use anyhow::{Context, Result, bail};
use sscard::perso::demo::{self, SSC_200, SSC_300};
use sscard::perso::read::render_table;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Which shipped profile the demo uses.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoProfile {
    /// 3rd generation, SM4 keys.
    #[value(name = "ssc-3.00")]
    Ssc300,
    /// 2nd generation, 3DES keys.
    #[value(name = "ssc-2.00")]
    Ssc200,
}

/// Arguments of `sscard demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Keep the personalized virtual card in this image file (it must not exist yet); it can
    /// then be used with `--reader sim:FILE` or served to pcscd with `sscard sim --vpcd`.
    #[arg(long, value_name = "FILE.json")]
    pub image: Option<PathBuf>,
    /// The shipped profile to use.
    #[arg(long, value_enum, default_value = "ssc-3.00")]
    pub profile: DemoProfile,
}

/// Runs `sscard demo`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let _ = g;
    let started = Instant::now();
    let path = match &args.image {
        Some(p) => {
            if p.exists() {
                bail!(
                    "{} already exists: the demo starts from a blank card; give a new file name",
                    p.display()
                );
            }
            p.clone()
        }
        None => std::env::temp_dir().join(format!(
            "sscard-demo-{}-{}.json",
            std::process::id(),
            started.elapsed().as_nanos()
        )),
    };
    let (text, name) = match args.profile {
        DemoProfile::Ssc300 => (SSC_300, "ssc-3.00"),
        DemoProfile::Ssc200 => (SSC_200, "ssc-2.00"),
    };
    let mut card = SimTransport::new(ImageCard::open(&path)?)?;
    let reader = card.name();
    let run = demo::run(&mut card, text, &format!("card-profiles/{name}.toml"));
    if args.image.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let run = run.with_context(|| format!("the demo on {reader}"))?;
    card.close()?;
    if args.image.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let holder = demo::demo_holder();
    println!("sscard demo: the card-making station's main job on the built-in virtual card");
    println!("card     {reader} (blank virtual card, synthetic test keys)");
    println!(
        "1 init   manufacturer builds profile {name}: {} APDUs",
        run.init_apdus
    );
    println!(
        "2 perso  station personalizes {} {}: {} elements written, PIN set, {} read back byte for byte, {} ({} APDUs as planned, {} bytes out)",
        holder.get("name").unwrap_or(""),
        holder.get("ssn").unwrap_or(""),
        run.perso.written,
        run.perso.verified,
        if run.perso.enabled {
            "ENABLED"
        } else {
            "not enabled"
        },
        run.perso.stats.apdus,
        run.perso.stats.bytes_out
    );
    println!("3 read   what the operator sees (sscard read):");
    println!(
        "         application SSSE {}",
        run.read.content.state_text()
    );
    print!("{}", render_table(&run.read.decoded, "         "));
    if let Some(sscard::perso::bank::BankApp::Pan(pan)) = &run.read.content.bank {
        println!("         bank PAN     {pan} (application A000000333010101, synthetic)");
    }
    println!("         iReadCardBas: {}", run.read.ireadcardbas);
    println!(
        "OK: card good and enabled, in {:.0} ms{}",
        started.elapsed().as_secs_f64() * 1000.0,
        match &args.image {
            Some(p) => format!("; image kept in {}", p.display()),
            None => String::new(),
        }
    );
    Ok(ExitCode::SUCCESS)
}
