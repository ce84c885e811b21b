//! Runner tests against a scripted fake card: what is sent, what is printed, how expectations
//! pass and fail, variables, captures, blocks and secret masking.

use sscard::apdu::parse_hex;
use sscard::error::ErrorChain;
use sscard::script::{Event, RunOptions, RunReport, Script, ScriptError, Vars};
use sscard::transport::{ResetKind, Transport, TransportError};
use std::collections::VecDeque;
use std::path::Path;

/// A card that expects exactly these commands, in order, and gives these answers.
struct FakeCard {
    script: VecDeque<(Vec<u8>, Vec<u8>)>,
    sent: Vec<Vec<u8>>,
    resets: usize,
}

impl FakeCard {
    fn new(pairs: &[(&str, &str)]) -> Self {
        FakeCard {
            script: pairs
                .iter()
                .map(|(c, r)| (parse_hex(c).unwrap(), parse_hex(r).unwrap()))
                .collect(),
            sent: Vec::new(),
            resets: 0,
        }
    }
}

impl Transport for FakeCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.push(apdu.to_vec());
        match self.script.pop_front() {
            Some((want, resp)) if want == apdu => Ok(resp),
            Some((want, _)) => Err(TransportError::Other(format!(
                "fake card expected {}, got {}",
                hex::encode_upper(want),
                hex::encode_upper(apdu)
            ))),
            None => Err(TransportError::Other("fake card: no more answers".into())),
        }
    }
    fn atr(&self) -> Vec<u8> {
        vec![0x3B, 0x02, 0x14, 0x50]
    }
    fn name(&self) -> String {
        "fake".into()
    }
    fn reset(&mut self, _kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        self.resets += 1;
        Ok(self.atr())
    }
}

fn run(
    text: &str,
    card: &mut FakeCard,
    vars: &Vars,
    opts: RunOptions,
) -> (Result<RunReport, ScriptError>, String) {
    let script = Script::parse_str(Path::new("t.apdu"), text).unwrap();
    let mut out = String::new();
    let r = script.run(card, vars, &opts, &mut |e: &Event| {
        out.push_str(&e.to_text());
        out.push('\n');
    });
    (r, out)
}

/// `run` with no variables and the default options.
fn run_plain(text: &str, card: &mut FakeCard) -> (Result<RunReport, ScriptError>, String) {
    run(text, card, &Vars::new(), RunOptions::default())
}

/// Options for a raw run: 61xx / 6Cxx are the script's own business.
fn raw() -> RunOptions {
    RunOptions {
        raw: true,
        ..Default::default()
    }
}

/// Options that run on after an unmet expectation.
fn keep_going() -> RunOptions {
    RunOptions {
        keep_going: true,
        ..Default::default()
    }
}

#[test]
fn a_scriptor_script_runs_unchanged_and_prints_like_scriptor() {
    // Written for scriptor: comments at column 1, reset, GSM-style T=0 walk, compact and
    // spaced hex, a continuation, exit.
    let text = "\
# reset the card
reset

# Select MF 3F00
A0 A4 00 00 02 3F 00
# Get Response
A0C0000017
00 B0 00 00 \\
   04
exit
A0 A4 00 00 02 7F 10
";
    let resp17 = "00 00 00 00 3F 00 01 00 00 00 00 00 0B 13 00 00 00 00 00 00 00 00 00 90 00";
    let mut card = FakeCard::new(&[
        ("A0A40000023F00", "9F17"),
        ("A0C0000017", resp17),
        ("00B0000004", "01020304 9000"),
    ]);
    let (r, out) = run(text, &mut card, &Vars::new(), raw());
    let r = r.unwrap();
    assert_eq!(card.resets, 1);
    assert_eq!(card.sent.len(), 3, "exit stops before the last line");
    assert!(r.exited);
    assert_eq!(
        out,
        "\
> RESET
< OK: 3B 02 14 50
> A0 A4 00 00 02 3F 00
< 9F 17 : unknown status word
> A0 C0 00 00 17
< 00 00 00 00 3F 00 01 00 00 00 00 00 0B 13 00 00
00 00 00 00 00 00 00 90 00 : success
> 00 B0 00 00 04
< 01 02 03 04 90 00 : success
"
    );
}

