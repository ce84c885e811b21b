//! What each function of the reader interface does, in safe Rust on the library's workflows
//! (`perso::read`, `perso::pin`, the personalization plan for writes). Each returns the text
//! for `pOutInfo` or the code and text of the failure.

use super::addr;
use super::codes::{Code, FfiError};
use crate::apdu::Sw;
use crate::card::PinState;
use crate::config::{Config, KeySource, PinSource};
use crate::cos::AccessCondition;
use crate::error::ErrorChain;
use crate::perso::encode::{card_fields, decode_found, element};
use crate::perso::read::{CardContent, Terminal, ireadcardbas, read_card, read_elements};
use crate::perso::run::{Found, read_element};
use crate::perso::{Encoded, PlanOptions, RunOptions, Station, pin};
use crate::profile::keys::KeyFile;
use crate::profile::{KeyRole, Profile};
use crate::session::{CardKeys, SharedSource, SoftKeys, shared};
use crate::session::{Session, in_transaction};
use crate::transport::Transport;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// What every call needs: the configuration, the profile and the keys.
pub struct Ctx {
    /// The configuration (files and `SSCARD_*` variables).
    pub cfg: Config,
    /// The card profile.
    pub profile: Profile,
    /// The key source (a key file today), when one is configured.
    pub keys: Option<SharedSource>,
}

fn library(e: impl std::fmt::Display) -> FfiError {
    FfiError::new(Code::Library, e.to_string())
}

/// iType: 1 contact; 3 and 4 (automatic, contact or contactless first) use the contact reader,
/// the only kind sscard drives; 2 (contactless only) is not supported.
pub fn check_type(i_type: i32) -> Result<(), FfiError> {
    match i_type {
        1 | 3 | 4 => Ok(()),
        2 => Err(FfiError::new(
            Code::NotSupported,
            "iType 2 (contactless): no contactless reader is configured; sscard reads the card by contact (iType 1)",
        )),
        other => Err(FfiError::new(
            Code::BadArgument,
            format!("iType {other}: use 1 (contact), 2 (contactless), 3 or 4 (automatic)"),
        )),
    }
}

/// The configuration, profile and keys of this process, read on every call (a changed
/// configuration file takes effect at the next call).
pub fn context() -> Result<Ctx, FfiError> {
    let cfg = Config::load().map_err(library)?;
    let arg = cfg.profile.as_deref().ok_or_else(|| {
        FfiError::new(
            Code::Library,
            "no card profile is configured: set `profile` in /etc/sscard/sscard.toml (or SSCARD_PROFILE)",
        )
    })?;
    // A name is found as `--profile NAME` finds it (profile folders, then the compiled-in copy).
    let profile = crate::profile::locate(std::path::Path::new(arg))
        .and_then(|found| found.load())
        .map_err(library)?;
    let keys = match &cfg.keys {
        None | Some(KeySource::None) => None,
        Some(KeySource::File { path }) => {
            Some(shared(SoftKeys::new(KeyFile::load(path).map_err(library)?)))
        }
    };
    Ok(Ctx { cfg, profile, keys })
}

/// One lock per reader setting: one card session at a time per reader; other callers wait.
pub(super) fn reader_lock(reader: &str) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    let map = LOCKS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(reader.to_string()).or_default().clone()
}

/// The card identification code in a `pCardInfo` string: its field of 32 characters.
pub fn card_id_in(card_info: &str) -> Result<Option<String>, FfiError> {
    for f in card_info.split('|').map(str::trim) {
        if f.len() == 32 {
            if !f.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(FfiError::new(
                    Code::CardIdFormat,
                    format!("pCardInfo: `{f}` is not a card identification code (32 hex digits)"),
                ));
            }
            return Ok(Some(f.to_ascii_uppercase()));
        }
    }
    Ok(None)
}

pub(super) fn is_deactivated(sw: Sw, lcs: Option<u8>) -> bool {
    sw == Sw::FILE_DEACTIVATED || lcs == Some(0x04)
}

