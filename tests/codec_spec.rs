//! The codec against every example value of the spec (shared/spec/ssc-card.md).

use sscard::codec::rules::{self, Rule};
use sscard::codec::{CodecError, Format, Padding, decode, encode, join_gbk, split_gbk};
use sscard::error::ErrorChain;

fn rt(format: Format, len: usize, value: &str, card_hex: &str) {
    let pad = format.default_padding();
    let bytes = encode(format, len, pad, value).unwrap();
    assert_eq!(sscard::apdu::compact(&bytes), card_hex, "encoding {value}");
    assert_eq!(
        decode(format, pad, &bytes).unwrap(),
        value,
        "decoding {card_hex}"
    );
}

#[test]
fn ef05_examples_round_trip() {
    rt(
        Format::B,
        16,
        "440300D156000005005E1F0C3A9D2B47",
        "440300D156000005005E1F0C3A9D2B47",
    );
    rt(Format::An, 1, "1", "31");
    rt(Format::An, 4, "3.00", "332E3030");
    rt(Format::An, 4, "1.00", "312E3030");
    rt(Format::Date, 4, "20211203", "20211203");
    rt(Format::Date, 4, "20311202", "20311202");
    // The iReadCardBas example line of the spec.
    rt(
        Format::B,
        16,
        "440700D15600000500A1B2C3D4E5F607",
        "440700D15600000500A1B2C3D4E5F607",
    );
    rt(Format::Date, 4, "20140126", "20140126");
    rt(Format::Date, 4, "20240126", "20240126");
    rt(
        Format::Gbk,
        30,
        "王小明",
        "CDF5D0A1C3F7000000000000000000000000000000000000000000000000",
    );
    rt(Format::An, 9, "D12345676", "443132333435363736");
    rt(Format::Cn, 12, "440300", "440300FFFFFFFFFFFFFFFFFF");
}

#[test]
fn ef06_examples_round_trip() {
    rt(
        Format::An,
        18,
        "110101199012290016",
        "313130313031313939303132323930303136",
    );
    // 王小明 in GBK, right-padded with 00 to 30 bytes.
    let name = encode(Format::Gbk, 30, Padding::Byte(0), "王小明").unwrap();
    assert_eq!(&name[..6], &[0xCD, 0xF5, 0xD0, 0xA1, 0xC3, 0xF7]);
    assert!(name[6..].iter().all(|&b| b == 0));
    assert_eq!(
        decode(Format::Gbk, Padding::Byte(0), &name).unwrap(),
        "王小明"
    );
    rt(
        Format::Gbk,
        30,
        "测试一",
        "B2E2CAD4D2BB000000000000000000000000000000000000000000000000",
    );
    rt(Format::An, 1, "1", "31");
    rt(Format::Cn, 1, "01", "01");
    rt(Format::Cn, 3, "440700", "440700");
    rt(Format::Date, 4, "19901229", "19901229");
    rt(Format::N, 2, "0123", "0123");
    assert_eq!(
        encode(Format::N, 2, Padding::LeadingZero, "123").unwrap(),
        [0x01, 0x23]
    );
}

#[test]
fn ssse_name_is_ascii_plus_gbk() {
    let mut b = encode(Format::An, 7, Padding::None, "sx1.sh.").unwrap();
    b.extend(encode(Format::Gbk, 8, Padding::None, "社会保障").unwrap());
    assert_eq!(sscard::apdu::compact(&b), "7378312E73682EC9E7BBE1B1A3D5CF");
}

#[test]
fn ssn_check_character() {
    assert!(rules::check_ssn("110101199012290016").is_ok());
    for c in "0123456789X".chars().filter(|&c| c != '6') {
        let v = format!("11010119901229001{c}");
        assert_eq!(
            rules::check_ssn(&v),
            Err(CodecError::CheckChar {
                got: c,
                expected: '6'
            }),
            "{v}"
        );
    }
    let info = rules::check_ssn("110101199012290016").unwrap();
    assert_eq!(info.birth_date, "19901229");
    assert!(info.male);
    // Lower-case x is refused with the reason.
    assert!(matches!(
        rules::check_ssn("11010519491231002x"),
        Err(CodecError::BadChar { pos: 18, .. })
    ));
    assert!(rules::check_ssn("11010519491231002X").is_ok());
    assert!(matches!(
        rules::check_ssn("1101011990122900"),
        Err(CodecError::WrongChars {
            expected: 18,
            actual: 16
        })
    ));
    assert!(matches!(
        rules::check_ssn("11010119901A290016"),
        Err(CodecError::BadChar {
            ch: 'A',
            pos: 12,
            ..
        })
    ));
}

