//! The statements of a script and how one logical line is read.

use super::error::{Loc, ScriptError};
use super::line::Line;
use super::pattern::{Pattern, parse_pattern};
use super::token::{VarRef, found_at, found_word, parse_var, perr, var_name};
use crate::apdu::Command;

/// A piece of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CmdPart {
    Bytes(Vec<u8>),
    Var(VarRef),
}

/// A piece of an `echo` or `set` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextPart {
    Text(String),
    Var(VarRef),
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stmt {
    Apdu {
        loc: Loc,
        cmd: Vec<CmdPart>,
        expect: Option<Pattern>,
    },
    Reset {
        loc: Loc,
        cold: bool,
    },
    Exit {
        loc: Loc,
    },
    Echo {
        loc: Loc,
        text: Vec<TextPart>,
    },
    Set {
        loc: Loc,
        name: String,
        value: Vec<TextPart>,
        default_only: bool,
    },
    Call {
        loc: Loc,
        name: String,
    },
    Raw {
        on: bool,
    },
}

impl Stmt {
    /// True when the statement sets or captures a variable with a secret name.
    pub(crate) fn defines_secret(&self) -> bool {
        match self {
            Stmt::Set { name, .. } => super::vars::is_secret_name(name),
            Stmt::Apdu {
                expect: Some(p), ..
            } => p.alts.iter().flat_map(|a| &a.elems).any(|e| {
                matches!(e, super::pattern::PatElem::Capture { name, .. } if super::vars::is_secret_name(name))
            }),
            _ => false,
        }
    }
}

/// A logical line, classified (blocks and includes are handled by the loader).
pub(crate) enum LineKind {
    Stmt(Stmt),
    Include { loc: Loc, path: String },
    Block { loc: Loc, name: String },
    End { loc: Loc },
}

const DIRECTIVES: &str =
    "a hex APDU or a directive (reset, exit, echo, include, block, end, call, set, default, raw)";

/// Reads a text with `${NAME}` substitutions from `a` to `b`.
fn parse_text(l: &Line, a: usize, b: usize) -> Result<Vec<TextPart>, ScriptError> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = a;
    while i < b {
        match l.at(i) {
            Some('$') if l.at(i + 1) == Some('{') => {
                if !lit.is_empty() {
                    parts.push(TextPart::Text(std::mem::take(&mut lit)));
                }
                let (v, _, next) = parse_var(l, i, false)?;
                parts.push(TextPart::Var(v));
                i = next;
            }
            Some(c) => {
                lit.push(c);
                i += 1;
            }
            None => break,
        }
    }
    if !lit.is_empty() {
        parts.push(TextPart::Text(lit));
    }
    Ok(parts)
}

/// The end of the meaningful part of a non-echo line: a `#` starts a trailing comment.
fn content_end(l: &Line, from: usize) -> usize {
    let mut e = (from..l.chars.len())
        .find(|&k| l.at(k) == Some('#'))
        .unwrap_or(l.chars.len());
    while e > from && l.at(e - 1).is_some_and(char::is_whitespace) {
        e -= 1;
    }
    e
}

/// Reads one word (a name) at `i`; returns it and the index after it.
fn word(l: &Line, i: usize) -> (String, usize) {
    let mut j = i;
    while l.at(j).is_some_and(|c| !c.is_whitespace() && c != '#') {
        j += 1;
    }
    (l.text(i, j), j)
}

fn expect_end(l: &Line, i: usize, end: usize, what: &str) -> Result<(), ScriptError> {
    let i = l.skip_ws(i);
    if i < end {
        return Err(perr(
            l.loc(i),
            format!("nothing more after {what}"),
            found_word(l, i),
        ));
    }
    Ok(())
}

fn block_name(l: &Line, i: usize, end: usize, what: &str) -> Result<(String, usize), ScriptError> {
    let i = l.skip_ws(i);
    let (name, j) = word(l, i);
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(perr(
            l.loc(i),
            format!("a block name after `{what}` (letters, digits, _ or -)"),
            found_word(l, i),
        ));
    }
    expect_end(l, j, end, &format!("`{what} {name}`"))?;
    Ok((name, j))
}

