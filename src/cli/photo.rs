//! `sscard photo write|read`: the holder's photo in EF08.

use super::Globals;
use super::perso::{factor_values, load_profile};
use anyhow::{Context, Result, bail};
use sscard::perso::{Encoded, Station};
use sscard::photo::{PhotoFile, jpeg, read_photo, write_photo};
use sscard::profile::Profile;
use sscard::session::{CardKeys, SharedSource};
use sscard::session::{Session, in_transaction};
use std::path::PathBuf;
use std::process::ExitCode;

/// The photo commands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Make a JPEG or PNG the card's photo (resized, re-encoded under the file's size limit),
    /// write it to the photo file and read it back.
    Write(WriteArgs),
    /// Read the card's photo and save it as a JPEG file.
    Read(ReadArgs),
}

/// The card options both photo commands take.
#[derive(clap::Args, Debug)]
pub struct CardArgs {
    /// The card profile (TOML) the card was initialised with; it names the photo file.
    /// Without it the card's generation (EF05 tag 03) picks the shipped profile.
    #[arg(long, value_name = "PROFILE.toml")]
    pub profile: Option<PathBuf>,
    /// Where the card keys come from (writing needs the write key).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// The card identification code (32 hex digits), when a key is diversified by it and the
    /// card does not let it be read.
    #[arg(long, value_name = "HEX")]
    pub card_id: Option<String>,
}

