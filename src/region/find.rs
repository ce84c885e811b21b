//! Regions by name (`--region example`) or path, and recording an approval in a region file.
//!
//! Search order, as for profiles ([`crate::profile::find`]): the folders of
//! `$SSCARD_REGION_PATH`, `~/.config/sscard/regions`, `/etc/sscard/regions`, the package's
//! `share/sscard/regions`, then the compiled-in `example`.

use super::{Approval, Region, RegionError};
use crate::profile::Profile;
use crate::profile::find::{Origin, folders, is_name};
use crate::profile::fingerprint::fingerprint;
use std::borrow::Cow;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable with extra region folders, searched first.
pub const PATH_VAR: &str = "SSCARD_REGION_PATH";

/// The example region shipped with sscard, compiled in: the virtual card as a product on
/// record, the shipped profiles approved.
pub const EXAMPLE: &str = include_str!("../../card-profiles/regions/example.toml");

const SHIPPED: [(&str, &str); 1] = [("example", EXAMPLE)];

/// A region file found by name or path, not yet checked ([`Found::load`] checks it).
#[derive(Debug, Clone)]
pub struct Found {
    /// Where it was found.
    pub origin: Origin,
    /// The file (`None` for the compiled-in copy).
    pub path: Option<PathBuf>,
    /// The name (file name without `.toml`).
    pub name: String,
    /// The TOML text.
    pub text: Cow<'static, str>,
}

impl Found {
    /// The file for messages: the path, or `built-in:NAME.toml`.
    pub fn file(&self) -> PathBuf {
        match &self.path {
            Some(p) => p.clone(),
            None => PathBuf::from(format!("built-in:{}.toml", self.name)),
        }
    }

    /// Checks and returns the region.
    pub fn load(&self) -> Result<Region, RegionError> {
        super::parse(&self.text, &self.file())
    }
}

fn read(name: &str, origin: Origin, path: PathBuf) -> Result<Found, RegionError> {
    match crate::input::read_text(&path, crate::input::TEXT_MAX) {
        Ok(text) => Ok(Found {
            origin,
            path: Some(path),
            name: name.to_string(),
            text: Cow::Owned(text),
        }),
        Err(source) => Err(RegionError::Io {
            action: "read",
            file: path,
            source,
        }),
    }
}

/// The region named `name`: the first `NAME.toml` of the region folders, else the
/// compiled-in copy.
pub fn find(name: &str) -> Result<Found, RegionError> {
    let dirs = folders(PATH_VAR, "regions");
    for (origin, dir) in &dirs {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return read(name, *origin, path);
        }
    }
    if let Some((_, text)) = SHIPPED.iter().find(|(n, _)| *n == name) {
        return Ok(Found {
            origin: Origin::Builtin,
            path: None,
            name: name.to_string(),
            text: Cow::Borrowed(*text),
        });
    }
    Err(RegionError::NotFound {
        name: name.to_string(),
        searched: dirs.into_iter().map(|(_, d)| d).collect(),
        builtin: SHIPPED.iter().map(|(n, _)| (*n).to_string()).collect(),
    })
}

/// A `--region` argument: a name is found through the folders ([`find`]), a path (with a
/// folder or ending in `.toml`) is read as it is.
pub fn locate(arg: &Path) -> Result<Found, RegionError> {
    match arg.to_str() {
        Some(name) if is_name(name) => find(name),
        _ => {
            let name = arg
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            read(&name, Origin::Path, arg.to_path_buf())
        }
    }
}

/// The time now, UTC, as approvals record it (`2026-11-29T13:30:00Z`).
pub fn now_utc() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// What [`approve`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approved {
    /// A new `[[approval]]` was appended to the file.
    Recorded(Approval),
    /// This structure was already approved: nothing written.
    Already(Approval),
}

/// Records in the region file `file` that `profile`'s structure is approved, by `by`, at `at`
/// (use [`now_utc`]): appends an `[[approval]]` table (comments and the rest of the file are
/// kept), written atomically, and reads the file back. A structure already approved is not
/// recorded twice.
pub fn approve(
    file: &Path,
    profile: &Profile,
    by: &str,
    at: &str,
) -> Result<Approved, RegionError> {
    let by = by.trim();
    if by.is_empty() || by.chars().any(char::is_control) {
        return Err(RegionError::Approve(
            "--by must name who approves the structure (a person or an office), on one line".into(),
        ));
    }
    let found = read("", Origin::Path, file.to_path_buf())?;
    let region = found.load()?;
    let fp = fingerprint(profile);
    if let Some(a) = region.approval(&fp) {
        return Ok(Approved::Already(a.clone()));
    }
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = found.text.into_owned();
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n[[approval]]\nprofile = {}\nsha256 = \"{}\"\nsm3 = \"{}\"\nby = {}\nat = {}\n",
        quote(&profile.meta.name),
        fp.sha256,
        fp.sm3,
        quote(by),
        quote(at)
    ));
    let region = super::parse(&text, file)?;
    write_atomic(file, &text)?;
    region
        .approval(&fp)
        .cloned()
        .map(Approved::Recorded)
        .ok_or_else(|| RegionError::Approve("the approval did not read back".into()))
}

fn write_atomic(file: &Path, text: &str) -> Result<(), RegionError> {
    let io = |source| RegionError::Io {
        action: "write",
        file: file.to_path_buf(),
        source,
    };
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, file)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}
