//! The card operating system's vocabulary (docs/cos.md), in one place: what a key is for
//! ([`KeyUsage`]), which cipher it uses ([`Algorithm`]), who may do what to a file
//! ([`AccessCondition`], [`SecurityAttributes`]), the life cycle of a file ([`Lcs`]) and the
//! structures of files ([`FileStructure`]).
//!
//! Model layer: the host's card commands, the virtual card, profiles, personalization, the
//! session and diagnosis all import these types; this module imports nothing of theirs.

mod access;
pub mod algid;
mod algorithm;
mod file;
mod key;
mod lcs;

pub use access::{AccessCondition, SecurityAttributes};
pub use algid::AlgorithmId;
pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use file::FileStructure;
pub use key::KeyUsage;
pub use lcs::Lcs;
