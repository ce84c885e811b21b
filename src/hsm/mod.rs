//! The HSM key source: the master keys sit in a PKCS#11 token (an encryption machine / HSM;
//! SoftHSMv2 in the tests), which derives each card key and computes every cryptogram and MAC.
//! Key bytes never leave the token: per-card keys are derived inside it as sensitive,
//! non-extractable session objects and destroyed after each computation.
//!
//! - the module is loaded from its path (`--pkcs11 MODULE.so`), the token found by its label
//!   (`--token LABEL`), the user logged in with the PIN from `SSCARD_HSM_PIN` or a prompt;
//! - a master key is the `CKO_SECRET_KEY` labelled [`Pkcs11Config::label`] of the profile key
//!   name, of the profile key's algorithm (3DES: `CKK_DES2`/`CKK_DES3`; SM4: the vendor's type);
//! - each level of the key's diversification chain derives the next key by encrypting
//!   `f || NOT f` (`CKM_DES3_ECB_ENCRYPT_DATA`), as [`crate::crypto::diversify`] does;
//! - the cryptogram is the ECB encryption of the zero-padded challenge; the 3DES MAC (ISO
//!   9797-1 algorithm 3) is computed without splitting the key: the last level also derives
//!   `K_LL = E(f) || E(f)`, whose 3DES is single DES with the left half, CBC-MAC with it over
//!   all blocks but the last, then 3DES with the card key on the last (docs/crypto.md, "HSM").
//!
//! SoftHSM has no SM4: SM4 keys are refused there with a message saying so.

pub mod config;
pub mod import;
mod ops;
mod source;

pub use config::Pkcs11Config;

use crate::crypto::derive::Chain;
use crate::crypto::{Algorithm, MAC_LEN, Secret};
use crate::profile::KeySpec;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::RawAuthPin;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What went wrong with the HSM. Never carries key, cryptogram, MAC or PIN bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HsmError {
    /// The module file does not exist.
    #[error(
        "PKCS#11 module {} not found: give the path of the HSM vendor's PKCS#11 library with \
         --pkcs11 (SoftHSMv2: Debian package softhsm2, /usr/lib/softhsm/libsofthsm2.so)",
        module.display()
    )]
    ModuleMissing {
        /// The path given.
        module: PathBuf,
    },
    /// The module cannot be loaded or initialised.
    #[error("cannot load PKCS#11 module {}: {reason}", module.display())]
    ModuleLoad {
        /// The path given.
        module: PathBuf,
        /// What the loader or `C_Initialize` said.
        reason: String,
    },
    /// No token with that label.
    #[error(
        "no token labelled '{token}' in PKCS#11 module {} (tokens present: {present}); check --token",
        module.display()
    )]
    NoToken {
        /// The label asked for.
        token: String,
        /// The module.
        module: PathBuf,
        /// The labels found, or `none`.
        present: String,
    },
    /// The user PIN was refused.
    #[error(
        "the HSM PIN for token '{token}' is wrong (it came from SSCARD_HSM_PIN or the prompt); \
         the token counts wrong PINs: check the PIN before trying again"
    )]
    WrongPin {
        /// The token.
        token: String,
    },
    /// The user PIN is locked.
    #[error(
        "the HSM PIN of token '{token}' is locked: ask the HSM's security officer to unlock it"
    )]
    PinLocked {
        /// The token.
        token: String,
    },
    /// No master key object with that label and algorithm.
    #[error("HSM token '{token}' has no {alg} master key labelled '{label}'{hint}")]
    NoKey {
        /// The label looked for.
        label: String,
        /// The algorithm wanted.
        alg: Algorithm,
        /// The token.
        token: String,
        /// What else was found under that label, if anything.
        hint: String,
    },
    /// More than one master key with that label and algorithm.
    #[error("HSM token '{token}' has {count} {alg} keys labelled '{label}': keep only one")]
    AmbiguousKey {
        /// The label.
        label: String,
        /// The algorithm.
        alg: Algorithm,
        /// The token.
        token: String,
        /// How many.
        count: usize,
    },
    /// SM4 asked of SoftHSM.
    #[error(
        "key '{key}' is an SM4 key, but token '{token}' is SoftHSM, which has no SM4: use a PSAM \
         (--psam) or a key file (--keys) for SM4 cards"
    )]
    Sm4OnSoftHsm {
        /// The profile key name.
        key: String,
        /// The token.
        token: String,
    },
    /// SM4 asked without the vendor's numbers.
    #[error(
        "key '{key}' is an SM4 key: set the HSM vendor's SM4 numbers in the [pkcs11] table of \
         the configuration (missing: {missing}; docs/crypto.md, \"HSM\")"
    )]
    Sm4NotConfigured {
        /// The profile key name.
        key: String,
        /// The missing fields.
        missing: String,
    },
    /// A 3DES MAC of an undiversified key.
    #[error(
        "key '{key}': the HSM computes the 3DES MAC from the last diversification level, and \
         the profile gives this key none; use a key file or a PSAM for it"
    )]
    MacWithoutLevel {
        /// The profile key name.
        key: String,
    },
    /// A bad input (challenge length).
    #[error("{what} must be {expected} bytes, got {found}")]
    Length {
        /// Which input.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Given length.
        found: usize,
    },
    /// Any other PKCS#11 failure.
    #[error("HSM token '{token}': {operation} failed ({reason})")]
    Pkcs11 {
        /// The token.
        token: String,
        /// What sscard was doing.
        operation: String,
        /// The PKCS#11 function and return value.
        reason: String,
    },
}

