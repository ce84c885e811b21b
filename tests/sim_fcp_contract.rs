//! docs/cos.md is one contract for three parties: what `sscard init` builds with
//! `tlv::Fcp`, what the virtual card accepts in CREATE FILE, and what it answers on SELECT
//! must agree field by field.

mod sim_util;

use sim_util::*;
use sscard::apdu::parse_hex;
use sscard::tlv::{Fcp, FileKind};

#[test]
fn what_init_builds_is_what_select_returns() {
    let mut c = blank();
    let name = parse_hex(SSSE_NAME).unwrap();
    let files = [
        Fcp::df(0xDDF1, Some(&name))
            .with_lcs(0x03)
            .with_security(ac([0x00, 0x00, 0x20, 0xFF, 0x20, 0x20])),
        Fcp::record_file(0xEF05, FileKind::LinearVariable, 0x20, 7)
            .with_sfi(5)
            .with_lcs(0x05)
            .with_security(ac([0x00, 0x20, 0xFF, 0xFF, 0x20, 0x20])),
        Fcp::record_file(0xEF07, FileKind::LinearFixed, 0x10, 3).with_lcs(0x05),
        Fcp::record_file(0xEF08, FileKind::Cyclic, 0x04, 5).with_lcs(0x05),
        Fcp::transparent(0xEF09, 300).with_sfi(9).with_lcs(0x05),
    ];
    for (i, want) in files.iter().enumerate() {
        assert_eq!(create(&mut c, want), "9000", "CREATE #{i}");
        let fid = want.fid.unwrap();
        let path = if i == 0 {
            "DDF1".to_string()
        } else {
            format!("DDF1{fid:04X}")
        };
        let got = ok(&mut c, &format!("00A40804{:02X}{path}00", path.len() / 2));
        let got = Fcp::parse(&parse_hex(&got).unwrap()).unwrap();
        // Every field as built, plus what docs/cos.md says the card fills in: the size (80)
        // of a record EF, the SFI from the FID's low bits, "always" for a missing 86.
        let mut expected = want.clone();
        if let Some(d) = want.descriptor
            && let (Some(len), Some(n)) = (d.max_record_len, d.record_count)
        {
            expected.size = Some(u32::from(len) * u32::from(n));
        }
        if !want.is_df() {
            expected.sfi = want.sfi.or(Some((fid & 0x1F) as u8));
        }
        expected.security = want.security.or(Some(ac([0; 6])));
        assert_eq!(got, expected, "FCP of {fid:04X}");
        // Back in DDF1 (the DF is in 03, but the MF's creation window covers it).
        ok(&mut c, "00A4080C 02 DDF1");
    }
}
