//! Card names for an ATR from pcsc-tools' `smartcard_list.txt`, read at run time.
//!
//! The file's format: a line holding an ATR as a regular expression over upper-case hex bytes
//! separated by spaces (`..` is any byte, `[12]0` a choice, `.*` anything), then one or more
//! lines starting with a tab that describe the card; `#` starts a comment.

use crate::apdu::spaced;
use std::path::{Path, PathBuf};

/// Where Debian's `pcsc-tools` installs the list.
pub const DEFAULT_LIST: &str = "/usr/share/pcsc/smartcard_list.txt";

/// Environment variable naming a list file to use instead of the installed ones.
pub const LIST_ENV: &str = "SSCARD_SMARTCARD_LIST";

/// The list files to read: the file named by `SSCARD_SMARTCARD_LIST` if set; otherwise those
/// that exist on this machine, the user's own first (`~/.cache/smartcard_list.txt`, as
/// pcsc-tools' `update-smartcard-list` writes it), then [`DEFAULT_LIST`].
pub fn installed_lists() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os(LIST_ENV) {
        return vec![PathBuf::from(p)];
    }
    let mut v = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join(".cache/smartcard_list.txt");
        if p.is_file() {
            v.push(p);
        }
    }
    let p = PathBuf::from(DEFAULT_LIST);
    if p.is_file() {
        v.push(p);
    }
    v
}

/// The part of a pattern before its first regex metacharacter.
fn literal_prefix(pattern: &str) -> &str {
    let end = pattern
        .find(|c: char| !(c.is_ascii_hexdigit() || c == ' '))
        .unwrap_or(pattern.len());
    pattern.get(..end).unwrap_or("")
}

fn matches(pattern: &str, atr_text: &str) -> bool {
    let pattern = pattern.trim();
    let prefix = literal_prefix(pattern);
    if !atr_text.starts_with(&prefix.to_ascii_uppercase()) {
        return false;
    }
    if prefix.len() == pattern.len() {
        return pattern.eq_ignore_ascii_case(atr_text);
    }
    // An entry the regex engine cannot read is skipped, like pcsc-tools does.
    regex::Regex::new(&format!("^(?:{})$", pattern.to_ascii_uppercase()))
        .is_ok_and(|re| re.is_match(atr_text))
}

/// The descriptions that `list` (the text of a `smartcard_list.txt`) gives for `atr`, in file
/// order: one entry per matching ATR pattern, holding its description lines.
pub fn lookup_in(list: &str, atr: &[u8]) -> Vec<Vec<String>> {
    let atr_text = spaced(atr);
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    let flush = |cur: &mut Option<Vec<String>>, out: &mut Vec<Vec<String>>| {
        if let Some(lines) = cur.take()
            && !lines.is_empty()
        {
            out.push(lines);
        }
    };
    for line in list.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(desc) = line.strip_prefix('\t') {
            if let Some(lines) = current.as_mut() {
                lines.push(desc.trim().to_string());
            }
            continue;
        }
        flush(&mut current, &mut out);
        if !line.trim().is_empty() && matches(line, &atr_text) {
            current = Some(Vec::new());
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Looks `atr` up in the installed lists. `None` when no list is installed.
pub fn lookup(atr: &[u8]) -> Option<Vec<Vec<String>>> {
    let lists = installed_lists();
    let texts: Vec<String> = lists
        .iter()
        .filter_map(|p| crate::input::read_bytes(p.as_ref(), crate::input::IMAGE_MAX).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    if texts.is_empty() {
        return None;
    }
    let mut names = Vec::new();
    for t in &texts {
        for n in lookup_in(t, atr) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# comment\n\
3B 95 13 81 01 80 73 FF 01 00 0B\n\
\tvsmartcard - iso7816 (Other)\n\
\thttps://frankmorgner.github.io/vsmartcard/\n\
\n\
3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00\n\
\tSome T=0 bank card\n\
\n\
3B 6E 00 00 80 31 80 66 B0 84 .. 01 6E 01 83 00 90 00\n\
\tThe same family (wildcard)\n\
\n\
3F 65 25 00 2[2C] 09 [F6]9 90 00\n\
\tInverse card\n\
\n\
3B 8[ broken regex\n\
\tnever matches\n";

    #[test]
    fn exact_and_wildcard_entries() {
        let atr = crate::apdu::parse_hex("3B6E00008031 8066B08412016E0183009000").unwrap();
        assert_eq!(
            lookup_in(LIST, &atr),
            vec![
                vec!["Some T=0 bank card"],
                vec!["The same family (wildcard)"]
            ]
        );
        let vicc = crate::apdu::parse_hex("3B 95 13 81 01 80 73 FF 01 00 0B").unwrap();
        assert_eq!(
            lookup_in(LIST, &vicc),
            vec![vec![
                "vsmartcard - iso7816 (Other)",
                "https://frankmorgner.github.io/vsmartcard/"
            ]]
        );
    }

    #[test]
    fn classes_and_broken_patterns() {
        let atr = crate::apdu::parse_hex("3F 65 25 00 2C 09 69 90 00").unwrap();
        assert_eq!(lookup_in(LIST, &atr), vec![vec!["Inverse card"]]);
        let atr = crate::apdu::parse_hex("3F 65 25 00 2D 09 69 90 00").unwrap();
        assert!(lookup_in(LIST, &atr).is_empty());
        // A prefix of a longer entry is not a match.
        let atr = crate::apdu::parse_hex("3B 95 13 81 01 80 73 FF 01 00").unwrap();
        assert!(lookup_in(LIST, &atr).is_empty());
    }
}
