//! The virtual card's file system, command by command and refusal by refusal
//! (docs/virtual-card.md).

mod sim_util;

use sim_util::*;
use sscard::apdu::parse_hex;
use sscard::sim::{DEFAULT_ATR, VirtualCard};
use sscard::tlv::{Fcp, FileKind};

#[test]
fn blank_card_answers_the_default_atr_and_an_mf_in_creation_state() {
    let mut c = VirtualCard::blank();
    assert_eq!(c.power_on(), Some(DEFAULT_ATR.to_vec()));
    let fcp = ok(&mut c, "00A40004 02 3F00 00");
    let parsed = Fcp::parse(&parse_hex(&fcp).unwrap()).unwrap();
    assert_eq!(parsed.fid, Some(0x3F00));
    assert!(parsed.is_df());
    assert_eq!(parsed.lcs, Some(0x01));
    // No data and P1 00: the MF. P2 0C: no response data.
    assert_eq!(tx(&mut c, "00A4000C"), "9000");
}

#[test]
fn select_by_name_fid_path_parent_and_response_kinds() {
    let mut c = ssc_card();
    // By DF name, FCI (P2 00): 6F template with the name.
    let fci = ok(&mut c, &format!("00A404000F{SSSE_NAME}"));
    assert!(fci.starts_with("6F"), "{fci}");
    assert!(fci.contains(&format!("840F{SSSE_NAME}")));
    // Right-truncated name.
    let fcp = ok(&mut c, "00A40404 04 7378312E 00");
    assert!(fcp.starts_with("62") && fcp.contains("8302DDF1"), "{fcp}");
    // FMD (P2 08): 64 with the DF name.
    assert_eq!(
        ok(&mut c, "00A40408 03 D15600"),
        "6408 8406D15600000500".replace(' ', "")
    );
    // EF of the current DF by FID, then parent.
    let ef = ok(&mut c, "00A40004 02 0001 00");
    assert!(ef.contains("82050221000803"), "{ef}");
    let parent = ok(&mut c, "00A40304");
    assert!(parent.contains("83023F00"), "{parent}");
    // Path from the MF (with or without 3F00), and from the current DF.
    assert!(ok(&mut c, "00A40804 04 DDF1EF05 00").contains("8302EF05"));
    assert!(ok(&mut c, "00A40804 06 3F00DDF1EF06 00").contains("8302EF06"));
    ok(&mut c, "00A4000C 02 3F00");
    assert!(ok(&mut c, "00A40904 04 DF010002 00").contains("83020002"));
    // Child DF (P1 01) and EF (P1 02).
    ok(&mut c, "00A4000C 00");
    assert_eq!(sw(&mut c, "00A4010C 02 DDF1"), "9000");
    assert_eq!(sw(&mut c, "00A4020C 02 EF05"), "9000");
    // Sibling DF by FID from inside another DF.
    assert_eq!(sw(&mut c, "00A4000C 02 DF01"), "9000");
}

#[test]
fn select_by_name_next_and_previous_occurrence() {
    let mut c = ssc_card();
    ok(&mut c, "00A4000C");
    for (fid, last) in [(0xA001u16, 0x01u8), (0xA002, 0x02)] {
        let name = [0xA0, 0x00, 0x00, 0x00, 0x99, last];
        assert_eq!(create(&mut c, &Fcp::df(fid, Some(&name))), "9000");
        ok(&mut c, "00A4000C");
    }
    assert!(ok(&mut c, "00A40404 05 A000000099 00").contains("8302A001"));
    assert!(ok(&mut c, "00A40406 05 A000000099 00").contains("8302A002"));
    assert_eq!(sw(&mut c, "00A40406 05 A000000099 00"), "6A82");
    assert!(ok(&mut c, "00A40407 05 A000000099 00").contains("8302A001"));
    assert!(ok(&mut c, "00A40405 05 A000000099 00").contains("8302A002"));
}

