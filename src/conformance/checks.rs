//! The checks, generated from the profile, group by group. Order matters for weak cards:
//! commands that crash some emulators (SELECT returning FCP/FCI) come last.

use super::lab::{DfAt, Halt, Lab, R, READ_OK, Step, all_dfs, expect, read_cmd, select};
use crate::apdu::{Command, Sw};
use crate::error::ErrorChain;
use crate::profile::{Access, Ef, EfSize, Structure};
use crate::tlv::Fcp;

/// Runs every group.
pub(super) fn run_all(lab: &mut Lab<'_, '_>) {
    let dfs = all_dfs(lab.profile);
    select_group(lab, &dfs);
    iso_errors(lab, &dfs);
    access_group(lab, &dfs);
    super::pin::pin_group(lab, &dfs);
    super::life::admin_refused(lab, &dfs);
    super::life::life_cycle_group(lab, &dfs);
    t0_group(lab, &dfs);
    fcp_group(lab, &dfs);
    super::life::creation_check(lab, &dfs);
}

fn parent(d: &DfAt<'_>) -> Vec<Step> {
    d.chain
        .split_last()
        .map_or(Vec::new(), |(_, up)| up.to_vec())
}

fn select_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    for d in dfs.iter().skip(1) {
        if let Some(aid) = &d.df.aid {
            lab.check(
                "select",
                format!(
                    "DF {} selectable by AID {}",
                    d.path,
                    crate::apdu::compact(aid)
                ),
                |l| {
                    l.goto(&parent(d))?;
                    let r = l.send(&select(0x04, aid))?;
                    expect(r.sw, &[Sw::OK, Sw::FILE_DEACTIVATED], "SELECT by AID")?;
                    Ok(format!("{}", r.sw))
                },
            );
        }
        if let Some(fid) = d.df.fid {
            lab.check(
                "select",
                format!("DF {} selectable by FID {fid:04X}", d.path),
                |l| {
                    l.goto(&parent(d))?;
                    let r = l.send(&select(0x00, &fid.to_be_bytes()))?;
                    expect(r.sw, &[Sw::OK, Sw::FILE_DEACTIVATED], "SELECT by FID")?;
                    Ok(format!("{}", r.sw))
                },
            );
        }
    }
    for d in dfs {
        for ef in &d.df.efs {
            let path = format!("{}/{:04X}", d.path, ef.fid);
            lab.check("select", format!("EF {path} selectable by FID"), |l| {
                l.goto(&d.chain)?;
                let sw = l.select_ef(ef.fid)?;
                Ok(format!("{sw}"))
            });
            if let Some(sfi) = ef.sfi {
                lab.check("select", format!("EF {path} reachable by SFI {sfi}"), |l| {
                    l.fresh()?;
                    l.goto(&d.chain)?;
                    let cmd = if ef.structure == Structure::Transparent {
                        Command::new(0x00, 0xB0, 0x80 | sfi, 0x00).with_le(256)
                    } else {
                        Command::new(0x00, 0xB2, 0x01, (sfi << 3) | 0x04).with_le(256)
                    };
                    let r = match &ef.access.read {
                        Access::Never => l.send(&cmd)?,
                        a => l.send_under(a, d.df, &cmd)?,
                    };
                    if matches!(
                        r.sw,
                        Sw::FILE_NOT_FOUND | Sw::WRONG_P1P2 | Sw::INCOMPATIBLE_FILE
                    ) {
                        return Err(Halt::Fail(format!("READ by SFI {sfi}: {}", r.sw)));
                    }
                    if ef.access.read == Access::Never {
                        expect(
                            r.sw,
                            &[Sw::SECURITY_NOT_SATISFIED],
                            "READ by SFI of a never-readable EF",
                        )?;
                    } else {
                        expect(r.sw, &READ_OK, "READ by SFI")?;
                    }
                    Ok(format!("{}", r.sw))
                });
            }
        }
    }
}

