//! The keys and PINs of one DF (its key file), as WRITE KEY loads them (docs/cos.md) and the
//! card image stores them. Values are [`Secret`]s: Debug shows ids, roles and counters, never
//! bytes.

use crate::crypto::{Algorithm, Key, Secret};
use serde::{Deserialize, Serialize};

/// Highest key id / PIN reference (P2 bits 5-1, ISO/IEC 7816-4).
pub const MAX_ID: u8 = 0x1F;

/// Default try counter of a PIN loaded with max-tries `0`.
pub const DEFAULT_PIN_TRIES: u8 = 3;

/// The role of a key: the WRITE KEY usage byte, shared with the host side. A key entry never
/// has [`KeyUsage::Pin`] (PINs are [`PinEntry`]s).
pub use crate::cos::KeyUsage;

/// A try counter: `max == 0` means unlimited (keys only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tries {
    /// Tries allowed after a success (0: unlimited).
    pub max: u8,
    /// Tries left before the object is blocked.
    pub left: u8,
}

impl Tries {
    /// A full counter.
    pub fn full(max: u8) -> Tries {
        Tries { max, left: max }
    }

    /// Whether the object is blocked (a limited counter at zero).
    pub fn blocked(self) -> bool {
        self.max > 0 && self.left == 0
    }

    /// Records a failure; returns the tries left (`None`: unlimited).
    pub fn fail(&mut self) -> Option<u8> {
        if self.max == 0 {
            return None;
        }
        self.left = self.left.saturating_sub(1);
        Some(self.left)
    }

    /// Records a success (the counter is full again).
    pub fn succeed(&mut self) {
        self.left = self.max;
    }
}

/// One key of a DF.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KeyEntryText", into = "KeyEntryText")]
pub struct KeyEntry {
    /// Key id (EXTERNAL/INTERNAL AUTHENTICATE P2, `2N`/`3N`).
    pub id: u8,
    /// Role.
    pub usage: KeyUsage,
    /// The key (algorithm and 16 bytes).
    pub key: Key,
    /// Try counter.
    pub tries: Tries,
}

/// The image form of a key entry.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntryText {
    id: u8,
    usage: KeyUsage,
    alg: Algorithm,
    value: Secret,
    max_tries: u8,
    tries_left: u8,
}

impl TryFrom<KeyEntryText> for KeyEntry {
    type Error = String;

    fn try_from(t: KeyEntryText) -> Result<Self, String> {
        if t.usage == KeyUsage::Pin {
            return Err(format!(
                "key {:02X}: usage \"pin\" is for PINs (put it under \"pins\")",
                t.id
            ));
        }
        let key = Key::from_slice(t.alg, t.value.expose())
            .map_err(|e| format!("key {:02X}: {e}", t.id))?;
        check_counter(t.id, t.max_tries, t.tries_left).map_err(|e| format!("key {e}"))?;
        Ok(KeyEntry {
            id: t.id,
            usage: t.usage,
            key,
            tries: Tries {
                max: t.max_tries,
                left: t.tries_left,
            },
        })
    }
}

impl From<KeyEntry> for KeyEntryText {
    fn from(k: KeyEntry) -> Self {
        KeyEntryText {
            id: k.id,
            usage: k.usage,
            alg: k.key.alg,
            value: Secret::new(k.key.bytes.to_vec()),
            max_tries: k.tries.max,
            tries_left: k.tries.left,
        }
    }
}

fn check_counter(id: u8, max: u8, left: u8) -> Result<(), String> {
    if id > MAX_ID {
        return Err(format!("id {id:02X} is above {MAX_ID:02X}"));
    }
    if max > 15 || left > max {
        return Err(format!(
            "{id:02X}: max_tries must be 0..15 and tries_left at most max_tries \
             (got {max} and {left})"
        ));
    }
    Ok(())
}

