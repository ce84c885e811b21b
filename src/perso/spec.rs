//! What personalization needs to know about the card, taken from the profile: the application
//! DF, its access conditions, its keys, the PIN, and each data element with the file it is in.
//!
//! Built from a loaded profile by [`super::encode::app_spec`]; plans and runs only see this.

use std::fmt;

use crate::cos::AccessCondition;
/// One data element, with what it takes to read and write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRef {
    /// The file's label (`EF06`).
    pub file: String,
    /// The file's SFI.
    pub sfi: u8,
    /// Record number in the file.
    pub record: u8,
    /// The element's tag.
    pub tag: u8,
    /// Length of the value on the card.
    pub len: usize,
    /// Field name in holder records (`ssn`).
    pub field: String,
    /// Operator label (`社会保障号码`).
    pub label: String,
    /// Read access condition of its file.
    pub read: AccessCondition,
    /// Update access condition of its file.
    pub update: AccessCondition,
}

impl fmt::Display for ElementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tag {:02X} {} ({})",
            self.file, self.tag, self.label, self.field
        )
    }
}

/// An element with the value a record gives it, encoded for the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The element.
    pub el: ElementRef,
    /// The value bytes (exactly `el.len`).
    pub value: Vec<u8>,
}

/// How the application is enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnableHow {
    /// ACTIVATE FILE on the DF (ISO 7816-9).
    ActivateFile,
    /// A named command list of the profile: a block of an APDU script (`sscard run` format).
    Script {
        /// The script file (relative paths are relative to the profile's folder once
        /// [`crate::perso::Station::with_profile_dir`] is called).
        script: std::path::PathBuf,
        /// The block name.
        block: String,
    },
}

/// The PIN the station sets.
#[derive(Clone, PartialEq, Eq)]
pub struct PinSpec {
    /// Reference (VERIFY P2).
    pub reference: u8,
    /// Tries allowed.
    pub tries: u8,
    /// The initial PIN digits (profile default `123456`). Not secret in the profile, but
    /// never printed.
    pub initial: String,
}

impl fmt::Debug for PinSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinSpec")
            .field("reference", &self.reference)
            .field("tries", &self.tries)
            .field("initial", &"******")
            .finish()
    }
}

/// A key of the application, as the profile declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Key id in the DF.
    pub id: u8,
    /// Its role or name (`write`, `read`, ...).
    pub label: String,
    /// Its label for operators (`读密钥 RKSSSE`; may be empty).
    pub title: String,
    /// The algorithm.
    pub alg: crate::crypto::Algorithm,
    /// The diversification chain from the master key (empty: the key file holds the card's
    /// key itself), as the profile names it.
    pub diversify: crate::profile::Diversification,
}

/// The application to personalize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// The DF's name in the profile (`ssse`).
    pub profile_df: String,
    /// The DF's file identifier (`DDF1`), used to address it in ACTIVATE/DEACTIVATE FILE
    /// while an EF below it is current.
    pub df_fid: Option<u16>,
    /// DF name (AID) of the application (SSSE).
    pub df_name: Vec<u8>,
    /// Its label (`SSSE`).
    pub df_label: String,
    /// Create access condition of the DF (WRITE KEY, hence setting the PIN).
    pub create: AccessCondition,
    /// Activate access condition of the DF.
    pub activate: AccessCondition,
    /// Deactivate access condition of the DF.
    pub deactivate: AccessCondition,
    /// How the application is enabled.
    pub enable: EnableHow,
    /// The PIN.
    pub pin: PinSpec,
    /// The keys of the DF.
    pub keys: Vec<KeySpec>,
    /// The record field that says whose card it is (`ssn`).
    pub identity_field: String,
    /// Every data element the station writes, in writing order.
    pub elements: Vec<ElementRef>,
}

impl AppSpec {
    /// The label of key `id` (its role from the profile, or `key NN`).
    pub fn key_label(&self, id: u8) -> String {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.label.clone())
            .unwrap_or_else(|| format!("key {id:02X}"))
    }

    /// Length of an external-authentication cryptogram (8 for 3DES, 16 for SM4).
    pub fn cryptogram_len(&self) -> usize {
        self.keys.first().map(|k| k.alg.block_len()).unwrap_or(8)
    }

    /// The element that holds a field.
    pub fn element(&self, field: &str) -> Option<&ElementRef> {
        self.elements.iter().find(|e| e.field == field)
    }
}
