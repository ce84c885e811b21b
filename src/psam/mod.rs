//! The PSAM client: a station's secure access module (a second card) as a key source,
//! driven by a dialect ([`Dialect`]: key addressing + a named-block APDU script). The
//! virtual PSAM that answers it lives in [`crate::sim`].

mod client;
mod dialect;

pub use client::{AskPin, PsamLink, PsamSource, connect};
pub use dialect::{BLOCKS, Dialect, DialectError};

#[cfg(test)]
mod tests;
