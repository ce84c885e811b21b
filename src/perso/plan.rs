//! The personalization plan: the steps as data, before anything is sent.
//!
//! A plan can be printed (`sscard perso --dry-run`), counted in APDUs and bytes, and tested
//! without a card. The builder simulates the card's security state the way the session tracks
//! it, so the plan holds exactly the APDUs the run sends on a blank card: one SELECT of the
//! application, one authentication per key while the state holds, one UPDATE RECORD per
//! element, the PIN, one READ RECORD per element to verify, then ACTIVATE and a confirming
//! SELECT.

use super::spec::{AppSpec, ElementRef, EnableHow, Encoded};
use crate::apdu::{Command, spaced};
use crate::card::{RecordRef, SelectBy, SelectReturn, build};
use crate::cos::AccessCondition;
use crate::crypto::{CHALLENGE_LEN, MAC_LEN, Secret};
use std::collections::BTreeSet;
use std::fmt;

/// One step of a plan.
#[derive(Debug, Clone)]
pub enum Step {
    /// SELECT the MF (FCP: a card whose MF is still in the creation state, security not
    /// enforced, is refused), then the application DF by name (FCP returned: it tells the
    /// life cycle state).
    Select {
        /// DF name.
        name: Vec<u8>,
        /// Label for messages (`SSSE`).
        label: String,
    },
    /// GET CHALLENGE + EXTERNAL AUTHENTICATE with a key of the current DF.
    Authenticate {
        /// Key id on the card.
        key_id: u8,
        /// Key label from the profile.
        label: String,
    },
    /// READ RECORD of the holder's identity element: whose card is this?
    CheckHolder {
        /// The element (the social security number).
        el: ElementRef,
        /// The value this record would write.
        expected: Vec<u8>,
    },
    /// UPDATE RECORD of one element, record found by its tag (record-identifier mode).
    Update {
        /// The element.
        el: ElementRef,
        /// The value bytes (the record written is `tag len value`).
        value: Vec<u8>,
        /// Secure messaging with this key id, when the file asks for a MAC.
        mac: Option<u8>,
    },
    /// Set the initial PIN (WRITE KEY, usage `10`, docs/cos.md).
    SetPin {
        /// PIN reference.
        reference: u8,
        /// Tries allowed.
        tries: u8,
        /// The PIN, BCD-encoded. Never printed.
        pin: Secret,
    },
    /// READ RECORD of one element and byte-for-byte comparison.
    ReadBack {
        /// The element.
        el: ElementRef,
        /// The value expected.
        expected: Vec<u8>,
    },
    /// Activate the application.
    Activate {
        /// DF label.
        label: String,
        /// DF file identifier (ACTIVATE FILE addresses the DF by it).
        fid: Option<u16>,
        /// How.
        how: EnableHow,
    },
    /// SELECT the application again to read its life cycle state (must be active).
    Confirm {
        /// DF name.
        name: Vec<u8>,
        /// DF label.
        label: String,
    },
}

/// An APDU as the plan shows it: secret parts replaced by a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedApdu {
    /// The command as printed (`00 DC 08 30 14 08 12 ...` or `... <cryptogram 8 bytes>`).
    pub text: String,
    /// Bytes sent.
    pub bytes_out: usize,
    /// Bytes expected back (data + SW).
    pub bytes_in: usize,
}

impl PlannedApdu {
    fn plain(cmd: &Command, data_in: usize) -> Self {
        let bytes = cmd.to_bytes().unwrap_or_default();
        PlannedApdu {
            text: spaced(&bytes),
            bytes_out: bytes.len(),
            bytes_in: data_in + 2,
        }
    }
    fn masked(header: [u8; 4], what: &str, len: usize) -> Self {
        PlannedApdu {
            text: format!("{} {len:02X} <{what} {len} bytes>", spaced(&header)),
            bytes_out: 5 + len,
            bytes_in: 2,
        }
    }
}

