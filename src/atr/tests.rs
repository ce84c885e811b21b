use super::*;
use crate::apdu::Sw;

#[test]
fn vicc_iso7816() {
    let a = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00 0B").unwrap();
    assert_eq!(a.convention, Convention::Direct);
    assert_eq!(a.historical_len(), 5);
    assert_eq!(a.interface.len(), 3);
    assert_eq!(a.interface_byte('A', 1), Some(0x13));
    assert_eq!(a.interface_byte('D', 1), Some(0x81));
    assert_eq!(a.interface_byte('D', 2), Some(0x01));
    assert_eq!(a.interface[2].applies_to, Some(1));
    assert_eq!(a.protocols, vec![1]);
    assert!(a.tck_required);
    assert_eq!(a.tck, Some(0x0B));
    assert_eq!(
        (a.clock.fi, a.clock.di, a.clock.fmax_khz),
        (Some(372), Some(4), Some(5000))
    );
    assert_eq!(a.clock.bit_rate_default_clock, Some(38400));
    assert_eq!(a.clock.bit_rate_max_clock, Some(53763));
    assert_eq!(a.mode, Mode::Negotiable);
    let t1 = a.t1_params.clone().unwrap();
    assert_eq!((t1.ifsc, t1.bwi, t1.cwi, t1.from_atr), (32, 4, 13, false));
    assert!(a.t0_params.is_none());
    assert_eq!(a.historical.category, Some(0x80));
    assert_eq!(a.historical.objects.len(), 1);
    assert_eq!(a.historical.objects[0].name, "card capabilities");
    assert_eq!(a.historical.objects[0].value, vec![0xFF, 0x01, 0x00]);
    assert!(a.notes.is_empty(), "{:?}", a.notes);
}

#[test]
fn t0_bank_card_without_tck() {
    let a = Atr::from_hex("3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00").unwrap();
    assert_eq!(a.protocols, vec![0]);
    assert!(!a.tck_required);
    assert_eq!(a.tck, None);
    assert_eq!(
        (a.interface_byte('B', 1), a.interface_byte('C', 1)),
        (Some(0), Some(0))
    );
    assert_eq!(a.clock.bit_rate_default_clock, Some(9600));
    assert!(!a.clock.from_ta1);
    assert_eq!(a.extra_guard_time, 0);
    let t0 = a.t0_params.clone().unwrap();
    assert_eq!(t0.wi, 10);
    // WT = 960 * 10 * 372 / 3.5712 MHz = 1000 ms.
    assert_eq!(t0.wt_ms, Some(1000));
    let h = &a.historical;
    assert_eq!(h.bytes.len(), 14);
    assert_eq!(h.objects.len(), 3);
    assert_eq!(h.objects[1].name, "pre-issuing data");
    let st = h.status.clone().unwrap();
    assert_eq!((st.lcs, st.sw), (Some(0), Some(Sw::OK)));
}

#[test]
fn inverse_convention() {
    let a = Atr::from_hex("3F 65 25 00 2C 09 69 90 00").unwrap();
    assert_eq!(a.convention, Convention::Inverse);
    assert_eq!(a.protocols, vec![0]);
    assert_eq!(a.historical.bytes, vec![0x2C, 0x09, 0x69, 0x90, 0x00]);
    assert!(a.historical.format.starts_with("proprietary"));
    assert!(a.notes.iter().any(|n| n.contains("TB1")), "{:?}", a.notes);
    assert!(a.explain().contains("inverse convention"));
}

#[test]
fn t1_with_tck_and_parameters() {
    let a = Atr::from_hex("3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4").unwrap();
    assert_eq!(a.protocols, vec![1]);
    assert_eq!(a.tck, Some(0xD4));
    let t1 = a.t1_params.clone().unwrap();
    assert_eq!((t1.ifsc, t1.bwi, t1.cwi), (254, 1, 5));
    assert_eq!(t1.error_detection, ErrorDetection::Lrc);
    assert!(t1.from_atr);
    assert_eq!(a.historical.text.as_deref(), Some("Yubikey4"));
}

