//! Profiles by name: `--profile ssc-3.00` finds `ssc-3.00.toml` in the profile folders, first
//! found wins, and a lone binary still knows the shipped profiles (compiled in).
//!
//! Search order ([`Search::from_env`]):
//! 1. every folder of `$SSCARD_PROFILE_PATH` (`:`-separated; `;` on Windows);
//! 2. the user's folder: `~/.config/sscard/profiles` (`$XDG_CONFIG_HOME`; on Windows
//!    `%APPDATA%\sscard\config\profiles`);
//! 3. the machine's folder: `/etc/sscard/profiles` (on Windows `%ProgramData%\sscard\profiles`);
//! 4. the installed package: `share/sscard/profiles` next to the binary's folder
//!    (`/usr/bin/sscard` gives `/usr/share/sscard/profiles`), then `/usr/share/sscard/profiles`
//!    (on Windows `profiles` next to `sscard.exe`);
//! 5. the copies compiled into the binary ([`shipped`]).
//!
//! An argument with a folder in it or ending in `.toml` is a path and is read as such.
//!
//! ```
//! let found = sscard::profile::find("ssc-3.00")?;
//! let profile = found.load()?;
//! assert_eq!(profile.meta.name, "ssc-3.00");
//! # Ok::<(), sscard::profile::ProfileError>(())
//! ```

use super::error::ProfileError;
use super::model::Profile;
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// The shipped `ssc-3.00` profile (SM4), compiled in.
pub const SSC_300: &str = include_str!("../../card-profiles/ssc-3.00.toml");
/// The shipped `ssc-2.00` profile (3DES), compiled in.
pub const SSC_200: &str = include_str!("../../card-profiles/ssc-2.00.toml");

/// The profiles shipped with sscard, compiled in: (name, TOML text).
const SHIPPED: [(&str, &str); 4] = [
    ("ssc-3.00", SSC_300),
    ("ssc-2.00", SSC_200),
    (
        "ssc-1.00",
        include_str!("../../card-profiles/ssc-1.00.toml"),
    ),
    (
        "iso7816-demo",
        include_str!("../../card-profiles/iso7816-demo.toml"),
    ),
];

/// The environment variable with extra profile folders, searched first.
pub const PATH_VAR: &str = "SSCARD_PROFILE_PATH";

/// Where a profile was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// A file given by its path.
    Path,
    /// A folder of `$SSCARD_PROFILE_PATH`.
    Env,
    /// The user's folder (`~/.config/sscard/profiles`).
    User,
    /// The machine's folder (`/etc/sscard/profiles`).
    System,
    /// The installed package's folder (`/usr/share/sscard/profiles`).
    Package,
    /// Compiled into the binary.
    Builtin,
}

