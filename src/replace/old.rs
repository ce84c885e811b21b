//! Steps 1 and 4: the old card. Examined read-only (diagnosis, then its data read as the card
//! allows, element by element, so an aged chip gives what it still can), and at the end
//! disabled when it still answers.

use super::cards::{CardAccess, Which};
use super::{Event, Job, ReplaceError, Step};
use crate::diagnose::{Options, Verdict, diagnose_with_keys};
use crate::error::ErrorChain;
use crate::perso::encode::{card_fields, decode_found};
use crate::perso::run::PersoError;
use crate::perso::tryread::TryReader;
use crate::perso::{Encoded, Station};
use crate::session::{CardKeys, Session, in_transaction};
use crate::transport::{Transport, TransportError};
use std::collections::BTreeMap;

/// What the old card gave.
#[derive(Debug, Clone, Default)]
pub struct OldCard {
    /// Whether it answers at all.
    pub answers: bool,
    /// The diagnosis verdict, in words.
    pub verdict: String,
    /// Its card identification code (hex), when it could be read.
    pub card_id: Option<String>,
    /// Whether its application is already disabled.
    pub disabled: bool,
    /// The fields read, by name (decoded).
    pub fields: BTreeMap<String, String>,
    /// Whether every holder element was read.
    pub holder_complete: bool,
    /// Elements that could not be read, and why.
    pub unread: Vec<String>,
    /// Its photo, when it holds one that could be read.
    pub photo: Option<Vec<u8>>,
    /// `Some(expiry)` when the card is healthy and only expired (still usable).
    pub expired_usable: Option<String>,
}

fn is_gone(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::Unresponsive { .. } | TransportError::CardRemoved { .. }
    )
}