pub(super) fn deactivated(label: &str) -> FfiError {
    FfiError::new(
        Code::Card(0x6A81),
        format!(
            "the application {label} is disabled (deactivated: a lost or replaced card); make a replacement card"
        ),
    )
}

impl Ctx {
    /// Opens the configured card (exclusive for writes) under its reader's lock and runs `f`.
    pub fn with_card<T>(
        &self,
        exclusive: bool,
        f: impl FnOnce(&mut dyn Transport, &Station<'_>) -> Result<T, FfiError>,
    ) -> Result<T, FfiError> {
        let station = Station::new(&self.profile).map_err(library)?;
        let lock = reader_lock(self.cfg.reader.as_deref().unwrap_or(""));
        let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut card = self.open(exclusive)?;
        let result = f(card.as_mut(), &station);
        let _ = card.close();
        result
    }

    /// Opens the configured card (the caller holds its reader's lock).
    pub(super) fn open(&self, exclusive: bool) -> Result<Box<dyn Transport>, FfiError> {
        let protocol = self.cfg.protocol_choice().map_err(library)?;
        Ok(crate::transport::open(
            self.cfg.reader.as_deref(),
            exclusive,
            protocol,
        )?)
    }

    /// A missing key is "no key source" when none is configured.
    fn key_error(&self, e: FfiError) -> FfiError {
        if e.code == Code::NoKey && self.keys.is_none() {
            FfiError::new(
                Code::NoKeySource,
                format!(
                    "{}; no key source is configured ([keys] in /etc/sscard/sscard.toml or SSCARD_KEYS)",
                    e.text
                ),
            )
        } else {
            e
        }
    }

    /// The card identification code as a diversification factor: read from the card when its
    /// file needs no key, else taken from `given` (pCardInfo). A given code must match the
    /// card's.
    fn card_id(
        &self,
        s: &mut Session<'_>,
        st: &Station<'_>,
        given: Option<&str>,
    ) -> Result<Vec<Encoded>, FfiError> {
        let Some(el) = st.app.element("card_id").cloned() else {
            return Ok(Vec::new());
        };
        let given = match given {
            Some(text) => {
                let e = element(&self.profile, "card_id").ok_or_else(|| library("no card_id"))?;
                let v = e.encode(text).map_err(|err| {
                    FfiError::new(
                        Code::CardIdFormat,
                        format!("pCardInfo: {err}", err = err.chain()),
                    )
                })?;
                Some(v)
            }
            None => None,
        };
        if el.read == AccessCondition::Always {
            let state = s.reselect_df(&st.app.df_name, &st.app.df_label)?;
            if is_deactivated(state.sw, state.lcs) {
                return Err(deactivated(&st.app.df_label));
            }
            if let Found::Value(v) = read_element(s, &el)? {
                if given.as_ref().is_some_and(|g| *g != v) {
                    return Err(FfiError::new(
                        Code::Mismatch,
                        "pCardInfo names another card: its card identification code is not this card's",
                    ));
                }
                return Ok(vec![Encoded { el, value: v }]);
            }
        }
        Ok(given
            .map(|value| Encoded { el, value })
            .into_iter()
            .collect())
    }

    fn card_keys(
        &self,
        s: &mut Session<'_>,
        st: &Station<'_>,
        given: Option<&str>,
    ) -> Result<CardKeys, FfiError> {
        let atr = s.atr();
        let values = self.card_id(s, st, given)?;
        Ok(st.card_keys_from(self.keys.as_ref(), &values, &atr))
    }

    /// A read that left elements out (a key not at hand) or met a disabled application fails.
    fn check_read(&self, content: &CardContent, label: &str) -> Result<(), FfiError> {
        if is_deactivated(content.sw, content.lcs) {
            return Err(deactivated(label));
        }
        match content.missing() {
            Some(what) => Err(self.key_error(FfiError::new(Code::NoKey, what))),
            None => Ok(()),
        }
    }

    /// The configured terminal numbers, checked as the `iReadCardBas` line needs them.
    pub fn terminal(&self) -> Result<Terminal, FfiError> {
        terminal(&self.cfg)
    }
}

/// `iReadCardBas`: the one-line basic information (same as `sscard read --format ireadcardbas`).
pub fn read_bas(ctx: &Ctx) -> Result<String, FfiError> {
    ctx.with_card(false, |t, st| {
        in_transaction(t, |s| {
            let keys = ctx.card_keys(s, st, None)?;
            let content = read_card(s, &st.app, &keys).map_err(|e| ctx.key_error(e.into()))?;
            ctx.check_read(&content, &st.app.df_label)?;
            let decoded = decode_found(&ctx.profile, &content.values);
            let fields = card_fields(&ctx.profile, &decoded);
            let historical = crate::atr::Atr::parse(&content.atr)
                .map(|a| a.historical.bytes)
                .unwrap_or_default();
            Ok(ireadcardbas(&fields, &historical, &ctx.terminal()?))
        })
    })
}

/// `iReadCard`: the elements a file-address string names, `|`-joined.
pub fn read_addr(ctx: &Ctx, card_info: &str, file_addr: &str) -> Result<String, FfiError> {
    let given = card_id_in(card_info)?;
    ctx.with_card(false, |t, st| {
        let wanted = addr::parse(file_addr, &st.app)?;
        let content = in_transaction(t, |s| {
            let keys = ctx.card_keys(s, st, given.as_deref())?;
            read_elements(s, &st.app, &keys, &wanted).map_err(|e| ctx.key_error(e.into()))
        })?;
        ctx.check_read(&content, &st.app.df_label)?;
        if let Some((el, _)) = content.values.iter().find(|(_, f)| *f == Found::NoRecord) {
            return Err(FfiError::new(
                Code::Card(0x6A83),
                format!("{el} has no record on this card"),
            ));
        }
        let decoded = decode_found(&ctx.profile, &content.values);
        let texts: Vec<String> = decoded
            .into_iter()
            .map(|(_, t)| t.unwrap_or_default())
            .collect();
        Ok(addr::join(&texts))
    })
}

/// `iWriteCard`: writes the values to the elements named, by the personalization plan (write
/// key, UPDATE RECORD, read back byte for byte; the holder check when the SSN is written).
pub fn write_addr(
    ctx: &Ctx,
    card_info: &str,
    file_addr: &str,
    data: &str,
) -> Result<String, FfiError> {
    let given = card_id_in(card_info)?;
    ctx.with_card(true, |t, st| {
        let wanted = addr::parse(file_addr, &st.app)?;
        let texts = addr::values(data, wanted.len())?;
        let mut values = Vec::new();
        for (el, text) in wanted.into_iter().zip(texts) {
            let e = element(&ctx.profile, &el.field)
                .ok_or_else(|| library(format!("{el}: not in the profile")))?;
            let value = e.encode(&text).map_err(|err| {
                FfiError::new(Code::DataInvalid, format!("{el}: {err}", err = err.chain()))
            })?;
            values.push(Encoded { el, value });
        }
        let keys = in_transaction(t, |s| ctx.card_keys(s, st, given.as_deref()))?;
        let opts = PlanOptions {
            set_pin: false,
            enable: false,
        };
        let plan = st.plan(&values, opts).map_err(library)?;
        let report = st
            .run_plan_with_keys(t, &plan, &keys, RunOptions::default())
            .map_err(|e| ctx.key_error(e.into()))?;
        Ok(format!("{}|{}|", report.written, report.verified))
    })
}

/// A PIN as the interface takes it: 4 to 16 digits.
pub fn check_pin(pin: &str, what: &str) -> Result<(), FfiError> {
    if (4..=16).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FfiError::new(
            Code::PinLength,
            format!("{what} must be 4 to 16 digits"),
        ))
    }
}

