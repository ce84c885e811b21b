//! The one rule that decides a claim, shared by both stores: a record is issued once; a claim
//! belongs to one process until it reports a result, dies, or its lease runs out.

use super::{ClaimOutcome, Now, Station, owner_is_dead_here};

/// A claim row as found in the store.
#[derive(Debug, Clone)]
pub(crate) struct Existing {
    pub state: String,
    pub owner: String,
    pub station: String,
    pub card_id: String,
    pub since_unix: i64,
}

/// What the store must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// No claim yet: insert one for us.
    Insert,
    /// Take the claim over (ours from an earlier run, a dead process's, or a lapsed lease).
    TakeOver(ClaimOutcome),
    /// Leave the record: this is the answer.
    Answer(ClaimOutcome),
}

pub(crate) fn decide(existing: Option<&Existing>, st: &Station, now: &Now) -> Decision {
    let Some(e) = existing else {
        return Decision::Insert;
    };
    if e.state == "issued" {
        return Decision::Answer(ClaimOutcome::Issued {
            card_id: e.card_id.clone(),
            station: e.station.clone(),
        });
    }
    let lease = i64::try_from(st.lease.as_secs()).unwrap_or(i64::MAX);
    let lapsed = now.unix.saturating_sub(e.since_unix) > lease;
    if e.owner == st.owner {
        Decision::TakeOver(ClaimOutcome::Resumed)
    } else if e.station == st.id && (owner_is_dead_here(&e.owner) || lapsed) {
        // A run of this station that was stopped (kill -9, power cut): its record may sit
        // half-written on a card; take it back.
        Decision::TakeOver(ClaimOutcome::Resumed)
    } else if lapsed {
        Decision::TakeOver(ClaimOutcome::Claimed)
    } else {
        Decision::Answer(ClaimOutcome::Held {
            owner: e.owner.clone(),
        })
    }
}
