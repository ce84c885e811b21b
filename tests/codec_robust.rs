//! Untrusted input never panics: card bytes through every decoder, operator text through every
//! encoder and rule, and damaged profile text through the loader.

use sscard::codec::rules::Rule;
use sscard::codec::{CodecError, Format, Padding, decode, encode, split_gbk};
use std::path::Path;

/// A small deterministic generator (no extra crates, same bytes every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u8
    }
}

#[test]
fn decoders_take_any_bytes() {
    let mut g = Lcg(7);
    let mut errors = 0;
    let pads = [
        Padding::Byte(0),
        Padding::Byte(0xFF),
        Padding::NibbleF,
        Padding::LeadingZero,
        Padding::None,
    ];
    for len in 0..40 {
        for _ in 0..20 {
            let b: Vec<u8> = (0..len).map(|_| g.next()).collect();
            for f in Format::ALL {
                for p in pads {
                    if let Err(e) = decode(f, p, &b) {
                        decode_error_is_right(f, &b, &e);
                        errors += 1;
                    }
                }
            }
        }
    }
    assert!(errors > 1000, "random bytes were refused {errors} times");
}

/// The 1-based byte holding the first nibble that is not allowed: `n` takes digits only; `cn`
/// (and `date`) digits, then `F` padding to the end.
fn first_bad_bcd(f: Format, b: &[u8]) -> Option<usize> {
    let mut ended = false;
    for (i, &x) in b.iter().enumerate() {
        for nib in [x >> 4, x & 0x0F] {
            let ok = match f {
                Format::N => nib <= 9,
                _ if nib == 0xF => {
                    ended = true;
                    true
                }
                _ => nib <= 9 && !ended,
            };
            if !ok {
                return Some(i + 1);
            }
        }
    }
    None
}

/// A decode error is one a card value can cause, and it points at a byte that is really wrong.
fn decode_error_is_right(f: Format, b: &[u8], e: &CodecError) {
    let at = |pos: usize| -> u8 {
        assert!(
            pos >= 1 && pos <= b.len(),
            "{f:?} {b:02X?}: position {pos}: {e}"
        );
        b[pos - 1]
    };
    match (f, e) {
        (Format::Cn | Format::N | Format::Date, CodecError::BadBcd { pos, byte }) => {
            assert_eq!(at(*pos), *byte, "{f:?} {b:02X?}: {e}");
            assert_eq!(Some(*pos), first_bad_bcd(f, b), "{f:?} {b:02X?}: {e}");
        }
        (Format::Date, CodecError::BadDate { value, .. }) => {
            assert_eq!(first_bad_bcd(f, b), None, "{b:02X?}: {e}");
            assert!(value.chars().all(|c| c.is_ascii_digit()), "{e}");
        }
        (Format::An, CodecError::NotAscii { pos, byte }) => {
            assert_eq!(at(*pos), *byte, "{b:02X?}: {e}");
            assert!(!(0x20..0x7F).contains(byte), "{b:02X?}: {e}");
        }
        (Format::Gbk, CodecError::BadGbkBytes { hex }) => {
            assert!(!hex.is_empty(), "{b:02X?}: {e}");
        }
        _ => panic!("{f:?} on {b:02X?} gave an unexpected error kind: {e:?}"),
    }
    assert!(!e.to_string().is_empty());
}

#[test]
fn malformed_card_values_give_the_error_that_names_them() {
    let bad_bcd = decode(Format::Cn, Padding::NibbleF, &[0x12, 0x3A, 0xFF]).unwrap_err();
    assert_eq!(bad_bcd, CodecError::BadBcd { pos: 2, byte: 0x3A });
    let bad_n = decode(Format::N, Padding::LeadingZero, &[0x00, 0xC1]).unwrap_err();
    assert_eq!(bad_n, CodecError::BadBcd { pos: 2, byte: 0xC1 });
    let not_ascii = decode(Format::An, Padding::Byte(0), &[0x41, 0x07, 0x42]).unwrap_err();
    assert_eq!(not_ascii, CodecError::NotAscii { pos: 2, byte: 0x07 });
    assert!(matches!(
        decode(Format::Gbk, Padding::Byte(0), &[0xB2, 0x41, 0xFF, 0x20]).unwrap_err(),
        CodecError::BadGbkBytes { .. }
    ));
    assert!(matches!(
        decode(Format::Date, Padding::NibbleF, &[0x20, 0x24, 0x02, 0x30]).unwrap_err(),
        CodecError::BadDate { .. }
    ));
}

