//! Card cryptography shared by the virtual card and the host: block ciphers (3DES, SM4),
//! ISO 9797-1 method 2 padding, the external-authentication cryptogram, the 4-byte MAC of
//! secure messaging, and PBOC-style key diversification. Defined once, used by both sides.
//!
//! Every definition is written down in `docs/crypto.md` with worked examples, so that another
//! tool can reproduce it byte for byte:
//!
//! - challenge (GET CHALLENGE): [`CHALLENGE_LEN`] = 8 bytes;
//! - cryptogram (EXTERNAL AUTHENTICATE) and INTERNAL AUTHENTICATE answer: the data right-padded
//!   with `00` to a whole number of cipher blocks, encrypted in ECB ([`encrypt_zero_padded`]):
//!   8 bytes for 3DES, 16 bytes for SM4;
//! - MAC (secure messaging, CLA with bit `04`): CBC-MAC over `CLA' INS P1 P2 Lc' data` padded
//!   with ISO 9797-1 method 2, IV = the challenge (for SM4 followed by eight `00`), 3DES in the
//!   ISO 9797-1 MAC algorithm 3 ("retail") way, first [`MAC_LEN`] = 4 bytes kept;
//! - diversification: 3DES `E(mk, f) || E(mk, NOT f)`, SM4 `E(mk, f || NOT f)`, applied once
//!   per level of a chain ([`derive::Chain`]).

use crate::error::ErrorChain;
use std::fmt;

use cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, BlockSizeUser, KeyInit};
use des::{Des, TdesEde2};
use sm4::Sm4;
use thiserror::Error;

use crate::apdu::{HexError, parse_hex};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Length of the challenge GET CHALLENGE returns and every cryptogram and MAC starts from.
pub const CHALLENGE_LEN: usize = 8;

/// Length of the secure-messaging MAC appended to a command.
pub const MAC_LEN: usize = 4;

/// Length of a diversification factor.
pub const FACTOR_LEN: usize = 8;

pub use crate::cos::Algorithm;

/// What went wrong in a cryptographic helper. Never carries key, PIN or challenge bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// The key text is not hex.
    #[error("the key is not valid hex (write it as 32 hex digits)")]
    KeyHex {
        /// The hex error (position and offending non-hex character only).
        #[source]
        source: HexError,
    },
    /// The key has the wrong number of bytes.
    #[error("a {alg} key is 16 bytes (32 hex digits), this one has {found} bytes")]
    KeyLength {
        /// The algorithm the key was meant for.
        alg: Algorithm,
        /// How many bytes were given.
        found: usize,
    },
    /// An input of the wrong length.
    #[error("{what} must be {expected} bytes, got {found}")]
    Length {
        /// Which input.
        what: &'static str,
        /// Required length (or multiple, for block data).
        expected: usize,
        /// Given length.
        found: usize,
    },
    /// Data that does not end in ISO 9797-1 method 2 padding.
    #[error("data does not end with ISO 9797-1 method 2 padding (80 followed by 00s)")]
    Padding,
    /// A command too long for a short APDU once the MAC is added.
    #[error("command data of {found} bytes plus the 4-byte MAC exceeds 255 bytes (short APDU)")]
    TooLongForMac {
        /// Data length without the MAC.
        found: usize,
    },
    /// A PIN that is not 4 to 16 decimal digits (the PIN itself is never shown).
    #[error("a PIN is 4 to 16 decimal digits; this one {problem}")]
    PinFormat {
        /// What is wrong, without the digits.
        problem: String,
    },
}

/// A 16-byte symmetric key. Never printed; compared in constant time; overwritten with zeros
/// when dropped.
#[derive(Clone)]
pub struct Key {
    /// The cipher.
    pub alg: Algorithm,
    /// Key bytes.
    pub bytes: [u8; 16],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?}, ******)", self.alg)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.alg == other.alg && ct_eq(&self.bytes, &other.bytes)
    }
}

impl Eq for Key {}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl Key {
    /// A key from its bytes.
    pub const fn new(alg: Algorithm, bytes: [u8; 16]) -> Self {
        Key { alg, bytes }
    }

    /// A key from hex text (spaces and colons allowed). Errors never contain the key digits.
    pub fn from_hex(alg: Algorithm, text: &str) -> Result<Self, CryptoError> {
        let raw = Secret::new(parse_hex(text).map_err(|source| CryptoError::KeyHex { source })?);
        Self::from_slice(alg, raw.expose())
    }

