//! The validated profile: what a card holds (file tree, keys, PINs, access conditions, data
//! elements). Built only by the loader, so every value here has passed the checks.

use crate::codec::rules::Rule;
use crate::codec::{Format, Padding};
use crate::cos::{AccessCondition, Algorithm, FileStructure, KeyUsage};
use std::collections::BTreeMap;
use std::fmt;

/// A loaded, checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Name, version, generation, region.
    pub meta: Meta,
    /// The master file and everything below it.
    pub mf: Df,
    /// Chip-specific command lists by purpose (`enable`, ...): an APDU script and a block.
    pub commands: BTreeMap<String, ScriptRef>,
}

/// Profile metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Profile name (`ssc-3.00`).
    pub name: String,
    /// Specification version written in EF05 tag 03 (`3.00`), if the profile is an SSC one.
    pub spec_version: Option<String>,
    /// Card generation (1, 2, 3), if any.
    pub generation: Option<u8>,
    /// The region (6-digit code) the profile was approved for, if it is regional.
    pub region: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// A chip-specific step done by an APDU script block (format owned by `script`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRef {
    /// Path of the script, relative to the profile file.
    pub script: String,
    /// Block name inside the script.
    pub block: String,
}

pub use crate::cos::Lcs;

/// How an EF stores its data (FDB of tag 82).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// Transparent (binary) EF: `01`.
    Transparent,
    /// Linear fixed records: `02`.
    LinearFixed,
    /// Linear variable records: `04` (the SSC SIMPLE-TLV record files).
    LinearVariable,
    /// Cyclic records: `06`.
    Cyclic,
}

impl Structure {
    /// Every structure.
    pub const ALL: [Structure; 4] = [
        Structure::Transparent,
        Structure::LinearFixed,
        Structure::LinearVariable,
        Structure::Cyclic,
    ];
    /// The card-OS file structure.
    pub fn file_structure(self) -> FileStructure {
        match self {
            Structure::Transparent => FileStructure::Transparent,
            Structure::LinearFixed => FileStructure::LinearFixed,
            Structure::LinearVariable => FileStructure::LinearVariable,
            Structure::Cyclic => FileStructure::Cyclic,
        }
    }
    /// The file descriptor byte.
    pub fn fdb(self) -> u8 {
        self.file_structure().fdb()
    }
    /// The profile spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Structure::Transparent => "transparent",
            Structure::LinearFixed => "linear-fixed",
            Structure::LinearVariable => "linear-variable",
            Structure::Cyclic => "cyclic",
        }
    }
    /// True for record structures.
    pub fn is_record(self) -> bool {
        self != Structure::Transparent
    }
}

/// One access condition (one byte of the security attribute, docs/cos.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Access {
    /// `00`: always allowed.
    Always,
    /// `FF`: never allowed.
    Never,
    /// `1N`: the PIN with reference N verified.
    Pin {
        /// The PIN's name in the profile.
        name: String,
        /// Its reference (VERIFY P2).
        reference: u8,
    },
    /// `2N`: external authentication with key id N of the current DF done.
    Auth {
        /// The key's name in the profile.
        key: String,
        /// Its key id.
        id: u8,
    },
    /// `3N`: secure messaging with a MAC under key id N.
    Mac {
        /// The key's name in the profile.
        key: String,
        /// Its key id.
        id: u8,
    },
}

impl Access {
    /// The card-OS access condition this names (the profile adds only the names).
    pub fn condition(&self) -> AccessCondition {
        match self {
            Access::Always => AccessCondition::Always,
            Access::Never => AccessCondition::Never,
            Access::Pin { reference, .. } => AccessCondition::Pin(*reference),
            Access::Auth { id, .. } => AccessCondition::ExternalAuth(*id),
            Access::Mac { id, .. } => AccessCondition::SecureMessaging(*id),
        }
    }

    /// The access-condition byte.
    pub fn byte(&self) -> u8 {
        self.condition().to_byte()
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::Always => f.write_str("always"),
            Access::Never => f.write_str("never"),
            Access::Pin { name, reference } => write!(f, "pin:{name} (ref {reference:02X})"),
            Access::Auth { key, id } => write!(f, "auth:{key} (key {id:02X})"),
            Access::Mac { key, id } => write!(f, "mac:{key} (key {id:02X})"),
        }
    }
}

/// The six access conditions of a file, in the security-attribute order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessRules {
    /// READ BINARY / READ RECORD.
    pub read: Access,
    /// UPDATE (and APPEND).
    pub update: Access,
    /// CREATE FILE in this DF (and WRITE KEY).
    pub create: Access,
    /// DELETE FILE.
    pub delete: Access,
    /// ACTIVATE FILE.
    pub activate: Access,
    /// DEACTIVATE FILE.
    pub deactivate: Access,
}

impl AccessRules {
    /// The operation names, in security-attribute order.
    pub const OPERATIONS: [&'static str; 6] = [
        "read",
        "update",
        "create",
        "delete",
        "activate",
        "deactivate",
    ];

