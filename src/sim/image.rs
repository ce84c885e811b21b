//! The card image: the whole persistent state of a virtual card (files, keys, counters, life
//! cycle, ATR, T=0 mode, fault configuration) as one readable JSON file, written atomically
//! (temporary file, fsync, rename). Format: docs/virtual-card.md.

use super::VirtualCard;
use super::fault::FaultConfig;
use super::fs::{Hex, Node};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The value of the image's `"format"` field.
pub const FORMAT: &str = "sscard-virtual-card";
/// The image format version this code writes and reads.
pub const VERSION: u32 = 1;
/// Default memory capacity, bytes (a 64 KiB EEPROM).
pub const DEFAULT_CAPACITY: usize = 65536;
/// The largest memory capacity an image may declare (the size limit of an image file).
pub const MAX_CAPACITY: usize = 16 << 20;
/// The longest answer delay an image may ask for, milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The default ATR: direct convention, T=1 only, Fi=372/Di=12, IFSC 254, BWI 4 / CWI 5, and
/// 14 historical bytes in compact-TLV (category `80`; card service data `31 C0`: selection by
/// full and partial DF name; card capabilities `73 F0 21 00`: selection by full/partial DF
/// name, path and FID, data unit 1 byte; pre-issuing data `66` = "sscard"), then TCK.
///
/// `3B 9E 18 81 31 FE 45 80 31 C0 73 F0 21 00 66 73 73 63 61 72 64 TCK`
pub const DEFAULT_ATR: [u8; 22] = default_atr();

// A const fn cannot use iterators; every index is below the array's fixed length 22.
#[allow(clippy::indexing_slicing)]
const fn default_atr() -> [u8; 22] {
    let mut atr = [
        0x3B, 0x9E, 0x18, 0x81, 0x31, 0xFE, 0x45, // TS T0 TA1 TD1 TD2 TA3 TB3
        0x80, 0x31, 0xC0, 0x73, 0xF0, 0x21, 0x00, 0x66, 0x73, 0x73, 0x63, 0x61, 0x72, 0x64,
        0x00, // TCK, computed below
    ];
    let mut tck = 0u8;
    let mut i = 1;
    while i < 21 {
        tck ^= atr[i];
        i += 1;
    }
    atr[21] = tck;
    atr
}

/// The ATR a card in T=0 mode answers when it still has a default ATR: the same historical
/// bytes, T=0 only (no TD1, so no TCK): `3B 1E 18 80 31 C0 73 F0 21 00 66 73 73 63 61 72 64`.
pub const DEFAULT_ATR_T0: [u8; 17] = [
    0x3B, 0x1E, 0x18, 0x80, 0x31, 0xC0, 0x73, 0xF0, 0x21, 0x00, 0x66, 0x73, 0x73, 0x63, 0x61, 0x72,
    0x64,
];

fn default_format() -> String {
    FORMAT.to_string()
}
fn default_capacity() -> usize {
    DEFAULT_CAPACITY
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// Everything a card image holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardState {
    /// Always `"sscard-virtual-card"`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Image format version (1).
    pub version: u32,
    /// The ATR, hex.
    pub atr: Hex,
    /// T=0 behaviour (61xx / GET RESPONSE, 6Cxx on a wrong Le).
    #[serde(default, skip_serializing_if = "is_false")]
    pub t0: bool,
    /// Memory available for files, bytes (CREATE FILE answers 6A84 beyond it).
    #[serde(default = "default_capacity")]
    pub capacity: usize,
    /// Fault injection.
    #[serde(default, skip_serializing_if = "FaultConfig::is_healthy")]
    pub faults: FaultConfig,
    /// The file tree, from the MF.
    pub mf: Node,
    /// A PSAM's master keys (docs/virtual-card.md, "The virtual PSAM"); absent on a card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psam: Option<super::psam::PsamKeys>,
}

impl CardState {
    /// A blank card: the default ATR, an empty MF in the creation state, the test keys.
    pub fn blank() -> CardState {
        CardState {
            format: FORMAT.to_string(),
            version: VERSION,
            atr: Hex(DEFAULT_ATR.to_vec()),
            t0: false,
            capacity: DEFAULT_CAPACITY,
            faults: FaultConfig::default(),
            mf: Node::blank_mf(),
            psam: None,
        }
    }

