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
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
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
