//! Checks of EFs and their data elements.

use super::check::Ctx;
use super::error::IssueKind;
use super::model::*;
use super::raw::*;
use crate::codec::rules::Rule;
use crate::codec::{Format, Padding};
use crate::error::ErrorChain;
use std::collections::BTreeMap;
use std::ops::Range;

/// Bytes of the SIMPLE-TLV header (tag + length) before a value of `len` bytes.
pub fn tlv_header_len(len: usize) -> usize {
    if len <= 254 { 2 } else { 4 }
}

impl Ctx<'_> {
    pub(super) fn ef(
        &mut self,
        e: RawEf,
        span: Range<usize>,
        parent: &str,
        keys: &[KeySpec],
        pins: &Vec<(String, u8)>,
    ) -> Ef {
        let name = e.name.get_ref().clone();
        let path = format!("{parent}/{name}");
        let fb = self.hex_exact(&e.fid, 2, &path, "fid");
        let fid = u16::from_be_bytes([
            fb.first().copied().unwrap_or(0),
            fb.get(1).copied().unwrap_or(0),
        ]);
        if matches!(fid, 0x3F00 | 0x3FFF | 0xFFFF) {
            self.issue(
                IssueKind::ReservedFid,
                e.fid.span(),
                &path,
                "fid",
                format!("file id {fid:04X} is reserved by ISO 7816-4"),
            );
        }
        let sfi = e.sfi.as_ref().map(|s| {
            let n = *s.get_ref();
            if !(1..=30).contains(&n) {
                self.issue(
                    IssueKind::SfiOutOfRange,
                    s.span(),
                    &path,
                    "sfi",
                    format!("SFI {n} is outside 1 to 30 (ISO 7816-4 short file identifiers)"),
                );
                1
            } else {
                n as u8
            }
        });
        let structure = self
            .pick(
                &e.structure,
                &Structure::ALL,
                Structure::as_str,
                IssueKind::UnknownStructure,
                &path,
                "structure",
            )
            .unwrap_or(Structure::LinearVariable);
        let size = self.ef_size(&e, structure, &path, span.clone());
        let lcs = match &e.lcs {
            None => Lcs::Activated,
            Some(s) => self
                .pick(
                    s,
                    &Lcs::ALL,
                    Lcs::as_str,
                    IssueKind::UnknownLcs,
                    &path,
                    "lcs",
                )
                .unwrap_or(Lcs::Activated),
        };
        let access = self.access(e.access.as_ref(), &path, keys, pins);
        let elements = self.elements(&e.element, &path, size, span);
        let photo = e.photo.as_ref().map(|p| self.photo(p, &path, size));
        Ef {
            name,
            label: e.label,
            fid,
            sfi,
            structure,
            size,
            lcs,
            access,
            elements,
            photo,
        }
    }

    /// `photo = { width, height, chunk }`: only on a transparent EF big enough for a JPEG.
    fn photo(&mut self, p: &S<RawPhoto>, path: &str, size: EfSize) -> PhotoSpec {
        let r = p.get_ref();
        match size {
            EfSize::Bytes(n) if n < PhotoSpec::MIN_SIZE => self.issue(
                IssueKind::BadSize,
                p.span(),
                path,
                "photo",
                format!(
                    "a photo EF of {n} bytes cannot hold a JPEG: give the EF a `size` of at least {}",
                    PhotoSpec::MIN_SIZE
                ),
            ),
            EfSize::Bytes(_) => {}
            EfSize::Records { .. } => self.issue(
                IssueKind::BadSize,
                p.span(),
                path,
                "photo",
                "a photo lives in a transparent EF (`structure = \"transparent\"`, `size`), not in records",
            ),
        }
        let mut dim = |v: &Option<S<i64>>, key: &str, default: u32| {
            v.as_ref()
                .map_or(default, |v| self.num(v, 16..=1024, path, key) as u32)
        };
        let width = dim(&r.width, "photo.width", PhotoSpec::WIDTH);
        let height = dim(&r.height, "photo.height", PhotoSpec::HEIGHT);
        let chunk = r.chunk.as_ref().map_or(PhotoSpec::CHUNK, |v| {
            self.num(v, 16..=255, path, "photo.chunk") as u8
        });
        PhotoSpec {
            width,
            height,
            chunk,
        }
    }

    fn ef_size(
        &mut self,
        e: &RawEf,
        structure: Structure,
        path: &str,
        span: Range<usize>,
    ) -> EfSize {
        if structure.is_record() {
            if let Some(s) = &e.size {
                self.issue(
                    IssueKind::BadSize,
                    s.span(),
                    path,
                    "size",
                    "a record EF has `records` and `record_length`, not `size`",
                );
            }
            match (&e.records, &e.record_length) {
                (Some(c), Some(l)) => EfSize::Records {
                    count: self.num(c, 1..=254, path, "records") as u8,
                    length: self.num(l, 1..=255, path, "record_length") as u16,
                },
                _ => {
                    self.issue(
                        IssueKind::BadSize,
                        span,
                        path,
                        "records",
                        "a record EF needs `records` (how many) and `record_length` (the longest record, tag and length included)",
                    );
                    EfSize::Records {
                        count: 1,
                        length: 1,
                    }
                }
            }
        } else {
            if let Some(r) = e.records.as_ref().or(e.record_length.as_ref()) {
                self.issue(
                    IssueKind::BadSize,
                    r.span(),
                    path,
                    "records",
                    "a transparent EF has a `size`, not records",
                );
            }
            match &e.size {
                Some(s) => EfSize::Bytes(self.num(s, 1..=32767, path, "size") as u16),
                None => {
                    self.issue(
                        IssueKind::BadSize,
                        span,
                        path,
                        "size",
                        "a transparent EF needs a `size` in bytes",
                    );
                    EfSize::Bytes(1)
                }
            }
        }
    }

    fn elements(
        &mut self,
        raw: &[S<RawElement>],
        path: &str,
        size: EfSize,
        ef_span: Range<usize>,
    ) -> Vec<Element> {
        let (count, rec_len) = match size {
            EfSize::Records { count, length } => (count, usize::from(length)),
            EfSize::Bytes(_) => {
                if !raw.is_empty() {
                    self.issue(
                        IssueKind::BadSize,
                        ef_span,
                        path,
                        "element",
                        "data elements live in record EFs (one SIMPLE-TLV element per record); this EF is transparent",
                    );
                }
                return Vec::new();
            }
        };
        let mut out: Vec<Element> = Vec::new();
        let mut tags: BTreeMap<u8, String> = BTreeMap::new();
        let mut records: BTreeMap<u8, String> = BTreeMap::new();
        for el in raw {
            let r = el.get_ref();
            let name = r.name.get_ref().clone();
            let epath = format!("{path} element '{name}'");
            if !self.element_names.insert(name.clone()) {
                self.issue(
                    IssueKind::DuplicateName,
                    r.name.span(),
                    &epath,
                    "name",
                    format!("another element is already named '{name}': element names are unique in a profile"),
                );
            }
            let tag = self
                .hex_exact(&r.tag, 1, &epath, "tag")
                .first()
                .copied()
                .unwrap_or(0);
            if matches!(tag, 0x00 | 0xFF) {
                self.issue(
                    IssueKind::BadHex,
                    r.tag.span(),
                    &epath,
                    "tag",
                    "SIMPLE-TLV tags are 01 to FE",
                );
            } else if let Some(other) = tags.insert(tag, name.clone()) {
                self.issue(
                    IssueKind::DuplicateTag,
                    r.tag.span(),
                    &epath,
                    "tag",
                    format!("tag {tag:02X} is already element '{other}' of this EF"),
                );
            }
            let record = *r.record.get_ref();
            let record = if (1..=i64::from(count)).contains(&record) {
                if let Some(other) = records.insert(record as u8, name.clone()) {
                    self.issue(
                        IssueKind::DuplicateRecord,
                        r.record.span(),
                        &epath,
                        "record",
                        format!("record {record} already holds element '{other}' (one element per record)"),
                    );
                }
                record as u8
            } else {
                self.issue(
                    IssueKind::RecordOutOfRange,
                    r.record.span(),
                    &epath,
                    "record",
                    format!("record {record} does not exist: this EF has records 1 to {count}"),
                );
                1
            };
            let length = self.num(&r.length, 1..=253, &epath, "length") as usize;
            if length + tlv_header_len(length) > rec_len {
                self.issue(
                    IssueKind::ElementTooLong,
                    r.length.span(),
                    &epath,
                    "length",
                    format!(
                        "{length} bytes + {} of tag and length do not fit the EF's record length {rec_len}",
                        tlv_header_len(length)
                    ),
                );
            }
            let format = match r.format.get_ref().parse::<Format>() {
                Ok(f) => f,
                Err(e) => {
                    self.issue(
                        IssueKind::UnknownFormat,
                        r.format.span(),
                        &epath,
                        "format",
                        e.chain().to_string(),
                    );
                    Format::B
                }
            };
            let padding = self.padding(r.padding.as_ref(), format, &epath);
            let rule = r
                .validate
                .as_ref()
                .and_then(|v| match v.get_ref().parse::<Rule>() {
                    Ok(rule) => Some(rule),
                    Err(msg) => {
                        self.issue(IssueKind::UnknownRule, v.span(), &epath, "validate", msg);
                        None
                    }
                });
            let element = Element {
                name,
                label: r.label.clone(),
                tag,
                record,
                length,
                format,
                padding,
                required: r.required,
                rule,
                values: r.values.clone(),
                continues: r.continues.as_ref().map(|c| c.get_ref().clone()),
            };
            for v in &element.values {
                if let Err(e) = element.encode_unchecked(v) {
                    self.issue(
                        IssueKind::BadValue,
                        el.span(),
                        &epath,
                        "values",
                        format!("'{v}': {e}", e = e.chain()),
                    );
                }
            }
            out.push(element);
        }
        for el in raw {
            let r = el.get_ref();
            if let Some(c) = &r.continues
                && !out
                    .iter()
                    .any(|e| e.name == *c.get_ref() && e.name != *r.name.get_ref())
            {
                self.issue(
                    IssueKind::BadContinuation,
                    c.span(),
                    &format!("{path} element '{}'", r.name.get_ref()),
                    "continues",
                    format!("no other element named '{}' in this EF", c.get_ref()),
                );
            }
        }
        out.sort_by_key(|e| e.record);
        out
    }

    fn padding(&mut self, raw: Option<&S<String>>, format: Format, path: &str) -> Padding {
        let Some(p) = raw else {
            return format.default_padding();
        };
        let padding = match p.get_ref().parse::<Padding>() {
            Ok(pad) => pad,
            Err(e) => {
                self.issue(
                    IssueKind::UnknownPadding,
                    p.span(),
                    path,
                    "padding",
                    e.chain().to_string(),
                );
                return format.default_padding();
            }
        };
        let fits = match format {
            Format::An | Format::Gbk | Format::B => {
                matches!(padding, Padding::Byte(_) | Padding::None)
            }
            Format::Cn | Format::Date => matches!(padding, Padding::NibbleF | Padding::None),
            Format::N => padding == Padding::LeadingZero,
        };
        if !fits {
            self.issue(
                IssueKind::UnknownPadding,
                p.span(),
                path,
                "padding",
                format!("padding '{padding}' cannot be used with format {format}"),
            );
        }
        padding
    }
}

impl Element {
    /// Encodes without the rule check (used to check a profile's own value sets).
    fn encode_unchecked(&self, v: &str) -> Result<Vec<u8>, crate::codec::CodecError> {
        crate::codec::encode(self.format, self.length, self.padding, v)
    }
}
