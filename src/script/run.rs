//! Running a script on a card: the whole-script check first (nothing is sent if it fails),
//! then each line in order.

use super::error::{Loc, Mismatch, ScriptError};
use super::pattern::{Alt, PatElem, Pattern, Resolved, match_response};
use super::syntax::{CmdPart, Stmt, TextPart};
use super::token::{Filter, VarRef};
use super::vars::{Vars, is_secret_name};
use super::{Event, Exchanged, RunOptions, RunReport, Script};
use crate::apdu::{ApduError, Command, compact, parse_hex};
use crate::error::ErrorChain;
use crate::exchange::{ExchangeOptions, exchange};
use crate::trace::MASK;
use crate::transport::{ResetKind, Transport};
use std::collections::BTreeSet;

/// Whether to go on after a statement.
enum Flow {
    Next,
    Exit,
}

/// The bytes of a variable as `v.filter` wants them, and whether they are secret.
pub(crate) fn var_bytes(vars: &Vars, v: &VarRef) -> Result<(Vec<u8>, bool), ScriptError> {
    let value = vars
        .get(&v.name)
        .ok_or_else(|| ScriptError::UnknownVariable {
            loc: v.loc.clone(),
            name: v.name.clone(),
        })?;
    let secret = vars.is_secret(&v.name);
    let bad = |problem: String| ScriptError::BadValue {
        loc: v.loc.clone(),
        name: v.name.clone(),
        problem,
    };
    let bytes = match v.filter {
        Filter::Hex => parse_hex(value).map_err(|e| {
            if secret {
                bad("its value is not hex digits".into())
            } else {
                bad(format!(
                    "'{value}' is not hex ({e}); write ${{{}|ascii}} to send it as text",
                    v.name,
                    e = e.chain()
                ))
            }
        })?,
        Filter::Ascii => {
            if !value.is_ascii() {
                return Err(bad(
                    "its value has non-ASCII characters; write |gbk for Chinese text".into(),
                ));
            }
            value.as_bytes().to_vec()
        }
        Filter::Gbk => {
            let (b, _, had_errors) = encoding_rs::GBK.encode(value);
            if had_errors {
                return Err(bad(
                    "its value has characters GBK cannot encode (no silent substitution)".into(),
                ));
            }
            b.into_owned()
        }
        Filter::Cn => {
            if !value.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad(if secret {
                    "its value is not decimal digits for |cn".into()
                } else {
                    format!("'{value}' is not decimal digits for |cn")
                }));
            }
            let mut digits = value.to_string();
            if digits.len() % 2 == 1 {
                digits.push('F');
            }
            parse_hex(&digits).map_err(|e| bad(e.chain().to_string()))?
        }
    };
    let mut bytes = bytes;
    if let Some(n) = v.pad {
        if bytes.len() > n {
            return Err(bad(format!(
                "its value is {} bytes as {}, more than the {n} of its place",
                bytes.len(),
                v.filter.name()
            )));
        }
        let fill = if v.filter == Filter::Cn { 0xFF } else { 0x00 };
        bytes.resize(n, fill);
    }
    Ok((bytes, secret))
}

/// Upper-case spaced hex with each run of secret bytes shown as one `******`.
pub(crate) fn masked_tokens(bytes: &[u8], secret: &[bool]) -> Vec<String> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_secret = false;
    for (i, b) in bytes.iter().enumerate() {
        if secret.get(i).copied().unwrap_or(false) {
            if !in_secret {
                out.push(MASK.to_string());
            }
            in_secret = true;
        } else {
            in_secret = false;
            out.push(format!("{b:02X}"));
        }
    }
    out
}

/// Where the data of a command is secret whatever the script says, as the wire trace
/// (`crate::trace`) has it: VERIFY `20`, CHANGE REFERENCE DATA `24`, RESET RETRY COUNTER `2C`,
/// EXTERNAL/INTERNAL AUTHENTICATE `82`/`88` from the start; WRITE KEY `80 D4` after usage,
/// algorithm and max tries; PBOC RELOAD/CHANGE PIN `80 5E`.
fn always_secret_from(cmd: &Command) -> Option<usize> {
    match cmd.ins {
        0x20 | 0x24 | 0x2C | 0x82 | 0x88 => Some(0),
        0xD4 if cmd.cla & 0x80 != 0 => Some(3),
        0x5E if cmd.cla & 0x80 != 0 => Some(0),
        _ => None,
    }
}

/// True when the response data of this command is an authentication cryptogram.
fn secret_response(ins: u8) -> bool {
    matches!(ins, 0x82 | 0x88)
}

