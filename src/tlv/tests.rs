use super::*;
use crate::apdu::parse_hex;

const SSSE_NAME: &str = "7378312E73682EC9E7BBE1B1A3D5CF";

#[test]
fn simple_tlv_ssn_record_round_trips() {
    let mut rec = vec![0x08, 0x12];
    rec.extend_from_slice(b"110101199012290016");
    let t = SimpleTlv::parse_record(&rec).unwrap();
    assert_eq!(t.tag, 0x08);
    assert_eq!(t.value, b"110101199012290016");
    assert_eq!(t.to_bytes().unwrap(), rec);
}

#[test]
fn simple_tlv_long_form_and_padding() {
    let t = SimpleTlv::new(0x5F, vec![0xAB; 300]);
    let b = t.to_bytes().unwrap();
    assert_eq!(&b[..4], &[0x5F, 0xFF, 0x01, 0x2C]);
    assert_eq!(SimpleTlv::parse_record(&b).unwrap(), t);
    // 254 bytes still use the short form; 255 the long one.
    assert_eq!(SimpleTlv::new(1, vec![0; 254]).to_bytes().unwrap()[1], 0xFE);
    assert_eq!(
        &SimpleTlv::new(1, vec![0; 255]).to_bytes().unwrap()[1..4],
        &[0xFF, 0x00, 0xFF]
    );
    // Fixed-length record: trailing 00 padding is fine, other bytes are not.
    assert_eq!(
        SimpleTlv::parse_record(&[0x0A, 0x01, 0x31, 0, 0, 0])
            .unwrap()
            .value,
        b"1"
    );
    assert_eq!(
        SimpleTlv::parse_record(&[0x0A, 0x01, 0x31, 0x42]),
        Err(TlvError::Trailing {
            offset: 3,
            count: 1
        })
    );
}

#[test]
fn simple_tlv_errors_name_the_offset() {
    assert!(matches!(
        SimpleTlv::parse_record(&[0x08, 0x12, 0x34]),
        Err(TlvError::Truncated {
            what: "SIMPLE-TLV value",
            offset: 2,
            need: 18,
            have: 1
        })
    ));
    assert!(matches!(
        SimpleTlv::parse_record(&[0x00, 0x00]),
        Err(TlvError::BadTag { tag: 0, .. })
    ));
    assert_eq!(
        SimpleTlv::parse_record(&[0x08, 0xFF, 0x00, 0x01, 0x41]),
        Err(TlvError::NonMinimalLength { offset: 1 })
    );
    assert!(SimpleTlv::parse_record(&[0x08]).is_err());
    assert!(SimpleTlv::parse_record(&[0x08, 0xFF, 0x01]).is_err());
    assert!(SimpleTlv::new(0xFF, vec![]).to_bytes().is_err());
    let all = SimpleTlv::parse_all(&[0x01, 0x01, 0x31, 0x02, 0x05, 0x31]).unwrap_err();
    assert!(
        matches!(all, TlvError::Truncated { offset: 5, .. }),
        "{all:?}"
    );
    let two = SimpleTlv::parse_all(&[0x01, 0x01, 0x31, 0x02, 0x00]).unwrap();
    assert_eq!(two.len(), 2);
}

#[test]
fn ssse_fci_with_proprietary_data() {
    // 6F { 84 <SSSE name>, A5 { 9F0C 03 { 86 01 03 } } }
    let hex = format!("6F19840F{SSSE_NAME}A5069F0C03860103");
    let data = parse_hex(&hex).unwrap();
    let f = Fcp::parse(&data).unwrap();
    assert_eq!(f.template, 0x6F);
    assert_eq!(
        f.df_name.as_deref(),
        Some(&parse_hex(SSSE_NAME).unwrap()[..])
    );
    assert_eq!(
        f.find(&[0xA5]),
        Some(&parse_hex("9F0C03860103").unwrap()[..])
    );
    assert_eq!(f.find_nested(&[0x9F, 0x0C]), Some(vec![0x86, 0x01, 0x03]));
    assert_eq!(f.to_bytes(), data);
}