#[test]
fn specific_mode_t15_and_guard_time() {
    // TA1=96 (Fi 512, Di 32), TC1=FF, TD1=90 (TA2 TD2 follow... T=0), TA2=11 (specific T=1,
    // implicit), TD2=1F (TA3, T=15), TA3=C3 (clock stop, no preference; classes A and B).
    let mut raw = vec![0x3B, 0xD0, 0x96, 0xFF, 0x90, 0x11, 0x1F, 0xC3];
    let tck = raw[1..].iter().fold(0, |a, b| a ^ b);
    raw.push(tck);
    let a = Atr::parse(&raw).unwrap();
    assert_eq!(a.extra_guard_time, 255);
    assert_eq!(
        a.mode,
        Mode::Specific {
            protocol: 1,
            can_change: true,
            implicit_parameters: true
        }
    );
    assert_eq!(a.protocols, vec![0]);
    assert!(a.t15_indicated && a.tck_required);
    let p = a.t15_params.clone().unwrap();
    assert_eq!(p.classes, vec!["A (5 V)", "B (3 V)"]);
    assert_eq!(p.clock_stop.as_deref(), Some("supported, no preference"));
    assert_eq!((a.clock.fi, a.clock.di), (Some(512), Some(32)));
    assert!(a.explain().contains("minimum guard time"));
}