#[test]
fn holder_consistency() {
    assert!(rules::check_holder("110101199012290016", "19901229", "1").is_ok());
    let e = rules::check_holder("110101199012290016", "19901228", "1").unwrap_err();
    assert!(e.to_string().contains("differs"), "{e}");
    let e = rules::check_holder("110101199012290016", "19901229", "2").unwrap_err();
    assert!(e.to_string().contains("17th character"), "{e}");
}

#[test]
fn dates_are_calendar_checked() {
    assert!(rules::check_date("20240229").is_ok());
    assert!(rules::check_date("20000229").is_ok());
    assert!(rules::check_date("19000229").is_err());
    assert!(rules::check_date("20230229").is_err());
    assert!(rules::check_date("20231301").is_err());
    assert!(rules::check_date("20230431").is_err());
    assert!(rules::check_date("2023043").is_err());
    assert!(encode(Format::Date, 4, Padding::NibbleF, "20230230").is_err());
    assert!(decode(Format::Date, Padding::NibbleF, &[0x20, 0x23, 0x02, 0x30]).is_err());
}

#[test]
fn card_number_check_character() {
    // The spec's examples: A00000003 and X00000019 are right, A00000001 is not.
    for good in [
        "A00000003",
        "X00000019",
        "D12345676",
        "B12345671",
        "A00000011",
    ] {
        assert_eq!(Rule::CardNumber.check(good), Ok(()), "{good}");
    }
    assert_eq!(rules::card_number_check_char("A0000000"), Some('3'));
    assert_eq!(rules::card_number_check_char("a0000000"), None);
    // r = 10 gives X, r = 11 gives 0.
    assert_eq!(rules::card_number_check_char("A0000002"), Some('X'));
    assert_eq!(rules::card_number_check_char("00000000"), Some('0'));
    assert_eq!(Rule::CardNumber.check("A0000002X"), Ok(()));
    assert_eq!(Rule::CardNumber.check("000000000"), Ok(()));
    let e = Rule::CardNumber.check("A00000001").unwrap_err();
    assert_eq!(
        e,
        CodecError::CardCheckChar {
            got: '1',
            expected: '3'
        }
    );
    assert!(e.to_string().contains("'3'"), "{e}");
    for c in "0124567890X".chars().filter(|&c| c != '3') {
        assert!(
            Rule::CardNumber.check(&format!("A0000000{c}")).is_err(),
            "{c}"
        );
    }
}

#[test]
fn region_codes_are_plausible() {
    for good in ["110101", "440782", "650102", "820000", "710000"] {
        assert_eq!(Rule::RegionCode.check(good), Ok(()), "{good}");
    }
    for bad in ["000000", "100101", "830000", "990000"] {
        let e = Rule::RegionCode.check(bad).unwrap_err();
        assert!(e.to_string().contains("11 to 82"), "{bad}: {e}");
    }
    // The citizen number starts with a region code too.
    let e = rules::check_ssn("99010119901229001X").unwrap_err();
    assert!(e.to_string().contains("characters 1-6 (990101)"), "{e}");
}

#[test]
fn card_and_holder_dates_in_order() {
    let ok = rules::check_date_order(
        Some("20250101"),
        Some("20350101"),
        Some("19901229"),
        "20260101",
    );
    assert!(ok.is_empty(), "{ok:?}");
    // Born on the issue day: allowed (a newborn's card).
    assert!(
        rules::check_date_order(Some("20250101"), None, Some("20250101"), "20260101").is_empty()
    );
    let p = rules::check_date_order(
        Some("20250101"),
        Some("20250101"),
        Some("20250102"),
        "20250101",
    );
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[0].contains("expiry_date) 20250101 is not after"), "{p:?}");
    assert!(p[1].contains("is after 发卡日期"), "{p:?}");
    assert!(p[2].contains("in the future (today is 20250101)"), "{p:?}");
    // Invalid dates are reported by their own rule, not compared here.
    assert!(
        rules::check_date_order(Some("20251301"), Some("20200101"), None, "20260101").is_empty()
    );
}

