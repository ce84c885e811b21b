//! Response APDUs: data followed by SW1 SW2.

use super::Sw;
use thiserror::Error;

/// A raw response that cannot be a response APDU.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the card answered {len} byte(s); a response needs at least the 2 status bytes (card removed or reader fault?)"
)]
pub struct ResponseError {
    /// Length of what arrived.
    pub len: usize,
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data, without the status word.
    pub data: Vec<u8>,
    /// The status word.
    pub sw: Sw,
}

impl Response {
    /// Builds a response.
    pub fn new(data: Vec<u8>, sw: Sw) -> Self {
        Response { data, sw }
    }

    /// Splits raw bytes into data and status word; fewer than 2 bytes is an error.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, ResponseError> {
        let [data @ .., sw1, sw2] = raw else {
            return Err(ResponseError { len: raw.len() });
        };
        Ok(Response {
            data: data.to_vec(),
            sw: Sw::from_bytes(*sw1, *sw2),
        })
    }

    /// Data then SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.data.clone();
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }

    /// True for `9000`.
    pub fn is_ok(&self) -> bool {
        self.sw == Sw::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join() {
        let r = Response::from_bytes(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!(r.data, vec![1, 2]);
        assert!(r.is_ok());
        assert_eq!(r.to_bytes(), vec![1, 2, 0x90, 0]);
        assert_eq!(Response::from_bytes(&[0x90]), Err(ResponseError { len: 1 }));
        assert_eq!(Response::from_bytes(&[]), Err(ResponseError { len: 0 }));
    }
}
