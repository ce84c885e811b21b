//! The holder's PIN: verify, change, unblock, and the tries left (VERIFY without data).
//! PINs travel as [`Secret`] and are never printed.

use super::run::{CardKeys, PersoError};
use super::spec::AppSpec;
use crate::apdu::{Command, Sw};
use crate::crypto::{Secret, encode_pin};
use crate::session::{Session, SessionError};

/// What the card says about the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// Verified in this session (or just now).
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked (6983): unblock at the counter.
    Blocked,
}

impl std::fmt::Display for PinState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PinState::Verified => write!(f, "PIN correct"),
            PinState::TriesLeft(n) => write!(f, "{n} tries left"),
            PinState::Blocked => write!(
                f,
                "PIN BLOCKED: unblock it at the counter (sscard pin unblock)"
            ),
        }
    }
}

fn state_of(sw: Sw) -> Option<PinState> {
    match sw {
        Sw::OK => Some(PinState::Verified),
        Sw::AUTH_BLOCKED => Some(PinState::Blocked),
        _ => sw.tries_left().map(PinState::TriesLeft),
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
    encode_pin(digits).map_err(|e| PersoError::Unsupported(format!("the PIN {e}")))
}

fn answer(s: &Session<'_>, cmd: &Command, doing: &str, sw: Sw) -> Result<PinState, PersoError> {
    state_of(sw).ok_or_else(|| {
        PersoError::Session(SessionError::Refused {
            card: s.card_name(),
            doing: doing.to_string(),
            header: [cmd.cla, cmd.ins, cmd.p1, cmd.p2],
            sw,
        })
    })
}

/// The tries left, without spending one (VERIFY without data).
pub fn status(s: &mut Session<'_>, app: &AppSpec) -> Result<PinState, PersoError> {
    select(s, app)?;
    let cmd = Command::new(0x00, 0x20, 0x00, app.pin.reference);
    let doing = "VERIFY (tries left)";
    let r = s.send(&cmd, doing)?;
    answer(s, &cmd, doing, r.sw)
}

/// VERIFY the PIN. A wrong PIN is not an error: the state says the tries left.
pub fn verify(s: &mut Session<'_>, app: &AppSpec, pin: &str) -> Result<PinState, PersoError> {
    select(s, app)?;
    let p = pin_bytes(pin)?;
    let cmd = Command::new(0x00, 0x20, 0x00, app.pin.reference).with_data(p.expose().to_vec());
    let doing = "VERIFY";
    let r = s.send(&cmd, doing)?;
    answer(s, &cmd, doing, r.sw)
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
    let data = Secret::new([o.expose(), n.expose()].concat());
    let cmd = Command::new(0x00, 0x24, 0x00, app.pin.reference).with_data(data.expose().to_vec());
    let doing = "CHANGE REFERENCE DATA";
    let r = s.send(&cmd, doing)?;
    answer(s, &cmd, doing, r.sw)
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
        Some(n) => (0x00, pin_bytes(n)?.expose().to_vec()),
        None => (0x01, Vec::new()),
    };
    let cmd = Command::new(0x00, 0x2C, p1, app.pin.reference).with_data(data);
    s.send_with_mac(&cmd, key, "RESET RETRY COUNTER")?;
    status(s, app)
}
