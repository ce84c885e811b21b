//! Where things are in a script, and what can go wrong loading or running one.

use crate::apdu::{ApduError, Sw};
use crate::transport::TransportError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// A place in a script file: `file:line:column` (column 0 = the whole line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The script file, as given (includes: joined to the including file's folder).
    pub file: Arc<Path>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters, or 0 when the whole line is meant.
    pub col: usize,
}

impl Loc {
    /// The same place, whole line.
    pub fn line_only(&self) -> Loc {
        Loc {
            col: 0,
            ..self.clone()
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.col == 0 {
            write!(f, "{}:{}", self.file.display(), self.line)
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
        }
    }
}

/// A response that did not meet the script's expectation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{loc}: expectation not met for `{command}`: expected {expected}, got {actual} ({sw}); {detail}"
)]
pub struct Mismatch {
    /// The APDU line.
    pub loc: Loc,
    /// The command as sent (secrets masked).
    pub command: String,
    /// The expectation as written, normalized (`6F ?? * 90 00`).
    pub expected: String,
    /// The response as received, data then SW (secrets masked).
    pub actual: String,
    /// The status word received.
    pub sw: Sw,
    /// Where it first differs: `byte 3: expected 90, got 6A`, or a length problem.
    pub detail: String,
}

/// A script that cannot be loaded, checked or run.
#[derive(Debug, Error)]
pub enum ScriptError {
    /// The script text is malformed.
    #[error("{loc}: expected {expected}, found {found}")]
    Parse {
        /// Where.
        loc: Loc,
        /// What the parser wanted there.
        expected: String,
        /// What it found.
        found: String,
    },
    /// A script or record file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An included file cannot be read.
    #[error("{loc}: cannot include {}", path.display())]
    Include {
        /// The `include` line.
        loc: Loc,
        /// The file it names, joined to the including file's folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file includes itself, directly or through others.
    #[error("{loc}: include cycle: {chain}")]
    IncludeCycle {
        /// The `include` line that closes the cycle.
        loc: Loc,
        /// The files of the cycle, `a.apdu -> b.apdu -> a.apdu`.
        chain: String,
    },
    /// A block calls itself, directly or through others.
    #[error("{loc}: block cycle: {chain}")]
    BlockCycle {
        /// The `call` line that closes the cycle.
        loc: Loc,
        /// The blocks of the cycle.
        chain: String,
    },
    /// A variable is used before anything defines it.
    #[error(
        "{loc}: unknown variable ${{{name}}}: give it with --set {name}=VALUE, --vars FILE, a `set` line, or capture it from an earlier response"
    )]
    UnknownVariable {
        /// Where it is used.
        loc: Loc,
        /// Its name.
        name: String,
    },
    /// `call` or `--block` names a block the script does not have.
    #[error("{where_}no block named '{name}' in {file}; blocks: {available}")]
    UnknownBlock {
        /// `file:line: ` of the call, or empty for `--block`.
        where_: String,
        /// The name asked for.
        name: String,
        /// The script.
        file: String,
        /// The blocks there are.
        available: String,
    },
    /// A variable's value cannot be used where it is used (not hex, not GBK...).
    #[error("{loc}: variable ${{{name}}}: {problem}")]
    BadValue {
        /// Where it is used.
        loc: Loc,
        /// Its name.
        name: String,
        /// What is wrong (never the value of a secret).
        problem: String,
    },
    /// The command, once variables are filled in, is not a well-formed APDU.
    #[error("{loc}: the command is not a well-formed APDU")]
    Apdu {
        /// The APDU line.
        loc: Loc,
        /// What is wrong.
        #[source]
        source: ApduError,
    },
    /// The card or reader failed while running a line.
    #[error("{loc}: {doing} failed")]
    Transport {
        /// The line.
        loc: Loc,
        /// What was being done (`sending 00 A4 ...`, `reset`), secrets masked.
        doing: String,
        /// The link error.
        #[source]
        source: TransportError,
    },
    /// An expectation was not met (and the run stops at the first one).
    #[error(transparent)]
    Expectation(Box<Mismatch>),
    /// A record file is not a JSON object of variables.
    #[error("record file {}: {problem}", path.display())]
    VarsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}