/// The commands of each step (the builders of [`crate::card`]).
impl Step {
    /// The APDUs this step sends on a card in the expected state.
    pub fn apdus(&self, cryptogram_len: usize) -> Vec<PlannedApdu> {
        let challenge = || PlannedApdu::plain(&build::get_challenge(CHALLENGE_LEN), CHALLENGE_LEN);
        match self {
            // The MF's FCP first: a card still in the creation state is refused.
            Step::Select { name, .. } => vec![
                PlannedApdu::plain(&build::select(SelectBy::Mf, SelectReturn::Fcp), 32),
                PlannedApdu::plain(&build::select(SelectBy::Name(name), SelectReturn::Fcp), 32),
            ],
            Step::Confirm { name, .. } => {
                vec![PlannedApdu::plain(
                    &build::select(SelectBy::Name(name), SelectReturn::Fcp),
                    32,
                )]
            }
            Step::Authenticate { key_id, .. } => vec![
                challenge(),
                PlannedApdu::masked([0x00, 0x82, 0x00, *key_id], "cryptogram", cryptogram_len),
            ],
            Step::CheckHolder { el, expected } | Step::ReadBack { el, expected } => {
                vec![PlannedApdu::plain(
                    &build::read_record(el.sfi, RecordRef::Tag(el.tag), expected.len() + 2),
                    expected.len() + 2,
                )]
            }
            Step::Update { el, value, mac } => {
                let cmd = build::update_record(
                    el.sfi,
                    RecordRef::Tag(el.tag),
                    &tlv_record(el.tag, value),
                );
                match mac {
                    None => vec![PlannedApdu::plain(&cmd, 0)],
                    Some(_) => {
                        let mut sm = PlannedApdu::plain(&cmd, 0);
                        sm.text = format!("{} (CLA 04, + {MAC_LEN}-byte MAC)", sm.text);
                        sm.bytes_out += MAC_LEN;
                        vec![challenge(), sm]
                    }
                }
            }
            Step::SetPin {
                reference,
                tries,
                pin,
            } => vec![PlannedApdu {
                text: format!(
                    "80 D4 00 {reference:02X} {:02X} 10 00 {tries:02X} <PIN {} bytes>",
                    3 + pin.len(),
                    pin.len()
                ),
                bytes_out: 8 + pin.len(),
                bytes_in: 2,
            }],
            Step::Activate { how, fid, .. } => match how {
                EnableHow::ActivateFile => {
                    vec![PlannedApdu::plain(&build::activate_file(*fid), 0)]
                }
                EnableHow::Script { script, block } => vec![PlannedApdu {
                    text: format!(
                        "(block `{block}` of {}: its APDUs, not counted here)",
                        script.display()
                    ),
                    bytes_out: 0,
                    bytes_in: 0,
                }],
            },
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Select { label, .. } => {
                write!(
                    f,
                    "check the MF is out of the creation state, select {label} by name"
                )
            }
            Step::Authenticate { key_id, label } => {
                write!(f, "external authentication, key {key_id:02X} ({label})")
            }
            Step::CheckHolder { el, .. } => write!(f, "check whose card it is: read {el}"),
            Step::Update { el, mac, .. } => match mac {
                None => write!(f, "write {el}"),
                Some(k) => write!(f, "write {el} (MAC with key {k:02X})"),
            },
            Step::SetPin {
                reference, tries, ..
            } => {
                write!(
                    f,
                    "set the initial PIN (reference {reference:02X}, {tries} tries)"
                )
            }
            Step::ReadBack { el, .. } => write!(f, "verify {el}"),
            Step::Activate { label, how, .. } => match how {
                EnableHow::ActivateFile => write!(f, "enable {label} (ACTIVATE FILE)"),
                EnableHow::Script { script, block } => write!(
                    f,
                    "enable {label} (block `{block}` of {})",
                    script.display()
                ),
            },
            Step::Confirm { label, .. } => write!(f, "confirm {label} is enabled (SELECT, LCS 05)"),
        }
    }
}

/// A SIMPLE-TLV record `tag len value` ([`crate::tlv::SimpleTlv`]). Profile elements are
/// checked to fit their record, so the encoding cannot fail; if it did, the bare value is
/// returned and the card refuses it.
pub fn tlv_record(tag: u8, value: &[u8]) -> Vec<u8> {
    crate::tlv::SimpleTlv::new(tag, value.to_vec())
        .to_bytes()
        .unwrap_or_else(|_| value.to_vec())
}

/// A plan that cannot be built from the profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the profile does not allow {what}: access condition {:02X} ({access}); fix the profile (or the card product) first",
    access.to_byte()
)]
pub struct PlanError {
    /// What the plan needed to do.
    pub what: String,
    /// The access condition that forbids it.
    pub access: AccessCondition,
}

/// What the plan includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Set the initial PIN.
    pub set_pin: bool,
    /// Enable the application after verifying.
    pub enable: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            set_pin: true,
            enable: true,
        }
    }
}

/// A personalization plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Length of an authentication cryptogram for this profile's algorithm.
    pub cryptogram_len: usize,
}

struct Builder<'a> {
    app: &'a AppSpec,
    steps: Vec<Step>,
    held: BTreeSet<u8>,
}

impl<'a> Builder<'a> {
    /// A plan that starts by selecting the application DF, holding no key yet.
    fn selecting(app: &'a AppSpec) -> Self {
        Builder {
            app,
            steps: vec![Step::Select {
                name: app.df_name.clone(),
                label: app.df_label.clone(),
            }],
            held: BTreeSet::new(),
        }
    }

    /// Adds what `access` needs before an operation; returns the MAC key id if it asks for one.
    fn need(&mut self, access: AccessCondition, what: &str) -> Result<Option<u8>, PlanError> {
        match access {
            AccessCondition::Always => Ok(None),
            AccessCondition::ExternalAuth(k) => {
                if self.held.insert(k) {
                    self.steps.push(Step::Authenticate {
                        key_id: k,
                        label: self.app.key_label(k),
                    });
                }
                Ok(None)
            }
            AccessCondition::SecureMessaging(k) => Ok(Some(k)),
            AccessCondition::Pin(_) | AccessCondition::Never | AccessCondition::Other(_) => {
                Err(PlanError {
                    what: what.to_string(),
                    access,
                })
            }
        }
    }
}

