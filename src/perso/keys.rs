//! The card's keys for one run: the key file's master keys, diversified per card as the
//! profile says (docs/crypto.md; the key file and the diversification are `profile::keys`).

use super::run::CardKeys;
use super::spec::AppSpec;
use crate::profile::Profile;
use crate::profile::keys::{Factors, KeyFile};

/// What a diversification factor can be taken from: the card identification code (from the
/// record, or read from the card) and the ATR historical bytes.
pub type FactorInputs = Factors;

/// Makes the card's keys for every key of the application DF. A key the key file lacks, or
/// whose factor is not known, is left out with the reason; a step that needs it fails with
/// that reason.
pub fn card_keys(p: &Profile, app: &AppSpec, kf: &KeyFile, factors: &Factors) -> CardKeys {
    let mut out = CardKeys::default();
    let Some(df) = p.df(&app.profile_df) else {
        return out;
    };
    for spec in &df.keys {
        match kf.card_key(spec, factors) {
            Ok(key) => out.insert(spec.id, key),
            Err(e) => out.unavailable(spec.id, e.to_string()),
        }
    }
    out
}