#[test]
fn expectations_pass_and_fail_with_a_precise_message() {
    let text = "00A4040007A0000000031010 -> 6F .. * 90 00\nraw on\n00B2012C00 -> 61??\n";
    let mut card = FakeCard::new(&[
        ("00A4040007A0000000031010", "6F 03 84 01 AA 9000"),
        ("00B2012C00", "6110"),
    ]);
    let (r, _) = run_plain(text, &mut card);
    let r = r.unwrap();
    assert_eq!((r.exchanges, r.expectations_met, r.passed()), (2, 2, true));

    // One byte differs: stops there, names file:line, expected, actual and the byte.
    let text = "00A4040007A0000000031010 -> 6F 03 84 01 AA 9000\n00B2012C00\n";
    let mut card = FakeCard::new(&[("00A4040007A0000000031010", "6F 03 84 01 AB 9000")]);
    let (r, out) = run_plain(text, &mut card);
    let e = r.unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.apdu:1: expectation not met for `00 A4 04 00 07 A0 00 00 00 03 10 10`: expected 6F 03 84 01 AA 90 00, got 6F 03 84 01 AB 90 00 (9000 (success)); data byte 5 (offset 4): expected AA, got AB"
    );
    assert_eq!(card.sent.len(), 1, "stops at the first unmet expectation");
    assert!(out.contains("< 6F 03 84 01 AB 90 00 : success"));

    // Status word only: data not checked; a wrong SW names SW1/SW2.
    let mut card = FakeCard::new(&[("00B2012C00", "01 02 6A 83")]);
    let (r, _) = run_plain("00B2012C00 -> 9000\n", &mut card);
    let ScriptError::Expectation(m) = r.unwrap_err() else {
        panic!("not an expectation error")
    };
    assert_eq!(m.detail, "SW1: expected 90, got 6A");
    assert_eq!(m.sw.0, 0x6A83);

    // Length: a full pattern must cover the whole response.
    let mut card = FakeCard::new(&[("00B2012C00", "01 02 9000")]);
    let (r, _) = run_plain("00B2012C00 -> 01 9000\n", &mut card);
    assert!(
        r.unwrap_err()
            .to_string()
            .ends_with("expected 1 data byte(s), got 2")
    );
    let mut card = FakeCard::new(&[("00B2012C00", "01 9000")]);
    let (r, _) = run_plain("00B2012C00 -> 01 02 * 9000\n", &mut card);
    assert!(
        r.unwrap_err()
            .to_string()
            .ends_with("expected at least 2 data byte(s), got 1")
    );
}

#[test]
fn keep_going_runs_on_and_counts() {
    let text = "00B2012C00 -> 9000\n00B2022C00 -> 9000\n00B2032C00 -> 9000\n";
    let mut card = FakeCard::new(&[
        ("00B2012C00", "6A83"),
        ("00B2022C00", "01 9000"),
        ("00B2032C00", "6A82"),
    ]);
    let opts = keep_going();
    let (r, _) = run(text, &mut card, &Vars::new(), opts);
    let r = r.unwrap();
    assert_eq!(r.exchanges, 3);
    assert_eq!(r.expectations_met, 1);
    assert_eq!(r.failures.len(), 2);
    assert_eq!(r.failures[1].loc.line, 3);
    assert_eq!(
        r.summary(),
        "3 exchange(s), 1 expectation(s) met, 2 not met"
    );
}

