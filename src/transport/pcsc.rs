//! PC/SC readers through pcsc-lite (`pcsc` crate).
//!
//! Owner: the Core issue. Reader selection (index, exact name, unique substring), waiting for
//! insertion/removal, connect shared/exclusive with T=0/T=1/any, resets and transactions.

use super::{Transport, TransportError};

/// Options for connecting to a PC/SC reader.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Reader: index, exact name or unique substring; `None` = the only reader with a card.
    pub reader: Option<String>,
    /// Exclusive access (no other program may interleave APDUs).
    pub exclusive: bool,
}

/// Connects to the card in the chosen reader.
pub fn connect(opts: &ConnectOptions) -> Result<Box<dyn Transport>, TransportError> {
    let _ = opts;
    Err(TransportError::Other("PC/SC is not wired yet".into()))
}
