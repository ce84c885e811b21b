//! Physical lines to logical lines: comments, blank lines and `\` continuations, as scriptor
//! reads them, keeping the file position of every character for error messages.

use super::error::{Loc, ScriptError};
use std::path::Path;
use std::sync::Arc;

/// One logical line: the characters of one or more physical lines joined by `\`.
pub(crate) struct Line {
    pub chars: Vec<char>,
    /// (line, column) of each character, 1-based.
    pos: Vec<(usize, usize)>,
    /// (line, column) just after the last character.
    end: (usize, usize),
    pub file: Arc<Path>,
}

impl Line {
    /// The place of character `i` (`i == len` is just after the end).
    pub fn loc(&self, i: usize) -> Loc {
        let (line, col) = self.pos.get(i).copied().unwrap_or(self.end);
        Loc {
            file: self.file.clone(),
            line,
            col,
        }
    }

    /// The text from `a` to `b`.
    pub fn text(&self, a: usize, b: usize) -> String {
        self.chars
            .get(a..b.min(self.chars.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    /// The first index at or after `i` that is not white space.
    pub fn skip_ws(&self, mut i: usize) -> usize {
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        i
    }

    /// The character at `i`, if any.
    pub fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }
}

/// Splits a file into logical lines. Blank lines and lines whose first non-blank character is
/// `#` are skipped, also in the middle of a continuation (as scriptor does). A line whose last
/// non-blank character is `\` continues on the next line.
pub(crate) fn logical_lines(file: &Arc<Path>, text: &str) -> Result<Vec<Line>, ScriptError> {
    let mut out = Vec::new();
    let mut cur: Option<Line> = None;
    let mut last_backslash = (0, 0);
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let chars: Vec<char> = raw.chars().collect();
        let mut end = chars.len() - chars.iter().rev().take_while(|c| c.is_whitespace()).count();
        let cont = end > 0 && chars.get(end - 1) == Some(&'\\');
        if cont {
            end -= 1;
        }
        let l = cur.get_or_insert_with(|| Line {
            chars: Vec::new(),
            pos: Vec::new(),
            end: (line_no, 1),
            file: file.clone(),
        });
        for (j, c) in chars.iter().take(end).enumerate() {
            l.chars.push(*c);
            l.pos.push((line_no, j + 1));
        }
        l.end = (line_no, end + 1);
        if cont {
            l.chars.push(' ');
            l.pos.push((line_no, end + 1));
            last_backslash = (line_no, end + 1);
        } else if let Some(done) = cur.take() {
            out.push(done);
        }
    }
    if cur.is_some() {
        return Err(ScriptError::Parse {
            loc: Loc {
                file: file.clone(),
                line: last_backslash.0,
                col: last_backslash.1,
            },
            expected: "another line after the `\\` continuation".into(),
            found: "the end of the file".into(),
        });
    }
    Ok(out)
}
