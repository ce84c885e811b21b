//! Test-only fake cards for the unit tests of the layers above the [`Transport`] trait.

use super::{ResetKind, Transport, TransportError};
use crate::apdu::{parse_hex, spaced};
use std::collections::VecDeque;

/// A card that expects exact commands and gives scripted answers; it records the
/// transaction calls in `events`.
pub(crate) struct Scripted {
    /// The (command, answer) pairs still to come.
    pub steps: VecDeque<(Vec<u8>, Vec<u8>)>,
    /// `"begin"` / `"end"` for each transaction call, in order.
    pub events: Vec<&'static str>,
}

impl Scripted {
    /// The script from (command hex, answer hex) pairs.
    pub fn new(steps: &[(&str, &str)]) -> Self {
        Scripted {
            steps: steps
                .iter()
                .map(|(c, r)| (parse_hex(c).unwrap(), parse_hex(r).unwrap()))
                .collect(),
            events: Vec::new(),
        }
    }

    /// Asserts that every scripted step was used.
    pub fn done(&self) {
        assert!(
            self.steps.is_empty(),
            "{} scripted steps not used",
            self.steps.len()
        );
    }
}

impl Transport for Scripted {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let (want, answer) = self
            .steps
            .pop_front()
            .ok_or_else(|| TransportError::Other("script exhausted: unexpected command".into()))?;
        assert_eq!(spaced(apdu), spaced(&want), "unexpected command");
        Ok(answer)
    }
    fn atr(&self) -> Vec<u8> {
        vec![0x3B, 0x00]
    }
    fn name(&self) -> String {
        "scripted".into()
    }
    fn reset(&mut self, _: ResetKind) -> Result<Vec<u8>, TransportError> {
        Ok(self.atr())
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.events.push("begin");
        Ok(())
    }
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        self.events.push("end");
        Ok(())
    }
}

/// A card that answers every command with what a function computes from it.
pub(crate) struct Answering<F>(pub F);

impl<F: FnMut(&[u8]) -> Vec<u8>> Transport for Answering<F> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok((self.0)(apdu))
    }
    fn atr(&self) -> Vec<u8> {
        vec![0x3B, 0x00]
    }
    fn name(&self) -> String {
        "answering".into()
    }
    fn reset(&mut self, _: ResetKind) -> Result<Vec<u8>, TransportError> {
        Ok(self.atr())
    }
}
