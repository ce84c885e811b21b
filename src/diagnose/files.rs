//! The profile's files and elements on the card: selectable, readable, well-formed, valid by
//! the codec; the applications' state and PINs.

use super::verdict::{Findings, Verdict};
use crate::apdu::Sw;
use crate::card::{Card, CardError, Ef, PinState, RecordRef, SelectBy, SelectReturn};
use crate::codec::Format;
use crate::cos::Lcs;
use crate::error::ErrorChain;
use crate::perso::tryread::KeyNeed;
use crate::profile::{Access, Df, Element, Profile};
use crate::session::CardKeys;
use crate::session::{Session, SessionError};
use crate::tlv::{Fcp, SimpleTlv};
use crate::transport::{ResetKind, Transport};

pub use super::checks::{DfCheck, EfCheck, ElementCheck, ExpiryCheck, PinCheck};

/// Walks the profile over one card link.
pub(super) struct Walker<'t> {
    t: &'t mut dyn Transport,
    /// The card stopped answering and a reset did not bring it back.
    pub lost: bool,
    /// Operations that failed and then worked on a retry.
    pub flaky: Vec<String>,
    /// Decoded values by field name, for the cross checks (kept in memory only).
    pub values: Vec<(String, String)>,
    /// Elements of the current EF that failed with a memory failure.
    mem_failed: usize,
    /// The card's keys, when the operator gave `--keys` (only the read key is ever used).
    keys: Option<&'t CardKeys>,
    /// The read key to authenticate with after selecting the DF, for the current EF.
    auth: Option<(u8, String)>,
    /// Why the read key of the current DF was refused or unavailable: never tried again there.
    auth_refused: Option<String>,
    /// The EF that is selected right now, with the DF chain and any read-key authentication
    /// still in force: the next element of that EF is read without selecting or
    /// authenticating again (no redundant APDU). Cleared by anything else that selects.
    here: Option<u16>,
    /// Elements not checked because reading them needs a security state.
    pub unchecked: usize,
    /// Whether the card refused a read key (wrong key file or card id).
    pub key_refused: bool,
    /// Notes for the verdict that do not condemn the card (a read key refused or missing, a
    /// card more open than its profile).
    pub notes: Vec<String>,
    /// The read key the profile names for the current EF (id, label), if any.
    ef_key: Option<(u8, String)>,
    /// That key in words (`read key 0A (读密钥 RKSSSE)`).
    ef_key_words: String,
    /// The current EF was refused (6982) and no key opens it: its other elements are not read.
    ef_need: Option<KeyNeed>,
    /// Every EF not read for want of a key.
    pub needs: Vec<KeyNeed>,
}

fn memory_sw(sw: Sw) -> bool {
    sw == Sw::MEMORY_FAILURE || sw.sw1() == 0x64 || sw.0 == 0x6F00
}

/// How a DF is reached from its parent.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Mf,
    Name(Vec<u8>),
    Fid(u16),
}

fn retryable(e: &CardError) -> bool {
    match e {
        CardError::Transport(_) => true,
        CardError::Status { sw, .. } => {
            *sw == Sw::MEMORY_FAILURE || sw.sw1() == 0x64 || sw.0 == 0x6F00
        }
        _ => false,
    }
}

const TRIES: usize = 3;

impl<'t> Walker<'t> {
    pub fn new(t: &'t mut dyn Transport) -> Self {
        Walker {
            t,
            lost: false,
            flaky: Vec::new(),
            values: Vec::new(),
            mem_failed: 0,
            keys: None,
            auth: None,
            auth_refused: None,
            here: None,
            unchecked: 0,
            key_refused: false,
            notes: Vec::new(),
            ef_key: None,
            ef_key_words: String::new(),
            ef_need: None,
            needs: Vec::new(),
        }
    }

    /// Lets the walker authenticate with the read key from `keys` where an EF needs it.
    pub fn with_keys(mut self, keys: Option<&'t CardKeys>) -> Self {
        self.keys = keys;
        self
    }