fn pin_outcome(state: PinState) -> Result<String, FfiError> {
    match state {
        PinState::Verified => Ok(String::new()),
        PinState::TriesLeft(n) => Err(FfiError::new(
            Code::PinWrong,
            format!("剩余{n}次 ({n} tries left)"),
        )),
        PinState::Blocked => Err(FfiError::new(
            Code::PinBlocked,
            "PIN blocked: unblock it at the counter (iUnblockPIN)",
        )),
    }
}

/// `iVerifyPIN` / `iVerifyPINK`.
pub fn verify_pin(ctx: &Ctx, pin_text: &str) -> Result<String, FfiError> {
    check_pin(pin_text, "the PIN")?;
    ctx.with_card(false, |t, st| {
        pin_outcome(in_transaction(t, |s| pin::verify(s, &st.app, pin_text))?)
    })
}

/// `iChangePIN` / `iChangePINK`.
pub fn change_pin(ctx: &Ctx, old: &str, new: &str) -> Result<String, FfiError> {
    check_pin(old, "the current PIN")?;
    check_pin(new, "the new PIN")?;
    ctx.with_card(false, |t, st| {
        if new == st.app.pin.initial {
            return Err(FfiError::new(
                Code::PinInitial,
                "the new PIN may not be the initial (issuing) PIN",
            ));
        }
        pin_outcome(in_transaction(t, |s| pin::change(s, &st.app, old, new))?)
    })
}

