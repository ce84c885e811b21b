//! Helpers shared by the virtual-card tests: hex in, hex out, and a small SSC-like card.
#![allow(dead_code)]

use sscard::apdu::{Command, compact, parse_hex};
use sscard::sim::VirtualCard;
use sscard::tlv::{Fcp, FileKind, SecurityAttributes};

/// SSSE's DF name: `sx1.sh.` + GBK `社会保障`.
pub const SSSE_NAME: &str = "7378312E73682EC9E7BBE1B1A3D5CF";

/// Sends hex, returns the whole answer as compact upper-case hex.
pub fn tx(c: &mut VirtualCard, apdu: &str) -> String {
    let bytes = parse_hex(apdu).expect("test APDU hex");
    let r = c
        .process(&bytes)
        .unwrap_or_else(|| panic!("no answer to {apdu}"));
    compact(&r)
}

/// Sends hex, returns only the status word.
pub fn sw(c: &mut VirtualCard, apdu: &str) -> String {
    let r = tx(c, apdu);
    r[r.len() - 4..].to_string()
}

/// Sends hex and asserts the status word.
pub fn ok(c: &mut VirtualCard, apdu: &str) -> String {
    let r = tx(c, apdu);
    assert!(r.ends_with("9000"), "{apdu} -> {r}");
    r[..r.len() - 4].to_string()
}

/// CREATE FILE with the given FCP.
pub fn create(c: &mut VirtualCard, fcp: &Fcp) -> String {
    let apdu = Command::new(0x00, 0xE0, 0x00, 0x00)
        .with_data(fcp.to_bytes())
        .to_bytes()
        .expect("CREATE APDU");
    compact(&c.process(&apdu).expect("answer to CREATE"))
}

/// A powered blank card.
pub fn blank() -> VirtualCard {
    let mut c = VirtualCard::blank();
    assert!(c.power_on().is_some());
    c
}

/// Access conditions from 6 bytes.
pub fn ac(b: [u8; 6]) -> SecurityAttributes {
    SecurityAttributes::from_bytes(b)
}

/// A powered card with: MF (creation) / SSSE DDF1 (by name, activated) holding EF05 (linear
/// variable, SFI 5, 3 records of card data) and EF06 (linear variable, SFI 6, empty), and
/// MF / EF 0015 transparent 16 bytes (SFI 0x15), MF / DF01 `D15600000500` with EF 0001 linear
/// fixed (record 8 bytes, 3 records) and EF 0002 cyclic (4 bytes, 2 records).
pub fn ssc_card() -> VirtualCard {
    let mut c = blank();
    let name = parse_hex(SSSE_NAME).unwrap();
    assert_eq!(
        create(&mut c, &Fcp::df(0xDDF1, Some(&name)).with_lcs(0x05)),
        "9000"
    );
    let ef05 = Fcp::record_file(0xEF05, FileKind::LinearVariable, 0x20, 10).with_lcs(0x05);
    assert_eq!(create(&mut c, &ef05), "9000");
    ok(&mut c, "00E20028 12 0110 440300D156000005005E1F0C3A9D2B47");
    ok(&mut c, "00E20028 03 020131");
    ok(&mut c, "00E20028 06 0304332E3030");
    let ef06 = Fcp::record_file(0xEF06, FileKind::LinearVariable, 0x20, 10).with_lcs(0x05);
    assert_eq!(create(&mut c, &ef06), "9000");
    ok(&mut c, "00A4000002 3F00");
    assert_eq!(create(&mut c, &Fcp::transparent(0x0015, 16)), "9000");
    ok(&mut c, "00A40000 00");
    let df01 = Fcp::df(0xDF01, Some(&[0xD1, 0x56, 0x00, 0x00, 0x05, 0x00])).with_lcs(0x05);
    assert_eq!(create(&mut c, &df01), "9000");
    assert_eq!(
        create(
            &mut c,
            &Fcp::record_file(0x0001, FileKind::LinearFixed, 8, 3)
        ),
        "9000"
    );
    assert_eq!(
        create(&mut c, &Fcp::record_file(0x0002, FileKind::Cyclic, 4, 2)),
        "9000"
    );
    ok(&mut c, "00A40000 00");
    c
}
