//! Which variables are secret by what they are used for, whatever their names: a value that
//! flows into the data of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, EXTERNAL or
//! INTERNAL AUTHENTICATE, WRITE KEY or a PBOC PIN command is a PIN or a key, so it is masked
//! everywhere (`echo`, `set`, expectations, the variables listed at the end), before and
//! after that command runs. `set A = ...${B}...` links A and B both ways.

use super::syntax::{CmdPart, Stmt, TextPart};
use std::collections::BTreeSet;

/// Where the data of the command with header `cla ins` is secret: from this data byte on.
fn secret_data_from(cla: u8, ins: u8) -> Option<usize> {
    match ins {
        0x20 | 0x24 | 0x2C | 0x82 | 0x88 => Some(0),
        0xD4 if cla & 0x80 != 0 => Some(3),
        0x5E if cla & 0x80 != 0 => Some(0),
        _ => None,
    }
}

/// The variables of one APDU line that land in secret data.
fn apdu_secrets(cmd: &[CmdPart], out: &mut BTreeSet<String>) {
    let header: Vec<u8> = cmd
        .iter()
        .map_while(|p| match p {
            CmdPart::Bytes(b) => Some(b.clone()),
            CmdPart::Var(_) => None,
        })
        .flatten()
        .take(2)
        .collect();
    let Some(from) = (match header.as_slice() {
        [cla, ins] => secret_data_from(*cla, *ins),
        // CLA or INS from a variable: which command it is cannot be known before the run.
        _ => None,
    }) else {
        return;
    };
    let _ = from;
    // Header bytes (CLA INS P1 P2) are not secret; a variable from the Lc byte on may hold
    // data (`0020 0000 ${LC_AND_PIN}`): secret. After a variable the offsets are unknown:
    // every later variable counts as secret too.
    let mut offset = Some(0usize);
    for p in cmd {
        match p {
            CmdPart::Bytes(b) => offset = offset.map(|o| o + b.len()),
            CmdPart::Var(v) => {
                if offset.is_none_or(|o| o >= 4) {
                    out.insert(v.name.to_ascii_uppercase());
                }
                offset = None;
            }
        }
    }
}

fn all<'a>(stmts: &'a [Stmt], blocks: &'a [&'a [Stmt]]) -> impl Iterator<Item = &'a Stmt> {
    stmts.iter().chain(blocks.iter().flat_map(|b| b.iter()))
}

/// The names (upper case) of the variables that flow into secret command data in `main` or
/// any of `blocks`.
pub(crate) fn secret_by_use(main: &[Stmt], blocks: &[&[Stmt]]) -> BTreeSet<String> {
    let mut secret = BTreeSet::new();
    for s in all(main, blocks) {
        if let Stmt::Apdu { cmd, .. } = s {
            apdu_secrets(cmd, &mut secret);
        }
    }
    // `set A = ${B}`: a secret A makes B secret and a secret B makes A secret.
    loop {
        let before = secret.len();
        for s in all(main, blocks) {
            if let Stmt::Set { name, value, .. } = s {
                let from: Vec<String> = value
                    .iter()
                    .filter_map(|p| match p {
                        TextPart::Var(v) => Some(v.name.to_ascii_uppercase()),
                        TextPart::Text(_) => None,
                    })
                    .collect();
                let name = name.to_ascii_uppercase();
                if secret.contains(&name) || from.iter().any(|f| secret.contains(f)) {
                    secret.insert(name);
                    secret.extend(from);
                }
            }
        }
        if secret.len() == before {
            return secret;
        }
    }
}
