//! Reading as the field reads: try first. An element is read as the card allows; only when the
//! card answers `6982` (security status not satisfied) is the key the profile names for that
//! file used, and only when a key source gave it. Otherwise the element is left unread and
//! [`KeyNeed`] says which elements need which key. A card that lets an element be read
//! without the key the profile names is read, and the difference becomes a note.

use super::run::{Found, PersoError, read_element};
use super::spec::{AppSpec, ElementRef};
use crate::apdu::Sw;
use crate::cos::AccessCondition;
use crate::error::ErrorChain;
use crate::session::CardKeys;
use crate::session::Session;
use std::fmt;

/// Elements of one file that were not read because the card wants a key that is not at hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNeed {
    /// The file (`EF06`).
    pub file: String,
    /// The tags not read, in profile order.
    pub tags: Vec<u8>,
    /// The key id the profile names for reading the file.
    pub key_id: u8,
    /// The key's name and label (`read key 0A (读密钥 RKSSSE)`).
    pub key: String,
    /// What to do (`give --keys`, or why the key file does not give it).
    pub why: String,
}

impl fmt::Display for KeyNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tags = match self.tags.as_slice() {
            [] => String::new(),
            [one] => format!("{one:02X}"),
            [first, .., last] => format!("{first:02X}-{last:02X}"),
        };
        let verb = if self.tags.len() == 1 {
            "needs"
        } else {
            "need"
        };
        write!(f, "{} {tags} {verb} {}: {}", self.file, self.key, self.why)
    }
}

/// The key's words for messages: `read key 0A (读密钥 RKSSSE)`.
pub fn key_words(app: &AppSpec, id: u8) -> String {
    match app.keys.iter().find(|k| k.id == id) {
        Some(k) if k.title.is_empty() || k.title == k.label => format!("{} key {id:02X}", k.label),
        Some(k) => format!("{} key {id:02X} ({})", k.label, k.title),
        None => format!("key {id:02X}"),
    }
}

/// Reads elements one by one, trying first; collects what could not be read and how the card
/// differs from the profile.
#[derive(Debug)]
pub struct TryReader<'k> {
    app: &'k AppSpec,
    keys: &'k CardKeys,
    /// Elements not read, by file.
    pub needs: Vec<KeyNeed>,
    /// Differences between the card's access rules and the profile's (more open on the card).
    pub notes: Vec<String>,
    /// External authentications this reader made.
    pub authentications: usize,
}

impl<'k> TryReader<'k> {
    /// A reader for the elements of `app`, with the card's keys (empty when no key source
    /// was given).
    pub fn new(app: &'k AppSpec, keys: &'k CardKeys) -> Self {
        TryReader {
            app,
            keys,
            needs: Vec::new(),
            notes: Vec::new(),
            authentications: 0,
        }
    }

    /// Reads `el` (the application is selected). `Ok(None)`: not read, recorded in
    /// [`TryReader::needs`]. A card that refuses an element the profile says is free is an
    /// error (its access rules differ from the profile: wrong profile?).
    pub fn read(
        &mut self,
        s: &mut Session<'_>,
        el: &ElementRef,
    ) -> Result<Option<Found>, PersoError> {
        if let Some(need) = self.needs.iter_mut().find(|n| n.file == el.file) {
            // The card refused this file and no key opens it: don't ask again.
            need.tags.push(el.tag);
            return Ok(None);
        }
        match read_element(s, el) {
            Ok(found) => {
                if let AccessCondition::ExternalAuth(k) = el.read
                    && !s.is_authenticated(k)
                {
                    self.more_open(el, k);
                }
                Ok(Some(found))
            }
            Err(e) if e.sw() == Some(Sw::SECURITY_NOT_SATISFIED) => {
                let AccessCondition::ExternalAuth(k) = el.read else {
                    return Err(PersoError::Unsupported(format!(
                        "{e}; the profile says reading {} is {}: this card's access rules are \
                         stricter than the profile's (is it the right --profile?)",
                        el.file,
                        el.read,
                        e = e.chain()
                    )));
                };
                if s.is_authenticated(k) {
                    return Err(e.into());
                }
                let Some(key) = self.keys.get(k) else {
                    self.needs.push(KeyNeed {
                        file: el.file.clone(),
                        tags: vec![el.tag],
                        key_id: k,
                        key: key_words(self.app, k),
                        why: self.why_missing(k),
                    });
                    return Ok(None);
                };
                s.authenticate(k, &self.app.key_label(k), key)?;
                self.authentications += 1;
                Ok(Some(read_element(s, el)?))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn why_missing(&self, id: u8) -> String {
        match self.keys.why_missing(id) {
            Some(why) => format!("not available ({why})"),
            None if self.keys.is_empty() => "give --keys".into(),
            None => format!("the key file has no key {id:02X}"),
        }
    }

    fn more_open(&mut self, el: &ElementRef, k: u8) {
        let note = format!(
            "{} was read without {}: the profile says reading it needs that key; this card's \
             access rules are more open than the profile's",
            el.file,
            key_words(self.app, k)
        );
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Everything not read, one part per file, or `None` when everything was read.
    pub fn missing(&self) -> Option<String> {
        if self.needs.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.needs.iter().map(ToString::to_string).collect();
        Some(parts.join("; "))
    }
}
