//! The fingerprint of a profile's structure: a canonical text form (tree, sizes, access
//! conditions, keys, element layout; not comments, labels, names or the order of tables and
//! keys in the file) hashed with SHA-256 and SM3. The same structure written differently gives
//! the same fingerprint; any structural change gives another.

use super::model::{Df, EfSize, Profile};
use sha2::Digest;

/// Version line of the canonical form (changes only if the canonical form itself changes).
pub const CANONICAL_VERSION: &str = "sscard-profile-structure v1";

/// The two hashes of a profile's canonical structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// SM3 (GB/T 32905), lower-case hex.
    pub sm3: String,
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}\nsm3:{}", self.sha256, self.sm3)
    }
}

fn df_id(df: &Df) -> String {
    match (df.fid, &df.aid) {
        (Some(f), Some(a)) => format!("{f:04X}+{}", crate::apdu::compact(a)),
        (Some(f), None) => format!("{f:04X}"),
        (None, Some(a)) => format!("+{}", crate::apdu::compact(a)),
        (None, None) => "?".into(),
    }
}

fn hex(b: &[u8]) -> String {
    crate::apdu::compact(b)
}

fn walk(df: &Df, parent: &str, out: &mut Vec<String>) {
    let path = if parent.is_empty() {
        df_id(df)
    } else {
        format!("{parent}/{}", df_id(df))
    };
    out.push(format!(
        "df {path} lcs={:02X} sec={}",
        df.lcs.byte(),
        hex(&df.access.bytes())
    ));
    if let Some(a) = df.algorithm_id {
        out.push(format!("algorithm-id {path} {:02X}", a.byte()));
    }
    for k in &df.keys {
        out.push(format!(
            "key {path} id={:02X} usage={:02X} alg={:02X} div={} tries={}",
            k.id,
            k.role.usage(),
            k.algorithm.code(),
            super::model::diversification_text(&k.diversification),
            k.max_tries
        ));
    }
    for p in &df.pins {
        out.push(format!(
            "pin {path} ref={:02X} tries={}",
            p.reference, p.max_tries
        ));
    }
    for ef in &df.efs {
        let size = match ef.size {
            EfSize::Bytes(n) => format!("size={n}"),
            EfSize::Records { count, length } => format!("records={count} record_length={length}"),
        };
        let efp = format!("{path}/{:04X}", ef.fid);
        out.push(format!(
            "ef {efp} sfi={} fdb={:02X} {size} lcs={:02X} sec={}",
            ef.sfi.map_or("-".to_string(), |s| s.to_string()),
            ef.structure.fdb(),
            ef.lcs.byte(),
            hex(&ef.access.bytes())
        ));
        if let Some(ph) = &ef.photo {
            out.push(format!(
                "photo {efp} format=jpeg width={} height={} chunk={}",
                ph.width, ph.height, ph.chunk
            ));
        }
        for e in &ef.elements {
            let cont = e
                .continues
                .as_ref()
                .and_then(|c| ef.elements.iter().find(|o| &o.name == c))
                .map_or("-".to_string(), |o| format!("{:02X}", o.tag));
            out.push(format!(
                "element {efp} record={} tag={:02X} length={} format={} padding={} continues={cont}",
                e.record, e.tag, e.length, e.format, e.padding
            ));
        }
    }
    for c in &df.dfs {
        walk(c, &path, out);
    }
}

/// The canonical form: one line per item, sorted.
pub fn canonical(p: &Profile) -> String {
    let mut lines = Vec::new();
    if let Some(v) = &p.meta.spec_version {
        lines.push(format!("spec_version {v}"));
    }
    walk(&p.mf, "", &mut lines);
    for (purpose, c) in &p.commands {
        lines.push(format!(
            "command {purpose} script={} block={}",
            c.script, c.block
        ));
    }
    lines.sort();
    let mut s = String::from(CANONICAL_VERSION);
    s.push('\n');
    for l in lines {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

/// SHA-256 and SM3 of the canonical form.
pub fn fingerprint(p: &Profile) -> Fingerprint {
    let c = canonical(p);
    Fingerprint {
        sha256: hex::encode(sha2::Sha256::digest(c.as_bytes())),
        sm3: hex::encode(sm3::Sm3::digest(c.as_bytes())),
    }
}
