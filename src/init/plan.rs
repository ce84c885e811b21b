//! The plan of `sscard init`: the APDUs that build a profile's structure on a blank card, as
//! data (printed by `--dry-run`, counted, tested without a card), then run on a card.
//!
//! Order (docs/cos.md): SELECT MF; for each DF, depth first: CREATE FILE in its parent,
//! SELECT it, WRITE KEY for its keys and PINs, CREATE FILE for its EFs (record EFs then get
//! one blank record per element by APPEND RECORD, so that perso updates them by tag); back to the parent
//! by SELECT from the MF down; finally, when the profile's MF is in the creation state, PUT
//! DATA of the MF's access conditions (the MF exists on a blank card, init never creates it)
//! and ACTIVATE FILE on the MF (closes the manufacturer's window).

use super::resume::{EfHave, Have};
use crate::apdu::{Command, Sw};
use crate::card::{Card, CardError, SelectBy, SelectReturn, build};
use crate::cos::Lcs;
use crate::crypto::{Secret, encode_pin};
use crate::profile::fcp;
use crate::profile::keys::{Factors, KeyFile, KeyFileError};
use crate::profile::{Df, Profile};
use crate::transport::Transport;
use thiserror::Error;

/// One APDU of a plan.
#[derive(Clone)]
pub struct Step {
    /// The command name (`CREATE FILE`).
    pub command: &'static str,
    /// What it acts on, in words (`DF ssse (DDF1)`).
    pub target: String,
    /// The APDU.
    pub apdu: Command,
    /// Data bytes from this index on are secret (key or PIN value): masked when printed.
    pub secret_from: Option<usize>,
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Step({} {}: {})",
            self.command,
            self.target,
            self.masked_hex()
        )
    }
}

impl Step {
    fn new(command: &'static str, target: impl Into<String>, apdu: Command) -> Step {
        Step {
            command,
            target: target.into(),
            apdu,
            secret_from: None,
        }
    }

