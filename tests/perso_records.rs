//! Holder records are checked by the profile's codec before any card is touched, and every
//! problem of a record is reported at once, with the file, record and field.

use sscard::perso::Station;
use sscard::perso::demo::{self, SSC_300};
use sscard::perso::encode::Problem;
use sscard::record::load_records;

const HEADER: &str =
    "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n";

#[test]
fn every_problem_of_a_record_is_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holders.csv");
    let good = "110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n";
    // Wrong check character, a character outside GBK, sex 3, month 13, card number too long.
    let bad = "110101199012290017,测试😀,3,01,440782,19901329,440700D156000005008A3F21C4E5B607,440700000000000000000001,A000000012,20250101\n";
    std::fs::write(&path, format!("{HEADER}{good}{bad}")).unwrap();
    let records = load_records(&path).unwrap();
    assert_eq!(records.len(), 2);
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&records[0]).unwrap();
    assert_eq!(values.len(), 14, "every element of EF05 and EF06");
    assert_eq!(
        records[0].get("expiry_date"),
        Some("20350101"),
        "expiry defaults to issue date + 10 years"
    );
    let err = station.encode(&records[1]).unwrap_err();
    assert_eq!((err.place.index, err.place.line), (2, 3));
    let fields: Vec<String> = err
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::Field(f) => Some(f.field.clone()),
            _ => None,
        })
        .collect();
    for f in ["ssn", "name", "sex", "birth_date", "card_number"] {
        assert!(fields.contains(&f.to_string()), "{f} not reported: {err}");
    }
    let text = err.to_string();
    assert!(text.contains("holders.csv record 2 (line 3)"), "{text}");
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(text.contains("GBK"), "{text}");
}

#[test]
fn missing_and_unknown_fields_and_disagreeing_birth_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holder.json");
    std::fs::write(
        &path,
        r#"{"ssn": "110101199012290016", "nmae": "测试一", "sex": "1", "ethnicity": "01",
            "birth_place": "440782", "birth_date": "19901230",
            "card_id": "440700D156000005008A3F21C4E5B607", "init_org": "440700000000000000000001",
            "card_number": "A00000003", "issue_date": "20250101"}"#,
    )
    .unwrap();
    let records = load_records(&path).unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let err = station.encode(&records[0]).unwrap_err();
    let text = err.to_string();
    assert!(
        err.problems
            .iter()
            .any(|p| matches!(p, Problem::Unknown { field } if field == "nmae")),
        "{text}"
    );
    assert!(
        err.problems
            .iter()
            .any(|p| matches!(p, Problem::Missing { field, .. } if field == "name")),
        "{text}"
    );
    assert!(
        err.problems
            .iter()
            .any(|p| matches!(p, Problem::Inconsistent(_))),
        "{text}"
    );
}

#[test]
fn a_long_name_continues_in_the_name_extension() {
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let mut r = demo::demo_holder();
    // 20 characters = 40 GBK bytes: 30 in tag 09, 10 in tag 4E.
    let long = "测试".repeat(10);
    r.fields.insert("name".into(), long);
    let values = station.encode(&r).unwrap();
    let name = values.iter().find(|v| v.el.tag == 0x09).unwrap();
    let ext = values.iter().find(|v| v.el.tag == 0x4E).unwrap();
    assert!(name.value.iter().all(|b| *b != 0), "tag 09 full");
    assert_eq!(ext.value.iter().filter(|b| **b != 0).count(), 10);
}

#[test]
fn wrong_card_number_check_character_and_dates_out_of_order_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holder.json");
    // A00000001: the check character of A0000000 is 3. Expiry before issue. Birth place 990101
    // is no region; a birth place other than the number's region (110101) is fine.
    std::fs::write(
        &path,
        r#"{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
            "birth_place": "990101", "birth_date": "19901229",
            "card_id": "440700D156000005008A3F21C4E5B607", "init_org": "440700000000000000000001",
            "card_number": "A00000001", "issue_date": "20250101", "expiry_date": "20240101"}"#,
    )
    .unwrap();
    let records = load_records(&path).unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let err = station.encode(&records[0]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("card number check character is '1' but the first 8 characters give '3'"),
        "{text}"
    );
    assert!(text.contains("卡号 (card_number)"), "{text}");
    assert!(text.contains("990101"), "{text}");
    assert!(
        text.contains("is not after 发卡日期 (issue_date) 20250101"),
        "{text}"
    );
    assert_eq!(err.problems.len(), 3, "{text}");
    // Fixed, the same holder born elsewhere (440782) than the number's region is accepted.
    let fixed = std::fs::read_to_string(&path)
        .unwrap()
        .replace("A00000001", "A00000003")
        .replace("990101", "440782")
        .replace("20240101", "20350101");
    std::fs::write(&path, fixed).unwrap();
    let records = load_records(&path).unwrap();
    assert!(station.encode(&records[0]).is_ok());
}
