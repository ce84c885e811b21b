//! Disabling an application (a lost or replaced card): DEACTIVATE FILE on the application DF,
//! then SELECT again to confirm it answers `6283`. Enabling is a plan ([`super::Plan::enable`]):
//! it runs only after every element has been verified.

use super::run::PersoError;
use super::spec::AppSpec;
use crate::card::build;
use crate::cos::AccessCondition;
use crate::session::CardKeys;
use crate::session::{DfState, Session};

/// Deactivates the application. A card already disabled is left as it is (`Ok(false)`).
pub fn disable(s: &mut Session<'_>, app: &AppSpec, keys: &CardKeys) -> Result<bool, PersoError> {
    let state = s.reselect_df(&app.df_name, &app.df_label)?;
    if state.is_deactivated() {
        return Ok(false);
    }
    match app.deactivate {
        AccessCondition::Always | AccessCondition::SecureMessaging(_) => {}
        AccessCondition::ExternalAuth(k) => {
            let key = keys.need(k, &app.key_label(k), &format!("disabling {}", app.df_label))?;
            s.authenticate(k, &app.key_label(k), key)?;
        }
        other => {
            return Err(PersoError::Unsupported(format!(
                "the profile's deactivate condition of {} is {other}: sscard cannot satisfy it",
                app.df_label
            )));
        }
    }
    let doing = format!("DEACTIVATE FILE {}", app.df_label);
    match app.deactivate {
        AccessCondition::SecureMessaging(k) => {
            let key = keys.need(k, &app.key_label(k), &format!("the MAC of {doing}"))?;
            s.send_with_mac(&build::deactivate_file(app.df_fid), key, &doing)?;
        }
        _ => {
            s.with_card(&doing, |c| c.deactivate_file(app.df_fid))?;
        }
    }
    let after: DfState = s.reselect_df(&app.df_name, &app.df_label)?;
    if !after.is_deactivated() {
        return Err(PersoError::Unsupported(format!(
            "{} was deactivated but SELECT still answers {} (life cycle {:?}): the card did not disable it",
            app.df_label,
            crate::apdu::compact(&after.sw.to_bytes()),
            after.lcs
        )));
    }
    Ok(true)
}
