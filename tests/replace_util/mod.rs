//! Shared setup for the replacement tests: an old card personalized for a synthetic holder, a
//! new card initialised with its own card id, `sscard replace` with the test keys, and the
//! journal's replacement rows.
#![allow(dead_code)]

#[path = "../batch_util/mod.rs"]
mod batch_util;
#[allow(unused_imports)]
pub use batch_util::{card_number, describe, fresh_pg_db, keys, profile, sscard, ssn};

use sscard::journal::{CardEntry, Journal, ReplacementRow, Station};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The old card's id, the new card's id (region 110100), and the new card's number.
pub const OLD_ID: &str = "110100D15600000500A1B2C3D4E50001";
pub const NEW_ID: &str = "110100D15600000500A1B2C3D4E50002";

/// The synthetic holder's citizen number (born 1985-06-15, male).
pub fn holder_ssn() -> String {
    ssn("19850615", 11)
}

/// The holder's record as perso takes it (old card: its id and number, issued in 2020).
pub fn holder_json(name: &str, card_id: &str, number: &str) -> String {
    format!(
        r#"{{"ssn": "{}", "name": "{name}", "sex": "1", "ethnicity": "01", "birth_place": "110101",
  "birth_date": "19850615", "card_id": "{card_id}", "init_org": "110100000000000000000001",
  "card_number": "{number}", "issue_date": "20200301"}}"#,
        holder_ssn()
    )
}

/// The holder's name.
pub const NAME: &str = "替换测试";

/// The scene of one replacement: folder, cards, journal.
pub struct Scene {
    pub dir: tempfile::TempDir,
}

impl Scene {
    /// An old card personalized and enabled for the holder, a new card initialised with
    /// NEW_ID written by the manufacturer.
    pub fn new() -> Scene {
        let s = Scene {
            dir: tempfile::tempdir().unwrap(),
        };
        s.init(&s.old(), OLD_ID, false);
        let rec = s.path("old-record.json");
        std::fs::write(&rec, holder_json(NAME, OLD_ID, &card_number("B0000001"))).unwrap();
        let o = sscard()
            .args(["-r", &s.sim(&s.old()), "perso", "--profile", &profile()])
            .args(["--keys", &keys(), "--record", &rec.display().to_string()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", describe(&o));
        s.init(&s.new_card(), NEW_ID, true);
        s
    }

    fn init(&self, img: &Path, id: &str, write: bool) {
        let mut c = sscard();
        c.args(["-r", &self.sim(img), "init", "--profile", &profile()])
            .args(["--keys", &keys(), "--card-id", id]);
        if write {
            c.arg("--write-card-id");
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", describe(&o));
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn old(&self) -> PathBuf {
        self.path("old.json")
    }
    pub fn new_card(&self) -> PathBuf {
        self.path("new.json")
    }
    pub fn journal(&self) -> String {
        self.path("station.db").display().to_string()
    }
    pub fn sim(&self, p: &Path) -> String {
        format!("sim:{}", p.display())
    }

    /// Sets fault options on a card image.
    pub fn fault(&self, img: &Path, args: &[&str]) {
        let o = sscard()
            .args(["sim", "--image", &img.display().to_string()])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", describe(&o));
    }

    /// `sscard replace` with the old and new virtual cards, the journal, station S1, op1.
    pub fn replace(&self, extra: &[&str]) -> Command {
        self.replace_on("20261129", extra)
    }

    /// `sscard replace` as if today were `today` (YYYYMMDD).
    pub fn replace_on(&self, today: &str, extra: &[&str]) -> Command {
        let mut c = sscard();
        c.args(["replace", "--profile", &profile(), "--keys", &keys()])
            .args([
                "--old",
                &self.sim(&self.old()),
                "--new",
                &self.sim(&self.new_card()),
            ])
            .args([
                "--journal",
                &self.journal(),
                "--station",
                "S1",
                "--operator",
                "op1",
            ])
            .args(["--today", today])
            .args(extra);
        c
    }

    /// A record file with the holder's data and the new card's number (no card id: the new
    /// card's own).
    pub fn record(&self, name: &str, ssn: &str) -> String {
        let p = self.path(&format!("record-{name}.json"));
        std::fs::write(
            &p,
            format!(
                r#"{{"ssn": "{ssn}", "name": "{name}", "sex": "1", "ethnicity": "01", "birth_place": "110101",
  "birth_date": "19850615", "init_org": "110100000000000000000001", "card_number": "{}"}}"#,
                card_number("B0000002")
            ),
        )
        .unwrap();
        p.display().to_string()
    }

    /// `sscard read --json` of a card (with the keys): the document.
    pub fn read(&self, img: &Path) -> serde_json::Value {
        let o = sscard()
            .args([
                "-r",
                &self.sim(img),
                "read",
                "--profile",
                &profile(),
                "--json",
            ])
            .args(["--keys", &keys()])
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&o)))
    }

    /// The journal's replacement rows and the state of a card.
    pub fn rows(&self) -> Vec<ReplacementRow> {
        journal_rows(&self.journal())
    }
    pub fn card(&self, id: &str) -> Option<CardEntry> {
        journal_card(&self.journal(), id)
    }
    pub fn hash(&self, ssn: &str) -> String {
        Journal::open(&self.journal(), Station::new("t", "t"))
            .unwrap()
            .holder_hash(ssn)
    }
}

pub fn journal_rows(url: &str) -> Vec<ReplacementRow> {
    Journal::open(url, Station::new("t", "t"))
        .unwrap()
        .replacements()
        .unwrap()
}

pub fn journal_card(url: &str, id: &str) -> Option<CardEntry> {
    Journal::open(url, Station::new("t", "t"))
        .unwrap()
        .card(id)
        .unwrap()
}

/// Runs and returns the output.
pub fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

/// The stdout and stderr of a run, joined.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