    /// Authenticates with the current read key (the DF is selected). At most one attempt per
    /// DF fails: a refusal is remembered and never retried (no try counter is burnt twice).
    fn authenticate(&mut self) -> Result<(), CardError> {
        let Some((id, label)) = self.auth.clone() else {
            return Ok(());
        };
        let Some(key) = self.keys.and_then(|k| k.get(id)) else {
            return Ok(());
        };
        // GET CHALLENGE and EXTERNAL AUTHENTICATE in one transaction (nested in the
        // diagnosis's own when it holds one).
        let card = self.t.name();
        let r = match self.t.transaction() {
            Ok(mut tx) => Session::new(&mut tx).authenticate(id, &label, key),
            Err(source) => Err(SessionError::Transport {
                card,
                doing: "starting the exclusive transaction".into(),
                source,
            }),
        };
        let problem = match r {
            Ok(_) => return Ok(()),
            Err(SessionError::AuthFailed { sw, .. }) => {
                self.key_refused = true;
                format!(
                    "read key {id:02X} ({label}) refused by the card ({:04X}): check the key file / card id",
                    sw.0
                )
            }
            Err(e) => format!(
                "authentication with read key {id:02X} ({label}) failed: {e}",
                e = e.chain()
            ),
        };
        self.auth = None;
        self.notes.push(problem.clone());
        self.auth_refused = Some(problem.clone());
        Err(CardError::BadArgument {
            command: "EXTERNAL AUTHENTICATE",
            problem,
        })
    }

    /// The card answered 6982 in the current EF: makes the EF's read key ready for a retry
    /// (`Ok`), or says why there is none (`Err`, with what the EF needs when the profile
    /// names a key).
    fn want_key(&mut self, ef_path: &str) -> Result<(), Option<KeyNeed>> {
        let Some((id, label)) = self.ef_key.clone() else {
            self.notes.push(format!(
                "{ef_path}: the card refused reading it (6982) although the profile says it is \
                 free: the card's access rules differ from the profile"
            ));
            return Err(None);
        };
        let file = ef_path.rsplit('/').next().unwrap_or(ef_path).to_string();
        let need = |why: String| KeyNeed {
            file: file.clone(),
            tags: Vec::new(),
            key_id: id,
            key: self.ef_key_words.clone(),
            why,
        };
        if let Some(why) = &self.auth_refused {
            return Err(Some(need(why.clone())));
        }
        let Some(keys) = self.keys else {
            return Err(Some(need("give --keys".into())));
        };
        if keys.get(id).is_none() {
            let why = keys.why_missing(id).unwrap_or("it is not in the key file");
            let problem = format!("read key {id:02X} ({label}) not available: {why}");
            self.notes.push(format!("{ef_path}: {problem}"));
            self.auth_refused = Some(problem.clone());
            return Err(Some(need(problem)));
        }
        self.auth = Some((id, label));
        self.here = None;
        Ok(())
    }