#[test]
fn built_df_and_record_ef_round_trip() {
    let name = parse_hex(SSSE_NAME).unwrap();
    let df = Fcp::df(0xDDF1, Some(&name))
        .with_lcs(0x03)
        .with_security(SecurityAttributes {
            create: AccessCondition::ExternalAuth(0),
            delete: AccessCondition::Never,
            ..SecurityAttributes::OPEN
        });
    let b = df.to_bytes();
    let expected = format!("622382013883 02DDF1840F{SSSE_NAME}8A01038606000020FF0000");
    assert_eq!(b, parse_hex(&expected).unwrap());
    let back = Fcp::parse(&b).unwrap();
    assert_eq!(back, df);
    assert!(back.is_df());
    assert_eq!(back.to_bytes(), b);

    let ef = Fcp::record_file(0xEF06, FileKind::LinearVariable, 0x30, 8)
        .with_sfi(6)
        .with_lcs(0x03)
        .with_security(SecurityAttributes::from_bytes([
            0x00, 0x24, 0x20, 0xFF, 0x20, 0x20,
        ]));
    let b = ef.to_bytes();
    assert_eq!(
        b,
        parse_hex("6219 8205 0421003008 8302EF06 880130 8A0103 8606 002420FF2020").unwrap()
    );
    let back = Fcp::parse(&b).unwrap();
    assert_eq!(back.kind(), Some(FileKind::LinearVariable));
    assert_eq!(back.sfi, Some(6));
    assert_eq!(
        back.security.unwrap().update,
        AccessCondition::ExternalAuth(4)
    );
    assert_eq!(back.descriptor.unwrap().record_count, Some(8));
    assert_eq!(back.to_bytes(), b);
    assert!(back.describe().contains("EF06 linear variable record EF, 8 records of up to 48 bytes, SFI 6, LCS 03 (initialisation)"), "{}", back.describe());

    let t = Fcp::transparent(0x0002, 0x100);
    assert_eq!(
        t.to_bytes(),
        parse_hex("620B 820101 83020002 80020100").unwrap()
    );
}

#[test]
fn unusual_forms_round_trip_and_edits_stay_in_place() {
    // LCS first, 82 with a 1-byte record size, 80 with 1 byte, unknown 85 with a non-minimal
    // length (81 02), 88 not in the SFI<<3 form.
    let data = parse_hex("6217 8A0105 8203022110 8302A001 800120 8581021122 880107").unwrap();
    let mut f = Fcp::parse(&data).unwrap();
    assert_eq!(f.size, Some(0x20));
    assert_eq!(f.descriptor.unwrap().max_record_len, Some(0x10));
    assert_eq!(f.sfi, None, "88 07 is not SFI<<3: kept raw");
    assert_eq!(f.find(&[0x88]), Some(&[0x07][..]));
    assert_eq!(f.find(&[0x85]), Some(&[0x11, 0x22][..]));
    assert_eq!(f.to_bytes(), data);
    // Change the LCS: it is re-encoded where it was, the rest stays as it came.
    f.lcs = Some(0x04);
    let b = f.to_bytes();
    assert_eq!(b[..5], parse_hex("62178A0104").unwrap()[..]);
    assert_eq!(b[5..], data[5..]);
    // A non-minimal outer length is kept too.
    let data = parse_hex("628103 8A0105").unwrap();
    assert_eq!(Fcp::parse(&data).unwrap().to_bytes(), data);
    assert!(matches!(
        Fcp::parse(&parse_hex("6204 8A0105").unwrap()),
        Err(TlvError::Truncated { .. })
    ));
    assert!(matches!(
        Fcp::parse(&parse_hex("6202 8A0105").unwrap()),
        Err(TlvError::Trailing {
            offset: 4,
            count: 1
        })
    ));
}

