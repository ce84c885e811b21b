//! The PSAM as a key source: a second card (a PC/SC reader, or `sim:psam.json` in-process)
//! that holds the master keys and computes each cryptogram and MAC, driven by a dialect's
//! named blocks. Key bytes never leave the PSAM; the cryptogram and MAC it answers are
//! captured as secrets (masked in every log and error).

use super::dialect::Dialect;
use crate::apdu::{Sw, compact};
use crate::crypto::{Algorithm, MAC_LEN, Secret, pad_method2};
use crate::error::ErrorChain;
use crate::profile::KeySpec;
use crate::script::{ScriptError, Vars};
use crate::session::{KeySource, KeySourceError, KeyUse};
use crate::transport::{Transport, TransportError, Tx};

/// A transport a key source can own (batch workers share the source across threads).
pub type PsamLink = Box<dyn Transport + Send>;

/// A PSAM in a reader, running a dialect.
pub struct PsamSource {
    what: String,
    card: PsamLink,
    dialect: Dialect,
    terminal: Option<String>,
    /// The status word of the last refused block.
    last_sw: Option<Sw>,
    /// Asks for the PSAM PIN when the PSAM wants one and none was given (once).
    ask_pin: Option<AskPin>,
}

/// Asks the operator for the PSAM PIN (a prompt on a terminal); `None`: no PIN at hand.
pub type AskPin = Box<dyn FnMut() -> Option<Secret> + Send>;

impl std::fmt::Debug for PsamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PsamSource({}, dialect {})",
            self.what, self.dialect.origin
        )
    }
}

/// Opens the PSAM's link: `sim:FILE` is a virtual PSAM in this process, anything else a
/// PC/SC reader name.
pub fn connect(reader: &str) -> Result<PsamLink, TransportError> {
    if let Some(path) = reader.strip_prefix("sim:") {
        if std::fs::metadata(path).is_err() {
            return Err(TransportError::Other(format!(
                "there is no virtual PSAM image {path}: make one with \
                 `sscard sim --psam --image {path} --create --load-keys KEYS.toml`"
            )));
        }
        let chip = crate::sim::transport::ImageCard::open(std::path::Path::new(path))?;
        return Ok(Box::new(crate::sim::transport::SimTransport::new(chip)?));
    }
    let opts = crate::transport::pcsc::ConnectOptions {
        reader: Some(reader.to_string()),
        exclusive: false,
        protocol: crate::transport::pcsc::ProtocolChoice::Any,
    };
    Ok(Box::new(crate::transport::pcsc::PcscCard::connect(&opts)?))
}

fn what_of(reader: &str) -> String {
    match reader.strip_prefix("sim:") {
        Some(path) => format!("virtual PSAM {path}"),
        None => format!("PSAM in reader '{reader}'"),
    }
}

impl PsamSource {
    /// Opens the PSAM in `reader` (a PC/SC reader name or `sim:psam.json`), selects its
    /// application, reads its terminal number and, when `pin` is given, verifies its PIN.
    pub fn open(
        reader: &str,
        dialect: Dialect,
        pin: Option<&Secret>,
    ) -> Result<PsamSource, KeySourceError> {
        let what = what_of(reader);
        let card = connect(reader).map_err(|e| {
            KeySourceError::Missing(format!(
                "the {what} cannot be reached: {e}. Is the PSAM in the reader's SAM slot, and is \
                 the reader name the one `sscard readers` lists?",
                e = e.chain()
            ))
        })?;
        Self::on_link(card, what, dialect, pin)
    }

    /// Asks with `ask` for the PSAM PIN the first time the PSAM refuses to compute without
    /// it (`6982`), when no PIN was given.
    pub fn with_pin_prompt(mut self, ask: AskPin) -> Self {
        self.ask_pin = Some(ask);
        self
    }

