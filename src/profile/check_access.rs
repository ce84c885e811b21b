//! Checks of keys, PINs and access conditions.

use super::check::{Ctx, PinScope};
use super::error::IssueKind;
use super::model::*;
use super::raw::*;

impl Ctx<'_> {
    /// `algorithm_id` of a DF: a known name, and the DF's keys of that algorithm (SSF33 keys
    /// have SM4's shape: 16-byte keys and blocks).
    pub(super) fn algorithm_id(
        &mut self,
        raw: Option<&S<String>>,
        path: &str,
        keys: &[KeySpec],
    ) -> Option<crate::cos::AlgorithmId> {
        use crate::cos::AlgorithmId;
        let r = raw?;
        let id = match r.get_ref().parse::<AlgorithmId>() {
            Ok(id) => id,
            Err(m) => {
                self.issue(
                    IssueKind::UnknownAlgorithm,
                    r.span(),
                    path,
                    "algorithm_id",
                    m,
                );
                return None;
            }
        };
        let want = match id {
            AlgorithmId::Des => crate::crypto::Algorithm::Tdes,
            AlgorithmId::Sm4 | AlgorithmId::Ssf33 => crate::crypto::Algorithm::Sm4,
        };
        if let Some(k) = keys.iter().find(|k| k.algorithm != want) {
            self.issue(
                IssueKind::BadValue,
                r.span(),
                path,
                "algorithm_id",
                format!(
                    "the DF says algorithm {} but its key '{}' is {}: write algorithm = \"{}\" for its keys{}",
                    id,
                    k.name,
                    k.algorithm,
                    if want == crate::crypto::Algorithm::Sm4 { "sm4" } else { "3des" },
                    if id == AlgorithmId::Ssf33 {
                        " (SSF33 keys have SM4's 16-byte shape; they live in a PSAM or HSM)"
                    } else {
                        ""
                    }
                ),
            );
        }
        Some(id)
    }

    pub(super) fn keys(&mut self, raw: &[S<RawKey>], path: &str) -> Vec<KeySpec> {
        let mut out: Vec<KeySpec> = Vec::new();
        for k in raw {
            let r = k.get_ref();
            let kpath = format!("{path} key '{}'", r.name.get_ref());
            let id = self.num(&r.id, 0..=15, &kpath, "id") as u8;
            let role = self
                .pick(
                    &r.role,
                    &KeyRole::ALL,
                    KeyRole::as_str,
                    IssueKind::UnknownRole,
                    &kpath,
                    "role",
                )
                .unwrap_or(KeyRole::ExternalAuth);
            let algorithm = match r.algorithm.get_ref().as_str() {
                "sm4" => crate::crypto::Algorithm::Sm4,
                "3des" | "tdes" => crate::crypto::Algorithm::Tdes,
                other => {
                    self.issue(
                        IssueKind::UnknownAlgorithm,
                        r.algorithm.span(),
                        &kpath,
                        "algorithm",
                        format!("unknown algorithm '{other}' (known: sm4, 3des)"),
                    );
                    crate::crypto::Algorithm::Sm4
                }
            };
            let diversification = match &r.diversification {
                None => Vec::new(),
                Some(d) => self.chain(d, &kpath),
            };
            let max_tries = r
                .max_tries
                .as_ref()
                .map_or(0, |t| self.num(t, 0..=15, &kpath, "max_tries") as u8);
            if out.iter().any(|o| o.name == *r.name.get_ref()) {
                self.issue(
                    IssueKind::DuplicateName,
                    r.name.span(),
                    &kpath,
                    "name",
                    "another key of this DF has this name",
                );
            }
            if let Some(o) = out.iter().find(|o| o.id == id) {
                self.issue(
                    IssueKind::DuplicateKeyId,
                    r.id.span(),
                    &kpath,
                    "id",
                    format!("key id {id:02X} is already key '{}' of this DF", o.name),
                );
            }
            out.push(KeySpec {
                name: r.name.get_ref().clone(),
                label: r.label.clone(),
                id,
                role,
                algorithm,
                diversification,
                max_tries,
            });
        }
        out
    }

    /// A diversification chain: `"none"`, one source, or an array of sources (in order).
    fn chain(&mut self, d: &S<toml::Value>, kpath: &str) -> Vec<FactorSource> {
        let one = |c: &mut Self, s: &str| {
            c.pick(
                &toml::Spanned::new(d.span(), s.to_string()),
                &FactorSource::ALL,
                FactorSource::as_str,
                IssueKind::UnknownDiversification,
                kpath,
                "diversification",
            )
        };
        match d.get_ref() {
            toml::Value::String(s) if s == "none" => Vec::new(),
            toml::Value::String(s) => one(self, s).into_iter().collect(),
            toml::Value::Array(levels) if !levels.is_empty() => {
                let mut out = Vec::new();
                for l in levels {
                    match l.as_str() {
                        Some(s) => out.extend(one(self, s)),
                        None => self.issue(
                            IssueKind::UnknownDiversification,
                            d.span(),
                            kpath,
                            "diversification",
                            format!("a chain level must be a source name in quotes, not {l}"),
                        ),
                    }
                }
                out
            }
            other => {
                self.issue(
                    IssueKind::UnknownDiversification,
                    d.span(),
                    kpath,
                    "diversification",
                    format!("expected a source name or a list of them (a chain), got {other}"),
                );
                Vec::new()
            }
        }
    }

    pub(super) fn pins(&mut self, raw: &[S<RawPin>], path: &str) -> Vec<PinSpec> {
        let mut out: Vec<PinSpec> = Vec::new();
        for p in raw {
            let r = p.get_ref();
            let ppath = format!("{path} pin '{}'", r.name.get_ref());
            let reference = self.num(&r.reference, 0..=15, &ppath, "reference") as u8;
            let max_tries = r
                .max_tries
                .as_ref()
                .map_or(3, |t| self.num(t, 1..=15, &ppath, "max_tries") as u8);
            let initial = r
                .initial
                .as_ref()
                .map_or("123456".to_string(), |i| i.get_ref().clone());
            if let Some(i) = &r.initial
                && crate::crypto::encode_pin(i.get_ref()).is_err()
            {
                self.issue(
                    IssueKind::OutOfRange,
                    i.span(),
                    &ppath,
                    "initial",
                    "the initial PIN must be 4 to 16 digits",
                );
            }
            if out.iter().any(|o| o.reference == reference) {
                self.issue(
                    IssueKind::DuplicateKeyId,
                    r.reference.span(),
                    &ppath,
                    "reference",
                    format!("PIN reference {reference} is already used in this DF"),
                );
            }
            out.push(PinSpec {
                name: r.name.get_ref().clone(),
                label: r.label.clone(),
                reference,
                initial,
                max_tries,
            });
        }
        out
    }

    /// Resolves the six access conditions against the keys the card checks (`keys`: those of
    /// the current DF) and the PINs visible from it.
    pub(super) fn access(
        &mut self,
        raw: Option<&S<RawAccess>>,
        path: &str,
        keys: &[KeySpec],
        pins: &PinScope,
    ) -> AccessRules {
        let get = |ctx: &mut Self, v: Option<&S<String>>, op: &str| -> Access {
            match v {
                None => Access::Never,
                Some(s) => ctx.one_access(s, path, op, keys, pins),
            }
        };
        let r = raw.map(|r| r.get_ref());
        AccessRules {
            read: get(self, r.and_then(|r| r.read.as_ref()), "read"),
            update: get(self, r.and_then(|r| r.update.as_ref()), "update"),
            create: get(self, r.and_then(|r| r.create.as_ref()), "create"),
            delete: get(self, r.and_then(|r| r.delete.as_ref()), "delete"),
            activate: get(self, r.and_then(|r| r.activate.as_ref()), "activate"),
            deactivate: get(self, r.and_then(|r| r.deactivate.as_ref()), "deactivate"),
        }
    }

    fn one_access(
        &mut self,
        s: &S<String>,
        path: &str,
        op: &str,
        keys: &[KeySpec],
        pins: &PinScope,
    ) -> Access {
        let key = format!("access.{op}");
        let text = s.get_ref().trim();
        match text.split_once(':') {
            None if text == "always" => Access::Always,
            None if text == "never" => Access::Never,
            Some(("pin", n)) => match pins.iter().rev().find(|(pn, _)| pn == n) {
                Some((name, reference)) => Access::Pin {
                    name: name.clone(),
                    reference: *reference,
                },
                None => {
                    self.issue(
                        IssueKind::UnknownPin,
                        s.span(),
                        path,
                        &key,
                        format!("no PIN named '{n}' in this DF or above it"),
                    );
                    Access::Never
                }
            },
            Some((kind @ ("auth" | "mac"), n)) => match keys.iter().find(|k| k.name == n) {
                Some(k) => {
                    let want = if kind == "auth" {
                        KeyRole::ExternalAuth
                    } else {
                        KeyRole::Maintenance
                    };
                    if k.role != want {
                        self.issue(
                            IssueKind::BadAccess,
                            s.span(),
                            path,
                            &key,
                            format!(
                                "'{kind}:' needs a key with role {}, but key '{n}' is {}",
                                want.as_str(),
                                k.role.as_str()
                            ),
                        );
                    }
                    if kind == "auth" {
                        Access::Auth {
                            key: k.name.clone(),
                            id: k.id,
                        }
                    } else {
                        Access::Mac {
                            key: k.name.clone(),
                            id: k.id,
                        }
                    }
                }
                None => {
                    let known: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
                    self.issue(
                        IssueKind::UnknownKey,
                        s.span(),
                        path,
                        &key,
                        format!(
                            "no key named '{n}' in the DF the card checks (keys here: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                    Access::Never
                }
            },
            _ => {
                self.issue(
                    IssueKind::BadAccess,
                    s.span(),
                    path,
                    &key,
                    format!("'{text}' is not an access condition: use always, never, pin:NAME, auth:KEY or mac:KEY"),
                );
                Access::Never
            }
        }
    }
}
