//! Every guarded file operation goes through the access check: with "never" (`FF`) access
//! conditions on an activated card, each one is refused with 6982 and changes nothing; the
//! creation-state window and the security-state reset on DF change behave as documented.

mod sim_util;

use sim_util::*;
use sscard::tlv::{Fcp, FileKind};

/// MF activated; DF 1000 activated with every condition `FF` except create `00`, holding a
/// transparent EF 0001 and a record EF 0002 (both all `FF`) and a DF 1100 (all `FF`).
fn locked_card() -> sscard::sim::VirtualCard {
    let mut c = blank();
    let never = ac([0xFF; 6]);
    let df = Fcp::df(0x1000, None)
        .with_lcs(0x05)
        .with_security(ac([0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF]));
    assert_eq!(create(&mut c, &df), "9000");
    assert_eq!(
        create(
            &mut c,
            &Fcp::transparent(0x0001, 8)
                .with_lcs(0x05)
                .with_security(never)
        ),
        "9000"
    );
    let rec = Fcp::record_file(0x0002, FileKind::LinearVariable, 8, 4)
        .with_lcs(0x05)
        .with_security(never);
    assert_eq!(create(&mut c, &rec), "9000");
    ok(&mut c, "00E20000 02 0100"); // the MF window is still open
    ok(&mut c, "00A4000C 02 1000");
    assert_eq!(
        create(
            &mut c,
            &Fcp::df(0x1100, None).with_lcs(0x05).with_security(never)
        ),
        "9000"
    );
    // Close the manufacturer's window.
    ok(&mut c, "00A4000C");
    ok(&mut c, "00440000");
    c
}

#[test]
fn never_conditions_refuse_every_guarded_operation() {
    let mut c = locked_card();
    ok(&mut c, "00A4080C 04 10000001");
    assert_eq!(sw(&mut c, "00B00000 01"), "6982", "READ BINARY");
    assert_eq!(sw(&mut c, "00D60000 01 AA"), "6982", "UPDATE BINARY");
    assert_eq!(sw(&mut c, "00E40000"), "6982", "DELETE FILE");
    assert_eq!(sw(&mut c, "00040000"), "6982", "DEACTIVATE FILE");
    assert_eq!(sw(&mut c, "00440000"), "6982", "ACTIVATE FILE");
    ok(&mut c, "00A4020C 02 0002");
    assert_eq!(sw(&mut c, "00B20104 00"), "6982", "READ RECORD");
    assert_eq!(sw(&mut c, "00DC0104 02 0100"), "6982", "UPDATE RECORD");
    assert_eq!(sw(&mut c, "00E20000 02 0100"), "6982", "APPEND RECORD");
    ok(&mut c, "00A4000C 02 1100");
    assert_eq!(
        create(&mut c, &Fcp::transparent(0x0003, 4)),
        "6982",
        "CREATE FILE"
    );
    assert_eq!(sw(&mut c, "00E60000"), "6982", "TERMINATE DF");
    // DF 1000 allows CREATE: still allowed.
    ok(&mut c, "00A40304");
    assert_eq!(create(&mut c, &Fcp::transparent(0x0003, 4)), "9000");
    // Nothing changed: reopen the window by looking at the image state directly.
    let mf = &c.state().mf;
    let df = &mf.children[0];
    assert_eq!(df.children[0].data.as_ref().unwrap().0, vec![0; 8]);
    assert_eq!(df.children[1].records.len(), 1);
    assert_eq!(df.children.len(), 4);
}

#[test]
fn a_deactivated_dfs_subtree_is_refused_before_access_conditions() {
    let mut c = locked_card();
    // Deactivating the locked DF is itself refused (6982), so use a fresh open DF.
    ok(&mut c, "00A4000C");
    assert_eq!(
        create(&mut c, &Fcp::df(0x2000, None).with_lcs(0x05)),
        "9000"
    );
    assert_eq!(
        create(&mut c, &Fcp::transparent(0x0001, 4).with_lcs(0x05)),
        "9000"
    );
    ok(&mut c, "00A4000C 02 2000");
    ok(&mut c, "00040000");
    assert_eq!(sw(&mut c, "00A4020C 02 0001"), "6283");
    assert_eq!(sw(&mut c, "00B00000 01"), "6985");
    assert_eq!(sw(&mut c, "00D60000 01 01"), "6985");
    assert_eq!(sw(&mut c, "00E40000"), "6985");
    assert_eq!(sw(&mut c, "00A4000C 02 2000"), "6283");
    ok(&mut c, "00440000");
    ok(&mut c, "00A4020C 02 0001");
    assert_eq!(sw(&mut c, "00B00000 01"), "9000");
}

#[test]
fn security_state_is_cleared_on_df_change_and_reset_but_not_on_ef_change() {
    let mut c = blank();
    let df = Fcp::df(0x3000, None).with_lcs(0x05);
    assert_eq!(create(&mut c, &df), "9000");
    // PIN reference 0 = 123456 (WRITE KEY, docs/cos.md), an EF readable after VERIFY.
    ok(&mut c, "80D40000 06 100003123456");
    let ef = Fcp::transparent(0x0001, 2)
        .with_lcs(0x05)
        .with_security(ac([0x10, 0x10, 0, 0, 0, 0]));
    assert_eq!(create(&mut c, &ef), "9000");
    let ef2 = Fcp::transparent(0x0002, 2)
        .with_lcs(0x05)
        .with_security(ac([0x10, 0x10, 0, 0, 0, 0]));
    assert_eq!(create(&mut c, &ef2), "9000");
    ok(&mut c, "00A4000C");
    ok(&mut c, "00440000"); // close the creation window
    ok(&mut c, "00A4080C 04 30000001");
    assert_eq!(sw(&mut c, "00B00000 02"), "6982");
    ok(&mut c, "00200000 03 123456");
    assert_eq!(sw(&mut c, "00B00000 02"), "9000");
    // Another EF of the same DF: still verified.
    ok(&mut c, "00A4020C 02 0002");
    assert_eq!(sw(&mut c, "00B00000 02"), "9000");
    // Another DF and back: cleared.
    ok(&mut c, "00A4000C");
    ok(&mut c, "00A4080C 04 30000001");
    assert_eq!(sw(&mut c, "00B00000 02"), "6982");
    // Reset: cleared.
    ok(&mut c, "00200000 03 123456");
    assert_eq!(sw(&mut c, "00B00000 02"), "9000");
    c.power_off();
    c.power_on().unwrap();
    ok(&mut c, "00A4080C 04 30000001");
    assert_eq!(sw(&mut c, "00B00000 02"), "6982");
}
