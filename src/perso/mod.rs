//! Personalization, the card-making station's main job: a holder's record is validated and
//! encoded by the profile, turned into a [`plan::Plan`] (steps as data), run on the card in one
//! exclusive transaction, read back byte for byte, and the application enabled.
//!
//! A run is safe to repeat: when a card lost power mid-way, the next run of the same record sees
//! what is there, finishes, verifies and enables. A card that holds another person's data is
//! refused unless forced.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sscard::perso::{Station, RunOptions};
//! let profile = sscard::profile::load("card-profiles/ssc-3.00.toml".as_ref())?;
//! let station = Station::new(&profile)?;
//! let record = sscard::record::load_records("holder.json".as_ref())?.remove(0);
//! let mut card = sscard::sim::transport::open("card.json".as_ref())?;
//! let keys = sscard::profile::keys::KeyFile::load("card-profiles/test-keys.toml".as_ref())?;
//! let report = station.personalize(&mut card, &record, Some(&keys), RunOptions::default())?;
//! println!("{:?}", report.outcome);
//! # Ok(()) }
//! ```

pub mod bank;
pub mod demo;
pub mod detect;
pub mod enable;
pub mod encode;
pub mod pin;
pub mod plan;
pub mod read;
pub mod run;
pub mod spec;
pub mod tryread;

pub use encode::{ProfileUseError, RecordInvalid};
/// What a diversification factor can be taken from: the card identification code (from the
/// record, or read from the card) and the ATR historical bytes.
pub type FactorInputs = crate::profile::keys::Factors;
pub use plan::{Plan, PlanError, PlanOptions, Step};
pub use run::{Outcome, PersoError, Report, RunOptions};
pub use spec::{AppSpec, ElementRef, EnableHow, Encoded};

use crate::profile::Profile;
use crate::profile::keys::KeyFile;
use crate::record::HolderRecord;
use crate::session::{CardKeys, SharedSource};
use crate::transport::Transport;

/// Everything personalization needs from one profile.
#[derive(Debug, Clone)]
pub struct Station<'p> {
    /// The profile.
    pub profile: &'p Profile,
    /// The application it personalizes.
    pub app: AppSpec,
}

