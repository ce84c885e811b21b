//! Hostile input files: devices, FIFOs, directories and oversized files are refused quickly
//! with a clear message (nothing grows to gigabytes, nothing hangs); card images out of range
//! are refused at load; a read-only image is never replaced; a symbolic link is written
//! through; read-only use needs no write; nothing is left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn profile() -> String {
    root()
        .join("card-profiles/ssc-3.00.toml")
        .display()
        .to_string()
}

fn keys() -> String {
    root()
        .join("card-profiles/test-keys.toml")
        .display()
        .to_string()
}

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn sscard_in(tmp: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .env("TMPDIR", tmp)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn refused(o: &Output, what: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains(what), "expected '{what}': {t}");
    assert!(!t.contains("panicked"), "{t}");
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(ok.success(), "mkfifo (coreutils) is needed");
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn devices_fifos_directories_and_huge_files_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let image = d.join("card.json");
    let reader = format!("sim:{}", image.display());
    let (p, k) = (profile(), keys());
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let fifo_s = fifo.to_str().unwrap();
    let dir_s = d.to_str().unwrap();

    // Holder records.
    for (rec, what) in [
        ("/dev/zero", "character device"),
        (fifo_s, "FIFO"),
        (dir_s, "a directory"),
    ] {
        let out = sscard_in(
            t,
            &[
                "--reader",
                &reader,
                "perso",
                "--profile",
                &p,
                "--keys",
                &k,
                "--record",
                rec,
            ],
        );
        refused(&out, what);
    }
    let huge = d.join("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    let out = sscard_in(
        t,
        &[
            "--reader",
            &reader,
            "perso",
            "--profile",
            &p,
            "--keys",
            &k,
            "--record",
            huge.to_str().unwrap(),
        ],
    );
    refused(&out, "larger than the 64 MiB");
    // Profiles, keys, scripts and their includes.
    refused(
        &sscard_in(t, &["profile", "check", "/dev/zero"]),
        "character device",
    );
    refused(&sscard_in(t, &["profile", "check", fifo_s]), "FIFO");
    let out = sscard_in(
        t,
        &[
            "--reader",
            &reader,
            "init",
            "--profile",
            &p,
            "--keys",
            "/dev/zero",
            "--card-id",
            CARD_ID,
        ],
    );
    refused(&out, "character device");
    let big = d.join("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    refused(
        &sscard_in(t, &["profile", "check", big.to_str().unwrap()]),
        "larger than the 1 MiB",
    );
    let script = d.join("s.apdu");
    std::fs::write(&script, "include /dev/zero\n00A4000C023F00\n").unwrap();
    let out = sscard_in(t, &["--reader", &reader, "run", script.to_str().unwrap()]);
    refused(&out, "character device");
    // A card image that is a device, a FIFO or a directory; no lock file is made beside it.
    for (img, what) in [
        ("/dev/zero", "character device"),
        (fifo_s, "FIFO"),
        (dir_s, "a directory"),
    ] {
        let out = sscard_in(t, &["--reader", &format!("sim:{img}"), "atr"]);
        refused(&out, what);
    }
    assert!(!Path::new("/dev/.zero.lock").exists());
    assert_eq!(files_in(t), Vec::<String>::new(), "nothing left in TMPDIR");
}

fn init(t: &Path, image: &Path) -> Output {
    sscard_in(
        t,
        &[
            "--reader",
            &format!("sim:{}", image.display()),
            "init",
            "--profile",
            &profile(),
            "--keys",
            &keys(),
            "--card-id",
            CARD_ID,
        ],
    )
}

#[test]
fn images_out_of_range_read_only_symlinked_and_leftovers() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let image = d.join("card.json");
    assert!(init(t, &image).status.success());
    let reader = format!("sim:{}", image.display());
    let good = std::fs::read_to_string(&image).unwrap();

    // Out-of-range values are refused at load, the file untouched.
    let bad = d.join("slow.json");
    let slow = good.replacen('{', "{\n  \"faults\": { \"delay_ms\": 1000000000000 },", 1);
    std::fs::write(&bad, &slow).unwrap();
    let out = sscard_in(t, &["--reader", &format!("sim:{}", bad.display()), "atr"]);
    refused(&out, "faults.delay_ms must be 0 to 60000");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), slow);

    // A read-only image is refused when the card changes, never replaced.
    let ro = d.join("ro.json");
    std::fs::copy(&image, &ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let p = profile();
    let out = sscard_in(
        t,
        &[
            "--reader",
            &format!("sim:{}", ro.display()),
            "send",
            // A wrong PIN: the counter goes down, the card changes.
            "00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF",
            "0020000003999999",
        ],
    );
    let tx = text(&out);
    assert!(tx.contains("read-only"), "{tx}");
    assert_eq!(
        std::fs::read_to_string(&ro).unwrap(),
        good,
        "left untouched"
    );
    let mode = std::fs::metadata(&ro).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444, "still read-only");

    // A symbolic link is written through to its target and stays a link.
    let target_dir = d.join("store");
    std::fs::create_dir(&target_dir).unwrap();
    let target = target_dir.join("real.json");
    let link = d.join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = init(t, &link);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&target).unwrap().contains("DDF1"));
    assert_eq!(files_in(&target_dir), vec!["real.json".to_string()]);

    // Read-only use writes nothing: read and diagnose in a read-only folder.
    let rodir = d.join("rodir");
    std::fs::create_dir(&rodir).unwrap();
    let rimg = rodir.join("card.json");
    std::fs::copy(&image, &rimg).unwrap();
    std::fs::set_permissions(&rodir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let rr = format!("sim:{}", rimg.display());
    let out = sscard_in(
        t,
        &[
            "--reader",
            &rr,
            "diagnose",
            "--profile",
            &p,
            "--resets",
            "1",
        ],
    );
    assert!(!text(&out).contains("cannot"), "{}", text(&out));
    assert_eq!(out.status.code(), Some(11), "NOT ENABLED: {}", text(&out));
    let k = keys();
    let out = sscard_in(
        t,
        &[
            "--reader",
            &rr,
            "read",
            "--profile",
            &p,
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(files_in(&rodir), vec!["card.json".to_string()]);
    std::fs::set_permissions(&rodir, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Stale temporary files of dead processes are removed; a living one's are kept.
    let dead = (4_000_000u32..)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap();
    let stale = d.join(format!(".card.json.tmp-{dead}"));
    let live = d.join(".card.json.tmp-1");
    std::fs::write(&stale, "{").unwrap();
    std::fs::write(&live, "{").unwrap();
    let out = sscard_in(t, &["--reader", &reader, "atr"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!stale.exists(), "stale temp removed");
    assert!(live.exists(), "a living process's temp kept");

    // The demo and every command leave nothing in the temporary directory.
    let out = sscard_in(t, &["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(files_in(t), Vec::<String>::new(), "nothing left in TMPDIR");
    assert!(!d.join(".card.json.lock").exists());
}
