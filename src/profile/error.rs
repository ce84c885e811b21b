//! Profile errors: syntax (file, line, column, table) and semantic problems (all of them at
//! once, each at its line).

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// What kind of semantic problem a profile has (tests and tools match on this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// A hex value (FID, tag, AID) is malformed or has the wrong length.
    BadHex,
    /// Two files of one DF share a FID.
    DuplicateFid,
    /// Two EFs of one DF share an SFI.
    DuplicateSfi,
    /// Two elements of one EF share a tag.
    DuplicateTag,
    /// Two elements of one EF are in the same record.
    DuplicateRecord,
    /// Two DFs share a name, two EFs of a DF share a name, or two elements share a name.
    DuplicateName,
    /// Two keys or PINs of one DF share an id / reference.
    DuplicateKeyId,
    /// An SFI outside 1..=30.
    SfiOutOfRange,
    /// An AID longer than 16 bytes (or shorter than 5).
    AidLength,
    /// A DF with neither FID nor AID.
    NoSelector,
    /// A FID reserved by ISO 7816-4 (3FFF, FFFF) or the MF's 3F00 used below the MF.
    ReservedFid,
    /// An element does not fit its record.
    ElementTooLong,
    /// A record number outside 1..=record count.
    RecordOutOfRange,
    /// An element in a transparent EF, or a record EF without record count/length.
    BadSize,
    /// An unknown format.
    UnknownFormat,
    /// An unknown padding.
    UnknownPadding,
    /// An unknown validation rule.
    UnknownRule,
    /// An unknown structure.
    UnknownStructure,
    /// An unknown life cycle status.
    UnknownLcs,
    /// An unknown key role.
    UnknownRole,
    /// An unknown algorithm.
    UnknownAlgorithm,
    /// An unknown diversification factor source.
    UnknownDiversification,
    /// An access condition that cannot be read (`auth:` without a key, `sometimes`, ...).
    BadAccess,
    /// An access condition naming a key not in the DF the card checks.
    UnknownKey,
    /// An access condition naming a PIN not in the DF or above it.
    UnknownPin,
    /// A number out of its range (key id over 15, tries over 15, length 0, ...).
    OutOfRange,
    /// An element's `continues` names no element of the same EF.
    BadContinuation,
    /// An allowed value that the element's format or length cannot hold.
    BadValue,
    /// A DF without a name.
    MissingName,
    /// Metadata that is malformed (spec version, region code, generation).
    BadMeta,
}

/// One semantic problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// Where in the tree: `mf/ssse/ef06 element name_ext`.
    pub path: String,
    /// The key of the TOML table (`tag`, `access.update`, ...).
    pub key: String,
    /// What is wrong and what to do, in operator words.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} `{}`: {}",
            self.line, self.column, self.path, self.key, self.message
        )
    }
}

/// Why a profile could not be loaded.
#[derive(Debug, Error)]
pub enum ProfileError {
    /// The file cannot be read.
    #[error("cannot read profile {}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or an unknown/missing/mistyped key.
    #[error("{}:{line}:{column}: {message}{}{}", file.display(),
        key.as_ref().map(|k| format!(" (key `{k}`)")).unwrap_or_default(),
        table.as_ref().map(|t| format!(" (in [{t}])")).unwrap_or_default())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key on that line (`sfi` in `sfi = "5"`), if the line has one.
        key: Option<String>,
        /// The table header above the error, if any.
        table: Option<String>,
        /// The parser's message, cleaned for an operator.
        message: String,
        /// The parser's error, for callers that want it (not a `source()`: `message` already
        /// says what it says, without the parser's Rust type names).
        parser: Box<toml::de::Error>,
    },
    /// No profile of that name in any profile folder nor compiled in.
    #[error("no profile named `{name}`: looked for {name}.toml in {}{}; `sscard profile list` shows every profile found, or give the path of a .toml file",
        if searched.is_empty() { "no folder".to_string() } else { searched.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ") },
        if builtin.is_empty() { String::new() } else { format!(" and among the built-in {}", builtin.join(", ")) })]
    NotFound {
        /// The name asked for.
        name: String,
        /// The folders searched, in order.
        searched: Vec<PathBuf>,
        /// The names compiled into the binary.
        builtin: Vec<String>,
    },
    /// Semantic problems (all of them).
    #[error("{} has {} problem(s):\n{}", file.display(), issues.len(), issues.iter().map(|i| format!("  {}:{i}", file.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Every problem found.
        issues: Vec<Issue>,
    },
}

impl ProfileError {
    /// The semantic issues (empty for I/O and syntax errors).
    pub fn issues(&self) -> &[Issue] {
        match self {
            ProfileError::Invalid { issues, .. } => issues,
            _ => &[],
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The nearest `[table]` or `[[array]]` header at or above `line`.
pub fn table_above(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let t = l.trim();
            t.starts_with('[')
                .then(|| t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last()
}

/// The key assigned on `line` (`sfi` in `sfi = "5"`), if any.
pub fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (k, _) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('#') && !k.starts_with('[')).then(|| k.to_string())
}
