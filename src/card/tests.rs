use super::*;
use crate::apdu::parse_hex;
use crate::crypto::Secret;
use crate::tlv::{Fcp, FileKind};
use crate::transport::Tx;
use crate::transport::fake::Scripted;

#[test]
fn transactions_end_on_success_and_on_failure() {
    let mut t = Scripted::new(&[
        ("0084000008", "11223344556677889000"),
        ("0084000008", "6A81"),
    ]);
    {
        let mut tx = Tx::begin(&mut t).unwrap();
        // A nested transaction is the one already held: no second begin, no early end.
        let mut inner = Tx::begin(&mut tx).unwrap();
        let c = Card::new(&mut inner).get_challenge(8).unwrap();
        assert_eq!(c.len(), 8);
        inner.end().unwrap();
        tx.end().unwrap();
    }
    {
        let mut tx = Tx::begin(&mut t).unwrap();
        let e = Card::new(&mut tx).get_challenge(8).unwrap_err();
        assert_eq!(e.sw(), Some(Sw(0x6A81)));
        // Dropped on the error path without end(): the guard ends the transaction.
    }
    t.done();
    assert_eq!(t.events, vec!["begin", "end", "begin", "end"]);
}

#[test]
fn select_ssse_by_name_parses_the_fci() {
    let fci = "6F11840F7378312E73682EC9E7BBE1B1A3D5CF";
    let mut t = Scripted::new(&[
        ("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "6113"),
        ("00C0000013", &format!("{fci}9000")),
    ]);
    let mut card = Card::new(&mut t);
    let s = card.select_name(SSSE_NAME).unwrap();
    assert_eq!(s.sw, Sw::OK);
    assert_eq!(s.fcp.unwrap().df_name.as_deref(), Some(SSSE_NAME));
    t.done();
}

#[test]
fn select_errors_name_the_file_in_words() {
    let mut t = Scripted::new(&[
        ("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "6A82"),
        ("00A4000C02EF05", "6283"),
        ("00A40004023F0000", "6A82"),
    ]);
    let mut card = Card::new(&mut t);
    let e = card.select_name(SSSE_NAME).unwrap_err();
    assert_eq!(
        e.to_string(),
        "SELECT of DF 'sx1.sh.社会保障' refused: 6A82 (file or application not found): the file or application is not on this card: wrong profile, or the card is not initialised (`sscard init`)"
    );
    assert!(card.select_fid(0xEF05).unwrap().deactivated());
    let e = card.select_fcp(SelectBy::Mf).unwrap_err();
    assert!(
        e.to_string().starts_with("SELECT of MF 3F00 refused: 6A82"),
        "{e}"
    );
    t.done();
}

#[test]
fn select_fcp_gives_a_typed_fcp() {
    let fcp = Fcp::record_file(0xEF06, FileKind::LinearVariable, 0x30, 8).with_sfi(6);
    let answer = format!("{}9000", crate::apdu::compact(&fcp.to_bytes()));
    let mut t = Scripted::new(&[
        ("00A4020402EF0600", &answer),
        ("00A4000402EF0500", "01029000"),
    ]);
    let mut card = Card::new(&mut t);
    let (got, sw) = card.select_fcp(SelectBy::ChildEf(0xEF06)).unwrap();
    assert_eq!((got, sw), (fcp, Sw::OK));
    let e = card.select_fcp(SelectBy::Fid(0xEF05)).unwrap_err();
    assert!(matches!(e, CardError::BadResponse { .. }), "{e}");
    t.done();
}

#[test]
fn record_commands_in_both_p2_modes() {
    let mut rec = vec![0x08, 0x12];
    rec.extend_from_slice(b"110101199012290016");
    let rec_hex = crate::apdu::compact(&rec);
    let mut t = Scripted::new(&[
        ("00B2012C12", "0110440300D156000005005E1F0C3A9D2B479000"),
        ("00B2083014", &format!("{rec_hex}9000")),
        (&format!("00DC083014{rec_hex}"), "6982"),
    ]);
    let mut card = Card::new(&mut t);
    let r = card
        .read_record(Ef::Sfi(5), RecordRef::Number(1), 0x12)
        .unwrap();
    assert_eq!(r.len(), 18);
    assert_eq!(
        card.read_record(Ef::Sfi(6), RecordRef::Tag(0x08), 0x14)
            .unwrap(),
        rec
    );
    let e = card
        .update_record(Ef::Sfi(6), RecordRef::Tag(0x08), &rec)
        .unwrap_err()
        .with_target("EF06 tag 08");
    assert_eq!(
        e.to_string(),
        "UPDATE RECORD of EF06 tag 08 refused: 6982 (security status not satisfied): external authentication with the write key is missing (or the PIN is not verified)"
    );
    assert_eq!(e.sw(), Some(Sw::SECURITY_NOT_SATISFIED));
    t.done();
}

#[test]
fn append_binary_and_file_management() {
    let fcp = Fcp::transparent(0x0002, 0x20);
    let create = format!("00E000000D{}", crate::apdu::compact(&fcp.to_bytes()));
    let mut t = Scripted::new(&[
        ("00E2002803313233", "9000"),
        ("00B0850010", "000102030405060708090A0B0C0D0E0F9000"),
        ("00D60010020102", "9000"),
        (&create, "6A89"),
        ("00E4000002EF07", "9000"),
        ("0044000002DDF1", "9000"),
        ("00040000", "9000"),
    ]);
    let mut card = Card::new(&mut t);
    card.append_record(Ef::Sfi(5), b"123").unwrap();
    assert_eq!(card.read_binary(Ef::Sfi(5), 0, 16).unwrap().len(), 16);
    card.update_binary(Ef::Current, 0x10, &[1, 2]).unwrap();
    let e = card.create_file(&fcp).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("CREATE FILE of 0002 refused: 6A89"),
        "{e}"
    );
    card.delete_file(Some(0xEF07)).unwrap();
    card.activate_file(Some(0xDDF1)).unwrap();
    card.deactivate_file(None).unwrap();
    t.done();
}

#[test]
fn bad_arguments_send_nothing() {
    let mut t = Scripted::new(&[]);
    let mut card = Card::new(&mut t);
    assert!(matches!(
        card.read_record(Ef::Sfi(31), RecordRef::Number(1), 0),
        Err(CardError::BadArgument { .. })
    ));
    assert!(matches!(
        card.read_record(Ef::Sfi(5), RecordRef::Number(0), 1),
        Err(CardError::BadArgument { .. })
    ));
    assert!(matches!(
        card.read_binary(Ef::Sfi(5), 256, 1),
        Err(CardError::BadArgument { .. })
    ));
    assert!(matches!(
        card.update_record(Ef::Current, RecordRef::Number(1), &[]),
        Err(CardError::BadArgument { .. })
    ));
    assert!(matches!(
        card.update_binary(Ef::Current, 0, &[0; 256]),
        Err(CardError::BadArgument { .. })
    ));
    t.done();
}

#[test]
fn authentication_commands() {
    let mut t = Scripted::new(&[
        ("0084000008", "11223344556677889000"),
        ("0082000408A1A2A3A4A5A6A7A8", "63C2"),
        ("0082000408A1A2A3A4A5A6A7A8", "9000"),
        ("0088000208010203040506070800", "6108"),
        ("00C0000008", "F1F2F3F4F5F6F7F89000"),
        ("0084000008", "11229000"),
    ]);
    let mut card = Card::new(&mut t);
    assert_eq!(
        card.get_challenge(8).unwrap(),
        parse_hex("1122334455667788").unwrap()
    );
    let crypto = parse_hex("A1A2A3A4A5A6A7A8").unwrap();
    let e = card.external_authenticate(0x04, &crypto).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("EXTERNAL AUTHENTICATE of key 04 refused: 63C2"),
        "{e}"
    );
    assert!(e.to_string().contains("wrong cryptogram"), "{e}");
    card.external_authenticate(0x04, &crypto).unwrap();
    let r = card
        .internal_authenticate(0x02, &[1, 2, 3, 4, 5, 6, 7, 8])
        .unwrap();
    assert_eq!(r.len(), 8);
    assert!(matches!(
        card.get_challenge(8),
        Err(CardError::BadResponse { .. })
    ));
    t.done();
}