#[test]
fn select_refusals() {
    let mut c = ssc_card();
    assert_eq!(sw(&mut c, "00A4000C 02 1234"), "6A82");
    assert_eq!(sw(&mut c, "00A40400 05 A0A0A0A0A0"), "6A82");
    assert_eq!(sw(&mut c, "00A4000C 03 3F0000"), "6700");
    assert_eq!(sw(&mut c, "00A4080C 03 DDF1EF"), "6700");
    assert_eq!(sw(&mut c, "00A4080C"), "6700");
    assert_eq!(sw(&mut c, "00A4050C 02 3F00"), "6A86");
    assert_eq!(sw(&mut c, "00A400F0 02 3F00"), "6A86");
    assert_eq!(sw(&mut c, "00A40001 02 3F00"), "6A86");
    assert_eq!(sw(&mut c, "00A4030C"), "6A82"); // the MF has no parent
    assert_eq!(sw(&mut c, "00A4010C 02 0015"), "6A82"); // an EF is not a child DF
    assert_eq!(sw(&mut c, "00A4020C 02 DDF1"), "6A82"); // a DF is not an EF
    assert_eq!(sw(&mut c, "00A4080C 04 0015EF05"), "6A82"); // through an EF
    // A failed SELECT keeps the selection: the MF's EF is still reachable by SFI.
    assert_eq!(sw(&mut c, "00B09500 01"), "9000");
}

#[test]
fn read_and_update_binary() {
    let mut c = ssc_card();
    ok(&mut c, "00A4000C 02 0015");
    ok(&mut c, "00D60002 04 11223344");
    assert_eq!(ok(&mut c, "00B00000 08"), "0000112233440000");
    assert_eq!(ok(&mut c, "00B00004 02"), "3344");
    // Fewer bytes than Le: what is there, 6282. Le 00: what is there, 9000.
    assert_eq!(tx(&mut c, "00B0000E 04"), "00006282");
    assert_eq!(tx(&mut c, "00B0000E 00"), "00009000");
    // SFI in P1 (from the MF, EF 0015 has SFI 0x15).
    ok(&mut c, "00A4000C");
    ok(&mut c, "00D69500 02 AABB");
    assert_eq!(ok(&mut c, "00B09500 02"), "AABB");
    // Refusals.
    assert_eq!(sw(&mut c, "00B00010 01"), "6B00"); // offset at the end
    assert_eq!(sw(&mut c, "00B07FFF 01"), "6B00");
    assert_eq!(sw(&mut c, "00D6000F 02 0102"), "6A84"); // runs past the end
    assert_eq!(sw(&mut c, "00D60011 01 01"), "6B00");
    assert_eq!(sw(&mut c, "00D60000"), "6700"); // no data
    assert_eq!(sw(&mut c, "00B00000 02 0102"), "6700"); // data in a read
    assert_eq!(sw(&mut c, "00B09600 01"), "6A82"); // unknown SFI
    assert_eq!(sw(&mut c, "00B0E100 01"), "6A86"); // P1 bits 7-6 set with SFI
    ok(&mut c, "00A4000C 02 DDF1");
    assert_eq!(sw(&mut c, "00B00000 01"), "6986"); // no current EF
    assert_eq!(sw(&mut c, "00B08500 01"), "6981"); // SFI 5 is a record EF
}

#[test]
fn read_record_by_number_and_by_tag_with_sfi() {
    let mut c = ssc_card();
    ok(&mut c, &format!("00A404000F{SSSE_NAME}"));
    // As public readers do: record 1 of SFI 5, Le = 2 + 16.
    assert_eq!(
        ok(&mut c, "00B2012C 12"),
        "0110440300D156000005005E1F0C3A9D2B47"
    );
    // By tag 03 in SFI 5 (P2 = 5<<3 | 0).
    assert_eq!(ok(&mut c, "00B20328 06"), "0304332E3030");
    // Le 00 reads the whole record; a longer Le gives 6282; a shorter one 6Cxx.
    assert_eq!(tx(&mut c, "00B2022C 00"), "0201319000");
    assert_eq!(tx(&mut c, "00B2022C 05"), "0201316282");
    // Current EF (P2 bits 8-4 zero) and current record (P1 00).
    assert_eq!(ok(&mut c, "00B20004 00"), "020131");
    assert_eq!(tx(&mut c, "00B2012C 04"), "6C12");
    // Next occurrence of a tag after the current record (now record 1): none.
    assert_eq!(sw(&mut c, "00B20102 00"), "6A83");
    assert_eq!(ok(&mut c, "00B20302 00"), "0304332E3030");
    assert_eq!(sw(&mut c, "00B2042C 00"), "6A83");
    assert_eq!(sw(&mut c, "00B2092C 00"), "6A83"); // tag 09 not there
    assert_eq!(sw(&mut c, "00B2012D 00"), "6A86"); // P2 mode 101
    assert_eq!(sw(&mut c, "00B201FC 00"), "6A86"); // SFI 31
    assert_eq!(sw(&mut c, "00B20134 00"), "6A83"); // SFI 6 exists but is empty
    assert_eq!(sw(&mut c, "00B2013C 00"), "6A82"); // no SFI 7
}

