//! Untrusted input never panics: card bytes through every decoder, operator text through every
//! encoder and rule, and damaged profile text through the loader.

use sscard::codec::rules::Rule;
use sscard::codec::{Format, Padding, decode, encode, split_gbk};
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
                    let _ = decode(f, p, &b);
                }
            }
        }
    }
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
                    let _ = encode(f, len, p, s);
                }
            }
        }
        for r in Rule::ALL {
            let _ = r.check(s);
        }
        let _ = split_gbk(s, 30, 20);
        let _ = split_gbk(s, 0, 0);
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
        if sscard::profile::parse(&text[..c], Path::new("cut.toml")).is_err() {
            errors += 1;
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
