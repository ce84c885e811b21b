//! `sscard sim`: the virtual card behind pcscd's vpcd driver, or show/create an image.

mod faults;
mod psam;
mod show;

use super::Globals;
use anyhow::{Context, bail};
use sscard::apdu::spaced;
use sscard::sim::transport::{Chip, ImageCard};
use sscard::sim::vpcd::{self, BridgeEvent, BridgeOptions};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Arguments of `sscard sim`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card image (JSON). Created as a blank card when it does not exist.
    #[arg(long, value_name = "FILE", required_unless_present = "feed")]
    pub image: Option<PathBuf>,
    /// With --vpcd: a card feeder. The images (*.json) of DIR are put into the reader one
    /// after another; each is taken out when the host is done with it (powers it down or
    /// resets it after using it). Stops when the last card is taken out.
    #[arg(long, value_name = "DIR", requires = "vpcd", conflicts_with_all = ["image", "show", "create"])]
    pub feed: Option<PathBuf>,
    /// Serve the card to pcscd's vpcd driver at [HOST:]PORT (host 127.0.0.1 by default;
    /// Debian's stock vpcd listens on 35963 for `Virtual PCD 00 00`). Runs until Ctrl-C or
    /// SIGTERM, saving the image as it goes and on exit.
    #[arg(long, value_name = "[HOST:]PORT", conflicts_with = "show")]
    pub vpcd: Option<String>,
    /// Print a summary of the image (ATR, files, keys, life cycle) and exit.
    #[arg(long)]
    pub show: bool,
    /// Write a blank card image to FILE (refuses to overwrite); with --psam a PSAM.
    #[arg(long)]
    pub create: bool,
    /// The image is a PSAM (the station's key card): with --create, make one from the
    /// master keys of --load-keys (PIN from env SSCARD_PSAM_PIN, if set); otherwise check
    /// that the image is one. Serve it with --vpcd on slot 01 (port+1) or use it in-process
    /// as `--psam sim:FILE`.
    #[arg(long)]
    pub psam: bool,
    /// Load the master keys of a key file into the PSAM (each key name to its key usage,
    /// each algorithm to its key version; keys already there are replaced).
    #[arg(long, value_name = "KEYFILE", conflicts_with = "feed")]
    pub load_keys: Option<PathBuf>,
    /// With --psam --create: the PSAM's terminal number, 12 digits (default 000000000001).
    #[arg(long, value_name = "DIGITS", requires_all = ["psam", "create"])]
    pub terminal_no: Option<String>,
    /// Stop when pcscd closes the connection (or the card loses power) instead of waiting to
    /// reconnect.
    #[arg(long)]
    pub once: bool,
    /// Stop after answering N APDUs.
    #[arg(long, value_name = "N")]
    pub max_apdus: Option<u64>,
    /// Save the image after N state-changing APDUs (0 = only when idle and on exit).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub save_every: u32,
    /// Save the image when no APDU came for MS milliseconds after a change.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub save_idle_ms: u64,
    /// Give up when pcscd's vpcd cannot be reached for SECS seconds (default: keep trying).
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// After a power-lost fault the card is out of the reader; put it back after MS
    /// milliseconds (default: when you press Enter).
    #[arg(long, value_name = "MS")]
    pub reinsert_after_ms: Option<u64>,
    /// Answer as a T=0 card from now on (61xx / GET RESPONSE, 6Cxx on a wrong Le; the default
    /// ATR becomes the T=0 one), as most PSAMs do. Saved in the image.
    #[arg(long, conflicts_with = "feed")]
    pub t0: bool,
    /// Make GET CHALLENGE reproducible for this run: the same seed gives the same challenges
    /// in the same order (to compare the card-side traces of two runs byte for byte; not
    /// saved in the image). Default: random challenges.
    #[arg(long, value_name = "N", conflicts_with = "feed")]
    pub challenge_seed: Option<u64>,
    /// Fault modes (saved in the image).
    #[command(flatten)]
    pub faults: faults::FaultArgs,
}

