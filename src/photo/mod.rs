//! The holder's photo (EF08): a baseline JPEG in a transparent EF of the SSSE.
//!
//! `sscard photo write` takes a JPEG or PNG, makes it the profile's size and re-encodes it under
//! the file's size ([`jpeg::prepare`]), then writes it with UPDATE BINARY in chunks of at most
//! the card's maximum and reads it back byte for byte ([`write_photo`]). `sscard photo read`
//! and `sscard read --json` read it ([`read_photo`], [`probe`]).
//!
//! A write is safe to cut: it first overwrites the JPEG's start marker, then writes the rest of
//! the file, and the first chunk (with the start marker) last. A card that lost power mid-way
//! holds no photo (never half of one that looks whole); the same command run again finishes.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sscard::photo::{PhotoFile, jpeg, write_photo};
//! let profile = sscard::profile::load("card-profiles/ssc-3.00.toml".as_ref())?;
//! let file = PhotoFile::from_profile(&profile)?;
//! let picture = std::fs::read("holder.png")?;
//! let photo = jpeg::prepare(&picture, &file.spec, file.size)?;
//! let mut card = sscard::sim::transport::open("card.json".as_ref())?;
//! let keys = sscard::session::CardKeys::default(); // the write key, diversified for the card
//! sscard::session::in_transaction(card.as_mut(), |s| write_photo(s, &file, &keys, &photo.jpeg))?;
//! # Ok(()) }
//! ```

mod card;
pub mod jpeg;

pub use card::{PhotoInfo, probe, read_photo, write_photo};

use crate::cos::AccessCondition as Access;
use crate::error::ErrorChain;
use crate::profile::{Df, PhotoSpec, Profile};
use crate::session::SessionError;

/// Where the photo is and how it is written, from the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFile {
    /// The DF name (AID) of the DF holding the photo EF (SSSE).
    pub df_name: Vec<u8>,
    /// The DF's label.
    pub df_label: String,
    /// The EF's file id (`EF08`).
    pub fid: u16,
    /// The EF's size in bytes: the photo's size limit.
    pub size: usize,
    /// Width, height and chunk size.
    pub spec: PhotoSpec,
    /// Read access condition.
    pub read: Access,
    /// Update access condition.
    pub update: Access,
    /// Labels of the DF's keys by id, for messages.
    pub key_labels: Vec<(u8, String)>,
}

impl PhotoFile {
    /// The first EF with a `photo` of the profile, in a DF selected by name.
    pub fn from_profile(p: &Profile) -> Result<PhotoFile, PhotoError> {
        fn find(df: &Df) -> Option<(&Df, &crate::profile::Ef, PhotoSpec)> {
            df.efs
                .iter()
                .find_map(|ef| ef.photo.map(|ph| (df, ef, ph)))
                .or_else(|| df.dfs.iter().find_map(find))
        }
        let (df, ef, spec) = find(&p.mf).ok_or_else(|| PhotoError::NoPhotoInProfile {
            profile: p.meta.name.clone(),
        })?;
        let size = match ef.size {
            crate::profile::EfSize::Bytes(n) => usize::from(n),
            crate::profile::EfSize::Records { .. } => 0,
        };
        let df_name = df.aid.clone().ok_or_else(|| PhotoError::NoPhotoInProfile {
            profile: format!(
                "{} (DF `{}` has no DF name to select)",
                p.meta.name, df.name
            ),
        })?;
        Ok(PhotoFile {
            df_name,
            df_label: if df.label.is_empty() {
                df.name.to_uppercase()
            } else {
                df.label.clone()
            },
            fid: ef.fid,
            size,
            spec,
            read: Access::from_byte(ef.access.read.byte()),
            update: Access::from_byte(ef.access.update.byte()),
            key_labels: df.keys.iter().map(|k| (k.id, k.name.clone())).collect(),
        })
    }

    /// The label of key `id` (its name in the profile, or `key NN`).
    pub fn key_label(&self, id: u8) -> String {
        self.key_labels
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| format!("key {id:02X}"))
    }

    /// `EF08`.
    pub fn name(&self) -> String {
        format!("{:04X}", self.fid)
    }
}

