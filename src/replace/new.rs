//! Step 3: the new card. Personalized with the holder's data and its own card id and card
//! number, its photo written, every element verified, then enabled. A re-run finds what the cut
//! left: perso finishes or only verifies, a photo already there is left as it is.

use super::cards::{CardAccess, Which};
use super::holder::{self, Holder};
use super::old::OldCard;
use super::{Event, Job, ReplaceError, Request, Step};
use crate::perso::encode::{card_fields, decode_found};
use crate::perso::read::read_card;
use crate::perso::{Outcome, Plan, PlanOptions, RunOptions};
use crate::session::in_transaction;
use crate::transport::Transport;

/// What step 3 did.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The new card's identification code (hex).
    pub card_id: String,
    /// The new card's number.
    pub card_number: String,
    /// What personalization did, in words.
    pub result: String,
    /// The photo, in words.
    pub photo: String,
    /// The holder's data written (with the new card's fields).
    pub holder: Holder,
}

/// Step 3. `holder` is `None` when step 2 deferred to the new card (a re-run after the old card
/// was disabled): the new card must then hold a holder already, from a recorded replacement.
pub fn issue(
    job: &mut Job<'_>,
    req: &Request,
    holder: Option<Holder>,
    old: Option<&OldCard>,
    today: &str,
    cards: &mut dyn CardAccess,
    on_event: &mut dyn FnMut(Event),
) -> Result<Issued, ReplaceError> {
    on_event(Event::Begin {
        step: Step::NewCard,
        text: "personalizing the new card".into(),
    });
    let mut card = cards
        .open(Which::New, on_event)
        .map_err(|source| ReplaceError::Transport {
            what: "opening the new card".into(),
            source,
        })?;
    let result = on_card(job, req, holder, old, today, card.as_mut(), on_event);
    let released = cards.release(Which::New, card, on_event);
    let issued = result?;
    released.map_err(|source| ReplaceError::Transport {
        what: "releasing the new card".into(),
        source,
    })?;
    on_event(Event::Done {
        step: Step::NewCard,
        text: format!(
            "card id {}, card number {}: {}; photo {}; ENABLED",
            issued.card_id, issued.card_number, issued.result, issued.photo
        ),
    });
    Ok(issued)
}

fn on_card(
    job: &mut Job<'_>,
    req: &Request,
    holder: Option<Holder>,
    old: Option<&OldCard>,
    today: &str,
    card: &mut dyn Transport,
    on_event: &mut dyn FnMut(Event),
) -> Result<Issued, ReplaceError> {
    let station = job.station;
    let product = crate::region::check_product(job.region, &card.atr(), job.allow_unlisted_product)
        .map_err(ReplaceError::Product)?;
    if let Some(line) = product.line() {
        on_event(Event::Note {
            step: Step::NewCard,
            text: line,
        });
    }
    let from_card = crate::batch::read_from_card(station, card);
    let mut holder = match holder {
        Some(h) => h,
        None => holder_from_new_card(job, card, &from_card)?,
    };
    let rec = &mut holder.record;
    for (field, value) in &from_card {
        if rec.get(field).is_none() {
            rec.fields.insert(field.clone(), value.clone());
        }
    }
    if rec.get("issue_date").is_none() {
        rec.fields.insert("issue_date".into(), today.to_string());
    }
    rec.apply_defaults();
    for field in ["card_id", "card_number"] {
        if station.app.element(field).is_some() && rec.get(field).is_none() {
            return Err(ReplaceError::NewCardData {
                what: field.replace('_', " "),
                why: format!(
                    "the new card has none and --record gives none: give {field} in --record, or use a card whose manufacturer wrote it"
                ),
            });
        }
    }
    let card_id = rec.get("card_id").unwrap_or("").to_ascii_uppercase();
    if let Some(o) = old
        && o.card_id.as_deref() == Some(card_id.as_str())
    {
        return Err(ReplaceError::SameCard { card_id });
    }
    let values = station
        .encode(rec)
        .map_err(|e| ReplaceError::New(e.into()))?;
    let plan = station
        .plan(
            &values,
            PlanOptions {
                set_pin: true,
                enable: false,
            },
        )
        .map_err(|e| ReplaceError::New(e.into()))?;
    let report = station
        .run_plan_from(card, &plan, &values, Some(job.keys), RunOptions::default())
        .map_err(ReplaceError::New)?;
    let keys = station.card_keys_from(Some(job.keys), &values, &card.atr());
    let photo = photo(station.profile, req, old, &keys, card)?;
    let mut enabled = report.enabled;
    if !enabled {
        let plan = Plan::enable(&station.app, &values).map_err(|e| ReplaceError::New(e.into()))?;
        enabled = station
            .run_plan_from(card, &plan, &values, Some(job.keys), RunOptions::default())
            .map_err(ReplaceError::New)?
            .enabled;
    }
    let result = match (report.outcome, enabled) {
        (Outcome::AlreadyDone, _) => "already personalized and enabled by an earlier run: verified",
        (Outcome::Resumed, _) => "personalized (finished an interrupted run), verified, enabled",
        _ => "personalized, verified, enabled",
    };
    Ok(Issued {
        card_id,
        card_number: holder.record.get("card_number").unwrap_or("").to_string(),
        result: result.to_string(),
        photo,
        holder,
    })
}

