//! PIN counter checks: 63Cx counts down, 6983 when blocked, RESET RETRY COUNTER restores it.
//! A PIN is blocked only when the profile and the key file give the PIN-unblock key, so the
//! suite never leaves a PIN blocked that it cannot unblock.

use super::lab::{DfAt, Halt, Lab, R, expect};
use crate::apdu::{Command, Sw};
use crate::profile::{Access, KeyRole, PinSpec};

fn tries(n: u8) -> Sw {
    Sw(0x63C0 | u16::from(n & 0x0F))
}

fn verify_empty(reference: u8) -> Command {
    Command::new(0x00, 0x20, 0x00, reference)
}

/// A wrong PIN: the right one with its last digit changed.
fn wrong(right: &[u8]) -> Vec<u8> {
    let mut w = right.to_vec();
    if let Some(last) = w.iter_mut().rev().find(|b| **b != 0xFF) {
        let lo = *last & 0x0F;
        let hi = *last & 0xF0;
        *last = if lo == 0x0F {
            (hi ^ 0x10) | lo
        } else {
            hi | ((lo + 1) % 10)
        };
    }
    w
}

pub(super) fn pin_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    for d in dfs {
        for pin in &d.df.pins {
            one_pin(lab, d, pin);
        }
    }
}

fn one_pin(lab: &mut Lab<'_, '_>, d: &DfAt<'_>, pin: &PinSpec) {
    let name = format!("PIN '{}' of {}", pin.name, d.path);
    let max = pin.max_tries;
    let reference = pin.reference;
    let start = |l: &mut Lab<'_, '_>| -> R<()> {
        l.fresh()?;
        l.goto(&d.chain)?;
        Ok(())
    };
    lab.check(
        "pin",
        format!("{name}: VERIFY without data answers 63C{max:X} (tries left)"),
        |l| {
            start(l)?;
            let r = l.send(&verify_empty(reference))?;
            expect(r.sw, &[tries(max)], "VERIFY without data")?;
            Ok(format!("{}", r.sw))
        },
    );
    lab.check(
        "pin",
        format!(
            "{name}: a wrong PIN counts down to 63C{:X}",
            max.saturating_sub(1)
        ),
        |l| {
            if max < 2 {
                return Err(Halt::Skip(
                    "fewer than 2 tries: a wrong PIN would block it".into(),
                ));
            }
            start(l)?;
            let now = l.send(&verify_empty(reference))?;
            if now.sw != tries(max) {
                return Err(Halt::Skip(format!(
                    "the counter is not full ({}): not risking a block",
                    now.sw
                )));
            }
            let right = l.pin_bytes(pin)?;
            let r = l.send(&Command::new(0x00, 0x20, 0x00, reference).with_data(wrong(&right)))?;
            let after = l.send(&verify_empty(reference))?;
            // Put it back: the right PIN refills the counter.
            let _ = l.send(&Command::new(0x00, 0x20, 0x00, reference).with_data(right))?;
            expect(r.sw, &[tries(max - 1)], "VERIFY with a wrong PIN")?;
            expect(
                after.sw,
                &[tries(max - 1)],
                "VERIFY without data after a wrong PIN",
            )?;
            Ok(format!("{}", r.sw))
        },
    );
    lab.check(
        "pin",
        format!("{name}: the right PIN is accepted and the counter is full again"),
        |l| {
            start(l)?;
            let right = l.pin_bytes(pin)?;
            let r = l.send(&Command::new(0x00, 0x20, 0x00, reference).with_data(right))?;
            expect(r.sw, &[Sw::OK], "VERIFY with the right PIN")?;
            start(l)?;
            let after = l.send(&verify_empty(reference))?;
            expect(
                after.sw,
                &[tries(max)],
                "VERIFY without data after the right PIN",
            )?;
            Ok("9000".into())
        },
    );
    let puk =
        d.df.keys
            .iter()
            .find(|k| k.role == KeyRole::PinUnblock)
            .cloned();
    let can_unblock = match &puk {
        Some(k) => lab.key(k).is_ok(),
        None => false,
    };
    let why_not = if puk.is_none() {
        "no PIN-unblock key in the profile: the suite does not block a PIN it cannot unblock"
    } else {
        "the PIN-unblock key is not available (give --keys): the suite does not block a PIN it cannot unblock"
    };
    lab.check(
        "pin",
        format!("{name}: blocked after {max} wrong PINs (6983), the right one refused"),
        |l| {
            if !can_unblock {
                return Err(Halt::Skip(why_not.into()));
            }
            start(l)?;
            let right = l.pin_bytes(pin)?;
            let bad = wrong(&right);
            let mut last = Sw::OK;
            for _ in 0..max {
                last = l
                    .send(&Command::new(0x00, 0x20, 0x00, reference).with_data(bad.clone()))?
                    .sw;
            }
            let status = l.send(&verify_empty(reference))?.sw;
            if status == Sw::AUTH_BLOCKED {
                l.changed(format!("{name} blocked (the next check unblocks it)"));
            }
            expect(
                last,
                &[Sw::AUTH_BLOCKED, tries(0)],
                &format!("VERIFY with wrong PIN number {max}"),
            )?;
            expect(
                status,
                &[Sw::AUTH_BLOCKED],
                "VERIFY without data when blocked",
            )?;
            let r = l.send(&Command::new(0x00, 0x20, 0x00, reference).with_data(right))?;
            expect(
                r.sw,
                &[Sw::AUTH_BLOCKED],
                "VERIFY with the right PIN when blocked",
            )?;
            Ok("6983".into())
        },
    );
    lab.check(
        "pin",
        format!("{name}: RESET RETRY COUNTER with the PIN-unblock key restores it"),
        |l| {
            let Some(k) = &puk else {
                return Err(Halt::Skip(why_not.into()));
            };
            if !can_unblock {
                return Err(Halt::Skip(why_not.into()));
            }
            start(l)?;
            let mac = Access::Mac {
                key: k.name.clone(),
                id: k.id,
            };
            let r = l.send_under(&mac, d.df, &Command::new(0x00, 0x2C, 0x01, reference))?;
            expect(r.sw, &[Sw::OK], "RESET RETRY COUNTER")?;
            let after = l.send(&verify_empty(reference))?;
            expect(
                after.sw,
                &[tries(max)],
                "VERIFY without data after the unblock",
            )?;
            let right = l.pin_bytes(pin)?;
            let ok = l.send(&Command::new(0x00, 0x20, 0x00, reference).with_data(right))?;
            expect(
                ok.sw,
                &[Sw::OK],
                "VERIFY with the right PIN after the unblock",
            )?;
            l.changed.retain(|c| !c.starts_with(&name));
            Ok("9000, counter full".into())
        },
    );
}
