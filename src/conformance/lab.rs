//! The machinery of a conformance run: the recording link, the session, running one check,
//! satisfying access conditions with the test keys.

use super::{CheckResult, Outcome, SuiteReport};
use crate::apdu::{Command, Response, Sw, spaced};
use crate::error::ErrorChain;
use crate::exchange::{ExchangeOptions, exchange};
use crate::profile::keys::{Factors, KeyFile};
use crate::profile::{Access, Df, Ef, KeySpec, Profile, Structure};
use crate::session::{CardKey, Session, SessionError, SharedSource};
use crate::transport::{ResetKind, Tap, Transport, TransportError, Tx};
use std::cell::RefCell;
use std::rc::Rc;

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The card identification code (hex), when keys are diversified by it and the card does
    /// not let it be read without them.
    pub card_id: Option<Vec<u8>>,
}

/// Why a check did not pass.
#[derive(Debug)]
pub(super) enum Halt {
    /// The card misbehaved.
    Fail(String),
    /// The check does not apply or cannot run.
    Skip(String),
    /// The card stopped answering.
    Lost(String),
}

impl From<SessionError> for Halt {
    fn from(e: SessionError) -> Self {
        if e.is_link_failure() {
            Halt::Lost(e.chain().to_string())
        } else {
            Halt::Fail(e.chain().to_string())
        }
    }
}

impl From<TransportError> for Halt {
    fn from(e: TransportError) -> Self {
        Halt::Lost(e.chain().to_string())
    }
}

pub(super) type R<T> = Result<T, Halt>;

/// How a DF is reached: from the MF, by name or FID.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Name(Vec<u8>),
    Fid(u16),
}

/// A DF of the profile with the way to reach it.
#[derive(Debug, Clone)]
pub(super) struct DfAt<'p> {
    pub df: &'p Df,
    pub chain: Vec<Step>,
    pub path: String,
}

/// Every DF of the profile (the MF first), depth first.
pub(super) fn all_dfs(p: &Profile) -> Vec<DfAt<'_>> {
    fn walk<'p>(df: &'p Df, chain: Vec<Step>, path: String, out: &mut Vec<DfAt<'p>>) {
        out.push(DfAt {
            df,
            chain: chain.clone(),
            path: path.clone(),
        });
        for sub in &df.dfs {
            let mut c = chain.clone();
            c.push(match (&sub.aid, sub.fid) {
                (Some(a), _) => Step::Name(a.clone()),
                (None, Some(f)) => Step::Fid(f),
                (None, None) => Step::Name(Vec::new()),
            });
            let seg = sub
                .fid
                .map(|f| format!("{f:04X}"))
                .unwrap_or_else(|| sub.name.to_uppercase());
            walk(sub, c, format!("{path}/{seg}"), out);
        }
    }
    let mut out = Vec::new();
    walk(&p.mf, Vec::new(), "3F00".into(), &mut out);
    out
}

/// A conformance run in progress.
pub(super) struct Lab<'s, 't> {
    pub s: Session<'s>,
    log: Rc<RefCell<Vec<String>>>,
    pub profile: &'t Profile,
    pub keys: Option<&'t KeyFile>,
    /// Where the card's cryptograms and MACs come from.
    pub source: Option<SharedSource>,
    pub factors: Factors,
    pub lost: bool,
    pub results: Vec<CheckResult>,
    pub changed: Vec<String>,
}

/// Runs `checks` (the suite generated from `profile`) on the card on `t`.
pub(super) fn run_with(
    t: &mut dyn Transport,
    profile: &Profile,
    keys: Option<&KeyFile>,
    source: Option<SharedSource>,
    opts: &Options,
    checks: impl FnOnce(&mut Lab<'_, '_>),
) -> SuiteReport {
    let log = Rc::new(RefCell::new(Vec::new()));
    let atr = t.atr();
    let reader = t.name();
    // Every exchange, masked by the one trace choke point, is kept as evidence.
    let sink = Rc::clone(&log);
    let mut rec = Tap::new(
        t,
        crate::trace::evidence(move |l| sink.borrow_mut().push(l)),
    );
    // One transaction for the whole suite: no other program interleaves with its probes.
    let mut tx = match Tx::begin(&mut rec) {
        Ok(tx) => tx,
        Err(e) => {
            return super::no_answer_report(
                &reader,
                profile,
                &format!(
                    "the card could not be taken exclusively: {e}",
                    e = e.chain()
                ),
            );
        }
    };
    let mut lab = Lab {
        s: Session::new(&mut tx),
        log,
        profile,
        keys,
        source,
        factors: Factors::new(opts.card_id.clone(), Some(&atr)),
        lost: atr.is_empty(),
        results: Vec::new(),
        changed: Vec::new(),
    };
    if lab.lost {
        lab.check("power", "the card answers to reset", |_| {
            Err(Halt::Lost("no ATR".into()))
        });
    }
    if lab.factors.card_id.is_none() && !lab.lost {
        lab.factors.card_id = read_card_id(&mut lab);
    }
    checks(&mut lab);
    SuiteReport {
        reader,
        atr: spaced(&atr),
        profile: profile.meta.name.clone(),
        checks: lab.results,
        changed: lab.changed,
        card_lost: lab.lost,
    }
}