/// The PKCS#11 function and return value of a `cryptoki` error, as short text.
pub(crate) fn ck_reason(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, f) => format!("C_{f:?} returned {}", rv_name(*rv)),
        other => other.to_string(),
    }
}

fn rv_name(rv: RvError) -> String {
    // `CKR_MECHANISM_INVALID` from `MechanismInvalid`.
    let mut out = String::from("CKR");
    for c in format!("{rv:?}").chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A logged-in session with one token of one PKCS#11 module.
pub struct Pkcs11Source {
    module: PathBuf,
    token: String,
    cfg: Pkcs11Config,
    softhsm: bool,
    session: Session,
}

impl std::fmt::Debug for Pkcs11Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Source({})", self.describe())
    }
}

/// Loads and initialises the module (an already initialised one is fine).
fn load(module: &Path) -> Result<Pkcs11, HsmError> {
    if !module.is_file() {
        return Err(HsmError::ModuleMissing {
            module: module.to_path_buf(),
        });
    }
    let load_err = |e: CkError| HsmError::ModuleLoad {
        module: module.to_path_buf(),
        reason: ck_reason(&e),
    };
    let ctx = Pkcs11::new(module).map_err(load_err)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(ctx),
        Err(e) => Err(load_err(e)),
    }
}

/// The slot holding the token labelled `token`, and whether the token is SoftHSM.
fn find_token(ctx: &Pkcs11, module: &Path, token: &str) -> Result<(Slot, bool), HsmError> {
    let err = |e: CkError| HsmError::ModuleLoad {
        module: module.to_path_buf(),
        reason: ck_reason(&e),
    };
    let mut present = Vec::new();
    for slot in ctx.get_slots_with_token().map_err(err)? {
        let info = ctx.get_token_info(slot).map_err(err)?;
        let label = info.label().trim_end().to_string();
        if label == token {
            return Ok((slot, info.manufacturer_id().contains("SoftHSM")));
        }
        if !label.is_empty() {
            present.push(format!("'{label}'"));
        }
    }
    Err(HsmError::NoToken {
        token: token.to_string(),
        module: module.to_path_buf(),
        present: if present.is_empty() {
            "none".into()
        } else {
            present.join(", ")
        },
    })
}

