//! Diagnosis of an aged card, strictly read-only: is the chip healthy, is its data intact, is
//! the application enabled, is the PIN blocked, has it expired? Ends in a [`Verdict`] in a
//! station's terms, with its reasons (docs/diagnose.md).
//!
//! Every command goes through the [`guard::ReadOnly`] transport, which refuses anything but
//! SELECT, READ BINARY/RECORD, GET RESPONSE, GET DATA and VERIFY without data: nothing is
//! written and no counter moves, whatever the checks do. Only with the operator's keys
//! ([`diagnose_with_keys`]) does it also pass GET CHALLENGE and EXTERNAL AUTHENTICATE, to read
//! data protected by the read key; a refused key is never tried twice in an application.
//!
//! ```no_run
//! # fn demo(t: &mut dyn sscard::transport::Transport) -> Result<(), Box<dyn std::error::Error>> {
//! let profile = sscard::profile::load("card-profiles/ssc-2.00.toml".as_ref())?;
//! let report = sscard::diagnose::diagnose(t, &profile, &sscard::diagnose::Options::default());
//! println!("{}", report.render());
//! std::process::exit(report.verdict.exit_code().into());
//! # }
//! ```

mod checks;
pub mod files;
pub mod guard;
pub mod photo;
pub mod power;
mod render;
pub mod verdict;

pub use files::{DfCheck, EfCheck, ElementCheck, ExpiryCheck, PinCheck};
pub use power::{LinkCheck, PowerCheck};
pub use verdict::{Finding, Findings, Verdict};

use crate::error::ErrorChain;
use crate::profile::Profile;
use crate::session::CardKeys;
use crate::transport::{Tap, Transport};
use serde::Serialize;

/// How thorough the diagnosis is.
#[derive(Debug, Clone)]
pub struct Options {
    /// Resets for the power-up check (alternating cold and warm).
    pub resets: usize,
    /// Harmless commands for the link check.
    pub link_rounds: usize,
    /// The date to compare the expiry date with (YYYYMMDD); today by default.
    pub today: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resets: 4,
            link_rounds: 32,
            today: None,
        }
    }
}

/// The result of a diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The reader (or `sim:PATH`).
    pub reader: String,
    /// The profile's name.
    pub profile: String,
    /// The spec version the card says it follows (EF05 tag 03), when it could be read.
    pub spec_version: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict as the operator reads it.
    pub verdict_text: String,
    /// Notes that do not change the verdict (a read key refused or not available).
    pub notes: Vec<String>,
    /// How many elements were not checked because reading them needs the read key.
    pub unchecked: usize,
    /// Which elements were not read for want of which key, one line per EF
    /// (`EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys`).
    pub not_read: Vec<String>,
    /// How many EXTERNAL AUTHENTICATE commands were sent (read key, `--keys` only).
    pub authentications: usize,
    /// The exit code of `sscard diagnose` for this verdict.
    pub exit_code: u8,
    /// Why, worst first.
    pub reasons: Vec<Finding>,
    /// Power-up.
    pub power: PowerCheck,
    /// The link.
    pub link: LinkCheck,
    /// Files, elements, application state and PINs.
    pub dfs: Vec<DfCheck>,
    /// The expiry date, when the profile has one and it was read.
    pub expiry: Option<ExpiryCheck>,
    /// The holder's photo (EF08), when the profile declares a photo file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<photo::PhotoCheck>,
    /// Operations that failed once and worked on a retry.
    pub retried: Vec<String>,
    /// How many commands were sent to the card (all read-only).
    pub apdus: usize,
    /// The card product identified by the ATR in the configured region, and whether it is on
    /// record there ([`crate::region::ProductReport`]); set by the caller that knows the region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<crate::region::ProductReport>,
}

/// Diagnoses the card on `t` against `profile`. Never fails: a card that does not answer is
/// the verdict [`Verdict::NoResponse`], not an error.
pub fn diagnose(t: &mut dyn Transport, profile: &Profile, opts: &Options) -> Report {
    diagnose_with_keys(t, profile, opts, None)
}