    /// The APDU in spaced hex with secret bytes shown as `**`.
    pub fn masked_hex(&self) -> String {
        let bytes = self.apdu.to_bytes().unwrap_or_default();
        // Header (4) + Lc (1, short form; plans never need extended length).
        let secret_at = self.secret_from.map(|i| 5 + i);
        bytes
            .iter()
            .enumerate()
            .map(|(i, b)| match secret_at {
                Some(s) if i >= s && i < 5 + self.apdu.data.len() => "**".to_string(),
                _ => format!("{b:02X}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        self.apdu.to_bytes().map_or(0, |b| b.len())
    }

    /// Never true for a built step (kept for clippy's `len` convention).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A list of steps.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The steps in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Number of APDUs.
    pub fn apdu_count(&self) -> usize {
        self.steps.len()
    }

    /// Total command bytes.
    pub fn byte_count(&self) -> usize {
        self.steps.iter().map(Step::len).sum()
    }

    /// The plan as text, one numbered APDU a line, secrets masked.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (i, st) in self.steps.iter().enumerate() {
            s.push_str(&format!(
                "{:>3}  {:<14} {:<28} {}\n",
                i + 1,
                st.command,
                st.target,
                st.masked_hex()
            ));
        }
        s.push_str(&format!(
            "{} APDUs, {} bytes\n",
            self.apdu_count(),
            self.byte_count()
        ));
        s
    }
}

/// Why a plan cannot be built or run.
#[derive(Debug, Error)]
pub enum InitError {
    /// A key or PIN cannot be prepared.
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    /// A PIN of the profile or key file cannot be encoded.
    #[error("PIN '{pin}'")]
    Pin {
        /// PIN name.
        pin: String,
        /// What is wrong (never the digits).
        #[source]
        source: crate::crypto::CryptoError,
    },
    /// The profile's keys are for an algorithm a key file cannot compute (SSF33).
    #[error("DF {df}")]
    HardwareOnly {
        /// The DF whose keys these are.
        df: String,
        /// Why (names the algorithm and what to use instead).
        #[source]
        source: crate::session::KeySourceError,
    },
    /// A step was refused or the card link failed.
    #[error("step {step} of {total} ({command} of {target}) failed")]
    Step {
        /// 1-based step number.
        step: usize,
        /// Number of steps.
        total: usize,
        /// The command.
        command: &'static str,
        /// Its target.
        target: String,
        /// The card error (keeps the status word).
        #[source]
        source: CardError,
    },
}

impl InitError {
    /// The status word of a refused step.
    pub fn sw(&self) -> Option<Sw> {
        match self {
            InitError::Step { source, .. } => source.sw(),
            _ => None,
        }
    }
}

/// What is wrong with a file left in the creation state, and what to do.
pub const OPEN_WINDOW: &str = "still in the creation state (8A 01): access conditions are not \
     enforced; run the same `sscard init` again to finish it";

/// The blank records init appends to a record EF, in record order, with their elements:
/// one per element (tag, length, the value all padding: `00` for an/gbk/b, `FF` for
/// cn/date, i.e. an empty value), so that personalization can UPDATE RECORD each one by its
/// tag (ssc-card.md).
pub(super) fn blank_records(ef: &crate::profile::Ef) -> Vec<(&crate::profile::Element, Vec<u8>)> {
    let mut elements: Vec<_> = ef.elements.iter().collect();
    elements.sort_by_key(|e| e.record);
    elements
        .into_iter()
        .map(|e| {
            let fill = match e.padding {
                crate::codec::Padding::Byte(b) => b,
                crate::codec::Padding::NibbleF => 0xFF,
                crate::codec::Padding::LeadingZero | crate::codec::Padding::None => 0x00,
            };
            let blank = crate::tlv::SimpleTlv::new(e.tag, vec![fill; e.length])
                .to_bytes()
                .unwrap_or_default();
            (e, blank)
        })
        .collect()
}

pub(super) fn df_words(df: &Df) -> String {
    match df.fid {
        Some(f) => format!("DF {} ({f:04X})", df.name),
        None => format!("DF {}", df.name),
    }
}

fn select_df(df: &Df) -> Step {
    let by = match (df.fid, &df.aid) {
        (Some(f), _) => SelectBy::Fid(f),
        (None, Some(a)) => SelectBy::Name(a),
        (None, None) => SelectBy::Mf,
    };
    Step::new(
        "SELECT",
        df_words(df),
        build::select(by, SelectReturn::Nothing),
    )
}

fn select_mf() -> Step {
    Step::new(
        "SELECT",
        "MF (3F00)",
        build::select(SelectBy::Mf, SelectReturn::Nothing),
    )
}

fn write_key(id: u8, head: [u8; 3], value: &Secret, target: String) -> Step {
    let [usage, algorithm, max_tries] = head;
    let mut s = Step::new(
        "WRITE KEY",
        target,
        build::write_key(id, usage, algorithm, max_tries, value.expose()),
    );
    s.secret_from = Some(3);
    s
}

fn df_steps(
    plan: &mut Plan,
    df: &Df,
    path: &[&Df],
    keys: &KeyFile,
    factors: &Factors,
    have: Option<&Have>,
) -> Result<(), InitError> {
    for k in &df.keys {
        let key = keys.card_key(k, factors)?;
        let value = Secret::new(key.bytes.to_vec());
        plan.steps.push(write_key(
            k.id,
            [k.role.usage(), k.algorithm.code(), k.max_tries],
            &value,
            format!("key {:02X} {} in {}", k.id, k.name, df.name),
        ));
    }
    for p in &df.pins {
        let digits = keys.initial_pin(p);
        let text = String::from_utf8_lossy(digits.expose()).to_string();
        let bcd = encode_pin(&text).map_err(|source| InitError::Pin {
            pin: p.name.clone(),
            source,
        })?;
        plan.steps.push(write_key(
            p.reference,
            [0x10, 0x00, p.max_tries],
            &bcd,
            format!("PIN {:02X} {} in {}", p.reference, p.name, df.name),
        ));
    }
    for ef in &df.efs {
        // What a torn init left of this EF (resume::Have): kept, completed or rebuilt.
        let (create, built_records) = match have.and_then(|h| h.ef(path, ef.fid)) {
            None => (true, 0),
            Some(EfHave::Records(n)) => (false, n),
            Some(EfHave::Redo) => {
                plan.steps.push(Step::new(
                    "DELETE FILE",
                    format!("EF {} ({:04X}), incomplete", ef.name, ef.fid),
                    build::delete_file(Some(ef.fid)),
                ));
                (true, 0)
            }
        };
        if create {
            plan.steps.push(Step::new(
                "CREATE FILE",
                format!("EF {} ({:04X})", ef.name, ef.fid),
                build::create_file(&fcp::ef_fcp(ef)),
            ));
        }
        // Record EFs get one blank record per element (tag, length, the value all padding:
        // `00` for an/gbk/b, `FF` for cn/date, i.e. an empty value), in record order, so that
        // personalization can UPDATE RECORD each one by its tag (ssc-card.md).
        if let (Some(sfi), true) = (ef.sfi, ef.structure.is_record()) {
            for (e, blank) in blank_records(ef).into_iter().skip(built_records) {
                plan.steps.push(Step::new(
                    "APPEND RECORD",
                    format!(
                        "EF {} ({:04X}) blank record {} tag {:02X}",
                        ef.name, ef.fid, e.record, e.tag
                    ),
                    build::append_record(sfi, &blank),
                ));
            }
        }
    }
    for child in &df.dfs {
        let mut sub = path.to_vec();
        sub.push(child);
        if !have.is_some_and(|h| h.has_df(&sub)) {
            plan.steps.push(Step::new(
                "CREATE FILE",
                df_words(child),
                build::create_file(&fcp::df_fcp(child)),
            ));
        }
        plan.steps.push(select_df(child));
        df_steps(plan, child, &sub, keys, factors, have)?;
        // Back to this DF: from the MF down.
        plan.steps.push(select_mf());
        for d in path.iter().skip(1) {
            plan.steps.push(select_df(d));
        }
    }
    Ok(())
}

/// Builds the init plan of `profile`, with card keys from `keys` diversified by `factors`.
pub fn init_plan(profile: &Profile, keys: &KeyFile, factors: &Factors) -> Result<Plan, InitError> {
    plan_with(profile, keys, factors, None)
}

/// The init plan, leaving out what `have` says a torn init already built (a DF or EF that
/// exists, the blank records already appended) and deleting what it left incomplete. Keys
/// and PINs are always written again (WRITE KEY replaces).
pub(super) fn plan_with(
    profile: &Profile,
    keys: &KeyFile,
    factors: &Factors,
    have: Option<&Have>,
) -> Result<Plan, InitError> {
    for path in profile.dfs() {
        if let Some(df) = path.last().filter(|d| !d.keys.is_empty())
            && let Some(alg) = path.iter().rev().find_map(|d| d.algorithm_id)
        {
            crate::session::refuse_hardware_only(alg).map_err(|source| {
                InitError::HardwareOnly {
                    df: df.name.clone(),
                    source,
                }
            })?;
        }
    }
    let mut plan = Plan::default();
    plan.steps.push(select_mf());
    df_steps(&mut plan, &profile.mf, &[&profile.mf], keys, factors, have)?;
    if profile.mf.lcs == Lcs::Creation {
        // After the last child the MF is selected again; close the manufacturer's window.
        if plan.steps.last().map(|s| s.target.as_str()) != Some("MF (3F00)") {
            plan.steps.push(select_mf());
        }
        // The MF exists on a blank card with the manufacturer's access conditions: give it
        // the profile's while the window is open (it is enforced once the MF is activated).
        plan.steps.push(Step::new(
            "PUT DATA",
            "MF (3F00) access conditions",
            build::put_security(&fcp::security(&profile.mf.access)),
        ));
        plan.steps.push(Step::new(
            "ACTIVATE FILE",
            "MF (3F00)",
            build::activate_file(None),
        ));
    }
    Ok(plan)
}

/// Runs a plan on a card, stopping at the first refused step.
pub fn run(plan: &Plan, t: &mut dyn Transport) -> Result<(), InitError> {
    let mut card = Card::new(t);
    let total = plan.steps.len();
    for (i, st) in plan.steps.iter().enumerate() {
        card.transmit_checked(&st.apdu, st.command, st.target.clone())
            .map_err(|source| InitError::Step {
                step: i + 1,
                total,
                command: st.command,
                target: st.target.clone(),
                source,
            })?;
    }
    Ok(())
}

/// Reads back, with SELECT P2=04, the FCP of every DF and EF init created and compares it with
/// the profile. Returns one line per difference (empty: the card matches). The life cycle of
/// DFs is not compared (enable/disable move it on), except that no DF may be left in the
/// creation state (access conditions not enforced) when the profile's init closes it.
pub fn verify_structure(
    profile: &Profile,
    t: &mut dyn Transport,
) -> Result<Vec<String>, CardError> {
    use crate::card::SelectBy;
    let mut card = Card::new(t);
    let mut diffs = Vec::new();
    let closes = profile.mf.lcs == Lcs::Creation;
    if closes {
        let (mf, _) = card.select_fcp(SelectBy::Mf)?;
        if mf.lcs == Some(Lcs::Creation.byte()) {
            diffs.push(format!("MF (3F00): {OPEN_WINDOW}"));
        }
        // Init gave the MF the profile's access conditions (PUT DATA) before closing it.
        let want = fcp::security(&profile.mf.access);
        if mf.security != Some(want) {
            diffs.push(format!(
                "MF (3F00): access conditions (86): profile {}, card {}",
                crate::apdu::compact(&want.to_bytes()),
                mf.security
                    .map_or("none".into(), |s| crate::apdu::compact(&s.to_bytes()))
            ));
        }
    }
    for path in profile.dfs() {
        card.select(SelectBy::Mf, crate::card::SelectReturn::Nothing)?;
        let Some((df, above)) = path.split_last() else {
            continue;
        };
        for d in above.iter().skip(1) {
            select_by(&mut card, d)?;
        }
        if !above.is_empty() {
            let (got, _) = card
                .select_fcp(by_of(df))
                .map_err(|e| e.with_target(df_words(df)))?;
            for d in fcp::compare(&fcp::df_fcp(df), &got, false) {
                diffs.push(format!("{}: {d}", df_words(df)));
            }
            if closes && got.lcs == Some(Lcs::Creation.byte()) {
                diffs.push(format!("{}: {OPEN_WINDOW}", df_words(df)));
            }
        }
        for ef in &df.efs {
            // Selecting an EF keeps the current DF, so its siblings stay selectable by FID.
            let (got, _) = card
                .select_fcp(SelectBy::Fid(ef.fid))
                .map_err(|e| e.with_target(format!("EF {} ({:04X})", ef.name, ef.fid)))?;
            for d in fcp::compare(&fcp::ef_fcp(ef), &got, true) {
                diffs.push(format!(
                    "EF {} ({:04X}) in {}: {d}",
                    ef.name, ef.fid, df.name
                ));
            }
        }
    }
    Ok(diffs)
}

pub(super) fn by_of(df: &Df) -> crate::card::SelectBy<'_> {
    match (df.fid, &df.aid) {
        (Some(f), _) => crate::card::SelectBy::Fid(f),
        (None, Some(a)) => crate::card::SelectBy::Name(a),
        (None, None) => crate::card::SelectBy::Mf,
    }
}

fn select_by(card: &mut Card<'_>, df: &Df) -> Result<(), CardError> {
    card.select(by_of(df), crate::card::SelectReturn::Nothing)
        .map(|_| ())
        .map_err(|e| e.with_target(df_words(df)))
}