#[test]
fn pin_commands_never_show_the_pin() {
    let mut t = Scripted::new(&[
        ("0020000003123456", "63C2"),
        ("0020000003123456", "6983"),
        ("0020000003123456", "9000"),
        ("00200000", "63C1"),
        ("00200000", "6983"),
        ("00200000", "9000"),
        ("00200000", "6A86"),
        ("0024000006123456654321", "9000"),
        ("002C00000B1122334455667788123456", "9000"),
        ("002C010008 1122334455667788", "9000"),
        ("80D4000006100003123456", "6982"),
    ]);
    let pin = Secret::new(vec![0x12, 0x34, 0x56]);
    let new = Secret::new(vec![0x65, 0x43, 0x21]);
    let puk = Secret::new(parse_hex("1122334455667788").unwrap());
    let mut card = Card::new(&mut t);
    let e = card.verify(0, &pin).unwrap_err();
    let msg = e.to_string();
    assert_eq!(
        msg,
        "VERIFY of PIN 00 refused: 63C2 (verification failed, 2 tries left): wrong PIN; when no tries are left the PIN is blocked"
    );
    assert!(!msg.contains("123456") && !format!("{e:?}").contains("123456"));
    let e = card.verify(0, &pin).unwrap_err();
    assert!(
        e.to_string().contains("the PIN is blocked: unblock it"),
        "{e}"
    );
    card.verify(0, &pin).unwrap();
    assert_eq!(card.pin_state(0).unwrap(), PinState::TriesLeft(1));
    assert_eq!(card.pin_state(0).unwrap(), PinState::Blocked);
    assert_eq!(card.pin_state(0).unwrap(), PinState::Verified);
    assert!(card.pin_state(0).is_err());
    card.change_reference_data(0, &pin, &new).unwrap();
    card.reset_retry_counter(0, Some(&puk), Some(&pin)).unwrap();
    card.reset_retry_counter(0, Some(&puk), None).unwrap();
    let e = card
        .write_key(0x00, KeyUsage::Pin, 0x00, 3, &pin)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("WRITE KEY of PIN 00 refused: 6982"),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains("123456"));
    t.done();
}