    /// The conditions in security-attribute order.
    pub fn in_order(&self) -> [&Access; 6] {
        [
            &self.read,
            &self.update,
            &self.create,
            &self.delete,
            &self.activate,
            &self.deactivate,
        ]
    }

    /// The 6 bytes of tag 86.
    pub fn bytes(&self) -> [u8; 6] {
        self.in_order().map(Access::byte)
    }
}

/// What a key is for (WRITE KEY usage byte, docs/cos.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// `01` external authentication (the write key, the read key RKSSSE, ...).
    ExternalAuth,
    /// `02` internal authentication (IRK).
    InternalAuth,
    /// `03` application maintenance / MAC key (STK).
    Maintenance,
    /// `04` PIN unblock key (PUK).
    PinUnblock,
    /// `05` PIN reload key.
    PinReload,
}

impl KeyRole {
    /// Every role.
    pub const ALL: [KeyRole; 5] = [
        KeyRole::ExternalAuth,
        KeyRole::InternalAuth,
        KeyRole::Maintenance,
        KeyRole::PinUnblock,
        KeyRole::PinReload,
    ];
    /// The card-OS key usage.
    pub fn key_usage(self) -> KeyUsage {
        match self {
            KeyRole::ExternalAuth => KeyUsage::ExternalAuth,
            KeyRole::InternalAuth => KeyUsage::InternalAuth,
            KeyRole::Maintenance => KeyUsage::Maintenance,
            KeyRole::PinUnblock => KeyUsage::PinUnblock,
            KeyRole::PinReload => KeyUsage::PinReload,
        }
    }
    /// The WRITE KEY usage byte.
    pub fn usage(self) -> u8 {
        self.key_usage().byte()
    }
    /// The profile spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::ExternalAuth => "external-auth",
            KeyRole::InternalAuth => "internal-auth",
            KeyRole::Maintenance => "maintenance",
            KeyRole::PinUnblock => "pin-unblock",
            KeyRole::PinReload => "pin-reload",
        }
    }
}

/// Where the 8-byte factor of one diversification level comes from (uncertain per region:
/// data). A key's chain is a list of these (docs/crypto.md, "Diversification chains").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorSource {
    /// The last 8 bytes of the card identification code (EF05 tag 01): a card level.
    CardIdLast8,
    /// The last 8 bytes of the ATR historical bytes: a card level.
    AtrHistoricalLast8,
    /// The last 8 bytes of the whole ATR: a card level.
    AtrLast8,
    /// The issuing region (the first 6 digits of the card identification code) in ASCII,
    /// followed by `73 78`: a city level.
    RegionAscii7378,
}

impl FactorSource {
    /// Every source.
    pub const ALL: [FactorSource; 4] = [
        FactorSource::CardIdLast8,
        FactorSource::AtrHistoricalLast8,
        FactorSource::AtrLast8,
        FactorSource::RegionAscii7378,
    ];
    /// The profile spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorSource::CardIdLast8 => "card-id-last8",
            FactorSource::AtrHistoricalLast8 => "atr-historical-last8",
            FactorSource::AtrLast8 => "atr-last8",
            FactorSource::RegionAscii7378 => "region-ascii-7378",
        }
    }
}

/// A key's diversification chain as the profile names it: no level (the key file's value is
/// the card's key), one level (`"card-id-last8"`), or several in order
/// (`["region-ascii-7378", "atr-last8"]`: city level, then card level).
pub type Diversification = Vec<FactorSource>;

/// The profile spelling of a chain: `none`, `card-id-last8`, `region-ascii-7378>atr-last8`.
pub fn diversification_text(chain: &[FactorSource]) -> String {
    if chain.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = chain.iter().map(|s| s.as_str()).collect();
    names.join(">")
}

/// A key the card holds (its value is never in a profile: see the key file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Name used by access conditions and key files (`write`, `maintenance`, ...).
    pub name: String,
    /// Operator label.
    pub label: String,
    /// Key id in its DF (WRITE KEY P2, access condition nibble).
    pub id: u8,
    /// What it is for.
    pub role: KeyRole,
    /// 3DES or SM4.
    pub algorithm: Algorithm,
    /// Empty: the key file's value is loaded as is; else diversified level by level.
    pub diversification: Diversification,
    /// Tries before the key blocks (0 = unlimited).
    pub max_tries: u8,
}

/// A PIN the card holds.
#[derive(Clone, PartialEq, Eq)]
pub struct PinSpec {
    /// Name used by access conditions (`holder`).
    pub name: String,
    /// Operator label.
    pub label: String,
    /// Reference (VERIFY P2, WRITE KEY key id).
    pub reference: u8,
    /// The initial PIN set at init (the issuing default, e.g. `123456`). Never printed.
    pub initial: String,
    /// Wrong tries before it blocks.
    pub max_tries: u8,
}

impl fmt::Debug for PinSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinSpec")
            .field("name", &self.name)
            .field("reference", &self.reference)
            .field("initial", &"******")
            .field("max_tries", &self.max_tries)
            .finish()
    }
}

