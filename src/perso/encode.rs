//! From a profile and a holder record to what the card must hold: the application to write
//! ([`AppSpec`]) and every element's value, checked by the profile's codec before any card is
//! touched. All problems of a record are reported together.

use super::spec::{AppSpec, ElementRef, EnableHow, Encoded, KeySpec, PinSpec};
use crate::codec::{FieldError, Format, Padding, rules};
use crate::error::ErrorChain;
use crate::profile::{Df, Element, Profile};
use crate::record::{HolderRecord, RecordSource};
use std::fmt;

/// The record field that says whose card it is.
pub const IDENTITY_FIELD: &str = "ssn";

/// A profile that personalization cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile {profile}: {reason}")]
pub struct ProfileUseError {
    /// Profile name.
    pub profile: String,
    /// What is missing or wrong.
    pub reason: String,
}

/// One problem of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A field's value is wrong.
    Field(FieldError),
    /// A required field is missing.
    Missing {
        /// Field name.
        field: String,
        /// Its label.
        label: String,
    },
    /// A field the profile does not know.
    Unknown {
        /// Field name as given.
        field: String,
    },
    /// Fields that disagree (birth date / sex vs the social security number).
    Inconsistent(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Field(e) => write!(f, "{e}", e = e.chain()),
            Problem::Missing { field, label } => write!(f, "{label} ({field}): missing"),
            Problem::Unknown { field } => write!(
                f,
                "`{field}`: not a field of this profile (misspelt column name?)"
            ),
            Problem::Inconsistent(s) => write!(f, "{s}"),
        }
    }
}

/// A record with problems: every one of them, and where the record is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecordInvalid {
    /// Where the record is.
    pub place: RecordSource,
    /// Every problem found.
    pub problems: Vec<Problem>,
}

impl fmt::Display for RecordInvalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} problem(s), nothing was sent to the card:",
            self.place,
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

fn find_app(df: &Df) -> Option<&Df> {
    if df
        .efs
        .iter()
        .any(|ef| ef.elements.iter().any(|e| e.name == IDENTITY_FIELD))
    {
        return Some(df);
    }
    df.dfs.iter().find_map(find_app)
}

/// The application a station personalizes: the DF holding the `ssn` element.
pub fn app_spec(p: &Profile) -> Result<AppSpec, ProfileUseError> {
    let err = |reason: String| ProfileUseError {
        profile: p.meta.name.clone(),
        reason,
    };
    let df = find_app(&p.mf).ok_or_else(|| {
        err(format!(
            "no DF holds a `{IDENTITY_FIELD}` element: it is not a personalization profile"
        ))
    })?;
    let df_name = df.aid.clone().ok_or_else(|| {
        err(format!(
            "DF `{}` has no DF name (aid): personalization selects the application by name",
            df.name
        ))
    })?;
    let pin = df
        .pins
        .first()
        .or_else(|| p.mf.pins.first())
        .ok_or_else(|| err(format!("DF `{}` declares no PIN", df.name)))?;
    let mut elements = Vec::new();
    for ef in &df.efs {
        let sfi = ef.sfi.ok_or_else(|| {
            err(format!(
                "EF `{}` has no SFI: records are written by SFI",
                ef.name
            ))
        })?;
        for e in &ef.elements {
            elements.push(ElementRef {
                file: format!("{:04X}", ef.fid),
                sfi,
                record: e.record,
                tag: e.tag,
                len: e.length,
                field: e.name.clone(),
                label: e.label.clone(),
                read: ef.access.read.condition(),
                update: ef.access.update.condition(),
            });
        }
    }
    let enable = match p.commands.get("enable") {
        Some(s) => EnableHow::Script {
            script: s.script.clone().into(),
            block: s.block.clone(),
        },
        None => EnableHow::ActivateFile,
    };
    Ok(AppSpec {
        profile_df: df.name.clone(),
        df_fid: df.fid,
        df_name,
        df_label: if df.label.is_empty() {
            df.name.to_uppercase()
        } else {
            df.label.clone()
        },
        create: df.access.create.condition(),
        activate: df.access.activate.condition(),
        deactivate: df.access.deactivate.condition(),
        enable,
        pin: PinSpec {
            reference: pin.reference,
            tries: pin.max_tries,
            initial: pin.initial.clone(),
        },
        keys: df
            .keys
            .iter()
            .map(|k| KeySpec {
                id: k.id,
                label: k.name.clone(),
                title: k.label.clone(),
                alg: k.algorithm,
                diversify: k.diversification.clone(),
            })
            .collect(),
        identity_field: IDENTITY_FIELD.into(),
        elements,
    })
}

/// The profile's element for a field.
pub fn element<'p>(p: &'p Profile, field: &str) -> Option<&'p Element> {
    fn walk<'p>(df: &'p Df, field: &str) -> Option<&'p Element> {
        df.efs
            .iter()
            .flat_map(|ef| ef.elements.iter())
            .find(|e| e.name == field)
            .or_else(|| df.dfs.iter().find_map(|d| walk(d, field)))
    }
    walk(&p.mf, field)
}