/// One PIN of a DF: BCD, `F`-padded, 2 to 8 bytes (docs/crypto.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PinEntryText", into = "PinEntryText")]
pub struct PinEntry {
    /// PIN reference (VERIFY P2, access condition `1N`).
    pub reference: u8,
    /// The PIN as VERIFY sends it.
    pub value: Secret,
    /// Try counter (never unlimited).
    pub tries: Tries,
}

/// The image form of a PIN entry.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinEntryText {
    reference: u8,
    value: Secret,
    max_tries: u8,
    tries_left: u8,
}

impl TryFrom<PinEntryText> for PinEntry {
    type Error = String;

    fn try_from(t: PinEntryText) -> Result<Self, String> {
        check_counter(t.reference, t.max_tries, t.tries_left).map_err(|e| format!("PIN {e}"))?;
        if !pin_len_ok(t.value.len()) || t.max_tries == 0 {
            return Err(format!(
                "PIN {:02X}: value must be 2 to 8 bytes and max_tries 1..15",
                t.reference
            ));
        }
        Ok(PinEntry {
            reference: t.reference,
            value: t.value,
            tries: Tries {
                max: t.max_tries,
                left: t.tries_left,
            },
        })
    }
}

impl From<PinEntry> for PinEntryText {
    fn from(p: PinEntry) -> Self {
        PinEntryText {
            reference: p.reference,
            value: p.value,
            max_tries: p.tries.max,
            tries_left: p.tries.left,
        }
    }
}

/// Whether `n` bytes is a valid stored PIN length.
pub fn pin_len_ok(n: usize) -> bool {
    (2..=8).contains(&n)
}

/// The keys and PINs of one DF (serde: part of the card image).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyStore {
    /// Keys by id (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyEntry>,
    /// PINs by reference (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<PinEntry>,
}

impl KeyStore {
    /// True when the DF holds no key and no PIN (the image then omits the field).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.pins.is_empty()
    }

    /// The documented test keys of a blank card's MF (docs/crypto.md): key `00` external
    /// authentication `11`×16, key `01` maintenance/MAC `22`×16, key `02` internal
    /// authentication `33`×16, all 3DES with unlimited tries; no PIN.
    pub fn blank_mf() -> KeyStore {
        let mut s = KeyStore::default();
        for (id, usage, byte) in [
            (0x00, KeyUsage::ExternalAuth, 0x11),
            (0x01, KeyUsage::Maintenance, 0x22),
            (0x02, KeyUsage::InternalAuth, 0x33),
        ] {
            s.put_key(KeyEntry {
                id,
                usage,
                key: Key::new(Algorithm::Tdes, [byte; 16]),
                tries: Tries::full(0),
            });
        }
        s
    }

    /// The key with this id.
    pub fn key(&self, id: u8) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// The key with this id, mutable.
    pub fn key_mut(&mut self, id: u8) -> Option<&mut KeyEntry> {
        self.keys.iter_mut().find(|k| k.id == id)
    }

    /// The PIN with this reference.
    pub fn pin(&self, reference: u8) -> Option<&PinEntry> {
        self.pins.iter().find(|p| p.reference == reference)
    }

    /// The PIN with this reference, mutable.
    pub fn pin_mut(&mut self, reference: u8) -> Option<&mut PinEntry> {
        self.pins.iter_mut().find(|p| p.reference == reference)
    }

    /// Adds or replaces a key (kept sorted by id).
    pub fn put_key(&mut self, entry: KeyEntry) {
        self.keys.retain(|k| k.id != entry.id);
        let at = self.keys.partition_point(|k| k.id < entry.id);
        self.keys.insert(at, entry);
    }

    /// Adds or replaces a PIN (kept sorted by reference).
    pub fn put_pin(&mut self, entry: PinEntry) {
        self.pins.retain(|p| p.reference != entry.reference);
        let at = self.pins.partition_point(|p| p.reference < entry.reference);
        self.pins.insert(at, entry);
    }
}
