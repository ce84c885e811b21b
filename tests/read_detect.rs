//! Without `--profile`, `read` and `diagnose` tell the generation from EF05 tag 03 and use the
//! shipped profile; a `--profile` of another generation is PROFILE MISMATCH in diagnose; and
//! diagnose reads first, using the read key only where the card answers 6982.

mod diag_util;

use diag_util::*;
use sscard::diagnose::{Options, Verdict};
use sscard::perso::demo::DEMO_CARD_ID;
use sscard::perso::detect;
use sscard::session::Session;

const SSC_100: &str = include_str!("../card-profiles/ssc-1.00.toml");

/// A personalized card of each generation: (profile text, name, spec version).
const GENERATIONS: [(&str, &str, &str); 3] = [
    (SSC_100, "ssc-1.00", "1.00"),
    (SSC_200, "ssc-2.00", "2.00"),
    (SSC_300, "ssc-3.00", "3.00"),
];

fn card(profile_text: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), profile_text, &format!("{name}.toml"));
    (dir, card)
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_library_tells_each_generation_from_ef05_tag_03_with_two_commands() {
    for (text, name, version) in GENERATIONS {
        let (_dir, path) = card(text, name);
        let mut t = open(&path);
        let mut tx = sscard::transport::Tx::begin(t.as_mut()).unwrap();
        let mut s = Session::new(&mut tx);
        let found = detect::detect(&mut s).unwrap();
        assert_eq!(found.spec_version, version);
        assert_eq!(found.profile, name);
        assert_eq!(s.stats().apdus, 2, "SELECT SSSE + READ RECORD");
        assert!(
            s.headers().iter().all(|h| h[1] != 0x82),
            "no authentication"
        );
    }
}

#[test]
fn read_without_profile_picks_the_shipped_profile_of_each_generation() {
    let keys = repo("card-profiles/test-keys.toml");
    for (text, name, version) in GENERATIONS {
        let (_dir, path) = card(text, name);
        let o = sscard(&path, &["read", "--keys", &keys, "--card-id", DEMO_CARD_ID]);
        let t = out(&o);
        assert!(o.status.success(), "{name}: {t}{}", err(&o));
        assert!(
            t.contains(&format!(
                "profile      {name} (the card says spec version {version})"
            )),
            "{t}"
        );
        assert!(t.contains("测试一"), "{name}: the holder's name read: {t}");
    }
}