fn key_with_role(profile: &Profile, st: &Station<'_>, role: KeyRole) -> Result<u8, FfiError> {
    profile
        .df(&st.app.profile_df)
        .and_then(|df| df.keys.iter().find(|k| k.role == role))
        .map(|k| k.id)
        .ok_or_else(|| {
            FfiError::new(
                Code::NotSupported,
                format!("the profile declares no {role:?} key in the application"),
            )
        })
}

/// `iReloadPIN` (reload: the PIN back to the initial PIN with the reload key) and
/// `iUnblockPIN` (unblock: the tries counter full again with the PIN-unblock key).
pub fn reset_pin(ctx: &Ctx, card_info: &str, reload: bool) -> Result<String, FfiError> {
    let given = card_id_in(card_info)?;
    ctx.with_card(false, |t, st| {
        let role = if reload {
            KeyRole::PinReload
        } else {
            KeyRole::PinUnblock
        };
        let key_id = key_with_role(&ctx.profile, st, role)?;
        let new = reload.then_some(st.app.pin.initial.as_str());
        let state = in_transaction(t, |s| {
            let keys = ctx.card_keys(s, st, given.as_deref())?;
            pin::unblock(s, &st.app, &keys, key_id, new).map_err(|e| ctx.key_error(e.into()))
        })?;
        match state {
            // The counter is full again; the PIN is not verified by this.
            PinState::TriesLeft(_) | PinState::Verified => Ok(String::new()),
            PinState::Blocked => pin_outcome(state),
        }
    })
}

