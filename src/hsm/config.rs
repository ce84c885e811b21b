//! How sscard finds master keys in a PKCS#11 token and which mechanisms it asks for: the
//! `[pkcs11]` table of the station configuration ([`crate::config`]). Every field has a
//! default that suits a standard PKCS#11 token (SoftHSMv2 among them) for 3DES cards.
//!
//! ```toml
//! [pkcs11]
//! label_prefix = ""            # master key label = prefix + the profile key name ("issuer")
//! des3_derive = 0x1102         # CKM_DES3_ECB_ENCRYPT_DATA
//! des3_ecb = 0x132             # CKM_DES3_ECB
//! des3_cbc = 0x133             # CKM_DES3_CBC
//! # SM4 has no standard PKCS#11 mechanism: the HSM vendor's numbers, all four or none.
//! # sm4_key_type = 0x80000010  # CKK_ of an SM4 key
//! # sm4_derive = 0x80000011    # derive a key by SM4-ECB encryption of data (like 0x1102)
//! # sm4_ecb = 0x80000012       # SM4-ECB encryption
//! # sm4_cbc = 0x80000013       # SM4-CBC encryption, IV as parameter
//! ```

use serde::Deserialize;

/// A PKCS#11 number (mechanism or key type): the C `unsigned long` of the PKCS#11 interface,
/// 64 bits on Linux and 32 bits on Windows.
pub type CkNumber = cryptoki_sys::CK_ULONG;

/// `CKM_DES3_ECB_ENCRYPT_DATA`.
pub const CKM_DES3_ECB_ENCRYPT_DATA: CkNumber = 0x1102;
/// `CKM_DES3_ECB`.
pub const CKM_DES3_ECB: CkNumber = 0x132;
/// `CKM_DES3_CBC`.
pub const CKM_DES3_CBC: CkNumber = 0x133;

/// Labels and mechanism numbers for the HSM key source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pkcs11Config {
    /// Put before the profile key name to make the key object's label (`""`: the label is
    /// the key name itself, e.g. `issuer`).
    pub label_prefix: String,
    /// Mechanism deriving a 3DES key by 3DES-ECB encryption of data (`CKM_DES3_ECB_ENCRYPT_DATA`).
    pub des3_derive: CkNumber,
    /// 3DES-ECB encryption (`CKM_DES3_ECB`).
    pub des3_ecb: CkNumber,
    /// 3DES-CBC encryption with the IV as parameter (`CKM_DES3_CBC`).
    pub des3_cbc: CkNumber,
    /// The vendor's key type of an SM4 key (`CKK_...`); SM4 keys need all four SM4 numbers.
    pub sm4_key_type: Option<CkNumber>,
    /// The vendor's mechanism deriving an SM4 key by SM4-ECB encryption of data.
    pub sm4_derive: Option<CkNumber>,
    /// The vendor's SM4-ECB encryption mechanism.
    pub sm4_ecb: Option<CkNumber>,
    /// The vendor's SM4-CBC encryption mechanism (IV as parameter).
    pub sm4_cbc: Option<CkNumber>,
}

impl Default for Pkcs11Config {
    fn default() -> Self {
        Pkcs11Config {
            label_prefix: String::new(),
            des3_derive: CKM_DES3_ECB_ENCRYPT_DATA,
            des3_ecb: CKM_DES3_ECB,
            des3_cbc: CKM_DES3_CBC,
            sm4_key_type: None,
            sm4_derive: None,
            sm4_ecb: None,
            sm4_cbc: None,
        }
    }
}

/// The vendor numbers an SM4 key needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sm4Mechanisms {
    /// Key type.
    pub key_type: CkNumber,
    /// Derivation by encryption.
    pub derive: CkNumber,
    /// ECB encryption.
    pub ecb: CkNumber,
    /// CBC encryption.
    pub cbc: CkNumber,
}

impl Pkcs11Config {
    /// The label of the master key for the profile key named `key`.
    pub fn label(&self, key: &str) -> String {
        format!("{}{key}", self.label_prefix)
    }

    /// The SM4 numbers, or the names of the missing ones.
    pub fn sm4(&self) -> Result<Sm4Mechanisms, String> {
        match (
            self.sm4_key_type,
            self.sm4_derive,
            self.sm4_ecb,
            self.sm4_cbc,
        ) {
            (Some(key_type), Some(derive), Some(ecb), Some(cbc)) => Ok(Sm4Mechanisms {
                key_type,
                derive,
                ecb,
                cbc,
            }),
            (k, d, e, c) => {
                let missing: Vec<&str> = [
                    (k, "sm4_key_type"),
                    (d, "sm4_derive"),
                    (e, "sm4_ecb"),
                    (c, "sm4_cbc"),
                ]
                .into_iter()
                .filter(|(v, _)| v.is_none())
                .map(|(_, n)| n)
                .collect();
                Err(missing.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_standard_mechanisms_and_toml_takes_hex() {
        let c: Pkcs11Config =
            toml::from_str("label_prefix = \"ssc-\"\nsm4_ecb = 0x80000012").unwrap();
        assert_eq!(c.label("issuer"), "ssc-issuer");
        assert_eq!(c.des3_derive, 0x1102);
        assert_eq!(c.sm4_ecb, Some(0x8000_0012));
        assert_eq!(c.sm4().unwrap_err(), "sm4_key_type, sm4_derive, sm4_cbc");
        assert!(toml::from_str::<Pkcs11Config>("des3_ecbx = 1").is_err());
    }
}
