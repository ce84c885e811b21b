//! The holder's photo (EF08) in a diagnosis: whether the card holds one, its size against the
//! file's, and whether it decodes as a JPEG. Read-only like the rest: SELECT and READ BINARY
//! (the read key only when the file's read condition names one and the operator gave keys).

use super::verdict::{Findings, Verdict};
use crate::apdu::Sw;
use crate::error::ErrorChain;
use crate::photo::{PhotoError, PhotoFile, jpeg, read_photo};
use crate::profile::Profile;
use crate::session::CardKeys;
use crate::transport::Transport;
use serde::Serialize;

/// What the photo file holds.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoCheck {
    /// The file (`EF08`).
    pub file: String,
    /// Whether the card has the photo file.
    pub on_card: bool,
    /// Whether a photo is there (`None`: it could not be read).
    pub present: Option<bool>,
    /// The photo's size in bytes.
    pub bytes: Option<usize>,
    /// The file's size: the most a photo may take.
    pub limit: usize,
    /// Width and height, when the photo decodes as a JPEG.
    pub pixels: Option<(u32, u32)>,
    /// The line the operator reads.
    pub status: String,
}

/// Reads the photo of a profile that declares one (`None` otherwise). A photo that starts like a JPEG but has no end or does not decode is
/// [`Verdict::DataDamaged`]; a memory failure while reading it [`Verdict::ChipFailing`]; no
/// photo at all is reported, not a fault (write one with `sscard photo write`).
pub(super) fn check(
    t: &mut dyn Transport,
    profile: &Profile,
    keys: Option<&CardKeys>,
    f: &mut Findings,
) -> Option<PhotoCheck> {
    let file = PhotoFile::from_profile(profile).ok()?;
    let mut c = PhotoCheck {
        file: file.name(),
        on_card: true,
        present: None,
        bytes: None,
        limit: file.size,
        pixels: None,
        status: String::new(),
    };
    let name = file.name();
    let read = crate::session::in_transaction(t, |s| read_photo(s, &file, keys));
    c.status = match read {
        Ok(Some(photo)) => {
            c.present = Some(true);
            c.bytes = Some(photo.len());
            match jpeg::dimensions(&photo) {
                Ok((w, h)) => {
                    c.pixels = Some((w, h));
                    format!(
                        "{} bytes, JPEG {w}x{h} (the file holds {})",
                        photo.len(),
                        file.size
                    )
                }
                Err(why) => {
                    let s = format!(
                        "{} bytes that do not decode as a JPEG ({why}): write the photo again \
                         (`sscard photo write`)",
                        photo.len()
                    );
                    f.add(
                        Verdict::DataDamaged,
                        format!("the photo in {name} is damaged: {s}"),
                    );
                    s
                }
            }
        }
        Ok(None) => {
            c.present = Some(false);
            "none (never written, or a write was cut): `sscard photo write` puts one there".into()
        }
        Err(PhotoError::NoFileOnCard { .. }) => {
            c.on_card = false;
            c.present = Some(false);
            "the card has no photo file (initialised without one)".into()
        }
        Err(e @ PhotoError::Damaged { .. }) => {
            c.present = Some(true);
            f.add(Verdict::DataDamaged, e.to_string());
            "damaged: it starts like a JPEG but has no end; write the photo again \
             (`sscard photo write`)"
                .into()
        }
        Err(PhotoError::MissingKey { key_id, label, .. }) => {
            format!("not checked: reading it needs key {key_id:02X} ({label}): give --keys")
        }
        Err(PhotoError::Session(e)) if e.sw() == Some(Sw::MEMORY_FAILURE) => {
            f.add(
                Verdict::ChipFailing,
                format!("reading the photo in {name} failed with a memory error (6581)"),
            );
            format!("cannot be read: {}", e.chain())
        }
        Err(PhotoError::Session(e))
            if matches!(
                e.sw(),
                Some(Sw::CONDITIONS_NOT_SATISFIED | Sw::FILE_DEACTIVATED)
            ) =>
        {
            "not read: the application is disabled".into()
        }
        Err(e) => format!("cannot be read: {}", e.chain()),
    };
    Some(c)
}
