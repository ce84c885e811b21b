//! The tokens the statement parser and the pattern parser share: variable references
//! (`${NAME|filter:N}`), and the located parse error with its description of what was found.
//! A leaf: it imports neither the statements nor the patterns.

use super::error::{Loc, ScriptError};
use super::line::Line;

/// How a variable's text becomes bytes in a command or an expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// The text is hex digits (spaces allowed): `${AID}`.
    Hex,
    /// The text's ASCII bytes: `${CARD_NUMBER|ascii}`.
    Ascii,
    /// The text in GBK: `${NAME|gbk}`.
    Gbk,
    /// Decimal digits as BCD, left-aligned, an odd count padded with `F`: `${BIRTH_DATE|cn}`.
    Cn,
}

impl Filter {
    /// The name as written after `|`.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Hex => "hex",
            Filter::Ascii => "ascii",
            Filter::Gbk => "gbk",
            Filter::Cn => "cn",
        }
    }
}

/// A `${NAME}` (or `${NAME|filter}`) in a command, an expectation or a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarRef {
    pub name: String,
    pub filter: Filter,
    /// `${NAME|gbk:30}`: right-padded to this many bytes (`00`; `FF` for `cn`).
    pub pad: Option<usize>,
    pub loc: Loc,
}

/// What follows the name inside `${...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Suffix {
    None,
    Filter(Filter),
    /// `:N` (Some) or `:*` (None): a capture, only in expectations.
    Capture(Option<usize>),
}

pub(crate) fn perr(loc: Loc, expected: impl Into<String>, found: impl Into<String>) -> ScriptError {
    ScriptError::Parse {
        loc,
        expected: expected.into(),
        found: found.into(),
    }
}

/// The variable name starting at `start` and the index just after it; `expected` says what
/// was wanted when there is no valid name there.
pub(crate) fn var_name(
    l: &Line,
    start: usize,
    expected: impl Into<String>,
) -> Result<(String, usize), ScriptError> {
    let mut j = start;
    while l
        .at(j)
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        j += 1;
    }
    let name = l.text(start, j);
    if !super::vars::is_valid_name(&name) {
        return Err(perr(l.loc(start), expected, found_at(l, start)));
    }
    Ok((name, j))
}

/// The decimal count of 1 to 65536 bytes starting at `start` and the index just after it;
/// `expected` says what was wanted when there is none.
fn byte_count(l: &Line, start: usize, expected: &str) -> Result<(usize, usize), ScriptError> {
    let mut k = start;
    while l.at(k).is_some_and(|c| c.is_ascii_digit()) {
        k += 1;
    }
    let n: usize = l.text(start, k).parse().unwrap_or(0);
    if !(1..=65536).contains(&n) {
        return Err(perr(l.loc(start), expected, found_at(l, start)));
    }
    Ok((n, k))
}

/// Describes the character at `i` for an error message.
pub(crate) fn found_at(l: &Line, i: usize) -> String {
    match l.at(i) {
        None => "the end of the line".into(),
        Some(c) if c.is_whitespace() => "a space".into(),
        Some(c) => format!("'{c}'"),
    }
}

/// Describes the word at `i` for an error message.
pub(crate) fn found_word(l: &Line, i: usize) -> String {
    match l.at(i) {
        None => "the end of the line".into(),
        Some(c) => {
            let word: String = l
                .chars
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| !c.is_whitespace())
                .take(20)
                .collect();
            if word.chars().count() > 1 {
                format!("'{word}'")
            } else {
                format!("'{c}'")
            }
        }
    }
}

/// Reads `${NAME}`, `${NAME|filter}`, `${NAME:N}` or `${NAME:*}` starting at `i` (the `$`).
pub(crate) fn parse_var(
    l: &Line,
    i: usize,
    captures_ok: bool,
) -> Result<(VarRef, Suffix, usize), ScriptError> {
    let loc = l.loc(i);
    if l.at(i + 1) != Some('{') {
        return Err(perr(
            l.loc(i + 1),
            "`{` after `$` (variables are written ${NAME})",
            found_at(l, i + 1),
        ));
    }
    let start = i + 2;
    let (name, mut j) = var_name(
        l,
        start,
        "a variable name (a letter or _, then letters, digits or _)",
    )?;
    let mut suffix = Suffix::None;
    let mut pad = None;
    match l.at(j) {
        Some('|') => {
            let fs = j + 1;
            let mut k = fs;
            while l.at(k).is_some_and(|c| c.is_ascii_alphanumeric()) {
                k += 1;
            }
            let f = match l.text(fs, k).to_ascii_lowercase().as_str() {
                "hex" => Filter::Hex,
                "ascii" => Filter::Ascii,
                "gbk" => Filter::Gbk,
                "cn" => Filter::Cn,
                _ => {
                    return Err(perr(
                        l.loc(fs),
                        "a filter: hex, ascii, gbk or cn",
                        found_at(l, fs),
                    ));
                }
            };
            suffix = Suffix::Filter(f);
            j = k;
            if l.at(j) == Some(':') {
                let (n, k) = byte_count(
                    l,
                    j + 1,
                    "a width in bytes (1 to 65536) after `:` to pad the value to",
                )?;
                pad = Some(n);
                j = k;
            }
        }
        Some(':') if captures_ok => {
            let ns = j + 1;
            if l.at(ns) == Some('*') {
                suffix = Suffix::Capture(None);
                j = ns + 1;
            } else {
                let (n, k) = byte_count(
                    l,
                    ns,
                    "a byte count (1 to 65536) or `*` after `:` in a capture",
                )?;
                suffix = Suffix::Capture(Some(n));
                j = k;
            }
        }
        Some(':') => {
            return Err(perr(
                l.loc(j),
                "`}` (captures ${NAME:N} belong after `->`)",
                "':'",
            ));
        }
        _ => {}
    }
    if l.at(j) != Some('}') {
        return Err(perr(l.loc(j), "`}` to close ${...}", found_at(l, j)));
    }
    let filter = match suffix {
        Suffix::Filter(f) => f,
        _ => Filter::Hex,
    };
    Ok((
        VarRef {
            name: name.to_ascii_uppercase(),
            filter,
            pad,
            loc,
        },
        suffix,
        j + 1,
    ))
}
