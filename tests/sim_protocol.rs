//! T=1 and T=0 answer rules, GET RESPONSE, and random / truncated APDUs that must never
//! crash the card (docs/virtual-card.md).

mod sim_util;

use sim_util::*;
use sscard::sim::fault::Prng;

#[test]
fn t1_answers_at_most_ne_bytes_and_leaves_the_rest_for_get_response() {
    let mut c = ssc_card();
    let whole = ok(&mut c, &format!("00A404040F{SSSE_NAME}00"));
    let len = whole.len() / 2;
    // Le 05: five bytes, then 61xx with what is left.
    let first = tx(&mut c, &format!("00A404040F{SSSE_NAME}05"));
    assert_eq!(first, format!("{}61{:02X}", &whole[..10], len - 5));
    let rest = tx(&mut c, "00C0000000");
    assert_eq!(rest, format!("{}9000", &whole[10..]));
    // Nothing left: GET RESPONSE is out of place.
    assert_eq!(sw(&mut c, "00C0000000"), "6985");
    // Any other command drops pending data.
    tx(&mut c, &format!("00A404040F{SSSE_NAME}05"));
    ok(&mut c, "00A4000C");
    assert_eq!(sw(&mut c, "00C0000000"), "6985");
    assert_eq!(sw(&mut c, "00C0010000"), "6A86");
}

#[test]
fn t0_announces_data_with_61xx_and_corrects_a_wrong_le_with_6cxx() {
    let mut c = ssc_card();
    c.set_t0(true);
    assert!(c.is_t0());
    // A T=0 ATR (no TD1) at the next reset, same historical bytes.
    let atr = c.power_on().unwrap();
    assert_eq!(atr, sscard::sim::DEFAULT_ATR_T0.to_vec());
    assert_eq!(atr[1] & 0x80, 0, "no TD1: T=0 only");
    assert_eq!(&atr[3..], &sscard::sim::DEFAULT_ATR[7..21]);
    // Case 4 (SELECT with data): 61xx, then GET RESPONSE with that length.
    let r = tx(&mut c, &format!("00A404040F{SSSE_NAME}"));
    assert!(r.starts_with("61"), "{r}");
    let n = u8::from_str_radix(&r[2..4], 16).unwrap();
    // A GET RESPONSE asking for more than is there: 6Cxx.
    assert_eq!(
        tx(&mut c, &format!("00C00000{:02X}", n + 1)),
        format!("6C{n:02X}")
    );
    let fcp = tx(&mut c, &format!("00C00000{n:02X}"));
    assert!(fcp.starts_with("62") && fcp.ends_with("9000"), "{fcp}");
    assert_eq!(fcp.len() / 2, n as usize + 2);
    // Case 2 with the wrong Le: 6Cxx with the right one; then the exact Le works.
    assert_eq!(tx(&mut c, "00B2012C 00"), "6C12");
    assert_eq!(tx(&mut c, "00B2012C 10"), "6C12");
    assert_eq!(
        tx(&mut c, "00B2012C 12"),
        "0110440300D156000005005E1F0C3A9D2B479000"
    );
    // Errors stay plain status words.
    assert_eq!(tx(&mut c, "00B2092C 00"), "6A83");
    // The mode is part of the image state; switching back restores the T=1 ATR.
    assert!(c.state().t0);
    c.set_t0(false);
    assert_eq!(c.power_on().unwrap(), sscard::sim::DEFAULT_ATR.to_vec());
}

#[test]
fn every_short_apdu_gets_a_status_word() {
    let mut c = ssc_card();
    for len in 0..6usize {
        let apdu: Vec<u8> = [0x00, 0xB0, 0x00, 0x00, 0x05, 0x01][..len].to_vec();
        let r = c.process(&apdu).expect("an answer");
        assert!(r.len() >= 2, "{apdu:02X?} -> {r:02X?}");
    }
    assert_eq!(c.process(&[]), Some(vec![0x67, 0x00]));
}

