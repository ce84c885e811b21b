//! The card command layer (`sscard::card`) against the in-process virtual card: every
//! command the workflows use, through the same `Transport` trait as a PC/SC reader.

use sscard::apdu::Sw;
use sscard::card::{
    Card, CardError, Ef, KeyUsage, PinState, RecordRef, SSSE_NAME, SelectBy, SelectReturn,
};
use sscard::crypto::encode_pin;
use sscard::tlv::{AccessCondition, Fcp, FileKind, SecurityAttributes, SimpleTlv};

#[test]
fn build_write_read_pin_and_life_cycle_on_the_virtual_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = sscard::sim::transport::open(&dir.path().join("card.json")).unwrap();
    let mut card = Card::new(&mut *t);

    // Build: SSSE under the MF (in its creation window), EF06 under SSSE, a PIN.
    card.select(SelectBy::Mf, SelectReturn::Nothing).unwrap();
    card.create_file(&Fcp::df(0xDDF1, Some(SSSE_NAME)).with_lcs(0x01))
        .unwrap();
    let s = card.select_name(SSSE_NAME).unwrap();
    let fci = s.fcp.expect("SELECT by name returns the FCI");
    assert_eq!(fci.df_name.as_deref(), Some(SSSE_NAME));
    let ef06 = Fcp::record_file(0xEF06, FileKind::LinearVariable, 0x30, 7)
        .with_sfi(6)
        .with_security(SecurityAttributes {
            read: AccessCondition::Pin(0),
            ..SecurityAttributes::OPEN
        });
    card.create_file(&ef06).unwrap();
    let e = card.create_file(&ef06).unwrap_err();
    assert_eq!(e.sw(), Some(Sw::FILE_EXISTS), "{e}");
    let pin = encode_pin("123456").unwrap();
    card.write_key(0x00, KeyUsage::Pin, 0x00, 3, &pin).unwrap();

    // Records: append by SFI, read back by tag and by number, update by tag.
    let mut ssn = SimpleTlv::new(0x08, b"110101199012290016".to_vec());
    card.append_record(Ef::Sfi(6), &ssn.to_bytes().unwrap())
        .unwrap();
    card.append_record(
        Ef::Sfi(6),
        &SimpleTlv::new(0x0A, b"1".to_vec()).to_bytes().unwrap(),
    )
    .unwrap();
    assert_eq!(
        card.read_element(Ef::Sfi(6), RecordRef::Tag(0x08)).unwrap(),
        ssn
    );
    assert_eq!(
        card.read_element(Ef::Sfi(6), RecordRef::Number(2))
            .unwrap()
            .tag,
        0x0A
    );
    ssn.value = b"11010519491231002X".to_vec();
    card.update_element(Ef::Sfi(6), &ssn).unwrap();
    assert_eq!(
        card.read_element(Ef::Sfi(6), RecordRef::Tag(0x08)).unwrap(),
        ssn
    );
    let e = card
        .read_record(Ef::Sfi(6), RecordRef::Number(5), 256)
        .unwrap_err();
    assert_eq!(e.sw(), Some(Sw::RECORD_NOT_FOUND), "{e}");
    assert!(
        e.to_string()
            .starts_with("READ RECORD of SFI 6 record 5 refused: 6A83"),
        "{e}"
    );

    // The FCP the card keeps is the one we built.
    let (got, _) = card.select_fcp(SelectBy::ChildEf(0xEF06)).unwrap();
    assert_eq!(got.kind(), Some(FileKind::LinearVariable));
    assert_eq!(got.sfi, Some(6));
    assert_eq!(got.security.map(|s| s.read), Some(AccessCondition::Pin(0)));

    // PIN: tries left, a wrong one, the right one; nothing of it in the messages.
    card.select_name(SSSE_NAME).unwrap();
    assert_eq!(card.pin_state(0).unwrap(), PinState::TriesLeft(3));
    let wrong = encode_pin("654321").unwrap();
    let e = card.verify(0, &wrong).unwrap_err();
    assert_eq!(e.sw().and_then(Sw::tries_left), Some(2), "{e}");
    assert!(!format!("{e} {e:?}").contains("654321"));
    card.verify(0, &pin).unwrap();
    let new = encode_pin("112233").unwrap();
    card.change_reference_data(0, &pin, &new).unwrap();
    card.verify(0, &new).unwrap();

    // GET CHALLENGE gives 8 fresh bytes.
    let c1 = card.get_challenge(8).unwrap();
    let c2 = card.get_challenge(8).unwrap();
    assert_eq!(c1.len(), 8);
    assert_ne!(c1, c2);

    // Life cycle: activate SSSE (enable), deactivate it (disable): SELECT warns 6283 and
    // reads are refused; activate again.
    card.select(SelectBy::Mf, SelectReturn::Nothing).unwrap();
    card.activate_file(Some(0xDDF1)).unwrap();
    card.deactivate_file(Some(0xDDF1)).unwrap();
    let s = card.select_name(SSSE_NAME).unwrap();
    assert!(s.deactivated(), "SELECT answered {}", s.sw);
    let e = card
        .read_record(Ef::Sfi(6), RecordRef::Number(1), 256)
        .unwrap_err();
    assert!(matches!(e, CardError::Status { .. }), "{e}");
    assert_eq!(e.sw(), Some(Sw::CONDITIONS_NOT_SATISFIED), "{e}");
    assert!(e.to_string().contains("sscard enable"), "{e}");
    card.select(SelectBy::Mf, SelectReturn::Nothing).unwrap();
    card.activate_file(Some(0xDDF1)).unwrap();
    assert_eq!(card.select_name(SSSE_NAME).unwrap().sw, Sw::OK);
}
