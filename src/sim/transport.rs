//! The in-process link to a virtual card (`--reader sim:PATH`): no pcscd needed.
//!
//! Owner: the virtual-card issue, bridge part (this file holds the agreed API).

use crate::transport::TransportError;
use std::path::Path;

/// Opens the virtual card whose image is at `path` (a blank card if the file does not exist)
/// and returns it as a transport. The image is saved on `close`.
pub fn open(path: &Path) -> Result<Box<dyn crate::transport::Transport>, TransportError> {
    Err(TransportError::Other(format!(
        "the in-process virtual card ({}) is not available yet",
        path.display()
    )))
}
