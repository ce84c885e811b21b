//! Turning the raw file into a [`Profile`], collecting every semantic problem on the way.

use super::error::{Issue, IssueKind, line_col};
use super::model::*;
use super::raw::*;
use crate::codec::rules;
use crate::error::ErrorChain;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

/// The checker: source text (for lines) and the problems found so far.
pub(super) struct Ctx<'a> {
    text: &'a str,
    issues: Vec<Issue>,
    df_names: HashSet<String>,
    pub(super) element_names: HashSet<String>,
}

/// A PIN visible from a DF: (name, reference).
pub(super) type PinScope = Vec<(String, u8)>;

impl<'a> Ctx<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Ctx {
            text,
            issues: Vec::new(),
            df_names: HashSet::new(),
            element_names: HashSet::new(),
        }
    }

    /// The issues, without the follow-on ones: a number or hex value that was refused was
    /// replaced by a stand-in to go on checking, so a "duplicate" found in the same DF may be
    /// that stand-in's doing; it is left out (fix the value, check again).
    pub(super) fn into_issues(self) -> Vec<Issue> {
        let df = |path: &str| path.split(' ').next().unwrap_or("").to_string();
        let bad_values: std::collections::BTreeSet<String> = self
            .issues
            .iter()
            .filter(|i| matches!(i.kind, IssueKind::OutOfRange | IssueKind::BadHex))
            .map(|i| df(&i.path))
            .collect();
        self.issues
            .into_iter()
            .filter(|i| {
                let follow_on = matches!(
                    i.kind,
                    IssueKind::DuplicateFid
                        | IssueKind::DuplicateSfi
                        | IssueKind::DuplicateTag
                        | IssueKind::DuplicateRecord
                        | IssueKind::DuplicateKeyId
                );
                !(follow_on && bad_values.contains(&df(&i.path)))
            })
            .collect()
    }

    /// Records a problem at `span`.
    pub(super) fn issue(
        &mut self,
        kind: IssueKind,
        span: Range<usize>,
        path: &str,
        key: &str,
        message: impl Into<String>,
    ) {
        let (line, column) = line_col(self.text, span.start);
        self.issues.push(Issue {
            kind,
            line,
            column,
            path: path.to_string(),
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// A number within `range`, or an issue.
    pub(super) fn num(
        &mut self,
        v: &S<i64>,
        range: std::ops::RangeInclusive<i64>,
        path: &str,
        key: &str,
    ) -> i64 {
        let n = *v.get_ref();
        if !range.contains(&n) {
            self.issue(
                IssueKind::OutOfRange,
                v.span(),
                path,
                key,
                format!(
                    "{n} is out of range: use {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            return *range.start();
        }
        n
    }

    /// Hex of exactly `len` bytes, or an issue.
    pub(super) fn hex_exact(
        &mut self,
        v: &S<String>,
        len: usize,
        path: &str,
        key: &str,
    ) -> Vec<u8> {
        match crate::apdu::parse_hex(v.get_ref()) {
            Ok(b) if b.len() == len => b,
            Ok(b) => {
                self.issue(
                    IssueKind::BadHex,
                    v.span(),
                    path,
                    key,
                    format!(
                        "'{}' is {} byte(s); {len} byte(s) ({} hex digits) are needed",
                        v.get_ref(),
                        b.len(),
                        len * 2
                    ),
                );
                vec![0; len]
            }
            Err(e) => {
                self.issue(
                    IssueKind::BadHex,
                    v.span(),
                    path,
                    key,
                    format!("'{}' is not hex: {e}", v.get_ref(), e = e.chain()),
                );
                vec![0; len]
            }
        }
    }

    /// Parses a spelled-out value from a fixed list, or reports `kind`.
    pub(super) fn pick<T: Copy>(
        &mut self,
        v: &S<String>,
        all: &[T],
        name: impl Fn(T) -> &'static str,
        kind: IssueKind,
        path: &str,
        key: &str,
    ) -> Option<T> {
        let found = all
            .iter()
            .copied()
            .find(|&t| name(t) == v.get_ref().as_str());
        if found.is_none() {
            let known: Vec<&str> = all.iter().map(|&t| name(t)).collect();
            self.issue(
                kind,
                v.span(),
                path,
                key,
                format!(
                    "unknown value '{}' (known: {})",
                    v.get_ref(),
                    known.join(", ")
                ),
            );
        }
        found
    }

    fn lcs(&mut self, v: &Option<S<String>>, default: Lcs, path: &str) -> Lcs {
        match v {
            None => default,
            Some(s) => self
                .pick(
                    s,
                    &Lcs::ALL,
                    Lcs::as_str,
                    IssueKind::UnknownLcs,
                    path,
                    "lcs",
                )
                .unwrap_or(default),
        }
    }

    pub(super) fn profile(&mut self, raw: RawProfile) -> Profile {
        let meta = self.meta(raw.profile.get_ref());
        let mut commands = BTreeMap::new();
        for (k, v) in &raw.commands {
            let r = v.get_ref();
            if r.script.get_ref().trim().is_empty() || r.block.get_ref().trim().is_empty() {
                self.issue(
                    IssueKind::BadMeta,
                    v.span(),
                    &format!("commands.{k}"),
                    "script",
                    "a command list needs a script path and a block name",
                );
            }
            commands.insert(
                k.clone(),
                ScriptRef {
                    script: r.script.get_ref().clone(),
                    block: r.block.get_ref().clone(),
                },
            );
        }
        let mf_span = raw.mf.span();
        let mf = self.df(raw.mf.into_inner(), mf_span, None, &Vec::new());
        Profile { meta, mf, commands }
    }

    fn meta(&mut self, m: &RawMeta) -> Meta {
        let p = "profile";
        if m.name.get_ref().trim().is_empty() {
            self.issue(
                IssueKind::BadMeta,
                m.name.span(),
                p,
                "name",
                "the profile needs a name",
            );
        }
        if let Some(v) = &m.spec_version
            && let Err(e) = rules::check_spec_version(v.get_ref())
        {
            self.issue(
                IssueKind::BadMeta,
                v.span(),
                p,
                "spec_version",
                e.chain().to_string(),
            );
        }
        if let Some(r) = &m.region
            && let Err(e) = rules::check_region_code(r.get_ref())
        {
            self.issue(
                IssueKind::BadMeta,
                r.span(),
                p,
                "region",
                format!(
                    "'{}' is not a 6-digit region code: {e}",
                    r.get_ref(),
                    e = e.chain()
                ),
            );
        }
        let generation = m
            .generation
            .as_ref()
            .map(|g| self.num(g, 1..=9, p, "generation") as u8);
        Meta {
            name: m.name.get_ref().clone(),
            spec_version: m.spec_version.as_ref().map(|v| v.get_ref().clone()),
            generation,
            region: m.region.as_ref().map(|v| v.get_ref().clone()),
            description: m.description.clone(),
        }
    }

    /// Converts one DF; `parent` is the path of the parent (None for the MF).
    fn df(
        &mut self,
        d: RawDf,
        span: Range<usize>,
        parent: Option<&str>,
        pins_above: &PinScope,
    ) -> Df {
        let is_mf = parent.is_none();
        let name = match (&d.name, is_mf) {
            (Some(n), _) => n.get_ref().clone(),
            (None, true) => "mf".to_string(),
            (None, false) => {
                self.issue(
                    IssueKind::MissingName,
                    span.clone(),
                    parent.unwrap_or(""),
                    "name",
                    "a DF needs a name",
                );
                String::new()
            }
        };
        let path = match parent {
            None => name.clone(),
            Some(p) => format!("{p}/{name}"),
        };
        if !name.is_empty() && !self.df_names.insert(name.clone()) {
            let s = d.name.as_ref().map_or(span.clone(), |n| n.span());
            self.issue(
                IssueKind::DuplicateName,
                s,
                &path,
                "name",
                format!(
                    "another DF is already named '{name}': DF names must be unique in a profile"
                ),
            );
        }
        let fid = d.fid.as_ref().map(|f| {
            let b = self.hex_exact(f, 2, &path, "fid");
            u16::from_be_bytes([
                b.first().copied().unwrap_or(0),
                b.get(1).copied().unwrap_or(0),
            ])
        });
        if let (Some(f), Some(raw)) = (fid, &d.fid) {
            if is_mf && f != 0x3F00 {
                self.issue(
                    IssueKind::ReservedFid,
                    raw.span(),
                    &path,
                    "fid",
                    "the MF's file id is 3F00",
                );
            } else if !is_mf && matches!(f, 0x3F00 | 0x3FFF | 0xFFFF) {
                self.issue(
                    IssueKind::ReservedFid,
                    raw.span(),
                    &path,
                    "fid",
                    format!("file id {f:04X} is reserved by ISO 7816-4"),
                );
            }
        }
        let aid = d.aid.as_ref().map(|a| self.aid(a, &path));
        if !is_mf && fid.is_none() && aid.is_none() {
            self.issue(
                IssueKind::NoSelector,
                span.clone(),
                &path,
                "fid",
                "a DF needs a fid, an aid, or both: otherwise it cannot be selected",
            );
        }
        let lcs = self.lcs(
            &d.lcs,
            if is_mf {
                Lcs::Creation
            } else {
                Lcs::Initialisation
            },
            &path,
        );
        let keys = self.keys(&d.key, &path);
        let algorithm_id = self.algorithm_id(d.algorithm_id.as_ref(), &path, &keys);
        let pins = self.pins(&d.pin, &path);
        // WRITE KEY puts keys and PINs in one id space per DF (docs/cos.md).
        for (raw, pin) in d.pin.iter().zip(&pins) {
            if let Some(k) = keys.iter().find(|k| k.id == pin.reference) {
                self.issue(
                    IssueKind::DuplicateKeyId,
                    raw.get_ref().reference.span(),
                    &format!("{path} pin '{}'", pin.name),
                    "reference",
                    format!(
                        "PIN reference {:02X} is also the id of key '{}': keys and PINs of a DF share one id space (WRITE KEY)",
                        pin.reference, k.name
                    ),
                );
            }
        }
        let mut scope = pins_above.clone();
        scope.extend(pins.iter().map(|p| (p.name.clone(), p.reference)));
        let access = self.access(d.access.as_ref(), &path, &keys, &scope);
        let mut efs = Vec::new();
        let mut seen_fid: BTreeMap<u16, String> = BTreeMap::new();
        let mut seen_sfi: BTreeMap<u8, String> = BTreeMap::new();
        let mut seen_ef_names = HashSet::new();
        for e in d.ef {
            let espan = e.span();
            let ef = self.ef(e.into_inner(), espan.clone(), &path, &keys, &scope);
            if !seen_ef_names.insert(ef.name.clone()) {
                self.issue(
                    IssueKind::DuplicateName,
                    espan.clone(),
                    &format!("{path}/{}", ef.name),
                    "name",
                    format!("DF '{name}' already has an EF named '{}'", ef.name),
                );
            }
            self.unique_fid(&mut seen_fid, ef.fid, &ef.name, &path, espan.clone());
            if let Some(sfi) = ef.sfi
                && let Some(other) = seen_sfi.insert(sfi, ef.name.clone())
            {
                self.issue(
                    IssueKind::DuplicateSfi,
                    espan,
                    &format!("{path}/{}", ef.name),
                    "sfi",
                    format!("SFI {sfi} is already used by EF '{other}' in this DF"),
                );
            }
            efs.push(ef);
        }
        let mut dfs = Vec::new();
        for c in d.df {
            let cspan = c.span();
            let child = self.df(c.into_inner(), cspan.clone(), Some(&path), &scope);
            if let Some(f) = child.fid {
                self.unique_fid(&mut seen_fid, f, &child.name, &path, cspan);
            }
            dfs.push(child);
        }
        Df {
            name,
            label: d.label,
            fid: if is_mf {
                Some(fid.unwrap_or(0x3F00))
            } else {
                fid
            },
            aid,
            lcs,
            access,
            algorithm_id,
            keys,
            pins,
            efs,
            dfs,
        }
    }

    fn unique_fid(
        &mut self,
        seen: &mut BTreeMap<u16, String>,
        fid: u16,
        who: &str,
        path: &str,
        span: Range<usize>,
    ) {
        if let Some(other) = seen.insert(fid, who.to_string()) {
            self.issue(
                IssueKind::DuplicateFid,
                span,
                &format!("{path}/{who}"),
                "fid",
                format!("file id {fid:04X} is already used by '{other}' in this DF"),
            );
        }
    }

    /// An AID as hex or `text:` (ASCII + GBK, e.g. `text:sx1.sh.社会保障`).
    fn aid(&mut self, a: &S<String>, path: &str) -> Vec<u8> {
        let s = a.get_ref();
        let bytes = if let Some(t) = s.strip_prefix("text:") {
            match super::text_bytes(t) {
                Ok(b) => b,
                Err(e) => {
                    self.issue(
                        IssueKind::BadHex,
                        a.span(),
                        path,
                        "aid",
                        format!("'{t}': {e}", e = e.chain()),
                    );
                    return Vec::new();
                }
            }
        } else {
            match crate::apdu::parse_hex(s) {
                Ok(b) => b,
                Err(e) => {
                    self.issue(
                        IssueKind::BadHex,
                        a.span(),
                        path,
                        "aid",
                        format!("'{s}' is neither hex nor text:...: {e}", e = e.chain()),
                    );
                    return Vec::new();
                }
            }
        };
        if !(5..=16).contains(&bytes.len()) {
            self.issue(
                IssueKind::AidLength,
                a.span(),
                path,
                "aid",
                format!(
                    "a DF name (AID) has 5 to 16 bytes; this one has {}",
                    bytes.len()
                ),
            );
        }
        bytes
    }
}
