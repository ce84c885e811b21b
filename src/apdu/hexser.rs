//! `serialize_with` helpers: bytes and numbers as upper-case hex strings in JSON output.

use super::compact;
use serde::Serializer;

/// Bytes as compact hex: `3B00`.
pub(crate) fn bytes<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&compact(v))
}

/// Optional bytes as compact hex, or null.
pub(crate) fn opt_bytes<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => bytes(x, s),
        None => s.serialize_none(),
    }
}

/// A byte as 2 hex digits.
pub(crate) fn byte<S: Serializer>(v: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:02X}"))
}

/// An optional byte as 2 hex digits, or null.
pub(crate) fn opt_byte<S: Serializer>(v: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => byte(b, s),
        None => s.serialize_none(),
    }
}

/// An optional 16-bit value (a file identifier) as 4 hex digits, or null.
pub(crate) fn opt_u16<S: Serializer>(v: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.serialize_str(&format!("{x:04X}")),
        None => s.serialize_none(),
    }
}
