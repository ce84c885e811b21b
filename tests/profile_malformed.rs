//! Table-driven: each malformed profile gets its specific error, at the right line.

use sscard::profile::{IssueKind, ProfileError, parse};
use std::path::Path;

const BASE: &str = r#"[profile]
name = "t"
spec_version = "3.00"
generation = 3

[mf]
fid = "3F00"

[[mf.df]]
name = "ssse"
fid = "DDF1"
aid = "text:sx1.sh.社会保障"
access = { create = "auth:issuer", activate = "auth:write" }

[[mf.df.key]]
name = "issuer"
id = 1
role = "external-auth"
algorithm = "sm4"

[[mf.df.key]]
name = "write"
id = 13
role = "external-auth"
algorithm = "sm4"
diversification = "card-id-last8"

[[mf.df.key]]
name = "stk"
id = 3
role = "maintenance"
algorithm = "sm4"

[[mf.df.pin]]
name = "holder"
reference = 0

[[mf.df.ef]]
name = "ef05"
fid = "EF05"
sfi = 5
structure = "linear-variable"
records = 2
record_length = 18
access = { read = "always", update = "auth:write" }

[[mf.df.ef.element]]
name = "card_id"
record = 1
tag = "01"
length = 16
format = "b"

[[mf.df.ef.element]]
name = "card_type"
record = 2
tag = "02"
length = 1
format = "an"

[[mf.df.ef]]
name = "ef06"
fid = "EF06"
sfi = 6
structure = "linear-variable"
records = 2
record_length = 32
access = { read = "pin:holder", update = "auth:write" }

[[mf.df.ef.element]]
name = "name"
record = 1
tag = "09"
length = 30
format = "gbk"

[[mf.df.ef.element]]
name = "name_ext"
record = 2
tag = "4E"
length = 20
format = "gbk"
continues = "name"

[[mf.df.ef]]
name = "bin"
fid = "0001"
structure = "transparent"
size = 16
"#;