impl Origin {
    /// A short word for listings: `path`, `env`, `user`, `system`, `package`, `built-in`.
    pub fn word(self) -> &'static str {
        match self {
            Origin::Path => "path",
            Origin::Env => "env",
            Origin::User => "user",
            Origin::System => "system",
            Origin::Package => "package",
            Origin::Builtin => "built-in",
        }
    }

    /// Shipped with sscard (the package's folder or compiled in), not a local file.
    pub fn is_shipped(self) -> bool {
        matches!(self, Origin::Package | Origin::Builtin)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A profile found by name or path: its text, not yet checked ([`Found::load`] checks it).
#[derive(Debug, Clone)]
pub struct Found {
    /// The name `--profile` takes: the file name without `.toml`.
    pub name: String,
    /// Where it was found.
    pub origin: Origin,
    /// The file (`None` for a compiled-in copy).
    pub path: Option<PathBuf>,
    /// The TOML text.
    pub text: Cow<'static, str>,
}

impl Found {
    /// Checks and returns the profile; errors name [`Found::file`].
    pub fn load(&self) -> Result<Profile, ProfileError> {
        super::load::parse(&self.text, &self.file())
    }

    /// The file for messages: the path, or `built-in:NAME.toml` for a compiled-in copy.
    pub fn file(&self) -> PathBuf {
        match &self.path {
            Some(p) => p.clone(),
            None => PathBuf::from(format!("built-in:{}.toml", self.name)),
        }
    }

    /// The folder relative paths in the profile resolve against (the enable command list):
    /// the file's folder, or the current folder for a compiled-in copy.
    pub fn dir(&self) -> PathBuf {
        match self.path.as_deref().and_then(Path::parent) {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// The compiled-in copies of the shipped profiles (`ssc-3.00`, `ssc-2.00`, `ssc-1.00`,
/// `iso7816-demo`), newest generation first.
pub fn shipped() -> Vec<Found> {
    SHIPPED
        .iter()
        .map(|(name, text)| Found {
            name: (*name).to_string(),
            origin: Origin::Builtin,
            path: None,
            text: Cow::Borrowed(*text),
        })
        .collect()
}

/// The compiled-in copy of shipped profile `name`, if there is one.
pub fn shipped_text(name: &str) -> Option<&'static str> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// True when `arg` names a profile rather than giving a file: no folder in it and no `.toml`.
pub fn is_name(arg: &str) -> bool {
    !arg.is_empty()
        && !arg.ends_with(".toml")
        && Path::new(arg).components().count() == 1
        && !arg.contains(['/', '\\'])
        && arg != "."
        && arg != ".."
}

/// The folders profiles are searched in, in order, each with its origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// The folders, first searched first.
    pub dirs: Vec<(Origin, PathBuf)>,
    /// Whether the compiled-in copies come last.
    pub builtin: bool,
}

impl Search {
    /// The search of this process: `$SSCARD_PROFILE_PATH`, the user's, the machine's and the
    /// package's folders, then the compiled-in copies (see the module documentation).
    pub fn from_env() -> Search {
        Search {
            dirs: folders(PATH_VAR, "profiles"),
            builtin: true,
        }
    }

    /// The profile named `name`: the first `NAME.toml` of the folders, else the compiled-in
    /// copy. Not found: an error listing where it looked.
    pub fn find(&self, name: &str) -> Result<Found, ProfileError> {
        for (origin, dir) in &self.dirs {
            let path = dir.join(format!("{name}.toml"));
            if path.is_file() {
                return read(name, *origin, path);
            }
        }
        if self.builtin
            && let Some(text) = shipped_text(name)
        {
            return Ok(Found {
                name: name.to_string(),
                origin: Origin::Builtin,
                path: None,
                text: Cow::Borrowed(text),
            });
        }
        Err(ProfileError::NotFound {
            name: name.to_string(),
            searched: self.dirs.iter().map(|(_, d)| d.clone()).collect(),
            builtin: if self.builtin {
                SHIPPED.iter().map(|(n, _)| (*n).to_string()).collect()
            } else {
                Vec::new()
            },
        })
    }

    /// A `--profile` argument: a name is found through the folders ([`Search::find`]), a path
    /// is read as it is.
    pub fn locate(&self, arg: &Path) -> Result<Found, ProfileError> {
        match arg.to_str() {
            Some(name) if is_name(name) => self.find(name),
            _ => {
                let path = arg.to_path_buf();
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                read(&name, Origin::Path, path)
            }
        }
    }

    /// Every profile of every folder (`*.toml` that is not a key file), then the compiled-in
    /// copies, in search order: for each name the first is the one used, later ones are
    /// shadowed. A folder that cannot be read is skipped.
    pub fn list(&self) -> Vec<Found> {
        let mut out = Vec::new();
        for (origin, dir) in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            files.sort();
            for path in files {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Ok(found) = read(&name, *origin, path)
                    && !is_key_file(&found.text)
                {
                    out.push(found);
                }
            }
        }
        if self.builtin {
            out.extend(shipped());
        }
        out
    }
}

/// The folders searched for files of one kind (`profiles`, `regions`), in order: every folder
/// of the environment variable `var`, then the user's, the machine's and the installed
/// package's `sub` folders (see the module documentation).
pub fn folders(var: &str, sub: &str) -> Vec<(Origin, PathBuf)> {
    let mut dirs: Vec<(Origin, PathBuf)> = Vec::new();
    if let Some(v) = std::env::var_os(var) {
        dirs.extend(
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| (Origin::Env, p)),
        );
    }
    if let Some(p) = directories::ProjectDirs::from("", "", "sscard") {
        dirs.push((Origin::User, p.config_dir().join(sub)));
    }
    dirs.extend(system_dirs(sub).into_iter().map(|p| (Origin::System, p)));
    for p in package_dirs(sub) {
        if !dirs.iter().any(|(_, d)| same_dir(d, &p)) {
            dirs.push((Origin::Package, p));
        }
    }
    dirs
}

/// Finds profile `name` through this process's search ([`Search::from_env`]).
pub fn find(name: &str) -> Result<Found, ProfileError> {
    Search::from_env().find(name)
}

/// Finds a `--profile` argument, a name or a path ([`Search::locate`]).
pub fn locate(arg: &Path) -> Result<Found, ProfileError> {
    Search::from_env().locate(arg)
}

/// Every profile this process finds ([`Search::list`]).
pub fn list() -> Vec<Found> {
    Search::from_env().list()
}

fn read(name: &str, origin: Origin, path: PathBuf) -> Result<Found, ProfileError> {
    match crate::input::read_text(&path, crate::input::TEXT_MAX) {
        Ok(text) => Ok(Found {
            name: name.to_string(),
            origin,
            path: Some(path),
            text: Cow::Owned(text),
        }),
        Err(source) => Err(ProfileError::Io { file: path, source }),
    }
}

/// A key file (`[keys.*]`/`[pins.*]` tables and no `[profile]`) lives next to profiles
/// (`test-keys.toml`) but is not one.
fn is_key_file(text: &str) -> bool {
    let heads: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('['))
        .collect();
    !heads.iter().any(|l| l.starts_with("[profile]"))
        && heads
            .iter()
            .any(|l| l.starts_with("[keys") || l.starts_with("[pins"))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(not(windows))]