#[test]
fn malformed_fcp_is_an_error() {
    assert_eq!(Fcp::parse(&[0x90, 0x00]), Err(TlvError::NotATemplate(0x90)));
    assert!(matches!(Fcp::parse(&[]), Err(TlvError::Truncated { .. })));
    assert!(matches!(
        Fcp::parse(&parse_hex("6205830201").unwrap()),
        Err(TlvError::Truncated { .. })
    ));
    assert!(matches!(
        Fcp::parse(&parse_hex("6203830201").unwrap()),
        Err(TlvError::Ber { .. })
    ));
    assert!(matches!(
        Fcp::parse(&parse_hex("6203830101").unwrap()),
        Err(TlvError::BadElement {
            tag: 0x83,
            len: 1,
            ..
        })
    ));
    assert!(matches!(
        Fcp::parse(&parse_hex("62098207010203040506 07").unwrap()),
        Err(TlvError::BadElement {
            tag: 0x82,
            len: 7,
            ..
        })
    ));
    // Every truncation of a valid FCP errors, never panics.
    let b = Fcp::record_file(0xEF05, FileKind::LinearVariable, 0x20, 7)
        .with_sfi(5)
        .to_bytes();
    for n in 0..b.len() {
        assert!(Fcp::parse(&b[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn access_conditions() {
    for b in [0x00u8, 0x10, 0x1F, 0x24, 0x3A, 0xFF, 0x55] {
        assert_eq!(AccessCondition::from_byte(b).to_byte(), b);
    }
    assert_eq!(
        AccessCondition::from_byte(0x24).to_string(),
        "external authentication with key 04"
    );
    assert_eq!(AccessCondition::Pin(0).to_string(), "PIN 0 verified");
}

#[test]
fn ber_lengths_are_minimal() {
    let mut v = Vec::new();
    for (len, enc) in [
        (0x7F, vec![0x7F]),
        (0x80, vec![0x81, 0x80]),
        (0x1234, vec![0x82, 0x12, 0x34]),
    ] {
        v.clear();
        push_ber_len(&mut v, len);
        assert_eq!(v, enc);
    }
    // A 127-byte element round-trips (the crate's own encoder would write 81 7F).
    let mut f = Fcp::new(0x6F);
    f.other.push(RawElement {
        tag: vec![0x85],
        value: vec![0x41; 127],
    });
    let b = f.to_bytes();
    assert_eq!(&b[..5], &[0x6F, 0x81, 0x81, 0x85, 0x7F]);
    assert_eq!(Fcp::parse(&b).unwrap(), f);
    assert_eq!(Fcp::parse(&b).unwrap().to_bytes(), b);
}

/// A small deterministic generator (no dependency): xorshift.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn random_input_never_panics_and_what_parses_round_trips() {
    let tags = [
        0x82, 0x83, 0x84, 0x80, 0x81, 0x88, 0x8A, 0x86, 0x85, 0xA5, 0x9F, 0x00, 0xFF,
    ];
    let mut s = 0x1234_5678_9ABC_DEF0u64;
    let mut parsed = 0;
    for _ in 0..20_000 {
        // Mostly well-framed element lists with random tags, lengths and values.
        let mut content = Vec::new();
        for _ in 0..(next(&mut s) % 5) {
            content.push(tags[(next(&mut s) % tags.len() as u64) as usize]);
            let len = (next(&mut s) % 9) as usize;
            content.push(if next(&mut s).is_multiple_of(8) {
                0x81
            } else {
                len as u8
            });
            for _ in 0..len {
                content.push(next(&mut s) as u8);
            }
        }
        let mut data = vec![[0x62, 0x6F, 0x64][(next(&mut s) % 3) as usize]];
        push_ber_len(&mut data, content.len());
        data.extend(content);
        if let Ok(f) = Fcp::parse(&data) {
            parsed += 1;
            assert_eq!(f.to_bytes(), data, "{}", crate::apdu::compact(&data));
        }
        if let Ok(els) = SimpleTlv::parse_all(&data[1..]) {
            let again: Vec<u8> = els.iter().flat_map(|e| e.to_bytes().unwrap()).collect();
            assert_eq!(again, data[1..]);
        }
    }
    assert!(parsed > 1000, "only {parsed} of the random FCPs parsed");
}