enum Want {
    Issue(IssueKind),
    Syntax,
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("mutated text lacks {needle:?}"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn the_base_profile_is_valid() {
    if let Err(e) = parse(BASE, Path::new("base.toml")) {
        panic!("{e}");
    }
}

#[test]
fn malformed_profiles_get_specific_located_errors() {
    use IssueKind::*;
    use Want::*;
    // (what, replace this, with this, expected error, the text marking the line it is at)
    let cases: Vec<(&str, &str, &str, Want, &str)> = vec![
        (
            "duplicate FID in a DF",
            "fid = \"EF06\"",
            "fid = \"EF05\"",
            Issue(DuplicateFid),
            "[[mf.df.ef]]\nname = \"ef06\"",
        ),
        (
            "duplicate SFI in a DF",
            "sfi = 6",
            "sfi = 5",
            Issue(DuplicateSfi),
            "[[mf.df.ef]]\nname = \"ef06\"",
        ),
        (
            "duplicate tag in an EF",
            "tag = \"02\"",
            "tag = \"01\"",
            Issue(DuplicateTag),
            "tag = \"01\"\nlength = 1\n",
        ),
        (
            "two elements in one record",
            "record = 2\ntag = \"02\"",
            "record = 1\ntag = \"02\"",
            Issue(DuplicateRecord),
            "record = 1\ntag = \"02\"",
        ),
        (
            "SFI over 30",
            "sfi = 6",
            "sfi = 31",
            Issue(SfiOutOfRange),
            "sfi = 31",
        ),
        (
            "SFI 0",
            "sfi = 5",
            "sfi = 0",
            Issue(SfiOutOfRange),
            "sfi = 0",
        ),
        (
            "element longer than its record",
            "length = 30",
            "length = 31",
            Issue(ElementTooLong),
            "length = 31",
        ),
        (
            "access naming an unknown key",
            "update = \"auth:write\" }",
            "update = \"auth:wirte\" }",
            Issue(UnknownKey),
            "auth:wirte",
        ),
        (
            "access naming an unknown PIN",
            "read = \"pin:holder\"",
            "read = \"pin:owner\"",
            Issue(UnknownPin),
            "pin:owner",
        ),
        (
            "access that is not one",
            "read = \"always\"",
            "read = \"sometimes\"",
            Issue(BadAccess),
            "sometimes",
        ),
        (
            "mac with a non-maintenance key",
            "activate = \"auth:write\"",
            "activate = \"mac:write\"",
            Issue(BadAccess),
            "mac:write",
        ),
        (
            "AID over 16 bytes",
            "aid = \"text:sx1.sh.社会保障\"",
            "aid = \"text:sx1.sh.社会保障保障\"",
            Issue(AidLength),
            "aid = ",
        ),
        (
            "AID not hex",
            "aid = \"text:sx1.sh.社会保障\"",
            "aid = \"D1560000050G\"",
            Issue(BadHex),
            "aid = ",
        ),
        (
            "record number outside the record count",
            "record = 2\ntag = \"4E\"",
            "record = 3\ntag = \"4E\"",
            Issue(RecordOutOfRange),
            "record = 3",
        ),
        (
            "unknown format",
            "format = \"gbk\"\ncontinues",
            "format = \"utf8\"\ncontinues",
            Issue(UnknownFormat),
            "\"utf8\"",
        ),
        (
            "unknown padding",
            "length = 1\nformat = \"an\"",
            "length = 1\nformat = \"an\"\npadding = \"zero\"",
            Issue(UnknownPadding),
            "\"zero\"",
        ),
        (
            "padding that does not fit the format",
            "length = 1\nformat = \"an\"",
            "length = 1\nformat = \"an\"\npadding = \"F\"",
            Issue(UnknownPadding),
            "padding = \"F\"",
        ),
        (
            "unknown validation rule",
            "length = 1\nformat = \"an\"",
            "length = 1\nformat = \"an\"\nvalidate = \"luhn\"",
            Issue(UnknownRule),
            "\"luhn\"",
        ),
        (
            "unknown structure",
            "structure = \"transparent\"",
            "structure = \"binary\"",
            Issue(UnknownStructure),
            "\"binary\"",
        ),
        (
            "unknown life cycle",
            "name = \"ssse\"",
            "name = \"ssse\"\nlcs = \"operational\"",
            Issue(UnknownLcs),
            "\"operational\"",
        ),
        (
            "unknown key role",
            "role = \"maintenance\"",
            "role = \"mac\"",
            Issue(UnknownRole),
            "role = \"mac\"",
        ),
        (
            "unknown algorithm",
            "id = 3\nrole = \"maintenance\"\nalgorithm = \"sm4\"",
            "id = 3\nrole = \"maintenance\"\nalgorithm = \"aes\"",
            Issue(UnknownAlgorithm),
            "\"aes\"",
        ),
        (
            "unknown diversification",
            "\"card-id-last8\"",
            "\"serial\"",
            Issue(UnknownDiversification),
            "\"serial\"",
        ),
        (
            "key id over 15",
            "id = 13",
            "id = 16",
            Issue(OutOfRange),
            "id = 16",
        ),
        (
            "two keys with one id",
            "id = 3\n",
            "id = 13\n",
            Issue(DuplicateKeyId),
            "id = 13\nrole = \"maintenance\"",
        ),
        (
            "PIN reference equal to a key id",
            "reference = 0",
            "reference = 3",
            Issue(DuplicateKeyId),
            "reference = 3",
        ),
        (
            "DF without FID or AID",
            "fid = \"DDF1\"\naid = \"text:sx1.sh.社会保障\"\n",
            "",
            Issue(NoSelector),
            "[[mf.df]]",
        ),
        (
            "FID with 3 hex digits",
            "fid = \"0001\"",
            "fid = \"001\"",
            Issue(BadHex),
            "fid = \"001\"",
        ),
        (
            "reserved FID",
            "fid = \"0001\"",
            "fid = \"3FFF\"",
            Issue(ReservedFid),
            "fid = \"3FFF\"",
        ),
        (
            "tag 00",
            "tag = \"09\"",
            "tag = \"00\"",
            Issue(BadHex),
            "tag = \"00\"",
        ),
        (
            "transparent EF with records",
            "size = 16",
            "records = 9",
            Issue(BadSize),
            "records = 9",
        ),
        (
            "record EF without record length",
            "record_length = 18\n",
            "",
            Issue(BadSize),
            "[[mf.df.ef]]\nname = \"ef05\"",
        ),
        (
            "continuation of nothing",
            "continues = \"name\"",
            "continues = \"nom\"",
            Issue(BadContinuation),
            "\"nom\"",
        ),
        (
            "duplicate element name",
            "name = \"card_type\"",
            "name = \"card_id\"",
            Issue(DuplicateName),
            "name = \"card_id\"\nrecord = 2",
        ),
        (
            "value set the format cannot hold",
            "length = 1\nformat = \"an\"",
            "length = 1\nformat = \"an\"\nvalues = [\"12\"]",
            Issue(BadValue),
            "[[mf.df.ef.element]]\nname = \"card_type\"",
        ),
        (
            "bad spec version",
            "spec_version = \"3.00\"",
            "spec_version = \"3\"",
            Issue(BadMeta),
            "spec_version",
        ),
        (
            "unknown key (typo) is a syntax error",
            "record_length = 32",
            "record_lenght = 32",
            Syntax,
            "record_lenght",
        ),
        (
            "wrong type is a syntax error",
            "sfi = 5",
            "sfi = \"5\"",
            Syntax,
            "sfi = \"5\"",
        ),
        (
            "broken TOML",
            "[[mf.df.ef]]\nname = \"bin\"",
            "[[mf.df.ef]\nname = \"bin\"",
            Syntax,
            "[[mf.df.ef]\n",
        ),
        (
            "missing required key",
            "structure = \"transparent\"\n",
            "",
            Syntax,
            "[[mf.df.ef]]\nname = \"bin\"",
        ),
    ];
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (what, old, new, want, marker) in &cases {
        assert!(BASE.contains(old), "{what}: base lacks {old:?}");
        let text = BASE.replacen(old, new, 1);
        let line = line_of(&text, marker);
        match (parse(&text, Path::new("bad.toml")), want) {
            (Ok(_), _) => failures.push(format!("{what}: accepted")),
            (Err(e @ ProfileError::Invalid { .. }), Issue(kind)) => {
                let issues = e.issues();
                match issues.iter().find(|i| i.kind == *kind && i.line == line) {
                    None => failures.push(format!(
                        "{what}: wanted {kind:?} at line {line}, got {}",
                        issues
                            .iter()
                            .map(|i| format!("{:?} {i}", i.kind))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                    Some(_) => {
                        let msg = e.to_string();
                        if !msg.contains("bad.toml:") {
                            failures.push(format!("{what}: message lacks the file: {msg}"));
                        }
                    }
                }
            }
            (Err(ProfileError::Syntax { line: l, .. }), Syntax) => {
                // A missing key is reported at its table, which starts at the marker.
                if l != line && !(what.starts_with("missing") && l >= line) {
                    failures.push(format!("{what}: syntax error at line {l}, wanted {line}"));
                }
            }
            (Err(e), _) => failures.push(format!("{what}: unexpected error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = BASE
        .replacen("sfi = 6", "sfi = 31", 1)
        .replacen("length = 30", "length = 31", 1)
        .replacen("update = \"auth:write\" }", "update = \"auth:nobody\" }", 1);
    let e = parse(&text, Path::new("x.toml")).unwrap_err();
    let kinds: Vec<IssueKind> = e.issues().iter().map(|i| i.kind).collect();
    assert!(kinds.contains(&IssueKind::SfiOutOfRange), "{kinds:?}");
    assert!(kinds.contains(&IssueKind::ElementTooLong), "{kinds:?}");
    assert!(kinds.contains(&IssueKind::UnknownKey), "{kinds:?}");
    let msg = e.to_string();
    assert!(msg.contains("3 problem(s)"), "{msg}");
}

#[test]
fn syntax_errors_name_file_line_and_table() {
    let text = BASE.replacen("record_length = 32", "record_lenght = 32", 1);
    let e = parse(&text, Path::new("card.toml")).unwrap_err();
    let msg = e.to_string();
    let line = line_of(&text, "record_lenght");
    assert!(msg.starts_with(&format!("card.toml:{line}:")), "{msg}");
    assert!(msg.contains("record_lenght"), "{msg}");
    assert!(msg.contains("[mf.df.ef]"), "{msg}");
}

#[test]
fn type_errors_name_the_key() {
    let text = BASE.replacen("sfi = 5", "sfi = \"5\"", 1);
    let msg = parse(&text, Path::new("t.toml")).unwrap_err().to_string();
    let line = line_of(&text, "sfi = \"5\"");
    assert!(msg.starts_with(&format!("t.toml:{line}:")), "{msg}");
    assert!(msg.contains("(key `sfi`)"), "{msg}");
    assert!(msg.contains("(in [mf.df.ef])"), "{msg}");
}