    /// A key from a byte slice that must be 16 bytes long.
    pub fn from_slice(alg: Algorithm, bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| CryptoError::KeyLength {
            alg,
            found: bytes.len(),
        })?;
        Ok(Key { alg, bytes })
    }

    /// Block length of the key's cipher.
    pub const fn block_len(&self) -> usize {
        self.alg.block_len()
    }

    /// Encrypts `data` (a whole number of blocks) in ECB mode.
    pub fn encrypt_ecb(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.ecb(data, true)
    }

    /// Decrypts `data` (a whole number of blocks) in ECB mode.
    pub fn decrypt_ecb(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.ecb(data, false)
    }

    fn ecb(&self, data: &[u8], encrypt: bool) -> Result<Vec<u8>, CryptoError> {
        let bl = self.block_len();
        if data.is_empty() || !data.len().is_multiple_of(bl) {
            return Err(CryptoError::Length {
                what: "ECB data (a whole number of blocks)",
                expected: bl,
                found: data.len(),
            });
        }
        let mut out = data.to_vec();
        match self.alg {
            Algorithm::Tdes => {
                let c = TdesEde2::new(&self.bytes.into());
                out.chunks_exact_mut(bl)
                    .for_each(|ch| crypt_chunk(&c, ch, encrypt));
            }
            Algorithm::Sm4 => {
                let c = Sm4::new(&self.bytes.into());
                out.chunks_exact_mut(bl)
                    .for_each(|ch| crypt_chunk(&c, ch, encrypt));
            }
        }
        Ok(out)
    }
}

/// Encrypts or decrypts one block in place; `chunk` has exactly the cipher's block length
/// (callers use `chunks_exact_mut`). A wrong length leaves the chunk unchanged.
fn crypt_chunk<C>(c: &C, chunk: &mut [u8], encrypt: bool)
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + BlockSizeUser,
{
    if let Ok(mut block) = Block::<C>::try_from(&*chunk) {
        if encrypt {
            c.encrypt_block(&mut block);
        } else {
            c.decrypt_block(&mut block);
        }
        chunk.copy_from_slice(&block);
    }
}

/// A key as written in files (card image, key files): `{"alg": "tdes", "value": "<32 hex>"}`.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyText {
    alg: Algorithm,
    value: Secret,
}

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        KeyText {
            alg: self.alg,
            value: Secret::new(self.bytes.to_vec()),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = KeyText::deserialize(d)?;
        Key::from_slice(t.alg, t.value.expose()).map_err(serde::de::Error::custom)
    }
}

/// Secret bytes (a PIN, a raw key): `Debug` prints only the length, `==` compares in constant
/// time, the bytes are overwritten with zeros when dropped. Serialized as hex (card image).
#[derive(Clone, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// The bytes, for the one place that must use them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, ******)", self.0.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Secret(String::deserialize(d)?.into_bytes());
        let text = std::str::from_utf8(text.expose()).map_err(serde::de::Error::custom)?;
        parse_hex(text)
            .map(Secret)
            .map_err(|e| serde::de::Error::custom(format!("secret value: {e}", e = e.chain())))
    }
}

/// Compares two byte strings in time that depends only on their lengths (`subtle`).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// ISO/IEC 9797-1 padding method 2: append `80`, then `00` up to a multiple of `block_len`
/// (a full block is added when the data is already aligned).
pub fn pad_method2(data: &[u8], block_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + block_len);
    out.extend_from_slice(data);
    out.push(0x80);
    while block_len > 0 && !out.len().is_multiple_of(block_len) {
        out.push(0);
    }
    out
}

/// Removes ISO/IEC 9797-1 method 2 padding.
pub fn unpad_method2(data: &[u8]) -> Result<&[u8], CryptoError> {
    let end = data
        .iter()
        .rposition(|&b| b != 0)
        .ok_or(CryptoError::Padding)?;
    match data.get(end) {
        Some(0x80) => Ok(data.get(..end).unwrap_or_default()),
        _ => Err(CryptoError::Padding),
    }
}