    /// Runs `op` after selecting `chain` (and the EF `ef` with `ret`, if any), up to 3 times
    /// when it fails in a way a healthy chip would not (no answer, 6581, 64xx, 6F00).
    fn attempt<T>(
        &mut self,
        what: &str,
        chain: &[Step],
        ef: Option<(u16, SelectReturn)>,
        mut op: impl FnMut(&mut Card<'_>, Option<crate::card::Selected>) -> Result<T, CardError>,
    ) -> Result<T, CardError> {
        let mut first_error = None;
        for i in 0..TRIES {
            // Still on this EF (same chain, same security state): go straight to the work.
            // A retry always starts again from the MF.
            let stay = i == 0 && ef.is_some_and(|(fid, _)| self.here == Some(fid));
            self.here = None;
            let r = if stay {
                op(&mut Card::new(&mut *self.t), None)
            } else {
                let sel = select_chain(&mut Card::new(&mut *self.t), chain);
                let sel = match (sel, ef) {
                    (Ok(s), Some(_)) => self.authenticate().map(|()| s),
                    (other, _) => other,
                };
                let mut card = Card::new(&mut *self.t);
                sel.and_then(|sel| match ef {
                    Some((fid, ret)) => {
                        let s = card.select(SelectBy::Fid(fid), ret)?;
                        op(&mut card, Some(s))
                    }
                    None => op(&mut card, sel),
                })
            };
            match r {
                Ok(v) => {
                    self.here = ef.map(|(fid, _)| fid);
                    if let Some(e) = first_error {
                        self.flaky.push(format!(
                            "{what}: failed ({e}), then worked on try {}",
                            i + 1
                        ));
                    }
                    return Ok(v);
                }
                Err(e) if retryable(&e) && i + 1 < TRIES => {
                    if matches!(e, CardError::Transport(_))
                        && self.t.reset(ResetKind::Cold).is_err()
                    {
                        self.lost = true;
                        return Err(e);
                    }
                    first_error.get_or_insert_with(|| e.chain().to_string());
                }
                Err(e) => return Err(e),
            }
        }
        Err(CardError::BadArgument {
            command: "diagnose",
            problem: format!("{what}: no try left"),
        })
    }

    /// Checks the DF, its PINs, EFs and elements, then the DFs below it.
    fn df(
        &mut self,
        df: &Df,
        chain: &mut Vec<Step>,
        path: &str,
        out: &mut Vec<DfCheck>,
        f: &mut Findings,
    ) {
        if self.lost {
            return;
        }
        let is_mf = chain.is_empty();
        chain.push(if is_mf {
            Step::Mf
        } else if let Some(aid) = &df.aid {
            Step::Name(aid.clone())
        } else {
            Step::Fid(df.fid.unwrap_or(0))
        });
        self.auth_refused = None;
        self.auth = None;
        let mut dc = DfCheck {
            path: path.to_string(),
            label: df.label.clone(),
            status: "ok".into(),
            lcs: None,
            enabled: None,
            algorithm: None,
            pins: Vec::new(),
            efs: Vec::new(),
        };
        let sel = self.attempt(
            &format!("SELECT {path}"),
            chain.split_last().map_or(&[][..], |(_, up)| up),
            None,
            |c, _| {
                let by = match chain.last() {
                    Some(Step::Name(n)) => SelectBy::Name(n),
                    Some(Step::Fid(x)) => SelectBy::Fid(*x),
                    _ => SelectBy::Mf,
                };
                c.select(by, SelectReturn::Fcp)
            },
        );
        let disabled;
        match sel {
            Ok(s) => {
                let fcp = Fcp::parse(&s.data).ok();
                let alg = crate::perso::read::algorithm_id(&s.data);
                if alg.is_some() || df.algorithm_id.is_some() {
                    let mut text = crate::perso::read::algorithm_text(alg);
                    if let Some(want) = df.algorithm_id
                        && alg.unwrap_or(1) != want.byte()
                    {
                        text.push_str(&format!("; the profile says {:02X} {want}", want.byte()));
                    }
                    dc.algorithm = Some(text);
                }
                let lcs = fcp.as_ref().and_then(|x| x.lcs);
                dc.lcs = lcs.map(lcs_words);
                let state = lcs.and_then(Lcs::from_byte);
                disabled = s.deactivated() || state == Some(Lcs::Deactivated);
                if state == Some(Lcs::Creation) {
                    f.add(
                        Verdict::NotIssuable,
                        format!(
                            "{} ({path}) is still in the creation state (8A 01): access conditions \
                             are not enforced, anyone can read and overwrite it (a torn or \
                             unfinished init): run the same `sscard init` again, never hand it over",
                            df.label
                        ),
                    );
                }
                if !is_mf {
                    let enabled = !disabled && (lcs.is_none() || state == Some(Lcs::Activated));
                    dc.enabled = Some(enabled);
                    if !enabled {
                        let how = match state {
                            Some(Lcs::Terminated) => {
                                "terminated: it can never be used again; replace the card"
                            }
                            Some(Lcs::Creation) => "in the creation state (not initialised)",
                            Some(Lcs::Initialisation) => {
                                "not enabled yet (initialisation state): enable it after personalization"
                            }
                            _ => "disabled (deactivated): enable it again if the holder may use it",
                        };
                        f.add(
                            Verdict::NotEnabled,
                            format!("application {} ({path}) is {how}", df.label),
                        );
                    }
                }
            }
            Err(e) => {
                dc.status = format!("cannot be selected: {e}", e = e.chain());
                self.classify(&e, &format!("{} ({path})", df.label), f, false);
                out.push(dc);
                chain.pop();
                return;
            }
        }
        for pin in &df.pins {
            let st = self.attempt(&format!("PIN {}", pin.name), chain, None, |c, _| {
                c.pin_state(pin.reference)
            });
            let (state, left) = match st {
                Ok(PinState::Blocked) => {
                    f.add(
                        Verdict::PinBlocked,
                        format!("PIN '{}' ({}) is blocked", pin.label, pin.name),
                    );
                    ("blocked".to_string(), Some(0))
                }
                Ok(PinState::TriesLeft(n)) => {
                    (format!("{n} of {} tries left", pin.max_tries), Some(n))
                }
                Ok(PinState::Verified) => ("verified".to_string(), None),
                Err(e) => {
                    self.classify(&e, &format!("PIN {}", pin.name), f, disabled);
                    (format!("unknown: {e}", e = e.chain()), None)
                }
            };
            dc.pins.push(PinCheck {
                name: pin.name.clone(),
                reference: pin.reference,
                state,
                tries_left: left,
            });
        }
        for ef in &df.efs {
            if self.lost {
                break;
            }
            let ef_path = format!("{path}/{:04X}", ef.fid);
            let mut ec = EfCheck {
                path: ef_path.clone(),
                label: ef.label.clone(),
                status: "ok".into(),
                elements: Vec::new(),
            };
            if disabled {
                ec.status = "not read: the application is disabled".into();
                dc.efs.push(ec);
                continue;
            }
            let sel = self.attempt(&format!("SELECT {ef_path}"), chain, None, |c, _| {
                c.select(SelectBy::Fid(ef.fid), SelectReturn::Fcp)
            });
            match sel {
                Ok(s) => {
                    if let Ok(fcp) = Fcp::parse(&s.data)
                        && let Some(kind) = fcp.kind()
                        && kind.fdb() != Some(ef.structure.fdb())
                    {
                        ec.status = format!(
                            "structure on the card is {}, the profile says {}",
                            kind.name(),
                            ef.structure.as_str()
                        );
                        f.add(
                            Verdict::DataDamaged,
                            format!("{} ({ef_path}): {}", ef.label, ec.status),
                        );
                    }
                }
                Err(e) => {
                    ec.status = format!("cannot be selected: {e}", e = e.chain());
                    self.classify(&e, &format!("{} ({ef_path})", ef.label), f, false);
                    dc.efs.push(ec);
                    continue;
                }
            }
            self.mem_failed = 0;
            // Try first: no authentication until the card answers 6982 for this EF.
            self.auth = None;
            self.ef_key = match &ef.access.read {
                Access::Auth { id, .. } => Some((*id, read_key_label(df, *id))),
                _ => None,
            };
            self.ef_key_words = self
                .ef_key
                .as_ref()
                .map(|(id, _)| key_words(df, *id))
                .unwrap_or_default();
            self.ef_need = None;
            let refused_before = self.auth_refused.is_some();
            for el in &ef.elements {
                if self.lost {
                    break;
                }
                let status = self.element(
                    el,
                    ef.fid,
                    chain,
                    &ef_path,
                    &ef.label,
                    &mut ec,
                    f,
                    dc.enabled == Some(false),
                );
                if status != "ok" && ec.status == "ok" {
                    ec.status = "see elements".into();
                }
            }
            if let Some(need) = self.ef_need.take() {
                self.needs.push(need);
            }
            if self.auth.is_none()
                && let Some((id, _)) = &self.ef_key
                && ec.elements.iter().any(|e| e.status == "ok")
            {
                self.notes.push(format!(
                    "{ef_path}: read without {}: the profile says reading it needs that key; \
                     this card's access rules are more open than the profile's",
                    key_words(df, *id)
                ));
            }
            self.auth = None;
            self.here = None;
            if !refused_before && let Some(why) = &self.auth_refused {
                ec.status = format!("not checked: {why}");
            } else if let Some(first) = ec.elements.first()
                && ec.elements.iter().all(|e| e.status == first.status)
                && first.status.starts_with("not checked")
            {
                ec.status = first.status.clone();
            }
            if self.mem_failed > 0 {
                f.add(
                    Verdict::ChipFailing,
                    format!(
                        "{} ({ef_path}): memory failure, {} of {} elements unreadable ({TRIES} tries each)",
                        ef.label,
                        self.mem_failed,
                        ef.elements.len()
                    ),
                );
            }
            dc.efs.push(ec);
        }
        out.push(dc);
        for sub in &df.dfs {
            let label = sub
                .fid
                .map(|x| format!("{x:04X}"))
                .unwrap_or_else(|| sub.name.to_uppercase());
            self.df(sub, chain, &format!("{path}/{label}"), out, f);
        }
        chain.pop();
    }

    #[allow(clippy::too_many_arguments)]
    fn element(
        &mut self,
        el: &Element,
        fid: u16,
        chain: &[Step],
        ef_path: &str,
        ef_label: &str,
        ec: &mut EfCheck,
        f: &mut Findings,
        not_enabled: bool,
    ) -> String {
        let what = format!(
            "{ef_label} ({ef_path}) {} '{}' (tag {:02X})",
            el.name, el.label, el.tag
        );
        if let Some(need) = &mut self.ef_need {
            // The card refused this EF and no key opens it: not asked again.
            need.tags.push(el.tag);
            let status = format!("not checked: {}", need_words(need));
            self.unchecked += 1;
            ec.elements.push(ElementCheck {
                name: el.name.clone(),
                label: el.label.clone(),
                tag: format!("{:02X}", el.tag),
                status: status.clone(),
                date: None,
            });
            return status;
        }
        let op = |c: &mut Card<'_>, _| match c.read_record(
            Ef::Current,
            RecordRef::Tag(el.tag),
            el.length + 2,
        ) {
            Err(e) if e.sw() == Some(Sw::RECORD_NOT_FOUND) => Ok(None),
            other => other.map(Some),
        };
        let ef = Some((fid, SelectReturn::Nothing));
        let mut read = self.attempt(&what, chain, ef, op);
        // Try first: only a 6982 makes the read key worth using, and only once per EF.
        if self.auth.is_none()
            && self.ef_need.is_none()
            && matches!(&read, Err(e) if e.sw() == Some(Sw::SECURITY_NOT_SATISFIED))
        {
            match self.want_key(ef_path) {
                Ok(()) => read = self.attempt(&what, chain, ef, op),
                Err(need) => {
                    self.ef_need = need.map(|n| KeyNeed {
                        tags: vec![el.tag],
                        ..n
                    })
                }
            }
        }
        let mut date = None;
        let status = match read {
            Ok(None) if el.required => {
                let s = "missing (no record with this tag)".to_string();
                self.damaged(&what, &s, f, not_enabled);
                s
            }
            Ok(None) => "absent (optional)".to_string(),
            Ok(Some(bytes)) => match self.check_value(el, &bytes) {
                Ok(text) => {
                    if el.format == Format::Date {
                        date = Some(text.clone());
                    }
                    self.values.push((el.name.clone(), text));
                    "ok".to_string()
                }
                Err(problem) => {
                    self.damaged(&what, &problem, f, not_enabled);
                    problem
                }
            },
            Err(CardError::Status { sw, .. }) if memory_sw(sw) => {
                self.mem_failed += 1;
                format!("memory failure ({:04X} on {TRIES} tries)", sw.0)
            }
            Err(CardError::BadArgument {
                command: "EXTERNAL AUTHENTICATE",
                problem,
            }) => {
                self.unchecked += 1;
                format!("not checked: {problem}")
            }
            Err(e) => {
                let s = match e.sw() {
                    Some(Sw::SECURITY_NOT_SATISFIED) => {
                        self.unchecked += 1;
                        match (&self.auth_refused, &self.ef_need) {
                            (Some(why), _) => format!("not checked: {why}"),
                            (None, Some(need)) => format!("not checked: {}", need_words(need)),
                            (None, None) => {
                                "not checked: the card refused reading it (6982)".to_string()
                            }
                        }
                    }
                    Some(sw) => format!("unreadable: {sw}"),
                    None => format!("unreadable: {e}", e = e.chain()),
                };
                self.classify(&e, &what, f, false);
                s
            }
        };
        ec.elements.push(ElementCheck {
            name: el.name.clone(),
            label: el.label.clone(),
            tag: format!("{:02X}", el.tag),
            status: status.clone(),
            date,
        });
        status
    }