#[test]
fn transport_errors_pass_through_and_get_response_is_raw() {
    let mut t = Scripted::new(&[("00C0000010", "6110")]);
    let mut card = Card::new(&mut t);
    let r = card.get_response(0x10).unwrap();
    assert_eq!(r.sw, Sw(0x6110));
    let e = card.get_challenge(8).unwrap_err();
    assert!(matches!(e, CardError::Transport(_)), "{e}");
    assert_eq!(card.name(), "scripted");
}

#[test]
fn elements_are_read_and_written_by_tag() {
    let mut rec = vec![0x08, 0x12];
    rec.extend_from_slice(b"110101199012290016");
    let hex = crate::apdu::compact(&rec);
    let t = Scripted::new(&[
        ("00B2083000", "6C14"),
        ("00B2083014", &format!("{hex}9000")),
        (&format!("00DC083014{hex}"), "9000"),
        ("00B2093000", &format!("{hex}9000")),
        ("00B2013400", "0805319000"),
    ]);
    let mut boxed: Box<dyn Transport> = Box::new(t);
    let mut card = Card::new(&mut *boxed);
    let el = card.read_element(Ef::Sfi(6), RecordRef::Tag(0x08)).unwrap();
    assert_eq!(el.value, b"110101199012290016");
    card.update_element(Ef::Sfi(6), &el).unwrap();
    let e = card
        .read_element(Ef::Sfi(6), RecordRef::Tag(0x09))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "READ RECORD of SFI 6 tag 09: asked for tag 09, the card gave tag 08"
    );
    let e = card
        .read_element(Ef::Sfi(6), RecordRef::Number(1))
        .unwrap_err();
    assert!(
        e.to_string().contains("not one SIMPLE-TLV data element"),
        "{e}"
    );
    // A Box<dyn Transport> is a Transport too.
    let card = Card::new(&mut boxed);
    assert_eq!(card.name(), "scripted");
}

#[test]
fn key_usage_bytes_round_trip() {
    for u in [
        KeyUsage::ExternalAuth,
        KeyUsage::InternalAuth,
        KeyUsage::Maintenance,
        KeyUsage::PinUnblock,
        KeyUsage::PinReload,
        KeyUsage::Pin,
    ] {
        assert_eq!(KeyUsage::from_byte(u.byte()), Some(u));
    }
    assert_eq!(KeyUsage::from_byte(0x00), None);
    assert_eq!(KeyUsage::from_byte(0x06), None);
}
