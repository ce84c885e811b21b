use super::*;

fn station(id: &str) -> Station {
    Station::new(id, "op1")
}

fn open(dir: &tempfile::TempDir, id: &str) -> Journal {
    Journal::open(dir.path().join("j.db").to_str().unwrap(), station(id)).unwrap()
}

fn attempt(j: &Journal, key: &str, card: &str, result: AttemptResult) -> NewAttempt {
    let _ = j;
    NewAttempt {
        record_key: key.into(),
        reader: "feed:0".into(),
        card_id: card.into(),
        card_number: "A00000003".into(),
        ssn: "110101199012290016".into(),
        profile: "ssc-3.00".into(),
        fingerprint: "sha256:00".into(),
        result,
        reason: String::new(),
        apdus: 39,
        duration_ms: 120,
    }
}

#[test]
fn a_record_is_claimed_once_and_issued_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir, "S1");
    let mut b = open(&dir, "S2");
    let key = a.record_key([("ssn", "110101199012290016"), ("name", "张三")]);
    assert_eq!(
        key,
        b.record_key([("name", "张三"), ("ssn", "110101199012290016")])
    );
    assert_eq!(a.claim(&key).unwrap(), ClaimOutcome::Claimed);
    assert!(
        matches!(b.claim(&key).unwrap(), ClaimOutcome::Held { owner } if owner.starts_with("S1@"))
    );
    assert_eq!(a.claim(&key).unwrap(), ClaimOutcome::Resumed);
    let at = attempt(
        &a,
        &key,
        "110100D15600000500A1B2C3D4E5F607",
        AttemptResult::Issued,
    );
    a.record_attempt(&at).unwrap();
    assert_eq!(
        b.claim(&key).unwrap(),
        ClaimOutcome::Issued {
            card_id: "110100D15600000500A1B2C3D4E5F607".into(),
            station: "S1".into()
        }
    );
    let card = b.card("110100d15600000500a1b2c3d4e5f607").unwrap().unwrap();
    assert_eq!(card.state, CardState::Issued);
    assert_eq!(card.holder_hash, a.holder_hash("110101199012290016"));
}

#[test]
fn a_refused_card_gives_the_record_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir, "S1");
    let mut b = open(&dir, "S2");
    let key = a.record_key([("ssn", "110101199012290016")]);
    assert_eq!(a.claim(&key).unwrap(), ClaimOutcome::Claimed);
    let mut at = attempt(
        &a,
        &key,
        "110100D15600000500A1B2C3D4E5F607",
        AttemptResult::Refused,
    );
    at.reason = "another holder's card".into();
    a.record_attempt(&at).unwrap();
    a.release(&key).unwrap();
    assert_eq!(b.claim(&key).unwrap(), ClaimOutcome::Claimed);
    assert!(
        b.card("110100D15600000500A1B2C3D4E5F607")
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_dead_process_claim_of_this_station_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let mut dead = station("S1");
    dead.owner = format!("{}#999999999", dead.owner.rsplit_once('#').unwrap().0);
    let mut a = Journal::open(dir.path().join("j.db").to_str().unwrap(), dead).unwrap();
    let key = a.record_key([("ssn", "110101199012290016")]);
    assert_eq!(a.claim(&key).unwrap(), ClaimOutcome::Claimed);
    let mut again = open(&dir, "S1");
    assert_eq!(again.claim(&key).unwrap(), ClaimOutcome::Resumed);
    // Another station still waits for the lease.
    let mut other = open(&dir, "S2");
    assert!(matches!(
        other.claim(&key).unwrap(),
        ClaimOutcome::Held { .. }
    ));
}

#[test]
fn rows_hold_no_clear_citizen_number_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir, "S1");
    let key = a.record_key([("ssn", "110101199012290016")]);
    a.claim(&key).unwrap();
    a.record_attempt(&attempt(&a, &key, "C1", AttemptResult::Issued))
        .unwrap();
    drop(a);
    let raw = std::fs::read(dir.path().join("j.db")).unwrap();
    let wal = std::fs::read(dir.path().join("j.db-wal")).unwrap_or_default();
    for bytes in [&raw, &wal] {
        assert!(!bytes.windows(18).any(|w| w == b"110101199012290016"));
    }
    let mut st = station("S1");
    st.store_holder_data = true;
    let mut b = Journal::open(dir.path().join("j.db").to_str().unwrap(), st).unwrap();
    let key2 = b.record_key([("ssn", "110101199012290016"), ("n", "2")]);
    b.claim(&key2).unwrap();
    b.record_attempt(&attempt(&b, &key2, "C2", AttemptResult::Issued))
        .unwrap();
    let rows = b.attempts(&AttemptFilter::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].holder_ssn, None);
    assert_eq!(rows[1].holder_ssn.as_deref(), Some("110101199012290016"));
    assert_eq!(rows[1].sscard_version, crate::version::LONG);
}

