//! Loads a key file's 3DES master keys into a PKCS#11 token, for test tokens only
//! (`sscard hsm import-test-keys`): a station's real master keys are generated in or loaded
//! into its HSM by the HSM's own tools, never from a file. SM4 keys are left out (SoftHSM has
//! no SM4; a vendor HSM loads its SM4 keys with its own tools).

use super::{HsmError, Pkcs11Config, ck_reason, login};
use crate::crypto::Secret;
use crate::profile::keys::KeyFile;
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use std::path::Path;

/// What [`import_tdes`] did: the labels written, and how many of them replaced a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The labels of the keys written, sorted.
    pub labels: Vec<String>,
    /// How many replaced a 3DES key of the same label.
    pub replaced: usize,
}

/// Writes each 3DES master key of `keys` into token `token` as a `CKO_SECRET_KEY`
/// (`CKK_DES2`, sensitive, not extractable, usable to derive and encrypt) labelled
/// `config.label(name)`, replacing a 3DES key of the same label.
pub fn import_tdes(
    module: &Path,
    token: &str,
    pin: &Secret,
    keys: &KeyFile,
    config: &Pkcs11Config,
) -> Result<Imported, HsmError> {
    let (session, _) = login(module, token, pin, true)?;
    let ck = |operation: String| {
        let token = token.to_string();
        move |e: cryptoki::error::Error| HsmError::Pkcs11 {
            token: token.clone(),
            operation: operation.clone(),
            reason: ck_reason(&e),
        }
    };
    let mut out = Imported {
        labels: Vec::new(),
        replaced: 0,
    };
    for (name, key) in keys.tdes_masters() {
        let label = config.label(name);
        for kt in [KeyType::DES2, KeyType::DES3] {
            let old = session
                .find_objects(&[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(kt),
                    Attribute::Label(label.clone().into_bytes()),
                ])
                .map_err(ck(format!("looking for key '{label}'")))?;
            for h in old {
                session
                    .destroy_object(h)
                    .map_err(ck(format!("replacing key '{label}'")))?;
                out.replaced += 1;
            }
        }
        session
            .create_object(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::DES2),
                Attribute::Label(label.clone().into_bytes()),
                Attribute::Value(key.bytes.to_vec()),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Derive(true),
                Attribute::Encrypt(true),
                Attribute::Decrypt(false),
                Attribute::Sign(false),
                Attribute::Verify(false),
                Attribute::Wrap(false),
                Attribute::Unwrap(false),
            ])
            .map_err(ck(format!("writing key '{label}'")))?;
        out.labels.push(label);
    }
    Ok(out)
}