/// A command line filled in: its bytes, which are secret, where variables went.
struct Built {
    bytes: Vec<u8>,
    secret: Vec<bool>,
    var_spans: Vec<(usize, usize)>,
}

fn build_command(vars: &Vars, parts: &[CmdPart]) -> Result<Built, ScriptError> {
    let mut b = Built {
        bytes: Vec::new(),
        secret: Vec::new(),
        var_spans: Vec::new(),
    };
    for p in parts {
        match p {
            CmdPart::Bytes(lit) => {
                b.bytes.extend_from_slice(lit);
                b.secret.resize(b.bytes.len(), false);
            }
            CmdPart::Var(v) => {
                let (val, s) = var_bytes(vars, v)?;
                let start = b.bytes.len();
                b.bytes.extend_from_slice(&val);
                b.secret.resize(b.bytes.len(), s);
                b.var_spans.push((start, b.bytes.len()));
            }
        }
    }
    Ok(b)
}

/// Parses the filled-in command. A value one byte too long would silently become Le: when a
/// variable covers both data and the Le position, that is reported as the Lc mismatch it is.
fn parse_built(loc: &Loc, b: &Built) -> Result<Command, ScriptError> {
    let err = |source| ScriptError::Apdu {
        loc: loc.clone(),
        source,
    };
    let cmd = Command::parse(&b.bytes).map_err(err)?;
    if cmd.le.is_some() && !cmd.data.is_empty() {
        let le_len = if cmd.is_extended() { 2 } else { 1 };
        let le_pos = b.bytes.len() - le_len;
        if b.var_spans.iter().any(|&(s, e)| s < le_pos && e > le_pos) {
            return Err(err(ApduError::LcMismatch {
                lc: cmd.data.len(),
                actual: cmd.data.len() + le_len,
            }));
        }
    }
    Ok(cmd)
}

fn text_of(vars: &Vars, parts: &[TextPart], masked: bool) -> Result<(String, bool), ScriptError> {
    let mut out = String::new();
    let mut any_secret = false;
    for p in parts {
        match p {
            TextPart::Text(t) => out.push_str(t),
            TextPart::Var(v) => {
                let value = vars
                    .get(&v.name)
                    .ok_or_else(|| ScriptError::UnknownVariable {
                        loc: v.loc.clone(),
                        name: v.name.clone(),
                    })?;
                let s = vars.is_secret(&v.name);
                any_secret |= s;
                if s && masked {
                    out.push_str(MASK);
                } else {
                    out.push_str(&decode(value, v)?);
                }
            }
        }
    }
    Ok((out, any_secret))
}

/// In a text (`echo`, `set`), `${X|ascii}` / `${X|gbk}` / `${X|cn}` read X as hex bytes and
/// show them as text (digits for cn), without the `00` (or `FF`) padding; `${X}` is the value
/// as it is.
fn decode(value: &str, v: &VarRef) -> Result<String, ScriptError> {
    if v.filter == Filter::Hex {
        return Ok(value.to_string());
    }
    let bad = |problem: String| ScriptError::BadValue {
        loc: v.loc.clone(),
        name: v.name.clone(),
        problem,
    };
    let mut bytes = parse_hex(value).map_err(|e| {
        bad(format!(
            "'{value}' is not hex bytes to show as text ({e})",
            e = e.chain()
        ))
    })?;
    while v.filter != Filter::Cn && bytes.last().is_some_and(|b| *b == 0 || *b == 0xFF) {
        bytes.pop();
    }
    match v.filter {
        Filter::Cn => {
            let mut digits = crate::apdu::compact(&bytes);
            while digits.ends_with('F') {
                digits.pop();
            }
            if digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(digits)
            } else {
                Err(bad("its bytes are not BCD digits".into()))
            }
        }
        Filter::Ascii if bytes.is_ascii() => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Filter::Ascii => Err(bad("its bytes are not ASCII text; try |gbk".into())),
        _ => {
            let (text, _, had_errors) = encoding_rs::GBK.decode(&bytes);
            if had_errors {
                return Err(bad("its bytes are not GBK text".into()));
            }
            Ok(text.into_owned())
        }
    }
}

fn resolve(vars: &Vars, p: &Alt) -> Result<Vec<Resolved>, ScriptError> {
    p.elems
        .iter()
        .map(|e| {
            Ok(match e {
                PatElem::Byte { value, mask } => Resolved::Byte {
                    value: *value,
                    mask: *mask,
                },
                PatElem::Any => Resolved::Any,
                PatElem::Var(v) => {
                    let (bytes, secret) = var_bytes(vars, v)?;
                    Resolved::Value {
                        name: v.name.clone(),
                        bytes,
                        secret,
                    }
                }
                PatElem::Capture { name, len, .. } => Resolved::Capture {
                    name: name.clone(),
                    len: *len,
                    secret: vars.is_secret(name) || is_secret_name(name),
                },
            })
        })
        .collect()
}

