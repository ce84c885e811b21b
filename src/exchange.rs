//! The one place that turns a command into a complete response: 61xx GET RESPONSE,
//! 6Cxx re-send with the right Le, and the trace of every APDU on the wire.
//!
//! Owner: the Core issue (this file holds the agreed signature).

use crate::apdu::{Command, Response};
use crate::transport::{Transport, TransportError};

/// How `exchange` treats protocol status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeOptions {
    /// Fetch 61xx data with GET RESPONSE and re-send on 6Cxx. Off for raw work.
    pub auto: bool,
    /// CLA of GET RESPONSE (`00` by default).
    pub get_response_cla: u8,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions {
            auto: true,
            get_response_cla: 0x00,
        }
    }
}

/// Sends `cmd` and returns the complete response.
pub fn exchange(
    t: &mut dyn Transport,
    cmd: &Command,
    opts: &ExchangeOptions,
) -> Result<Response, TransportError> {
    let _ = opts;
    let bytes = cmd
        .to_bytes()
        .map_err(|e| TransportError::Other(e.to_string()))?;
    let raw = t.transmit(&bytes)?;
    Ok(Response::from_bytes(&raw)?)
}