fn system_dirs(sub: &str) -> Vec<PathBuf> {
    vec![Path::new("/etc/sscard").join(sub)]
}

#[cfg(windows)]
fn system_dirs(sub: &str) -> Vec<PathBuf> {
    std::env::var_os("ProgramData")
        .map(|d| PathBuf::from(d).join("sscard").join(sub))
        .into_iter()
        .collect()
}

#[cfg(not(windows))]
fn package_dirs(sub: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .map(|prefix| prefix.join("share").join("sscard").join(sub))
        .into_iter()
        .collect();
    dirs.push(Path::new("/usr/share/sscard").join(sub));
    dirs
}

#[cfg(windows)]
fn package_dirs(sub: &str) -> Vec<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(sub)))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(dirs: &[(Origin, &Path)]) -> Search {
        Search {
            dirs: dirs.iter().map(|(o, p)| (*o, p.to_path_buf())).collect(),
            builtin: true,
        }
    }

    #[test]
    fn names_and_paths_are_told_apart() {
        for name in ["ssc-3.00", "ssc-2.00", "iso7816-demo", "my.profile"] {
            assert!(is_name(name), "{name}");
        }
        for path in [
            "ssc-3.00.toml",
            "card-profiles/ssc-3.00.toml",
            "./ssc-3.00",
            "/etc/x",
            "",
            ".",
            "..",
            "a\\b",
        ] {
            assert!(!is_name(path), "{path}");
        }
    }

    #[test]
    fn every_shipped_profile_is_compiled_in_and_checks() {
        let all = shipped();
        assert_eq!(all.len(), 4);
        for f in &all {
            let p = match f.load() {
                Ok(p) => p,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(p.meta.name, f.name);
            assert_eq!(f.file(), PathBuf::from(format!("built-in:{}.toml", f.name)));
        }
    }

    #[test]
    fn the_first_folder_wins_then_the_built_in_copy() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("ssc-3.00.toml"), "# b\n").unwrap();
        let s = search(&[(Origin::Env, a.path()), (Origin::User, b.path())]);
        let f = s.find("ssc-3.00").unwrap();
        assert_eq!((f.origin, f.text.as_ref()), (Origin::User, "# b\n"));
        assert_eq!(f.dir(), b.path());
        std::fs::write(a.path().join("ssc-3.00.toml"), "# a\n").unwrap();
        assert_eq!(s.find("ssc-3.00").unwrap().origin, Origin::Env);
        let f = s.find("ssc-2.00").unwrap();
        assert_eq!((f.origin, f.path.as_deref()), (Origin::Builtin, None));
        assert_eq!(f.dir(), PathBuf::from("."));
    }

    #[test]
    fn a_missing_name_says_where_it_looked() {
        let a = tempfile::tempdir().unwrap();
        let s = search(&[(Origin::System, a.path())]);
        let e = s.find("ssc-9.00").unwrap_err().to_string();
        assert!(e.contains("no profile named `ssc-9.00`"), "{e}");
        assert!(e.contains(&a.path().display().to_string()), "{e}");
        assert!(
            e.contains("built-in ssc-3.00, ssc-2.00, ssc-1.00, iso7816-demo"),
            "{e}"
        );
        assert!(e.contains("sscard profile list"), "{e}");
    }

    #[test]
    fn a_path_is_read_as_a_path() {
        let a = tempfile::tempdir().unwrap();
        let p = a.path().join("mine.toml");
        std::fs::write(&p, "# mine\n").unwrap();
        let f = search(&[]).locate(&p).unwrap();
        assert_eq!((f.origin, f.name.as_str()), (Origin::Path, "mine"));
        let e = search(&[])
            .locate(Path::new("no/such/ssc-3.00.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read profile no/such/ssc-3.00.toml"),
            "{e}"
        );
    }

    #[test]
    fn list_keeps_every_copy_in_search_order_and_skips_key_files() {
        let a = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("ssc-3.00.toml"), "[profile]\nname = \"x\"\n").unwrap();
        std::fs::write(
            a.path().join("test-keys.toml"),
            "[keys.mk]\nvalue = \"00\"\n",
        )
        .unwrap();
        std::fs::write(a.path().join("notes.txt"), "not a profile").unwrap();
        let l = search(&[(Origin::User, a.path())]).list();
        let got: Vec<(String, Origin)> = l.iter().map(|f| (f.name.clone(), f.origin)).collect();
        assert_eq!(got[0], ("ssc-3.00".to_string(), Origin::User));
        assert_eq!(got.len(), 5);
        assert_eq!(got[1], ("ssc-3.00".to_string(), Origin::Builtin));
    }
}
