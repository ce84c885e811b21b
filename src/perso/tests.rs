//! Unit tests of plans (no card needed).

use super::plan::{Plan, PlanOptions, Step};
use super::spec::{AppSpec, ElementRef, EnableHow, Encoded, KeySpec, PinSpec};
use crate::cos::AccessCondition;
use crate::crypto::Algorithm;
use crate::profile::FactorSource;

const SSSE: &[u8] = b"sx1.sh.\xC9\xE7\xBB\xE1\xB1\xA3\xD5\xCF";

fn el(
    file: &str,
    sfi: u8,
    rec: u8,
    tag: u8,
    len: usize,
    field: &str,
    read: AccessCondition,
) -> ElementRef {
    ElementRef {
        file: file.into(),
        sfi,
        record: rec,
        tag,
        len,
        field: field.into(),
        label: field.to_uppercase(),
        read,
        update: AccessCondition::ExternalAuth(0x0D),
    }
}

fn app(read: AccessCondition) -> AppSpec {
    AppSpec {
        profile_df: "ssse".into(),
        df_fid: Some(0xDDF1),
        df_name: SSSE.to_vec(),
        df_label: "SSSE".into(),
        create: AccessCondition::ExternalAuth(0x0D),
        activate: AccessCondition::ExternalAuth(0x0D),
        deactivate: AccessCondition::ExternalAuth(0x0D),
        enable: EnableHow::ActivateFile,
        pin: PinSpec {
            reference: 0,
            tries: 3,
            initial: "123456".into(),
        },
        keys: vec![
            KeySpec {
                id: 0x0D,
                label: "write".into(),
                title: String::new(),
                alg: Algorithm::Sm4,
                diversify: vec![FactorSource::CardIdLast8],
            },
            KeySpec {
                id: 0x0A,
                label: "read".into(),
                title: "读密钥 RKSSSE".into(),
                alg: Algorithm::Sm4,
                diversify: vec![FactorSource::CardIdLast8],
            },
        ],
        identity_field: "ssn".into(),
        elements: vec![
            el("EF05", 5, 7, 0x07, 9, "card_number", read),
            el("EF06", 6, 1, 0x08, 18, "ssn", read),
        ],
    }
}

fn encoded(a: &AppSpec) -> Vec<Encoded> {
    a.elements
        .iter()
        .map(|e| Encoded {
            el: e.clone(),
            value: vec![0x31; e.len],
        })
        .collect()
}

#[test]
fn perso_plan_has_no_redundant_step() {
    let a = app(AccessCondition::Always);
    let p = Plan::perso(&a, &encoded(&a), PlanOptions::default()).unwrap();
    let selects = p
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Select { .. }))
        .count();
    let auths = p
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Authenticate { .. }))
        .count();
    assert_eq!((selects, auths), (1, 1), "{}", p.render());
    // (select MF, select), check, (challenge, auth), 2 updates, pin, 2 reads, activate,
    // confirm
    assert_eq!(p.apdu_count(), 2 + 1 + 2 + 2 + 1 + 2 + 1 + 1);
    let (out, _) = p.byte_count();
    assert!(out > 0);
}

#[test]
fn read_key_is_authenticated_once_and_write_key_once() {
    let a = app(AccessCondition::ExternalAuth(0x0A));
    let p = Plan::perso(&a, &encoded(&a), PlanOptions::default()).unwrap();
    let ids: Vec<u8> = p
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Authenticate { key_id, .. } => Some(*key_id),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec![0x0A, 0x0D]);
}

#[test]
fn dry_run_text_masks_secrets_and_counts() {
    let a = app(AccessCondition::Always);
    let p = Plan::perso(&a, &encoded(&a), PlanOptions::default()).unwrap();
    let text = p.render();
    assert!(text.contains("00 A4 04 04 0F 73 78 31"), "{text}");
    assert!(text.contains("00 DC 08 30 14 08 12 31"), "{text}");
    assert!(text.contains("00 B2 08 30 14"), "{text}");
    assert!(text.contains("<cryptogram 16 bytes>"), "{text}");
    assert!(
        text.contains("80 D4 00 00 06 10 00 03 <PIN 3 bytes>"),
        "{text}"
    );
    assert!(!text.contains("12 34 56"), "PIN leaked: {text}");
    assert!(
        text.contains(&format!("{} APDUs", p.apdu_count())),
        "{text}"
    );
}

#[test]
fn never_access_is_a_plan_error() {
    let mut a = app(AccessCondition::Always);
    a.elements[0].update = AccessCondition::Never;
    let e = Plan::perso(&a, &encoded(&a), PlanOptions::default()).unwrap_err();
    assert!(e.to_string().contains("FF (never)"), "{e}");
}

#[test]
fn verify_plan_reads_only() {
    let a = app(AccessCondition::Always);
    let p = Plan::verify(&a, &encoded(&a)).unwrap();
    assert!(
        p.steps
            .iter()
            .all(|s| matches!(s, Step::Select { .. } | Step::ReadBack { .. }))
    );
    // SELECT MF (is it out of the creation state?), SELECT the application, 2 reads.
    assert_eq!(p.apdu_count(), 4);
}
