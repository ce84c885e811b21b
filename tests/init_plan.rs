//! The init plan as data: order, FCPs, WRITE KEY contents, masking, counts.

use sscard::crypto::{Algorithm, Key, diversify};
use sscard::init;
use sscard::profile;
use sscard::profile::keys::{Factors, KeyFile};
use std::path::Path;

const CARD_ID: &str = "440300D156000005005E1F0C3A9D2B47";

fn setup(name: &str) -> (profile::Profile, KeyFile) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles");
    let p = profile::load(&dir.join(name)).unwrap();
    let k = KeyFile::load(&dir.join("test-keys.toml")).unwrap();
    (p, k)
}

fn factors() -> Factors {
    Factors {
        card_id: Some(hex::decode(CARD_ID).unwrap()),
        ..Factors::default()
    }
}

#[test]
fn ssc_3_00_plan_order_and_contents() {
    let (p, k) = setup("ssc-3.00.toml");
    let plan = init::init_plan(&p, &k, &factors()).unwrap();
    let ops: Vec<(&str, String)> = plan
        .steps
        .iter()
        .map(|s| (s.command, s.target.clone()))
        .collect();
    assert_eq!(ops[0], ("SELECT", "MF (3F00)".into()));
    assert_eq!(ops[1], ("CREATE FILE", "DF ssse (DDF1)".into()));
    assert_eq!(ops[2], ("SELECT", "DF ssse (DDF1)".into()));
    let keys = ops.iter().filter(|(c, _)| *c == "WRITE KEY").count();
    assert_eq!(keys, 9, "8 keys and the PIN");
    assert_eq!(ops[ops.len() - 1], ("ACTIVATE FILE", "MF (3F00)".into()));
    // Before closing the window, the MF gets the profile's access conditions (issue 13):
    // read always, the rest never.
    let put = &plan.steps[plan.steps.len() - 2];
    assert_eq!(
        (put.command, put.target.as_str()),
        ("PUT DATA", "MF (3F00) access conditions")
    );
    assert_eq!(
        sscard::apdu::compact(&put.apdu.to_bytes().unwrap()),
        "00DA00620A6208860600FFFFFFFFFF"
    );
    assert_eq!(
        plan.apdu_count(),
        33,
        "19 (EF08 photo and the MF's PUT DATA included) + 14 blank records"
    );
    assert_eq!(
        plan.byte_count(),
        plan.steps
            .iter()
            .map(|s| s.apdu.to_bytes().unwrap().len())
            .sum::<usize>()
    );

    // CREATE FILE of SSSE carries its DF name and the security attribute of the profile.
    let df = &plan.steps[1].apdu;
    assert_eq!((df.cla, df.ins, df.p1, df.p2), (0x00, 0xE0, 0x00, 0x00));
    let fcp = sscard::tlv::Fcp::parse(&df.data).unwrap();
    assert_eq!(fcp.df_name.as_deref(), Some(&profile::SSSE_NAME[..]));
    assert_eq!(fcp.fid, Some(0xDDF1));
    assert_eq!(fcp.lcs, Some(0x03));
    // EF05: free to read (00), written after key 04 (24): what stations do on 3.00 cards.
    let ef05 = plan
        .steps
        .iter()
        .find(|s| s.target == "EF ef05 (EF05)")
        .unwrap();
    assert_eq!(
        sscard::apdu::compact(&ef05.apdu.data),
        "6219820504210012078302EF058801288A010586060024FFFFFFFF"
    );
    // EF06: linear variable, 7 records of up to 32 bytes, SFI 6, read RKSSSE (2A), update 24.
    let ef06 = plan
        .steps
        .iter()
        .find(|s| s.target == "EF ef06 (EF06)")
        .unwrap();
    assert_eq!(
        sscard::apdu::compact(&ef06.apdu.data),
        "6219820504210020078302EF068801308A010586062A24FFFFFFFF"
    );

    // The write key is the test master key diversified by the last 8 bytes of the card id.
    let w = plan
        .steps
        .iter()
        .find(|s| s.target == "key 04 write in ssse")
        .unwrap();
    assert_eq!((w.apdu.cla, w.apdu.ins, w.apdu.p2), (0x80, 0xD4, 0x04));
    assert_eq!(&w.apdu.data[..3], &[0x01, 0x02, 0x0F]);
    let master = Key::from_hex(Algorithm::Sm4, "542D534D342D57524954452D2D2D2D2D").unwrap();
    let f: [u8; 8] = hex::decode(&CARD_ID[16..]).unwrap().try_into().unwrap();
    assert_eq!(&w.apdu.data[3..], &diversify(&master, &f).unwrap().bytes);

    // The PIN: usage 10, algorithm 00, 3 tries, BCD 123456.
    let pin = plan
        .steps
        .iter()
        .find(|s| s.target == "PIN 00 holder in ssse")
        .unwrap();
    assert_eq!(pin.apdu.data, vec![0x10, 0x00, 0x03, 0x12, 0x34, 0x56]);
}

