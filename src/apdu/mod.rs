//! APDU model: command APDUs, response APDUs, status words, hex text.

mod command;
pub(crate) mod hexser;
mod hexstr;
mod response;
mod sw;

pub use command::{ApduError, Case, Command};
pub use hexstr::{HexError, compact, parse_hex, spaced};
pub use response::{Response, ResponseError};
pub use sw::Sw;
