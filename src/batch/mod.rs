//! Batch issuance: one worker per reader, each taking the next pending record for the card it
//! is given, personalizing, verifying and enabling it in one exclusive connection, journaling
//! the result, and waiting for the card to be taken out.
//!
//! Every record is issued exactly once, across re-runs and across stations sharing a register:
//! a record is claimed in the journal before its card is written and marked issued in the same
//! database transaction as the attempt row. A card refused before anything was written gives
//! its record back; a card torn mid-way keeps its record, which is finished when that card
//! comes back (the card names its holder, the batch finds the record) or, once nothing else is
//! pending, offered to the next card.

pub mod queue;
pub mod source;

use crate::error::ErrorChain;
use crate::journal::{AttemptResult, Journal, NewAttempt};
use crate::perso::{JobError, Outcome, PersoError, RunOptions, Station};
use crate::record::HolderRecord;
use crate::session::SharedSource;
use crate::transport::Transport;
use queue::{Queue, RecordState};
use source::CardSource;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What happened, for the progress display and `--json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A worker waits for a card.
    Waiting {
        /// Reader.
        reader: String,
    },
    /// A card is being issued with a record.
    Started {
        /// Reader.
        reader: String,
        /// Where the record came from (`holders.csv record 3 (line 4)`).
        record: String,
    },
    /// A card is done (any result).
    Card {
        /// Reader.
        reader: String,
        /// The record, when one was used.
        record: Option<String>,
        /// How it ended.
        result: AttemptResult,
        /// Card identification code.
        card_id: String,
        /// Card number.
        card_number: String,
        /// Why (refused/failed), empty otherwise.
        reason: String,
        /// APDUs sent.
        apdus: u64,
        /// Milliseconds of personalization (plan, write, verify, enable).
        ms: u64,
        /// Microseconds this card spent in the journal: claiming its record, writing the
        /// attempt row, giving a record back; waiting for another reader's journal call
        /// included. Apart from `ms`: what the journal adds to a card.
        journal_us: u64,
    },
    /// A card that needs nothing (already issued, or no record left): take it out.
    Skipped {
        /// Reader.
        reader: String,
        /// Why.
        reason: String,
    },
    /// The operator should take the card out of this reader.
    RemoveCard {
        /// Reader.
        reader: String,
    },
    /// A worker stopped (feeder empty, stop asked, nothing left, or a reader error).
    Stopped {
        /// Reader.
        reader: String,
        /// Why.
        why: String,
    },
}

/// What a batch needs besides its readers.
pub struct Job<'a> {
    /// The personalization of the profile.
    pub station: &'a Station<'a>,
    /// The profile's name and fingerprint, for the journal.
    pub profile: (String, String),
    /// The records, validated.
    pub records: Vec<HolderRecord>,
    /// Where the card keys come from (shared by every worker: one PSAM or HSM).
    pub keys: &'a SharedSource,
}

/// The end of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cards issued by this run (including finished torn ones and already-done ones).
    pub issued: usize,
    /// Cards refused (their records went back to pending).
    pub refused: usize,
    /// Cards that failed mid-way.
    pub failed: usize,
    /// Records still pending at the end.
    pub pending: usize,
    /// Records torn on a card that did not come back.
    pub torn: usize,
    /// Records issued before (an earlier run or another station) or held elsewhere.
    pub elsewhere: usize,
    /// Reader errors that stopped a worker.
    pub reader_errors: Vec<String>,
}

/// The field values a batch reads from a blank card when the record does not carry them
/// (what the manufacturer wrote at init).
pub const FROM_CARD: [&str; 2] = ["card_id", "card_number"];

/// A well-formed stand-in card id, used only to validate records that will take theirs from
/// the card.
pub const STAND_IN_CARD_ID: &str = "110100D1560000050000000000000000";

struct Shared<'a, 'j> {
    job: &'a Job<'a>,
    queue: Mutex<Queue>,
    journal: &'j Mutex<Journal>,
    stop: &'a AtomicBool,
    on_event: &'a (dyn Fn(Event) + Sync),
}

/// Runs the batch over `sources`, one worker thread each, until every record is issued, every
/// feeder is empty, or `stop` is set (cards in progress are finished first).
pub fn run(
    job: &Job<'_>,
    sources: Vec<Box<dyn CardSource>>,
    journal: &Mutex<Journal>,
    stop: &AtomicBool,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Summary, crate::journal::JournalError> {
    let (keys, ssns) = {
        let j = journal.lock().unwrap_or_else(|p| p.into_inner());
        let keys = job
            .records
            .iter()
            .map(|r| j.record_key(r.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .collect();
        let ssns = job
            .records
            .iter()
            .map(|r| {
                r.get(&job.station.app.identity_field)
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        (keys, ssns)
    };
    let shared = Shared {
        job,
        queue: Mutex::new(Queue::new(keys, ssns)),
        journal,
        stop,
        on_event,
    };
    let results: Vec<(usize, usize, usize, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .into_iter()
            .map(|src| {
                let shared = &shared;
                scope.spawn(move || worker(shared, src))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or((0, 0, 0, Some("a worker stopped unexpectedly".into())))
            })
            .collect()
    });
    let mut s = Summary::default();
    for (issued, refused, failed, err) in results {
        s.issued += issued;
        s.refused += refused;
        s.failed += failed;
        s.reader_errors.extend(err);
    }
    let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
    {
        // Records this run never got to may have been issued meanwhile by another station.
        let mut j = journal.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..q.states.len() {
            if !matches!(
                q.states.get(i),
                Some(RecordState::Pending | RecordState::Held(_))
            ) {
                continue;
            }
            let Some(key) = q.keys.get(i).cloned() else {
                continue;
            };
            match j.status(&key)? {
                Some(crate::journal::ClaimOutcome::Issued { card_id, station }) => {
                    q.set(i, RecordState::IssuedElsewhere(card_id, station))
                }
                Some(crate::journal::ClaimOutcome::Held { owner }) => {
                    q.set(i, RecordState::Held(owner))
                }
                None => q.set(i, RecordState::Pending),
                _ => {}
            }
        }
    }
    for st in &q.states {
        match st {
            RecordState::Pending | RecordState::InProgress => s.pending += 1,
            RecordState::Torn => s.torn += 1,
            RecordState::IssuedElsewhere(..) | RecordState::Held(_) => s.elsewhere += 1,
            RecordState::Issued(_) => {}
        }
    }
    Ok(s)
}

fn worker(
    sh: &Shared<'_, '_>,
    mut src: Box<dyn CardSource>,
) -> (usize, usize, usize, Option<String>) {
    let reader = src.name();
    let (mut issued, mut refused, mut failed) = (0, 0, 0);
    let halt =
        || sh.stop.load(Ordering::SeqCst) || !sh.queue.lock().map(|q| q.open()).unwrap_or(false);
    let stopped = |why: String| {
        (sh.on_event)(Event::Stopped {
            reader: reader.clone(),
            why,
        })
    };
    loop {
        if sh.stop.load(Ordering::SeqCst) {
            stopped("stop asked".into());
            break;
        }
        if !sh.queue.lock().map(|q| q.open()).unwrap_or(false) {
            stopped("every record is issued".into());
            break;
        }
        (sh.on_event)(Event::Waiting {
            reader: reader.clone(),
        });
        let mut card = match src.next_card(&halt) {
            Ok(Some(c)) => c,
            Ok(None) => {
                stopped(if sh.stop.load(Ordering::SeqCst) {
                    "stop asked".into()
                } else if halt() {
                    "every record is issued".into()
                } else {
                    "no more cards".into()
                });
                break;
            }
            Err(e) => {
                let why = e.chain().to_string();
                stopped(why.clone());
                return (issued, refused, failed, Some(format!("{reader}: {why}")));
            }
        };
        match one_card(sh, &reader, card.as_mut()) {
            Ok(Some(r)) if r.is_issued() => issued += 1,
            Ok(Some(AttemptResult::Refused)) => refused += 1,
            Ok(Some(_)) => failed += 1,
            Ok(None) => {}
            Err(e) => {
                let why = format!("the journal failed: {e}", e = e.chain());
                stopped(why.clone());
                return (issued, refused, failed, Some(why));
            }
        }
        if src.needs_removal() {
            (sh.on_event)(Event::RemoveCard {
                reader: reader.clone(),
            });
        }
        if let Err(e) = src.release(card, &halt) {
            let why = e.chain().to_string();
            stopped(why.clone());
            return (issued, refused, failed, Some(format!("{reader}: {why}")));
        }
    }
    (issued, refused, failed, None)
}

/// Issues one card; the result journaled, or `None` when the card needed nothing.
fn one_card(
    sh: &Shared<'_, '_>,
    reader: &str,
    card: &mut dyn Transport,
) -> Result<Option<AttemptResult>, crate::journal::JournalError> {
    let job = sh.job;
    let mut in_journal = std::time::Duration::ZERO;
    let tj = Instant::now();
    let taken = {
        let mut q = sh.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut j = sh.journal.lock().unwrap_or_else(|p| p.into_inner());
        q.take(&mut j)?
    };
    in_journal += tj.elapsed();
    let Some(mut idx) = taken else {
        (sh.on_event)(Event::Skipped {
            reader: reader.into(),
            reason: "no record left to issue: card left as it is".into(),
        });
        return Ok(None);
    };
    let from_card = read_from_card(job.station, card);
    // At most two passes: the taken record, then the record this card already holds.
    for _ in 0..2 {
        let Some(base) = job.records.get(idx) else {
            return Ok(None);
        };
        let mut record = base.clone();
        for (field, value) in &from_card {
            if record.get(field).is_none() {
                record.fields.insert(field.clone(), value.clone());
            }
        }
        (sh.on_event)(Event::Started {
            reader: reader.into(),
            record: record.source.to_string(),
        });
        let t0 = Instant::now();
        let result =
            job.station
                .personalize_with(card, &record, Some(job.keys), RunOptions::default());
        let ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut attempt = NewAttempt {
            record_key: sh
                .queue
                .lock()
                .map(|q| q.keys.get(idx).cloned().unwrap_or_default())
                .unwrap_or_default(),
            reader: reader.into(),
            card_id: record.get("card_id").unwrap_or("").to_ascii_uppercase(),
            card_number: record.get("card_number").unwrap_or("").into(),
            ssn: record
                .get(&job.station.app.identity_field)
                .unwrap_or("")
                .into(),
            profile: job.profile.0.clone(),
            fingerprint: job.profile.1.clone(),
            duration_ms: ms,
            ..NewAttempt::default()
        };
        let next_state;
        match result {
            Ok(report) => {
                attempt.apdus = u64::try_from(report.stats.apdus).unwrap_or(u64::MAX);
                attempt.result = match report.outcome {
                    Outcome::Resumed => AttemptResult::Resumed,
                    Outcome::AlreadyDone => AttemptResult::AlreadyDone,
                    _ => AttemptResult::Issued,
                };
                next_state = RecordState::Issued(attempt.card_id.clone());
            }
            Err(JobError::Run(PersoError::OtherHolder { found, .. })) => {
                // The card holds someone: one of our records (a torn card come back, or an
                // issued one presented again)?
                let tj = Instant::now();
                let mut q = sh.queue.lock().unwrap_or_else(|p| p.into_inner());
                let mut j = sh.journal.lock().unwrap_or_else(|p| p.into_inner());
                let theirs = q.by_ssn(&found).filter(|&k| k != idx);
                if let Some(k) = theirs {
                    match q.states.get(k).cloned() {
                        Some(RecordState::Pending | RecordState::Torn) => {
                            if let Some(key) = q.keys.get(idx) {
                                j.release(key)?;
                            }
                            q.set(idx, RecordState::Pending);
                            if q.claim(k, &mut j)? {
                                idx = k;
                                in_journal += tj.elapsed();
                                continue;
                            }
                        }
                        Some(RecordState::Issued(c) | RecordState::IssuedElsewhere(c, _)) => {
                            if let Some(key) = q.keys.get(idx) {
                                j.release(key)?;
                            }
                            q.set(idx, RecordState::Pending);
                            drop((q, j));
                            (sh.on_event)(Event::Skipped {
                                reader: reader.into(),
                                reason: format!(
                                    "this card holds {found}, whose record was already issued (card {c}): set it aside"
                                ),
                            });
                            return Ok(None);
                        }
                        _ => {}
                    }
                }
                drop((q, j));
                in_journal += tj.elapsed();
                attempt.result = AttemptResult::Refused;
                attempt.reason = format!("the card holds another person's data ({found})");
                next_state = RecordState::Pending;
            }
            Err(JobError::Run(e @ PersoError::Disabled { .. })) => {
                attempt.result = AttemptResult::Refused;
                attempt.reason = one_line(&e.chain().to_string());
                next_state = RecordState::Pending;
            }
            Err(JobError::Run(e)) => {
                attempt.result = AttemptResult::Failed;
                attempt.reason = one_line(&e.chain().to_string());
                next_state = RecordState::Torn;
            }
            Err(e) => {
                attempt.result = AttemptResult::Refused;
                attempt.reason = one_line(&e.chain().to_string());
                next_state = RecordState::Pending;
            }
        }
        let result = attempt.result;
        let tj = Instant::now();
        {
            let mut q = sh.queue.lock().unwrap_or_else(|p| p.into_inner());
            let mut j = sh.journal.lock().unwrap_or_else(|p| p.into_inner());
            j.record_attempt(&attempt)?;
            if next_state == RecordState::Pending
                && let Some(key) = q.keys.get(idx)
            {
                j.release(key)?;
            }
            q.set(idx, next_state);
        }
        in_journal += tj.elapsed();
        (sh.on_event)(Event::Card {
            reader: reader.into(),
            record: Some(record.source.to_string()),
            result,
            card_id: attempt.card_id,
            card_number: attempt.card_number,
            reason: attempt.reason,
            apdus: attempt.apdus,
            ms,
            journal_us: u64::try_from(in_journal.as_micros()).unwrap_or(u64::MAX),
        });
        return Ok(Some(result));
    }
    Ok(None)
}

/// The first line of a message, for journal reasons.
fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Reads what the manufacturer wrote at init (card id, card number) from the card; fields the
/// card does not give (absent, blank, protected) are left out.
pub fn read_from_card(station: &Station<'_>, card: &mut dyn Transport) -> Vec<(String, String)> {
    let Ok(mut tx) = card.transaction() else {
        return Vec::new();
    };
    let mut s = crate::session::Session::new(&mut tx);
    let app = &station.app;
    if s.select_df(&app.df_name, &app.df_label).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for field in FROM_CARD {
        let Some(el) = app.element(field) else {
            continue;
        };
        if !matches!(el.read, crate::cos::AccessCondition::Always) {
            continue;
        }
        let Ok(found) = crate::perso::run::read_element(&mut s, el) else {
            continue;
        };
        if found.is_blank() {
            continue;
        }
        let crate::perso::run::Found::Value(bytes) = found else {
            continue;
        };
        if let Some(text) = crate::perso::encode::element(station.profile, field)
            .and_then(|e| e.decode(&bytes).ok())
        {
            out.push((field.to_string(), text));
        }
    }
    out
}
