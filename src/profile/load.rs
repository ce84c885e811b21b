//! Reading a profile: TOML syntax errors located by file, line, column and table; then every
//! semantic check, with all problems reported at once (see [`super::check`]).

use super::error::{ProfileError, key_on_line, line_col, table_above};
use super::model::Profile;
use super::raw::RawProfile;
use std::path::Path;

/// Loads and checks the profile at `path`.
pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = crate::input::read_text(path, crate::input::TEXT_MAX).map_err(|source| {
        ProfileError::Io {
            file: path.to_path_buf(),
            source,
        }
    })?;
    parse(&text, path)
}

/// Parses and checks profile `text`; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<Profile, ProfileError> {
    let raw: RawProfile = toml::from_str(text).map_err(|source| {
        let (line, column) = source.span().map_or((0, 0), |s| line_col(text, s.start));
        ProfileError::Syntax {
            file: file.to_path_buf(),
            line,
            column,
            key: key_on_line(text, line),
            table: table_above(text, line),
            message: {
                let m = crate::input::plain(source.message().trim());
                let key_file = text
                    .lines()
                    .any(|l| l.trim_start().starts_with("[keys.") || l.trim_start().starts_with("[pins."));
                if key_file {
                    format!("{m}; this looks like a key file ([keys.*]), not a profile (which has [profile] and [mf])")
                } else {
                    m
                }
            },
            parser: Box::new(source),
        }
    })?;
    let mut ctx = super::check::Ctx::new(text);
    let profile = ctx.profile(raw);
    let mut issues = ctx.into_issues();
    if issues.is_empty() {
        Ok(profile)
    } else {
        issues.sort_by_key(|i| (i.line, i.column));
        Err(ProfileError::Invalid {
            file: file.to_path_buf(),
            issues,
        })
    }
}
