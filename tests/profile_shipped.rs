//! The shipped profiles load, pass check, and say what the spec says.

use sscard::profile::{self, KeyRole, SSSE_NAME};
use std::path::Path;

fn load(name: &str) -> profile::Profile {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("card-profiles")
        .join(name);
    match profile::load(&p) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn ssc_3_00_has_the_spec_layout() {
    let p = load("ssc-3.00.toml");
    assert_eq!(p.meta.spec_version.as_deref(), Some("3.00"));
    let ssse = p.df("ssse").unwrap();
    assert_eq!(ssse.aid.as_deref(), Some(&SSSE_NAME[..]));
    assert_eq!(ssse.fid, Some(0xDDF1));
    let order: Vec<(u8, u8, &str)> = p
        .elements()
        .iter()
        .map(|(r, e)| (r.ef.sfi.unwrap(), e.tag, e.name.as_str()))
        .collect();
    let want = [
        (5, 0x01, "card_id"),
        (5, 0x02, "card_type"),
        (5, 0x03, "spec_version"),
        (5, 0x04, "init_org"),
        (5, 0x05, "issue_date"),
        (5, 0x06, "expiry_date"),
        (5, 0x07, "card_number"),
        (6, 0x08, "ssn"),
        (6, 0x09, "name"),
        (6, 0x4E, "name_ext"),
        (6, 0x0A, "sex"),
        (6, 0x0B, "ethnicity"),
        (6, 0x0C, "birth_place"),
        (6, 0x0D, "birth_date"),
    ];
    assert_eq!(order, want);
    let sex = p.element("sex").unwrap();
    assert_eq!(
        (sex.element.record, sex.ef.fid, sex.df.name.as_str()),
        (4, 0xEF06, "ssse")
    );
    assert!(
        p.keys_by_role(KeyRole::ExternalAuth)
            .iter()
            .all(|(_, k)| k.algorithm == sscard::crypto::Algorithm::Sm4)
    );
    // Stations write after key 04; key 0D guards only the regional EF0D; EF05 is free.
    let (_, w) = p.key("write").unwrap();
    assert_eq!(w.id, 0x04);
    let (_, r) = p.key("regional").unwrap();
    assert_eq!(r.id, 0x0D);
    let ef05 = p.element("card_id").unwrap().ef;
    assert_eq!(ef05.access.read, sscard::profile::Access::Always);
    assert_eq!(ef05.access.update.byte(), 0x24);
    let ef06 = p.element("ssn").unwrap().ef;
    assert_eq!(
        (ef06.access.read.byte(), ef06.access.update.byte()),
        (0x2A, 0x24)
    );
    let (_, pin) = p.pin("holder").unwrap();
    assert_eq!((pin.reference, pin.max_tries), (0, 3));
    assert!(!format!("{pin:?}").contains("123456"));
    // Example values of the spec go through the elements.
    assert_eq!(
        p.element("card_id")
            .unwrap()
            .element
            .encode("440300D156000005005E1F0C3A9D2B47")
            .unwrap()
            .len(),
        16
    );
    assert!(
        p.element("ssn")
            .unwrap()
            .element
            .encode("110101199012290017")
            .is_err()
    );
    assert!(
        p.element("spec_version")
            .unwrap()
            .element
            .encode("2.00")
            .is_err()
    );
}

#[test]
fn every_shipped_profile_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".toml") && name != "test-keys.toml" {
            load(&name);
            n += 1;
        }
    }
    assert_eq!(n, 4, "ssc-1.00, ssc-2.00, ssc-3.00, iso7816-demo");
}

#[test]
fn generations_differ_as_the_spec_says() {
    let g1 = load("ssc-1.00.toml");
    let g2 = load("ssc-2.00.toml");
    assert!(g1.element("name_ext").is_none());
    assert_eq!(g1.element("sex").unwrap().element.record, 3);
    assert_eq!(g1.element("birth_date").unwrap().element.record, 6);
    assert_eq!(g2.element("name_ext").unwrap().element.tag, 0x4E);
    assert_eq!(g2.element("sex").unwrap().element.record, 4);
    for p in [&g1, &g2] {
        assert!(
            p.all_keys()
                .iter()
                .all(|(_, k)| k.algorithm == sscard::crypto::Algorithm::Tdes)
        );
        assert!(p.key("read").is_none());
    }
    let demo = load("iso7816-demo.toml");
    assert!(demo.df("ssse").is_none());
    assert_eq!(
        demo.ef("demo", "notes").unwrap().ef.size,
        profile::EfSize::Bytes(64)
    );
}

#[test]
fn test_keys_cover_every_shipped_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles");
    let keys = profile::keys::KeyFile::load(&dir.join("test-keys.toml")).unwrap();
    for name in [
        "ssc-1.00.toml",
        "ssc-2.00.toml",
        "ssc-3.00.toml",
        "iso7816-demo.toml",
    ] {
        let p = load(name);
        if let Err(errs) = keys.check(&p) {
            panic!(
                "{name}: {:?}",
                errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
            );
        }
    }
    assert!(
        !format!("{keys:?}").contains("542D"),
        "Debug must not show key bytes"
    );
}

#[test]
fn readme_lists_the_current_fingerprints() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/README.md"),
    )
    .unwrap();
    for name in [
        "ssc-3.00.toml",
        "ssc-2.00.toml",
        "ssc-1.00.toml",
        "iso7816-demo.toml",
    ] {
        let f = profile::fingerprint::fingerprint(&load(name));
        let row = format!("| `{name}` | `{}` | `{}` |", f.sha256, f.sm3);
        assert!(
            readme.contains(&row),
            "card-profiles/README.md must list the fingerprint of {name}: the structure changed?\n{row}"
        );
    }
}