#[test]
fn update_and_append_record() {
    let mut c = ssc_card();
    ok(&mut c, &format!("00A404000F{SSSE_NAME}"));
    // Personalisation writes by tag: UPDATE RECORD P1 = tag, P2 = SFI<<3 | 0.
    ok(
        &mut c,
        "00E20030 14 0812 000000000000000000000000000000000000",
    );
    ok(
        &mut c,
        "00DC0830 14 0812 313130313031313939303132323930303136",
    );
    assert_eq!(
        ok(&mut c, "00B20830 14"),
        "0812313130313031313939303132323930303136"
    );
    assert_eq!(sw(&mut c, "00DC0830 03 090100"), "6A80"); // data tag is not P1
    assert_eq!(sw(&mut c, "00DC0930 03 090100"), "6A83"); // no record with tag 09
    // By number, variable length.
    ok(&mut c, "00DC0134 03 080100");
    assert_eq!(ok(&mut c, "00B20134 00"), "080100");
    assert_eq!(sw(&mut c, "00DC0234 03 080100"), "6A83");
    assert_eq!(sw(&mut c, "00DC0134 00"), "6700");
    let long = format!("00DC0134 21 {}", "00".repeat(0x21));
    assert_eq!(sw(&mut c, &long), "6700"); // longer than the 0x20 maximum
    assert_eq!(sw(&mut c, "00E20134 01 00"), "6A86"); // APPEND with P1
    assert_eq!(sw(&mut c, "00E20034 01 00"), "6A86"); // APPEND in number mode
    // Linear fixed: exact length, full after 3.
    ok(&mut c, "00A4080C 04 DF010001");
    assert_eq!(sw(&mut c, "00E20000 02 0102"), "6700");
    for i in 1..=3 {
        ok(&mut c, &format!("00E20000 08 {i:02X}00000000000000"));
    }
    assert_eq!(sw(&mut c, "00E20000 08 0400000000000000"), "6A84");
    assert_eq!(ok(&mut c, "00B20304 08"), "0300000000000000");
    // Cyclic: record 1 is the newest, the oldest drops out.
    ok(&mut c, "00A4020C 02 0002");
    for v in ["11111111", "22222222", "33333333"] {
        ok(&mut c, &format!("00E20000 04 {v}"));
    }
    assert_eq!(ok(&mut c, "00B20104 04"), "33333333");
    assert_eq!(ok(&mut c, "00B20204 04"), "22222222");
    assert_eq!(sw(&mut c, "00B20304 04"), "6A83");
    // UPDATE RECORD "previous" on a cyclic EF writes a new record 1.
    ok(&mut c, "00DC0003 04 44444444");
    assert_eq!(ok(&mut c, "00B20104 04"), "44444444");
    assert_eq!(ok(&mut c, "00B20204 04"), "33333333");
    // A record command on a transparent EF.
    ok(&mut c, "00A4000C 02 3F00");
    assert_eq!(sw(&mut c, "00B201AC 00"), "6981");
}