/// The command that reads the start of the current EF.
pub(super) fn read_cmd(ef: &Ef) -> Command {
    if ef.structure == Structure::Transparent {
        Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256)
    } else {
        Command::new(0x00, 0xB2, 0x01, 0x04).with_le(256)
    }
}

/// Status words a successful read may give (an empty record file answers 6A83).
pub(super) const READ_OK: [Sw; 3] = [Sw::OK, Sw::RECORD_NOT_FOUND, Sw(0x6282)];

impl Lab<'_, '_> {
    /// Runs one check; a card already lost makes it NOT RUN.
    pub fn check(
        &mut self,
        group: &'static str,
        name: impl Into<String>,
        body: impl FnOnce(&mut Self) -> R<String>,
    ) {
        let id = self.results.len() + 1;
        let name = name.into();
        if self.lost {
            self.results.push(CheckResult {
                id,
                group,
                name,
                outcome: Outcome::NotRun,
                detail: "the card stopped answering earlier".into(),
                evidence: Vec::new(),
            });
            return;
        }
        self.log.borrow_mut().clear();
        let r = body(self);
        let (outcome, detail) = match r {
            Ok(d) => (Outcome::Pass, d),
            Err(Halt::Skip(d)) => (Outcome::Skip, d),
            Err(Halt::Fail(d)) => (Outcome::Fail, d),
            Err(Halt::Lost(d)) => {
                let back = self.s.transport().reset(ResetKind::Cold).is_ok();
                self.s.forget();
                if !back {
                    self.lost = true;
                }
                (
                    Outcome::Fail,
                    format!(
                        "the card stopped answering ({d}){}",
                        if back {
                            "; it came back after a reset"
                        } else {
                            " and did not come back after a reset"
                        }
                    ),
                )
            }
        };
        let evidence = if outcome == Outcome::Fail {
            let log = self.log.borrow();
            let skip = log.len().saturating_sub(24);
            log.iter().skip(skip).cloned().collect()
        } else {
            Vec::new()
        };
        self.results.push(CheckResult {
            id,
            group,
            name,
            outcome,
            detail,
            evidence,
        });
    }

    /// Sends with automatic GET RESPONSE / 6Cxx handling; any status word comes back.
    pub fn send(&mut self, cmd: &Command) -> R<Response> {
        Ok(self.s.send(cmd, "conformance")?)
    }

    /// Sends without any automatic handling (for T=0 checks).
    pub fn raw(&mut self, cmd: &Command) -> R<Response> {
        let opts = ExchangeOptions {
            auto: false,
            get_response_cla: 0,
        };
        Ok(exchange(self.s.transport(), cmd, &opts)?)
    }

    /// A cold reset: selection and security state gone.
    pub fn fresh(&mut self) -> R<()> {
        self.s.transport().reset(ResetKind::Cold)?;
        self.s.forget();
        Ok(())
    }

    /// Selects the DF from the MF (no response data); answers the last status word.
    pub fn goto(&mut self, chain: &[Step]) -> R<Sw> {
        let r = self.send(&select(0x00, &[0x3F, 0x00]))?;
        expect(r.sw, &[Sw::OK], "SELECT MF")?;
        self.s.forget();
        let mut sw = r.sw;
        for st in chain {
            let cmd = match st {
                Step::Name(n) => select(0x04, n),
                Step::Fid(f) => select(0x00, &f.to_be_bytes()),
            };
            let r = self.send(&cmd)?;
            expect(r.sw, &[Sw::OK, Sw::FILE_DEACTIVATED], "SELECT of the DF")?;
            sw = r.sw;
        }
        Ok(sw)
    }

    /// Selects an EF of the current DF by FID (no response data).
    pub fn select_ef(&mut self, fid: u16) -> R<Sw> {
        let r = self.send(&select(0x00, &fid.to_be_bytes()))?;
        expect(
            r.sw,
            &[Sw::OK, Sw::FILE_DEACTIVATED],
            &format!("SELECT EF {fid:04X}"),
        )?;
        Ok(r.sw)
    }

    /// The card's key for `spec`, from the key source.
    pub fn key(&self, spec: &KeySpec) -> R<CardKey> {
        let source = self
            .source
            .as_ref()
            .ok_or_else(|| Halt::Skip(format!("needs key '{}': give --keys", spec.name)))?;
        CardKey::for_card(source, spec, &self.factors)
            .map_err(|e| Halt::Skip(format!("key '{}' not available: {e}", spec.name)))
    }