#[test]
fn read_without_profile_or_keys_on_a_3rd_generation_card_shows_ef05_and_names_the_key() {
    let (_dir, path) = card(SSC_300, "ssc-3.00");
    let o = sscard(&path, &["read"]);
    let t = out(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("profile      ssc-3.00 (the card says spec version 3.00)"));
    assert!(t.contains(DEMO_CARD_ID), "EF05 read without a key: {t}");
    assert!(
        err(&o).contains("EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{}",
        err(&o)
    );
}

#[test]
fn diagnose_without_profile_detects_each_generation() {
    for (text, name, version) in GENERATIONS {
        let (_dir, path) = card(text, name);
        let o = sscard(&path, &["diagnose", "--today", "20260101", "--rounds", "2"]);
        let t = out(&o);
        assert!(
            t.contains(&format!(
                "(profile {name}; the card says spec version {version})"
            )),
            "{t}"
        );
        // Every generation but the 3rd reads all without keys.
        if name != "ssc-3.00" {
            assert_eq!(o.status.code(), Some(0), "{t}");
            assert!(t.contains("VERDICT: OK\n"), "{t}");
        }
    }
}

#[test]
fn a_profile_of_another_generation_is_profile_mismatch_not_data_damaged() {
    let (_dir, path) = card(SSC_200, "ssc-2.00");
    let p3 = repo("card-profiles/ssc-3.00.toml");
    let o = sscard(
        &path,
        &[
            "diagnose",
            "--profile",
            &p3,
            "--today",
            "20260101",
            "--rounds",
            "2",
        ],
    );
    let t = out(&o);
    assert_eq!(o.status.code(), Some(21), "{t}");
    assert!(t.contains("VERDICT: PROFILE MISMATCH"), "{t}");
    assert!(!t.contains("VERDICT: DATA DAMAGED"), "{t}");
    assert!(
        t.contains("the card says spec version 2.00 (EF05 tag 03, generation 2) but profile ssc-3.00 is for generation 3"),
        "{t}"
    );
    assert!(t.contains("--profile ssc-2.00"), "{t}");
    // And the other way round, in the library.
    let (_dir3, path3) = card(SSC_300, "ssc-3.00");
    let p2 = sscard::perso::demo::shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let mut t3 = open(&path3);
    let r = sscard::diagnose::diagnose(t3.as_mut(), &p2, &Options::default());
    assert_eq!(r.verdict, Verdict::ProfileMismatch, "{}", r.render());
    assert_eq!(r.exit_code, 21);
    assert_eq!(r.spec_version.as_deref(), Some("3.00"));
}

#[test]
fn the_right_profile_is_no_mismatch() {
    let (_dir, path) = card(SSC_200, "ssc-2.00");
    let p2 = sscard::perso::demo::shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let mut t = open(&path);
    let r = sscard::diagnose::diagnose(t.as_mut(), &p2, &Options::default());
    assert_eq!(r.verdict, Verdict::Ok, "{}", r.render());
    assert!(
        !r.reasons
            .iter()
            .any(|f| f.class == Verdict::ProfileMismatch)
    );
}

/// The diagnosis of `path` with the test keys (demo card id) through `profile`.
fn diagnose_keyed(
    path: &std::path::Path,
    profile: &sscard::profile::Profile,
) -> (sscard::diagnose::Report, Vec<[u8; 4]>) {
    let station = sscard::perso::Station::new(profile).unwrap();
    let values = station.encode(&sscard::perso::demo::demo_holder()).unwrap();
    let kf = sscard::perso::demo::shipped_keys().unwrap();
    let mut t = open(path);
    let keys = station.card_keys(Some(&kf), &values, &t.atr());
    let mut spy = Headers::new(t.as_mut());
    let opts = Options {
        today: Some("20260101".into()),
        link_rounds: 2,
        ..Options::default()
    };
    let r = sscard::diagnose::diagnose_with_keys(&mut spy, profile, &opts, Some(&keys));
    (r, spy.sent)
}

#[test]
fn diagnose_authenticates_only_after_the_card_refuses() {
    let (_dir, path) = card(SSC_300, "ssc-3.00");
    let p3 = sscard::perso::demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let (r, sent) = diagnose_keyed(&path, &p3);
    assert_eq!(r.verdict, Verdict::Ok, "{}", r.render());
    assert_eq!(r.authentications, 1, "{}", r.render());
    let first_auth = sent.iter().position(|h| h[1] == 0x82).unwrap();
    // READ RECORD of tag 08 (EF06's first element) is tried, refused, and only then the read
    // key is used.
    let tried_first = sent.iter().position(|h| h[1] == 0xB2 && h[2] == 0x08);
    assert!(
        tried_first.is_some_and(|i| i < first_auth),
        "a READ RECORD of EF06 before the authentication: {sent:02X?}"
    );
    assert_eq!(sent[first_auth][3], 0x0A, "with the read key 0A");
}

#[test]
fn a_card_more_open_than_its_profile_is_diagnosed_without_authentication_and_noted() {
    let open_text = SSC_300.replace(r#"read = "auth:read""#, r#"read = "always""#);
    assert_ne!(open_text, SSC_300);
    let (_dir, path) = card(&open_text, "open");
    let p3 = sscard::perso::demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let (r, sent) = diagnose_keyed(&path, &p3);
    let text = r.render();
    assert_eq!(r.verdict, Verdict::Ok, "{text}");
    assert_eq!(r.verdict_text, "OK", "{text}");
    assert_eq!(r.authentications, 0, "{text}");
    assert!(sent.iter().all(|h| h[1] != 0x84 && h[1] != 0x82));
    assert!(
        text.contains(
            "3F00/DDF1/EF06: read without read key 0A (读密钥 RKSSSE): the profile says reading it needs that key"
        ),
        "{text}"
    );
}

#[test]
fn diagnose_without_keys_sends_one_refused_read_per_protected_ef() {
    let (_dir, path) = card(SSC_300, "ssc-3.00");
    let p3 = sscard::perso::demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let mut t = open(&path);
    let mut spy = Headers::new(t.as_mut());
    let opts = Options {
        today: Some("20260101".into()),
        link_rounds: 2,
        ..Options::default()
    };
    let r = sscard::diagnose::diagnose(&mut spy, &p3, &opts);
    let text = r.render();
    // EF06: one READ RECORD (tag 08, refused); its 6 other elements are not asked for.
    let ef06_tags = [0x08, 0x09, 0x4E, 0x0A, 0x0B, 0x0C, 0x0D];
    let ef06_reads = spy
        .sent
        .iter()
        .filter(|h| h[1] == 0xB2 && ef06_tags.contains(&h[2]))
        .count();
    assert_eq!(ef06_reads, 1, "{text}");
    assert_eq!(r.authentications, 0);
    assert_eq!(r.unchecked, 7, "{text}");
    assert_eq!(r.not_read.len(), 1, "{text}");
    assert!(
        text.contains("not read: EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{text}"
    );
}

/// A transport that keeps the header of every command sent.
struct Headers<'a> {
    inner: &'a mut dyn sscard::transport::Transport,
    sent: Vec<[u8; 4]>,
}

impl<'a> Headers<'a> {
    fn new(inner: &'a mut dyn sscard::transport::Transport) -> Self {
        Headers {
            inner,
            sent: Vec::new(),
        }
    }
}

impl sscard::transport::Transport for Headers<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, sscard::transport::TransportError> {
        let mut h = [0u8; 4];
        h.iter_mut().zip(apdu).for_each(|(d, s)| *d = *s);
        self.sent.push(h);
        self.inner.transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
    fn reset(
        &mut self,
        k: sscard::transport::ResetKind,
    ) -> Result<Vec<u8>, sscard::transport::TransportError> {
        self.inner.reset(k)
    }
}

#[test]
fn with_keys_but_no_card_id_the_card_identification_code_is_read_from_the_card() {
    let (_dir, path) = card(SSC_300, "ssc-3.00");
    let keys = repo("card-profiles/test-keys.toml");
    let o = sscard(&path, &["read", "--keys", &keys]);
    let t = out(&o);
    assert!(o.status.success(), "{t}{}", err(&o));
    assert!(t.contains("EF06 09  姓名            测试一"), "{t}");
    let o = sscard(
        &path,
        &[
            "diagnose", "--keys", &keys, "--today", "20260101", "--rounds", "2",
        ],
    );
    let t = out(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("VERDICT: OK\n"), "{t}");
    assert!(t.contains("1 external authentication(s)"), "{t}");
}