#[test]
fn create_file_refusals() {
    let mut c = ssc_card();
    // Duplicate FID in the MF, duplicate DF name anywhere.
    assert_eq!(create(&mut c, &Fcp::transparent(0x0015, 4)), "6A89");
    let name = parse_hex(SSSE_NAME).unwrap();
    assert_eq!(create(&mut c, &Fcp::df(0xDDF2, Some(&name))), "6A8A");
    // Explicit SFI clash.
    assert_eq!(
        create(&mut c, &Fcp::transparent(0x0016, 4).with_sfi(0x15)),
        "6A89"
    );
    // A derived SFI clash just leaves the new EF without SFI.
    assert_eq!(create(&mut c, &Fcp::transparent(0x1015, 4)), "9000");
    // Memory: the card has 64 KiB.
    ok(&mut c, "00A4000C");
    assert_eq!(create(&mut c, &Fcp::transparent(0x0100, 0xFFFF)), "6A84");
    // Malformed data, wrong P1-P2, no data.
    assert_eq!(sw(&mut c, "00E00000 03 820138"), "6A80");
    assert_eq!(sw(&mut c, "00E00000 05 6203820199"), "6A80");
    assert_eq!(sw(&mut c, "00E00100 05 6203820138"), "6A86");
    assert_eq!(sw(&mut c, "00E00000"), "6700");
    // Record EF with a bad descriptor, EF without FID, a reserved FID.
    let bad_rec = Fcp::record_file(0x0200, FileKind::LinearFixed, 0, 1);
    assert_eq!(create(&mut c, &bad_rec), "6A80");
    assert_eq!(
        sw(&mut c, "00E00000 0C 620A 820101 80020010 8A0105"),
        "6A80"
    );
    assert_eq!(create(&mut c, &Fcp::transparent(0x3F00, 4)), "6A80");
}

#[test]
fn created_file_is_selected_and_dfs_nest_up_to_eight() {
    let mut c = blank();
    for depth in 1..=8u16 {
        assert_eq!(
            create(&mut c, &Fcp::df(0x1000 + depth, None)),
            "9000",
            "{depth}"
        );
    }
    assert_eq!(create(&mut c, &Fcp::df(0x2000, None)), "6A84");
    // The last created DF is current: its parent is 1007.
    assert!(ok(&mut c, "00A40304").contains("83021007"));
}

#[test]
fn delete_file() {
    let mut c = ssc_card();
    assert_eq!(sw(&mut c, "00E40000 02 0015"), "9000");
    assert_eq!(sw(&mut c, "00A4000C 02 0015"), "6A82");
    // Current EF (P1-P2 0000 without data).
    ok(&mut c, "00A4080C 04 DF010002");
    ok(&mut c, "00E40000");
    assert_eq!(sw(&mut c, "00A4020C 02 0002"), "6A82");
    assert_eq!(sw(&mut c, "00A4020C 02 0001"), "9000");
    // A DF holding the current DF: the parent becomes current.
    ok(&mut c, "00A4000C");
    ok(&mut c, "00A4080C 02 DDF1");
    ok(&mut c, "00E40000");
    assert!(ok(&mut c, "00A40004 00").contains("83023F00"));
    assert_eq!(sw(&mut c, "00A4000C 02 DDF1"), "6A82");
    // Siblings after a deleted one keep working.
    assert_eq!(sw(&mut c, "00A4000C 02 DF01"), "9000");
    // The MF stays; an unknown file is 6A82; P2 must be 00.
    assert_eq!(sw(&mut c, "00E40000 02 3F00"), "6985");
    assert_eq!(sw(&mut c, "00E40000 02 7777"), "6A82");
    assert_eq!(sw(&mut c, "00E40001 02 DF01"), "6A86");
}

