//! Parser table tests: good scripts load, bad scripts fail with the exact file:line:column
//! message that says what was expected.

use sscard::error::ErrorChain;
use sscard::script::{Script, Vars};
use std::path::Path;

fn err(text: &str) -> String {
    match Script::parse_str(Path::new("t.apdu"), text) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e.chain().to_string(),
    }
}

#[test]
fn good_scripts_load() {
    let good = [
        "00A4040007A0000000031010\n",
        "# comment\n\n  # indented comment\nreset\n00 A4 04 00 02 3F 00\nexit\n",
        "RESET\n00a4000c023f00 # trailing comment\n",
        "00 A4 04 00 0F \\\n  7378312E73682EC9E7BBE1B1A3D5CF \\\n  -> 6F .. * 90 00\n",
        "00A4040007A0000000031010 -> 61??\n",
        "0084000008 -> ${CHALLENGE:8} 9000\n0082000008${CHALLENGE}\n",
        "00B0000000 -> ${ALL:*} 9000\n",
        "set AID = A0000000031010\n00A4040007${AID} -> 9000\n",
        "default AID A0000000031010\necho AID is ${AID}\n",
        "block enable\n  00440000 -> 9000\nend\ncall enable\n",
        "raw on\n00A4040007A0000000031010 -> 61??\nraw off\n",
        "00DC07 2C 0B 07 09 ${CARD_NUMBER|ascii} -> 9000\n",
        "00DC07 2C 0B 07 09 ${CARD_NUMBER|ascii:9} -> 9000\n00DC0D30 06 0D04 ${D|cn:4}\n",
        "reset cold\nreset warm\n",
        "00A4040002 3F00 -> 9000 | 6283 | 61${N:1}\n",
        "00B0000000 -> ${X|ascii} 9000|6282\n",
        "00 A4 04 00 02 \\\n# a comment inside a continuation, skipped as scriptor does\n3F 00\n",
    ];
    for text in good {
        if let Err(e) = Script::parse_str(Path::new("t.apdu"), text) {
            panic!("{text:?} failed: {e}");
        }
    }
}