#[test]
fn rows_carry_the_version_commit_and_build_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir, "S1");
    let key = a.record_key([("ssn", "110101199012290016")]);
    a.claim(&key).unwrap();
    a.record_attempt(&attempt(&a, &key, "C1", AttemptResult::Issued))
        .unwrap();
    a.record_replacement(&NewReplacement {
        old_card_id: "C1".into(),
        new_card_id: "C2".into(),
        new_card_number: "A00000004".into(),
        ssn: "110101199012290016".into(),
        reason: "lost".into(),
        applicant: "holder".into(),
        agent_ssn: String::new(),
        old_card_outcome: "lost (reported)".into(),
    })
    .unwrap();
    let attempt_version = a.attempts(&AttemptFilter::default()).unwrap()[0]
        .sscard_version
        .clone();
    let replacement_version = a.replacements().unwrap()[0].sscard_version.clone();
    for v in [attempt_version, replacement_version] {
        assert!(v.starts_with(env!("CARGO_PKG_VERSION")), "{v}");
        assert!(
            v.contains(&format!("(commit {}, built ", crate::version::COMMIT)),
            "{v}"
        );
        assert!(
            v.ends_with(&format!("{})", crate::version::BUILD_DATE)),
            "{v}"
        );
    }
}

#[test]
fn stats_filters_lost_cards_and_replacements() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir, "S1");
    for (i, r) in [
        AttemptResult::Issued,
        AttemptResult::Refused,
        AttemptResult::Issued,
    ]
    .into_iter()
    .enumerate()
    {
        let key = a.record_key([("i", i.to_string().as_str())]);
        a.claim(&key).unwrap();
        a.record_attempt(&attempt(&a, &key, &format!("C{i}"), r))
            .unwrap();
    }
    let s = a.stats().unwrap();
    assert_eq!(s.attempts, 3);
    assert_eq!(s.by_result.get("issued"), Some(&2));
    assert_eq!(s.by_result.get("refused"), Some(&1));
    assert_eq!(s.cards_issued, 2);
    let f = AttemptFilter {
        card_id: Some("c2".into()),
        ..Default::default()
    };
    assert_eq!(a.attempts(&f).unwrap().len(), 1);
    let f = AttemptFilter {
        limit: 2,
        ..Default::default()
    };
    let rows = a.attempts(&f).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.card_id.as_str()).collect::<Vec<_>>(),
        ["C1", "C2"]
    );

    assert!(
        a.set_card_state("C0", CardState::Lost, "reported by holder")
            .unwrap()
    );
    assert!(
        !a.set_card_state("C9", CardState::Lost, "never issued here")
            .unwrap()
    );
    assert_eq!(a.card("C0").unwrap().unwrap().state, CardState::Lost);

    a.record_replacement(&NewReplacement {
        old_card_id: "C2".into(),
        new_card_id: "C3".into(),
        new_card_number: "B12345671".into(),
        ssn: "110101199012290016".into(),
        reason: "damaged".into(),
        applicant: "agent".into(),
        agent_ssn: "110105199003070076".into(),
        old_card_outcome: "disabled".into(),
    })
    .unwrap();
    assert_eq!(a.card("C2").unwrap().unwrap().state, CardState::Replaced);
    assert_eq!(a.card("C3").unwrap().unwrap().state, CardState::Issued);
    let r = a.replacements().unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].agent_hash, a.holder_hash("110105199003070076"));
    assert_ne!(r[0].agent_hash, r[0].holder_hash);
}

#[test]
fn a_newer_schema_is_refused_and_a_password_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    drop(open(&dir, "S1"));
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute(
        "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(c);
    let e = Journal::open(path.to_str().unwrap(), station("S1")).unwrap_err();
    assert!(e.to_string().contains("schema version 99"), "{e}");
    assert_eq!(
        redact_url("postgres://issuer:s3cret@db:5432/register"),
        "postgres://issuer:***@db:5432/register"
    );
}