/// Like [`diagnose`]; with `keys` (the operator's `--keys`/`--card-id`), EFs whose read access
/// condition is an external authentication are read after authenticating with that read key:
/// GET CHALLENGE and EXTERNAL AUTHENTICATE then pass the guard, nothing else more. A refused
/// key is a note in the verdict (check the key file / card id), tried at most once per DF.
pub fn diagnose_with_keys(
    t: &mut dyn Transport,
    profile: &Profile,
    opts: &Options,
    keys: Option<&CardKeys>,
) -> Report {
    // Authenticating then reading depends on the card's security state: with keys, the whole
    // diagnosis runs in one exclusive transaction so that no other program interleaves.
    let mut held = None;
    if keys.is_some() {
        match t.transaction() {
            Ok(mut tx) => {
                let report = diagnose_on(&mut tx, profile, opts, keys, Vec::new());
                // Nothing was written: a failure to give the card back changes no verdict.
                let _ = tx.end();
                return report;
            }
            Err(e) => {
                held = Some(format!(
                    "the card could not be taken exclusively ({e}): the read key was not used",
                    e = e.chain()
                ));
            }
        }
    }
    diagnose_on(t, profile, opts, None, held.into_iter().collect())
}

fn diagnose_on(
    t: &mut dyn Transport,
    profile: &Profile,
    opts: &Options,
    keys: Option<&CardKeys>,
    mut notes: Vec<String>,
) -> Report {
    let mut guard = Tap::new(t, guard::ReadOnly::new(keys.is_some()));
    let mut unchecked = 0;
    let mut needs = Vec::new();
    let mut spec_version = None;
    let mut f = Findings::default();
    let power = power::check_power(&mut guard, opts.resets, &mut f);
    let mut link = LinkCheck::default();
    let mut dfs = Vec::new();
    let mut expiry = None;
    let mut retried = Vec::new();
    if f.verdict() != Verdict::NoResponse {
        link = power::check_link(&mut guard, opts.link_rounds, &mut f);
    }
    if f.verdict() != Verdict::NoResponse && profile.meta.spec_version.is_some() {
        spec_version = check_generation(&mut guard, profile, &mut f);
    }
    if f.verdict() != Verdict::NoResponse {
        let mut w = files::Walker::new(&mut guard).with_keys(keys);
        dfs = files::check_profile(&mut w, profile, &mut f);
        retried = w.flaky.clone();
        notes.extend(w.notes.iter().cloned());
        unchecked = w.unchecked;
        needs = w.needs.clone();
        if !retried.is_empty() {
            f.add(
                Verdict::ChipFailing,
                format!(
                    "{} read(s) failed and worked only when repeated",
                    retried.len()
                ),
            );
        }
        cross_checks(&w.values, &mut f);
        let today = opts.today.clone().unwrap_or_else(today_yyyymmdd);
        expiry = w
            .values
            .iter()
            .find(|(k, v)| k.contains("expiry") && v.len() == 8)
            .map(|(_, v)| ExpiryCheck {
                date: v.clone(),
                expired: *v < today,
                today,
            });
        if let Some(e) = &expiry
            && e.expired
        {
            f.add(
                Verdict::OkExpired,
                format!(
                    "the card expired on {} (still usable; replace it at the holder's convenience)",
                    e.date
                ),
            );
        }
    }
    let mut photo = None;
    if f.verdict() != Verdict::NoResponse {
        photo = photo::check(&mut guard, profile, keys, &mut f);
    }
    if guard.observer().refused > 0 {
        f.add(
            Verdict::ChipFailing,
            format!(
                "{} command(s) were refused by the read-only guard (a bug in sscard)",
                guard.observer().refused
            ),
        );
    }
    let verdict = f.verdict();
    let mut verdict_text = verdict.text().to_string();
    if unchecked > 0 {
        // Name the files left unread (on a 3rd-generation card: EF06 only, EF05 is free).
        let files: Vec<&str> = dfs
            .iter()
            .flat_map(|d: &DfCheck| d.efs.iter())
            .filter(|e| {
                e.status.starts_with("not checked")
                    || e.elements
                        .iter()
                        .any(|x| x.status.starts_with("not checked"))
            })
            .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path))
            .collect();
        let why = if keys.is_some() {
            "the read key was refused or missing: check the key file / card id".to_string()
        } else {
            format!("give --keys and --card-id to read {}", files.join(", "))
        };
        verdict_text = format!("{verdict_text} (data not checked: {why})");
    }
    Report {
        reader: guard.name(),
        profile: profile.meta.name.clone(),
        spec_version,
        verdict,
        verdict_text,
        notes,
        unchecked,
        not_read: needs.iter().map(ToString::to_string).collect(),
        authentications: guard
            .observer()
            .sent
            .iter()
            .filter(|h| h[1] == 0x82)
            .count(),
        exit_code: verdict.exit_code(),
        reasons: f.reasons(),
        power,
        link,
        dfs,
        expiry,
        photo,
        retried,
        apdus: guard.observer().sent.len(),
        product: None,
    }
}