fn iso_errors(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    let used: Vec<u16> = dfs
        .iter()
        .flat_map(|d| d.df.fid.into_iter().chain(d.df.efs.iter().map(|e| e.fid)))
        .collect();
    let absent = [0x7E7E_u16, 0x5A5A, 0x0B0B, 0x2F2F]
        .into_iter()
        .find(|f| !used.contains(f))
        .unwrap_or(0x7E7E);
    let cases: [(&str, Command, Sw); 4] = [
        (
            "bad P1-P2: SELECT with P1 7F answers 6A86",
            Command::new(0x00, 0xA4, 0x7F, 0x0C).with_data(vec![0x3F, 0x00]),
            Sw::WRONG_P1P2,
        ),
        (
            "absent file: SELECT of a FID not on the card answers 6A82",
            select(0x00, &absent.to_be_bytes()),
            Sw::FILE_NOT_FOUND,
        ),
        (
            "wrong length: SELECT by FID with 1 byte answers 6700",
            select(0x00, &[0x3F]),
            Sw::WRONG_LENGTH,
        ),
        (
            "unknown instruction: INS 02 answers 6D00",
            Command::new(0x00, 0x02, 0x00, 0x00),
            Sw::INS_NOT_SUPPORTED,
        ),
    ];
    for (name, cmd, want) in cases {
        lab.check("iso-errors", name, |l| {
            l.goto(&[])?;
            let r = l.send(&cmd)?;
            expect(r.sw, &[want], "the error")?;
            Ok(format!("{}", r.sw))
        });
    }
}

/// The first bytes of an EF's content, read under its read condition (for rewriting it
/// unchanged in the update checks).
fn original(l: &mut Lab<'_, '_>, d: &DfAt<'_>, ef: &Ef) -> R<Option<Vec<u8>>> {
    l.fresh()?;
    l.goto(&d.chain)?;
    l.select_ef(ef.fid)?;
    let r = l.send_under(&ef.access.read, d.df, &read_cmd(ef))?;
    match r.sw {
        Sw::OK | Sw(0x6282) if !r.data.is_empty() => {
            let mut v = r.data;
            if ef.structure == Structure::Transparent {
                v.truncate(16);
            }
            Ok(Some(v))
        }
        Sw::RECORD_NOT_FOUND => Ok(None),
        sw => Err(Halt::Skip(format!(
            "the content cannot be read to rewrite it unchanged ({sw})"
        ))),
    }
}

fn update_cmd(ef: &Ef, data: &[u8]) -> Command {
    if ef.structure == Structure::Transparent {
        Command::new(0x00, 0xD6, 0x00, 0x00).with_data(data.to_vec())
    } else {
        Command::new(0x00, 0xDC, 0x01, 0x04).with_data(data.to_vec())
    }
}

fn access_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    for d in dfs {
        for ef in &d.df.efs {
            let path = format!("{}/{:04X}", d.path, ef.fid);
            if ef.access.read == Access::Always {
                // Free to read (EF05 and the photo EF08 on 3rd-generation cards): a card more
                // closed than the profile breaks every reader that reads first.
                lab.check(
                    "access",
                    format!("READ of EF {path} allowed without any key (always)"),
                    |l| {
                        l.fresh()?;
                        l.goto(&d.chain)?;
                        l.select_ef(ef.fid)?;
                        let r = l.send(&read_cmd(ef))?;
                        expect(r.sw, &READ_OK, "READ without any key")?;
                        Ok(format!("{}", r.sw))
                    },
                );
            }
            for (op, access) in [("READ", &ef.access.read), ("UPDATE", &ef.access.update)] {
                if *access == Access::Always {
                    continue;
                }
                // An empty record EF (a regional file sscard does not write) is probed with
                // UPDATE RECORD 1: the card checks access before it looks for the record, so
                // 6982 without the key and 6A83 with it are both the answers a card gives.
                let build = |l: &mut Lab<'_, '_>| -> R<(Command, bool)> {
                    if op == "READ" {
                        return Ok((read_cmd(ef), false));
                    }
                    match original(l, d, ef)? {
                        Some(data) => Ok((update_cmd(ef, &data), false)),
                        None if ef.structure.is_record() => {
                            Ok((update_cmd(ef, &[0x00, 0x00]), true))
                        }
                        None => Err(Halt::Skip("the file has no content to rewrite".into())),
                    }
                };
                lab.check("access", refused_name(op, &path, access), |l| {
                    let (cmd, _) = build(l)?;
                    l.fresh()?;
                    l.goto(&d.chain)?;
                    l.select_ef(ef.fid)?;
                    let r = l.send(&cmd)?;
                    expect(
                        r.sw,
                        &[Sw::SECURITY_NOT_SATISFIED],
                        &format!("{op} without {access}"),
                    )?;
                    Ok(format!("{}", r.sw))
                });
                if *access == Access::Never {
                    continue;
                }
                lab.check(
                    "access",
                    format!("{op} of EF {path} allowed with {access}"),
                    |l| {
                        let (cmd, empty) = build(l)?;
                        l.fresh()?;
                        l.goto(&d.chain)?;
                        l.select_ef(ef.fid)?;
                        let r = l.send_under(access, d.df, &cmd)?;
                        let ok: &[Sw] = match (op, empty) {
                            ("READ", _) => &READ_OK,
                            (_, true) => &[Sw::OK, Sw::RECORD_NOT_FOUND],
                            _ => &[Sw::OK],
                        };
                        expect(r.sw, ok, &format!("{op} with {access}"))?;
                        Ok(format!("{}", r.sw))
                    },
                );
            }
        }
    }
}