/// A re-run after the old card was disabled: the new card must hold the holder already, and a
/// replacement must be recorded for it.
fn holder_from_new_card(
    job: &mut Job<'_>,
    card: &mut dyn Transport,
    from_card: &[(String, String)],
) -> Result<Holder, ReplaceError> {
    let need = |why: &str| ReplaceError::NeedRecord {
        why: format!("the old card is disabled and cannot be read, and {why}"),
    };
    let Some((_, id)) = from_card.iter().find(|(f, _)| f == "card_id") else {
        return Err(need("the new card has no card id"));
    };
    if job.journal.replacement_for(id)?.is_none() {
        return Err(need(&format!(
            "no replacement is recorded for the new card {id} in {}",
            job.journal.url()
        )));
    }
    let station = job.station;
    let id_bytes = crate::apdu::parse_hex(id).ok();
    let keys = super::old::keys_for(station, job.keys, id_bytes.as_deref(), &card.atr());
    let content = in_transaction(card, |s| read_card(s, &station.app, &keys))
        .map_err(|e| ReplaceError::New(e.into()))?;
    let fields = card_fields(
        station.profile,
        &decode_found(station.profile, &content.values),
    );
    if !fields.contains_key(&station.app.identity_field) {
        return Err(need("the new card holds no holder"));
    }
    Ok(holder::from_new_card(&fields))
}

/// The photo: `--photo` made to the profile's size, else the old card's; written unless the
/// card holds exactly it already.
fn photo(
    profile: &crate::profile::Profile,
    req: &Request,
    old: Option<&OldCard>,
    keys: &crate::session::CardKeys,
    card: &mut dyn Transport,
) -> Result<String, ReplaceError> {
    let Ok(file) = crate::photo::PhotoFile::from_profile(profile) else {
        return Ok("none (the profile has no photo file)".into());
    };
    let (jpeg, from) = match (&req.photo, old.and_then(|o| o.photo.as_ref())) {
        (Some(input), _) => (
            crate::photo::jpeg::prepare(input, &file.spec, file.size)
                .map_err(ReplaceError::Photo)?
                .jpeg,
            "from --photo",
        ),
        (None, Some(p)) => (p.clone(), "carried over from the old card"),
        (None, None) => return Ok("none (give --photo FILE)".into()),
    };
    in_transaction(card, |s| {
        if crate::photo::read_photo(s, &file, Some(keys))?.as_deref() == Some(jpeg.as_slice()) {
            return Ok(format!(
                "already on the card ({} bytes, {from})",
                jpeg.len()
            ));
        }
        crate::photo::write_photo(s, &file, keys, &jpeg)?;
        Ok(format!(
            "written and read back ({} bytes, {from})",
            jpeg.len()
        ))
    })
    .map_err(ReplaceError::Photo)
}
