//! Every shipped script in apdu-scripts/ loads (includes resolved) and passes the whole-script
//! check with the variables it documents.

use sscard::script::{Script, Vars};
use std::path::Path;

#[test]
fn every_shipped_script_loads_and_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu-scripts");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "apdu") {
            let s = Script::load(&path).unwrap_or_else(|e| panic!("{e}"));
            s.check(None, &Vars::new())
                .unwrap_or_else(|e| panic!("{e}"));
            for b in s.block_names() {
                s.check(Some(b), &Vars::new())
                    .unwrap_or_else(|e| panic!("{}: block {b}: {e}", path.display()));
            }
            seen += 1;
        }
    }
    assert!(seen >= 8, "only {seen} scripts in {}", dir.display());
    let enable = Script::load(&dir.join("sim-enable.apdu")).unwrap();
    assert_eq!(enable.block_names(), vec!["disable", "enable"]);
}

#[test]
fn the_demo_build_refuses_a_value_of_the_wrong_length_before_sending() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu-scripts");
    let s = Script::load(&dir.join("ssc-build-demo.apdu")).unwrap();
    let mut v = Vars::new();
    v.set("CARD_NUMBER", "D12345676X");
    let e = s.check(None, &v).unwrap_err().to_string();
    assert!(
        e.ends_with(
            "variable ${CARD_NUMBER}: its value is 10 bytes as ascii, more than the 9 of its place"
        ),
        "{e}"
    );
    assert!(e.contains("ssc-build-demo.apdu:"), "{e}");
}
