//! The profile file as written (serde, `deny_unknown_fields`), with source spans so that every
//! semantic problem can be reported at its line.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub profile: S<RawMeta>,
    pub mf: S<RawDf>,
    #[serde(default)]
    pub commands: BTreeMap<String, S<RawScriptRef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub name: S<String>,
    pub spec_version: Option<S<String>>,
    pub generation: Option<S<i64>>,
    pub region: Option<S<String>>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScriptRef {
    pub script: S<String>,
    pub block: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccess {
    pub read: Option<S<String>>,
    pub update: Option<S<String>>,
    pub create: Option<S<String>>,
    pub delete: Option<S<String>>,
    pub activate: Option<S<String>>,
    pub deactivate: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDf {
    /// Absent for the MF (it is `mf`).
    pub name: Option<S<String>>,
    #[serde(default)]
    pub label: String,
    pub fid: Option<S<String>>,
    pub aid: Option<S<String>>,
    pub lcs: Option<S<String>>,
    pub access: Option<S<RawAccess>>,
    /// The algorithm identifier of the FCI (`9F0C`): `3des`, `ssf33` or `sm4`.
    pub algorithm_id: Option<S<String>>,
    #[serde(default)]
    pub key: Vec<S<RawKey>>,
    #[serde(default)]
    pub pin: Vec<S<RawPin>>,
    #[serde(default)]
    pub ef: Vec<S<RawEf>>,
    #[serde(default)]
    pub df: Vec<S<RawDf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub name: S<String>,
    #[serde(default)]
    pub label: String,
    pub id: S<i64>,
    pub role: S<String>,
    pub algorithm: S<String>,
    /// A string (one level, or `none`) or an array of strings (a chain).
    pub diversification: Option<S<toml::Value>>,
    pub max_tries: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPin {
    pub name: S<String>,
    #[serde(default)]
    pub label: String,
    pub reference: S<i64>,
    pub initial: Option<S<String>>,
    pub max_tries: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEf {
    pub name: S<String>,
    #[serde(default)]
    pub label: String,
    pub fid: S<String>,
    pub sfi: Option<S<i64>>,
    pub structure: S<String>,
    pub size: Option<S<i64>>,
    pub records: Option<S<i64>>,
    pub record_length: Option<S<i64>>,
    pub lcs: Option<S<String>>,
    pub access: Option<S<RawAccess>>,
    #[serde(default)]
    pub element: Vec<S<RawElement>>,
    pub photo: Option<S<RawPhoto>>,
}

/// `photo = { width = 150, height = 180, chunk = 255 }` on a transparent EF.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPhoto {
    pub width: Option<S<i64>>,
    pub height: Option<S<i64>>,
    pub chunk: Option<S<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawElement {
    pub name: S<String>,
    #[serde(default)]
    pub label: String,
    pub tag: S<String>,
    pub record: S<i64>,
    pub length: S<i64>,
    pub format: S<String>,
    pub padding: Option<S<String>>,
    #[serde(default = "yes")]
    pub required: bool,
    pub validate: Option<S<String>>,
    #[serde(default)]
    pub values: Vec<String>,
    pub continues: Option<S<String>>,
}

fn yes() -> bool {
    true
}
