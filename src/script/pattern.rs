//! Expectations of a response: `-> 9000`, `-> 61??`, `-> 6F .. * 90 00`,
//! `-> ${CHALLENGE:8} 9000`.
//!
//! The last two bytes of a pattern are the status word (bytes or a capture, `61 ${N:1}`). A pattern of only a status word checks
//! only the status word; any other pattern must cover the whole response (data then SW), with
//! `*` or `${NAME:*}` standing for any number of bytes (at most one per pattern).

use super::error::{Loc, ScriptError};
use super::line::Line;
use super::token::{Filter, Suffix, VarRef, found_at, parse_var, perr};

/// One element of an expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatElem {
    /// A byte; `mask` nibbles set to 0 are wildcards (`?` or `.`).
    Byte { value: u8, mask: u8 },
    /// `*`: any number of bytes.
    Any,
    /// `${NAME}`: the variable's bytes.
    Var(VarRef),
    /// `${NAME:N}` (Some) or `${NAME:*}` (None): captures bytes into NAME.
    Capture {
        name: String,
        len: Option<usize>,
        loc: Loc,
    },
}

/// A parsed expectation: one or more alternatives (`-> 9000 | 6283`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub alts: Vec<Alt>,
}

impl Pattern {
    /// Normalized text: `90 00 | 62 83`.
    pub fn display(&self) -> String {
        self.alts
            .iter()
            .map(Alt::display)
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

/// One alternative of an expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alt {
    pub elems: Vec<PatElem>,
}

impl Alt {
    /// True when the pattern is only a status word: data is not checked.
    pub fn sw_only(&self) -> bool {
        let mut total = 0;
        for e in &self.elems {
            match e {
                PatElem::Byte { .. } => total += 1,
                PatElem::Capture { len: Some(n), .. } => total += n,
                _ => return false,
            }
        }
        total == 2
    }

