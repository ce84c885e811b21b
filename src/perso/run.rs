//! Running a plan on a card: write, read back, enable; safe to repeat after a torn run.

use super::plan::{Plan, Step, tlv_record};
use super::spec::{AppSpec, ElementRef, EnableHow};
use super::tryread::TryReader;
use crate::apdu::{Sw, compact};
use crate::card::build;
use crate::card::{Ef, KeyUsage, RecordRef};
use crate::cos::AccessCondition;
use crate::cos::Lcs;
use crate::crypto::Secret;
use crate::error::ErrorChain;
use crate::session::{CardKeys, MissingKey, Session, SessionError, Stats};
use thiserror::Error;

/// What personalization found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A blank card was personalized, verified and enabled.
    Personalized,
    /// The card held part of this holder's data (an interrupted run): finished, verified,
    /// enabled.
    Resumed,
    /// The card already held this holder's data and was enabled: verified, nothing written.
    AlreadyDone,
    /// Another person's data was overwritten (`--force`).
    Overwritten,
    /// Verified only (`sscard verify`).
    Verified,
}

/// The report of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// What happened.
    pub outcome: Outcome,
    /// Elements written.
    pub written: usize,
    /// Elements read back and found equal.
    pub verified: usize,
    /// Whether the application is enabled at the end.
    pub enabled: bool,
    /// Traffic.
    pub stats: Stats,
    /// CLA INS P1 P2 of every APDU sent, in order (for audits and tests).
    pub headers: Vec<[u8; 4]>,
    /// Differences between the card's access rules and the profile's (more open on the card).
    pub notes: Vec<String>,
}

/// Why personalization, verification or enabling stopped.
#[derive(Debug, Error)]
pub enum PersoError {
    /// A command failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The key file lacks a key the plan needs.
    #[error(transparent)]
    MissingKey(#[from] MissingKey),
    /// The card holds another person's data.
    #[error(
        "the card on {card} already holds another person's data ({el}: {found}, the record says {wanted}); \
         nothing was written. If this card is really to be re-used for this holder, run again with --force"
    )]
    OtherHolder {
        /// The card.
        card: String,
        /// The identity element.
        el: Box<ElementRef>,
        /// What the card holds (decoded).
        found: String,
        /// What the record has.
        wanted: String,
    },
    /// The application is disabled (lost or replaced card, or an interrupted forced
    /// re-personalization).
    #[error(
        "the application {label} on {card} is disabled (deactivated): a lost or replaced card, \
         or a forced re-personalization (perso --force) that was interrupted; nothing was \
         written. A lost or replaced card is not used again: make a replacement card. Only \
         if this card is being re-used for this holder, run the same perso --force again"
    )]
    Disabled {
        /// The card.
        card: String,
        /// DF label.
        label: String,
    },
    /// Read-back differs from what was written.
    #[error(
        "verification failed on {card}: {el} holds {actual} but should hold {expected}; \
         the application was NOT enabled{}",
        if *.written { ": run the same perso again; if it fails again the chip is faulty, replace the card" } else { "" }
    )]
    Mismatch {
        /// The card.
        card: String,
        /// The element.
        el: Box<ElementRef>,
        /// Expected value bytes (hex).
        expected: String,
        /// What the card holds (hex, or `(no record)`).
        actual: String,
        /// Whether this run wrote the element.
        written: bool,
    },
    /// After enabling, the card does not say it is enabled.
    #[error(
        "{label} on {card} was asked to enable but SELECT answers {} with life cycle {}: it is NOT enabled; \
         check the profile's enable command list",
        compact(&sw.to_bytes()),
        lcs.map(|l| format!("{l:02X}")).unwrap_or_else(|| "unknown".into())
    )]
    NotEnabled {
        /// The card.
        card: String,
        /// DF label.
        label: String,
        /// SELECT's status word.
        sw: Sw,
        /// Life cycle status from the FCP.
        lcs: Option<u8>,
    },
    /// The MF or the application DF is still in the creation state: access conditions are
    /// not enforced (a torn or unfinished init).
    #[error(
        "the {what} of the card on {card} is still in the creation state (8A 01): its access \
         conditions are not enforced (anyone can read and overwrite it), so it must not be \
         issued; nothing was written: run the same `sscard init` again to finish the card"
    )]
    NotIssuable {
        /// The card.
        card: String,
        /// The file in the creation state.
        what: String,
    },
    /// Some elements could not be read back: the card wants a key that was not given.
    #[error("{card} could not be verified completely: {missing}")]
    NotRead {
        /// The card.
        card: String,
        /// What was not read and which key it needs (`EF06 08-0D need read key 0A ...`).
        missing: String,
    },
    /// The profile asks for something this run cannot do.
    #[error("{0}")]
    Unsupported(String),
}