/// Arguments of `sscard photo write`.
#[derive(clap::Args, Debug)]
pub struct WriteArgs {
    /// Profile, keys, card id.
    #[command(flatten)]
    pub card: CardArgs,
    /// Only make the JPEG and say how big it is; send nothing to the card.
    #[arg(long)]
    pub dry_run: bool,
    /// Also save the JPEG made for the card to this file.
    #[arg(long, value_name = "FILE.jpg")]
    pub save: Option<PathBuf>,
    /// The picture: a JPEG or PNG file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Arguments of `sscard photo read`.
#[derive(clap::Args, Debug)]
pub struct ReadArgs {
    /// Profile, keys, card id.
    #[command(flatten)]
    pub card: CardArgs,
    /// Where to save the photo (JPEG).
    #[arg(long, value_name = "FILE.jpg")]
    pub out: PathBuf,
}

/// Runs a photo command.
pub fn run(c: Command, g: &Globals) -> Result<ExitCode> {
    match c {
        Command::Write(a) => run_write(a, g),
        Command::Read(a) => run_read(a, g),
    }
}

fn run_write(args: WriteArgs, g: &Globals) -> Result<ExitCode> {
    let picture = std::fs::read(&args.file)
        .with_context(|| format!("reading the picture {}", args.file.display()))?;
    // With --profile the picture is checked before any card is touched.
    let given = args.card.profile.as_deref().map(load_profile).transpose()?;
    let early = given
        .as_ref()
        .map(|p| prepare(&args, p, &picture))
        .transpose()?;
    if args.dry_run {
        if given.is_none() {
            bail!("--dry-run needs --profile: the photo's size and limit come from the profile");
        }
        println!("dry run: nothing was sent to a card");
        return Ok(ExitCode::SUCCESS);
    }
    let kf = args.card.keys.open()?.map(|k| k.source);
    let mut card = super::common::open_card_with(g, true)?;
    let name = card.name();
    let (profile, photo) = match (given, early) {
        (Some(p), Some(photo)) => (p, photo),
        _ => {
            let (p, _) = super::read::profile_or_detect(None, card.as_mut())?;
            let photo = prepare(&args, &p, &picture)?;
            (p, photo)
        }
    };
    let file = PhotoFile::from_profile(&profile)?;
    let station = Station::new(&profile)?;
    if kf.is_none() && matches!(file.update, sscard::cos::AccessCondition::ExternalAuth(_)) {
        let _ = card.close();
        bail!(
            "writing the photo needs the key its file's update condition names ({}): give the key file with --keys (or --psam READER, --pkcs11 MODULE.so --token LABEL)",
            file.update
        );
    }
    let values = factor_values(&station, None, args.card.card_id.as_deref())?;
    let chunks = file.size.div_ceil(usize::from(file.spec.chunk.max(1)));
    let result = in_transaction(card.as_mut(), |s| -> Result<()> {
        let keys = card_keys(s, &station, kf.as_ref(), values)?;
        if let sscard::cos::AccessCondition::ExternalAuth(k) = file.update
            && keys.get(k).is_none()
        {
            bail!(
                "key {k:02X} ({}) is needed for writing the photo but is not available: {}. \
                 Give the card identification code with --card-id HEX when the card does not let it be read",
                file.key_label(k),
                keys.why_missing(k)
                    .unwrap_or("the key file has no such key")
            );
        }
        Ok(write_photo(s, &file, &keys, &photo.jpeg)?)
    });
    let _ = card.close();
    result.with_context(|| format!("writing the photo to {} on {name}", file.name()))?;
    println!(
        "written to {} on {name}: {} UPDATE BINARY of up to {} bytes; read back: identical",
        file.name(),
        chunks + 1,
        file.spec.chunk
    );
    Ok(ExitCode::SUCCESS)
}

/// Makes the card's JPEG from the picture by the profile's photo file, says what it made and
/// saves it when `--save` asks.
fn prepare(args: &WriteArgs, p: &Profile, picture: &[u8]) -> Result<jpeg::Prepared> {
    let file = PhotoFile::from_profile(p)?;
    let photo = jpeg::prepare(picture, &file.spec, file.size)
        .with_context(|| format!("{}", args.file.display()))?;
    let (kind, w, h) = photo.input;
    println!(
        "photo: {} {kind} {w}x{h} -> baseline JPEG {}x{}, quality {}, {} bytes (file {} holds {})",
        args.file.display(),
        photo.size.0,
        photo.size.1,
        photo.quality,
        photo.jpeg.len(),
        file.name(),
        file.size
    );
    if let Some(out) = &args.save {
        std::fs::write(out, &photo.jpeg)
            .with_context(|| format!("saving the JPEG to {}", out.display()))?;
        println!("saved the JPEG to {}", out.display());
    }
    Ok(photo)
}

fn run_read(args: ReadArgs, g: &Globals) -> Result<ExitCode> {
    let kf = args.card.keys.open()?.map(|k| k.source);
    let mut card = super::common::open_card(g)?;
    let name = card.name();
    let (profile, _) = super::read::profile_or_detect(args.card.profile.as_deref(), card.as_mut())?;
    let file = PhotoFile::from_profile(&profile)?;
    let station = Station::new(&profile)?;
    let values = factor_values(&station, None, args.card.card_id.as_deref())?;
    let result = in_transaction(card.as_mut(), |s| -> Result<Option<Vec<u8>>> {
        let keys = match &kf {
            Some(_) => Some(card_keys(s, &station, kf.as_ref(), values)?),
            None => None,
        };
        Ok(read_photo(s, &file, keys.as_ref())?)
    });
    let _ = card.close();
    let photo = result.with_context(|| format!("reading the photo {} on {name}", file.name()))?;
    let Some(photo) = photo else {
        bail!(
            "the card on {name} holds no photo: {} does not start with a JPEG (never written, or a write was cut); \
             write one with `sscard photo write`",
            file.name()
        );
    };
    let (w, h) = jpeg::dimensions(&photo).map_err(|e| {
        anyhow::anyhow!(
            "the photo in {} on {name} ({} bytes) does not decode as a JPEG ({e}): write the photo again",
            file.name(),
            photo.len()
        )
    })?;
    std::fs::write(&args.out, &photo)
        .with_context(|| format!("saving the photo to {}", args.out.display()))?;
    println!(
        "photo {} on {name}: JPEG {w}x{h}, {} bytes, saved to {}",
        file.name(),
        photo.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The card's keys. When no `--card-id` was given and the card lets its identification code
/// (EF05 tag 01) be read without a key, it is read from the card for key diversification.
fn card_keys(
    s: &mut Session<'_>,
    station: &Station<'_>,
    kf: Option<&SharedSource>,
    mut values: Vec<Encoded>,
) -> Result<CardKeys> {
    if kf.is_some()
        && values.is_empty()
        && let Some(el) = station.app.element("card_id")
        && el.read == sscard::cos::AccessCondition::Always
    {
        s.reselect_df(&station.app.df_name, &station.app.df_label)?;
        if let Ok(sscard::perso::run::Found::Value(value)) = sscard::perso::run::read_element(s, el)
        {
            values.push(Encoded {
                el: el.clone(),
                value,
            });
        }
    }
    Ok(station.card_keys_from(kf, &values, &s.atr()))
}
