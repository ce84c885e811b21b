//! Approved card products (issue 16) through a real private pcscd with two readers: the ATR
//! the product check sees is the one PC/SC reports. Slot 00 holds a card of a product not on
//! record, slot 01 the demo card (the virtual card's own ATR, on record in the example
//! region). Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, spawn_card_on, stdout};
use std::path::{Path, PathBuf};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
const SLOT1: &str = "Virtual PCD 00 01";

fn path(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn ok(pcscd: &PrivatePcscd, args: &[&str]) -> String {
    let out = pcscd.run(args);
    assert!(
        out.status.success(),
        "sscard {args:?}: {}\npcscd log:\n{}",
        describe(&out),
        pcscd.log()
    );
    stdout(&out)
}

/// A blank card image whose ATR is `3B 02 14 50` (a T=0 card of no product on record).
fn unlisted_blank(pcscd: &PrivatePcscd, dir: &Path) -> PathBuf {
    let image = dir.join("unlisted.json");
    ok(
        pcscd,
        &["sim", "--create", "--image", image.to_str().unwrap()],
    );
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&image).unwrap()).unwrap();
    v["atr"] = serde_json::Value::String("3B021450".into());
    std::fs::write(&image, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    image
}

/// The example region's products, with ssc-3.00 approved, in `dir`.
fn region(pcscd: &PrivatePcscd, dir: &Path) -> String {
    let example = std::fs::read_to_string(path("card-profiles/regions/example.toml")).unwrap();
    let r = dir.join("region.toml");
    std::fs::write(&r, example.split("[[approval]]").next().unwrap()).unwrap();
    let r = r.display().to_string();
    let p = path("card-profiles/ssc-3.00.toml");
    ok(
        pcscd,
        &[
            "profile",
            "approve",
            &p,
            "--region",
            &r,
            "--by",
            "测试审批科",
        ],
    );
    r
}

#[test]
fn the_product_check_sees_the_atr_pcsc_reports_on_two_readers() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let r = region(&pcscd, dir.path());
    let unlisted = unlisted_blank(&pcscd, dir.path());
    let demo = dir.path().join("demo.json");
    ok(&pcscd, &["demo", "--image", demo.to_str().unwrap()]);
    let port = pcscd.port();
    let _card0 = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port.to_string(),
        "--image",
        unlisted.to_str().unwrap(),
    ]));
    let _card1 = spawn_card_on(
        port + 1,
        pcscd.sscard().args([
            "sim",
            "--vpcd",
            &(port + 1).to_string(),
            "--image",
            demo.to_str().unwrap(),
        ]),
    );
    pcscd.wait_card();
    pcscd.wait_card_in(SLOT1);
    let slot0 = pcscd.reader_name();
    let (p, k) = (
        path("card-profiles/ssc-3.00.toml"),
        path("card-profiles/test-keys.toml"),
    );

    // Slot 00: not on record. diagnose says so; init refuses it, then the lab override.
    let t = pcscd.run(&[
        "--reader",
        slot0,
        "diagnose",
        "--profile",
        &p,
        "--region",
        &r,
    ]);
    let t = stdout(&t);
    assert!(
        t.contains("Product   NOT ON RECORD in region example"),
        "{t}"
    );
    let init = |extra: &[&str]| {
        let mut a = vec![
            "--reader",
            slot0,
            "init",
            "--profile",
            &p,
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
            "--region",
            &r,
        ];
        a.extend_from_slice(extra);
        pcscd.run(&a)
    };
    let o = init(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        describe(&o).contains(
            "the card's ATR 3B 02 14 50 matches no card product on record in region example"
        ),
        "{}",
        describe(&o)
    );
    let o = init(&["--allow-unlisted-product"]);
    assert!(o.status.success(), "{}", describe(&o));
    assert!(
        stdout(&o).contains("product  NOT ON RECORD in region example: issued anyway"),
        "{}",
        describe(&o)
    );

    // Slot 01: the virtual card, on record; perso checks product and approval and goes on.
    let t = ok(&pcscd, &["--reader", SLOT1, "diagnose", "--region", &r]);
    assert!(
        t.contains(
            "Product   sscard project virtual card, COS sscard-sim 1: on record in region example"
        ),
        "{t}"
    );
    let rec = dir.path().join("holder.json");
    std::fs::write(
        &rec,
        format!(
            r#"{{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
                "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
                "init_org": "440700000000000000000001", "card_number": "A00000003",
                "issue_date": "20250101"}}"#
        ),
    )
    .unwrap();
    let rec = rec.display().to_string();
    let t = ok(
        &pcscd,
        &[
            "--reader",
            SLOT1,
            "perso",
            "--profile",
            &p,
            "--record",
            &rec,
            "--keys",
            &k,
            "--region",
            &r,
        ],
    );
    assert!(
        t.contains("profile  ssc-3.00: structure approved in region example by 测试审批科"),
        "{t}"
    );
    assert!(t.contains("(on record in region example)"), "{t}");
    assert!(t.contains("ENABLED"), "{t}");
}
