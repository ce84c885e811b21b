//! Reading a personalized card: every element, the application state, and the one-line
//! output of the MOHRSS reader interface (`iReadCardBas`).

use super::bank::BankApp;
use super::run::{Found, PersoError};
use super::spec::{AppSpec, ElementRef};
use super::tryread::{KeyNeed, TryReader};
use crate::apdu::Sw;
use crate::cos::Lcs;
use crate::error::ErrorChain;
use crate::session::CardKeys;
use crate::session::Session;
use std::collections::BTreeMap;

/// What was read from a card.
#[derive(Debug, Clone)]
pub struct CardContent {
    /// The card's ATR.
    pub atr: Vec<u8>,
    /// SELECT's status word on the application (`9000`, `6283` when disabled).
    pub sw: crate::apdu::Sw,
    /// Life cycle status of the application DF, when the FCP gave it.
    pub lcs: Option<u8>,
    /// Every element read, in profile order, with what the card holds.
    pub values: Vec<(ElementRef, Found)>,
    /// Elements not read: the card wants a key that was not given.
    pub needs: Vec<KeyNeed>,
    /// Differences between the card's access rules and the profile's (more open on the card).
    pub notes: Vec<String>,
    /// External authentications made (only where the card answered `6982`).
    pub authentications: usize,
    /// The bank application's PAN, when it was asked for ([`read_bank`]).
    pub bank: Option<BankApp>,
    /// The algorithm identifier byte of the application's FCP/FCI (`9F0C 03 86 01 xx`), when
    /// the card gave one (absent: `01`, DES/3DES, is assumed).
    pub algorithm_id: Option<u8>,
}

impl CardContent {
    /// Whether the application is enabled (activated).
    pub fn enabled(&self) -> bool {
        self.sw == Sw::OK
            && self
                .lcs
                .is_none_or(|l| Lcs::from_byte(l) == Some(Lcs::Activated))
    }

    /// Everything not read, one part per file (`EF06 08-0D need read key 0A (...): give
    /// --keys`), or `None` when everything was read.
    pub fn missing(&self) -> Option<String> {
        if self.needs.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.needs.iter().map(ToString::to_string).collect();
        Some(parts.join("; "))
    }

    /// The state in words.
    pub fn state_text(&self) -> &'static str {
        match (self.sw, self.lcs.map(Lcs::from_byte)) {
            (Sw::FILE_DEACTIVATED, _) | (_, Some(Some(Lcs::Deactivated))) => {
                "disabled (deactivated)"
            }
            (_, Some(Some(Lcs::Activated))) | (Sw::OK, None) => "enabled",
            (_, Some(Some(Lcs::Initialisation))) => "not enabled (initialisation)",
            (_, Some(Some(Lcs::Creation))) => "not enabled (creation)",
            (_, Some(Some(Lcs::Terminated))) => "terminated",
            _ => "unknown",
        }
    }

    /// The algorithm identifier in words: `03 SM4 (FCI 9F0C)`, `01 DES/3DES (assumed: the
    /// card's FCI has no 9F0C)`.
    pub fn algorithm_text(&self) -> String {
        algorithm_text(self.algorithm_id)
    }
}

/// The algorithm identifier byte of a SELECT response (FCP or FCI): the `9F0C` element
/// (`86 01 xx`), inside `A5` or at the top. `None`: not given.
pub fn algorithm_id(select_response: &[u8]) -> Option<u8> {
    let f = crate::tlv::Fcp::parse(select_response).ok()?;
    crate::cos::AlgorithmId::byte_of(&f.find_nested(&crate::cos::algid::TAG)?)
}

/// An algorithm identifier byte in words (`None`: not given, `01` assumed).
pub fn algorithm_text(id: Option<u8>) -> String {
    use crate::cos::AlgorithmId;
    match id {
        None => "01 DES/3DES (assumed: the card's FCI has no 9F0C)".into(),
        Some(b) => match AlgorithmId::from_byte(b) {
            Some(a) => format!("{b:02X} {a} (FCI 9F0C)"),
            None => format!("{b:02X} (FCI 9F0C; unknown: 01 DES/3DES, 02 SSF33, 03 SM4)"),
        },
    }
}

