//! Field fidelity (issue 10): the algorithm identifier of the SSSE FCI (`9F0C 03 86 01 xx`:
//! 01 DES/3DES, 02 SSF33, 03 SM4) as the profile names it, returned by the virtual card, shown
//! by `read` and `diagnose`; SSF33 refused by soft keys; a profile with 6 PIN tries enforced.

use sscard::error::ErrorChain;
use sscard::profile::Profile;
use sscard::profile::keys::{Factors, KeyFile};
use sscard::session::CardKeys;
mod sim_cli;

use sim_cli::{file, sscard, text};
use std::path::Path;
use std::process::Output;

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
const SELECT_SSSE_FCI: &str = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00";

fn init(image: &Path, profile: &str) -> Output {
    let k = file("card-profiles/test-keys.toml");
    sscard(
        image,
        &[
            "init",
            "--profile",
            profile,
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
        ],
    )
}

/// A copy of shipped profile `name` in `dir` with `from` replaced by `to` (once).
fn variant(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(file(&format!("card-profiles/{name}.toml"))).unwrap();
    let changed = text.replacen(from, to, 1);
    assert_ne!(changed, text, "{name} has no `{from}`");
    let p = dir.join(format!("{name}-variant.toml"));
    std::fs::write(&p, changed).unwrap();
    p.display().to_string()
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

#[test]
fn the_virtual_card_returns_the_algorithm_id_the_profile_names() {
    let dir = tempfile::tempdir().unwrap();
    for (name, id) in [("ssc-3.00", "03"), ("ssc-2.00", "01"), ("ssc-1.00", "01")] {
        let image = dir.path().join(format!("{name}.json"));
        let o = init(&image, &file(&format!("card-profiles/{name}.toml")));
        assert!(o.status.success(), "{}", text(&o));
        let o = sscard(&image, &["send", SELECT_SSSE_FCI]);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        // FCI template 6F with the proprietary template A5 { 9F0C 03 86 01 xx }.
        assert!(t.contains("< 6F "), "{t}");
        assert!(
            t.contains(&format!("A5 06 9F 0C 03 86 01 {id} : 9000")),
            "{name}: {t}"
        );
    }
    // A profile that names none: the card's FCI has no 9F0C.
    let p = variant(dir.path(), "ssc-2.00", "algorithm_id = \"3des\"", "");
    let image = dir.path().join("none.json");
    assert!(init(&image, &p).status.success());
    let o = sscard(&image, &["send", SELECT_SSSE_FCI]);
    assert!(!text(&o).contains("9F 0C"), "{}", text(&o));
}

#[test]
fn read_and_diagnose_show_the_algorithm_id() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("demo.json");
    let o = sscard(&image, &["demo", "--image", image.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sscard(&image, &["read"]);
    assert!(
        text(&o).contains("\nalgorithm    03 SM4 (FCI 9F0C)\n"),
        "{}",
        text(&o)
    );
    let (p, k) = (
        file("card-profiles/ssc-3.00.toml"),
        file("card-profiles/test-keys.toml"),
    );
    let o = sscard(
        &image,
        &[
            "read",
            "--profile",
            &p,
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["algorithm_id"]["code"], "03");
    assert_eq!(v["algorithm_id"]["name"], "SM4");
    assert_eq!(v["algorithm_id"]["from_card"], true);
    let o = sscard(&image, &["diagnose"]);
    assert!(
        text(&o).contains("algorithm 03 SM4 (FCI 9F0C)"),
        "{}",
        text(&o)
    );
    let o = sscard(&image, &["diagnose", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ssse = v["dfs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "3F00/DDF1")
        .unwrap();
    assert_eq!(ssse["algorithm"], "03 SM4 (FCI 9F0C)");
    // A 2nd-generation card built without the identifier: 01 is assumed, and said so.
    let p = variant(dir.path(), "ssc-2.00", "algorithm_id = \"3des\"", "");
    let image = dir.path().join("none.json");
    assert!(init(&image, &p).status.success());
    let o = sscard(&image, &["read", "--profile", &p]);
    assert!(
        text(&o).contains("algorithm    01 DES/3DES (assumed: the card's FCI has no 9F0C)"),
        "{}",
        text(&o)
    );
    // diagnose says when the card's identifier is not the profile's.
    let image = dir.path().join("demo.json");
    let o = sscard(
        &image,
        &["diagnose", "--profile", &ssf33_profile(dir.path())],
    );
    assert!(
        text(&o).contains("algorithm 03 SM4 (FCI 9F0C); the profile says 02 SSF33"),
        "{}",
        text(&o)
    );
}

fn ssf33_profile(dir: &Path) -> String {
    variant(
        dir,
        "ssc-3.00",
        "algorithm_id = \"sm4\"",
        "algorithm_id = \"ssf33\"",
    )
}

#[test]
fn a_profile_may_name_ssf33_and_soft_keys_refuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = ssf33_profile(dir.path());
    let o = sscard(&dir.path().join("x.json"), &["profile", "check", &p]);
    assert!(o.status.success(), "{}", text(&o));
    // init with a key file: refused before anything is sent.
    let image = dir.path().join("card.json");
    let o = sscard(
        &image,
        &["sim", "--create", "--image", image.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let before = std::fs::read(&image).unwrap();
    let o = init(&image, &p);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("the card's algorithm is SSF33 (FCI 9F0C 86 01 02)"),
        "{t}"
    );
    assert!(t.contains("exists only in hardware"), "{t}");
    assert!(
        t.contains("give the PSAM (--psam READER) or the HSM (--pkcs11 MODULE.so --token LABEL)"),
        "{t}"
    );
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was touched"
    );
    // perso with a key file: the write key is not available, for that reason.
    let demo = dir.path().join("demo.json");
    assert!(
        init(&demo, &file("card-profiles/ssc-3.00.toml"))
            .status
            .success()
    );
    let k = file("card-profiles/test-keys.toml");
    let rec = holder(dir.path());
    let o = sscard(
        &demo,
        &["perso", "--profile", &p, "--record", &rec, "--keys", &k],
    );
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("SSF33") && t.contains("exists only in hardware"),
        "{t}"
    );
}

#[test]
fn soft_card_keys_of_an_ssf33_card_are_unavailable_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let p: Profile = sscard::profile::load(Path::new(&ssf33_profile(dir.path()))).unwrap();
    let kf = KeyFile::load(Path::new(&file("card-profiles/test-keys.toml"))).unwrap();
    let factors = Factors {
        card_id: Some(sscard::apdu::parse_hex(CARD_ID).unwrap()),
        ..Factors::default()
    };
    let keys = CardKeys::from_key_file(&p, "ssse", &kf, &factors);
    for (id, _) in p.df("ssse").unwrap().keys.iter().map(|k| (k.id, ())) {
        assert!(keys.get(id).is_none());
        let why = keys.why_missing(id).unwrap();
        assert!(
            why.contains("SSF33") && why.contains("a key file cannot compute it"),
            "{why}"
        );
    }
    let e = sscard::init::init_plan(&p, &kf, &factors)
        .unwrap_err()
        .chain()
        .to_string();
    assert!(
        e.starts_with("DF ssse: the card's algorithm is SSF33"),
        "{e}"
    );
    // The SM4 card's keys are there.
    let sm4 = sscard::profile::find("ssc-3.00").unwrap().load().unwrap();
    let keys = CardKeys::from_key_file(&sm4, "ssse", &kf, &factors);
    assert!(keys.get(0x04).is_some());
}

#[test]
fn an_algorithm_id_that_is_unknown_or_disagrees_with_the_keys_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = variant(
        dir.path(),
        "ssc-3.00",
        "algorithm_id = \"sm4\"",
        "algorithm_id = \"aes\"",
    );
    let o = sscard(&dir.path().join("x.json"), &["profile", "check", &p]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(&format!("{p}:29:")), "{}", text(&o));
    assert!(
        text(&o).contains("algorithm id 'aes' is unknown"),
        "{}",
        text(&o)
    );
    let p = variant(
        dir.path(),
        "ssc-3.00",
        "algorithm_id = \"sm4\"",
        "algorithm_id = \"3des\"",
    );
    let o = sscard(&dir.path().join("x.json"), &["profile", "check", &p]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("the DF says algorithm DES/3DES but its key"),
        "{}",
        text(&o)
    );
    // The fingerprint covers it: another identifier is another structure.
    let a = sscard::profile::find("ssc-3.00").unwrap().load().unwrap();
    let b = sscard::profile::load(Path::new(&ssf33_profile(dir.path()))).unwrap();
    assert_ne!(
        sscard::profile::fingerprint::fingerprint(&a),
        sscard::profile::fingerprint::fingerprint(&b)
    );
}

#[test]
fn a_profile_with_6_pin_tries_gets_6_on_the_virtual_card() {
    let dir = tempfile::tempdir().unwrap();
    let p = variant(dir.path(), "ssc-3.00", "max_tries = 3\n", "max_tries = 6\n");
    let image = dir.path().join("card.json");
    assert!(init(&image, &p).status.success());
    let k = file("card-profiles/test-keys.toml");
    let rec = holder(dir.path());
    let o = sscard(
        &image,
        &["perso", "--profile", &p, "--record", &rec, "--keys", &k],
    );
    assert!(o.status.success(), "{}", text(&o));
    let pin = |args: &[&str]| {
        let mut a = vec!["pin"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--profile", &p]);
        sscard(&image, &a)
    };
    let o = pin(&["status"]);
    assert!(text(&o).contains("6 tries left"), "{}", text(&o));
    for left in (1..=5).rev() {
        let o = pin(&["verify", "--pin", "999999"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("{left} tries left")),
            "{left}: {}",
            text(&o)
        );
    }
    let o = pin(&["verify", "--pin", "999999"]);
    assert!(text(&o).contains("BLOCKED"), "{}", text(&o));
    // Blocked: even the right PIN is refused now.
    let o = pin(&["verify", "--pin", "123456"]);
    assert!(!text(&o).contains("PIN correct"), "{}", text(&o));
    let o = pin(&["status"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("BLOCKED"), "{}", text(&o));
}