    /// Normalized text: `6F ?? * 90 00`.
    pub fn display(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        for e in &self.elems {
            out.push(match e {
                PatElem::Byte { value, mask } => {
                    let nib = |shift: u8| {
                        if (mask >> shift) & 0xF == 0 {
                            '?'
                        } else {
                            char::from_digit(u32::from((value >> shift) & 0xF), 16)
                                .unwrap_or('?')
                                .to_ascii_uppercase()
                        }
                    };
                    format!("{}{}", nib(4), nib(0))
                }
                PatElem::Any => "*".into(),
                PatElem::Var(v) => match (v.filter, v.pad) {
                    (Filter::Hex, None) => format!("${{{}}}", v.name),
                    (f, None) => format!("${{{}|{}}}", v.name, f.name()),
                    (f, Some(n)) => format!("${{{}|{}:{n}}}", v.name, f.name()),
                },
                PatElem::Capture { name, len, .. } => match len {
                    Some(n) => format!("${{{name}:{n}}}"),
                    None => format!("${{{name}:*}}"),
                },
            });
        }
        out.join(" ")
    }
}

/// Reads the expectation between `a` (just after `->`) and `end`: alternatives separated by `|`.
pub(crate) fn parse_pattern(l: &Line, a: usize, end: usize) -> Result<Pattern, ScriptError> {
    let mut alts = Vec::new();
    let mut i = a;
    loop {
        let (alt, next) = parse_alt(l, i, end, alts.is_empty())?;
        alts.push(alt);
        match next {
            Some(n) => i = n,
            None => return Ok(Pattern { alts }),
        }
    }
}

/// Reads one alternative from `a`; returns it and the index after a `|` if one ends it.
fn parse_alt(
    l: &Line,
    a: usize,
    end: usize,
    first: bool,
) -> Result<(Alt, Option<usize>), ScriptError> {
    let mut elems = Vec::new();
    let mut bar = None;
    let mut stop = end;
    let mut high: Option<(u8, u8, usize)> = None;
    let mut var_len_seen = false;
    let mut i = a;
    let lone = |at: usize| {
        perr(
            l.loc(at),
            "a second hex digit or wildcard (bytes are two digits)",
            found_at(l, at + 1),
        )
    };
    while i < end {
        let c = l.at(i).unwrap_or(' ');
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let nibble = match c {
            '?' | '.' => Some((0u8, 0u8)),
            _ => c.to_digit(16).map(|d| (d as u8, 0xFu8)),
        };
        if let Some((v, m)) = nibble {
            match high.take() {
                None => high = Some((v, m, i)),
                Some((hv, hm, _)) => elems.push(PatElem::Byte {
                    value: (hv << 4) | v,
                    mask: (hm << 4) | m,
                }),
            }
            i += 1;
            continue;
        }
        if let Some((_, _, at)) = high {
            return Err(lone(at));
        }
        if c == '|' {
            bar = Some(i + 1);
            stop = i;
            break;
        }
        let var_len = match c {
            '*' => {
                elems.push(PatElem::Any);
                i += 1;
                true
            }
            '$' => {
                let (v, suffix, next) = parse_var(l, i, true)?;
                let var_len = matches!(suffix, Suffix::Capture(None));
                elems.push(match suffix {
                    Suffix::Capture(len) => PatElem::Capture {
                        name: v.name,
                        len,
                        loc: v.loc,
                    },
                    _ => PatElem::Var(v),
                });
                i = next;
                var_len
            }
            _ => {
                return Err(perr(
                    l.loc(i),
                    "a hex digit, a `?` or `.` wildcard, `*`, ${NAME} or `|` in the expectation",
                    format!("'{c}'"),
                ));
            }
        };
        if var_len {
            if var_len_seen {
                return Err(perr(
                    l.loc(i.saturating_sub(1)),
                    "at most one `*` or ${NAME:*} per expectation",
                    "a second one",
                ));
            }
            var_len_seen = true;
        }
    }
    if let Some((_, _, at)) = high {
        return Err(lone(at));
    }
    if elems.is_empty() {
        let after = if first { "`->`" } else { "`|`" };
        return Err(perr(
            l.loc(l.skip_ws(a)),
            format!("an expectation after {after} (e.g. 9000, 61?? or 6F .. * 9000)"),
            found_at(l, l.skip_ws(a)),
        ));
    }
    let mut tail = 0;
    for e in elems.iter().rev() {
        match e {
            PatElem::Byte { .. } => tail += 1,
            PatElem::Capture { len: Some(n), .. } => tail += n,
            _ => break,
        }
    }
    if tail < 2 {
        return Err(perr(
            l.loc(stop),
            "the status word at the end of the expectation (4 hex digits such as 9000, 61?? or 6A82)",
            if stop == end {
                "the end of the line".to_string()
            } else {
                found_at(l, stop)
            },
        ));
    }
    Ok((Alt { elems }, bar))
}

/// A pattern element with variables resolved to bytes.
#[derive(Debug, Clone)]
pub(crate) enum Resolved {
    Byte {
        value: u8,
        mask: u8,
    },
    Any,
    Value {
        name: String,
        bytes: Vec<u8>,
        secret: bool,
    },
    Capture {
        name: String,
        len: Option<usize>,
        secret: bool,
    },
}

/// The outcome of matching a response.
#[derive(Debug)]
pub(crate) struct MatchOutcome {
    /// `Err(detail)` says where it first differs.
    pub result: Result<Vec<(String, Vec<u8>)>, String>,
    /// Which response bytes must be masked (secret values and captures).
    pub secret: Vec<bool>,
}

fn fixed_len(e: &Resolved) -> usize {
    match e {
        Resolved::Byte { .. } => 1,
        Resolved::Any | Resolved::Capture { len: None, .. } => 0,
        Resolved::Value { bytes, .. } => bytes.len(),
        Resolved::Capture { len: Some(n), .. } => *n,
    }
}

fn place(i: usize, n: usize) -> String {
    if i + 2 == n {
        "SW1".into()
    } else if i + 1 == n {
        "SW2".into()
    } else {
        format!("data byte {} (offset {i})", i + 1)
    }
}

fn byte_pat(value: u8, mask: u8) -> String {
    let nib = |s: u8| {
        if (mask >> s) & 0xF == 0 {
            "?".to_string()
        } else {
            format!("{:X}", (value >> s) & 0xF)
        }
    };
    format!("{}{}", nib(4), nib(0))
}

/// Matches `resp` (data then SW) against resolved elements.
pub(crate) fn match_response(elems: &[Resolved], sw_only: bool, resp: &[u8]) -> MatchOutcome {
    let n = resp.len();
    let mut secret = vec![false; n];
    let mut caps = Vec::new();
    let fail = |detail: String, secret: Vec<bool>| MatchOutcome {
        result: Err(detail),
        secret,
    };
    let start = if sw_only { n.saturating_sub(2) } else { 0 };
    let fixed: usize = elems.iter().map(fixed_len).sum();
    let has_var = elems
        .iter()
        .any(|e| matches!(e, Resolved::Any | Resolved::Capture { len: None, .. }));
    let avail = n - start;
    if (has_var && avail < fixed) || (!has_var && avail != fixed) {
        let want = if has_var {
            format!("at least {}", fixed.saturating_sub(2))
        } else {
            fixed.saturating_sub(2).to_string()
        };
        return fail(
            format!("expected {want} data byte(s), got {}", n.saturating_sub(2)),
            secret,
        );
    }
    let var_len = avail - fixed;
    let mut pos = start;
    for e in elems {
        match e {
            Resolved::Byte { value, mask } => {
                let got = resp.get(pos).copied().unwrap_or(0);
                if got & mask != value & mask {
                    return fail(
                        format!(
                            "{}: expected {}, got {got:02X}",
                            place(pos, n),
                            byte_pat(*value, *mask)
                        ),
                        secret,
                    );
                }
                pos += 1;
            }
            Resolved::Any => pos += var_len,
            Resolved::Value {
                name,
                bytes,
                secret: s,
            } => {
                for (k, want) in bytes.iter().enumerate() {
                    let got = resp.get(pos + k).copied().unwrap_or(0);
                    if got != *want {
                        let detail = if *s {
                            format!("{}: differs from secret ${{{name}}}", place(pos + k, n))
                        } else {
                            format!(
                                "{}: expected {want:02X} (${{{name}}} byte {}), got {got:02X}",
                                place(pos + k, n),
                                k + 1
                            )
                        };
                        return fail(detail, secret);
                    }
                    if *s && let Some(m) = secret.get_mut(pos + k) {
                        *m = true;
                    }
                }
                pos += bytes.len();
            }
            Resolved::Capture {
                name,
                len,
                secret: s,
            } => {
                let take = len.unwrap_or(var_len);
                let bytes = resp.get(pos..pos + take).unwrap_or_default().to_vec();
                if *s {
                    for m in secret.iter_mut().skip(pos).take(take) {
                        *m = true;
                    }
                }
                caps.push((name.clone(), bytes));
                pos += take;
            }
        }
    }
    MatchOutcome {
        result: Ok(caps),
        secret,
    }
}