    fn damaged(&self, what: &str, problem: &str, f: &mut Findings, not_enabled: bool) {
        // An application never enabled may simply not be personalized yet.
        let class = if not_enabled && problem.contains("empty") {
            Verdict::NotEnabled
        } else {
            Verdict::DataDamaged
        };
        f.add(class, format!("{what}: {problem}"));
    }

    /// Parses the record and decodes and validates its value; `Err` says what is wrong.
    fn check_value(&self, el: &Element, record: &[u8]) -> Result<String, String> {
        let tlv = SimpleTlv::parse_record(record)
            .map_err(|e| format!("not a well-formed SIMPLE-TLV record ({e})", e = e.chain()))?;
        if tlv.tag != el.tag {
            return Err(format!("the record holds tag {:02X}", tlv.tag));
        }
        if tlv.value.len() > el.length {
            return Err(format!(
                "{} bytes, the profile allows {}",
                tlv.value.len(),
                el.length
            ));
        }
        if tlv.value.iter().all(|b| *b == 0) || tlv.value.iter().all(|b| *b == 0xFF) {
            return if el.required {
                Err("empty (never personalized)".into())
            } else {
                Ok(String::new())
            };
        }
        let text = el
            .decode(&tlv.value)
            .map_err(|e| format!("cannot be decoded: {e}", e = e.chain()))?;
        el.validate(&text)
            .map_err(|e| format!("invalid: {e}", e = e.chain()))?;
        Ok(text)
    }