    /// Checks what serde cannot: format name, version, file invariants.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "\"format\" is \"{}\", expected \"{FORMAT}\"",
                self.format
            ));
        }
        if self.version != VERSION {
            return Err(format!(
                "image version {} is not supported (this sscard reads version {VERSION})",
                self.version
            ));
        }
        if self.atr.0.len() < 2 || self.atr.0.len() > 33 {
            return Err(format!(
                "\"atr\" must be 2 to 33 bytes, got {}",
                self.atr.0.len()
            ));
        }
        if !self.mf.is_df() || self.mf.fid != Some(super::fs::MF_FID) {
            return Err("\"mf\" must be a DF with fid 3F00".to_string());
        }
        if self.faults.delay_ms > MAX_DELAY_MS {
            return Err(format!(
                "faults.delay_ms must be 0 to {MAX_DELAY_MS} (one minute), got {}",
                self.faults.delay_ms
            ));
        }
        if self.capacity > MAX_CAPACITY {
            return Err(format!(
                "\"capacity\" must be at most {MAX_CAPACITY} bytes, got {}",
                self.capacity
            ));
        }
        if let Some(i) = self.faults.intermittent
            && !(0.0..=1.0).contains(&i.rate)
        {
            return Err(format!(
                "faults.intermittent.rate must be 0.0 to 1.0, got {}",
                i.rate
            ));
        }
        if let Some(p) = &self.psam {
            p.validate()?;
        }
        self.mf.validate("")
    }
}

/// A card image that cannot be read or written. The cause (system or parser error) is the
/// `source`, which `{:#}` / anyhow chains print after the message.
#[derive(Debug, Error)]
pub enum ImageError {
    /// Reading or writing the file failed.
    #[error("cannot {action} the card image {}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create`).
        action: &'static str,
        /// The image file.
        path: PathBuf,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON or does not match the image format.
    #[error(
        "the card image {} is corrupt at line {line}, column {column} (fix or remove the file; it was left untouched)",
        path.display()
    )]
    Corrupt {
        /// The image file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The image file is read-only: it is never replaced.
    #[error(
        "the card image {} is read-only: sscard would have to change it; make it writable \
         (chmod u+w) or work on a copy (it was left untouched)",
        path.display()
    )]
    ReadOnly {
        /// The image file.
        path: PathBuf,
    },
    /// The JSON is well-formed but describes an impossible card.
    #[error("the card image {} is not a valid card: {what}; fix or remove the file (it was left untouched)", path.display())]
    Invalid {
        /// The image file.
        path: PathBuf,
        /// What is wrong, naming the field or file.
        what: String,
    },
}

impl VirtualCard {
    /// Loads the card whose image is at `path`. The card is powered off.
    pub fn load(path: &Path) -> Result<VirtualCard, ImageError> {
        let text = crate::input::read_text(path, crate::input::IMAGE_MAX).map_err(|source| {
            ImageError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            }
        })?;
        crate::input::json_without_duplicate_keys(&text).map_err(|source| ImageError::Corrupt {
            path: path.to_path_buf(),
            line: source.line(),
            column: source.column(),
            source,
        })?;
        let state: CardState =
            serde_json::from_str(&text).map_err(|source| ImageError::Corrupt {
                path: path.to_path_buf(),
                line: source.line(),
                column: source.column(),
                source,
            })?;
        state.validate().map_err(|what| ImageError::Invalid {
            path: path.to_path_buf(),
            what,
        })?;
        let mut card = VirtualCard::from_state(state);
        let faults = card.state.faults.clone();
        card.set_faults(faults);
        Ok(card)
    }

    /// Loads the image at `path`, or, when no file exists there yet, creates a blank card and
    /// saves it there. A file that exists but cannot be read is an error, never replaced.
    pub fn load_or_create(path: &Path) -> Result<VirtualCard, ImageError> {
        match std::fs::metadata(path) {
            Ok(_) => VirtualCard::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let card = VirtualCard::blank();
                card.save(path)?;
                Ok(card)
            }
            Err(source) => Err(ImageError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The image as saved: pretty JSON and a final newline.
    pub fn image_text(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(&self.state)?;
        text.push('\n');
        Ok(text)
    }

    /// Saves the whole persistent state to `path` atomically: the JSON goes to a temporary
    /// file in the same directory, is flushed to disk, then renamed over `path`. A symbolic
    /// link is written through: its target is replaced (the temporary file goes beside the
    /// target). A read-only image is refused, never replaced; the new file keeps the old
    /// one's permissions.
    pub fn save(&self, path: &Path) -> Result<(), ImageError> {
        let text = self.image_text().map_err(|e| ImageError::Io {
            action: "write",
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        save_text(path, &text)
    }
}

/// The file an image path stands for: the target of a symbolic link (resolved), else `path`.
pub fn target_of(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| {
            // A link to a file not made yet: its target, relative to the link's folder.
            match std::fs::read_link(path) {
                Ok(t) if t.is_relative() => path.parent().map_or(t.clone(), |d| d.join(&t)),
                Ok(t) => t,
                Err(_) => path.to_path_buf(),
            }
        }),
        _ => path.to_path_buf(),
    }
}

fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "card.json".to_string());
    (dir, name)
}

