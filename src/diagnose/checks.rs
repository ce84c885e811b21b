//! What the diagnosis found, file by file: the report's DF, EF, element and PIN entries.

use serde::Serialize;

/// One data element.
#[derive(Debug, Clone, Serialize)]
pub struct ElementCheck {
    /// Field name in the profile.
    pub name: String,
    /// Label (Chinese name).
    pub label: String,
    /// SIMPLE-TLV tag, hex.
    pub tag: String,
    /// `ok`, or what is wrong / why it was not checked.
    pub status: String,
    /// The decoded value, for dates only (personal data is not shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One EF.
#[derive(Debug, Clone, Serialize)]
pub struct EfCheck {
    /// Path from the MF, e.g. `3F00/DDF1/EF06`.
    pub path: String,
    /// Label.
    pub label: String,
    /// `ok`, or what is wrong.
    pub status: String,
    /// Its elements.
    pub elements: Vec<ElementCheck>,
}

/// A PIN's state (VERIFY without data: no try spent).
#[derive(Debug, Clone, Serialize)]
pub struct PinCheck {
    /// PIN name in the profile.
    pub name: String,
    /// Reference (VERIFY P2).
    pub reference: u8,
    /// `3 tries left`, `blocked`, or why unknown.
    pub state: String,
    /// Tries left, when known.
    pub tries_left: Option<u8>,
}

/// One DF (the MF or an application).
#[derive(Debug, Clone, Serialize)]
pub struct DfCheck {
    /// Path from the MF.
    pub path: String,
    /// Label.
    pub label: String,
    /// `ok`, or what is wrong.
    pub status: String,
    /// Life cycle status from the FCP, in words.
    pub lcs: Option<String>,
    /// Whether the application is enabled (activated); `None` for the MF or when unknown.
    pub enabled: Option<bool>,
    /// The algorithm identifier of its FCP (`9F0C`) in words, for a DF whose profile names
    /// one or whose card gives one (`03 SM4`); a profile/card difference is said here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// PIN states.
    pub pins: Vec<PinCheck>,
    /// The EFs.
    pub efs: Vec<EfCheck>,
}

/// The expiry date found on the card.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiryCheck {
    /// The date on the card, YYYYMMDD.
    pub date: String,
    /// The date it was compared with.
    pub today: String,
    /// Whether the card is past it.
    pub expired: bool,
}