    /// Turns a failed operation into a finding.
    fn classify(&self, e: &CardError, what: &str, f: &mut Findings, disabled: bool) {
        match e {
            CardError::Transport(_) if self.lost => f.add(
                Verdict::NoResponse,
                format!("{what}: the card stopped answering ({e})", e = e.chain()),
            ),
            CardError::Transport(_) => f.add(
                Verdict::ChipFailing,
                format!("{what}: no answer on {TRIES} tries ({e})", e = e.chain()),
            ),
            CardError::Status { sw, .. }
                if *sw == Sw::MEMORY_FAILURE || sw.sw1() == 0x64 || sw.0 == 0x6F00 =>
            {
                f.add(
                    Verdict::ChipFailing,
                    format!("{what}: memory failure ({:04X} on {TRIES} tries)", sw.0),
                )
            }
            CardError::Status { sw, .. } if *sw == Sw::SECURITY_NOT_SATISFIED => {}
            CardError::Status { sw, .. } if disabled || *sw == Sw::CONDITIONS_NOT_SATISFIED => {}
            _ => f.add(Verdict::DataDamaged, format!("{what}: {e}", e = e.chain())),
        }
    }
}

fn select_chain(
    card: &mut Card<'_>,
    chain: &[Step],
) -> Result<Option<crate::card::Selected>, CardError> {
    let mut last = None;
    for s in chain {
        let by = match s {
            Step::Mf => SelectBy::Mf,
            Step::Name(n) => SelectBy::Name(n),
            Step::Fid(x) => SelectBy::Fid(*x),
        };
        last = Some(card.select(by, SelectReturn::Nothing)?);
    }
    Ok(last)
}