#[test]
fn bad_scripts_name_the_place_and_what_was_expected() {
    let table: &[(&str, &str)] = &[
        (
            "00A4 04\n",
            "t.apdu:1:1: the command is not a well-formed APDU: a command APDU needs at least 4 bytes (CLA INS P1 P2), got 3",
        ),
        (
            "\n# c\n00A4040002 3F00 3F 00\n",
            "t.apdu:3:1: the command is not a well-formed APDU: Lc says 2 data byte(s) but 4 follow",
        ),
        (
            "00A4040\n",
            "t.apdu:1:7: expected a second hex digit (bytes are two digits), found the end of the line",
        ),
        (
            "00A4 04 0G\n",
            "t.apdu:1:10: expected a hex digit in the command, found 'G'",
        ),
        (
            "00A40400 -> 9x00\n",
            "t.apdu:1:13: expected a second hex digit or wildcard (bytes are two digits), found 'x'",
        ),
        (
            "00A40400 -> 6F\n",
            "t.apdu:1:15: expected the status word at the end of the expectation (4 hex digits such as 9000, 61?? or 6A82), found the end of the line",
        ),
        (
            "00A40400 -> * ${X:*} 9000\n",
            "t.apdu:1:20: expected at most one `*` or ${NAME:*} per expectation, found a second one",
        ),
        (
            "00A40400 ->\n",
            "t.apdu:1:12: expected an expectation after `->` (e.g. 9000, 61?? or 6F .. * 9000), found the end of the line",
        ),
        (
            "00A40400 -> 9000 |\n",
            "t.apdu:1:19: expected an expectation after `|` (e.g. 9000, 61?? or 6F .. * 9000), found the end of the line",
        ),
        (
            "00A40400 -> 90 | 9000\n",
            "t.apdu:1:16: expected the status word at the end of the expectation (4 hex digits such as 9000, 61?? or 6A82), found '|'",
        ),
        (
            "-> 9000\n",
            "t.apdu:1:1: expected a command APDU before `->`, found `->`",
        ),
        (
            "send 00A40400\n",
            "t.apdu:1:1: expected a hex APDU or a directive (reset, exit, echo, include, block, end, call, set, default, raw), found 'send'",
        ),
        (
            "00A4040002 $X\n",
            "t.apdu:1:13: expected `{` after `$` (variables are written ${NAME}), found 'X'",
        ),
        (
            "00A4040002 ${1X}\n",
            "t.apdu:1:14: expected a variable name (a letter or _, then letters, digits or _), found '1'",
        ),
        (
            "00A4040002 ${X:2}\n",
            "t.apdu:1:15: expected `}` (captures ${NAME:N} belong after `->`), found ':'",
        ),
        (
            "00A4040002 ${X|bcd}\n",
            "t.apdu:1:16: expected a filter: hex, ascii, gbk or cn, found 'b'",
        ),
        (
            "00A4040002 ${X|cn:}\n",
            "t.apdu:1:19: expected a width in bytes (1 to 65536) after `:` to pad the value to, found '}'",
        ),
        (
            "00A4040002 ${X\n",
            "t.apdu:1:15: expected `}` to close ${...}, found the end of the line",
        ),
        (
            "0084000008 -> ${C:0} 9000\n",
            "t.apdu:1:19: expected a byte count (1 to 65536) or `*` after `:` in a capture, found '0'",
        ),
        (
            "reset now\n",
            "t.apdu:1:7: expected `warm`, `cold` or nothing after `reset`, found 'now'",
        ),
        (
            "exit 1\n",
            "t.apdu:1:6: expected nothing more after `exit`, found '1'",
        ),
        (
            "raw maybe\n",
            "t.apdu:1:5: expected `on` or `off` after `raw`, found 'maybe'",
        ),
        (
            "block\nend\n",
            "t.apdu:1:6: expected a block name after `block` (letters, digits, _ or -), found the end of the line",
        ),
        (
            "block a\nblock b\nend\n",
            "t.apdu:2:1: expected `end` of block 'a' (opened at t.apdu:1:1) before another block: blocks do not nest, found `block b`",
        ),
        (
            "block a\nend\nblock a\nend\n",
            "t.apdu:3:1: expected a new block name, found 'a', already defined at t.apdu:1:1",
        ),
        (
            "end\n",
            "t.apdu:1:1: expected `end` only after `block NAME`, found `end`",
        ),
        (
            "block a\n00A40400\n",
            "t.apdu:1:1: expected `end` to close block 'a', found the end of t.apdu",
        ),
        (
            "00A4 \\\n",
            "t.apdu:1:6: expected another line after the `\\` continuation, found the end of the file",
        ),
        (
            "set 1A = 2\n",
            "t.apdu:1:5: expected a variable name after `set`, found '1'",
        ),
        (
            "call nothing\n",
            "t.apdu:1: no block named 'nothing' in t.apdu; blocks: none",
        ),
        (
            "block a\ncall b\nend\nblock b\ncall a\nend\n",
            "t.apdu:5:1: block cycle: a -> b -> a",
        ),
    ];
    for (text, want) in table {
        assert_eq!(&err(text), want, "script {text:?}");
    }
}

#[test]
fn continuation_positions_point_into_the_right_physical_line() {
    assert_eq!(
        err("00 A4 04 00 \\\n  02 3F 0Z\n"),
        "t.apdu:2:10: expected a hex digit in the command, found 'Z'"
    );
}