/// The life cycle byte of the creation state (ISO/IEC 7816-4 §7.4.10).
const CREATION: u8 = 0x01;

/// Options of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Overwrite a card holding another person's data.
    pub force: bool,
}

/// What a READ RECORD found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The value bytes of the record (tag and length removed).
    Value(Vec<u8>),
    /// No such record on the card (6A83).
    NoRecord,
}

impl Found {
    /// True when the record is absent or its value is all `00` or all `FF` (never written).
    pub fn is_blank(&self) -> bool {
        match self {
            Found::NoRecord => true,
            Found::Value(v) => v.iter().all(|b| *b == 0) || v.iter().all(|b| *b == 0xFF),
        }
    }
    fn hex(&self) -> String {
        match self {
            Found::Value(v) => compact(v),
            Found::NoRecord => "(no record)".into(),
        }
    }
}

/// Reads one element (READ RECORD by tag) and returns its value.
pub fn read_element(s: &mut Session<'_>, el: &ElementRef) -> Result<Found, SessionError> {
    let doing = format!("reading {el}");
    let read = s.with_card(&doing, |c| {
        match c.read_record(Ef::Sfi(el.sfi), RecordRef::Tag(el.tag), el.len + 2) {
            Err(e) if e.sw() == Some(Sw::RECORD_NOT_FOUND) => Ok(None),
            other => other.map(Some),
        }
    })?;
    let Some(data) = read else {
        return Ok(Found::NoRecord);
    };
    // SIMPLE-TLV: tag, length, value.
    match crate::tlv::SimpleTlv::parse_record(&data) {
        Ok(t) if t.tag == el.tag => Ok(Found::Value(t.value)),
        Ok(t) => Err(SessionError::BadAnswer {
            card: s.card_name(),
            doing,
            reason: format!("the record has tag {:02X}, expected {:02X}", t.tag, el.tag),
        }),
        Err(e) => Err(SessionError::BadAnswer {
            card: s.card_name(),
            doing,
            reason: format!(
                "the record is not a SIMPLE-TLV element ({e}): {}",
                compact(&data),
                e = e.chain()
            ),
        }),
    }
}

struct Runner<'s, 't> {
    s: &'s mut Session<'t>,
    keys: &'s CardKeys,
    reader: TryReader<'s>,
    app_label: String,
    written: usize,
    verified: usize,
    enabled_at_start: bool,
}

impl Runner<'_, '_> {
    fn ensure(&mut self, access: AccessCondition, purpose: &str) -> Result<(), PersoError> {
        if let AccessCondition::ExternalAuth(k) = access {
            self.auth(k, purpose)?;
        }
        Ok(())
    }

    fn auth(&mut self, key_id: u8, purpose: &str) -> Result<(), PersoError> {
        if self.s.is_authenticated(key_id) {
            return Ok(());
        }
        let key = self
            .keys
            .need(key_id, &format!("key {key_id:02X}"), purpose)?;
        self.s
            .authenticate(key_id, &format!("for {purpose}"), key)?;
        Ok(())
    }