/// A job that fails before or while running.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The record has problems (all of them listed); nothing was sent.
    #[error(transparent)]
    Record(#[from] RecordInvalid),
    /// The plan cannot be built.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The run stopped.
    #[error(transparent)]
    Run(#[from] PersoError),
}

impl<'p> Station<'p> {
    /// Reads what personalization needs from a profile.
    pub fn new(profile: &'p Profile) -> Result<Self, ProfileUseError> {
        Ok(Station {
            profile,
            app: encode::app_spec(profile)?,
        })
    }

    /// Resolves the profile's relative command-list paths (the enable script) against the
    /// folder of the profile file.
    pub fn with_profile_dir(mut self, dir: &std::path::Path) -> Self {
        if let EnableHow::Script { script, .. } = &mut self.app.enable
            && script.is_relative()
        {
            *script = dir.join(&*script);
        }
        self
    }

    /// Takes the initial PIN from the key file when it overrides the profile's (a station's own
    /// issuing PIN); the profile's default otherwise.
    pub fn with_key_file_pin(mut self, kf: &KeyFile) -> Self {
        let spec = self
            .profile
            .df(&self.app.profile_df)
            .and_then(|df| df.pins.first())
            .or_else(|| self.profile.mf.pins.first());
        if let Some(spec) = spec
            && let Ok(digits) = String::from_utf8(kf.initial_pin(spec).expose().to_vec())
        {
            self.app.pin.initial = digits;
        }
        self
    }

    /// Validates and encodes a record (all problems together).
    pub fn encode(&self, record: &HolderRecord) -> Result<Vec<Encoded>, RecordInvalid> {
        encode::encode_record(self.profile, &self.app, record)
    }

    /// The personalization plan of encoded values.
    pub fn plan(&self, values: &[Encoded], opts: PlanOptions) -> Result<Plan, PlanError> {
        Plan::perso(&self.app, values, opts)
    }

    /// What the factor of a diversified key is computed from, for a card with this ATR and a
    /// record with these values.
    pub fn factor_inputs(&self, values: &[Encoded], atr: &[u8]) -> FactorInputs {
        let card_id = values
            .iter()
            .find(|e| e.el.field == "card_id")
            .map(|e| e.value.clone());
        FactorInputs::new(card_id, Some(atr))
    }

    /// Personalizes, verifies and enables one card in one exclusive transaction.
    pub fn personalize(
        &self,
        t: &mut dyn Transport,
        record: &HolderRecord,
        keys: Option<&KeyFile>,
        opts: RunOptions,
    ) -> Result<Report, JobError> {
        self.personalize_with(t, record, soft(keys).as_ref(), opts)
    }

    /// [`Station::personalize`] with the card's keys from `source` (a key file, a PSAM, an HSM).
    pub fn personalize_with(
        &self,
        t: &mut dyn Transport,
        record: &HolderRecord,
        source: Option<&SharedSource>,
        opts: RunOptions,
    ) -> Result<Report, JobError> {
        let values = self.encode(record)?;
        let plan = self.plan(&values, PlanOptions::default())?;
        self.run_plan_from(t, &plan, &values, source, opts)
    }

    /// Writes and reads back the given elements only (no holder check, no PIN, no enabling):
    /// the manufacturer's step that puts the card identification code on the chip.
    pub fn write_elements(
        &self,
        t: &mut dyn Transport,
        values: &[Encoded],
        keys: Option<&KeyFile>,
    ) -> Result<Report, JobError> {
        let plan = self.plan(
            values,
            PlanOptions {
                set_pin: false,
                enable: false,
            },
        )?;
        self.run_plan(t, &plan, values, keys, RunOptions::default())
    }

    /// Verifies a card against a record (read-only).
    pub fn verify(
        &self,
        t: &mut dyn Transport,
        record: &HolderRecord,
        keys: Option<&KeyFile>,
    ) -> Result<Report, JobError> {
        self.verify_with(t, record, soft(keys).as_ref())
    }

    /// [`Station::verify`] with the card's keys from `source`.
    pub fn verify_with(
        &self,
        t: &mut dyn Transport,
        record: &HolderRecord,
        source: Option<&SharedSource>,
    ) -> Result<Report, JobError> {
        let values = self.encode(record)?;
        let plan = Plan::verify(&self.app, &values)?;
        self.run_plan_from(t, &plan, &values, source, RunOptions::default())
    }

    /// Runs a plan in one exclusive transaction.
    pub fn run_plan(
        &self,
        t: &mut dyn Transport,
        plan: &Plan,
        values: &[Encoded],
        keys: Option<&KeyFile>,
        opts: RunOptions,
    ) -> Result<Report, JobError> {
        self.run_plan_from(t, plan, values, soft(keys).as_ref(), opts)
    }

    /// [`Station::run_plan`] with the card's keys from `source`.
    pub fn run_plan_from(
        &self,
        t: &mut dyn Transport,
        plan: &Plan,
        values: &[Encoded],
        source: Option<&SharedSource>,
        opts: RunOptions,
    ) -> Result<Report, JobError> {
        let keys = self.card_keys_from(source, values, &t.atr());
        self.run_plan_with_keys(t, plan, &keys, opts)
    }

    /// Runs a plan in one exclusive transaction with the card's keys already made (when the
    /// diversification factor does not come from the plan's values, e.g. read from the card).
    pub fn run_plan_with_keys(
        &self,
        t: &mut dyn Transport,
        plan: &Plan,
        keys: &CardKeys,
        opts: RunOptions,
    ) -> Result<Report, JobError> {
        let decode = |b: &[u8]| self.decode_identity(b);
        Ok(crate::session::in_transaction(t, |s| {
            run::run(s, &self.app, plan, keys, opts, &decode)
        })?)
    }

    /// The card's keys from a key file (none without one).
    pub fn card_keys(&self, kf: Option<&KeyFile>, values: &[Encoded], atr: &[u8]) -> CardKeys {
        self.card_keys_from(soft(kf).as_ref(), values, atr)
    }

    /// The card's keys computed by `source` (a key file, a PSAM, an HSM; none without one),
    /// diversified for the card these values and this ATR describe.
    pub fn card_keys_from(
        &self,
        source: Option<&SharedSource>,
        values: &[Encoded],
        atr: &[u8],
    ) -> CardKeys {
        match source {
            Some(source) => CardKeys::new(
                source,
                self.profile,
                &self.app.profile_df,
                &self.factor_inputs(values, atr),
            ),
            None => CardKeys::default(),
        }
    }

    fn decode_identity(&self, bytes: &[u8]) -> String {
        encode::element(self.profile, &self.app.identity_field)
            .and_then(|e| e.decode(bytes).ok())
            .unwrap_or_else(|| crate::apdu::compact(bytes))
    }
}

#[cfg(test)]
mod tests;

/// A key file as a key source.
fn soft(kf: Option<&KeyFile>) -> Option<SharedSource> {
    kf.map(|kf| crate::session::shared(crate::session::SoftKeys::new(kf.clone())))
}