/// Opens a session with the token and logs the user in with `pin`.
pub(crate) fn login(
    module: &Path,
    token: &str,
    pin: &Secret,
    rw: bool,
) -> Result<(Session, bool), HsmError> {
    let ctx = load(module)?;
    let (slot, softhsm) = find_token(&ctx, module, token)?;
    let ck = |operation: &str| {
        let token = token.to_string();
        let operation = operation.to_string();
        move |e: CkError| HsmError::Pkcs11 {
            token,
            operation,
            reason: ck_reason(&e),
        }
    };
    let session = if rw {
        ctx.open_rw_session(slot)
    } else {
        ctx.open_ro_session(slot)
    }
    .map_err(ck("opening a session"))?;
    let raw = RawAuthPin::new(Box::new(pin.expose().to_vec()));
    match session.login_with_raw(UserType::User, &raw) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok((session, softhsm)),
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
            Err(HsmError::WrongPin {
                token: token.to_string(),
            })
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(HsmError::PinLocked {
            token: token.to_string(),
        }),
        Err(e) => Err(ck("logging in")(e)),
    }
}

impl Pkcs11Source {
    /// Loads PKCS#11 module `module`, finds the token labelled `token` and logs in with `pin`
    /// (from `SSCARD_HSM_PIN` or a prompt; never shown). Master keys are looked up later, per
    /// computation, by `config`'s labels.
    pub fn open(
        module: &Path,
        token: &str,
        pin: &Secret,
        config: &Pkcs11Config,
    ) -> Result<Pkcs11Source, HsmError> {
        let (session, softhsm) = login(module, token, pin, false)?;
        Ok(Pkcs11Source {
            module: module.to_path_buf(),
            token: token.to_string(),
            cfg: config.clone(),
            softhsm,
            session,
        })
    }

    /// For messages: `HSM token 'LABEL' (MODULE)`.
    pub fn describe(&self) -> String {
        format!("HSM token '{}' ({})", self.token, self.module.display())
    }

    /// How many session (not token) objects this session holds: the per-card keys derived
    /// for a computation are destroyed when it ends, so this is 0 between computations.
    pub fn session_objects(&self) -> Result<usize, HsmError> {
        self.session
            .find_objects(&[cryptoki::object::Attribute::Token(false)])
            .map(|v| v.len())
            .map_err(|e| HsmError::Pkcs11 {
                token: self.token.clone(),
                operation: "listing session objects".into(),
                reason: ck_reason(&e),
            })
    }

    /// The EXTERNAL AUTHENTICATE cryptogram of the card key `spec` diversified by `chain` over
    /// `challenge`: what [`crate::crypto::auth_cryptogram`] gives with that key.
    pub fn cryptogram(
        &mut self,
        spec: &KeySpec,
        chain: &Chain,
        challenge: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        ops::cryptogram(self, spec, chain, challenge)
    }

    /// The secure-messaging MAC of `data` with the card key `spec` diversified by `chain`:
    /// what [`crate::crypto::mac`] gives with that key.
    pub fn mac(
        &mut self,
        spec: &KeySpec,
        chain: &Chain,
        challenge: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], HsmError> {
        ops::mac(self, spec, chain, challenge, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_values_are_named_as_in_the_standard() {
        assert_eq!(rv_name(RvError::MechanismInvalid), "CKR_MECHANISM_INVALID");
        let e = CkError::Pkcs11(
            RvError::KeyHandleInvalid,
            cryptoki::context::Function::DeriveKey,
        );
        assert_eq!(ck_reason(&e), "C_DeriveKey returned CKR_KEY_HANDLE_INVALID");
    }

    #[test]
    fn a_missing_module_names_it_and_the_package() {
        let e = load(Path::new("/nonexistent/libvendor.so")).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("/nonexistent/libvendor.so"), "{text}");
        assert!(text.contains("softhsm2"), "{text}");
    }
}