#[test]
fn printed_plan_masks_keys_and_pins() {
    let (p, k) = setup("ssc-3.00.toml");
    let plan = init::init_plan(&p, &k, &factors()).unwrap();
    let text = plan.render();
    assert!(text.contains("80 D4 00 00 06 10 00 03 ** ** **"), "{text}");
    assert!(!text.contains("12 34 56"), "PIN visible:\n{text}");
    for s in plan.steps.iter().filter(|s| s.command == "WRITE KEY") {
        let secret = sscard::apdu::spaced(&s.apdu.data[3..]);
        assert!(!text.contains(&secret), "key visible: {}", s.target);
        assert!(!format!("{s:?}").contains(&secret));
    }
    // 638 bytes before the SSSE carried its algorithm identifier (A5 06 9F 0C 03 86 01 03).
    assert!(text.ends_with("33 APDUs, 646 bytes\n"), "{text}");
}

#[test]
fn diversified_keys_need_the_card_id() {
    let (p, k) = setup("ssc-3.00.toml");
    let e = init::init_plan(&p, &k, &Factors::default()).unwrap_err();
    assert!(e.to_string().contains("--card-id"), "{e}");
}

#[test]
fn demo_profile_plan_is_plain_iso() {
    let (p, k) = setup("iso7816-demo.toml");
    let plan = init::init_plan(&p, &k, &Factors::default()).unwrap();
    let ops: Vec<(&str, &str)> = plan
        .steps
        .iter()
        .map(|s| (s.command, s.target.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("SELECT", "MF (3F00)"),
            ("CREATE FILE", "DF demo (1000)"),
            ("SELECT", "DF demo (1000)"),
            ("CREATE FILE", "EF notes (0001)"),
            ("CREATE FILE", "EF serial (0002)"),
            ("SELECT", "MF (3F00)"),
        ],
        "no WRITE KEY, no ACTIVATE FILE: an operational MF"
    );
    // Transparent EF: 80 size 0040, SFI 1.
    let fcp = sscard::tlv::Fcp::parse(&plan.steps[3].apdu.data).unwrap();
    assert_eq!((fcp.size, fcp.sfi), (Some(64), Some(1)));
}

#[test]
fn blank_records_hold_empty_padded_values() {
    let (p, k) = setup("ssc-3.00.toml");
    let plan = init::init_plan(&p, &k, &factors()).unwrap();
    let blank = |target: &str| {
        let s = plan.steps.iter().find(|s| s.target == target).unwrap();
        assert_eq!((s.apdu.ins, s.apdu.p1), (0xE2, 0x00));
        sscard::apdu::compact(&s.apdu.data)
    };
    // an: 00-padded; cn/date: F-padded (an empty value); SFI 6 in P2.
    assert_eq!(blank("EF ef06 (EF06) blank record 4 tag 0A"), "0A0100");
    assert_eq!(
        blank("EF ef06 (EF06) blank record 7 tag 0D"),
        "0D04FFFFFFFF"
    );
    assert_eq!(
        blank("EF ef05 (EF05) blank record 5 tag 05"),
        "0504FFFFFFFF"
    );
    let s = plan
        .steps
        .iter()
        .find(|s| s.target.starts_with("EF ef06 (EF06) blank record 1"))
        .unwrap();
    assert_eq!(s.apdu.p2, 6 << 3);
    // Decoding a blank cn element gives an empty value.
    let bp = p.element("birth_place").unwrap().element;
    assert_eq!(bp.decode(&[0xFF, 0xFF, 0xFF]).unwrap(), "");
}
