//! The virtual card: an ISO 7816 chip in software that enforces access conditions, PIN
//! counters and life-cycle states as a real chip does. A product feature: `sscard sim`,
//! `sscard demo` and the `sim:PATH` reader run on it.
//!
//! What it does, its image format and its fault modes are documented in docs/virtual-card.md;
//! the FCP, security-attribute and key-loading contract it shares with `sscard init` and
//! `sscard perso` is docs/cos.md.
//!
//! Layout: `fs` (the file tree), `fcp` (its files as `tlv::Fcp`: SELECT responses, CREATE
//! FILE data), `select`, `binary`, `record`, `admin` (CREATE/DELETE/ACTIVATE/DEACTIVATE/
//! TERMINATE) are the file system; `security` is the plug-in point of the security commands
//! and access-condition evaluation; `image` the saved state; `fault` the fault injection;
//! `psam` the PSAM's computation commands when the image is a PSAM.

mod admin;
pub mod bank;
mod binary;
pub mod fault;
pub mod fcp;
pub mod feed;
pub mod fs;
pub mod image;
pub mod psam;
mod record;
pub mod security;
mod select;
pub mod transport;
pub mod vpcd;

pub use fault::{Defect, FaultConfig, Intermittent, InterruptedWrite};
pub use image::{CardState, DEFAULT_ATR, DEFAULT_ATR_T0, ImageError};

use crate::apdu::{Command, Sw};
use fault::Prng;
use fs::{Node, Op, Path};
use security::{SecurityState, SmContext};

/// The outcome of a file-system command: data and a success or warning status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub data: Vec<u8>,
    pub sw: Sw,
}

impl Reply {
    pub fn ok(data: Vec<u8>) -> Reply {
        Reply { data, sw: Sw::OK }
    }
    pub fn empty() -> Reply {
        Reply::ok(Vec::new())
    }
}

/// Result of a command handler: a reply, or an error status word (no data).
pub(crate) type CmdResult = Result<Reply, Sw>;

/// A virtual card: file system, keys, counters, life cycle, ATR, fault modes.
///
/// The persistent part ([`CardState`]) is what the image file holds; the rest (power,
/// current DF/EF/record, security state, pending response data) is lost on power-off, as on
/// a chip. `process` does no file I/O: the image is written only by [`VirtualCard::save`].
pub struct VirtualCard {
    /// Everything the image stores.
    pub(crate) state: CardState,
    powered: bool,
    /// The current DF (tree path from the MF).
    pub(crate) cur_df: Path,
    /// The current EF: index among the current DF's children.
    pub(crate) cur_ef: Option<usize>,
    /// The current record of the current EF (0-based index into its records).
    pub(crate) cur_record: Option<usize>,
    /// Response data waiting for GET RESPONSE, and the status word to end it with.
    pending: Vec<u8>,
    pending_sw: Sw,
    /// The security state (PINs verified, authentications done): owned by `security`.
    pub(crate) security: SecurityState,
    /// What secure messaging proved for the command being processed.
    pub(crate) sm: SmContext,
    /// A PSAM's card key derived by `80 1A`, for the next `80 FA` only.
    pub(crate) psam_pending: Option<psam::Pending>,
    apdus_since_power_on: u64,
    prng: Prng,
    stats: CardStats,
}

/// Counters of what the card did since it was created or loaded (not saved in the image).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardStats {
    /// APDUs received while powered (answered or not).
    pub apdus: u64,
    /// APDUs failed on purpose by the intermittent-failure fault.
    pub injected_failures: u64,
    /// Total delay added by the slow-response fault, milliseconds.
    pub delayed_ms: u64,
    /// Simulated power losses.
    pub power_losses: u64,
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // File contents and keys stay out of Debug output.
        f.debug_struct("VirtualCard")
            .field("powered", &self.powered)
            .field("current_df", &fs::describe(&self.state.mf, &self.cur_df))
            .field("t0", &self.state.t0)
            .field("faults", &self.state.faults)
            .finish_non_exhaustive()
    }
}

