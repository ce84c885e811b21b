//! End to end through a real private pcscd, the vpcd driver and Debian's vicc `iso7816` card:
//! code nobody here wrote proves our PC/SC path. Run with `--features pcscd-tests`.
//! vicc answers about 21 APDU/s, so these tests stay few and short.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, start_vicc, stderr, stdout};
use std::process::Stdio;

const VICC_ATR: &str = "3B 95 13 81 01 80 73 FF 01 00 0B";

#[test]
fn readers_lists_the_vicc_card_and_wrong_names_list_readers() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    let out = pcscd.run(&["readers"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("0: Virtual PCD 00 00  card, ATR {VICC_ATR}")),
        "{}",
        describe(&out)
    );
    assert!(text.contains("1: Virtual PCD 00 01  no card"), "{text}");

    // `sscard atr` reads the same ATR through PC/SC and explains it.
    let out = pcscd.run(&["atr"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains(VICC_ATR), "{text}");
    assert!(text.contains("Virtual PCD 00 00"), "{text}");
    assert!(text.contains("T=1"), "{text}");

    let out = pcscd.run(&["readers", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("readers --json");
    assert_eq!(v[0]["name"], "Virtual PCD 00 00", "{v}");
    assert_eq!(v[0]["card_present"], true, "{v}");
    assert_eq!(v[0]["atr"], "3B951381018073FF01000B", "{v}");
    assert_eq!(v[1]["card_present"], false, "{v}");

    // Protocol choice: vicc offers T=1 only.
    let out = pcscd.run(&["--protocol", "T1", "send", "00A4000C023F00"]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = pcscd.run(&["--protocol", "T0", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("does not speak T0"),
        "{}",
        describe(&out)
    );

    // An unknown reader name: exit 1 and a one-line error listing the readers.
    let out = pcscd.run(&["--reader", "Gemalto", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stderr(&out);
    assert!(err.contains("no reader matches 'Gemalto'"), "{err}");
    assert!(err.contains("0: \"Virtual PCD 00 00\" (card)"), "{err}");
    assert!(err.contains("1: \"Virtual PCD 00 01\" (empty)"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // An ambiguous part of a name.
    let out = pcscd.run(&["--reader", "virtual pcd", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("matches several readers"),
        "{}",
        describe(&out)
    );

    // The empty slot: no card.
    let out = pcscd.run(&["--reader", "1", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("no card in reader 'Virtual PCD 00 01'"),
        "{}",
        describe(&out)
    );

    // While one sscard holds the card exclusively, another gets a sharing violation.
    let log = pcscd.dir().join("exclusive.out");
    let file = std::fs::File::create(&log).expect("log file");
    let mut apdus = vec!["send", "--exclusive"];
    apdus.extend(std::iter::repeat_n("00A4000C023F00", 400)); // ~20 s at vicc's pace
    let mut holder = pcscd
        .sscard()
        .args(&apdus)
        .stdout(file)
        .spawn()
        .expect("run sscard send --exclusive");
    let connected = std::time::Instant::now();
    while std::fs::read_to_string(&log).unwrap_or_default().is_empty() {
        assert!(
            connected.elapsed().as_secs() < 15,
            "the exclusive sscard never started sending"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = pcscd.run(&["send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains(
            "another program is using the card in 'Virtual PCD 00 00' (sharing violation)"
        ),
        "{}",
        describe(&out)
    );
    // Still holding it (it would have 400 lines when done): stop it.
    assert!(holder.try_wait().expect("try_wait").is_none());
    let _ = holder.kill();
    let _ = holder.wait();
}

#[test]
fn send_select_create_read_and_traced_verify() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    // Hex tolerant of colons and lower case; reader chosen by a unique part of its name.
    let out = pcscd.run(&["--reader", "00 00", "send", "00a4000c:02:3f00"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        stdout(&out),
        "> 00 A4 00 0C 02 3F 00\n< 9000 (success)\n",
        "{}",
        describe(&out)
    );

    // CREATE FILE (transparent EF 0001, 16 bytes), SELECT and READ BINARY, in one
    // transaction after a warm reset.
    let out = pcscd.run(&[
        "send",
        "--reset",
        "warm",
        "--transaction",
        "--expect-ok",
        "00A4000C023F00",
        "00E000000D 62 0B 80 02 00 10 82 01 01 83 02 00 01",
        "00A4000C020001",
        "00B0000004",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("= Warm reset, ATR {VICC_ATR}\n")),
        "{text}"
    );
    assert!(
        text.ends_with("> 00 B0 00 00 04\n< 00 00 00 00 : 9000 (success)\n"),
        "{text}"
    );
    // A fresh connection (the previous one reset the card on disconnect): the file persists
    // on vicc until it stops. UPDATE BINARY (vicc needs its trailing Le), READ BINARY, VERIFY.
    let out = pcscd.run(&[
        "--trace",
        "send",
        "00A4000C020001",
        "00D6000004 CAFE0102 00",
        "00B0000004",
        "0020000004 31323334",
        "0020000004 39383736",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains("> 00 B0 00 00 04\n< CA FE 01 02 : 9000 (success)\n"),
        "{text}"
    );
    assert!(
        text.contains("> 00 20 00 00 04 ******\n< 9000 (success)\n"),
        "{text}"
    );
    assert!(
        text.contains("> 00 20 00 00 04 ******\n< 6300 (verification failed)\n"),
        "{text}"
    );
    let trace = stderr(&out);
    assert!(
        trace.contains(&format!("= Virtual PCD 00 00 ATR {VICC_ATR}")),
        "{trace}"
    );
    assert!(trace.contains("> 00 20 00 00 04 ******"), "{trace}");
    assert!(trace.contains("< 6300 (verification failed) ["), "{trace}");
    assert!(trace.contains(" ms]"), "{trace}");
    assert!(
        trace.contains("< CA FE 01 02 : 9000 (success) ["),
        "{trace}"
    );
    // No PIN digit anywhere, in any encoding.
    for secret in [
        "31 32 33 34",
        "31323334",
        "1234",
        "39 38 37 36",
        "39383736",
        "9876",
    ] {
        assert!(!text.contains(secret), "stdout shows {secret}: {text}");
        assert!(!trace.contains(secret), "trace shows {secret}: {trace}");
    }

    // --expect-ok stops at the first status word other than 9000.
    let out = pcscd.run(&["send", "--expect-ok", "00A4000C02BEEF", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("APDU 1 of 2 ended with 6A82 (file or application not found)"),
        "{}",
        describe(&out)
    );
    assert!(!stdout(&out).contains("3F 00"), "{}", describe(&out));
}

#[test]
fn wait_for_insertion_and_removal_and_a_dying_card() {
    let pcscd = PrivatePcscd::start();
    // Nothing in slot 1: a short wait times out with exit 1.
    let out = pcscd.run(&["--reader", "1", "wait", "--timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    // The time shown is the time measured (0.3 s or a little more on a loaded machine).
    let err = stderr(&out);
    let secs = err
        .split("timed out after ")
        .nth(1)
        .and_then(|r| {
            r.split(" s waiting for a card in 'Virtual PCD 00 01'")
                .next()
        })
        .and_then(|n| n.parse::<f64>().ok());
    assert!(secs.is_some_and(|s| s >= 0.3), "{}", describe(&out));
    // No card anywhere and no reader chosen.
    let out = pcscd.run(&["send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("no card in any reader"),
        "{}",
        describe(&out)
    );

    // Waiting for insertion returns when vicc connects.
    let waiter = match pcscd
        .sscard()
        .args(["--reader", "0", "wait", "--timeout", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run sscard wait: {e}"),
    };
    let mut vicc = start_vicc(pcscd.port());
    let out = waiter.wait_with_output().expect("sscard wait output");
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains(&format!(
            "card present in 0: \"Virtual PCD 00 00\" (ATR {VICC_ATR})"
        )),
        "{}",
        describe(&out)
    );

    // vicc crashes on SELECT with FCI (P2=00): pcscd then hands us 0 bytes.
    let out = pcscd.run(&["send", "00A40000023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("APDU 1 of 1 on 'Virtual PCD 00 00': the card answered 0 byte(s); a response needs at least the 2 status bytes"),
        "{}",
        describe(&out)
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // The card is gone now: waiting for removal returns at once.
    vicc.kill();
    let out = pcscd.run(&[
        "--reader",
        "Virtual PCD 00 00",
        "wait",
        "--removal",
        "--timeout",
        "10",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains("no card in 0: \"Virtual PCD 00 00\""),
        "{}",
        describe(&out)
    );
}

#[test]
fn harness_gives_each_pcscd_its_own_ports_and_socket_and_stops_it() {
    let a = PrivatePcscd::start();
    let b = PrivatePcscd::start();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.socket(), b.socket());
    for p in [&a, &b] {
        let out = p.run(&["readers"]);
        assert!(out.status.success(), "{}", describe(&out));
        assert_eq!(
            stdout(&out),
            "0: Virtual PCD 00 00  no card\n1: Virtual PCD 00 01  no card\n"
        );
    }
    // A card on a's port shows in a only.
    let vicc = start_vicc(a.port());
    a.wait_card();
    assert!(stdout(&b.run(&["readers"])).contains("00 00  no card"));
    let pid = a.pid();
    let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid));
    drop(vicc);
    drop(a);
    // Reaped by Drop: no zombie, no process.
    assert!(!alive(pid), "pcscd {pid} still runs after Drop");
}
