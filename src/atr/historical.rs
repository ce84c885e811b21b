//! Historical bytes (ISO/IEC 7816-4 §8.1.1): category indicator, COMPACT-TLV objects, status
//! indicator.

use crate::apdu::Sw;
use serde::Serialize;

/// One COMPACT-TLV data object (tag in the high nibble, length in the low nibble).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompactObject {
    /// Tag number (the high nibble: 1..F).
    pub tag: u8,
    /// What the tag means (ISO/IEC 7816-4 Table 114).
    pub name: &'static str,
    /// The value.
    #[serde(serialize_with = "crate::apdu::hexser::bytes")]
    pub value: Vec<u8>,
}

/// The status indicator: life cycle status and/or a status word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusIndicator {
    /// Card life cycle status byte, if given.
    pub lcs: Option<u8>,
    /// The status word, if given (e.g. `9000`).
    #[serde(serialize_with = "ser_opt_sw")]
    pub sw: Option<Sw>,
}

fn ser_opt_sw<S: serde::Serializer>(v: &Option<Sw>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(sw) => s.serialize_str(&format!("{:04X}", sw.0)),
        None => s.serialize_none(),
    }
}

/// The historical bytes and what can be read from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Historical {
    /// The bytes.
    #[serde(serialize_with = "crate::apdu::hexser::bytes")]
    pub bytes: Vec<u8>,
    /// The category indicator (first byte), if any.
    #[serde(serialize_with = "crate::apdu::hexser::opt_byte")]
    pub category: Option<u8>,
    /// The category in words.
    pub format: String,
    /// The COMPACT-TLV objects (categories 00 and 80), when they parse.
    pub objects: Vec<CompactObject>,
    /// The status indicator (last 3 bytes for category 00; tag 8 for 80).
    pub status: Option<StatusIndicator>,
    /// The bytes as text, when they are all printable ASCII.
    pub text: Option<String>,
}

/// Name of a COMPACT-TLV tag (ISO/IEC 7816-4 §8.1.1.2).
fn tag_name(tag: u8) -> &'static str {
    match tag {
        0x1 => "country code",
        0x2 => "issuer identification number",
        0x3 => "card service data",
        0x4 => "initial access data",
        0x5 => "card issuer's data",
        0x6 => "pre-issuing data",
        0x7 => "card capabilities",
        0x8 => "status indicator",
        0xF => "application identifier",
        _ => "reserved",
    }
}

fn parse_compact(mut b: &[u8]) -> Option<Vec<CompactObject>> {
    let mut out = Vec::new();
    while let Some((&head, rest)) = b.split_first() {
        let len = usize::from(head & 0x0F);
        let value = rest.get(..len)?;
        out.push(CompactObject {
            tag: head >> 4,
            name: tag_name(head >> 4),
            value: value.to_vec(),
        });
        b = rest.get(len..)?;
    }
    Some(out)
}

fn status_from(v: &[u8]) -> Option<StatusIndicator> {
    match v {
        [lcs] => Some(StatusIndicator {
            lcs: Some(*lcs),
            sw: None,
        }),
        [a, b] => Some(StatusIndicator {
            lcs: None,
            sw: Some(Sw::from_bytes(*a, *b)),
        }),
        [lcs, a, b] => Some(StatusIndicator {
            lcs: Some(*lcs),
            sw: Some(Sw::from_bytes(*a, *b)),
        }),
        _ => None,
    }
}

impl Historical {
    /// Reads the historical bytes. Never fails: what does not parse is reported as such.
    pub fn parse(bytes: &[u8]) -> Historical {
        let text = (!bytes.is_empty() && bytes.iter().all(|b| (0x20..0x7F).contains(b)))
            .then(|| bytes.iter().map(|&b| char::from(b)).collect());
        let mut h = Historical {
            bytes: bytes.to_vec(),
            category: bytes.first().copied(),
            format: String::new(),
            objects: Vec::new(),
            status: None,
            text,
        };
        let Some((&cat, rest)) = bytes.split_first() else {
            h.format = "none".into();
            return h;
        };
        match cat {
            0x00 => {
                // COMPACT-TLV objects, then a mandatory 3-byte status indicator.
                let split = rest.len().checked_sub(3);
                match split.and_then(|n| Some((parse_compact(rest.get(..n)?)?, rest.get(n..)?))) {
                    Some((objects, status)) => {
                        h.format = "category 00: COMPACT-TLV objects and a status indicator (last 3 bytes)".into();
                        h.objects = objects;
                        h.status = status_from(status);
                    }
                    None => {
                        h.format = "category 00, but the COMPACT-TLV objects are malformed".into()
                    }
                }
            }
            0x80 => match parse_compact(rest) {
                Some(objects) => {
                    h.format = "category 80: COMPACT-TLV objects".into();
                    h.status = objects
                        .iter()
                        .find(|o| o.tag == 0x8)
                        .and_then(|o| status_from(&o.value));
                    h.objects = objects;
                }
                None => h.format = "category 80, but the COMPACT-TLV objects are malformed".into(),
            },
            0x10 => {
                h.format = match rest.first() {
                    Some(r) => format!("category 10: DIR data reference {r:02X}"),
                    None => "category 10 without its DIR data reference".into(),
                }
            }
            0x81..=0x8F => h.format = format!("category {cat:02X}: reserved (RFU)"),
            _ => h.format = format!("proprietary (category byte {cat:02X})"),
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_80_with_status() {
        let h = Historical::parse(&[0x80, 0x31, 0x80, 0x83, 0x00, 0x90, 0x00]);
        assert_eq!(h.objects.len(), 2);
        assert_eq!(h.objects[0].name, "card service data");
        let st = h.status.unwrap();
        assert_eq!((st.lcs, st.sw), (Some(0), Some(Sw::OK)));
    }

    #[test]
    fn category_00_status_is_last_three_bytes() {
        let h = Historical::parse(&[0x00, 0x73, 0xC8, 0x40, 0x13, 0x05, 0x90, 0x00]);
        assert_eq!(h.objects.len(), 1);
        assert_eq!(h.objects[0].name, "card capabilities");
        assert_eq!(h.status.unwrap().sw, Some(Sw::OK));
    }

    #[test]
    fn malformed_and_proprietary_never_fail() {
        let h = Historical::parse(&[0x80, 0x75, 0x01]);
        assert!(h.format.contains("malformed"), "{}", h.format);
        assert!(h.objects.is_empty());
        let h = Historical::parse(b"Yubikey4");
        assert_eq!(h.text.as_deref(), Some("Yubikey4"));
        assert!(h.format.starts_with("proprietary"));
        assert_eq!(Historical::parse(&[]).format, "none");
    }
}