/// The report for a card that could not even be connected to (no ATR): `NO RESPONSE`.
pub fn no_response(reader: &str, profile: &str, why: &str) -> Report {
    let mut f = Findings::default();
    f.add(Verdict::NoResponse, format!("no answer to reset: {why}"));
    let verdict = f.verdict();
    Report {
        reader: reader.to_string(),
        profile: profile.to_string(),
        spec_version: None,
        verdict,
        verdict_text: verdict.text().to_string(),
        notes: Vec::new(),
        unchecked: 0,
        not_read: Vec::new(),
        authentications: 0,
        exit_code: verdict.exit_code(),
        reasons: f.reasons(),
        power: PowerCheck::default(),
        link: LinkCheck::default(),
        dfs: Vec::new(),
        expiry: None,
        photo: None,
        retried: Vec::new(),
        apdus: 0,
        product: None,
    }
}

/// Reads the card's spec version (EF05 tag 03, no key) and compares its generation with the
/// profile's: another generation is [`Verdict::ProfileMismatch`]. A card that does not tell
/// (no SSSE, EF05 refused) is left to the file checks.
fn check_generation(t: &mut dyn Transport, profile: &Profile, f: &mut Findings) -> Option<String> {
    let version = crate::session::in_transaction(t, crate::perso::detect::spec_version).ok()?;
    let card = crate::perso::detect::generation_of(&version);
    let wanted = profile.meta.generation.or_else(|| {
        profile
            .meta
            .spec_version
            .as_deref()
            .and_then(crate::perso::detect::generation_of)
    });
    if let (Some(card), Some(wanted)) = (card, wanted)
        && card != wanted
    {
        let fits = crate::perso::detect::profile_for(&version).unwrap_or("the card's profile");
        f.add(
            Verdict::ProfileMismatch,
            format!(
                "the card says spec version {version} (EF05 tag 03, generation {card}) but profile \
                 {} is for generation {wanted}: its data was checked against the wrong rules; \
                 diagnose again without --profile (the card's generation picks {fits}) or with \
                 --profile {fits}",
                profile.meta.name
            ),
        );
    }
    Some(version)
}

/// Checks between elements: the SSN's birth date and sex against the holder's.
fn cross_checks(values: &[(String, String)], f: &mut Findings) {
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let (Some(ssn), Some(birth), Some(sex)) = (get("ssn"), get("birth_date"), get("sex"))
        && let Err(e) = crate::codec::rules::check_holder(ssn, birth, sex)
    {
        f.add(
            Verdict::DataDamaged,
            format!(
                "the holder's data does not agree with itself: {e}",
                e = e.chain()
            ),
        );
    }
}

/// Today's date at the station (moved to [`crate::codec::today_yyyymmdd`]).
pub use crate::codec::today_yyyymmdd;