    /// The same on a link already open; `what` names the PSAM in messages.
    pub fn on_link(
        card: PsamLink,
        what: String,
        dialect: Dialect,
        pin: Option<&Secret>,
    ) -> Result<PsamSource, KeySourceError> {
        let mut p = PsamSource {
            what,
            card,
            dialect,
            terminal: None,
            last_sw: None,
            ask_pin: None,
        };
        p.run("select", &Vars::new(), "selecting the PSAM application")
            .map_err(|e| match e {
                KeySourceError::Refused(m) => KeySourceError::Missing(format!(
                    "{m}: is it a PSAM of dialect {}? (--psam-dialect)",
                    p.dialect.origin
                )),
                other => other,
            })?;
        if let Some(pin) = pin {
            p.verify_pin(pin)?;
        }
        let vars = p.run(
            "terminal-number",
            &Vars::new(),
            "reading the terminal number",
        )?;
        p.terminal = Some(terminal_digits(&p.what, vars.get("TERMINAL_NO"))?);
        Ok(p)
    }

    fn verify_pin(&mut self, pin: &Secret) -> Result<(), KeySourceError> {
        let digits = String::from_utf8_lossy(pin.expose()).to_string();
        let bcd = crate::crypto::encode_pin(&digits).map_err(|e| {
            KeySourceError::Refused(format!(
                "the PIN for the {} (SSCARD_PSAM_PIN): {e}",
                self.what,
                e = e.chain()
            ))
        })?;
        let mut vars = Vars::new();
        vars.set_secret("PSAM_PIN", compact(bcd.expose()));
        vars.set("PIN_LC", format!("{:02X}", bcd.len()));
        self.run(
            "verify-pin",
            &vars,
            "verifying the PSAM PIN (SSCARD_PSAM_PIN)",
        )
        .map(|_| ())
    }

    /// Runs one block of the dialect in one transaction on the PSAM; the captures come back.
    fn run(&mut self, block: &str, vars: &Vars, doing: &str) -> Result<Vars, KeySourceError> {
        let mut vars = vars.clone();
        vars.mark_secret("RESULT");
        let what = self.what.clone();
        let lost = |e: TransportError| {
            KeySourceError::Missing(format!(
                "{doing} on the {what}: {e} (was the PSAM removed?)",
                e = e.chain()
            ))
        };
        let mut tx = Tx::begin(&mut *self.card).map_err(lost)?;
        let r = self.dialect.script.run_block(block, &mut tx, &vars);
        tx.end().map_err(lost)?;
        match r {
            Ok(report) => Ok(report.vars),
            Err(ScriptError::Expectation(m)) => {
                self.last_sw = Some(m.sw);
                Err(self.refused(m.sw, block, doing))
            }
            Err(ScriptError::Transport { source, .. }) => Err(lost(source)),
            Err(other) => Err(KeySourceError::Refused(format!(
                "{doing} on the {what}: {other}"
            ))),
        }
    }

    /// The PSAM refused block `block` with `sw`: what it means for the operator.
    fn refused(&self, sw: Sw, block: &str, doing: &str) -> KeySourceError {
        let what = &self.what;
        let answered = format!(
            "the {what} answered {} ({}) to block '{block}' of dialect {}",
            compact(&sw.to_bytes()),
            sw.meaning(),
            self.dialect.origin
        );
        match sw.0 {
            0x6A88 => KeySourceError::NoKey(format!(
                "{doing}: {answered}: it holds no such key; load the master key into the PSAM, or use the PSAM made for these cards"
            )),
            0x6982 => KeySourceError::Refused(format!(
                "{doing}: {answered}: the PSAM needs its PIN first: set SSCARD_PSAM_PIN"
            )),
            0x6983 | 0x63C0..=0x63CF => KeySourceError::Refused(format!(
                "{doing}: {answered}: wrong PSAM PIN (63Cx: x tries left; 6983: blocked); it is not tried again"
            )),
            0x6985 => KeySourceError::Refused(format!(
                "{doing}: {answered}: the key's usage on the PSAM does not allow this operation"
            )),
            _ => KeySourceError::Refused(format!("{doing}: {answered}")),
        }
    }