#[test]
fn variables_from_set_captures_and_text_filters() {
    let text = "\
set AID A0 00 00 00 03 10 10
00A40400 07 ${AID} -> 9000
0084000008 -> ${CHALLENGE:8} 9000
echo challenge ${CHALLENGE} for ${CARD_NUMBER}
00D6000008 ${CHALLENGE}
00DC072C0B 07 09 ${CARD_NUMBER|ascii} -> 9000
00B0000000 -> ${REST:*} 90 00
00D6000003 ${REST} -> ${REST} 9000
";
    let mut card = FakeCard::new(&[
        ("00A4040007A0000000031010", "9000"),
        ("0084000008", "1122334455667788 9000"),
        // (Sent as EXTERNAL AUTHENTICATE data it would be a secret, masked everywhere.)
        ("00D60000081122334455667788", "9000"),
        ("00DC072C0B0709 4431323334353637 36", "9000"),
        ("00B0000000", "AABBCC 9000"),
        ("00D6000003AABBCC", "AABBCC 9000"),
    ]);
    let mut vars = Vars::new();
    vars.set("card_number", "D12345676");
    let (r, out) = run(text, &mut card, &vars, RunOptions::default());
    let r = r.unwrap();
    assert_eq!(r.vars.get("CHALLENGE"), Some("1122334455667788"));
    assert!(
        out.contains("challenge 1122334455667788 for D12345676\n"),
        "{out}"
    );
    assert_eq!(r.expectations_met, 5);
}

#[test]
fn unknown_variables_stop_the_run_before_anything_is_sent() {
    let mut card = FakeCard::new(&[("00A4000C023F00", "9000")]);
    let (r, out) = run_plain("00A4000C023F00\n00A4000C02${FID}\n", &mut card);
    assert!(matches!(r, Err(ScriptError::UnknownVariable { .. })));
    assert!(card.sent.is_empty());
    assert!(out.is_empty());
}

#[test]
fn secrets_are_masked_in_output_events_and_errors() {
    let text = "\
echo verifying with ${PIN} and ${OTHER}
0020000003 ${PIN} -> 63C?
0020000003 123456
0084000010 -> ${SESSION_KEY:16} 9000
00D6000003 ${OTHER} -> ${OTHER} 6A00
";
    let mut card = FakeCard::new(&[
        ("0020000003123456", "63C2"),
        ("0020000003123456", "9000"),
        ("0084000010", "00112233445566778899AABBCCDDEEFF 9000"),
        ("00D6000003A1B2C3", "A1B2C3 9000"),
    ]);
    let mut vars = Vars::new();
    vars.set("PIN", "123456");
    vars.set_secret("OTHER", "A1B2C3");
    let (r, out) = run(text, &mut card, &vars, RunOptions::default());
    let e = r.unwrap_err().to_string();
    for secret in [
        "123456",
        "12 34 56",
        "A1 B2 C3",
        "A1B2C3",
        "00 11 22 33",
        "CC DD EE FF",
    ] {
        assert!(!out.contains(secret), "{secret} in output:\n{out}");
        assert!(!e.contains(secret), "{secret} in error: {e}");
    }
    assert!(out.contains("verifying with ****** and ******\n"), "{out}");
    assert!(out.contains("> 00 20 00 00 03 ******\n< 63 C2"), "{out}");
    assert!(out.contains("< ****** 90 00 : success"), "{out}");
    assert_eq!(
        e,
        "t.apdu:5: expectation not met for `00 D6 00 00 03 ******`: expected ${OTHER} 6A 00, got ****** 90 00 (9000 (success)); SW1: expected 6A, got 90"
    );
}

#[test]
fn blocks_run_by_name_and_only_when_called() {
    let text = "\
block enable
  00A4040007 A0000000031010 -> 9000
  0044000000 -> 9000
end
echo top level
";
    let script = Script::parse_str(Path::new("t.apdu"), text).unwrap();
    let mut card = FakeCard::new(&[("00A4040007A0000000031010", "9000"), ("0044000000", "9000")]);
    let r = script.run_block("enable", &mut card, &Vars::new()).unwrap();
    assert_eq!((r.exchanges, r.expectations_met), (2, 2));
    let e = script
        .run_block("disable", &mut card, &Vars::new())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "no block named 'disable' in t.apdu; blocks: enable");
    // The top level does not run the block's lines.
    let mut card = FakeCard::new(&[]);
    let (r, out) = run_plain(text, &mut card);
    assert_eq!(r.unwrap().exchanges, 0);
    assert_eq!(out, "top level\n");
    // A failing block is an error for the profile that called it.
    let mut card = FakeCard::new(&[("00A4040007A0000000031010", "6A82")]);
    let e = script
        .run_block("enable", &mut card, &Vars::new())
        .unwrap_err();
    assert!(matches!(e, ScriptError::Expectation(_)));
}