/// The whole-script check: every variable defined before use, every value usable, every
/// command with known values well-formed. Runs in execution order, following `call`s.
pub(crate) struct Checker<'a> {
    pub script: &'a Script,
    /// Variables whose value is known now.
    pub vars: Vars,
    /// Variables that will exist but whose value is only known when running (captures).
    pub dynamic: BTreeSet<String>,
}

impl Checker<'_> {
    fn known(&self, v: &VarRef) -> Result<bool, ScriptError> {
        if self.dynamic.contains(&v.name) {
            return Ok(false);
        }
        if !self.vars.contains(&v.name) {
            return Err(ScriptError::UnknownVariable {
                loc: v.loc.clone(),
                name: v.name.clone(),
            });
        }
        Ok(true)
    }

    fn make_dynamic(&mut self, name: &str) {
        self.dynamic.insert(name.to_ascii_uppercase());
    }

    pub fn check(&mut self, stmts: &[Stmt]) -> Result<bool, ScriptError> {
        for s in stmts {
            match s {
                Stmt::Apdu { loc, cmd, expect } => {
                    let mut all_known = true;
                    for p in cmd {
                        if let CmdPart::Var(v) = p {
                            if self.known(v)? {
                                var_bytes(&self.vars, v)?;
                            } else {
                                all_known = false;
                            }
                        }
                    }
                    if all_known {
                        parse_built(loc, &build_command(&self.vars, cmd)?)?;
                    }
                    if let Some(p) = expect {
                        for e in p.alts.iter().flat_map(|a| &a.elems) {
                            match e {
                                PatElem::Var(v) if self.known(v)? => {
                                    var_bytes(&self.vars, v)?;
                                }
                                PatElem::Capture { name, .. } => self.make_dynamic(name),
                                _ => {}
                            }
                        }
                    }
                }
                Stmt::Echo { text, .. } => {
                    for p in text {
                        if let TextPart::Var(v) = p {
                            self.known(v)?;
                        }
                    }
                }
                Stmt::Set {
                    name,
                    value,
                    default_only,
                    ..
                } => {
                    let mut static_value = true;
                    for p in value {
                        if let TextPart::Var(v) = p {
                            static_value &= self.known(v)?;
                        }
                    }
                    let exists = self.vars.contains(name) || self.dynamic.contains(name);
                    if *default_only && exists {
                        continue;
                    }
                    if static_value {
                        let (t, secret) = text_of(&self.vars, value, false)?;
                        set_var(&mut self.vars, name, t, secret);
                        self.dynamic.remove(name);
                    } else {
                        self.make_dynamic(name);
                    }
                }
                Stmt::Call { name, .. } => {
                    if let Some(b) = self.script.blocks.get(name)
                        && !self.check(&b.stmts)?
                    {
                        return Ok(false);
                    }
                }
                Stmt::Exit { .. } => return Ok(false),
                Stmt::Reset { .. } | Stmt::Raw { .. } => {}
            }
        }
        Ok(true)
    }
}

fn set_var(vars: &mut Vars, name: &str, value: String, secret: bool) {
    if secret {
        vars.set_secret(name, value);
    } else {
        vars.set(name, value);
    }
}

/// Runs statements on the card.
pub(crate) struct Runner<'a> {
    pub script: &'a Script,
    pub card: &'a mut dyn Transport,
    pub opts: RunOptions,
    pub raw: bool,
    pub on_event: &'a mut dyn FnMut(&Event),
    pub report: RunReport,
    /// The last response was a cryptogram with more to fetch by GET RESPONSE (raw mode).
    pub secret_pending: bool,
}

fn merge_secret(into: &mut [bool], more: &[bool]) {
    for (a, b) in into.iter_mut().zip(more) {
        *a |= *b;
    }
}

