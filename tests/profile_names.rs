//! Profiles by name as an operator meets them outside the repository: `--profile ssc-3.00`
//! from any folder, `$SSCARD_PROFILE_PATH` and the user's folder first, `sscard profile list`
//! with a flag on a local profile that differs from the shipped one; `sscard --version`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A place outside the repository: its own current folder and an empty home.
struct Outside {
    cwd: TempDir,
    home: TempDir,
}

impl Outside {
    fn new() -> Outside {
        Outside {
            cwd: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// The user's profile folder (`$XDG_CONFIG_HOME/sscard/profiles`), created.
    fn user_dir(&self) -> PathBuf {
        let d = self.home.path().join(".config/sscard/profiles");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn sscard(&self, args: &[&str], profile_path: Option<&Path>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
        c.args(args)
            .current_dir(self.cwd.path())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env_remove("SSCARD_PROFILE_PATH");
        if let Some(p) = profile_path {
            c.env("SSCARD_PROFILE_PATH", p);
        }
        c.output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("card-profiles")
            .join(format!("{name}.toml")),
    )
    .unwrap()
}

/// ssc-3.00 with the PUK under another key id: valid, another structure.
fn changed_ssc300() -> String {
    let t = shipped("ssc-3.00");
    assert!(t.contains("id = 0x05"));
    t.replacen("id = 0x05", "id = 0x07", 1)
}

#[test]
fn a_shipped_name_works_from_any_folder_with_no_profile_files() {
    let o = Outside::new();
    let out = o.sscard(&["profile", "show", "ssc-3.00"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("profile ssc-3.00  spec 3.00  generation 3"));
    let out = o.sscard(
        &[
            "profile",
            "check",
            "ssc-1.00",
            "ssc-2.00",
            "ssc-3.00",
            "iso7816-demo",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches(": ok (").count(), 4);
    let out = o.sscard(&["init", "--profile", "iso7816-demo", "--dry-run"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("init plan for profile iso7816-demo (iso7816-demo)"));
}

#[test]
fn an_unknown_name_says_where_it_looked_and_what_to_do() {
    let o = Outside::new();
    let out = o.sscard(
        &["read", "--profile", "ssc-9.00", "--reader", "sim:x.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(
        e.starts_with("sscard: error: no profile named `ssc-9.00`: looked for ssc-9.00.toml in "),
        "{e}"
    );
    assert!(e.contains(&o.user_dir().display().to_string()), "{e}");
    assert!(e.contains("/usr/share/sscard/profiles"), "{e}");
    assert!(
        e.contains("built-in ssc-3.00, ssc-2.00, ssc-1.00, iso7816-demo"),
        "{e}"
    );
    assert!(e.contains("`sscard profile list`"), "{e}");
}

#[test]
fn a_path_still_works_as_a_path() {
    let o = Outside::new();
    let p = o.cwd.path().join("ssc-3.00.toml");
    std::fs::write(&p, changed_ssc300()).unwrap();
    // Relative, in the current folder: the local file, not the shipped profile.
    let local = o.sscard(&["profile", "fingerprint", "ssc-3.00.toml"], None);
    let named = o.sscard(&["profile", "fingerprint", "ssc-3.00"], None);
    assert!(local.status.success() && named.status.success());
    assert_ne!(text(&local.stdout), text(&named.stdout));
    let out = o.sscard(&["profile", "show", "./missing.toml"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read profile ./missing.toml"));
}

#[test]
fn the_profile_path_and_the_user_folder_come_before_the_shipped_copy() {
    let o = Outside::new();
    let env_dir = tempfile::tempdir().unwrap();
    std::fs::write(env_dir.path().join("ssc-3.00.toml"), changed_ssc300()).unwrap();
    std::fs::write(o.user_dir().join("ssc-3.00.toml"), shipped("ssc-3.00")).unwrap();
    std::fs::write(o.user_dir().join("my-city.toml"), shipped("ssc-2.00")).unwrap();
    let fp = |profile_path: Option<&Path>| {
        let out = o.sscard(&["profile", "fingerprint", "ssc-3.00"], profile_path);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let shipped_fp = {
        let out = o.sscard(&["profile", "fingerprint", "iso7816-demo"], None);
        assert!(out.status.success());
        text(&out.stdout)
    };
    assert_ne!(fp(Some(env_dir.path())), fp(None));
    assert_ne!(fp(None), shipped_fp);

    let out = o.sscard(&["profile", "list"], Some(env_dir.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(
        list.starts_with(&format!("sscard {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{list}"
    );
    let rows: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("ssc-3.00 "))
        .collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert!(
        rows[0].contains(" env ") && rows[0].contains(" used "),
        "{list}"
    );
    assert!(
        rows[1].contains(" user ") && rows[1].contains(" shadowed "),
        "{list}"
    );
    assert!(
        rows[2].contains(" built-in ") && rows[2].contains(" shadowed "),
        "{list}"
    );
    // The changed copy is flagged once; the user's identical copy is not.
    assert_eq!(
        list.matches("! DIFFERS from the shipped ssc-3.00").count(),
        1,
        "{list}"
    );
    let flagged = list
        .lines()
        .skip_while(|l| !l.starts_with("ssc-3.00 "))
        .nth(1)
        .unwrap();
    assert!(
        flagged.contains("! DIFFERS") && flagged.contains("a local profile"),
        "{list}"
    );
    // A name that is not shipped is listed, never flagged.
    let city = list.lines().find(|l| l.starts_with("my-city ")).unwrap();
    assert!(city.contains(" user ") && city.contains(" used "), "{list}");
    assert!(
        list.contains(&format!("  env       {}", env_dir.path().display())),
        "{list}"
    );
}

#[test]
fn an_invalid_local_profile_is_listed_as_invalid_and_named_use_reports_it() {
    let o = Outside::new();
    std::fs::write(
        o.user_dir().join("ssc-2.00.toml"),
        shipped("ssc-2.00").replacen("fid = \"DDF1\"", "fid = \"3FFF\"", 1),
    )
    .unwrap();
    let out = o.sscard(&["profile", "list"], None);
    assert!(out.status.success());
    let list = text(&out.stdout);
    assert!(
        list.contains("! INVALID (1 problem(s)): sscard profile check "),
        "{list}"
    );
    let out = o.sscard(&["profile", "show", "ssc-2.00"], None);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(
        e.contains("ssc-2.00.toml has 1 problem(s), listed above"),
        "{e}"
    );
}

#[test]
fn version_says_version_commit_and_build_date() {
    let o = Outside::new();
    let out = o.sscard(&["--version"], None);
    assert!(out.status.success());
    let v = text(&out.stdout);
    let rest = v
        .trim_end()
        .strip_prefix(&format!("sscard {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{v}"));
    let (commit, date) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
    assert_eq!(date.len(), 10, "{v}");
    assert_eq!(date.as_bytes()[4], b'-');
}