#[test]
fn exit_inside_a_called_block_ends_the_run() {
    let text = "block b\n00A4000C023F00\nexit\nend\ncall b\n00A4000C023F01\n";
    let mut card = FakeCard::new(&[("00A4000C023F00", "9000")]);
    let (r, _) = run_plain(text, &mut card);
    let r = r.unwrap();
    assert!(r.exited);
    assert_eq!(card.sent.len(), 1);
}

#[test]
fn a_link_failure_names_the_line_and_the_command() {
    let mut card = FakeCard::new(&[]);
    let (r, _) = run_plain("\n00A4000C023F00\n", &mut card);
    assert_eq!(
        r.unwrap_err().chain().to_string(),
        "t.apdu:2:1: sending 00 A4 00 0C 02 3F 00 failed: fake card: no more answers"
    );
}

#[test]
fn json_events_carry_the_place_and_the_outcome() {
    let mut card = FakeCard::new(&[("00A4000C023F00", "6A82")]);
    let script = Script::parse_str(Path::new("t.apdu"), "00A4000C023F00 -> 9000\n").unwrap();
    let mut events = Vec::new();
    let opts = keep_going();
    script
        .run(&mut card, &Vars::new(), &opts, &mut |e: &Event| {
            events.push(e.to_json())
        })
        .unwrap();
    let e = &events[0];
    assert_eq!(e["type"], "exchange");
    assert_eq!(e["at"]["line"], 1);
    assert_eq!(e["sw"], "6A82");
    assert_eq!(e["ok"], false);
    assert_eq!(e["failure"]["detail"], "SW1: expected 90, got 6A");
}

#[test]
fn captures_from_the_status_word_drive_a_raw_get_response_walk() {
    let text = "raw on\n00A4000402 3F00 -> 61 ${LEN:1}\n00C00000 ${LEN} -> 62 * 9000\n\
                echo ${LEN} ${NAME|gbk} ${CN|ascii}\n";
    let mut card = FakeCard::new(&[
        ("00A40004023F00", "6104"),
        ("00C0000004", "62 02 82 01 9000"),
    ]);
    let mut vars = Vars::new();
    vars.set("NAME", "B2E2CAD4D2BB0000");
    vars.set("CN", "4431323334353637360000");
    let (r, out) = run(text, &mut card, &vars, RunOptions::default());
    let r = r.unwrap();
    assert_eq!(r.expectations_met, 2);
    assert!(out.ends_with("04 测试一 D12345676\n"), "{out}");
    assert!(
        out.contains("< 61 04 : 4 more bytes available (GET RESPONSE)\n"),
        "{out}"
    );
}

#[test]
fn by_default_61xx_and_6cxx_are_handled_and_the_complete_response_is_shown() {
    let text = "00A4000402 3F00 -> 62 * 9000\n00B2012C05 -> 01 02 AA BB 9000\n";
    let mut card = FakeCard::new(&[
        ("00A40004023F00", "6104"),
        ("00C0000004", "62 02 82 01 9000"),
        ("00B2012C05", "6C04"),
        ("00B2012C04", "01 02 AA BB 9000"),
    ]);
    let (r, out) = run_plain(text, &mut card);
    assert_eq!(r.unwrap().expectations_met, 2);
    assert_eq!(
        out,
        "> 00 A4 00 04 02 3F 00\n< 62 02 82 01 90 00 : success\n\
         > 00 B2 01 2C 05\n< 01 02 AA BB 90 00 : success\n"
    );
    // --raw: the same script sees 61xx itself and fails where it expects the data.
    let mut card = FakeCard::new(&[("00A40004023F00", "6104")]);
    let opts = raw();
    let (r, _) = run(text, &mut card, &Vars::new(), opts);
    assert!(
        r.unwrap_err()
            .to_string()
            .ends_with("expected 62 * 90 00, got 61 04 (6104 (4 more bytes available (GET RESPONSE))); expected at least 1 data byte(s), got 0"),
    );
}

