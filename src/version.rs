//! Which sscard this is: version, git commit and build date, for `sscard --version`,
//! `sscard profile list` and the journal (a register can tell which software issued a card).

/// The crate version (`0.1.0`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the binary was built from (12 hex digits), or `unknown` when built from a
/// tarball without git.
pub const COMMIT: &str = env!("SSCARD_GIT_COMMIT");

/// The build date (`YYYY-MM-DD`, UTC; `SOURCE_DATE_EPOCH` when set).
pub const BUILD_DATE: &str = env!("SSCARD_BUILD_DATE");

/// `0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-29)`: what `sscard --version` prints after the
/// program name.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SSCARD_GIT_COMMIT"),
    ", built ",
    env!("SSCARD_BUILD_DATE"),
    ")"
);

/// `sscard 0.1.0 (commit ..., built ...)`.
pub fn describe() -> String {
    format!("sscard {LONG}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_carries_version_commit_and_date() {
        assert!(LONG.starts_with(VERSION));
        assert!(LONG.contains(&format!("commit {COMMIT}")));
        assert!(COMMIT == "unknown" || COMMIT.chars().all(|c| c.is_ascii_hexdigit()));
        let d: Vec<&str> = BUILD_DATE.split('-').collect();
        assert_eq!(d.len(), 3, "{BUILD_DATE}");
        assert!(d.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())));
        assert_eq!(describe(), format!("sscard {LONG}"));
    }
}