/// Random APDUs (random header, often a real INS, random Lc/data/Le, sometimes extended
/// lengths) against a populated card, in both T=1 and T=0 modes: every one gets an answer of
/// at least a status word, and the card still works afterwards.
#[test]
fn random_apdus_never_crash_the_card() {
    const INS: [u8; 16] = [
        0xA4, 0xB0, 0xD6, 0xB2, 0xDC, 0xE2, 0xE0, 0xE4, 0x44, 0x04, 0xE6, 0xC0, 0x20, 0x84, 0x82,
        0x00,
    ];
    for t0 in [false, true] {
        let mut c = ssc_card();
        c.set_t0(t0);
        let mut rng = Prng::new(0x5EED + t0 as u64);
        for i in 0..20_000u32 {
            let r = rng.next_u64();
            let cla = match r & 7 {
                0 => r as u8 >> 3,
                1 => 0x80,
                _ => 0x00,
            };
            let ins = if (r >> 8) & 3 == 0 {
                (r >> 16) as u8
            } else {
                INS[((r >> 16) & 15) as usize]
            };
            let mut apdu = vec![cla, ins, (r >> 24) as u8, (r >> 32) as u8];
            match (r >> 40) % 6 {
                0 => {}
                1 => apdu.push((r >> 48) as u8),
                2 | 3 => {
                    let n = ((r >> 48) % 40) as usize;
                    apdu.push(n as u8);
                    apdu.extend((0..n).map(|_| rng.next_u64() as u8));
                    if r >> 60 & 1 == 1 {
                        apdu.push((r >> 52) as u8);
                    }
                }
                4 => {
                    let n = ((r >> 48) % 300) as usize;
                    apdu.extend_from_slice(&[0, (n >> 8) as u8, n as u8]);
                    apdu.extend((0..n).map(|_| rng.next_u64() as u8));
                }
                _ => {
                    let n = ((r >> 48) % 8) as usize;
                    apdu.extend((0..n).map(|_| rng.next_u64() as u8));
                }
            }
            let answer = c.process(&apdu);
            let answer = answer.unwrap_or_else(|| panic!("no answer to #{i} {apdu:02X?}"));
            assert!(answer.len() >= 2, "#{i} {apdu:02X?} -> {answer:02X?}");
            // Keep the card reachable: now and then go home to the MF.
            if i % 500 == 0 {
                c.power_on();
            }
        }
        c.power_on();
        assert_eq!(sw(&mut c, "00A4000C"), "9000");
        // Whatever the commands did, the state is one the image loader accepts as is.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzzed.json");
        c.save(&path).unwrap();
        let back = sscard::sim::VirtualCard::load(&path).unwrap();
        assert_eq!(back.state(), c.state());
    }
}

/// Random but well-formed command sequences (create, select, write, append, delete,
/// activate, deactivate over a small set of FIDs): the card always answers, never breaks its
/// own invariants (the image reloads identically), and the MF stays selectable.
#[test]
fn random_file_system_sequences_keep_the_card_consistent() {
    use sscard::apdu::Command;
    use sscard::tlv::{Fcp, FileKind};
    let fids = [0x1001u16, 0x1002, 0x2001, 0xEF05, 0x0015];
    let mut rng = Prng::new(99);
    let mut c = blank();
    let mut answered = 0u32;
    for _ in 0..5_000 {
        let r = rng.next_u64();
        let fid = fids[(r % 5) as usize];
        let lcs = [0x05u8, 0x05, 0x03, 0x01, 0x04][((r >> 8) % 5) as usize];
        let cmd = match (r >> 16) % 9 {
            0 => {
                let fcp = match (r >> 24) % 4 {
                    0 => Fcp::df(fid, None).with_lcs(lcs),
                    1 => Fcp::transparent(fid, ((r >> 32) % 64) as u16 + 1).with_lcs(lcs),
                    2 => Fcp::record_file(fid, FileKind::LinearVariable, 16, 4).with_lcs(lcs),
                    _ => Fcp::record_file(fid, FileKind::Cyclic, 4, 3).with_lcs(lcs),
                };
                Command::new(0, 0xE0, 0, 0).with_data(fcp.to_bytes())
            }
            1 => Command::new(0, 0xA4, 0, 0x0C).with_data(fid.to_be_bytes().to_vec()),
            2 if r >> 40 & 1 == 0 => Command::new(0, 0xA4, 0x03, 0x0C),
            2 => Command::new(0, 0xA4, 0x00, 0x0C),
            3 => Command::new(0, 0xD6, 0, (r >> 32) as u8 % 70).with_data(vec![0xAB; 3]),
            4 => Command::new(0, 0xE2, 0, 0).with_data(vec![0x01, 0x02, 0x03, 0x04]),
            5 => Command::new(0, 0xDC, 0x01, 0x00).with_data(vec![0x01, 0x01, 0xFF]),
            6 => Command::new(0, 0xE4, 0, 0),
            7 => Command::new(0, if r >> 40 & 7 == 0 { 0x04 } else { 0x44 }, 0, 0),
            _ => Command::new(0, 0xB2, 0x01, 0x04).with_le(256),
        };
        let apdu = cmd.to_bytes().unwrap();
        let answer = c.process(&apdu).expect("an answer");
        assert!(answer.len() >= 2);
        if answer.ends_with(&[0x90, 0x00]) {
            answered += 1;
        }
    }
    assert!(
        answered > 1_000,
        "only {answered} commands succeeded: the test explores little"
    );
    let mf = sw(&mut c, "00A4000C");
    assert!(mf == "9000" || mf == "6283", "SELECT MF: {mf}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seq.json");
    c.save(&path).unwrap();
    let back = sscard::sim::VirtualCard::load(&path).unwrap();
    assert_eq!(back.state(), c.state());
}
