//! The fingerprint sees structure, and only structure.

use sscard::profile::{self, fingerprint::fingerprint};
use std::path::Path;

fn text() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/ssc-3.00.toml");
    std::fs::read_to_string(p).unwrap()
}

fn fp(t: &str) -> profile::fingerprint::Fingerprint {
    match profile::parse(t, Path::new("test.toml")) {
        Ok(p) => fingerprint(&p),
        Err(e) => panic!("{e}"),
    }
}

/// Moves the `[[mf.df.key]]` table whose name is `name` to just before the first key table.
fn move_key_first(t: &str, name: &str) -> String {
    let start = t
        .find(&format!("[[mf.df.key]]\nname = \"{name}\""))
        .unwrap();
    let end = start + 1 + t[start + 1..].find("\n[[").unwrap() + 1;
    let block = t[start..end].to_string();
    let rest = format!("{}{}", &t[..start], &t[end..]);
    let first = rest.find("[[mf.df.key]]").unwrap();
    format!("{}{}{}", &rest[..first], block, &rest[first..])
}

#[test]
fn hashes_have_the_right_length() {
    let f = fp(&text());
    assert_eq!((f.sha256.len(), f.sm3.len()), (64, 64));
    assert_ne!(f.sha256, f.sm3);
}

#[test]
fn same_structure_written_differently_same_fingerprint() {
    let t = text();
    let base = fp(&t);
    // Keys in another order.
    let reordered = move_key_first(&t, "write");
    assert_ne!(reordered, t);
    assert_eq!(fp(&reordered), base, "reordering keys");
    // Comments, labels, descriptions, key order inside a table, hex spelling of ids.
    let cosmetic = t
        .replace("# EF05: card issuer data", "# another comment")
        .replace("label = \"姓名\"", "label = \"持卡人姓名\"")
        .replace(
            "description = \"社会保障卡",
            "description = \"third generation 社会保障卡",
        )
        .replace("id = 0x0D", "id = 13")
        .replace("id = 0x04", "id = 4")
        .replace(
            "name = \"card_id\"\nlabel = \"卡识别码\"",
            "label = \"卡识别码\"\nname = \"card_id\"",
        )
        .replace("fid = \"DDF1\"", "fid = \"dd f1\"");
    assert_ne!(cosmetic, t);
    assert_eq!(fp(&cosmetic), base, "cosmetic changes");
    // Element tables in another order (records are numbered).
    let a = t.find("[[mf.df.ef.element]]\nname = \"sex\"").unwrap();
    let b = t
        .find("[[mf.df.ef.element]]\nname = \"ethnicity\"")
        .unwrap();
    let c = t
        .find("[[mf.df.ef.element]]\nname = \"birth_place\"")
        .unwrap();
    let swapped = format!("{}{}{}{}", &t[..a], &t[b..c], &t[a..b], &t[c..]);
    assert_eq!(fp(&swapped), base, "element tables swapped");
}

#[test]
fn any_structural_change_changes_the_fingerprint() {
    let t = text();
    let base = fp(&t);
    let changes = [
        ("record_length = 32", "record_length = 33"),
        (
            "records = 7\nrecord_length = 18",
            "records = 8\nrecord_length = 18",
        ),
        ("sfi = 6", "sfi = 7"),
        ("fid = \"EF06\"", "fid = \"EF16\""),
        ("update = \"auth:write\" }", "update = \"auth:issuer\" }"),
        ("id = 0x0D", "id = 0x07"),
        ("id = 0x04", "id = 0x0E"),
        ("tag = \"4E\"", "tag = \"4F\""),
        (
            "length = 18\nformat = \"an\"",
            "length = 17\nformat = \"an\"",
        ),
        (
            "format = \"gbk\"\nrequired = false",
            "format = \"an\"\nrequired = false",
        ),
        ("max_tries = 3", "max_tries = 5"),
        ("lcs = \"initialisation\"", "lcs = \"activated\""),
        (
            "diversification = \"card-id-last8\"\nmax_tries = 15",
            "max_tries = 15",
        ),
        (
            "aid = \"text:sx1.sh.社会保障\"",
            "aid = \"text:sx2.sh.社会保障\"",
        ),
        (
            "structure = \"linear-variable\"\nrecords = 7\nrecord_length = 32",
            "structure = \"linear-fixed\"\nrecords = 7\nrecord_length = 32",
        ),
    ];
    for (old, new) in changes {
        assert!(t.contains(old), "fixture lacks {old:?}");
        let changed = t.replacen(old, new, 1);
        assert_ne!(
            fp(&changed),
            base,
            "{old:?} -> {new:?} must change the fingerprint"
        );
    }
}

#[test]
fn generations_have_different_fingerprints() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles");
    let mut seen = std::collections::HashSet::new();
    for n in [
        "ssc-1.00.toml",
        "ssc-2.00.toml",
        "ssc-3.00.toml",
        "iso7816-demo.toml",
    ] {
        let p = profile::load(&dir.join(n)).unwrap();
        assert!(seen.insert(fingerprint(&p).sha256), "{n}");
    }
}

#[test]
fn command_lists_are_data_and_part_of_the_fingerprint() {
    let t = text();
    let with = format!(
        "{t}\n[commands.enable]\nscript = \"../apdu-scripts/enable.apdu\"\nblock = \"enable\"\n"
    );
    let p = profile::parse(&with, Path::new("c.toml")).unwrap();
    let c = &p.commands["enable"];
    assert_eq!(
        (c.script.as_str(), c.block.as_str()),
        ("../apdu-scripts/enable.apdu", "enable")
    );
    assert_ne!(fingerprint(&p), fp(&t));
    let empty = format!("{t}\n[commands.enable]\nscript = \"x.apdu\"\nblock = \"\"\n");
    let e = profile::parse(&empty, Path::new("c.toml")).unwrap_err();
    assert_eq!(e.issues()[0].kind, profile::IssueKind::BadMeta);
}