    fn key_vars(&self, spec: &KeySpec, k: &KeyUse<'_>) -> Result<Vars, KeySourceError> {
        let (usage, version) = self.dialect.address(spec).map_err(KeySourceError::NoKey)?;
        let factors: Vec<u8> = k.chain.levels.iter().flat_map(|l| l.factor).collect();
        let mut vars = Vars::new();
        vars.set("KEY_USAGE", format!("{usage:02X}"));
        vars.set("KEY_VERSION", format!("{version:02X}"));
        vars.set("FACTORS", compact(&factors));
        vars.set(
            "FACTORS_LC",
            if factors.is_empty() {
                String::new()
            } else {
                format!("{:02X}", factors.len())
            },
        );
        Ok(vars)
    }

    fn compute(
        &mut self,
        k: &KeyUse<'_>,
        block: &str,
        mut vars: Vars,
    ) -> Result<Vec<u8>, KeySourceError> {
        let doing = format!(
            "{} with key '{}' ({})",
            if block == "mac" {
                "computing the MAC"
            } else {
                "computing the cryptogram"
            },
            k.spec.name,
            k.spec.algorithm
        );
        vars.extend(&self.key_vars(k.spec, k)?);
        let out = match self.run(block, &vars, &doing) {
            // The PSAM wants its PIN and none was given: ask once, then try again.
            Err(_) if self.last_sw == Some(Sw(0x6982)) && self.ask_pin.is_some() => {
                let pin = self.ask_pin.take().and_then(|mut ask| ask());
                let pin = pin.ok_or_else(|| {
                    KeySourceError::Refused(format!(
                        "the {} needs its PIN: set SSCARD_PSAM_PIN",
                        self.what
                    ))
                })?;
                self.verify_pin(&pin)?;
                self.run(block, &vars, &doing)?
            }
            other => other?,
        };
        let result = out.get("RESULT").unwrap_or_default();
        crate::apdu::parse_hex(result).map_err(|_| {
            KeySourceError::Refused(format!("{doing}: the {} gave no result", self.what))
        })
    }
}

fn block_of(alg: Algorithm) -> usize {
    alg.block_len()
}

fn terminal_digits(what: &str, hex: Option<&str>) -> Result<String, KeySourceError> {
    let digits: String = hex.unwrap_or_default().split_whitespace().collect();
    if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(KeySourceError::Refused(format!(
            "the {what}'s terminal number is not 12 decimal digits (BCD): {digits}"
        )))
    }
}

impl KeySource for PsamSource {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn cryptogram(&mut self, k: &KeyUse<'_>, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        let bl = block_of(k.spec.algorithm);
        let mut data = challenge.to_vec();
        data.resize(data.len().div_ceil(bl).max(1) * bl, 0);
        let mut vars = Vars::new();
        vars.set("LC", format!("{:02X}", data.len()));
        vars.set("DATA", compact(&data));
        let out = self.compute(k, "encrypt", vars)?;
        if out.len() != data.len() {
            return Err(KeySourceError::Refused(format!(
                "the {} answered {} bytes to the encryption of {} (expected {})",
                self.what,
                out.len(),
                data.len(),
                data.len()
            )));
        }
        Ok(out)
    }

    fn mac(
        &mut self,
        k: &KeyUse<'_>,
        challenge: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], KeySourceError> {
        let bl = block_of(k.spec.algorithm);
        let mut iv = challenge.to_vec();
        iv.resize(bl, 0);
        let padded = pad_method2(data, bl);
        let lc = u8::try_from(iv.len() + padded.len()).map_err(|_| {
            KeySourceError::Refused(format!(
                "a message of {} bytes is too long for one MAC command to the {}",
                data.len(),
                self.what
            ))
        })?;
        let mut vars = Vars::new();
        vars.set("LC", format!("{lc:02X}"));
        vars.set("IV", compact(&iv));
        vars.set("DATA", compact(&padded));
        let out = self.compute(k, "mac", vars)?;
        out.try_into().map_err(|_| {
            KeySourceError::Refused(format!("the {} gave a MAC that is not 4 bytes", self.what))
        })
    }

    fn terminal_number(&mut self) -> Result<Option<String>, KeySourceError> {
        Ok(self.terminal.clone())
    }
}
