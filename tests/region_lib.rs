//! The region checks through the library (what `sscard replace` calls): product by ATR,
//! approval by fingerprint, the overrides, and recording an approval.

use sscard::profile::Profile;
use sscard::region::find::{Approved, now_utc};
use sscard::region::{
    ApprovalCheck, ProductCheck, ProductReport, Region, RegionError, check_approval, check_product,
};
use std::path::Path;

fn example() -> Region {
    sscard::region::find("example").unwrap().load().unwrap()
}

fn shipped(name: &str) -> Profile {
    sscard::profile::find(name).unwrap().load().unwrap()
}

/// ssc-3.00 with its first record EF one byte longer per record.
fn changed() -> Profile {
    let text =
        sscard::profile::find::SSC_300.replacen("record_length = 18\n", "record_length = 19\n", 1);
    assert_ne!(text, sscard::profile::find::SSC_300);
    sscard::profile::parse(&text, Path::new("changed.toml")).unwrap()
}

/// The example's products only (its approvals dropped), in a file.
fn products_only(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("r.toml");
    let text = sscard::region::find::EXAMPLE
        .split("[[approval]]")
        .next()
        .unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_virtual_card_in_both_modes_is_a_product_of_the_example_region() {
    let r = example();
    for atr in [
        &sscard::sim::DEFAULT_ATR[..],
        &sscard::sim::DEFAULT_ATR_T0[..],
    ] {
        let c = check_product(Some(&r), atr, false).unwrap();
        assert!(c.on_record(), "{atr:02X?}");
        match c {
            ProductCheck::Listed { region, product } => {
                assert_eq!(region, "example");
                assert_eq!(product.manufacturer, "sscard project");
                assert_eq!(product.cos, "sscard-sim");
            }
            other => panic!("{other:?}"),
        }
    }
    // The mask leaves the TCK out.
    let mut atr = sscard::sim::DEFAULT_ATR.to_vec();
    if let Some(last) = atr.last_mut() {
        *last ^= 0xFF;
    }
    assert!(r.product(&atr).is_some());
    atr[1] ^= 0x01;
    assert!(r.product(&atr).is_none());
}

#[test]
fn an_unlisted_atr_is_refused_unless_allowed_and_no_region_checks_nothing() {
    let r = example();
    let atr = [0x3B, 0x02, 0x14, 0x50];
    match check_product(Some(&r), &atr, false) {
        Err(e @ RegionError::UnlistedProduct { .. }) => {
            let m = e.to_string();
            assert!(m.contains("3B 02 14 50"), "{m}");
            assert!(m.contains("built-in:example.toml"), "{m}");
            assert!(m.contains("--allow-unlisted-product"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let c = check_product(Some(&r), &atr, true).unwrap();
    assert_eq!(
        c,
        ProductCheck::UnlistedAllowed {
            region: "example".into()
        }
    );
    assert!(!c.on_record());
    assert_eq!(
        check_product(None, &atr, false).unwrap(),
        ProductCheck::NoRegion
    );
    let rep = ProductReport::new(Some(&r), &atr);
    assert_eq!((rep.on_record, rep.product), (Some(false), None));
    let rep = ProductReport::new(None, &atr);
    assert_eq!(rep.on_record, None);
}

#[test]
fn an_approved_profile_passes_and_a_changed_one_needs_reapproval() {
    let dir = tempfile::tempdir().unwrap();
    let file = products_only(dir.path());
    let p = shipped("ssc-3.00");
    let at = now_utc();
    assert_eq!(at.len(), 20, "{at}");
    match sscard::region::approve(&file, &p, "测试审批科", &at).unwrap() {
        Approved::Recorded(a) => {
            assert_eq!(
                (a.profile.as_str(), a.by.as_str()),
                ("ssc-3.00", "测试审批科")
            );
            assert_eq!(
                a.sha256,
                sscard::profile::fingerprint::fingerprint(&p).sha256
            );
        }
        other => panic!("{other:?}"),
    }
    let r = sscard::region::locate(&file).unwrap().load().unwrap();
    match check_approval(Some(&r), &p, false).unwrap() {
        ApprovalCheck::Approved { approval, .. } => assert_eq!(approval.at, at),
        other => panic!("{other:?}"),
    }
    let c = changed();
    match check_approval(Some(&r), &c, false) {
        Err(e @ RegionError::Unapproved { .. }) => {
            let m = e.to_string();
            let sha = sscard::profile::fingerprint::fingerprint(&c).sha256;
            assert!(m.contains(&sha), "{m}");
            assert!(
                m.contains("sscard profile approve PROFILE-FILE --region"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        check_approval(Some(&r), &c, true).unwrap(),
        ApprovalCheck::UnapprovedAllowed {
            region: "example".into()
        }
    );
    assert_eq!(
        check_approval(None, &c, false).unwrap(),
        ApprovalCheck::NoRegion
    );
    // Another profile of the same structure is the same approval; a second approval of it
    // writes nothing.
    let before = std::fs::read_to_string(&file).unwrap();
    assert!(matches!(
        sscard::region::approve(&file, &p, "someone else", &at).unwrap(),
        Approved::Already(_)
    ));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn an_sm3_that_disagrees_is_not_an_approval() {
    let p = shipped("ssc-2.00");
    let fp = sscard::profile::fingerprint::fingerprint(&p);
    let text = format!(
        "[region]\nname = \"t\"\n\n[[approval]]\nprofile = \"ssc-2.00\"\nsha256 = \"{}\"\nsm3 = \"{}\"\nby = \"x\"\nat = \"2026-11-29T10:00:00Z\"\n",
        fp.sha256,
        "0".repeat(64)
    );
    let r = sscard::region::parse(&text, Path::new("t.toml")).unwrap();
    assert!(check_approval(Some(&r), &p, false).is_err());
    let r = sscard::region::parse(&text.replace(&"0".repeat(64), &fp.sm3), Path::new("t.toml"))
        .unwrap();
    assert!(check_approval(Some(&r), &p, false).is_ok());
}

#[test]
fn approve_needs_a_name_and_a_valid_region_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = products_only(dir.path());
    let p = shipped("ssc-3.00");
    let e = sscard::region::approve(&file, &p, "  ", &now_utc()).unwrap_err();
    assert!(e.to_string().contains("--by must name who approves"), "{e}");
    std::fs::write(&file, "[region]\nnam = \"x\"\n").unwrap();
    let e = sscard::region::approve(&file, &p, "x", &now_utc()).unwrap_err();
    assert!(e.to_string().contains("r.toml:2:"), "{e}");
}

#[test]
fn the_example_region_approves_every_shipped_profile() {
    let r = example();
    for f in sscard::profile::shipped() {
        let p = f.load().unwrap();
        assert!(
            check_approval(Some(&r), &p, false).is_ok(),
            "the shipped example region does not approve the structure of {}: after a deliberate \
             change, run `sscard profile approve {} --region card-profiles/regions/example.toml --by \"sscard project (example)\"`",
            f.name,
            f.name
        );
    }
}
