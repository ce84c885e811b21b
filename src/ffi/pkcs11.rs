//! PKCS#11 mechanism numbers the `cryptoki` crate has no constant for.
//!
//! `cryptoki` 0.12 names a fixed list of mechanisms and builds others only from ids at or
//! above `CKM_VENDOR_DEFINED`. The HSM key source ([`crate::hsm`]) needs standard mechanisms
//! outside that list (`CKM_DES3_ECB_ENCRYPT_DATA` = `0x1102`, the derivation of a card key by
//! encrypting its factor) and a station's vendor SM4 mechanisms, all given as numbers in the
//! configuration. This is the one conversion from a number to `cryptoki`'s mechanism type.

use cryptoki::mechanism::MechanismType;
use cryptoki_sys::CK_MECHANISM_TYPE;

/// The mechanism type with number `id` (any value: standard or vendor-defined).
pub fn mechanism_type(id: CK_MECHANISM_TYPE) -> MechanismType {
    // `MechanismType` is `#[repr(transparent)]` over `CK_MECHANISM_TYPE`: cryptoki relies on it
    // itself to read the token's mechanism list as a vector of `MechanismType` (its source,
    // src/mechanism/mod.rs). Sizes are checked by `transmute` at compile time; the test below
    // checks the value round-trips.
    // SAFETY: same size and layout (repr(transparent)); every bit pattern is a valid
    // `CK_MECHANISM_TYPE` (an unsigned long), hence a valid `MechanismType`.
    unsafe { std::mem::transmute::<CK_MECHANISM_TYPE, MechanismType>(id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_numbers_round_trip() {
        assert_eq!(mechanism_type(0x132), MechanismType::DES3_ECB);
        assert_eq!(*mechanism_type(0x1102), 0x1102);
        assert_eq!(*mechanism_type(0x8000_0107), 0x8000_0107);
    }
}
