//! `sscard replace` on a city register in a real PostgreSQL (`--features pg-tests`, with
//! `SSCARD_TEST_PG` from `scripts/pg-cluster.sh start`): the same rows as in SQLite, written
//! once across re-runs, the agent's number only hashed, a lost card marked lost.
#![cfg(feature = "pg-tests")]

mod replace_util;
use replace_util::*;
use sscard::journal::CardState;

fn replace_on(s: &Scene, register: &str, extra: &[&str]) -> std::process::Output {
    let mut c = sscard();
    c.args(["replace", "--profile", &profile(), "--keys", &keys()])
        .args(["--new", &s.sim(&s.new_card())])
        .args([
            "--journal",
            register,
            "--station",
            "S2",
            "--operator",
            "op2",
        ])
        .args(["--today", "20261129"])
        .args(extra);
    c.output().unwrap()
}

#[test]
fn a_replacement_by_an_agent_is_recorded_once_in_the_register() {
    let s = Scene::new();
    let register = fresh_pg_db("r");
    let agent = ssn("19700101", 21);
    let old = s.sim(&s.old());
    let args = [
        "--old",
        old.as_str(),
        "--reason",
        "damaged",
        "--applicant",
        "agent",
        "--agent-id",
        agent.as_str(),
    ];
    let number = card_number("B0000002");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--card-number", number.as_str()]);
    let o = replace_on(&s, &register, &all);
    assert!(o.status.success(), "{}", describe(&o));
    let again = replace_on(&s, &register, &all);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        text(&again).contains("recorded by an earlier run"),
        "{}",
        describe(&again)
    );
    let rows = journal_rows(&register);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (
            r.old_card_id.as_str(),
            r.new_card_id.as_str(),
            r.reason.as_str(),
            r.applicant.as_str(),
            r.old_card_outcome.as_str(),
            r.station.as_str(),
            r.operator.as_str()
        ),
        (OLD_ID, NEW_ID, "damaged", "agent", "disabled", "S2", "op2")
    );
    let j =
        sscard::journal::Journal::open(&register, sscard::journal::Station::new("t", "t")).unwrap();
    assert_eq!(r.agent_hash, j.holder_hash(&agent));
    assert_eq!(r.holder_hash, j.holder_hash(&holder_ssn()));
    assert_eq!(
        journal_card(&register, OLD_ID).unwrap().state,
        CardState::Replaced
    );
    assert_eq!(
        journal_card(&register, NEW_ID).unwrap().state,
        CardState::Issued
    );
}

#[test]
fn a_lost_card_is_marked_lost_in_the_register() {
    let s = Scene::new();
    let register = fresh_pg_db("r");
    let rec = s.record(NAME, &holder_ssn());
    let o = replace_on(
        &s,
        &register,
        &[
            "--reason",
            "lost",
            "--record",
            &rec,
            "--old-card-id",
            OLD_ID,
        ],
    );
    assert!(o.status.success(), "{}", describe(&o));
    let rows = journal_rows(&register);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].old_card_outcome, "lost");
    assert_eq!(
        journal_card(&register, OLD_ID).unwrap().state,
        CardState::Lost
    );
}

#[test]
fn a_pending_replacement_is_found_by_its_new_card_and_finished() {
    let register = fresh_pg_db("r");
    let mut j =
        sscard::journal::Journal::open(&register, sscard::journal::Station::new("S2", "op2"))
            .unwrap();
    let id = j
        .record_replacement(&sscard::journal::NewReplacement {
            old_card_id: OLD_ID.into(),
            new_card_id: NEW_ID.into(),
            new_card_number: card_number("B0000002"),
            ssn: holder_ssn(),
            reason: "aged".into(),
            applicant: "holder".into(),
            agent_ssn: String::new(),
            old_card_outcome: sscard::replace::PENDING.into(),
        })
        .unwrap();
    let found = j.replacement_for(&NEW_ID.to_lowercase()).unwrap().unwrap();
    assert_eq!(
        (found.id, found.old_card_outcome.as_str()),
        (id, "disable-pending")
    );
    j.set_replacement_outcome(id, "disabled").unwrap();
    let rows = j.replacements().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].old_card_outcome, "disabled");
    assert!(j.replacement_for(OLD_ID).unwrap().is_none());
}