/// Writes image `text` to `path` (see [`VirtualCard::save`]).
pub fn save_text(path: &Path, text: &str) -> Result<(), ImageError> {
    let target = target_of(path);
    let io = |action: &'static str| {
        let p = path.to_path_buf();
        move |source| ImageError::Io {
            action,
            path: p,
            source,
        }
    };
    let old = std::fs::metadata(&target).ok();
    if let Some(m) = &old {
        if !m.is_file() {
            return Err(io("write")(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "it is not a regular file",
            )));
        }
        if m.permissions().readonly() {
            return Err(ImageError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
    }
    let (dir, name) = dir_and_name(&target);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        if let Some(m) = &old {
            f.set_permissions(m.permissions())?;
        }
        if save_fault(SaveFault::MidWrite) {
            let half = text.as_bytes().get(..text.len() / 2).unwrap_or_default();
            f.write_all(half)?;
            f.sync_all()?;
            std::process::abort();
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        if save_fault(SaveFault::BeforeRename) {
            std::process::abort();
        }
        std::fs::rename(&tmp, &target)?;
        // Make the rename itself durable (best effort: not every platform allows it).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        if save_fault(SaveFault::AfterRename) {
            std::process::abort();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("write")(e)
    })
}

/// Removes the temporary files (`.NAME.tmp-PID`) that saves of the image at `path` left
/// when their process died before the rename. Those of living processes are left alone.
pub fn remove_stale_temps(path: &Path) {
    let (dir, name) = dir_and_name(&target_of(path));
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.strip_prefix(&prefix) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Where a save can be made to die, for the tests that prove saves are atomic.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SaveFault {
    MidWrite,
    BeforeRename,
    AfterRename,
}

/// Test hook: `SSCARD_FAULT_SAVE=mid-write|before-rename|after-rename` makes the process abort
/// at that point of every image save (half the temporary file written; the temporary file
/// complete but not renamed; renamed), like a power cut or a SIGKILL there. Unset: no effect.
fn save_fault(at: SaveFault) -> bool {
    let Some(v) = std::env::var_os("SSCARD_FAULT_SAVE") else {
        return false;
    };
    let want = match at {
        SaveFault::MidWrite => "mid-write",
        SaveFault::BeforeRename => "before-rename",
        SaveFault::AfterRename => "after-rename",
    };
    v == want
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_atr_has_a_correct_tck() {
        let x = DEFAULT_ATR[1..].iter().fold(0u8, |a, b| a ^ b);
        assert_eq!(x, 0, "XOR of T0..TCK must be 0");
        assert_eq!(DEFAULT_ATR[0], 0x3B);
        assert_eq!(DEFAULT_ATR[1] & 0x0F, 14, "14 historical bytes");
        assert_eq!(&DEFAULT_ATR[15..21], b"sscard");
        assert_eq!(
            hex::encode_upper(DEFAULT_ATR),
            "3B9E188131FE458031C073F02100667373636172642C",
            "docs/virtual-card.md shows this ATR"
        );
    }
}