/// Reads every element of the application, trying first ([`super::tryread`]): an element is
/// read as the card allows, and a key from `keys` is used only when the card answers `6982`.
/// Elements no key at hand opens are listed in [`CardContent::needs`]. A deactivated
/// application is reported with empty values (the card refuses reads below it).
pub fn read_card(
    s: &mut Session<'_>,
    app: &AppSpec,
    keys: &CardKeys,
) -> Result<CardContent, PersoError> {
    read_elements(s, app, keys, &app.elements)
}

/// Like [`read_card`], for the elements `wanted` only (of `app`), in that order: what the
/// reader interface's `iReadCard` asks for.
pub fn read_elements(
    s: &mut Session<'_>,
    app: &AppSpec,
    keys: &CardKeys,
    wanted: &[ElementRef],
) -> Result<CardContent, PersoError> {
    let state = s.reselect_df(&app.df_name, &app.df_label)?;
    let mut values = Vec::new();
    let mut reader = TryReader::new(app, keys);
    if !state.is_deactivated() {
        for el in wanted {
            if let Some(found) = reader.read(s, el)? {
                values.push((el.clone(), found));
            }
        }
    }
    Ok(CardContent {
        atr: s.atr(),
        sw: state.sw,
        lcs: state.lcs,
        values,
        needs: reader.needs,
        notes: reader.notes,
        authentications: reader.authentications,
        bank: None,
        algorithm_id: algorithm_id(&state.fcp),
    })
}

/// Adds the bank application's PAN to `content` ([`super::bank`]): a card without one, or
/// whose bank application cannot be read, gets a note, never an error.
pub fn read_bank(s: &mut Session<'_>, content: &mut CardContent) {
    match super::bank::read_pan(s) {
        Ok(bank) => {
            if !matches!(bank, BankApp::Pan(_)) {
                content.notes.push(bank.describe());
            }
            content.bank = Some(bank);
        }
        Err(e) => content.notes.push(format!(
            "the bank application could not be read: {e}",
            e = e.chain()
        )),
    }
}

/// Options of the `iReadCardBas` line that come from the terminal, not the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    /// Terminal number (12 characters; `000000000000` when none).
    pub number: String,
    /// Terminal device number (`FFFFFFFFFFFFFF` when none).
    pub device: String,
}

impl Terminal {
    /// Checks a terminal number for the `iReadCardBas` line: 12 hex digits (a PSAM terminal
    /// number is 6 bytes; `000000000000` when the station has none). Returned in upper case.
    pub fn check_number(text: &str) -> Result<String, String> {
        Self::check(text, 12, |c| c.is_ascii_hexdigit(), "hex digits 0-9 A-F")
            .map(|s| s.to_ascii_uppercase())
    }

    /// Checks a terminal device number (the reader's serial) for the `iReadCardBas` line:
    /// 14 letters or digits (`FFFFFFFFFFFFFF` when unknown).
    pub fn check_device(text: &str) -> Result<String, String> {
        Self::check(text, 14, |c| c.is_ascii_alphanumeric(), "letters or digits")
    }

    fn check(text: &str, len: usize, ok: fn(char) -> bool, what: &str) -> Result<String, String> {
        let n = text.chars().count();
        if n != len {
            return Err(format!("{len} characters are needed, '{text}' has {n}"));
        }
        match text.chars().enumerate().find(|(_, c)| !ok(*c)) {
            Some((i, c)) => Err(format!(
                "character {} ('{c}') is not allowed: {what} only",
                i + 1
            )),
            None => Ok(text.to_string()),
        }
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal {
            number: "000000000000".into(),
            device: "FFFFFFFFFFFFFF".into(),
        }
    }
}