/// `data` right-padded with `00` to a whole number of blocks (no padding when already
/// aligned), then encrypted in ECB mode. The EXTERNAL AUTHENTICATE cryptogram is this
/// applied to the challenge; INTERNAL AUTHENTICATE answers this applied to its data.
pub fn encrypt_zero_padded(key: &Key, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let bl = key.block_len();
    let mut block = data.to_vec();
    while block.is_empty() || !block.len().is_multiple_of(bl) {
        block.push(0);
    }
    key.encrypt_ecb(&block)
}

fn check_challenge(challenge: &[u8]) -> Result<(), CryptoError> {
    if challenge.len() != CHALLENGE_LEN {
        return Err(CryptoError::Length {
            what: "the challenge",
            expected: CHALLENGE_LEN,
            found: challenge.len(),
        });
    }
    Ok(())
}

/// The EXTERNAL AUTHENTICATE cryptogram for an 8-byte challenge: 3DES-ECB(key, challenge)
/// (8 bytes) or SM4(key, challenge || 00*8) (16 bytes).
pub fn auth_cryptogram(key: &Key, challenge: &[u8]) -> Result<Vec<u8>, CryptoError> {
    check_challenge(challenge)?;
    encrypt_zero_padded(key, challenge)
}

/// Whether `received` is the right cryptogram for `challenge` (constant-time comparison).
pub fn check_cryptogram(key: &Key, challenge: &[u8], received: &[u8]) -> bool {
    auth_cryptogram(key, challenge).is_ok_and(|c| ct_eq(&c, received))
}

/// The 4-byte MAC of `data` (already assembled, not yet padded): method-2 padding, CBC-MAC
/// with IV = the 8-byte challenge (SM4: challenge || 00*8). 3DES uses ISO 9797-1 MAC
/// algorithm 3: single DES with the left key half over every block, then on the last block
/// decrypt with the right half and encrypt with the left half (i.e. 3DES on the last block).
pub fn mac(key: &Key, challenge: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
    check_challenge(challenge)?;
    let bl = key.block_len();
    let mut iv = vec![0u8; bl];
    iv.iter_mut().zip(challenge).for_each(|(s, c)| *s = *c);
    mac_padded(key, &iv, &pad_method2(data, bl))
}

/// The MAC computation of [`mac`] without its padding: CBC-MAC over `padded` (a whole,
/// non-zero number of blocks) starting from `iv` (one block), 3DES as ISO 9797-1 MAC
/// algorithm 3, SM4 as plain CBC-MAC; the first [`MAC_LEN`] bytes. This is what a PSAM
/// computes (`80 FA 05 00`: it is handed the IV block and the already padded message).
pub fn mac_padded(key: &Key, iv: &[u8], padded: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
    let bl = key.block_len();
    if iv.len() != bl {
        return Err(CryptoError::Length {
            what: "the MAC initial vector (one block)",
            expected: bl,
            found: iv.len(),
        });
    }
    if padded.is_empty() || !padded.len().is_multiple_of(bl) {
        return Err(CryptoError::Length {
            what: "padded MAC data (a whole number of blocks)",
            expected: bl,
            found: padded.len(),
        });
    }
    let mut state = iv.to_vec();
    match key.alg {
        Algorithm::Tdes => {
            let (left, right) = key.bytes.split_at(8);
            let kl = Des::new_from_slice(left).map_err(|_| CryptoError::Length {
                what: "a DES key half",
                expected: 8,
                found: left.len(),
            })?;
            let kr = Des::new_from_slice(right).map_err(|_| CryptoError::Length {
                what: "a DES key half",
                expected: 8,
                found: right.len(),
            })?;
            for chunk in padded.chunks_exact(bl) {
                xor_into(&mut state, chunk);
                crypt_chunk(&kl, &mut state, true);
            }
            crypt_chunk(&kr, &mut state, false);
            crypt_chunk(&kl, &mut state, true);
        }
        Algorithm::Sm4 => {
            let c = Sm4::new(&key.bytes.into());
            for chunk in padded.chunks_exact(bl) {
                xor_into(&mut state, chunk);
                crypt_chunk(&c, &mut state, true);
            }
        }
    }
    let mut out = [0u8; MAC_LEN];
    out.iter_mut().zip(&state).for_each(|(o, s)| *o = *s);
    Ok(out)
}

fn xor_into(state: &mut [u8], chunk: &[u8]) {
    state.iter_mut().zip(chunk).for_each(|(s, c)| *s ^= c);
}