#[test]
fn alternatives_match_any_and_report_the_first_when_none_does() {
    let text = "00A4000C023F00 -> 9000 | 61 ${N:1}\n00A4000C023F00 -> 9000 | 6283\n";
    let mut card = FakeCard::new(&[("00A4000C023F00", "6110"), ("00A4000C023F00", "6A82")]);
    let opts = raw();
    let (r, _) = run(text, &mut card, &Vars::new(), opts);
    let e = r.unwrap_err().to_string();
    assert_eq!(
        e,
        "t.apdu:2: expectation not met for `00 A4 00 0C 02 3F 00`: expected 90 00 | 62 83, got 6A 82 (6A82 (file or application not found)); first alternative: SW1: expected 90, got 6A"
    );
}

#[test]
fn cryptograms_and_key_values_are_masked_as_the_wire_trace_masks_them() {
    let text = "raw on\n\
                0088000008 1122334455667788\n\
                00C0000008\n\
                80D4000113 01 01 00 00112233445566778899AABBCCDDEEFF\n";
    let mut card = FakeCard::new(&[
        ("00880000081122334455667788", "6108"),
        ("00C0000008", "A1A2A3A4A5A6A7A8 9000"),
        ("80D400011301010000112233445566778899AABBCCDDEEFF", "9000"),
    ]);
    let (r, out) = run_plain(text, &mut card);
    r.unwrap();
    assert_eq!(
        out,
        "> 00 88 00 00 08 ******\n< 61 08 : 8 more bytes available (GET RESPONSE)\n\
         > 00 C0 00 00 08\n< ****** 90 00 : success\n\
         > 80 D4 00 01 13 01 01 00 ******\n< 90 00 : success\n"
    );
}

#[test]
fn debug_output_of_a_script_shows_no_literal_secret() {
    let s = Script::parse_str(
        Path::new("t.apdu"),
        "default PIN 123456\n0020000003 123456 -> 9000\nblock b\nend\n",
    )
    .unwrap();
    let d = format!("{s:?}");
    assert!(!d.contains("123456") && !d.contains("12 34 56"), "{d}");
    assert!(d.contains("t.apdu") && d.contains("\"b\""), "{d}");
}

#[test]
fn padding_and_cn_fill_elements_as_the_profile_formats_do() {
    let text = "00DC0130 05 0C03 ${PLACE|cn:3} -> 9000\n\
                00DC0130 06 0D04 ${EVEN|cn:4} -> 9000\n\
                00DC0130 04 0B02 ${ODD|cn} -> 9000\n\
                00DC0130 07 0905 ${NAME|gbk:5} -> 0905 ${NAME|gbk:5} 9000\n\
                echo ${P|cn} ${NAME}\n";
    let mut card = FakeCard::new(&[
        ("00DC0130050C03440700", "9000"),
        ("00DC0130060D0412FFFFFF", "9000"),
        ("00DC0130040B02123F", "9000"),
        ("00DC0130070905B2E2CAD400", "0905B2E2CAD400 9000"),
    ]);
    let mut vars = Vars::new();
    vars.set("PLACE", "440700");
    vars.set("EVEN", "12");
    vars.set("ODD", "123");
    vars.set("NAME", "测试");
    vars.set("P", "4407001FFF");
    let (r, out) = run(text, &mut card, &vars, RunOptions::default());
    assert_eq!(r.unwrap().expectations_met, 4);
    assert!(out.ends_with("4407001 测试\n"), "{out}");
}