/// The `photo` member of `sscard read --json`: the file, whether it holds a photo and its
/// size in bytes; `on_card: false` when the card has no photo file; the error when it could
/// not be read.
pub fn to_json(f: &PhotoFile, probed: &Result<PhotoInfo, PhotoError>) -> serde_json::Value {
    match probed {
        Ok(i) => serde_json::json!({
            "file": f.name(),
            "on_card": i.file,
            "present": i.present(),
            "bytes": i.bytes,
        }),
        Err(e) => serde_json::json!({
            "file": f.name(),
            "present": null,
            "error": e.chain().to_string(),
        }),
    }
}

/// The `photo` member of `sscard read --json` for a card `content` was just read from in
/// session `s`: `None` when the profile has no photo file or the application is disabled (the
/// card refuses reads below it).
pub fn read_json_member(
    s: &mut crate::session::Session<'_>,
    p: &Profile,
    keys: &crate::session::CardKeys,
    content: &crate::perso::read::CardContent,
) -> Option<serde_json::Value> {
    let disabled = content.sw == crate::apdu::Sw::FILE_DEACTIVATED || content.lcs == Some(0x04);
    let f = PhotoFile::from_profile(p).ok().filter(|_| !disabled)?;
    let probed = probe(s, &f, Some(keys));
    Some(to_json(&f, &probed))
}

/// Why a photo could not be made, written or read.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The profile declares no photo EF.
    #[error(
        "profile {profile} declares no photo file (an EF with `photo = {{ ... }}`, EF08 in the shipped ssc profiles)"
    )]
    NoPhotoInProfile {
        /// The profile.
        profile: String,
    },
    /// The input picture cannot be used.
    #[error("the picture {0}")]
    Picture(String),
    /// Even the lowest quality does not fit the file.
    #[error(
        "the photo does not fit the card: at the lowest quality ({quality}) it is still {smallest} bytes, \
         the file holds {limit}. Use a simpler picture (plain background, no noise) and try again"
    )]
    TooBig {
        /// The smallest JPEG made.
        smallest: usize,
        /// The quality that made it.
        quality: u8,
        /// The file's size.
        limit: usize,
    },
    /// The card has no photo EF (initialised with a profile without one).
    #[error(
        "the card on {card} has no photo file {file} (6A82): it was initialised without one. \
         A card initialised with an older profile cannot take a photo; make a new card"
    )]
    NoFileOnCard {
        /// The card.
        card: String,
        /// `EF08`.
        file: String,
    },
    /// The file on the card is smaller than the photo.
    #[error(
        "the photo file {file} on {card} holds {card_size} bytes, the photo is {photo} bytes: \
         the card was initialised with another profile; nothing was written"
    )]
    FileTooSmall {
        /// The card.
        card: String,
        /// `EF08`.
        file: String,
        /// The EF's size on the card.
        card_size: usize,
        /// The photo's size.
        photo: usize,
    },
    /// The key the file's access condition needs is not available.
    #[error("key {key_id:02X} ({label}) is needed for {purpose} but is not available: {reason}")]
    MissingKey {
        /// Key id.
        key_id: u8,
        /// Its label.
        label: String,
        /// What for.
        purpose: String,
        /// Why it is missing.
        reason: String,
    },
    /// The write was cut (power lost, card removed): the card holds no photo now.
    #[error(
        "writing the photo was cut at byte {offset} of {total} (the card holds no photo \
         or an unchecked one; put the card back and run the same command again to finish)"
    )]
    Cut {
        /// The offset being written.
        offset: usize,
        /// The bytes to write.
        total: usize,
        /// The failure.
        #[source]
        source: Box<SessionError>,
    },
    /// The read back differs from what was written.
    #[error(
        "the photo read back from {card} differs from what was written at byte {offset} \
         (wrote {wrote:02X}, read {read:02X}): the chip's memory may be failing; run `sscard diagnose`"
    )]
    ReadBack {
        /// The card.
        card: String,
        /// The first differing offset.
        offset: usize,
        /// The byte written.
        wrote: u8,
        /// The byte read.
        read: u8,
    },
    /// The file holds the start of a JPEG without its end.
    #[error(
        "the photo in {file} on {card} is damaged: it starts like a JPEG but has no end marker within \
         the file's {size} bytes. Write the photo again (`sscard photo write`)"
    )]
    Damaged {
        /// The card.
        card: String,
        /// `EF08`.
        file: String,
        /// The EF's size.
        size: usize,
    },
    /// A card command failed.
    #[error(transparent)]
    Session(#[from] SessionError),
}