impl Default for VirtualCard {
    fn default() -> Self {
        VirtualCard::blank()
    }
}

impl VirtualCard {
    /// A blank card: an empty MF (creation state) and the documented test keys.
    pub fn blank() -> Self {
        VirtualCard::from_state(CardState::blank())
    }

    /// A card in the given state (for example one loaded from an image), powered off.
    pub fn from_state(state: CardState) -> Self {
        let prng = Prng::new(state.faults.intermittent.map(|i| i.seed).unwrap_or(0));
        VirtualCard {
            state,
            powered: false,
            cur_df: Vec::new(),
            cur_ef: None,
            cur_record: None,
            pending: Vec::new(),
            pending_sw: Sw::OK,
            security: SecurityState::default(),
            sm: SmContext::default(),
            psam_pending: None,
            apdus_since_power_on: 0,
            prng,
            stats: CardStats::default(),
        }
    }

    /// What the card did since it was created or loaded.
    pub fn stats(&self) -> CardStats {
        self.stats
    }

    /// The persistent state (what [`VirtualCard::save`] writes).
    pub fn state(&self) -> &CardState {
        &self.state
    }

    /// Powers the card up (or resets it); returns its ATR, or `None` for a dead chip.
    /// The MF becomes the current DF and the security state is cleared.
    pub fn power_on(&mut self) -> Option<Vec<u8>> {
        self.reset_volatile();
        if self.state.faults.dead {
            self.powered = false;
            return None;
        }
        self.powered = true;
        Some(self.state.atr.0.clone())
    }

    /// Powers the card down (security state, selection and pending data are lost).
    pub fn power_off(&mut self) {
        self.reset_volatile();
        self.powered = false;
    }

    /// True between `power_on` and `power_off` (or a simulated power loss).
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    fn reset_volatile(&mut self) {
        self.cur_df.clear();
        self.cur_ef = None;
        self.cur_record = None;
        self.pending.clear();
        self.security.clear();
        self.sm = SmContext::default();
        self.psam_pending = None;
        self.apdus_since_power_on = 0;
    }

    /// The ATR the card answers with.
    pub fn atr(&self) -> &[u8] {
        &self.state.atr.0
    }

    /// Replaces the ATR (taken at the next `power_on`).
    pub fn set_atr(&mut self, atr: Vec<u8>) {
        self.state.atr = fs::Hex(atr);
    }

    /// True when the card behaves as a T=0 card (61xx / GET RESPONSE, 6Cxx on a wrong Le).
    pub fn is_t0(&self) -> bool {
        self.state.t0
    }

    /// Switches T=0 behaviour on or off (saved in the image). A card with one of the two
    /// default ATRs gets the other one ([`DEFAULT_ATR_T0`] in T=0 mode, [`DEFAULT_ATR`]
    /// otherwise) at the next power-on; an ATR set by the user is kept.
    pub fn set_t0(&mut self, on: bool) {
        self.state.t0 = on;
        let atr = &self.state.atr.0;
        if atr.as_slice() == DEFAULT_ATR || atr.as_slice() == DEFAULT_ATR_T0 {
            let new = if on {
                &DEFAULT_ATR_T0[..]
            } else {
                &DEFAULT_ATR[..]
            };
            self.state.atr = fs::Hex(new.to_vec());
        }
    }

    /// The fault configuration.
    pub fn faults(&self) -> &FaultConfig {
        &self.state.faults
    }

    /// Replaces the fault configuration (saved in the image). Memory-failure paths are
    /// normalised (`DDF1/EF05` → `3F00/DDF1/EF05`); the intermittent PRNG restarts from its
    /// seed.
    pub fn set_faults(&mut self, mut faults: FaultConfig) {
        faults.normalise();
        self.prng = Prng::new(faults.intermittent.map(|i| i.seed).unwrap_or(0));
        self.state.faults = faults;
    }

    /// The path of the current DF (tree indices from the MF).
    pub fn current_df_path(&self) -> &[usize] {
        &self.cur_df
    }