#[test]
fn malformed_operator_text_gives_the_error_that_names_it() {
    assert!(matches!(
        encode(Format::An, 8, Padding::Byte(0), "AB测").unwrap_err(),
        CodecError::BadChar {
            ch: '测',
            pos: 3,
            ..
        }
    ));
    assert_eq!(
        encode(Format::Gbk, 30, Padding::Byte(0), "张😀").unwrap_err(),
        CodecError::NotGbk {
            ch: '😀',
            code: 0x1F600,
            pos: 2
        }
    );
    assert_eq!(
        encode(Format::An, 4, Padding::Byte(0), "ABCDE").unwrap_err(),
        CodecError::TooLong { actual: 5, max: 4 }
    );
    assert!(matches!(
        encode(Format::Cn, 4, Padding::NibbleF, "12X4").unwrap_err(),
        CodecError::BadChar {
            ch: 'X',
            pos: 3,
            ..
        }
    ));
    assert!(matches!(
        encode(Format::Date, 4, Padding::NibbleF, "20240230").unwrap_err(),
        CodecError::BadDate { .. }
    ));
    assert!(matches!(
        Rule::Ssn.check("110101199012290017").unwrap_err(),
        CodecError::CheckChar {
            got: '7',
            expected: '6'
        }
    ));
}

#[test]
fn encoders_and_rules_take_any_text() {
    let samples = [
        "",
        "0",
        "X",
        "测",
        "𠀀",
        "😀",
        "\u{0}",
        "110101199012290016",
        "1101011990122900１６",
        "4403测D156000005005E1F0C3A9D2B47",
        "Ａ0000000３",
        "2024022",
        "99999999",
        "3.0０",
        "\u{301}a",
        "\u{FEFF}123",
        "-1",
        "1e9",
    ];
    for s in samples {
        for f in Format::ALL {
            for len in [0usize, 1, 4, 16, 30] {
                for p in [f.default_padding(), Padding::None, Padding::Byte(0x20)] {
                    match encode(f, len, p, s) {
                        Ok(b) => assert_eq!(b.len(), len, "{f:?} {len} {s:?}"),
                        Err(e) => encode_error_is_right(f, len, s, &e),
                    }
                }
            }
        }
        for r in Rule::ALL {
            if let Err(e) = r.check(s) {
                assert!(
                    !matches!(
                        e,
                        CodecError::UnknownFormat(_)
                            | CodecError::UnknownPadding(_)
                            | CodecError::BadBcd { .. }
                            | CodecError::NotAscii { .. }
                            | CodecError::BadGbkBytes { .. }
                    ),
                    "{r:?} on {s:?}: a card-side or profile error for operator text: {e:?}"
                );
                assert!(!e.to_string().is_empty());
            }
        }
        let _ = split_gbk(s, 30, 20);
        let _ = split_gbk(s, 0, 0);
    }
}

/// An encode error is one operator text can cause, and it names the right character or size.
fn encode_error_is_right(f: Format, len: usize, s: &str, e: &CodecError) {
    let chars: Vec<char> = s.chars().collect();
    match e {
        CodecError::BadChar { ch, pos, .. } | CodecError::NotGbk { ch, pos, .. } => {
            assert_eq!(chars.get(pos.wrapping_sub(1)), Some(ch), "{f:?} {s:?}: {e}");
        }
        CodecError::TooLong { actual, max } => {
            assert_eq!(*max, len, "{f:?} {s:?}: {e}");
            assert!(actual > max, "{f:?} {s:?}: {e}");
        }
        CodecError::WrongLength { expected, actual } => {
            assert_ne!(expected, actual, "{f:?} {s:?}: {e}");
        }
        CodecError::WrongChars { expected, actual } => {
            assert_ne!(expected, actual, "{f:?} {s:?}: {e}");
        }
        CodecError::Hex(_) => assert_eq!(f, Format::B, "{s:?}: {e}"),
        CodecError::BadDate { value, .. } => {
            assert_eq!(f, Format::Date, "{s:?}: {e}");
            assert_eq!(value, s, "{e}");
        }
        CodecError::Rule(m) => assert!(!m.is_empty()),
        _ => panic!("{f:?} {len} on {s:?} gave an unexpected error kind: {e:?}"),
    }
}

#[test]
fn damaged_profiles_are_errors_not_panics() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/ssc-3.00.toml"),
    )
    .unwrap();
    let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(23).collect();
    let mut errors = 0;
    for &c in &cuts {
        match sscard::profile::parse(&text[..c], Path::new("cut.toml")) {
            Err(sscard::profile::ProfileError::Syntax { line, file, .. }) => {
                assert!(line >= 1 && line <= text[..c].lines().count() + 1, "{line}");
                assert_eq!(file, Path::new("cut.toml"));
                errors += 1;
            }
            Err(sscard::profile::ProfileError::Invalid { issues, .. }) => {
                assert!(!issues.is_empty(), "cut at {c}");
                errors += 1;
            }
            Err(e) => panic!("cut at {c}: unexpected error kind {e:?}"),
            Ok(_) => {}
        }
    }
    // Every cut before the last element is incomplete or broken.
    assert!(errors > cuts.len() / 2, "{errors} of {}", cuts.len());
    let key_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/test-keys.toml"),
    )
    .unwrap();
    for (i, _) in key_text.char_indices().step_by(17) {
        if let Err(e) = sscard::profile::keys::KeyFile::parse(&key_text[..i], Path::new("k.toml")) {
            // Key file errors never quote key digits.
            assert!(!e.to_string().contains("542D"), "{e}");
        }
    }
}
