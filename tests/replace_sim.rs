//! `sscard replace` end to end on virtual cards (`--old sim:old.json --new sim:new.json`): a
//! damaged but readable card (data carried over, old card disabled), an aged card (memory fault:
//! data from --record), a record that differs from the old card, a lost card, an agent, an
//! expired but healthy card, a dead chip; the journal rows; the receipt and --json.

mod replace_util;
use replace_util::*;
use sscard::journal::CardState;

fn field(doc: &serde_json::Value, name: &str) -> String {
    doc["fields"][name].as_str().unwrap_or("").to_string()
}

#[test]
fn a_damaged_readable_card_is_carried_over_and_disabled() {
    let s = Scene::new();
    let receipt = s.path("receipt.txt");
    let o = run(s.replace(&[
        "--reason",
        "damaged",
        "--card-number",
        &card_number("B0000002"),
        "--receipt",
        &receipt.display().to_string(),
    ]));
    let out = text(&o);
    assert!(o.status.success(), "{}", describe(&o));
    // Every step shown, in order.
    let mut at = 0;
    for step in [
        "[1/5] old-card",
        "[2/5] holder-data",
        "[3/5] new-card",
        "[4/5] disable-old",
        "[5/5] record",
    ] {
        let i = out[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} missing:\n{out}"));
        at += i;
    }
    assert!(out.contains("from the old card"), "{out}");
    assert!(
        !out.contains(&holder_ssn()),
        "the full citizen number is never shown:\n{out}"
    );
    // The new card holds the holder with its own id and number, enabled.
    let new = s.read(&s.new_card());
    assert_eq!(new["enabled"], true, "{new}");
    assert_eq!(field(&new, "ssn"), holder_ssn());
    assert_eq!(field(&new, "name"), NAME);
    assert_eq!(field(&new, "card_id"), NEW_ID);
    assert_eq!(field(&new, "card_number"), card_number("B0000002"));
    assert_eq!(field(&new, "issue_date"), "20261129");
    assert_eq!(field(&new, "expiry_date"), "20361129");
    // The old card is disabled.
    let old = s.read(&s.old());
    assert_eq!(old["enabled"], false, "{old}");
    assert!(old["state"].as_str().unwrap().contains("disabled"), "{old}");
    // The journal: one row, the old card replaced, the new one issued.
    let rows = s.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (r.old_card_id.as_str(), r.new_card_id.as_str()),
        (OLD_ID, NEW_ID)
    );
    assert_eq!(
        (
            r.reason.as_str(),
            r.applicant.as_str(),
            r.old_card_outcome.as_str()
        ),
        ("damaged", "holder", "disabled")
    );
    assert_eq!((r.station.as_str(), r.operator.as_str()), ("S1", "op1"));
    assert_eq!(r.holder_hash, s.hash(&holder_ssn()));
    assert_eq!(r.agent_hash, "");
    assert_eq!(s.card(OLD_ID).unwrap().state, CardState::Replaced);
    let new_entry = s.card(NEW_ID).unwrap();
    assert_eq!(new_entry.state, CardState::Issued);
    assert_eq!(new_entry.card_number, card_number("B0000002"));
    // The receipt: name, new card number, date, station; no full citizen number, no PIN.
    let rc = std::fs::read_to_string(&receipt).unwrap();
    for want in [
        NAME,
        &card_number("B0000002"),
        "2026-11-29",
        "S1",
        "110101********",
    ] {
        assert!(rc.contains(want), "{want} missing from the receipt:\n{rc}");
    }
    assert!(!rc.contains(&holder_ssn()), "{rc}");
    assert!(!rc.contains("123456"), "no PIN on the receipt:\n{rc}");
    assert!(rc.lines().count() < 60, "one page");
    // The same command again: nothing more happens, the same end.
    let again = run(s.replace(&[
        "--reason",
        "damaged",
        "--card-number",
        &card_number("B0000002"),
    ]));
    assert!(again.status.success(), "{}", describe(&again));
    let t = text(&again);
    assert!(t.contains("already disabled"), "{t}");
    assert!(t.contains("recorded by an earlier run"), "{t}");
    assert_eq!(s.rows().len(), 1);
    assert_eq!(s.rows()[0].old_card_outcome, "disabled");
}