    /// The current DF.
    pub(crate) fn current_df(&self) -> &Node {
        fs::node_at(&self.state.mf, &self.cur_df).unwrap_or(&self.state.mf)
    }

    /// The node at `path`.
    pub fn node(&self, path: &[usize]) -> Option<&Node> {
        fs::node_at(&self.state.mf, path)
    }

    /// The node at `path`, mutable.
    pub fn node_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        fs::node_at_mut(&mut self.state.mf, path)
    }

    /// The path of the current EF, if there is one.
    pub(crate) fn current_ef_path(&self) -> Option<Path> {
        let i = self.cur_ef?;
        let mut p = self.cur_df.clone();
        p.push(i);
        Some(p)
    }

    /// Makes the DF at `df` current (clearing the security state if it changes) and the EF
    /// with index `ef` in it the current EF.
    pub(crate) fn set_current(&mut self, df: Path, ef: Option<usize>) {
        if df != self.cur_df {
            self.security.clear();
            self.psam_pending = None;
        }
        if df != self.cur_df || ef != self.cur_ef {
            self.cur_record = None;
        }
        self.cur_df = df;
        self.cur_ef = ef;
    }

    /// The access check every file-system command runs before it reads, writes, creates,
    /// deletes, activates or deactivates: life cycle first, then the access condition byte
    /// of `op` evaluated by the security module ([`security::evaluate`]).
    ///
    /// `target` is the file operated on; for [`Op::Create`] it is the DF the new file goes
    /// into. Rules (docs/virtual-card.md, docs/cos.md):
    /// - a terminated file, or a terminated DF above it: 6985;
    /// - a deactivated DF above the file, or the file itself deactivated: 6985 for read,
    ///   update, create and delete (ACTIVATE of the deactivated file itself is evaluated);
    /// - the file itself or any DF above it in the creation state: allowed (the
    ///   manufacturer's window covers the whole subtree; docs/cos.md);
    /// - otherwise the access condition decides, with the keys of the DF itself (for a DF)
    ///   or of the EF's DF.
    pub fn check_access(&self, target: &[usize], op: Op) -> Result<(), Sw> {
        self.access(target, op, false)
    }

    /// The access check of WRITE KEY into the DF `df` (its *create* condition): like
    /// [`VirtualCard::check_access`], and in a deactivated DF allowed to the issuer's station
    /// once an external authentication holds (a forced re-personalization sets the new
    /// holder's PIN).
    pub(crate) fn check_key_load(&self, df: &[usize]) -> Result<(), Sw> {
        self.access(df, Op::Create, true)
    }

    fn access(&self, target: &[usize], op: Op, key_load: bool) -> Result<(), Sw> {
        let node = self.node(target).ok_or(Sw::FILE_NOT_FOUND)?;
        let read = op == Op::Read;
        // Defect switch (fault.rs): a deactivated file or DF does not stop a read.
        let lax = read && self.state.faults.has(fault::Defect::DeactivatedReadable);
        // A deactivated application stays open to the issuer's station only: READ and
        // UPDATE once an external authentication holds in it (a forced re-personalization
        // rewrites and verifies it before activating it again; docs/cos.md).
        let issuer = (key_load || matches!(op, Op::Read | Op::Update)) && self.security.any_auth();
        let lax = lax || issuer;
        for depth in 0..target.len() {
            let above = target
                .get(..depth)
                .and_then(|t| self.node(t))
                .ok_or(Sw::FILE_NOT_FOUND)?;
            if above.lcs == fs::Lcs::Terminated || (above.lcs == fs::Lcs::Deactivated && !lax) {
                return Err(Sw::CONDITIONS_NOT_SATISFIED);
            }
        }
        match node.lcs {
            fs::Lcs::Terminated => return Err(Sw::CONDITIONS_NOT_SATISFIED),
            fs::Lcs::Deactivated if !lax && !matches!(op, Op::Activate | Op::Deactivate) => {
                return Err(Sw::CONDITIONS_NOT_SATISFIED);
            }
            _ => {}
        }
        let key_df: &[usize] = if node.is_df() {
            target
        } else {
            target.split_last().map_or(&[][..], |(_, up)| up)
        };
        for depth in 0..=target.len() {
            let n = target
                .get(..depth)
                .and_then(|t| self.node(t))
                .ok_or(Sw::FILE_NOT_FOUND)?;
            if n.lcs == fs::Lcs::Creation {
                return Ok(());
            }
        }
        if matches!(op, Op::Read | Op::Update)
            && self.state.faults.has(fault::Defect::AccessNotEnforced)
        {
            return Ok(());
        }
        security::evaluate(self, key_df, node.ac(op))
    }

    /// Answers 6581 when the fault configuration marks the file at `path` as failing.
    pub(crate) fn memory_check(&self, path: &[usize]) -> Result<(), Sw> {
        if self.state.faults.memory_failure.is_empty() {
            return Ok(());
        }
        let name = fs::describe(&self.state.mf, path);
        if self.state.faults.memory_failure.contains(&name) {
            return Err(Sw::MEMORY_FAILURE);
        }
        Ok(())
    }

    /// Processes one command APDU; returns the response (data + SW), or `None` when the card
    /// gives no answer (not powered, power lost, dead chip). Never panics on any input.
    pub fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        if !self.powered || self.state.faults.dead {
            return None;
        }
        self.apdus_since_power_on += 1;
        self.stats.apdus += 1;
        if let Some(n) = self.state.faults.power_loss_at
            && self.apdus_since_power_on >= n
        {
            if self.state.faults.interrupted_write == InterruptedWrite::Done {
                let _ = self.execute(apdu);
            }
            if !self.state.faults.power_loss_repeat {
                self.state.faults.power_loss_at = None;
            }
            self.power_off();
            self.stats.power_losses += 1;
            return None;
        }
        if self.state.faults.delay_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.state.faults.delay_ms));
            self.stats.delayed_ms += self.state.faults.delay_ms;
        }
        if let Some(i) = self.state.faults.intermittent
            && self.prng.hit(i.rate)
        {
            self.pending.clear();
            self.stats.injected_failures += 1;
            return Some(Sw(i.sw).to_bytes().to_vec());
        }
        Some(self.execute(apdu))
    }

    /// Parses, checks the class, and runs one command; formats the answer for T=0 or T=1.
    fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let cmd = match Command::parse(apdu) {
            Ok(c) => c,
            Err(_) => return self.fail(Sw::WRONG_LENGTH),
        };
        self.sm = SmContext::default();
        if let Err(sw) = check_class(cmd.cla) {
            return self.fail(sw);
        }
        if cmd.ins == 0xC0 && cmd.cla & 0x0C == 0 {
            return self.get_response(&cmd);
        }
        self.pending.clear();
        let cmd = if cmd.cla & 0x0C != 0 {
            match security::unwrap_secure_messaging(self, cmd) {
                Ok((plain, ctx)) => {
                    self.sm = ctx;
                    plain
                }
                Err(sw) => return self.fail(sw),
            }
        } else {
            cmd
        };
        let result = self.dispatch(&cmd);
        self.finish(&cmd, result)
    }

    fn fail(&mut self, sw: Sw) -> Vec<u8> {
        self.pending.clear();
        sw.to_bytes().to_vec()
    }

    /// The command dispatcher (by INS). File-system commands are handled here; everything
    /// else goes to [`security::dispatch`]; an INS nobody knows answers 6D00.
    fn dispatch(&mut self, cmd: &Command) -> CmdResult {
        if let Some(r) = psam::dispatch(self, cmd) {
            return r;
        }
        match cmd.ins {
            0xA4 => self.select(cmd),
            0xB0 => self.read_binary(cmd),
            0xD6 => self.update_binary(cmd),
            0xB2 => self.read_record(cmd),
            0xDC => self.update_record(cmd),
            0xE2 => self.append_record(cmd),
            0xE0 => self.create_file(cmd),
            0xE4 => self.delete_file(cmd),
            0x44 => self.activate_file(cmd, true),
            0x04 => self.activate_file(cmd, false),
            0xE6 => self.terminate_df(cmd),
            0xDA if cmd.cla & 0x80 == 0 => self.put_security(cmd),
            _ => match security::dispatch(self, cmd) {
                Some(Ok(data)) => Ok(Reply::ok(data)),
                Some(Err(sw)) => Err(sw),
                None => Err(Sw::INS_NOT_SUPPORTED),
            },
        }
    }

    /// Turns a handler's result into response bytes. T=1 (default): the data (at most Ne
    /// bytes, the rest waiting for GET RESPONSE behind 61xx) and the status word. T=0: a
    /// case-2 command whose Le is not the exact length gets 6Cxx; data of any other case is
    /// announced with 61xx and fetched with GET RESPONSE.
    fn finish(&mut self, cmd: &Command, result: CmdResult) -> Vec<u8> {
        let reply = match result {
            Ok(r) => r,
            Err(sw) => return self.fail(sw),
        };
        if reply.data.is_empty() {
            return reply.sw.to_bytes().to_vec();
        }
        if self.state.t0 {
            if cmd.data.is_empty() && cmd.le.is_some() {
                let ne = cmd.le.unwrap_or(256);
                if reply.data.len() != ne {
                    return Sw::from_bytes(0x6C, short_len(reply.data.len()))
                        .to_bytes()
                        .to_vec();
                }
                let mut out = reply.data;
                out.extend_from_slice(&reply.sw.to_bytes());
                return out;
            }
            let n = reply.data.len();
            self.pending = reply.data;
            self.pending_sw = reply.sw;
            return Sw::from_bytes(0x61, short_len(n)).to_bytes().to_vec();
        }
        let ne = cmd.le.unwrap_or(256);
        let mut out = reply.data;
        if out.len() > ne {
            self.pending = out.split_off(ne);
            self.pending_sw = reply.sw;
            out.extend_from_slice(&[0x61, short_len(self.pending.len())]);
            return out;
        }
        out.extend_from_slice(&reply.sw.to_bytes());
        out
    }

    /// GET RESPONSE (ISO/IEC 7816-4 §11.5.1): hands out data left by the previous command.
    fn get_response(&mut self, cmd: &Command) -> Vec<u8> {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return self.fail(Sw::WRONG_P1P2);
        }
        if !cmd.data.is_empty() {
            return self.fail(Sw::WRONG_LENGTH);
        }
        if self.pending.is_empty() {
            return self.fail(Sw::CONDITIONS_NOT_SATISFIED);
        }
        let ne = cmd.le.unwrap_or(256);
        if self.state.t0 && ne > self.pending.len() && cmd.le.is_some() {
            return Sw::from_bytes(0x6C, short_len(self.pending.len()))
                .to_bytes()
                .to_vec();
        }
        let n = ne.min(self.pending.len());
        let mut out: Vec<u8> = self.pending.drain(..n).collect();
        if self.pending.is_empty() {
            out.extend_from_slice(&self.pending_sw.to_bytes());
        } else {
            out.extend_from_slice(&[0x61, short_len(self.pending.len())]);
        }
        out
    }
}

/// SW2 of 61xx / 6Cxx for a length (256 and more are `00`).
fn short_len(n: usize) -> u8 {
    if n >= 256 { 0 } else { n as u8 }
}

/// Checks a class byte: first interindustry (`0x`, `1x`) or proprietary (`8x`, `9x`) classes
/// on the basic logical channel, no command chaining.
fn check_class(cla: u8) -> Result<(), Sw> {
    if cla == 0xFF || cla & 0x60 != 0 {
        return Err(Sw::CLA_NOT_SUPPORTED);
    }
    if cla & 0x03 != 0 {
        return Err(Sw(0x6881));
    }
    if cla & 0x10 != 0 {
        return Err(Sw(0x6884));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