fn t0_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    lab.check(
        "t0",
        "a case-4 command's data comes back (61xx + GET RESPONSE, or directly)",
        |l| {
            l.goto(&[])?;
            let cmd = Command::new(0x00, 0xA4, 0x00, 0x04)
                .with_data(vec![0x3F, 0x00])
                .with_le(256);
            let r = l.raw(&cmd)?;
            if let Some(n) = r.sw.bytes_available() {
                let g = l.raw(&Command::new(0x00, 0xC0, 0x00, 0x00).with_le(n))?;
                expect(g.sw, &[Sw::OK], "GET RESPONSE after 61xx")?;
                if g.data.len() != n.min(256) {
                    return Err(Halt::Fail(format!(
                        "GET RESPONSE gave {} bytes, 61xx announced {n}",
                        g.data.len()
                    )));
                }
                return Ok(format!("61{:02X} then GET RESPONSE: {n} bytes", n & 0xFF));
            }
            expect(r.sw, &[Sw::OK], "SELECT MF with FCP")?;
            if r.data.is_empty() {
                return Err(Halt::Fail(
                    "SELECT with FCP answered 9000 without data".into(),
                ));
            }
            Ok(format!(
                "answered directly with {} bytes (T=1 style)",
                r.data.len()
            ))
        },
    );
    let target = dfs.iter().find_map(|d| {
        d.df.efs
            .iter()
            .find(|e| e.structure.is_record() && e.access.read != Access::Never)
            .map(|e| (d, e))
    });
    lab.check(
        "t0",
        "a wrong Le gets 6Cxx with the length, and the re-sent command the data",
        |l| {
            let Some((d, ef)) = target else {
                return Err(Halt::Skip("no readable record EF in the profile".into()));
            };
            let Some(rec) = original(l, d, ef)? else {
                return Err(Halt::Skip("the record EF is empty".into()));
            };
            if rec.len() < 2 {
                return Err(Halt::Skip(
                    "the first record is shorter than 2 bytes".into(),
                ));
            }
            l.fresh()?;
            l.goto(&d.chain)?;
            l.select_ef(ef.fid)?;
            l.satisfy(&ef.access.read, d.df)?;
            let r = l.raw(&Command::new(0x00, 0xB2, 0x01, 0x04).with_le(1))?;
            if let Some(n) = r.sw.correct_le() {
                if n != rec.len() {
                    return Err(Halt::Fail(format!(
                        "6Cxx announced {n} bytes, the record has {}",
                        rec.len()
                    )));
                }
                let again = l.raw(&Command::new(0x00, 0xB2, 0x01, 0x04).with_le(n))?;
                expect(again.sw, &[Sw::OK], "READ RECORD with the announced Le")?;
                if again.data != rec {
                    return Err(Halt::Fail("the re-sent READ RECORD gave other data".into()));
                }
                return Ok(format!("6C{:02X}, then the {n} bytes", n & 0xFF));
            }
            if matches!(r.sw, Sw::OK | Sw(0x6282)) && r.data.len() <= 1 {
                return Ok(format!(
                    "{} with {} byte (T=1 style truncation)",
                    r.sw,
                    r.data.len()
                ));
            }
            Err(Halt::Fail(format!(
                "READ RECORD with Le 1 answered {} with {} bytes",
                r.sw,
                r.data.len()
            )))
        },
    );
}

