//! Why a region cannot be used, or why it refuses a card or a profile, in operator words.

use std::path::PathBuf;
use thiserror::Error;

/// A region file that cannot be used, or a check it fails.
#[derive(Debug, Error)]
pub enum RegionError {
    /// The file cannot be read or written.
    #[error("cannot {action} region file {}", file.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, or an unknown, missing or mistyped key.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Values that are not valid (all of them, each at its line).
    #[error("{} has {} problem(s):\n{}", file.display(), problems.len(),
        problems.iter().map(|(l, m)| format!("  {}:{l}: {m}", file.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// (line, what is wrong) for every problem.
        problems: Vec<(usize, String)>,
    },
    /// No region of that name in any region folder nor compiled in.
    #[error("no region named `{name}`: looked for {name}.toml in {} and among the built-in {}; give the path of a region .toml file",
        if searched.is_empty() { "no folder".to_string() } else { searched.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ") },
        builtin.join(", "))]
    NotFound {
        /// The name asked for.
        name: String,
        /// The folders searched, in order.
        searched: Vec<PathBuf>,
        /// The names compiled in.
        builtin: Vec<String>,
    },
    /// The card's ATR matches no product the region has on record.
    #[error("the card's ATR {atr} matches no card product on record in region {region} ({}): \
        do not issue this card; if the product was put on record, add it as a [[product]] to the region file, \
        or give --allow-unlisted-product on a lab or test card", file.display())]
    UnlistedProduct {
        /// The region's name.
        region: String,
        /// Its file.
        file: PathBuf,
        /// The ATR, spaced hex.
        atr: String,
    },
    /// The profile's structure is not approved in the region.
    #[error("profile {profile} (structure sha256:{sha256}) is not approved in region {region} ({}): \
        its file structure was changed or never approved; once approved, record it with \
        `sscard profile approve PROFILE-FILE --region {} --by NAME`, or give --unapproved for test cards",
        file.display(), file.display())]
    Unapproved {
        /// The profile's name.
        profile: String,
        /// Its structure's SHA-256.
        sha256: String,
        /// The region's name.
        region: String,
        /// Its file.
        file: PathBuf,
    },
    /// `approve` of a compiled-in region, or a bad `--by`.
    #[error("{0}")]
    Approve(String),
}