    fn read_back(&mut self, el: &ElementRef, expected: &[u8]) -> Result<(), PersoError> {
        // Try first: the plan authenticated where the profile asks (perso), or not at all
        // (verify), and the reader authenticates only where the card answers 6982.
        let Some(found) = self.reader.read(self.s, el)? else {
            return Ok(());
        };
        if found != Found::Value(expected.to_vec()) {
            return Err(PersoError::Mismatch {
                card: self.s.card_name(),
                el: Box::new(el.clone()),
                expected: compact(expected),
                actual: found.hex(),
                written: self.written > 0,
            });
        }
        self.verified += 1;
        Ok(())
    }

    fn update(&mut self, el: &ElementRef, value: &[u8], mac: Option<u8>) -> Result<(), PersoError> {
        self.ensure(el.update, &format!("writing {el}"))?;
        let record = tlv_record(el.tag, value);
        let doing = format!("writing {el}");
        match mac {
            Some(k) => {
                let key = self.keys.need(k, &format!("key {k:02X}"), &doing)?;
                let cmd = build::update_record(el.sfi, RecordRef::Tag(el.tag), &record);
                self.s.send_with_mac(&cmd, key, &doing)?;
            }
            None => {
                self.s.with_card(&doing, |c| {
                    match c.update_record(Ef::Sfi(el.sfi), RecordRef::Tag(el.tag), &record) {
                        // The card was initialised without this record: add it.
                        Err(e) if e.sw() == Some(Sw::RECORD_NOT_FOUND) => {
                            c.append_record(Ef::Sfi(el.sfi), &record)
                        }
                        other => other,
                    }
                })?;
            }
        }
        self.written += 1;
        Ok(())
    }

    fn set_pin(&mut self, reference: u8, tries: u8, pin: &Secret) -> Result<(), PersoError> {
        self.s.with_card(
            &format!("setting the initial PIN (reference {reference:02X})"),
            |c| c.write_key(reference, KeyUsage::Pin, 0x00, tries, pin),
        )?;
        Ok(())
    }

    fn activate(&mut self, how: &EnableHow, fid: Option<u16>) -> Result<(), PersoError> {
        match how {
            EnableHow::ActivateFile => {
                let doing = format!("enabling {}", self.app_label);
                self.s.with_card(&doing, |c| c.activate_file(fid))?;
                Ok(())
            }
            EnableHow::Script { script, block } => {
                let sc = crate::script::Script::load(script).map_err(|e| {
                    PersoError::Unsupported(format!(
                        "the profile's enable command list ({}): {e}",
                        script.display(),
                        e = e.chain()
                    ))
                })?;
                let vars = crate::script::Vars::new();
                let result = sc.run_block(block, self.s.transport(), &vars);
                // The script may select and authenticate: the session knows nothing anymore.
                self.s.forget();
                let report = result.map_err(|e| {
                    PersoError::Unsupported(format!(
                        "enabling {} with block `{block}` of {} failed: {e}",
                        self.app_label,
                        script.display(),
                        e = e.chain()
                    ))
                })?;
                if !report.passed() {
                    return Err(PersoError::Unsupported(format!(
                        "enabling {} with block `{block}` of {}: {}",
                        self.app_label,
                        script.display(),
                        report.summary()
                    )));
                }
                Ok(())
            }
        }
    }
}

