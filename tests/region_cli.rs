//! Approved card products and profiles (issue 16) through the CLI on the in-process virtual
//! card: a region lists the products on record (by ATR) and the approved profile structures;
//! `init`, `perso` and `conformance` refuse what is not on record unless overridden, and
//! `diagnose` reports the product.

mod sim_cli;

use sim_cli::{file, run, sscard, text};
use std::path::{Path, PathBuf};
use std::process::Output;

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
/// An ATR of no product on record (a made-up T=0 card).
const UNLISTED_ATR: &str = "3B021450";

/// A blank card image; with `atr`, that ATR instead of the virtual card's own.
fn blank(dir: &Path, name: &str, atr: Option<&str>) -> PathBuf {
    let image = dir.join(name);
    let o = sscard(
        &image,
        &["sim", "--create", "--image", image.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    if let Some(atr) = atr {
        set_atr(&image, atr);
    }
    image
}

fn set_atr(image: &Path, atr: &str) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(image).unwrap()).unwrap();
    v["atr"] = serde_json::Value::String(atr.into());
    std::fs::write(image, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// A copy of the shipped example region in `dir` with `ssc-3.00` approved in it.
fn region(dir: &Path) -> String {
    let r = dir.join("region.toml");
    // The products of the shipped example, without its approvals.
    let example = std::fs::read_to_string(file("card-profiles/regions/example.toml")).unwrap();
    let products = example.split("[[approval]]").next().unwrap();
    std::fs::write(&r, products).unwrap();
    let r = r.display().to_string();
    let o = sscard(
        Path::new("unused.json"),
        &[
            "profile",
            "approve",
            "ssc-3.00",
            "--region",
            &r,
            "--by",
            "测试审批科",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    r
}

/// `init` of ssc-3.00 with the test keys, plus `extra`.
fn init(image: &Path, profile: &str, extra: &[&str]) -> Output {
    let k = file("card-profiles/test-keys.toml");
    let mut a = vec![
        "init",
        "--profile",
        profile,
        "--keys",
        &k,
        "--card-id",
        CARD_ID,
    ];
    a.extend_from_slice(extra);
    sscard(image, &a)
}

fn holder(dir: &Path) -> String {
    let p = dir.join("holder.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
                "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
                "init_org": "440700000000000000000001", "card_number": "A00000003",
                "issue_date": "20250101"}}"#
        ),
    )
    .unwrap();
    p.display().to_string()
}

fn perso(image: &Path, profile: &str, record: &str, extra: &[&str]) -> Output {
    let k = file("card-profiles/test-keys.toml");
    let mut a = vec![
        "perso",
        "--profile",
        profile,
        "--record",
        record,
        "--keys",
        &k,
    ];
    a.extend_from_slice(extra);
    sscard(image, &a)
}

/// ssc-3.00 with its first record EF one byte longer per record: another structure.
fn modified_profile(dir: &Path) -> String {
    let text = std::fs::read_to_string(file("card-profiles/ssc-3.00.toml")).unwrap();
    let changed = text.replacen("record_length = 18\n", "record_length = 19\n", 1);
    assert_ne!(
        changed, text,
        "ssc-3.00 has no `record_length = 18` line any more"
    );
    let p = dir.join("ssc-3.00-changed.toml");
    std::fs::write(&p, changed).unwrap();
    p.display().to_string()
}

#[test]
fn init_issues_on_a_listed_product_with_an_approved_profile() {
    let dir = tempfile::tempdir().unwrap();
    let r = region(dir.path());
    let image = blank(dir.path(), "card.json", None);
    let o = init(
        &image,
        &file("card-profiles/ssc-3.00.toml"),
        &["--region", &r],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains(
            "product  sscard project virtual card, COS sscard-sim 1 (on record in region example)"
        ),
        "{t}"
    );
    assert!(
        t.contains("profile  ssc-3.00: structure approved in region example by 测试审批科 at 20"),
        "{t}"
    );
    // The same through SSCARD_REGION.
    let image = blank(dir.path(), "card2.json", None);
    let k = file("card-profiles/test-keys.toml");
    let o = run(
        &image,
        &[
            "init",
            "--profile",
            "ssc-3.00",
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
        ],
        &[("SSCARD_REGION", &r)],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("(on record in region example)"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unlisted_product_is_refused_unless_allowed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let r = region(dir.path());
    let image = blank(dir.path(), "card.json", Some(UNLISTED_ATR));
    let before = std::fs::read(&image).unwrap();
    let p = file("card-profiles/ssc-3.00.toml");
    let o = init(&image, &p, &["--region", &r]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains(
            "the card's ATR 3B 02 14 50 matches no card product on record in region example"
        ),
        "{t}"
    );
    assert!(t.contains("--allow-unlisted-product"), "{t}");
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    // Without a region (lab mode) nothing is checked.
    let lab = blank(dir.path(), "lab.json", Some(UNLISTED_ATR));
    let o = init(&lab, &p, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("product "), "{}", text(&o));
    // The lab override.
    let o = init(&image, &p, &["--region", &r, "--allow-unlisted-product"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("product  NOT ON RECORD in region example: issued anyway (--allow-unlisted-product, labs only)"),
        "{t}"
    );
    // perso refuses the unlisted card too, before writing anything.
    let rec = holder(dir.path());
    let before = std::fs::read(&image).unwrap();
    let o = perso(&image, &p, &rec, &["--region", &r]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("nothing written to the card"), "{t}");
    assert!(t.contains("matches no card product on record"), "{t}");
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    let o = perso(
        &image,
        &p,
        &rec,
        &["--region", &r, "--allow-unlisted-product"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("ENABLED"), "{}", text(&o));
}

#[test]
fn a_changed_structure_needs_reapproval() {
    let dir = tempfile::tempdir().unwrap();
    let r = region(dir.path());
    let changed = modified_profile(dir.path());
    let image = blank(dir.path(), "card.json", None);
    let before = std::fs::read(&image).unwrap();
    let o = init(&image, &changed, &["--region", &r]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("profile ssc-3.00 (structure sha256:")
            && t.contains("is not approved in region example"),
        "{t}"
    );
    assert!(
        t.contains("sscard profile approve PROFILE-FILE --region"),
        "{t}"
    );
    assert!(t.contains("--unapproved"), "{t}");
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    // The test-card override.
    let o = init(&image, &changed, &["--region", &r, "--unapproved"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains(
            "structure NOT APPROVED in region example: used anyway (--unapproved, test cards only)"
        ),
        "{t}"
    );
    // perso checks the approval too, before touching the card.
    let rec = holder(dir.path());
    let before = std::fs::read(&image).unwrap();
    let o = perso(&image, &changed, &rec, &["--region", &r]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is not approved"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    // Approved, it is accepted without the override; approving twice records it once.
    let approve = |by: &str| {
        sscard(
            &image,
            &["profile", "approve", &changed, "--region", &r, "--by", by],
        )
    };
    let o = approve("Station B");
    assert!(
        text(&o).contains("approved: profile ssc-3.00"),
        "{}",
        text(&o)
    );
    let o = approve("Station C");
    assert!(text(&o).contains("already approved"), "{}", text(&o));
    assert!(text(&o).contains("by Station B"), "{}", text(&o));
    let region_text = std::fs::read_to_string(&r).unwrap();
    assert_eq!(region_text.matches("by = \"Station B\"").count(), 1);
    assert!(!region_text.contains("Station C"));
    let o = perso(&image, &changed, &rec, &["--region", &r]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("structure approved in region example by Station B"),
        "{}",
        text(&o)
    );
}

#[test]
fn approve_refuses_the_built_in_region_and_a_bad_region_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("unused.json");
    let o = sscard(
        &image,
        &[
            "profile", "approve", "ssc-3.00", "--region", "example", "--by", "x",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("built-in example and cannot be changed"),
        "{}",
        text(&o)
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[region]\nname = \"x\"\n\n[[product]]\nmanufacturer = \"m\"\nchip = \"c\"\ncos = \"o\"\ncos_version = \"1\"\natr = \"3B 02 14\"\nmask = \"FF FF\"\n",
    )
    .unwrap();
    let b = bad.display().to_string();
    let o = sscard(
        &image,
        &[
            "profile", "approve", "ssc-3.00", "--region", &b, "--by", "x",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{b}:10: `mask` has 2 bytes but `atr` has 3")),
        "{}",
        text(&o)
    );
    let image = blank(dir.path(), "card.json", None);
    let o = init(
        &image,
        &file("card-profiles/ssc-3.00.toml"),
        &["--region", &b],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(&format!("{b}:10:")), "{}", text(&o));
    let o = init(
        &image,
        &file("card-profiles/ssc-3.00.toml"),
        &["--region", "no-such-region"],
    );
    assert!(
        text(&o).contains("no region named `no-such-region`"),
        "{}",
        text(&o)
    );
}

#[test]
fn diagnose_reports_the_product_and_whether_it_is_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("demo.json");
    let o = sscard(&image, &["demo", "--image", image.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sscard(&image, &["diagnose", "--region", "example"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains(
            "Product   sscard project virtual card, COS sscard-sim 1: on record in region example"
        ),
        "{t}"
    );
    let o = sscard(&image, &["diagnose", "--region", "example", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["product"]["on_record"], serde_json::Value::Bool(true));
    assert_eq!(v["product"]["region"], "example");
    let o = sscard(&image, &["diagnose"]);
    assert!(
        text(&o).contains("Product   no region configured (--region or SSCARD_REGION)"),
        "{}",
        text(&o)
    );
    set_atr(&image, UNLISTED_ATR);
    let o = run(
        &image,
        &["diagnose", "--json"],
        &[("SSCARD_REGION", "example")],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["product"]["on_record"], serde_json::Value::Bool(false));
    assert_eq!(v["product"]["product"], serde_json::Value::Null);
    let o = sscard(&image, &["diagnose", "--region", "example"]);
    assert!(
        text(&o).contains("Product   NOT ON RECORD in region example"),
        "{}",
        text(&o)
    );
}

#[test]
fn conformance_runs_only_on_a_product_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("demo.json");
    let o = sscard(&image, &["demo", "--image", image.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    set_atr(&image, UNLISTED_ATR);
    let before = std::fs::read(&image).unwrap();
    let (p, k) = (
        file("card-profiles/ssc-3.00.toml"),
        file("card-profiles/test-keys.toml"),
    );
    let args = |extra: &[&str]| {
        let mut a = vec![
            "conformance",
            "--profile",
            &p,
            "--keys",
            &k,
            "--test-card",
            "--card-id",
            CARD_ID,
            "--region",
            "example",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = sscard(&image, &a);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("conformance not run"), "{t}");
    assert!(
        t.contains("matches no card product on record in region example"),
        "{t}"
    );
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    let a = args(&["--allow-unlisted-product"]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = sscard(&image, &a);
    let t = text(&o);
    assert!(
        t.contains("product  NOT ON RECORD in region example"),
        "{t}"
    );
    assert!(!t.contains("conformance not run"), "{t}");
}
