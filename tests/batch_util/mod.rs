//! Shared setup for the batch tests: feeders of initialised virtual cards (card id written by
//! the manufacturer's step) and records of synthetic holders (check characters computed).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn profile() -> String {
    root()
        .join("card-profiles/ssc-3.00.toml")
        .display()
        .to_string()
}

pub fn keys() -> String {
    root()
        .join("card-profiles/test-keys.toml")
        .display()
        .to_string()
}

pub fn sscard() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    for v in [
        "SSCARD_JOURNAL",
        "SSCARD_STATION",
        "SSCARD_OPERATOR",
        "SSCARD_READER",
    ] {
        c.env_remove(v);
    }
    c
}

pub fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A synthetic citizen number: region 110101, the birth date, a sequence, the check character.
pub fn ssn(birth: &str, seq: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s17 = format!("110101{birth}{seq:03}");
    let sum: u32 = s17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{s17}{check}")
}

/// A card number with its check character.
pub fn card_number(first8: &str) -> String {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first8
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(36).unwrap() * w)
        .sum();
    let r = 11 - sum % 11;
    let check = match r {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap(),
    };
    format!("{first8}{check}")
}

/// The card id of card `i` of feeder `feeder`.
pub fn card_id(feeder: usize, i: usize) -> String {
    format!("110100D15600000500A1B2C3D4{feeder:02X}{i:04X}")
}

/// Makes `n` initialised cards (card id written) in `dir`.
pub fn feeder(dir: &Path, feeder_no: usize, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let img = dir.join(format!("card{i:03}.json"));
        let id = card_id(feeder_no, i);
        let o = sscard()
            .args([
                "-r",
                &format!("sim:{}", img.display()),
                "init",
                "--profile",
                &profile(),
            ])
            .args(["--keys", &keys(), "--card-id", &id, "--write-card-id"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", describe(&o));
    }
}

/// Sets fault options (`--fault-...`) on a card image.
pub fn fault(image: &Path, args: &[&str]) {
    let o = sscard()
        .args(["sim", "--image", &image.display().to_string()])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
}

/// `n` synthetic holders as CSV (no card id: it comes from the card); `first` numbers them.
pub fn records(path: &Path, first: u32, n: u32) {
    let mut text = String::from(
        "ssn,name,sex,ethnicity,birth_place,birth_date,init_org,card_number,issue_date\n",
    );
    for k in first..first + n {
        let birth = format!("1990{:02}{:02}", 1 + k / 28 % 12, 1 + k % 28);
        let seq = 2 * (k % 400) + 1; // odd: male
        text.push_str(&format!(
            "{},测试{k},1,01,110101,{birth},110100000000000000000001,{},20261120\n",
            ssn(&birth, seq),
            card_number(&format!("B{k:07}"))
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// `sscard batch` on the ssc-3.00 profile with the test keys.
pub fn batch(records: &Path, readers: &str, journal: &str, extra: &[&str]) -> Command {
    batch_as("S1", records, readers, journal, extra)
}

/// `sscard batch` as station `station`.
pub fn batch_as(
    station: &str,
    records: &Path,
    readers: &str,
    journal: &str,
    extra: &[&str],
) -> Command {
    let mut c = sscard();
    c.args(["batch", "--profile", &profile(), "--keys", &keys()])
        .args([
            "--records",
            &records.display().to_string(),
            "--readers",
            readers,
        ])
        .args([
            "--journal",
            journal,
            "--station",
            station,
            "--operator",
            "op1",
        ])
        .args(extra);
    c
}

/// Every issued attempt in the journal, as (record key, card id), via `journal export`.
pub fn issued(journal: &str) -> Vec<(String, String, String)> {
    let o = sscard()
        .args(["journal", "export", "--journal", journal])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let header = rdr.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (card, number, result) = (col("card_id"), col("card_number"), col("result"));
    rdr.records()
        .map(|r| r.unwrap())
        .filter(|f| matches!(&f[result], "issued" | "resumed" | "already-done"))
        .map(|f| {
            (
                f[number].to_string(),
                f[card].to_string(),
                f[result].to_string(),
            )
        })
        .collect()
}

/// A fresh database in the private PostgreSQL test cluster (`SSCARD_TEST_PG`, started by
/// `scripts/pg-cluster.sh`); fails naming what is missing.
pub fn fresh_pg_db(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::var("SSCARD_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "prerequisite missing: SSCARD_TEST_PG (a PostgreSQL URL). Start a private cluster with \
             `eval \"$(scripts/pg-cluster.sh start)\"` (needs apt-get install -y postgresql), or run scripts/test.sh"
        )
    });
    let name = format!(
        "sscard_{prefix}{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut c = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test cluster at {base}: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}
