//! Step 2: the holder's data, from the old card or the record; when both exist they must agree
//! field by field (the citizen number is never shown in full).

use super::old::OldCard;
use super::{Event, ReplaceError, Request, Step};
use crate::perso::Station;
use crate::record::{HolderRecord, RecordSource};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where the holder's data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The old card.
    OldCard,
    /// The record (`--record`): the old card is lost or unreadable.
    Record,
    /// The old card, and the record agrees.
    Both,
    /// The record, although the old card differs (`--take-record`).
    RecordOverCard,
    /// The new card, personalized by an earlier run of this replacement (the old card is
    /// already disabled and cannot be read any more).
    NewCard,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::OldCard => "old card",
            Source::Record => "record",
            Source::Both => "old card and record (they agree)",
            Source::RecordOverCard => "record (--take-record: the old card differs)",
            Source::NewCard => "new card (personalized by an earlier run)",
        })
    }
}

/// The holder's data settled on.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The holder's fields, plus the new card's own fields the record gives.
    pub record: HolderRecord,
    /// Where the holder's fields came from.
    pub source: Source,
}

/// One field where the old card and the record differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldDiff {
    /// Field name (`name`).
    pub field: String,
    /// Operator label (`姓名`).
    pub label: String,
    /// On the old card (masked for the citizen number).
    pub old_card: String,
    /// In the record (masked for the citizen number).
    pub record: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {} ({}): old card '{}', record '{}'",
            self.label, self.field, self.old_card, self.record
        )
    }
}

/// A citizen number with its middle hidden: the region (6) and the last 4 characters shown.
pub fn mask_ssn(ssn: &str) -> String {
    let chars: Vec<char> = ssn.trim().chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// The holder's fields of the profile (the file of the identity element), in profile order,
/// with a continued element (the name extension) folded into the field it continues.
pub fn holder_fields(station: &Station<'_>) -> Vec<(String, String)> {
    let app = &station.app;
    let Some(file) = app.element(&app.identity_field).map(|e| e.file.clone()) else {
        return Vec::new();
    };
    app.elements
        .iter()
        .filter(|e| e.file == file)
        .filter(|e| {
            crate::perso::encode::element(station.profile, &e.field)
                .is_none_or(|p| p.continues.is_none())
        })
        .map(|e| (e.field.clone(), e.label.clone()))
        .collect()
}

/// The fields an old card's data never gives the new card: its own identity, number and dates.
pub const NEW_CARD_FIELDS: [&str; 4] = ["card_id", "card_number", "issue_date", "expiry_date"];

fn source(name: &str) -> RecordSource {
    RecordSource {
        file: PathBuf::from(name),
        index: 1,
        line: 1,
    }
}

/// Settles the holder's data (step 2). `Ok(None)`: the old card is already disabled (an earlier
/// run of this replacement was cut after disabling it) and no record was given: the data is
/// taken from the new card in step 3.
pub fn settle(
    station: &Station<'_>,
    req: &Request,
    old: Option<&OldCard>,
    on_event: &mut dyn FnMut(Event),
) -> Result<Option<Holder>, ReplaceError> {
    let fields = holder_fields(station);
    let masked = |field: &str, v: &str| {
        if field == station.app.identity_field {
            mask_ssn(v)
        } else {
            v.to_string()
        }
    };
    let card: BTreeMap<String, String> = old
        .map(|o| {
            o.fields
                .iter()
                .filter(|(k, _)| fields.iter().any(|(f, _)| f == *k))
                .map(|(k, v)| (k.clone(), v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let card_complete = old.is_some_and(|o| o.holder_complete) && !card.is_empty();
    // A record with no holder field gives only the new card's own fields (its number).
    let record = req
        .record
        .as_ref()
        .filter(|r| fields.iter().any(|(f, _)| r.get(f).is_some()));
    let (mut fields_out, src) = match (record, card_complete) {
        (None, true) => (card.clone(), Source::OldCard),
        (None, false) => {
            if let Some(o) = old
                && o.disabled
            {
                on_event(Event::Done {
                    step: Step::HolderData,
                    text: "the old card is already disabled: the holder's data is taken from the new card if an earlier run personalized it".into(),
                });
                return Ok(None);
            }
            let why = match old {
                None => "the card is lost".to_string(),
                Some(o) if !o.answers => "the old card does not answer".to_string(),
                Some(o) => format!(
                    "the old card's holder data cannot be read completely ({})",
                    o.unread.join("; ")
                ),
            };
            return Err(ReplaceError::NeedRecord { why });
        }
        (Some(rec), _) => {
            let diffs: Vec<FieldDiff> = fields
                .iter()
                .filter_map(|(f, label)| {
                    let c = card.get(f)?;
                    let r = rec.get(f)?.trim();
                    (c != r).then(|| FieldDiff {
                        field: f.clone(),
                        label: label.clone(),
                        old_card: masked(f, c),
                        record: masked(f, r),
                    })
                })
                .collect();
            if !diffs.is_empty() && !req.take_record {
                return Err(ReplaceError::Differs(diffs));
            }
            let mut out = card.clone();
            for (f, _) in &fields {
                if let Some(v) = rec.get(f) {
                    out.insert(f.clone(), v.to_string());
                }
            }
            let src = match (card.is_empty(), diffs.is_empty()) {
                (true, _) => Source::Record,
                (false, true) => Source::Both,
                (false, false) => Source::RecordOverCard,
            };
            (out, src)
        }
    };
    // The new card's own fields the record gives (card id and number where the region assigns
    // them, the issue date), and the card's kind from the old card when the record lacks it.
    if let Some(rec) = &req.record {
        for (k, v) in &rec.fields {
            if !fields.iter().any(|(f, _)| f == k) && !v.trim().is_empty() {
                fields_out.insert(k.clone(), v.trim().to_string());
            }
        }
    }
    if let Some(o) = old {
        for (k, v) in &o.fields {
            if !fields.iter().any(|(f, _)| f == k) && !NEW_CARD_FIELDS.contains(&k.as_str()) {
                fields_out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let record = HolderRecord {
        source: req
            .record
            .as_ref()
            .map(|r| r.source.clone())
            .unwrap_or_else(|| source("<old card>")),
        fields: fields_out,
    };
    let name = record.get("name").unwrap_or("?").to_string();
    let ssn = record.get(&station.app.identity_field).unwrap_or("");
    on_event(Event::Done {
        step: Step::HolderData,
        text: format!("{name} {} (from the {src})", mask_ssn(ssn)),
    });
    Ok(Some(Holder {
        record,
        source: src,
    }))
}

/// The holder's data from the new card's fields (a re-run after the old card was disabled):
/// every field as the card holds it, so the new card is only verified.
pub fn from_new_card(card_fields: &BTreeMap<String, String>) -> Holder {
    let out: BTreeMap<String, String> = card_fields
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    Holder {
        record: HolderRecord {
            source: source("<new card>"),
            fields: out,
        },
        source: Source::NewCard,
    }
}

#[cfg(test)]
mod tests {
    use super::mask_ssn;

    #[test]
    fn the_middle_of_a_citizen_number_is_hidden() {
        assert_eq!(mask_ssn("110101199012290016"), "110101********0016");
        assert_eq!(mask_ssn("12345"), "*****");
    }
}
