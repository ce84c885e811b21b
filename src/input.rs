//! Reading input files safely, the one way every file sscard reads is read: only regular
//! files (a FIFO, a device or a directory is refused before it is opened, so nothing hangs),
//! never more than a limit for the kind of file (`/dev/zero` or a runaway file cannot fill
//! the memory), and text as UTF-8 with the line and byte of the first bad byte.
//!
//! The errors are `std::io::Error`s whose message says what is wrong and what to do, so each
//! caller keeps its own error type ("cannot read the profile P: <this>").

use std::io::{self, Read};
use std::path::Path;

/// Holder record files (JSON or CSV batches): generous, a city's batch fits.
pub const RECORDS_MAX: u64 = 64 << 20;
/// Profiles, key files, APDU scripts and their includes, variable files.
pub const TEXT_MAX: u64 = 1 << 20;
/// Card images of the virtual card (a photo file included).
pub const IMAGE_MAX: u64 = 16 << 20;

fn sized(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} KiB", n >> 10)
    }
}

fn refuse(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file: give the path of a file"),
    )
}

/// What kind of non-regular file `meta` describes, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        } else if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Ok when `path` is a regular file (symbolic links followed); the error says what it is.
pub fn check_regular(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(refuse(kind(&meta)))
    }
}

/// Reads the regular file at `path`, at most `limit` bytes (more is an error).
pub fn read_bytes(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    check_regular(path)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        // Replaced by a FIFO after the check: never block in open().
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refuse(kind(&meta)));
    }
    let too_big = |n: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is larger than the {} this kind of file may have ({n} bytes or more): is it \
                 the right file?",
                sized(limit)
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(too_big(buf.len() as u64));
    }
    Ok(buf)
}

/// Reads at most `limit` bytes from a stream (standard input).
pub fn read_stream(r: impl Read, limit: u64) -> io::Result<String> {
    let mut buf = Vec::new();
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the input is larger than {}", sized(limit)),
        ));
    }
    utf8(buf)
}

/// Reads the regular file at `path` as UTF-8 text (a leading byte-order mark is dropped), at
/// most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    utf8(read_bytes(path, limit)?)
}

/// Bytes as UTF-8 text without a leading BOM; the error names the line and the byte.
pub fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{FEFF}') {
                s.drain(..'\u{FEFF}'.len_utf8());
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let before = bytes.get(..at).unwrap_or_default();
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let col = at
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            let bad = bytes.get(at).copied().unwrap_or_default();
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "it is not UTF-8 text: line {line}, byte {col} (0x{bad:02X}); save it as \
                     UTF-8 (a GBK file must be converted first)"
                ),
            ))
        }
    }
}

/// Checks that no JSON object in `text` has the same key twice (serde_json keeps the last
/// one silently). The error is serde_json's, with the line and column of the duplicate.
pub fn json_without_duplicate_keys(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<NoDuplicates>(text).map(|_| ())
}

/// Any JSON value, refusing objects with a repeated key.
struct NoDuplicates;

impl<'de> serde::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        while a.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(k) = a.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key \"{}\" appears twice in one object: keep only one",
                    k.escape_debug()
                )));
            }
            a.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// A parser's message in an operator's words: Rust type names (`u8`, `i128`, `usize`,
/// `struct CardState`, `enum Kind`) replaced by what they mean.
pub fn plain(msg: &str) -> String {
    use std::sync::OnceLock;
    static RULES: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (r"(?-u:\b)as (?:u|i)(?:8|16|32|64|128|size)(?-u:\b)", ""),
            (r"(?-u:\b)u8(?-u:\b)", "a whole number 0 to 255"),
            (r"(?-u:\b)u16(?-u:\b)", "a whole number 0 to 65535"),
            (r"(?-u:\b)u32(?-u:\b)", "a whole number 0 to 4294967295"),
            (
                r"(?-u:\b)(?:u64|usize|u128)(?-u:\b)",
                "a whole number 0 or more",
            ),
            (
                r"(?-u:\b)(?:i8|i16|i32|i64|i128|isize)(?-u:\b)",
                "a whole number",
            ),
            (r"(?-u:\b)(?:f32|f64)(?-u:\b)", "a number"),
            (r"(?-u:\b)struct [A-Za-z0-9_]+", "an object (a table)"),
            (r"(?-u:\b)enum [A-Za-z0-9_]+", "one of the allowed words"),
        ]
        .into_iter()
        // The patterns are fixed and tested (`plain_words`): none fails to compile.
        .filter_map(|(re, to)| regex::Regex::new(re).ok().map(|r| (r, to)))
        .collect()
    });
    let mut s = msg.to_string();
    for (re, to) in rules {
        s = re.replace_all(&s, *to).into_owned();
    }
    s.replace("  ", " ").replace(" ,", ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(Path::new("/dev/zero"), TEXT_MAX).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let e = read_text(dir.path(), TEXT_MAX).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let fifo = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success(), "mkfifo (coreutils) is needed");
        let e = read_text(&fifo, TEXT_MAX).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn plain_words() {
        assert_eq!(
            plain("invalid type: integer `999` as i128, expected i64"),
            "invalid type: integer `999`, expected a whole number"
        );
        assert_eq!(
            plain("expected u8 in struct CardState"),
            "expected a whole number 0 to 255 in an object (a table)"
        );
        assert_eq!(
            plain("unknown variant, enum Kind"),
            "unknown variant, one of the allowed words"
        );
    }

    #[test]
    fn limits_bom_and_bad_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'a'; 2048]).unwrap();
        let e = read_bytes(&p, 1024).unwrap_err();
        assert!(e.to_string().contains("larger than the 1 KiB"), "{e}");
        std::fs::write(&p, "\u{FEFF}x = 1\n").unwrap();
        assert_eq!(read_text(&p, 1024).unwrap(), "x = 1\n");
        std::fs::write(&p, b"ok\nab\xB2\xE2\n").unwrap();
        let e = read_text(&p, 1024).unwrap_err();
        assert!(e.to_string().contains("line 2, byte 3 (0xB2)"), "{e}");
        let e = read_stream(&[b'x'; 10][..], 4).unwrap_err();
        assert!(e.to_string().contains("larger"), "{e}");
    }
}