/// The default a profile gives a field the record lacks: the spec version from the profile's
/// metadata, or the only value an element allows.
fn default_for(p: &Profile, e: &Element) -> Option<String> {
    if e.name == "spec_version" {
        return p.meta.spec_version.clone();
    }
    match e.values.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

/// Checks and encodes every element of `app` from `record`, reporting all problems together.
/// A name longer than its element continues in the element that `continues` it (tag 4E).
pub fn encode_record(
    p: &Profile,
    app: &AppSpec,
    record: &HolderRecord,
) -> Result<Vec<Encoded>, RecordInvalid> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for field in record.fields.keys() {
        if app.element(field).is_none() {
            problems.push(Problem::Unknown {
                field: field.clone(),
            });
        }
    }
    for el in &app.elements {
        let Some(e) = element(p, &el.field) else {
            continue;
        };
        // A continuation element takes the part of its parent's value that did not fit.
        if let Some(parent) = &e.continues {
            if record.get(&el.field).is_some() {
                // Given explicitly: encoded like any other field below.
            } else {
                let (Some(pe), Some(v)) = (element(p, parent), record.get(parent)) else {
                    continue;
                };
                // A split error is reported with the parent.
                if let Ok((_, rest)) = split(pe, e, v) {
                    match e.encode(&rest) {
                        Ok(value) => out.push(Encoded {
                            el: el.clone(),
                            value,
                        }),
                        Err(fe) => problems.push(Problem::Field(fe)),
                    }
                }
                continue;
            }
        }
        let given = record.get(&el.field).map(str::to_string);
        let Some(value) = given.or_else(|| default_for(p, e)) else {
            if e.required {
                problems.push(Problem::Missing {
                    field: el.field.clone(),
                    label: el.label.clone(),
                });
            }
            continue;
        };
        let text = match continuation_of(p, &e.name) {
            Some(ext) if record.get(&ext.name).is_none() => match split(e, ext, &value) {
                Ok((first, _)) => first,
                Err(fe) => {
                    problems.push(Problem::Field(fe));
                    continue;
                }
            },
            _ => value,
        };
        match e.encode(&text) {
            Ok(v) => out.push(Encoded {
                el: el.clone(),
                value: v,
            }),
            Err(fe) => problems.push(Problem::Field(fe)),
        }
    }
    if let (Some(ssn), Some(birth), Some(sex)) = (
        record.get("ssn"),
        record.get("birth_date"),
        record.get("sex"),
    ) && rules::check_ssn(ssn).is_ok()
        && let Err(e) = rules::check_holder(ssn, birth, sex)
    {
        problems.push(Problem::Inconsistent(format!(
            "社会保障号码 (ssn), 出生日期 (birth_date), 性别 (sex) disagree: {e}",
            e = e.chain()
        )));
    }
    let today = crate::codec::today_yyyymmdd();
    for p in rules::check_date_order(
        record.get("issue_date"),
        record.get("expiry_date"),
        record.get("birth_date"),
        &today,
    ) {
        problems.push(Problem::Inconsistent(p));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(RecordInvalid {
            place: record.source.clone(),
            problems,
        })
    }
}

fn continuation_of<'p>(p: &'p Profile, name: &str) -> Option<&'p Element> {
    fn walk<'p>(df: &'p Df, name: &str) -> Option<&'p Element> {
        df.efs
            .iter()
            .flat_map(|ef| ef.elements.iter())
            .find(|e| e.continues.as_deref() == Some(name))
            .or_else(|| df.dfs.iter().find_map(|d| walk(d, name)))
    }
    walk(&p.mf, name)
}

/// Splits a GBK text over an element and its continuation, as text.
fn split(first: &Element, ext: &Element, value: &str) -> Result<(String, String), FieldError> {
    let err = |e| FieldError::new(&first.name, &first.label, e);
    if first.format != Format::Gbk {
        return Ok((value.to_string(), String::new()));
    }
    let (a, b) = crate::codec::split_gbk(value, first.length, ext.length).map_err(err)?;
    let a = crate::codec::decode(Format::Gbk, Padding::None, &a).map_err(err)?;
    let b = crate::codec::decode(Format::Gbk, Padding::None, &b).map_err(err)?;
    Ok((a, b))
}

/// Decodes what was read from a card: each element as text (`None` for a record that is
/// absent or never written), in profile order.
pub fn decode_found(
    p: &Profile,
    values: &[(ElementRef, super::run::Found)],
) -> Vec<(ElementRef, Option<String>)> {
    values
        .iter()
        .map(|(el, found)| {
            let text = match found {
                super::run::Found::Value(bytes) if !found.is_blank() => {
                    Some(match element(p, &el.field) {
                        Some(e) => e.decode(bytes).unwrap_or_else(|err| {
                            format!(
                                "(not valid: {}) {}",
                                err.source,
                                crate::apdu::compact(bytes)
                            )
                        }),
                        None => crate::apdu::compact(bytes),
                    })
                }
                _ => None,
            };
            (el.clone(), text)
        })
        .collect()
}

/// The holder's fields as the card holds them, by field name; a continued element (the name
/// extension) is joined to the field it continues.
pub fn card_fields(
    p: &Profile,
    decoded: &[(ElementRef, Option<String>)],
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (el, text) in decoded {
        let Some(text) = text else { continue };
        match element(p, &el.field).and_then(|e| e.continues.clone()) {
            Some(parent) => {
                let joined = crate::codec::join_gbk(
                    out.get(&parent).map(String::as_str).unwrap_or(""),
                    text,
                );
                out.insert(parent, joined);
            }
            None => {
                let prev = out.remove(&el.field).unwrap_or_default();
                out.insert(el.field.clone(), crate::codec::join_gbk(text, &prev));
            }
        }
    }
    out
}