impl Plan {
    /// The full personalization of one record: select, check the holder, authenticate, write
    /// every element, set the PIN, read every element back, enable, confirm.
    pub fn perso(
        app: &AppSpec,
        elements: &[Encoded],
        opts: PlanOptions,
    ) -> Result<Plan, PlanError> {
        let mut b = Builder::selecting(app);
        if let Some(id) = elements.iter().find(|e| e.el.field == app.identity_field) {
            b.need(id.el.read, &format!("reading {}", id.el))?;
            b.steps.push(Step::CheckHolder {
                el: id.el.clone(),
                expected: id.value.clone(),
            });
        }
        for e in elements {
            let mac = b.need(e.el.update, &format!("writing {}", e.el))?;
            b.steps.push(Step::Update {
                el: e.el.clone(),
                value: e.value.clone(),
                mac,
            });
        }
        if opts.set_pin {
            b.need(app.create, "setting the PIN (WRITE KEY in the DF)")?;
            let pin = crate::crypto::encode_pin(&app.pin.initial).map_err(|_| PlanError {
                what: "the profile's initial PIN (not 4 to 16 digits)".into(),
                access: AccessCondition::Always,
            })?;
            b.steps.push(Step::SetPin {
                reference: app.pin.reference,
                tries: app.pin.tries,
                pin,
            });
        }
        b.read_back(elements)?;
        if opts.enable {
            b.enable()?;
        }
        Ok(Plan {
            steps: b.steps,
            cryptogram_len: app.cryptogram_len(),
        })
    }

    /// Verify only: select, read every element back (authenticating where the card asks).
    pub fn verify(app: &AppSpec, elements: &[Encoded]) -> Result<Plan, PlanError> {
        // No authentication up front: the run reads first and authenticates only where the
        // card answers 6982 (reading as the field reads, perso::tryread).
        let mut b = Builder::selecting(app);
        b.steps.extend(elements.iter().map(|e| Step::ReadBack {
            el: e.el.clone(),
            expected: e.value.clone(),
        }));
        Ok(Plan {
            steps: b.steps,
            cryptogram_len: app.cryptogram_len(),
        })
    }

    /// Enable only after a successful verify: select, read every element back, activate,
    /// confirm.
    pub fn enable(app: &AppSpec, elements: &[Encoded]) -> Result<Plan, PlanError> {
        let mut b = Builder::selecting(app);
        b.read_back(elements)?;
        b.enable()?;
        Ok(Plan {
            steps: b.steps,
            cryptogram_len: app.cryptogram_len(),
        })
    }

    /// Total APDUs sent on a card in the expected state (a profile's enable command list is
    /// not counted: its APDUs are the script's).
    pub fn apdu_count(&self) -> usize {
        self.steps
            .iter()
            .flat_map(|s| s.apdus(self.cryptogram_len))
            .filter(|a| a.bytes_out > 0)
            .count()
    }

    /// Total bytes (sent, expected back).
    pub fn byte_count(&self) -> (usize, usize) {
        self.steps
            .iter()
            .flat_map(|s| s.apdus(self.cryptogram_len))
            .fold((0, 0), |(o, i), a| (o + a.bytes_out, i + a.bytes_in))
    }

    /// CLA INS P1 P2 of every APDU the plan sends, in order.
    pub fn headers(&self) -> Vec<[u8; 4]> {
        self.steps
            .iter()
            .flat_map(|s| s.apdus(self.cryptogram_len))
            .filter(|a| a.bytes_out > 0)
            .filter_map(|a| {
                let b = crate::apdu::parse_hex(a.text.get(..11)?).ok()?;
                <[u8; 4]>::try_from(b.as_slice()).ok()
            })
            .collect()
    }

    /// The plan as text: numbered steps, each with its APDUs (secrets masked).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut n = 0;
        for (i, s) in self.steps.iter().enumerate() {
            out.push_str(&format!("{:>2}. {s}\n", i + 1));
            for a in s.apdus(self.cryptogram_len) {
                n += 1;
                out.push_str(&format!("      [{n:>2}] {}\n", a.text));
            }
        }
        let (o, i) = self.byte_count();
        out.push_str(&format!(
            "{} steps, {} APDUs, {o} bytes out, {i} bytes expected back\n",
            self.steps.len(),
            self.apdu_count()
        ));
        out
    }
}

impl Builder<'_> {
    fn read_back(&mut self, elements: &[Encoded]) -> Result<(), PlanError> {
        for e in elements {
            self.need(e.el.read, &format!("reading {}", e.el))?;
            self.steps.push(Step::ReadBack {
                el: e.el.clone(),
                expected: e.value.clone(),
            });
        }
        Ok(())
    }

    fn enable(&mut self) -> Result<(), PlanError> {
        self.need(self.app.activate, "activating the application")?;
        self.steps.push(Step::Activate {
            label: self.app.df_label.clone(),
            fid: self.app.df_fid,
            how: self.app.enable.clone(),
        });
        self.steps.push(Step::Confirm {
            name: self.app.df_name.clone(),
            label: self.app.df_label.clone(),
        });
        Ok(())
    }
}