impl Runner<'_> {
    /// Runs `stmts`; `Ok(false)` after `exit`.
    pub fn exec(&mut self, stmts: &[Stmt]) -> Result<bool, ScriptError> {
        for s in stmts {
            if let Flow::Exit = self.step(s)? {
                self.report.exited = true;
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn step(&mut self, s: &Stmt) -> Result<Flow, ScriptError> {
        match s {
            Stmt::Apdu { loc, cmd, expect } => self.apdu(loc, cmd, expect.as_ref())?,
            Stmt::Reset { loc, cold } => {
                let kind = if *cold {
                    ResetKind::Cold
                } else {
                    ResetKind::Warm
                };
                let atr = self
                    .card
                    .reset(kind)
                    .map_err(|source| ScriptError::Transport {
                        loc: loc.clone(),
                        doing: "reset".into(),
                        source,
                    })?;
                (self.on_event)(&Event::Reset {
                    loc: loc.clone(),
                    atr,
                });
            }
            Stmt::Exit { .. } => return Ok(Flow::Exit),
            Stmt::Echo { loc, text } => {
                let (text, _) = text_of(&self.report.vars, text, true)?;
                (self.on_event)(&Event::Echo {
                    loc: loc.clone(),
                    text,
                });
            }
            Stmt::Set {
                name,
                value,
                default_only,
                ..
            } => {
                if !(*default_only && self.report.vars.contains(name)) {
                    let (t, secret) = text_of(&self.report.vars, value, false)?;
                    set_var(&mut self.report.vars, name, t, secret);
                }
            }
            Stmt::Call { loc, name } => {
                let b = self
                    .script
                    .blocks
                    .get(name)
                    .ok_or_else(|| self.script.unknown_block(Some(loc), name))?;
                if !self.exec(&b.stmts)? {
                    return Ok(Flow::Exit);
                }
            }
            Stmt::Raw { on } => self.raw = *on,
        }
        Ok(Flow::Next)
    }

    fn apdu(
        &mut self,
        loc: &Loc,
        parts: &[CmdPart],
        expect: Option<&Pattern>,
    ) -> Result<(), ScriptError> {
        let built = build_command(&self.report.vars, parts)?;
        let cmd = parse_built(loc, &built)?;
        let Built {
            bytes, mut secret, ..
        } = built;
        if let Some(keep) = always_secret_from(&cmd)
            && !cmd.data.is_empty()
        {
            let lc_len = if cmd.is_extended() { 3 } else { 1 };
            let from = 4 + lc_len + keep.min(cmd.data.len());
            for m in secret
                .iter_mut()
                .skip(from)
                .take(cmd.data.len().saturating_sub(keep))
            {
                *m = true;
            }
        }
        let shown = masked_tokens(&bytes, &secret).join(" ");
        let opts = ExchangeOptions {
            auto: !self.raw,
            ..ExchangeOptions::default()
        };
        let resp = exchange(self.card, &cmd, &opts).map_err(|source| ScriptError::Transport {
            loc: loc.clone(),
            doing: format!("sending {shown}"),
            source,
        })?;
        self.report.exchanges += 1;
        let raw = resp.to_bytes();
        let mut resp_secret = vec![false; raw.len()];
        let secret_data = secret_response(cmd.ins) || (cmd.ins == 0xC0 && self.secret_pending);
        self.secret_pending = secret_data && resp.sw.bytes_available().is_some();
        if secret_data {
            for m in resp_secret.iter_mut().take(resp.data.len()) {
                *m = true;
            }
        }
        let mut failure = None;
        if let Some(p) = expect {
            let mut first_detail = None;
            for alt in &p.alts {
                let elems = resolve(&self.report.vars, alt)?;
                let outcome = match_response(&elems, alt.sw_only(), &raw);
                match outcome.result {
                    Ok(caps) => {
                        merge_secret(&mut resp_secret, &outcome.secret);
                        first_detail = None;
                        self.report.expectations_met += 1;
                        for (name, b) in caps {
                            let s = is_secret_name(&name) || self.report.vars.is_secret(&name);
                            set_var(&mut self.report.vars, &name, compact(&b), s);
                        }
                        break;
                    }
                    Err(detail) => {
                        if first_detail.is_none() {
                            merge_secret(&mut resp_secret, &outcome.secret);
                            first_detail = Some(detail);
                        }
                    }
                }
            }
            if let Some(detail) = first_detail {
                let detail = if p.alts.len() > 1 {
                    format!("first alternative: {detail}")
                } else {
                    detail
                };
                failure = Some(Mismatch {
                    loc: loc.line_only(),
                    command: shown.clone(),
                    expected: p.display(),
                    actual: masked_tokens(&raw, &resp_secret).join(" "),
                    sw: resp.sw,
                    detail,
                });
            }
        }
        let ev = Exchanged {
            loc: loc.line_only(),
            command: shown,
            response: masked_tokens(&raw, &resp_secret),
            sw: resp.sw,
            expected: expect.map(Pattern::display),
            failure: failure.clone(),
        };
        (self.on_event)(&Event::Exchange(ev));
        if let Some(m) = failure {
            self.report.failures.push(m.clone());
            if !self.opts.keep_going {
                return Err(ScriptError::Expectation(Box::new(m)));
            }
        }
        Ok(())
    }
}