fn fcp_group(lab: &mut Lab<'_, '_>, dfs: &[DfAt<'_>]) {
    for d in dfs.iter().skip(1) {
        lab.check("fcp", format!("DF {} FCP as declared", d.path), |l| {
            l.goto(&parent(d))?;
            let (p1, data) = match (&d.df.aid, d.df.fid) {
                (Some(a), _) => (0x04, a.clone()),
                (None, Some(f)) => (0x00, f.to_be_bytes().to_vec()),
                (None, None) => return Err(Halt::Skip("neither AID nor FID".into())),
            };
            let r = l.send(
                &Command::new(0x00, 0xA4, p1, 0x04)
                    .with_data(data)
                    .with_le(256),
            )?;
            expect(r.sw, &[Sw::OK, Sw::FILE_DEACTIVATED], "SELECT with FCP")?;
            let fcp = Fcp::parse(&r.data)
                .map_err(|e| Halt::Fail(format!("the FCP does not parse: {e}", e = e.chain())))?;
            let mut bad = Vec::new();
            if !fcp.is_df() {
                bad.push("not described as a DF (FDB 38)".to_string());
            }
            if let (Some(want), Some(got)) = (d.df.fid, fcp.fid)
                && want != got
            {
                bad.push(format!("FID {got:04X}, declared {want:04X}"));
            }
            if let Some(want) = &d.df.aid
                && fcp.df_name.as_ref() != Some(want)
            {
                bad.push("DF name (84) differs from the declared AID".into());
            }
            check_security(&fcp, d.df.access.bytes(), &mut bad);
            verdict(bad)
        });
    }
    for d in dfs {
        for ef in &d.df.efs {
            let path = format!("{}/{:04X}", d.path, ef.fid);
            lab.check(
                "fcp",
                format!("EF {path} FCP as declared ({})", ef.structure.as_str()),
                |l| {
                    l.goto(&d.chain)?;
                    let r = l.send(
                        &Command::new(0x00, 0xA4, 0x00, 0x04)
                            .with_data(ef.fid.to_be_bytes().to_vec())
                            .with_le(256),
                    )?;
                    expect(r.sw, &[Sw::OK], "SELECT with FCP")?;
                    let fcp = Fcp::parse(&r.data).map_err(|e| {
                        Halt::Fail(format!("the FCP does not parse: {e}", e = e.chain()))
                    })?;
                    verdict(compare_ef(ef, &fcp))
                },
            );
        }
    }
}

fn verdict(bad: Vec<String>) -> R<String> {
    if bad.is_empty() {
        Ok("as declared".into())
    } else {
        Err(Halt::Fail(bad.join("; ")))
    }
}

fn check_security(fcp: &Fcp, want: [u8; 6], bad: &mut Vec<String>) {
    match &fcp.security {
        Some(s) if s.to_bytes() == want => {}
        Some(s) => bad.push(format!(
            "security attributes (86) {}, declared {}",
            crate::apdu::compact(&s.to_bytes()),
            crate::apdu::compact(&want)
        )),
        None => bad.push("no security attributes (86)".into()),
    }
}

/// Differences between an EF's FCP and its declaration.
pub(super) fn compare_ef(ef: &Ef, fcp: &Fcp) -> Vec<String> {
    let mut bad = Vec::new();
    if fcp.fid != Some(ef.fid) {
        bad.push(format!(
            "FID {:?}, declared {:04X}",
            fcp.fid.map(|f| format!("{f:04X}")),
            ef.fid
        ));
    }
    match &fcp.descriptor {
        Some(fd) => {
            if fd.fdb & 0x07 != ef.structure.fdb() & 0x07 || fd.fdb & 0x38 == 0x38 {
                bad.push(format!(
                    "file descriptor {:02X}, declared {:02X} ({})",
                    fd.fdb,
                    ef.structure.fdb(),
                    ef.structure.as_str()
                ));
            }
            if let EfSize::Records { count, length } = ef.size {
                if fd.max_record_len != Some(length) {
                    bad.push(format!(
                        "record length {:?}, declared {length}",
                        fd.max_record_len
                    ));
                }
                if fd.record_count != Some(u16::from(count)) {
                    bad.push(format!(
                        "number of records {:?}, declared {count}",
                        fd.record_count
                    ));
                }
            }
        }
        None => bad.push("no file descriptor (82)".into()),
    }
    let want_size = match ef.size {
        EfSize::Bytes(n) => u32::from(n),
        EfSize::Records { count, length } => u32::from(count) * u32::from(length),
    };
    if let Some(size) = fcp.size
        && size != want_size
    {
        bad.push(format!("size (80) {size}, declared {want_size}"));
    }
    if ef.structure == Structure::Transparent && fcp.size.is_none() {
        bad.push("no size (80)".into());
    }
    if let Some(sfi) = ef.sfi
        && fcp.sfi.is_some_and(|s| s != sfi)
    {
        bad.push(format!("SFI {:?}, declared {sfi}", fcp.sfi));
    }
    check_security(fcp, ef.access.bytes(), &mut bad);
    bad
}

fn refused_name(op: &str, path: &str, access: &Access) -> String {
    if *access == Access::Never {
        format!("{op} of EF {path} refused, condition 'never' (6982)")
    } else {
        format!("{op} of EF {path} refused without {access} (6982)")
    }
}