/// The PIN from the configured PIN pad: `which` is `pin` or `new-pin`.
pub fn pad_pin(cfg: &Config, which: &str) -> Result<String, FfiError> {
    match &cfg.pinpad {
        None | Some(PinSource::None) => Err(FfiError::new(
            Code::NotSupported,
            "no PIN pad is configured ([pinpad] in /etc/sscard/sscard.toml): use iVerifyPINK / iChangePINK",
        )),
        Some(PinSource::Env) => {
            let var = if which == "pin" {
                "SSCARD_PIN"
            } else {
                "SSCARD_NEW_PIN"
            };
            std::env::var(var).map_err(|_| {
                FfiError::new(
                    Code::PinCancelled,
                    format!("{var} is not set (PIN pad source env)"),
                )
            })
        }
        Some(PinSource::Command { command }) => {
            let (prog, args) = command
                .split_first()
                .ok_or_else(|| library("[pinpad] command is empty"))?;
            let out = std::process::Command::new(prog)
                .args(args)
                .arg(which)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| {
                    library(format!(
                        "cannot run the PIN pad command {prog}: {e}",
                        e = e.chain()
                    ))
                })?;
            if !out.status.success() {
                return Err(FfiError::new(
                    Code::PinCancelled,
                    format!("the PIN pad command {prog} ended with {}", out.status),
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
    }
}

/// `iGetReaderInfo`: the reader's device number and the terminal number (configured), after
/// checking the configured reader is there. The device number is the reader's serial from
/// PC/SC when its driver gives one ([`device_from_serial`]), else the configured `[terminal]
/// device` (`SSCARD_TERMINAL_DEVICE`), else `FFFFFFFFFFFFFF` (docs/ffi.md).
pub fn reader_info() -> Result<(String, String), FfiError> {
    let cfg = Config::load().map_err(library)?;
    let reader = cfg.reader.as_deref();
    let mut serial = None;
    if !reader.is_some_and(|r| r.starts_with("sim:")) {
        let readers = crate::transport::pcsc::list_readers()?;
        if readers.is_empty() {
            return Err(crate::transport::TransportError::NoReaders.into());
        }
        let chosen = match reader {
            Some(r) => Some(crate::transport::select::choose(&readers, Some(r))?),
            // No reader configured: the one a card call would use, if it can be told.
            None => crate::transport::select::choose(&readers, None).ok(),
        };
        serial = chosen
            .and_then(|r| crate::transport::pcsc::reader_serial(&r.name))
            .and_then(|raw| device_from_serial(&raw));
    }
    let t = terminal(&cfg)?;
    Ok((serial.unwrap_or(t.device), t.number))
}

/// The 14-character terminal device number of a reader serial (PC/SC
/// `SCARD_ATTR_VENDOR_IFD_SERIAL_NO`): its ASCII letters and digits, upper-cased, the last 14
/// when longer, left-padded with `0` when shorter. `None` when it holds no letter or digit.
pub fn device_from_serial(raw: &[u8]) -> Option<String> {
    let kept: Vec<char> = raw
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| char::from(b.to_ascii_uppercase()))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let tail: String = kept.iter().skip(kept.len().saturating_sub(14)).collect();
    Some(format!("{tail:0>14}"))
}

/// The configured terminal numbers, checked as the `iReadCardBas` line needs them.
fn terminal(cfg: &Config) -> Result<Terminal, FfiError> {
    let bad =
        |what: &str, e: String| FfiError::new(Code::Library, format!("the configured {what}: {e}"));
    let number = Terminal::check_number(&cfg.terminal_number())
        .map_err(|e| bad("terminal number ([terminal] number, SSCARD_TERMINAL_NO)", e))?;
    let device = Terminal::check_device(&cfg.terminal_device()).map_err(|e| {
        bad(
            "terminal device number ([terminal] device, SSCARD_TERMINAL_DEVICE)",
            e,
        )
    })?;
    Ok(Terminal { number, device })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itype_1_3_4_use_the_contact_reader_and_2_is_not_supported() {
        assert!(check_type(1).is_ok());
        assert!(check_type(3).is_ok());
        assert_eq!(check_type(2).unwrap_err().code.value(), -13);
        assert_eq!(check_type(9).unwrap_err().code.value(), -14);
    }

    #[test]
    fn card_info_gives_the_card_id_or_a_format_error() {
        assert_eq!(card_id_in("").unwrap(), None);
        let id = "440700D156000005008A3F21C4E5B607";
        assert_eq!(
            card_id_in(&format!("440700|{id}|")).unwrap().as_deref(),
            Some(id)
        );
        let e = card_id_in("440700D156000005008A3F21C4E5B60G").unwrap_err();
        assert_eq!(e.code.value(), -20);
    }

    #[test]
    fn a_reader_serial_becomes_a_14_character_device_number() {
        assert_eq!(
            device_from_serial(b"1234567").as_deref(),
            Some("00000001234567")
        );
        assert_eq!(
            device_from_serial(b"sn-ab12:0099887766554433").as_deref(),
            Some("99887766554433")
        );
        assert_eq!(
            device_from_serial(b"AB12CD34EF56GH").as_deref(),
            Some("AB12CD34EF56GH")
        );
        assert_eq!(device_from_serial(b" - \xff"), None);
        assert_eq!(device_from_serial(b""), None);
    }

    #[test]
    fn pins_are_4_to_16_digits() {
        assert!(check_pin("123456", "PIN").is_ok());
        assert_eq!(check_pin("123", "PIN").unwrap_err().code.value(), -33);
        assert_eq!(check_pin("12a456", "PIN").unwrap_err().code.value(), -33);
    }
}