/// Runs a plan of `app`. `decode_identity` turns the identity element's bytes into text for messages.
pub fn run(
    s: &mut Session<'_>,
    app: &AppSpec,
    plan: &Plan,
    keys: &CardKeys,
    opts: RunOptions,
    decode_identity: &dyn Fn(&[u8]) -> String,
) -> Result<Report, PersoError> {
    let mut r = Runner {
        s,
        keys,
        reader: TryReader::new(app, keys),
        app_label: String::new(),
        written: 0,
        verified: 0,
        enabled_at_start: false,
    };
    let mut outcome = Outcome::Personalized;
    let mut verify_only = false;
    let mut enabled = false;
    for step in &plan.steps {
        match step {
            Step::Select { name, label } => {
                r.app_label = label.clone();
                let mf = r.s.select_mf()?;
                // A blank card has no application: that error (6A82, run init) first.
                let selected = r.s.select_df(name, label)?;
                if mf == Some(CREATION) {
                    return Err(PersoError::NotIssuable {
                        card: r.s.card_name(),
                        what: "MF (3F00)".into(),
                    });
                }
                if let Some(state) = selected {
                    if state.lcs == Some(CREATION) {
                        return Err(PersoError::NotIssuable {
                            card: r.s.card_name(),
                            what: label.clone(),
                        });
                    }
                    // A disabled card is refused, except by --force: the re-use of this
                    // card, or a forced re-personalization that was interrupted, goes on
                    // while it stays disabled.
                    if state.is_deactivated() && !opts.force {
                        return Err(PersoError::Disabled {
                            card: r.s.card_name(),
                            label: label.clone(),
                        });
                    }
                    r.enabled_at_start = state.lcs.and_then(Lcs::from_byte) == Some(Lcs::Activated);
                    enabled = r.enabled_at_start;
                }
            }
            Step::Authenticate { key_id, label } => {
                if !verify_only {
                    r.auth(*key_id, label)?;
                }
            }
            Step::CheckHolder { el, expected } => {
                r.ensure(el.read, &format!("reading {el}"))?;
                let found = read_element(r.s, el)?;
                match &found {
                    f if f.is_blank() => {}
                    Found::Value(v) if v == expected => {
                        outcome = Outcome::Resumed;
                        if r.enabled_at_start && !opts.force {
                            verify_only = true;
                            outcome = Outcome::AlreadyDone;
                        }
                    }
                    Found::Value(v) => {
                        if !opts.force {
                            return Err(PersoError::OtherHolder {
                                card: r.s.card_name(),
                                el: Box::new(el.clone()),
                                found: decode_identity(v),
                                wanted: decode_identity(expected),
                            });
                        }
                        outcome = Outcome::Overwritten;
                        if r.enabled_at_start {
                            // Never an enabled card with two holders' data: disable it
                            // first; it is enabled again only after every element of the
                            // new holder has been written and read back.
                            super::enable::disable(r.s, app, keys)?;
                            r.enabled_at_start = false;
                            enabled = false;
                        }
                    }
                    Found::NoRecord => {}
                }
            }
            Step::Update { el, value, mac } => {
                if !verify_only {
                    r.update(el, value, *mac)?;
                }
            }
            Step::SetPin {
                reference,
                tries,
                pin,
            } => {
                if !verify_only {
                    r.set_pin(*reference, *tries, pin)?;
                }
            }
            Step::ReadBack { el, expected } => r.read_back(el, expected)?,
            Step::Activate { how, fid, .. } => {
                if !verify_only {
                    r.activate(how, *fid)?;
                }
            }
            Step::Confirm { name, label } => {
                if !verify_only {
                    let state = r.s.reselect_df(name, label)?;
                    if !state.is_active() {
                        return Err(PersoError::NotEnabled {
                            card: r.s.card_name(),
                            label: label.clone(),
                            sw: state.sw,
                            lcs: state.lcs,
                        });
                    }
                    enabled = true;
                }
            }
        }
    }
    if let Some(missing) = r.reader.missing() {
        return Err(PersoError::NotRead {
            card: r.s.card_name(),
            missing,
        });
    }
    if !plan.steps.iter().any(|s| matches!(s, Step::Update { .. })) {
        outcome = Outcome::Verified;
    }
    Ok(Report {
        outcome,
        written: r.written,
        verified: r.verified,
        enabled,
        stats: r.s.stats(),
        headers: r.s.headers().to_vec(),
        notes: r.reader.notes,
    })
}
