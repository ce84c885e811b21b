//! Life-cycle checks: a deactivated application refuses, an activated one works. The DF is
//! left activated (and the change reported when it was not before).

use super::lab::{DfAt, Halt, Lab, R, READ_OK, Step, expect, read_cmd, select};
use crate::apdu::{Command, Sw};
use crate::cos::Lcs;
use crate::profile::{Access, KeyRole};
use crate::tlv::Fcp;

pub(super) fn life_cycle_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    for d in dfs.iter().skip(1) {
        let acc = &d.df.access;
        if acc.deactivate == Access::Never || acc.activate == Access::Never {
            continue;
        }
        let probe = d.df.efs.iter().find(|e| e.access.read != Access::Never);
        let deactivate = Command::new(0x00, 0x04, 0x00, 0x00);
        let activate = Command::new(0x00, 0x44, 0x00, 0x00);
        let mut deactivated = false;
        lab.check(
            "life-cycle",
            format!(
                "DF {}: DEACTIVATE FILE works, SELECT then answers 6283",
                d.path
            ),
            |l| {
                l.fresh()?;
                l.goto(&d.chain)?;
                let mut r = l.send_under(&acc.deactivate, d.df, &deactivate)?;
                if r.sw == Sw::CONDITIONS_NOT_SATISFIED
                    && lcs(l, d)?.and_then(Lcs::from_byte) == Some(Lcs::Initialisation)
                {
                    // Never activated yet (initialisation): activate first, as `enable` would.
                    l.fresh()?;
                    l.goto(&d.chain)?;
                    let a = l.send_under(&acc.activate, d.df, &activate)?;
                    expect(a.sw, &[Sw::OK], "ACTIVATE FILE of a DF in initialisation")?;
                    l.changed(format!(
                        "DF {} activated (it was in the initialisation state)",
                        d.path
                    ));
                    l.fresh()?;
                    l.goto(&d.chain)?;
                    r = l.send_under(&acc.deactivate, d.df, &deactivate)?;
                }
                expect(r.sw, &[Sw::OK], "DEACTIVATE FILE")?;
                deactivated = true;
                l.changed(format!(
                    "DF {} deactivated (the next checks activate it again)",
                    d.path
                ));
                l.fresh()?;
                let sw = l.goto(&d.chain)?;
                expect(sw, &[Sw::FILE_DEACTIVATED], "SELECT of the deactivated DF")?;
                Ok("6283".into())
            },
        );
        lab.check(
            "life-cycle",
            format!("DF {}: deactivated, its files refuse READ (6985)", d.path),
            |l| {
                let Some(ef) = probe else {
                    return Err(Halt::Skip("no readable EF in the DF".into()));
                };
                if !deactivated {
                    return Err(Halt::Skip("the DF could not be deactivated".into()));
                }
                l.fresh()?;
                l.goto(&d.chain)?;
                // Meet the read condition where the card allows it, so only the life cycle can refuse.
                if let Err(Halt::Lost(e)) = l.satisfy(&ef.access.read, d.df) {
                    return Err(Halt::Lost(e));
                }
                l.select_ef(ef.fid)?;
                let r = l.send(&read_cmd(ef))?;
                expect(
                    r.sw,
                    &[Sw::CONDITIONS_NOT_SATISFIED],
                    &format!("READ of EF {:04X} in the deactivated DF", ef.fid),
                )?;
                Ok("6985".into())
            },
        );
        lab.check(
            "life-cycle",
            format!(
                "DF {}: ACTIVATE FILE brings it back, its files read again",
                d.path
            ),
            |l| {
                if !deactivated {
                    return Err(Halt::Skip("the DF could not be deactivated".into()));
                }
                l.fresh()?;
                l.goto(&d.chain)?;
                let r = match l.send_under(&acc.activate, d.df, &activate) {
                    Ok(r) => r,
                    // The COS refuses authentication in a deactivated application: PBOC-family
                    // cards re-activate it with APPLICATION UNBLOCK under the maintenance key.
                    Err(Halt::Fail(why)) => match maintenance(d) {
                        Some(mac) => {
                            l.fresh()?;
                            l.goto(&d.chain)?;
                            l.send_under(&mac, d.df, &Command::new(0x80, 0x18, 0x00, 0x00))?
                        }
                        None => return Err(Halt::Fail(why)),
                    },
                    Err(e) => return Err(e),
                };
                expect(r.sw, &[Sw::OK], "ACTIVATE FILE (or APPLICATION UNBLOCK)")?;
                let tag = format!("DF {} deactivated", d.path);
                l.changed.retain(|c| !c.starts_with(&tag));
                l.fresh()?;
                let sw = l.goto(&d.chain)?;
                expect(sw, &[Sw::OK], "SELECT of the re-activated DF")?;
                if let Some(ef) = probe {
                    l.select_ef(ef.fid)?;
                    let r = l.send_under(&ef.access.read, d.df, &read_cmd(ef))?;
                    expect(r.sw, &READ_OK, "READ after re-activation")?;
                }
                Ok("9000".into())
            },
        );
    }
}

