//! The computations inside the token: find a master key, derive the card key level by level,
//! encrypt, MAC. Derived keys are session objects (`CKA_TOKEN` false), sensitive and not
//! extractable, destroyed when the computation ends ([`Derived`]).

use super::config::Sm4Mechanisms;
use super::{HsmError, Pkcs11Source, ck_reason};
use crate::crypto::derive::Chain;
use crate::crypto::{Algorithm, CHALLENGE_LEN, FACTOR_LEN, MAC_LEN, pad_method2};
use crate::ffi::pkcs11::mechanism_type;
use crate::profile::KeySpec;
use cryptoki::error::Error as CkError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::misc::KeyDerivationStringData;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

/// The mechanisms and key type for one algorithm.
#[derive(Clone, Copy)]
struct Mechs {
    key_type: KeyType,
    derive: super::config::CkNumber,
    ecb: super::config::CkNumber,
    cbc: super::config::CkNumber,
    block: usize,
}

/// Session objects made for one computation, destroyed when this is dropped.
struct Derived<'s> {
    session: &'s Session,
    handles: Vec<ObjectHandle>,
}

impl<'s> Derived<'s> {
    fn new(session: &'s Session) -> Self {
        Derived {
            session,
            handles: Vec::new(),
        }
    }
}

impl Drop for Derived<'_> {
    fn drop(&mut self) {
        for h in self.handles.drain(..) {
            // A session object also goes when the session closes; nothing more to do on error.
            let _ = self.session.destroy_object(h);
        }
    }
}

impl Pkcs11Source {
    fn ck(&self, operation: &str) -> impl Fn(CkError) -> HsmError + use<> {
        let token = self.token.clone();
        let operation = operation.to_string();
        move |e| HsmError::Pkcs11 {
            token: token.clone(),
            operation: operation.clone(),
            reason: ck_reason(&e),
        }
    }

    fn mechs(&self, spec: &KeySpec) -> Result<Mechs, HsmError> {
        match spec.algorithm {
            Algorithm::Tdes => Ok(Mechs {
                key_type: KeyType::DES2,
                derive: self.cfg.des3_derive,
                ecb: self.cfg.des3_ecb,
                cbc: self.cfg.des3_cbc,
                block: 8,
            }),
            Algorithm::Sm4 if self.softhsm => Err(HsmError::Sm4OnSoftHsm {
                key: spec.name.clone(),
                token: self.token.clone(),
            }),
            Algorithm::Sm4 => {
                let m: Sm4Mechanisms =
                    self.cfg
                        .sm4()
                        .map_err(|missing| HsmError::Sm4NotConfigured {
                            key: spec.name.clone(),
                            missing,
                        })?;
                let key_type = KeyType::new_vendor_defined(m.key_type).map_err(|_| {
                    HsmError::Sm4NotConfigured {
                        key: spec.name.clone(),
                        missing: format!(
                            "sm4_key_type {:#x} is below CKK_VENDOR_DEFINED 0x80000000",
                            m.key_type
                        ),
                    }
                })?;
                Ok(Mechs {
                    key_type,
                    derive: m.derive,
                    ecb: m.ecb,
                    cbc: m.cbc,
                    block: 16,
                })
            }
        }
    }

    /// Whether a key of type `t` serves `alg`.
    fn type_fits(alg: Algorithm, m: &Mechs, t: KeyType) -> bool {
        match alg {
            Algorithm::Tdes => t == KeyType::DES2 || t == KeyType::DES3,
            Algorithm::Sm4 => t == m.key_type,
        }
    }