#[test]
fn an_aged_card_with_unreadable_holder_data_takes_the_record() {
    let s = Scene::new();
    s.fault(&s.old(), &["--fault-memory", "DDF1/EF06"]);
    // Without a record: stop, asking for it (exit 4), nothing written.
    let o = run(s.replace(&["--reason", "aged"]));
    assert_eq!(o.status.code(), Some(4), "{}", describe(&o));
    assert!(text(&o).contains("--record"), "{}", describe(&o));
    assert_eq!(
        s.read(&s.new_card())["fields"]["ssn"],
        serde_json::Value::Null
    );
    assert!(s.rows().is_empty());
    // With the record from the holder's ID card.
    let rec = s.record(NAME, &holder_ssn());
    let o = run(s.replace(&["--reason", "aged", "--record", &rec]));
    assert!(o.status.success(), "{}", describe(&o));
    assert!(text(&o).contains("from the record"), "{}", describe(&o));
    let new = s.read(&s.new_card());
    assert_eq!(field(&new, "ssn"), holder_ssn());
    assert_eq!(field(&new, "name"), NAME);
    assert_eq!(
        field(&new, "card_id"),
        NEW_ID,
        "the new card keeps its own id"
    );
    let rows = s.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].old_card_id, OLD_ID,
        "EF05 still gives the old card's id"
    );
    assert_eq!(rows[0].old_card_outcome, "disabled");
    assert_eq!(rows[0].reason, "aged");
}

#[test]
fn a_record_that_differs_from_the_old_card_stops_field_by_field() {
    let s = Scene::new();
    let other = ssn("19850615", 13);
    let rec = s.record("替换测二", &other);
    let o = run(s.replace(&["--reason", "damaged", "--record", &rec]));
    assert_eq!(o.status.code(), Some(4), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("differ in 2 field(s)"), "{err}");
    assert!(
        err.contains(&format!(
            "姓名 (name): old card '{NAME}', record '替换测二'"
        )),
        "{err}"
    );
    assert!(
        err.contains("社会保障号码 (ssn): old card '110101********"),
        "{err}"
    );
    assert!(
        !err.contains(&holder_ssn()) && !err.contains(&other),
        "masked:\n{err}"
    );
    // Nothing was written anywhere.
    assert_eq!(
        s.read(&s.new_card())["fields"]["ssn"],
        serde_json::Value::Null
    );
    assert_eq!(s.read(&s.old())["enabled"], true);
    assert!(s.rows().is_empty());
    // --json says the same, as data.
    let o = run(s.replace(&["--reason", "damaged", "--record", &rec, "--json"]));
    assert_eq!(o.status.code(), Some(4));
    let last = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let doc: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(doc["result"], "stopped");
    assert_eq!(doc["differences"].as_array().unwrap().len(), 2, "{doc}");
    assert!(!last.contains(&holder_ssn()));
}

#[test]
fn a_lost_card_has_no_old_card_steps_and_the_register_marks_it_lost() {
    let s = Scene::new();
    let rec = s.record(NAME, &holder_ssn());
    let mut c = sscard();
    c.args(["replace", "--profile", &profile(), "--keys", &keys()])
        .args([
            "--new",
            &s.sim(&s.new_card()),
            "--reason",
            "lost",
            "--record",
            &rec,
        ])
        .args([
            "--old-card-id",
            OLD_ID,
            "--journal",
            &s.journal(),
            "--today",
            "20261129",
        ]);
    let o = run(c);
    assert!(o.status.success(), "{}", describe(&o));
    let out = text(&o);
    assert!(
        out.contains("[1/5] old-card     skipped: the card is lost"),
        "{out}"
    );
    assert!(out.contains("[4/5] disable-old  skipped: lost"), "{out}");
    let rows = s.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].old_card_outcome, "lost");
    assert_eq!(rows[0].old_card_id, OLD_ID);
    assert_eq!(s.card(OLD_ID).unwrap().state, CardState::Lost);
    assert_eq!(s.card(NEW_ID).unwrap().state, CardState::Issued);
    // The old card untouched (still enabled: it was not here); found later, `disable` records it.
    assert_eq!(s.read(&s.old())["enabled"], true);
    let o = run({
        let mut c = sscard();
        c.args([
            "-r",
            &s.sim(&s.old()),
            "disable",
            "--profile",
            &profile(),
            "--keys",
            &keys(),
        ])
        .args(["--card-id", OLD_ID, "--journal", &s.journal()]);
        c
    });
    assert!(o.status.success(), "{}", describe(&o));
    let e = s.card(OLD_ID).unwrap();
    assert_eq!(e.state, CardState::Disabled);
    assert!(e.note.contains("reported lost"), "{e:?}");
}