/// Without any key, DEACTIVATE FILE and TERMINATE DF of the MF and of every DF whose
/// deactivate condition is not "always" are refused (6982 or 6985) and leave the DF as it
/// was: an MF any terminal can deactivate makes the card unusable (issue 13). TERMINATE is
/// probed only after DEACTIVATE was refused: both are guarded by the same condition (docs/
/// cos.md), and a card that let DEACTIVATE through would most likely be terminated for good.
pub(super) fn admin_refused(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    const REFUSED: [Sw; 2] = [Sw::SECURITY_NOT_SATISFIED, Sw::CONDITIONS_NOT_SATISFIED];
    for d in dfs {
        if d.df.access.deactivate == Access::Always {
            continue;
        }
        let what = if d.chain.is_empty() {
            "the MF".to_string()
        } else {
            format!("DF {}", d.path)
        };
        let mut refused = false;
        lab.check(
            "life-cycle",
            format!("{what}: DEACTIVATE FILE without a key refused"),
            |l| {
                // In the creation state the COS enforces nothing (the manufacturer's window):
                // the creation-state check fails such a card; TERMINATE would end it.
                let creation = Some(Lcs::Creation.byte());
                if mf_lcs(l)? == creation || (!d.chain.is_empty() && lcs(l, d)? == creation) {
                    return Err(Halt::Skip(
                        "not probed: the MF or the DF is still in the creation state, where \
                         nothing is enforced (see the creation-state check)"
                            .into(),
                    ));
                }
                l.fresh()?;
                let before = l.goto(&d.chain)?;
                let r = l.send(&Command::new(0x00, 0x04, 0x00, 0x00))?;
                if r.sw == Sw::OK {
                    l.changed(format!("{what} deactivated by a command without any key"));
                    // Undo it where the card lets us (the same open conditions).
                    // SELECT answers 6283 now: select each level whatever it answers.
                    l.fresh()?;
                    l.send(&select(0x00, &[0x3F, 0x00]))?;
                    for st in &d.chain {
                        l.send(&match st {
                            Step::Name(n) => select(0x04, n),
                            Step::Fid(f) => select(0x00, &f.to_be_bytes()),
                        })?;
                    }
                    if l.send(&Command::new(0x00, 0x44, 0x00, 0x00))?.sw == Sw::OK {
                        l.changed.retain(|c| !c.starts_with(&what));
                    }
                }
                expect(r.sw, &REFUSED, "DEACTIVATE FILE without a key")?;
                l.fresh()?;
                let after = l.goto(&d.chain)?;
                expect(after, &[before], "SELECT after the refused DEACTIVATE")?;
                refused = true;
                Ok(format!("{}", r.sw))
            },
        );
        lab.check(
            "life-cycle",
            format!("{what}: TERMINATE DF without a key refused"),
            |l| {
                if !refused {
                    return Err(Halt::Skip(
                        "not probed: DEACTIVATE FILE without a key was not probed or not \
                         refused, and TERMINATE (same condition) could end the card for good"
                            .into(),
                    ));
                }
                l.fresh()?;
                let before = l.goto(&d.chain)?;
                let r = l.send(&Command::new(0x00, 0xE6, 0x00, 0x00))?;
                if r.sw == Sw::OK {
                    l.changed(format!(
                        "{what} TERMINATED (for good) by a command without any key"
                    ));
                }
                expect(r.sw, &REFUSED, "TERMINATE DF without a key")?;
                l.fresh()?;
                let after = l.goto(&d.chain)?;
                expect(after, &[before], "SELECT after the refused TERMINATE")?;
                Ok(format!("{}", r.sw))
            },
        );
    }
}

/// No DF (the MF included) is left in the creation state, where the COS enforces no access
/// condition (a torn or unfinished init): such a card must not be issued.
pub(super) fn creation_check(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    lab.check(
        "life-cycle",
        "the MF and every DF are out of the creation state (access conditions enforced)",
        |l| {
            let mut open = Vec::new();
            for d in dfs {
                let state = if d.chain.is_empty() {
                    mf_lcs(l)?
                } else {
                    lcs(l, d)?
                };
                if state == Some(crate::tlv::Lcs::Creation.byte()) {
                    open.push(d.path.clone());
                }
            }
            if open.is_empty() {
                Ok("no file in the creation state".into())
            } else {
                Err(Halt::Fail(format!(
                    "{} still in the creation state (8A 01): access conditions are not \
                     enforced; finish init before issuing the card",
                    open.join(", ")
                )))
            }
        },
    );
}

/// The MF's life-cycle byte from its FCP (after a reset).
fn mf_lcs(l: &mut Lab<'_, '_>) -> R<Option<u8>> {
    l.fresh()?;
    let r = l.send(
        &Command::new(0x00, 0xA4, 0x00, 0x04)
            .with_data(vec![0x3F, 0x00])
            .with_le(256),
    )?;
    Ok(Fcp::parse(&r.data).ok().and_then(|f| f.lcs))
}

/// The DF's life-cycle byte from its FCP (selected from its parent).
fn lcs(l: &mut Lab<'_, '_>, d: &DfAt<'_>) -> R<Option<u8>> {
    l.fresh()?;
    let parent = d.chain.split_last().map_or(&[][..], |(_, up)| up);
    l.goto(parent)?;
    let (p1, data) = match (&d.df.aid, d.df.fid) {
        (Some(a), _) => (0x04, a.clone()),
        (None, Some(f)) => (0x00, f.to_be_bytes().to_vec()),
        (None, None) => return Ok(None),
    };
    let r = l.send(
        &Command::new(0x00, 0xA4, p1, 0x04)
            .with_data(data)
            .with_le(256),
    )?;
    Ok(Fcp::parse(&r.data).ok().and_then(|f| f.lcs))
}

/// The maintenance-key MAC condition of the DF, when it has such a key.
fn maintenance(d: &DfAt<'_>) -> Option<Access> {
    d.df.keys
        .iter()
        .find(|k| k.role == KeyRole::Maintenance)
        .map(|k| Access::Mac {
            key: k.name.clone(),
            id: k.id,
        })
}