#[test]
fn identifier_forms() {
    assert!(Rule::CardNumber.check("D12345676").is_ok());
    assert!(Rule::CardNumber.check("d12345676").is_err());
    assert!(Rule::CardNumber.check("D123456").is_err());
    assert!(
        Rule::CardId
            .check("440300D156000005005E1F0C3A9D2B47")
            .is_ok()
    );
    assert!(
        Rule::CardId
            .check("440700D15600000500A1B2C3D4E5F607")
            .is_ok()
    );
    assert!(
        Rule::CardId
            .check("440300D156000006005E1F0C3A9D2B47")
            .is_err()
    );
    assert!(
        Rule::CardId
            .check("44030AD156000005005E1F0C3A9D2B47")
            .is_err()
    );
    assert!(
        Rule::CardId
            .check("440300D156000005005E1F0C3A9D2B4Z")
            .is_err()
    );
    assert!(Rule::RegionCode.check("440700").is_ok());
    assert!(Rule::Sex.check("3").is_err());
    assert!(Rule::Ethnicity.check("01").is_ok());
    assert!(Rule::Ethnicity.check("57").is_err());
    assert!(Rule::SpecVersion.check("3.00").is_ok());
    assert!(Rule::SpecVersion.check("3.0").is_err());
}

#[test]
fn long_name_splits_over_09_and_4e() {
    // 16 two-byte characters = 32 bytes: 30 in tag 09, 2 in tag 4E.
    let name = "阿卜杜热合曼买买提艾力阿不都热西";
    assert_eq!(name.chars().count(), 16);
    let (a, b) = split_gbk(name, 30, 20).unwrap();
    assert_eq!((a.len(), b.len()), (30, 2));
    let first = decode(Format::Gbk, Padding::Byte(0), &a).unwrap();
    let ext = decode(Format::Gbk, Padding::Byte(0), &b).unwrap();
    assert_eq!(join_gbk(&first, &ext), name);
    // A mixed name never cuts a character: 29 ASCII + one 2-byte character.
    let mixed = format!("{}刘", "A".repeat(29));
    let (a, b) = split_gbk(&mixed, 30, 20).unwrap();
    assert_eq!((a.len(), b.len()), (29, 2));
    // Short names stay in tag 09 only.
    let (a, b) = split_gbk("测试一", 30, 20).unwrap();
    assert_eq!((a.len(), b.len()), (6, 0));
    // Too long for both.
    assert!(matches!(
        split_gbk(&"测".repeat(26), 30, 20),
        Err(CodecError::TooLong {
            actual: 52,
            max: 50
        })
    ));
}

#[test]
fn characters_outside_gbk_are_errors_never_question_marks() {
    // U+20000 (CJK Ext. B) and an emoji have no GBK code.
    let e = encode(Format::Gbk, 30, Padding::Byte(0), "测试𠀀一").unwrap_err();
    assert_eq!(
        e,
        CodecError::NotGbk {
            ch: '𠀀',
            code: 0x20000,
            pos: 3
        }
    );
    assert!(e.to_string().contains("position 3"), "{e}");
    assert!(split_gbk("测😀", 30, 20).is_err());
    let e = encode(Format::An, 9, Padding::Byte(0), "D12345６76").unwrap_err();
    assert!(matches!(e, CodecError::BadChar { pos: 7, .. }), "{e}");
}

#[test]
fn lengths_and_bad_card_bytes() {
    assert_eq!(
        encode(Format::An, 4, Padding::Byte(0), "3.000"),
        Err(CodecError::TooLong { actual: 5, max: 4 })
    );
    assert_eq!(
        encode(Format::B, 16, Padding::None, "4403"),
        Err(CodecError::WrongLength {
            expected: 16,
            actual: 2
        })
    );
    assert!(matches!(
        decode(Format::Cn, Padding::NibbleF, &[0x4A]),
        Err(CodecError::BadBcd { pos: 1, .. })
    ));
    assert!(matches!(
        decode(Format::Cn, Padding::NibbleF, &[0xF1]),
        Err(CodecError::BadBcd { .. })
    ));
    assert!(matches!(
        decode(Format::An, Padding::Byte(0), &[0x31, 0x01]),
        Err(CodecError::NotAscii { pos: 2, .. })
    ));
    assert!(decode(Format::Gbk, Padding::Byte(0), &[0xC1]).is_err());
    assert_eq!("gbk".parse::<Format>().unwrap(), Format::Gbk);
    assert!("ans".parse::<Format>().is_err());
}

#[test]
fn field_errors_name_the_field() {
    let e = sscard::codec::FieldError::new(
        "name",
        "姓名",
        encode(Format::Gbk, 30, Padding::Byte(0), "𠀀").unwrap_err(),
    );
    let s = e.chain().to_string();
    assert!(s.starts_with("姓名 (name): character '𠀀'"), "{s}");
}