#[test]
fn life_cycle_deactivate_activate_terminate() {
    let mut c = ssc_card();
    ok(&mut c, &format!("00A4040C0F{SSSE_NAME}"));
    ok(&mut c, "00040000");
    // Deactivated: SELECT answers 6283 and selects; reads and writes below are refused.
    let fcp = tx(&mut c, &format!("00A404040F{SSSE_NAME}00"));
    assert!(fcp.ends_with("6283") && fcp.contains("8A0104"), "{fcp}");
    assert_eq!(sw(&mut c, "00B2012C 00"), "6985");
    assert_eq!(sw(&mut c, "00DC0134 03 080100"), "6985");
    assert_eq!(sw(&mut c, "00A4020C 02 EF05"), "6283");
    assert_eq!(sw(&mut c, "00B20104 00"), "6985");
    assert_eq!(
        create(&mut c, &Fcp::transparent(0x0099, 4)),
        "6985",
        "no CREATE below a deactivated DF"
    );
    // Re-activated.
    ok(&mut c, "00A4000C 02 3F00");
    ok(&mut c, "00440000 02 DDF1");
    assert_eq!(sw(&mut c, "00B2012C 00"), "9000");
    // A never-activated file cannot be deactivated; the MF leaves creation with ACTIVATE.
    ok(&mut c, "00A4000C");
    assert_eq!(sw(&mut c, "00040000"), "6985");
    ok(&mut c, "00440000");
    assert!(ok(&mut c, "00A40004").contains("8A0105"));
    // Terminated: SELECT 6285, everything below refused, no way back.
    ok(&mut c, "00A4000C 02 DF01");
    ok(&mut c, "00E60000");
    assert_eq!(sw(&mut c, "00A4000C 02 DF01"), "6285");
    assert_eq!(sw(&mut c, "00A4020C 02 0001"), "6285");
    assert_eq!(sw(&mut c, "00B20104 00"), "6985");
    assert_eq!(sw(&mut c, "00440000 02 0001"), "6985");
    ok(&mut c, "00A4000C");
    assert_eq!(sw(&mut c, "00440000 02 DF01"), "6985");
}

#[test]
fn class_and_instruction_refusals() {
    let mut c = ssc_card();
    assert_eq!(sw(&mut c, "FFA4000C"), "6E00");
    assert_eq!(sw(&mut c, "A0A4000C"), "6E00");
    assert_eq!(sw(&mut c, "01A4000C"), "6881");
    assert_eq!(sw(&mut c, "10A4000C"), "6884");
    assert_eq!(sw(&mut c, "00FA0000"), "6D00");
    assert_eq!(sw(&mut c, "00A4"), "6700");
    assert_eq!(sw(&mut c, "00A4000C 05 3F00"), "6700"); // Lc says 5, 2 follow
    // Proprietary class 80 reaches the same commands.
    assert_eq!(sw(&mut c, "80A4000C 02 3F00"), "9000");
}

#[test]
fn activate_without_data_acts_on_the_ef_an_sfi_command_made_current() {
    let mut c = ssc_card();
    ok(&mut c, "00440000"); // close the MF window
    ok(&mut c, &format!("00A4040C0F{SSSE_NAME}"));
    ok(&mut c, "00040000");
    ok(&mut c, "00A4000C");
    ok(&mut c, "00440000 02 DDF1");
    // READ RECORD by SFI makes EF05 current: ACTIVATE 0000 then targets EF05, not SSSE.
    ok(&mut c, "00B2012C 00");
    ok(&mut c, "00040000");
    assert!(tx(&mut c, "00A40004 02 EF05 00").ends_with("6283"));
    assert_eq!(sw(&mut c, &format!("00A4040C0F{SSSE_NAME}")), "9000");
    // Naming the DF (P1 04) reaches it whatever is current.
    ok(&mut c, "00A4020C 02 EF06");
    ok(&mut c, &format!("0004 0400 0F{SSSE_NAME}"));
    assert_eq!(sw(&mut c, &format!("00A4040C0F{SSSE_NAME}")), "6283");
    ok(&mut c, &format!("0044 0400 0F{SSSE_NAME}"));
    assert_eq!(sw(&mut c, &format!("00A4040C0F{SSSE_NAME}")), "9000");
}

#[test]
fn administration_refusals() {
    let mut c = ssc_card();
    for (apdu, want) in [
        ("00440300", "6A86"),           // ACTIVATE: no parent addressing
        ("00440001 02 0015", "6A86"),   // P2 must be 00
        ("0044000000", "6700"),         // Le where none belongs
        ("00440000 03 001500", "6700"), // FID not 2 bytes
        ("00440000 02 7777", "6A82"),
        ("00040400 05 A0A0A0A0A0", "6A82"), // by an unknown DF name
        ("00E60100", "6A86"),
        ("00E60000 02 0015", "6700"),
        ("00E0000000", "6700"), // CREATE without data (Le only)
        ("00E40800 02 9999", "6A82"),
    ] {
        assert_eq!(sw(&mut c, apdu), want, "{apdu}");
    }
    // set_atr replaces the answer to reset.
    c.set_atr(vec![0x3B, 0x00]);
    assert_eq!(c.power_on(), Some(vec![0x3B, 0x00]));
}