/// Checks the whole profile.
pub(super) fn check_profile(w: &mut Walker<'_>, p: &Profile, f: &mut Findings) -> Vec<DfCheck> {
    let mut out = Vec::new();
    let mut chain = Vec::new();
    w.df(&p.mf, &mut chain, "3F00", &mut out, f);
    out
}

/// The label of key `id` of `df` (its profile label, or `key NN`).
fn read_key_label(df: &Df, id: u8) -> String {
    df.keys
        .iter()
        .find(|k| k.id == id)
        .map_or_else(|| format!("key {id:02X}"), |k| k.label.clone())
}

/// Key `id` of `df` in words: `read key 0A (读密钥 RKSSSE)`.
fn key_words(df: &Df, id: u8) -> String {
    match df.keys.iter().find(|k| k.id == id) {
        Some(k) => format!("{} key {id:02X} ({})", k.name, k.label),
        None => format!("key {id:02X}"),
    }
}

/// What an EF needs, for its element lines: `needs read key 0A (...): give --keys`.
fn need_words(need: &KeyNeed) -> String {
    format!("needs {}: {}", need.key, need.why)
}

/// A life cycle status byte in words (`activated`, `deactivated`, ... or the hex byte).
pub fn lcs_words(byte: u8) -> String {
    crate::profile::Lcs::ALL
        .into_iter()
        .find(|l| l.byte() == byte)
        .map_or_else(|| format!("{byte:02X}"), |l| l.as_str().to_string())
}