#[test]
fn an_agent_is_validated_and_stored_only_as_a_hash() {
    let s = Scene::new();
    let agent = ssn("19700101", 21);
    // A wrong check character is refused before any card is touched.
    let mut bad = agent.clone();
    let last = if bad.ends_with('1') { '2' } else { '1' };
    bad.pop();
    bad.push(last);
    let o = run(s.replace(&[
        "--reason",
        "damaged",
        "--applicant",
        "agent",
        "--agent-id",
        &bad,
    ]));
    assert!(!o.status.success());
    assert!(text(&o).contains("--agent-id"), "{}", describe(&o));
    assert!(s.rows().is_empty());
    // Without --agent-id: refused.
    let o = run(s.replace(&["--reason", "damaged", "--applicant", "agent"]));
    assert!(!o.status.success());
    assert!(text(&o).contains("--agent-id"), "{}", describe(&o));
    // A valid agent.
    let o = run(s.replace(&[
        "--reason",
        "damaged",
        "--applicant",
        "agent",
        "--agent-id",
        &agent,
        "--card-number",
        &card_number("B0000002"),
        "--json",
    ]));
    assert!(o.status.success(), "{}", describe(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        !stdout.contains(&agent) && !stdout.contains(&holder_ssn()),
        "{stdout}"
    );
    let doc: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(doc["applicant"]["kind"], "agent");
    assert_eq!(
        doc["applicant"]["agent_ssn_masked"],
        format!("{}********{}", &agent[..6], &agent[14..])
    );
    let r = &s.rows()[0];
    assert_eq!(r.applicant, "agent");
    assert_eq!(r.agent_hash, s.hash(&agent));
    assert_ne!(r.agent_hash, r.holder_hash);
    let db = std::fs::read(s.journal()).unwrap();
    let has = |needle: &str| db.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        !has(&agent),
        "the agent's number is not in the journal in clear"
    );
}

#[test]
fn an_expired_healthy_card_is_usable_and_needs_reason_expired() {
    let s = Scene::new();
    // Ten years on: the card expired in 2030 and is healthy.
    let o = run(s.replace_on("20310101", &["--reason", "damaged"]));
    assert_eq!(o.status.code(), Some(4), "{}", describe(&o));
    let t = text(&o);
    assert!(t.contains("the old card is usable"), "{t}");
    assert!(t.contains("--reason expired"), "{t}");
    assert!(s.rows().is_empty());
    assert_eq!(
        s.read(&s.old())["enabled"],
        true,
        "never refused, never touched"
    );
    let o = run(s.replace_on(
        "20310101",
        &[
            "--reason",
            "expired",
            "--card-number",
            &card_number("B0000002"),
        ],
    ));
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(s.rows()[0].reason, "expired");
    assert_eq!(s.rows()[0].old_card_outcome, "disabled");
}

#[test]
fn a_dead_chip_is_recorded_as_not_disabled() {
    let s = Scene::new();
    s.fault(&s.old(), &["--fault-dead"]);
    let rec = s.record(NAME, &holder_ssn());
    let o = run(s.replace(&[
        "--reason",
        "damaged",
        "--record",
        &rec,
        "--old-card-id",
        OLD_ID,
    ]));
    assert!(o.status.success(), "{}", describe(&o));
    assert!(text(&o).contains("NO RESPONSE"), "{}", describe(&o));
    let r = &s.rows()[0];
    assert_eq!(r.old_card_outcome, "not-disabled: the chip does not answer");
    assert_eq!(r.old_card_id, OLD_ID);
    assert_eq!(s.card(OLD_ID).unwrap().state, CardState::Replaced);
}

#[test]
fn a_new_card_of_a_product_not_on_record_is_refused_unless_allowed() {
    let s = Scene::new();
    // The new card answers with an ATR of no product on record (a made-up T=0 card).
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.new_card()).unwrap()).unwrap();
    v["atr"] = serde_json::Value::String("3B021450".into());
    std::fs::write(s.new_card(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let region = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("card-profiles/regions/example.toml")
        .display()
        .to_string();
    let number = card_number("B0000002");
    let base = [
        "--reason",
        "damaged",
        "--card-number",
        &number,
        "--region",
        &region,
    ];
    let o = run(s.replace(&base));
    assert!(!o.status.success(), "{}", describe(&o));
    assert!(
        text(&o).contains("--allow-unlisted-product"),
        "{}",
        describe(&o)
    );
    assert!(s.rows().is_empty());
    assert_eq!(
        s.read(&s.old())["enabled"],
        true,
        "the old card is left as it was"
    );
    let mut allowed = base.to_vec();
    allowed.push("--allow-unlisted-product");
    let o = run(s.replace(&allowed));
    assert!(o.status.success(), "{}", describe(&o));
    assert!(text(&o).contains("NOT ON RECORD"), "{}", describe(&o));
    assert_eq!(s.rows().len(), 1);
}