/// The `iReadCardBas` line: `region|ssn|card number|card id|name|ATR historical bytes|spec
/// version|issue date|expiry date|terminal no.|terminal device no.|` (ssc-card.md). `fields`
/// maps field names to decoded text (the name already joined with its extension).
pub fn ireadcardbas(
    fields: &BTreeMap<String, String>,
    historical: &[u8],
    terminal: &Terminal,
) -> String {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let card_id = get("card_id");
    let region: String = card_id.chars().take(6).collect();
    let parts = [
        region,
        get("ssn"),
        get("card_number"),
        card_id,
        get("name"),
        crate::apdu::compact(historical),
        get("spec_version"),
        get("issue_date"),
        get("expiry_date"),
        terminal.number.clone(),
        terminal.device.clone(),
    ];
    let mut line = String::new();
    for p in parts {
        line.push_str(&p);
        line.push('|');
    }
    line
}

/// The JSON document of `sscard read --json`: profile, application state, ATR, the fields by
/// name and every element with its file, tag, label and decoded value (`null` when empty).
pub fn to_json(
    profile: &str,
    app_label: &str,
    content: &CardContent,
    decoded: &[(ElementRef, Option<String>)],
    fields: &BTreeMap<String, String>,
) -> serde_json::Value {
    let elements: Vec<serde_json::Value> = decoded
        .iter()
        .map(|(el, text)| {
            serde_json::json!({
                "file": el.file,
                "tag": format!("{:02X}", el.tag),
                "field": el.field,
                "label": el.label,
                "value": text,
            })
        })
        .collect();
    serde_json::json!({
        "profile": profile,
        "application": app_label,
        "state": content.state_text(),
        "enabled": content.enabled(),
        "atr": crate::apdu::compact(&content.atr),
        "algorithm_id": {
            "code": format!("{:02X}", content.algorithm_id.unwrap_or(1)),
            "name": crate::cos::AlgorithmId::from_byte(content.algorithm_id.unwrap_or(1)).map(|a| a.to_string()),
            "from_card": content.algorithm_id.is_some(),
        },
        "fields": fields,
        "elements": elements,
        "bank": match &content.bank {
            Some(BankApp::Pan(pan)) => serde_json::json!({
                "aid": crate::apdu::compact(&super::bank::BANK_AID),
                "pan": pan,
            }),
            Some(other) => serde_json::json!({
                "aid": crate::apdu::compact(&super::bank::BANK_AID),
                "pan": null,
                "note": other.describe(),
            }),
            None => serde_json::Value::Null,
        },
        "not_read": content.needs.iter().map(|n| serde_json::json!({
            "file": n.file,
            "tags": n.tags.iter().map(|t| format!("{t:02X}")).collect::<Vec<_>>(),
            "key_id": format!("{:02X}", n.key_id),
            "key": n.key,
            "why": n.why,
        })).collect::<Vec<_>>(),
        "notes": content.notes,
    })
}

/// The element table of `sscard read` (one line per element, Chinese labels aligned).
pub fn render_table(decoded: &[(ElementRef, Option<String>)], indent: &str) -> String {
    let mut out = String::new();
    for (el, text) in decoded {
        out.push_str(&format!(
            "{indent}{} {:02X}  {}  {}\n",
            el.file,
            el.tag,
            crate::columns::pad(&el.label, 14),
            text.as_deref().unwrap_or("(empty)")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ireadcardbas_matches_the_spec_example() {
        let fields: BTreeMap<String, String> = [
            ("card_id", "440700D15600000500A1B2C3D4E5F607"),
            ("ssn", "110101199012290016"),
            ("card_number", "D12345676"),
            ("name", "王小明"),
            ("spec_version", "1.00"),
            ("issue_date", "20140126"),
            ("expiry_date", "20240126"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let hist = crate::apdu::parse_hex("008100A1B2C3D4440700A1B2C3").unwrap();
        assert_eq!(
            ireadcardbas(&fields, &hist, &Terminal::default()),
            "440700|110101199012290016|D12345676|440700D15600000500A1B2C3D4E5F607|王小明|008100A1B2C3D4440700A1B2C3|1.00|20140126|20240126|000000000000|FFFFFFFFFFFFFF|"
        );
    }
}