#[test]
fn includes_resolve_relative_to_the_including_file_and_cycles_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::write(
        dir.path().join("main.apdu"),
        "include lib/select.apdu\ncall sel\n",
    )
    .unwrap();
    std::fs::write(
        lib.join("select.apdu"),
        "block sel\ninclude inner.apdu\nend\n",
    )
    .unwrap();
    std::fs::write(lib.join("inner.apdu"), "00A4000C023F00 -> 9000\n").unwrap();
    let s = Script::load(&dir.path().join("main.apdu")).unwrap();
    assert_eq!(s.block_names(), vec!["sel"]);

    // a -> b -> a
    std::fs::write(
        dir.path().join("a.apdu"),
        "00A4000C023F00\ninclude b.apdu\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.apdu"), "\ninclude a.apdu\n").unwrap();
    let e = Script::load(&dir.path().join("a.apdu"))
        .unwrap_err()
        .to_string();
    let a = dir.path().join("a.apdu");
    let b = dir.path().join("b.apdu");
    assert_eq!(
        e,
        format!(
            "{}:2:1: include cycle: {} -> {} -> {}",
            b.display(),
            a.display(),
            b.display(),
            a.display()
        )
    );

    // A missing include names the include line.
    std::fs::write(dir.path().join("c.apdu"), "include nope.apdu\n").unwrap();
    let e = Script::load(&dir.path().join("c.apdu"))
        .unwrap_err()
        .chain()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{}:1:1: cannot include {}: ",
            dir.path().join("c.apdu").display(),
            dir.path().join("nope.apdu").display()
        )),
        "{e}"
    );
}

fn check(text: &str, vars: &Vars) -> Result<(), String> {
    Script::parse_str(Path::new("t.apdu"), text)
        .map_err(|e| e.chain().to_string())?
        .check(None, vars)
        .map_err(|e| e.chain().to_string())
}

#[test]
fn the_whole_script_check_finds_unknown_variables_and_bad_values() {
    let none = Vars::new();
    assert_eq!(
        check("00A4000C023F00\n00B2012C ${LE}\n", &none).unwrap_err(),
        "t.apdu:2:10: unknown variable ${LE}: give it with --set LE=VALUE, --vars FILE, a `set` line, or capture it from an earlier response"
    );
    // Captured earlier: fine. Used before the capture: not.
    check("0084000008 -> ${C:8} 9000\n0082000008 ${C}\n", &none).unwrap();
    assert!(
        check("0082000008 ${C}\n0084000008 -> ${C:8} 9000\n", &none)
            .unwrap_err()
            .starts_with("t.apdu:1:12: unknown variable ${C}")
    );
    // Known through a block call and a `set`.
    check(
        "block b\nset X 3F00\nend\ncall b\n00A4000C02${X}\necho ${x}\n",
        &none,
    )
    .unwrap();
    // After `exit` nothing is checked for variables.
    check("exit\n00A4000C02${NOPE}\n", &none).unwrap();
    let mut v = Vars::new();
    v.set("FID", "3F0");
    assert_eq!(
        check("00A4000C02 ${FID}\n", &v).unwrap_err(),
        "t.apdu:1:12: variable ${FID}: '3F0' is not hex (odd number of hex digits (3): every byte needs two); write ${FID|ascii} to send it as text"
    );
    v.set("FID", "3F000000");
    assert_eq!(
        check("00A4000C02 ${FID}\n", &v).unwrap_err(),
        "t.apdu:1:1: the command is not a well-formed APDU: Lc says 2 data byte(s) but 4 follow"
    );
    let mut v = Vars::new();
    v.set("PIN", "12345G");
    let e = check("0020000003${PIN}\n", &v).unwrap_err();
    assert_eq!(
        e,
        "t.apdu:1:11: variable ${PIN}: its value is not hex digits"
    );
    assert!(!e.contains("12345G"));
    let mut v = Vars::new();
    v.set("NAME", "测试一");
    check("00DC0230 08 0906 ${NAME|gbk}\n", &v).unwrap();
    assert_eq!(
        check("00DC0230 08 0906 ${NAME|ascii}\n", &v).unwrap_err(),
        "t.apdu:1:18: variable ${NAME}: its value has non-ASCII characters; write |gbk for Chinese text"
    );
}

#[test]
fn no_input_makes_the_loader_or_the_check_panic() {
    // A small deterministic generator over the characters the grammar cares about.
    let alphabet: Vec<char> = "0123456789aAfFgG ?.*$${}|:#-> \\\n\tresetxiblockendcallrw=测"
        .chars()
        .collect();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut loaded = 0;
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        if let Ok(s) = Script::parse_str(Path::new("t.apdu"), &text) {
            loaded += 1;
            let mut v = Vars::new();
            v.set("X", "3F00");
            let _ = s.check(None, &v);
        }
    }
    assert!(loaded > 0, "the generator never made a valid script");
}