/// Classifies and reads one logical line.
pub(crate) fn parse_line(l: &Line) -> Result<LineKind, ScriptError> {
    let s = l.skip_ws(0);
    let (w, after) = word(l, s);
    let loc = l.loc(s);
    let end = content_end(l, after);
    let kw = w.to_ascii_lowercase();
    let stmt = match kw.as_str() {
        "reset" => {
            let i = l.skip_ws(after);
            let (arg, j) = word(l, i);
            let cold = match arg.to_ascii_lowercase().as_str() {
                "" | "warm" => false,
                "cold" => true,
                _ => {
                    return Err(perr(
                        l.loc(i),
                        "`warm`, `cold` or nothing after `reset`",
                        found_word(l, i),
                    ));
                }
            };
            expect_end(l, j, end, "`reset`")?;
            Stmt::Reset { loc, cold }
        }
        "exit" => {
            expect_end(l, after, end, "`exit`")?;
            Stmt::Exit { loc }
        }
        "echo" => {
            let mut a = after;
            if l.at(a).is_some_and(char::is_whitespace) {
                a += 1;
            }
            Stmt::Echo {
                loc,
                text: parse_text(l, a, l.chars.len())?,
            }
        }
        "raw" => {
            let i = l.skip_ws(after);
            let (arg, j) = word(l, i);
            let on = match arg.to_ascii_lowercase().as_str() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(perr(
                        l.loc(i),
                        "`on` or `off` after `raw`",
                        found_word(l, i),
                    ));
                }
            };
            expect_end(l, j, end, "`raw on|off`")?;
            Stmt::Raw { on }
        }
        "call" => {
            let (name, _) = block_name(l, after, end, "call")?;
            Stmt::Call { loc, name }
        }
        "block" => {
            let (name, _) = block_name(l, after, end, "block")?;
            return Ok(LineKind::Block { loc, name });
        }
        "end" => {
            expect_end(l, after, end, "`end`")?;
            return Ok(LineKind::End { loc });
        }
        "include" => {
            let i = l.skip_ws(after);
            let mut path = l.text(i, end);
            if path.len() >= 2 && path.starts_with('"') && path.ends_with('"') {
                path = path[1..path.len() - 1].to_string();
            }
            if path.is_empty() {
                return Err(perr(
                    l.loc(i),
                    "a file name after `include`",
                    found_at(l, i),
                ));
            }
            return Ok(LineKind::Include { loc, path });
        }
        "set" | "default" => {
            let i = l.skip_ws(after);
            let (name, j) = var_name(l, i, format!("a variable name after `{kw}`"))?;
            let mut k = l.skip_ws(j);
            if l.at(k) == Some('=') {
                k = l.skip_ws(k + 1);
            } else if k == j && k < end {
                return Err(perr(
                    l.loc(k),
                    "`=` or a space after the variable name",
                    found_at(l, k),
                ));
            }
            Stmt::Set {
                loc,
                name: name.to_ascii_uppercase(),
                value: parse_text(l, k, end)?,
                default_only: kw == "default",
            }
        }
        _ => {
            let first = l.at(s).unwrap_or(' ');
            if !(first.is_ascii_hexdigit() || first == '$' || first == '-') {
                return Err(perr(loc, DIRECTIVES, found_word(l, s)));
            }
            parse_apdu(l, s, content_end(l, s))?
        }
    };
    Ok(LineKind::Stmt(stmt))
}

/// `HEX [-> EXPECTATION]` between `s` and `end`.
fn parse_apdu(l: &Line, s: usize, end: usize) -> Result<Stmt, ScriptError> {
    let loc = l.loc(s);
    let arrow = (s..end).find(|&k| l.at(k) == Some('-') && l.at(k + 1) == Some('>'));
    let cmd_end = arrow.unwrap_or(end);
    let mut parts = Vec::new();
    let mut bytes = Vec::new();
    let mut high: Option<(u8, usize)> = None;
    let mut i = s;
    while i < cmd_end {
        let c = l.at(i).unwrap_or(' ');
        if c.is_whitespace() || c == ':' {
            i += 1;
            continue;
        }
        if c == '$' {
            if let Some((_, at)) = high {
                return Err(perr(
                    l.loc(at),
                    "a second hex digit (bytes are two digits)",
                    "a variable",
                ));
            }
            let (v, _, next) = parse_var(l, i, false)?;
            if !bytes.is_empty() {
                parts.push(CmdPart::Bytes(std::mem::take(&mut bytes)));
            }
            parts.push(CmdPart::Var(v));
            i = next;
            continue;
        }
        let Some(d) = c.to_digit(16) else {
            let what = if c == '-' {
                "`->` before the expectation"
            } else {
                "a hex digit"
            };
            return Err(perr(
                l.loc(i),
                format!("{what} in the command"),
                format!("'{c}'"),
            ));
        };
        match high.take() {
            None => high = Some((d as u8, i)),
            Some((h, _)) => bytes.push((h << 4) | d as u8),
        }
        i += 1;
    }
    if let Some((_, at)) = high {
        return Err(perr(
            l.loc(at),
            "a second hex digit (bytes are two digits)",
            found_at(l, at + 1),
        ));
    }
    if !bytes.is_empty() {
        parts.push(CmdPart::Bytes(bytes));
    }
    if parts.is_empty() {
        return Err(perr(loc, "a command APDU before `->`", "`->`"));
    }
    if let [CmdPart::Bytes(b)] = parts.as_slice()
        && let Err(e) = Command::parse(b)
    {
        return Err(ScriptError::Apdu { loc, source: e });
    }
    let expect = match arrow {
        Some(a) => Some(parse_pattern(l, a + 2, end)?),
        None => None,
    };
    Ok(Stmt::Apdu {
        loc,
        cmd: parts,
        expect,
    })
}