/// Runs `sscard sim`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = g;
    if let (Some(dir), Some(addr)) = (&args.feed, args.vpcd.as_deref()) {
        let chip = sscard::sim::feed::FeedChip::open(dir)?;
        eprintln!(
            "sscard sim: card feeder {} with {} card(s)",
            dir.display(),
            chip.len()
        );
        return serve(&args, addr, chip, &dir.display().to_string());
    }
    let image = args.image.clone().context("--image FILE is needed")?;
    let exists = image.exists();
    if args.create && exists {
        bail!(
            "{} already exists: not overwriting a card image (delete it first for a blank card)",
            image.display()
        );
    }
    if args.vpcd.is_none() && !args.create && !exists {
        bail!(
            "{} does not exist: create a blank card with --create (or serve it with --vpcd)",
            image.display()
        );
    }
    if (args.psam || args.load_keys.is_some()) && !args.create && !exists {
        bail!(
            "{} does not exist: create the PSAM first with `sscard sim --psam --create --image {} \
             --load-keys KEYFILE`",
            image.display(),
            image.display()
        );
    }
    if args.create && !args.psam && args.load_keys.is_some() {
        bail!("--load-keys with --create makes a PSAM: add --psam");
    }
    if args.psam && args.create {
        psam::create(&args, &image)?;
    }
    let mut chip = ImageCard::open(&image)?;
    if args.psam && !chip.card().is_psam() {
        bail!(
            "{} is a card image, not a PSAM: create a PSAM with --psam --create --load-keys KEYFILE",
            image.display()
        );
    }
    let load = if args.create {
        None
    } else {
        args.load_keys.as_deref()
    };
    if let Some(file) = load {
        psam::load(chip.card_mut(), file, &image)?;
        chip.save()?;
    }
    if args.faults.any() {
        args.faults.apply(chip.card_mut())?;
    }
    if args.t0 {
        chip.card_mut().set_t0(true);
    }
    if let Some(seed) = args.challenge_seed {
        chip.card_mut().set_challenge_seed(Some(seed));
    }
    if let Some(addr_text) = args.vpcd.as_deref() {
        return serve(&args, addr_text, chip, &image.display().to_string());
    }
    if args.create || args.faults.any() || args.t0 {
        chip.save()?;
    }
    if args.create && !args.psam {
        println!("blank card image written to {}", image.display());
    }
    if args.faults.any() {
        println!("faults: {}", faults::describe(chip.card().faults()));
    }
    if args.t0 {
        println!(
            "T=0 behaviour (61xx / GET RESPONSE), ATR {}",
            spaced(chip.card().atr())
        );
    }
    if args.show {
        print!("{}", show::summary(chip.card(), &image));
    } else if !args.create && !args.faults.any() && load.is_none() && !args.t0 {
        bail!(
            "say what to do: --vpcd [HOST:]PORT to serve the card to pcscd, --show, --create or a fault option"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(
    args: &Args,
    addr_text: &str,
    mut chip: impl Chip,
    what: &str,
) -> anyhow::Result<ExitCode> {
    let addr = vpcd::parse_address(addr_text)?;
    let mut opts = BridgeOptions::new(addr);
    opts.trace = Some(sscard::trace::card_side);
    opts.save_every = args.save_every;
    opts.save_idle = Duration::from_millis(args.save_idle_ms);
    opts.max_apdus = args.max_apdus;
    opts.once = args.once;
    opts.connect_timeout = args.connect_timeout.map(Duration::from_secs_f64);
    opts.reinsert_after = args.reinsert_after_ms.map(Duration::from_millis);

    let stop = Arc::clone(&opts.stop);
    ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C/SIGTERM handler")?;
    // Enter on stdin puts a card that lost power back into the reader.
    let reinsert = Arc::clone(&opts.reinsert);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() {
                break;
            }
            reinsert.store(true, Ordering::SeqCst);
        }
    });

    eprintln!(
        "sscard sim: serving {} to pcscd's vpcd at {addr} (Ctrl-C to stop)",
        what
    );
    let mut report = |ev: BridgeEvent| match ev {
        BridgeEvent::Waiting { error } => {
            eprintln!("sscard sim: waiting for pcscd's vpcd at {addr} ({error}); retrying")
        }
        BridgeEvent::Inserted { atr } if atr.is_empty() => {
            eprintln!("sscard sim: connected; the chip is dead (no ATR): the reader shows no card")
        }
        BridgeEvent::Inserted { atr } => {
            eprintln!("sscard sim: card inserted, ATR {}", spaced(&atr))
        }
        BridgeEvent::PeerClosed => {
            eprintln!("sscard sim: pcscd closed the connection; reconnecting")
        }
        BridgeEvent::PowerLost { after_apdus } => eprintln!(
            "sscard sim: the card lost power after {after_apdus} APDUs and is out of the reader; \
             press Enter to put it back"
        ),
        BridgeEvent::Ejected { apdus, more } => eprintln!(
            "sscard sim: the host is done with the card ({apdus} APDUs): taken out{}",
            if more {
                "; next card in"
            } else {
                "; the feeder is empty"
            }
        ),
        BridgeEvent::Saved => tracing::debug!("image saved"),
        BridgeEvent::SaveFailed { error } => {
            eprintln!("sscard sim: warning: image not saved ({error}); will retry")
        }
    };
    let stats = vpcd::run(&mut chip, &opts, &mut report)?;
    eprintln!(
        "sscard sim: stopped after {} APDUs on {} connection(s); image saved to {}",
        stats.apdus, stats.connections, what
    );
    Ok(ExitCode::SUCCESS)
}