/// A dedicated file (the MF is one too).
#[derive(Debug, Clone)]
pub struct Df {
    /// Name in the profile (unique): `mf`, `ssse`, ...
    pub name: String,
    /// Operator label.
    pub label: String,
    /// File id, if selected by id.
    pub fid: Option<u16>,
    /// DF name (AID) bytes, if selected by name.
    pub aid: Option<Vec<u8>>,
    /// Life cycle status at creation.
    pub lcs: Lcs,
    /// Access conditions.
    pub access: AccessRules,
    /// The algorithm identifier its FCI carries (`9F0C 03 86 01 xx`), if the profile names one.
    pub algorithm_id: Option<crate::cos::AlgorithmId>,
    /// Keys loaded into this DF.
    pub keys: Vec<KeySpec>,
    /// PINs loaded into this DF.
    pub pins: Vec<PinSpec>,
    /// Elementary files directly in this DF.
    pub efs: Vec<Ef>,
    /// Child DFs.
    pub dfs: Vec<Df>,
}

/// How big an EF is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EfSize {
    /// Transparent: this many bytes.
    Bytes(u16),
    /// Record EF: number of records and maximum record length (bytes, tag and length included).
    Records {
        /// Number of records.
        count: u8,
        /// Maximum record length.
        length: u16,
    },
}

/// An elementary file.
#[derive(Debug, Clone)]
pub struct Ef {
    /// Name in its DF (`ef05`).
    pub name: String,
    /// Operator label.
    pub label: String,
    /// File id.
    pub fid: u16,
    /// Short file id (1..=30).
    pub sfi: Option<u8>,
    /// Structure.
    pub structure: Structure,
    /// Size.
    pub size: EfSize,
    /// Life cycle status at creation.
    pub lcs: Lcs,
    /// Access conditions.
    pub access: AccessRules,
    /// Data elements, in record order.
    pub elements: Vec<Element>,
    /// When the EF holds the holder's photo (a transparent EF, EF08): what the photo is.
    pub photo: Option<PhotoSpec>,
}

/// The photo a transparent EF holds (EF08): a baseline JPEG of `width` × `height` pixels,
/// at most the EF's size, written with UPDATE BINARY in chunks of at most `chunk` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhotoSpec {
    /// Width in pixels (150 by default).
    pub width: u32,
    /// Height in pixels (180 by default).
    pub height: u32,
    /// The most data bytes the card takes in one UPDATE BINARY (255 by default).
    pub chunk: u8,
}

impl PhotoSpec {
    /// Default width in pixels.
    pub const WIDTH: u32 = 150;
    /// Default height in pixels.
    pub const HEIGHT: u32 = 180;
    /// Default largest UPDATE BINARY data field.
    pub const CHUNK: u8 = 255;
    /// The smallest EF that can hold a photo (a JPEG's headers alone take about 600 bytes).
    pub const MIN_SIZE: u16 = 1024;
}

/// One data element: one SIMPLE-TLV record of a record EF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Machine field name, unique in the profile (`ssn`, `name`, `card_number`, ...).
    pub name: String,
    /// Operator label (`社会保障号码`).
    pub label: String,
    /// SIMPLE-TLV tag.
    pub tag: u8,
    /// Record number (1-based).
    pub record: u8,
    /// Value length in bytes.
    pub length: usize,
    /// Encoding.
    pub format: Format,
    /// Padding.
    pub padding: Padding,
    /// Must a record (input) give it?
    pub required: bool,
    /// Validation rule, if any.
    pub rule: Option<Rule>,
    /// Allowed values (empty: any value the format and rule allow).
    pub values: Vec<String>,
    /// When this element continues another (name extension 4E continues `name`): its name.
    pub continues: Option<String>,
}

impl Element {
    /// Checks and encodes operator text into the element's value bytes.
    pub fn encode(&self, value: &str) -> Result<Vec<u8>, crate::codec::FieldError> {
        self.validate(value)?;
        crate::codec::encode(self.format, self.length, self.padding, value).map_err(|e| self.err(e))
    }

    /// Decodes the element's value bytes into operator text.
    pub fn decode(&self, bytes: &[u8]) -> Result<String, crate::codec::FieldError> {
        crate::codec::decode(self.format, self.padding, bytes).map_err(|e| self.err(e))
    }

    /// Checks the rule and the value set (not the encoding).
    pub fn validate(&self, value: &str) -> Result<(), crate::codec::FieldError> {
        if let Some(rule) = self.rule {
            rule.check(value).map_err(|e| self.err(e))?;
        }
        if !self.values.is_empty() && !self.values.iter().any(|v| v == value) {
            return Err(self.err(crate::codec::CodecError::Rule(format!(
                "'{value}' is not one of the values this profile allows ({})",
                self.values.join(", ")
            ))));
        }
        Ok(())
    }

    fn err(&self, e: crate::codec::CodecError) -> crate::codec::FieldError {
        crate::codec::FieldError::new(&self.name, &self.label, e)
    }
}