    /// Brings the security state `access` about in the current DF `df` (PIN verified,
    /// external authentication done). `Mac` conditions are met per command by
    /// [`Lab::send_under`]; `Never` cannot be met.
    pub fn satisfy(&mut self, access: &Access, df: &Df) -> R<()> {
        match access {
            Access::Always | Access::Mac { .. } => Ok(()),
            Access::Never => Err(Halt::Skip("the condition is 'never'".into())),
            Access::Pin { name, reference } => {
                let spec = df
                    .pins
                    .iter()
                    .find(|p| p.reference == *reference)
                    .ok_or_else(|| {
                        Halt::Skip(format!("PIN '{name}' is not in this DF's profile"))
                    })?;
                let pin = self.pin_bytes(spec)?;
                let r = self.send(&Command::new(0x00, 0x20, 0x00, *reference).with_data(pin))?;
                expect(r.sw, &[Sw::OK], &format!("VERIFY PIN '{name}'"))
            }
            Access::Auth { key, id } => {
                let spec = find_key(df, *id, key)?;
                let k = self.key(&spec)?;
                self.s.authenticate(*id, &spec.label, &k)?;
                Ok(())
            }
        }
    }

    /// The initial PIN of `spec`, BCD as the card stores it.
    pub fn pin_bytes(&self, spec: &crate::profile::PinSpec) -> R<Vec<u8>> {
        let digits = match self.keys {
            Some(kf) => kf.initial_pin(spec),
            None => crate::crypto::Secret::new(spec.initial.as_bytes().to_vec()),
        };
        let text = String::from_utf8_lossy(digits.expose()).to_string();
        crate::crypto::encode_pin(&text)
            .map(|s| s.expose().to_vec())
            .map_err(|e| {
                Halt::Skip(format!(
                    "the PIN of '{}' cannot be encoded: {e}",
                    spec.name,
                    e = e.chain()
                ))
            })
    }

    /// Sends `cmd` under condition `access` of DF `df`: with a MAC for `Mac`, after
    /// [`Lab::satisfy`] otherwise.
    pub fn send_under(&mut self, access: &Access, df: &Df, cmd: &Command) -> R<Response> {
        if let Access::Mac { key, id } = access {
            let spec = find_key(df, *id, key)?;
            let k = self.key(&spec)?;
            return match self.s.send_with_mac(cmd, &k, "conformance") {
                Ok(r) => Ok(r),
                Err(SessionError::Refused { sw, .. }) => Ok(Response::new(Vec::new(), sw)),
                Err(e) => Err(e.into()),
            };
        }
        self.satisfy(access, df)?;
        self.send(cmd)
    }

    /// Notes a change the suite made and could not undo.
    pub fn changed(&mut self, what: String) {
        if !self.changed.contains(&what) {
            self.changed.push(what);
        }
    }
}

/// The key `id` of `df` (or of the MF above it).
pub(super) fn find_key(df: &Df, id: u8, name: &str) -> R<KeySpec> {
    df.keys.iter().find(|k| k.id == id).cloned().ok_or_else(|| {
        Halt::Skip(format!(
            "key '{name}' (id {id:02X}) is not in this DF's profile"
        ))
    })
}

/// `00 A4 P1 0C Lc data`.
pub(super) fn select(p1: u8, data: &[u8]) -> Command {
    Command::new(0x00, 0xA4, p1, 0x0C).with_data(data.to_vec())
}

/// Fails unless `sw` is one of `ok`.
pub(super) fn expect(sw: Sw, ok: &[Sw], what: &str) -> R<()> {
    if ok.contains(&sw) {
        Ok(())
    } else {
        let want: Vec<String> = ok.iter().map(|s| format!("{:04X}", s.0)).collect();
        Err(Halt::Fail(format!(
            "{what}: expected {}, got {sw}",
            want.join(" or ")
        )))
    }
}

/// The card identification code (the element `card_id`), read without any security state
/// when the card allows it (1st/2nd generation): keys diversified by it can then be derived.
fn read_card_id(lab: &mut Lab<'_, '_>) -> Option<Vec<u8>> {
    let dfs = all_dfs(lab.profile);
    let (d, ef, el) = dfs.iter().find_map(|d| {
        d.df.efs.iter().find_map(|ef| {
            ef.elements
                .iter()
                .find(|e| e.name == "card_id")
                .map(|el| (d, ef, el))
        })
    })?;
    if ef.access.read != Access::Always {
        return None;
    }
    let chain = d.chain.clone();
    let (fid, tag) = (ef.fid, el.tag);
    let r = (|| -> R<Vec<u8>> {
        lab.goto(&chain)?;
        lab.select_ef(fid)?;
        let r = lab.send(&Command::new(0x00, 0xB2, tag, 0x00).with_le(256))?;
        expect(
            r.sw,
            &[Sw::OK],
            "READ RECORD of the card identification code",
        )?;
        Ok(r.data)
    })();
    let data = r.ok()?;
    let tlv = crate::tlv::SimpleTlv::parse_record(&data).ok()?;
    (tlv.tag == tag && !tlv.value.is_empty()).then_some(tlv.value)
}