/// Step 1: diagnoses the old card (read-only) and reads what it still gives.
pub fn examine(
    job: &Job<'_>,
    cards: &mut dyn CardAccess,
    today: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<OldCard, ReplaceError> {
    on_event(Event::Begin {
        step: Step::OldCard,
        text: "diagnosing the old card (read-only) and reading its data".into(),
    });
    let mut card = match cards.open(Which::Old, on_event) {
        Ok(c) => c,
        Err(e) if is_gone(&e) => {
            on_event(Event::Done {
                step: Step::OldCard,
                text: format!("verdict NO RESPONSE: {e}", e = e.chain()),
            });
            return Ok(OldCard {
                verdict: Verdict::NoResponse.text().into(),
                ..OldCard::default()
            });
        }
        Err(source) => {
            return Err(ReplaceError::Transport {
                what: "opening the old card".into(),
                source,
            });
        }
    };
    let station = job.station;
    let card_id = in_transaction(card.as_mut(), crate::perso::detect::card_id).ok();
    let keys = keys_for(station, job.keys, card_id.as_deref(), &card.atr());
    let opts = Options {
        today: Some(today.to_string()),
        ..Options::default()
    };
    let report = diagnose_with_keys(card.as_mut(), station.profile, &opts, Some(&keys));
    let mut old = OldCard {
        answers: report.verdict != Verdict::NoResponse,
        verdict: report.verdict_text.clone(),
        card_id: card_id.as_deref().map(crate::apdu::compact),
        ..OldCard::default()
    };
    if report.verdict == Verdict::OkExpired {
        old.expired_usable = report.expiry.as_ref().map(|e| e.date.clone());
    }
    if old.answers {
        let read = in_transaction(card.as_mut(), |s| read_all(s, station, &keys));
        match read {
            Ok(r) => {
                old.disabled = r.disabled;
                old.holder_complete = r.holder_complete;
                old.unread = r.unread;
                old.fields = r.fields;
                old.photo = r.photo;
            }
            Err(e) => old.unread.push(e.chain().to_string()),
        }
    }
    release(cards, card, on_event)?;
    let state = if old.disabled {
        "; its application is already disabled"
    } else {
        ""
    };
    let unread = if old.unread.is_empty() {
        String::new()
    } else {
        format!("; not read: {}", old.unread.join("; "))
    };
    on_event(Event::Done {
        step: Step::OldCard,
        text: format!(
            "verdict {}; card id {}; {} field(s) read{state}{unread}",
            old.verdict,
            old.card_id.as_deref().unwrap_or("unknown"),
            old.fields.len()
        ),
    });
    Ok(old)
}

fn release(
    cards: &mut dyn CardAccess,
    card: Box<dyn Transport>,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), ReplaceError> {
    cards
        .release(Which::Old, card, on_event)
        .map_err(|source| ReplaceError::Transport {
            what: "releasing the old card".into(),
            source,
        })
}

/// The card's keys, diversified by its card identification code (when known) and its ATR.
pub(crate) fn keys_for(
    station: &Station<'_>,
    kf: &crate::session::SharedSource,
    card_id: Option<&[u8]>,
    atr: &[u8],
) -> CardKeys {
    let values: Vec<Encoded> = match (card_id, station.app.element("card_id")) {
        (Some(id), Some(el)) => vec![Encoded {
            el: el.clone(),
            value: id.to_vec(),
        }],
        _ => Vec::new(),
    };
    station.card_keys_from(Some(kf), &values, atr)
}

struct Read {
    disabled: bool,
    holder_complete: bool,
    unread: Vec<String>,
    fields: BTreeMap<String, String>,
    photo: Option<Vec<u8>>,
}

/// Reads every element the card still gives, trying first, one by one: an element the chip
/// fails on is noted and the next one is tried. A lost link stops (the card was pulled).
fn read_all(
    s: &mut Session<'_>,
    station: &Station<'_>,
    keys: &CardKeys,
) -> Result<Read, PersoError> {
    let app = &station.app;
    let state = s.reselect_df(&app.df_name, &app.df_label)?;
    let mut out = Read {
        disabled: state.is_deactivated(),
        holder_complete: false,
        unread: Vec::new(),
        fields: BTreeMap::new(),
        photo: None,
    };
    if out.disabled {
        out.unread.push(format!(
            "{} is disabled: the card refuses reads",
            app.df_label
        ));
        return Ok(out);
    }
    let holder_file = app.element(&app.identity_field).map(|e| e.file.clone());
    let mut reader = TryReader::new(app, keys);
    let mut values = Vec::new();
    let mut holder_ok = true;
    // Per file, the tags not read and the first failure: a file that failed once (a refused
    // key, a failing memory) is not tried again element by element.
    let mut failed: Vec<(String, Vec<u8>, String)> = Vec::new();
    for el in &app.elements {
        let is_holder = Some(&el.file) == holder_file.as_ref();
        if let Some(f) = failed.iter_mut().find(|f| f.0 == el.file) {
            f.1.push(el.tag);
            holder_ok &= !is_holder;
            continue;
        }
        match reader.read(s, el) {
            Ok(Some(found)) => values.push((el.clone(), found)),
            Ok(None) => holder_ok &= !is_holder,
            Err(PersoError::Session(e)) if e.is_link_failure() => {
                return Err(PersoError::Session(e));
            }
            Err(e) => {
                holder_ok &= !is_holder;
                failed.push((el.file.clone(), vec![el.tag], e.chain().to_string()));
                // The chip may have lost the selection after a failure.
                s.reselect_df(&app.df_name, &app.df_label)?;
            }
        }
    }
    for (file, tags, why) in failed {
        let tags = match tags.as_slice() {
            [one] => format!("tag {one:02X}"),
            [first, .., last] => format!("tags {first:02X}-{last:02X}"),
            [] => String::new(),
        };
        out.unread.push(format!("{file} {tags}: {why}"));
    }
    out.unread
        .extend(reader.needs.iter().map(ToString::to_string));
    let decoded = decode_found(station.profile, &values);
    out.fields = card_fields(station.profile, &decoded);
    out.holder_complete = holder_ok && out.fields.contains_key(&app.identity_field);
    if let Ok(file) = crate::photo::PhotoFile::from_profile(station.profile) {
        out.photo = crate::photo::read_photo(s, &file, Some(keys))
            .ok()
            .flatten();
    }
    Ok(out)
}

/// Step 4: disables the old card `card_id` (the one examined in step 1, or the one a cut
/// earlier run recorded). Returns what became of it: `disabled` (now or before), or
/// `not-disabled: why` when the chip refuses or no longer answers. A card pulled mid-way stops
/// the job (run it again).
pub fn disable(
    job: &Job<'_>,
    card_id: &str,
    cards: &mut dyn CardAccess,
    on_event: &mut dyn FnMut(Event),
) -> Result<String, ReplaceError> {
    on_event(Event::Begin {
        step: Step::DisableOld,
        text: format!("disabling the old card {card_id}"),
    });
    let mut card = match cards.open(Which::Old, on_event) {
        Ok(c) => c,
        Err(e) if is_gone(&e) => {
            let outcome = "not-disabled: the chip does not answer".to_string();
            on_event(Event::Done {
                step: Step::DisableOld,
                text: outcome.clone(),
            });
            return Ok(outcome);
        }
        Err(source) => {
            return Err(ReplaceError::Transport {
                what: "opening the old card".into(),
                source,
            });
        }
    };
    let station = job.station;
    let id = crate::apdu::parse_hex(card_id)
        .ok()
        .filter(|v| !v.is_empty());
    if id.is_none() {
        release(cards, card, on_event)?;
        let outcome =
            "not-disabled: its card identification code could not be read (its keys are diversified by it)"
                .to_string();
        on_event(Event::Done {
            step: Step::DisableOld,
            text: outcome.clone(),
        });
        return Ok(outcome);
    }
    // The card in the reader must be the one examined (one reader: the operator may insert
    // another). A disabled card does not say: its keys then prove it.
    if let Ok(found) = in_transaction(card.as_mut(), crate::perso::detect::card_id)
        && Some(&found) != id.as_ref()
    {
        release(cards, card, on_event)?;
        return Err(ReplaceError::NewCardData {
            what: "old card".into(),
            why: format!(
                "the card inserted as the old card has card id {}, not {card_id}: insert the holder's old card",
                crate::apdu::compact(&found)
            ),
        });
    }
    let keys = keys_for(station, job.keys, id.as_deref(), &card.atr());
    let result = in_transaction(card.as_mut(), |s| {
        crate::perso::enable::disable(s, &station.app, &keys)
    });
    release(cards, card, on_event)?;
    let (outcome, text) = match result {
        Ok(true) => (
            "disabled".to_string(),
            format!(
                "disabled: {} answers 6283 (deactivated)",
                station.app.df_label
            ),
        ),
        Ok(false) => (
            "disabled".to_string(),
            "already disabled (by an earlier run): nothing done".to_string(),
        ),
        Err(PersoError::Session(e)) if e.is_link_failure() => {
            return Err(ReplaceError::Old(PersoError::Session(e)));
        }
        Err(e) => {
            let o = format!(
                "not-disabled: {}",
                e.chain().to_string().lines().next().unwrap_or("")
            );
            (o.clone(), o)
        }
    };
    on_event(Event::Done {
        step: Step::DisableOld,
        text,
    });
    Ok(outcome)
}