    /// The master key object of `spec`.
    fn master(&self, spec: &KeySpec, m: &Mechs) -> Result<ObjectHandle, HsmError> {
        let label = self.cfg.label(&spec.name);
        let found = self
            .session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.clone().into_bytes()),
            ])
            .map_err(self.ck("looking for a master key"))?;
        let mut fit = Vec::new();
        let mut other = Vec::new();
        for h in found {
            let attrs = self
                .session
                .get_attributes(h, &[AttributeType::KeyType])
                .map_err(self.ck("reading a key's type"))?;
            let t = attrs.iter().find_map(|a| match a {
                Attribute::KeyType(t) => Some(*t),
                _ => None,
            });
            match t {
                Some(t) if Self::type_fits(spec.algorithm, m, t) => fit.push(h),
                Some(t) => other.push(t.to_string()),
                None => other.push("untyped".into()),
            }
        }
        match fit.as_slice() {
            [one] => Ok(*one),
            [] => Err(HsmError::NoKey {
                label,
                alg: spec.algorithm,
                token: self.token.clone(),
                hint: if other.is_empty() {
                    " (import it, or set [pkcs11] label_prefix to the prefix its labels use)".into()
                } else {
                    format!(" (a key of type {} has that label)", other.join(", "))
                },
            }),
            many => Err(HsmError::AmbiguousKey {
                label,
                alg: spec.algorithm,
                token: self.token.clone(),
                count: many.len(),
            }),
        }
    }

    /// A new key inside the token: `base` encrypts `data` (ECB) and the result is the key.
    fn derive(
        &self,
        m: &Mechs,
        base: ObjectHandle,
        data: &[u8],
        out: &mut Derived<'_>,
    ) -> Result<ObjectHandle, HsmError> {
        let params = KeyDerivationStringData::new(data);
        let mech = Mechanism::VendorDefined(VendorDefinedMechanism::new(
            mechanism_type(m.derive),
            Some(&params),
        ));
        let mut template = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(m.key_type),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Derive(true),
            Attribute::Decrypt(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
        ];
        if m.block == 16 {
            template.push(Attribute::ValueLen(16.into()));
        }
        let h = self
            .session
            .derive_key(&mech, base, &template)
            .map_err(self.ck(&format!("deriving a card key (mechanism {:#x})", m.derive)))?;
        out.handles.push(h);
        Ok(h)
    }

    /// The key of chain levels `0..upto` applied to `master`.
    fn walk(
        &self,
        m: &Mechs,
        master: ObjectHandle,
        chain: &Chain,
        upto: usize,
        out: &mut Derived<'_>,
    ) -> Result<ObjectHandle, HsmError> {
        let mut key = master;
        for level in chain.levels.iter().take(upto) {
            key = self.derive(m, key, &with_tail(&level.factor, true), out)?;
        }
        Ok(key)
    }

    fn encrypt(
        &self,
        mech: super::config::CkNumber,
        iv: Option<&[u8]>,
        key: ObjectHandle,
        data: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        let what = format!("encrypting (mechanism {mech:#x})");
        let t = mechanism_type(mech);
        // The IV parameter is the block itself (8 or 16 bytes), passed by value size.
        let iv8: Option<[u8; 8]> = iv.and_then(|v| v.try_into().ok());
        let iv16: Option<[u8; 16]> = iv.and_then(|v| v.try_into().ok());
        let mech = Mechanism::VendorDefined(match (&iv8, &iv16) {
            (Some(v), _) => VendorDefinedMechanism::new(t, Some(v)),
            (_, Some(v)) => VendorDefinedMechanism::new(t, Some(v)),
            _ => VendorDefinedMechanism::new::<()>(t, None),
        });
        self.session
            .encrypt(&mech, key, data)
            .map_err(self.ck(&what))
    }
}

/// `f || NOT f` (`not` true) or `f || f`: the data a level encrypts.
fn with_tail(f: &[u8; FACTOR_LEN], not: bool) -> Vec<u8> {
    let mut d = f.to_vec();
    d.extend(f.iter().map(|b| if not { !b } else { *b }));
    d
}

fn check_challenge(challenge: &[u8]) -> Result<(), HsmError> {
    if challenge.len() == CHALLENGE_LEN {
        Ok(())
    } else {
        Err(HsmError::Length {
            what: "the challenge",
            expected: CHALLENGE_LEN,
            found: challenge.len(),
        })
    }
}

/// ECB encryption of the zero-padded challenge with the card key.
pub(super) fn cryptogram(
    src: &Pkcs11Source,
    spec: &KeySpec,
    chain: &Chain,
    challenge: &[u8],
) -> Result<Vec<u8>, HsmError> {
    check_challenge(challenge)?;
    let m = src.mechs(spec)?;
    let master = src.master(spec, &m)?;
    let mut objs = Derived::new(&src.session);
    let key = src.walk(&m, master, chain, chain.levels.len(), &mut objs)?;
    let mut block = challenge.to_vec();
    block.resize(m.block, 0);
    src.encrypt(m.ecb, None, key, &block)
}

/// The secure-messaging MAC (docs/crypto.md): 3DES ISO 9797-1 algorithm 3, SM4 CBC-MAC.
pub(super) fn mac(
    src: &Pkcs11Source,
    spec: &KeySpec,
    chain: &Chain,
    challenge: &[u8],
    data: &[u8],
) -> Result<[u8; MAC_LEN], HsmError> {
    check_challenge(challenge)?;
    let m = src.mechs(spec)?;
    let master = src.master(spec, &m)?;
    let mut objs = Derived::new(&src.session);
    let padded = pad_method2(data, m.block);
    let mut iv = challenge.to_vec();
    iv.resize(m.block, 0);
    let state = match spec.algorithm {
        Algorithm::Sm4 => {
            let key = src.walk(&m, master, chain, chain.levels.len(), &mut objs)?;
            let out = src.encrypt(m.cbc, Some(&iv), key, &padded)?;
            last_block(&out, m.block)
        }
        Algorithm::Tdes => {
            let Some((last, upper)) = chain.levels.split_last() else {
                return Err(HsmError::MacWithoutLevel {
                    key: spec.name.clone(),
                });
            };
            let parent = src.walk(&m, master, chain, upper.len(), &mut objs)?;
            let key = src.derive(&m, parent, &with_tail(&last.factor, true), &mut objs)?;
            let split = padded.len().saturating_sub(m.block);
            let (head, tail) = padded.split_at(split);
            let mut h = iv;
            if !head.is_empty() {
                // (KL, KL): 3DES with equal halves is single DES with the left half.
                let left = src.derive(&m, parent, &with_tail(&last.factor, false), &mut objs)?;
                h = last_block(&src.encrypt(m.cbc, Some(&h), left, head)?, m.block);
            }
            h.iter_mut().zip(tail).for_each(|(s, x)| *s ^= x);
            src.encrypt(m.ecb, None, key, &h)?
        }
    };
    let mut out = [0u8; MAC_LEN];
    out.iter_mut().zip(&state).for_each(|(o, s)| *o = *s);
    Ok(out)
}

fn last_block(out: &[u8], block: usize) -> Vec<u8> {
    out.get(out.len().saturating_sub(block)..)
        .unwrap_or_default()
        .to_vec()
}
