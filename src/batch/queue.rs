//! The batch's records and what became of each: pending, being issued, torn on a card that may
//! come back, issued, or left (issued elsewhere, or held by another station).

use crate::journal::{ClaimOutcome, Journal, JournalError};

/// The state of one record in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    /// Not issued yet.
    Pending,
    /// A worker is issuing it.
    InProgress,
    /// A run stopped mid-way: the record may sit half-written on a card. It is finished when
    /// that card comes back, or offered to another card once nothing else is pending.
    Torn,
    /// Issued on this card (by this run or an earlier one).
    Issued(String),
    /// Issued by another station or run (card id, station).
    IssuedElsewhere(String, String),
    /// Another live process holds its claim.
    Held(String),
}

/// The records of a batch, in file order, with their state and journal keys.
#[derive(Debug)]
pub struct Queue {
    /// Record keys ([`Journal::record_key`]).
    pub keys: Vec<String>,
    /// Identity (citizen number) of each record.
    pub ssns: Vec<String>,
    /// State of each record.
    pub states: Vec<RecordState>,
}

impl Queue {
    /// A queue of records, all pending.
    pub fn new(keys: Vec<String>, ssns: Vec<String>) -> Self {
        let states = vec![RecordState::Pending; keys.len()];
        Queue { keys, ssns, states }
    }

    /// Takes the next record to issue and claims it in the journal: pending ones first, then
    /// torn ones. `None` when nothing is left to issue.
    pub fn take(&mut self, journal: &mut Journal) -> Result<Option<usize>, JournalError> {
        for wanted in [RecordState::Pending, RecordState::Torn] {
            for i in 0..self.states.len() {
                if self.states.get(i) != Some(&wanted) {
                    continue;
                }
                if self.claim(i, journal)? {
                    return Ok(Some(i));
                }
            }
        }
        Ok(None)
    }

    /// Claims record `i` for this run; true when it may be issued now.
    pub fn claim(&mut self, i: usize, journal: &mut Journal) -> Result<bool, JournalError> {
        let Some(key) = self.keys.get(i) else {
            return Ok(false);
        };
        let next = match journal.claim(key)? {
            ClaimOutcome::Claimed | ClaimOutcome::Resumed => RecordState::InProgress,
            ClaimOutcome::Issued { card_id, station } => {
                RecordState::IssuedElsewhere(card_id, station)
            }
            ClaimOutcome::Held { owner } => RecordState::Held(owner),
        };
        let ok = next == RecordState::InProgress;
        if let Some(s) = self.states.get_mut(i) {
            *s = next;
        }
        Ok(ok)
    }

    /// Sets the state of record `i`.
    pub fn set(&mut self, i: usize, state: RecordState) {
        if let Some(s) = self.states.get_mut(i) {
            *s = state;
        }
    }

    /// The record whose identity is `ssn`.
    pub fn by_ssn(&self, ssn: &str) -> Option<usize> {
        self.ssns.iter().position(|s| s == ssn)
    }

    /// Whether any record is still to be issued by this run (pending, torn or in progress).
    pub fn open(&self) -> bool {
        self.states.iter().any(|s| {
            matches!(
                s,
                RecordState::Pending | RecordState::Torn | RecordState::InProgress
            )
        })
    }

    /// Counts: issued (now or before), pending, torn, elsewhere/held.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for s in &self.states {
            match s {
                RecordState::Issued(_) => c.0 += 1,
                RecordState::Pending | RecordState::InProgress => c.1 += 1,
                RecordState::Torn => c.2 += 1,
                RecordState::IssuedElsewhere(..) | RecordState::Held(_) => c.3 += 1,
            }
        }
        c
    }
}