#[test]
fn truncated_names_the_missing_byte() {
    let e = Atr::from_hex("3B 95 13 81").unwrap_err();
    assert_eq!(
        e,
        AtrError::Missing {
            byte: "TD2".into(),
            announced_by: "TD1".into(),
            index: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "TD1 announces TD2 (byte 4) but the ATR has only 4 bytes"
    );
    let e = Atr::from_hex("3B 95").unwrap_err();
    assert!(
        e.to_string().starts_with("T0 announces TA1 (byte 2)"),
        "{e}"
    );
    let e = Atr::from_hex("3B 95 13 81 01 80 73").unwrap_err();
    assert_eq!(
        e,
        AtrError::HistoricalTruncated {
            k: 5,
            start: 5,
            got: 2
        }
    );
    let e = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00").unwrap_err();
    assert_eq!(
        e,
        AtrError::MissingTck {
            index: 10,
            why: "T=1 is offered".into()
        }
    );
    assert_eq!(Atr::parse(&[]).unwrap_err(), AtrError::Empty);
    assert_eq!(
        Atr::parse(&[0x3B]).unwrap_err().to_string(),
        "TS announces T0 (byte 1) but the ATR has only 1 bytes"
    );
}

#[test]
fn bad_tck_and_bad_ts() {
    let e = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00 0C").unwrap_err();
    assert_eq!(
        e,
        AtrError::BadTck {
            index: 10,
            tck: 0x0C,
            expected: 0x0B
        }
    );
    assert!(
        e.to_string()
            .contains("TCK (byte 10) is 0C but should be 0B"),
        "{e}"
    );
    let e = Atr::from_hex("3A 00").unwrap_err();
    assert_eq!(e, AtrError::BadTs(0x3A));
    assert!(
        Atr::from_hex("03 00")
            .unwrap_err()
            .to_string()
            .contains("did not decode")
    );
    assert!(matches!(Atr::from_hex("3B 0"), Err(AtrError::Hex(_))));
}

#[test]
fn trailing_bytes_and_tck_on_t0_only() {
    let e = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00 0B 00").unwrap_err();
    assert_eq!(
        e,
        AtrError::Trailing {
            index: 11,
            count: 1,
            after: "TCK"
        }
    );
    // 3B 00 with a correct "TCK" (00): accepted with a note.
    let a = Atr::from_hex("3B 00 00").unwrap();
    assert_eq!(a.tck, Some(0));
    assert_eq!(a.notes.len(), 1);
    // A wrong one is a trailing byte.
    assert!(matches!(
        Atr::from_hex("3B 00 42"),
        Err(AtrError::Trailing { index: 2, .. })
    ));
}

#[test]
fn rfu_codes_are_notes_not_errors() {
    // TA1 = 70: Fi code 7 (RFU), Di code 0 (RFU).
    let a = Atr::from_hex("3B 10 70").unwrap();
    assert_eq!((a.clock.fi, a.clock.di), (None, None));
    assert_eq!(a.clock.bit_rate_default_clock, None);
    assert_eq!(a.notes.len(), 2);
    assert!(a.explain().contains("RFU"));
}

#[test]
fn never_panics_on_any_short_input() {
    // Every prefix and every single-byte corruption of a few ATRs parses or errors.
    for hex in [
        "3B 95 13 81 01 80 73 FF 01 00 0B",
        "3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4",
        "3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00",
    ] {
        let raw = crate::apdu::parse_hex(hex).unwrap();
        for n in 0..raw.len() {
            assert!(Atr::parse(&raw[..n]).is_err(), "prefix {n} of {hex}");
            for v in [0x00, 0xFF, 0x0F, 0xF0] {
                let mut r = raw.clone();
                r[n] = v;
                let _ = Atr::parse(&r).map(|a| a.explain());
            }
        }
    }
}

#[test]
fn json_is_readable() {
    let a = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00 0B").unwrap();
    let j = serde_json::to_value(&a).unwrap();
    assert_eq!(j["raw"], "3B951381018073FF01000B");
    assert_eq!(j["convention"], "direct");
    assert_eq!(j["tck"], "0B");
    assert_eq!(j["protocols"], serde_json::json!([1]));
    assert_eq!(j["clock"]["bit_rate_default_clock"], 38400);
    assert_eq!(j["mode"]["kind"], "negotiable");
    assert_eq!(j["historical"]["objects"][0]["value"], "FF0100");
    assert_eq!(j["interface"][0]["ta"], "13");
    assert_eq!(j["interface"][0]["tb"], serde_json::Value::Null);
}

#[test]
fn explain_lists_every_byte() {
    let a = Atr::from_hex("3B 95 13 81 01 80 73 FF 01 00 0B").unwrap();
    let text = a.explain();
    for needle in [
        "TS   3B  direct convention",
        "T0   95  TA1 TD1 follow; 5 historical byte(s)",
        "TA1  13  Fi=372 Di=4 fmax=5 MHz: 38400 bit/s at 3.57 MHz, 53763 bit/s at 5 MHz",
        "TD1  81  protocol T=1; TD2 follows",
        "TD2  01  protocol T=1; no more interface bytes",
        "TCK  0B  correct",
        "protocols   T=1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn random_atrs_parse_or_error_and_account_for_every_byte() {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut ok = 0;
    for _ in 0..50_000 {
        let len = 2 + (next() % 32) as usize;
        let mut raw: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        raw[0] = if next().is_multiple_of(2) { 0x3B } else { 0x3F };
        // Fix the TCK half of the time so that some parse.
        if next().is_multiple_of(2) {
            let x = raw[1..len - 1].iter().fold(0, |a, b| a ^ b);
            raw[len - 1] = x;
        }
        if let Ok(a) = Atr::parse(&raw) {
            ok += 1;
            let iface: usize = a
                .interface
                .iter()
                .map(|g| [g.ta, g.tb, g.tc, g.td].iter().flatten().count())
                .sum();
            let total = 2 + iface + a.historical.bytes.len() + usize::from(a.tck.is_some());
            assert_eq!(total, raw.len(), "{}", crate::apdu::spaced(&raw));
            assert!(!a.explain().is_empty());
        }
    }
    assert!(ok > 100, "only {ok} random ATRs parsed");
}