/// The bytes a secure-messaging MAC covers: `CLA' INS P1 P2 Lc'` then the plain data, where
/// `CLA' = cla | 04` and `Lc' = data.len() + 4`.
pub fn sm_mac_input(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let lc = u8::try_from(data.len() + MAC_LEN)
        .map_err(|_| CryptoError::TooLongForMac { found: data.len() })?;
    let mut input = vec![cla | 0x04, ins, p1, p2, lc];
    input.extend_from_slice(data);
    Ok(input)
}

/// A complete secure-messaging command APDU: `CLA' INS P1 P2 Lc' data MAC` (no Le).
pub fn sm_command(
    key: &Key,
    challenge: &[u8],
    header: [u8; 4],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let [cla, ins, p1, p2] = header;
    let mut apdu = sm_mac_input(cla, ins, p1, p2, data)?;
    let m = mac(key, challenge, &apdu)?;
    apdu.extend_from_slice(&m);
    Ok(apdu)
}

/// The secure-messaging form of `cmd` (docs/crypto.md): CLA with bit `04` set, the 4-byte MAC
/// appended to the data, Le kept. The host calls this with the challenge it fetched just before.
pub fn mac_command(
    key: &Key,
    challenge: &[u8],
    cmd: &crate::apdu::Command,
) -> Result<crate::apdu::Command, CryptoError> {
    let input = sm_mac_input(cmd.cla, cmd.ins, cmd.p1, cmd.p2, &cmd.data)?;
    let m = mac(key, challenge, &input)?;
    let mut data = cmd.data.clone();
    data.extend_from_slice(&m);
    Ok(crate::apdu::Command {
        cla: cmd.cla | 0x04,
        ins: cmd.ins,
        p1: cmd.p1,
        p2: cmd.p2,
        data,
        le: cmd.le,
    })
}

/// Checks the MAC of a received secure-messaging command. `data_with_mac` is the command's
/// data field (plain data followed by the 4 MAC bytes). Returns the plain data when the MAC
/// is right, `None` when it is wrong or missing.
pub fn verify_sm_command<'a>(
    key: &Key,
    challenge: &[u8],
    header: [u8; 4],
    data_with_mac: &'a [u8],
) -> Option<&'a [u8]> {
    let split = data_with_mac.len().checked_sub(MAC_LEN)?;
    let (data, received) = data_with_mac.split_at(split);
    let [cla, ins, p1, p2] = header;
    let input = sm_mac_input(cla, ins, p1, p2, data).ok()?;
    let expected = mac(key, challenge, &input).ok()?;
    ct_eq(&expected, received).then_some(data)
}

/// PBOC-style diversification of a card key from a master key by an 8-byte factor:
/// 3DES: `left = 3DES(mk, f)`, `right = 3DES(mk, NOT f)`; SM4: `SM4(mk, f || NOT f)`.
/// The result has the master key's algorithm.
pub fn diversify(master: &Key, factor: &[u8; FACTOR_LEN]) -> Result<Key, CryptoError> {
    let mut block = Vec::with_capacity(16);
    block.extend_from_slice(factor);
    block.extend(factor.iter().map(|b| !b));
    let out = Secret::new(master.encrypt_ecb(&block)?);
    Key::from_slice(master.alg, out.expose())
}

/// Encodes a PIN typed as digits the way the card stores and VERIFY sends it (docs/cos.md):
/// BCD, two digits a byte, the last nibble `F` when the count is odd (`12345` → `12 34 5F`).
pub fn encode_pin(digits: &str) -> Result<Secret, CryptoError> {
    let digits = Secret::new(digits.trim().as_bytes().to_vec());
    let d = digits.expose();
    if !(4..=16).contains(&d.len()) {
        return Err(CryptoError::PinFormat {
            problem: format!("has {} characters", d.len()),
        });
    }
    if let Some(pos) = d.iter().position(|c| !c.is_ascii_digit()) {
        return Err(CryptoError::PinFormat {
            problem: format!("has a non-digit at position {}", pos + 1),
        });
    }
    let nibbles: Vec<u8> = d.iter().map(|c| c - b'0').collect();
    let out = nibbles
        .chunks(2)
        .map(|p| match p {
            [h, l] => (h << 4) | l,
            [h] => (h << 4) | 0x0F,
            _ => 0xFF,
        })
        .collect();
    let _wipe = Secret::new(nibbles);
    Ok(Secret::new(out))
}

pub mod derive;

#[cfg(test)]
mod tests;
