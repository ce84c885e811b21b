//! The holder's PIN: verify, change, unblock, and the tries left (VERIFY without data).
//! PINs travel as [`Secret`] and are never printed.

use super::run::PersoError;
use super::spec::AppSpec;
use crate::apdu::Sw;
use crate::card::build;
use crate::card::{CardError, PinState};
use crate::crypto::{Secret, encode_pin};
use crate::error::ErrorChain;
use crate::session::CardKeys;
use crate::session::Session;

/// The state in the operator's words.
pub fn describe(st: PinState) -> String {
    match st {
        PinState::Verified => "PIN correct".into(),
        PinState::TriesLeft(n) => format!("{n} tries left"),
        PinState::Blocked => "PIN BLOCKED: unblock it at the counter (sscard pin unblock)".into(),
    }
}

fn select(s: &mut Session<'_>, app: &AppSpec) -> Result<(), PersoError> {
    let st = s.reselect_df(&app.df_name, &app.df_label)?;
    if st.is_deactivated() {
        return Err(PersoError::Disabled {
            card: s.card_name(),
            label: app.df_label.clone(),
        });
    }
    Ok(())
}

fn pin_bytes(digits: &str) -> Result<Secret, PersoError> {
    encode_pin(digits).map_err(|e| {
        PersoError::Unsupported(format!("the PIN given is not usable: {e}", e = e.chain()))
    })
}

/// A wrong or blocked PIN is an answer, not an error.
fn state_after(r: Result<(), CardError>) -> Result<PinState, CardError> {
    match r {
        Ok(()) => Ok(PinState::Verified),
        Err(e) => match e.sw() {
            Some(Sw::AUTH_BLOCKED) | Some(Sw(0x63C0)) => Ok(PinState::Blocked),
            Some(sw) if sw.tries_left().is_some() => {
                Ok(PinState::TriesLeft(sw.tries_left().unwrap_or(0)))
            }
            _ => Err(e),
        },
    }
}

/// The tries left, without spending one (VERIFY without data).
pub fn status(s: &mut Session<'_>, app: &AppSpec) -> Result<PinState, PersoError> {
    select(s, app)?;
    let reference = app.pin.reference;
    Ok(s.with_card("asking the PIN's tries left", |c| c.pin_state(reference))?)
}

/// VERIFY the PIN. A wrong PIN is not an error: the state says the tries left.
pub fn verify(s: &mut Session<'_>, app: &AppSpec, pin: &str) -> Result<PinState, PersoError> {
    select(s, app)?;
    let p = pin_bytes(pin)?;
    let reference = app.pin.reference;
    Ok(s.with_card("verifying the PIN", |c| {
        state_after(c.verify(reference, &p))
    })?)
}

/// CHANGE REFERENCE DATA: old PIN then new PIN.
pub fn change(
    s: &mut Session<'_>,
    app: &AppSpec,
    old: &str,
    new: &str,
) -> Result<PinState, PersoError> {
    select(s, app)?;
    let (o, n) = (pin_bytes(old)?, pin_bytes(new)?);
    let reference = app.pin.reference;
    Ok(s.with_card("changing the PIN", |c| {
        state_after(c.change_reference_data(reference, &o, &n))
    })?)
}

/// RESET RETRY COUNTER with the PIN-unblock key's MAC (secure messaging), optionally setting
/// a new PIN. Returns the state after (tries left, full).
pub fn unblock(
    s: &mut Session<'_>,
    app: &AppSpec,
    keys: &CardKeys,
    puk_id: u8,
    new: Option<&str>,
) -> Result<PinState, PersoError> {
    select(s, app)?;
    let key = keys.need(puk_id, &app.key_label(puk_id), "unblocking the PIN")?;
    let (p1, data) = match new {
        Some(n) => (0x02, pin_bytes(n)?),
        None => (0x03, Secret::new(Vec::new())),
    };
    // RESET RETRY COUNTER under secure messaging: the MAC'd form is built by `crypto`.
    let cmd = build::reset_retry_counter(p1, app.pin.reference, data.expose());
    s.send_with_mac(&cmd, key, "unblocking the PIN (RESET RETRY COUNTER)")?;
    let reference = app.pin.reference;
    Ok(s.with_card("asking the PIN's tries left", |c| c.pin_state(reference))?)
}
