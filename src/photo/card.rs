//! Writing and reading the photo EF on a card (ISO/IEC 7816-4 UPDATE BINARY / READ BINARY on
//! the EF selected by file id; offsets beyond 255 need it selected, not addressed by SFI).

use super::{PhotoError, PhotoFile, jpeg};
use crate::apdu::Sw;
use crate::card::{Ef, SelectBy, SelectReturn};
use crate::cos::AccessCondition as Access;
use crate::session::CardKey;
use crate::session::CardKeys;
use crate::session::Session;

/// What a card holds in its photo file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoInfo {
    /// Whether the card has the photo file at all.
    pub file: bool,
    /// The photo's size in bytes, when a photo is present.
    pub bytes: Option<usize>,
}

impl PhotoInfo {
    /// Whether a photo is present.
    pub fn present(&self) -> bool {
        self.bytes.is_some()
    }
}

/// Selects the application DF (unless it is current), authenticates with `auth` when given, then selects the photo
/// EF. Returns the EF's size on the card (tag 80 of its FCP; the profile's size when the card
/// gives none), or `None` when the card has no such EF.
fn open(
    s: &mut Session<'_>,
    f: &PhotoFile,
    auth: Option<(u8, &CardKey)>,
) -> Result<Option<usize>, PhotoError> {
    s.select_df(&f.df_name, &f.df_label)?;
    if let Some((k, key)) = auth {
        s.authenticate(k, &f.key_label(k), key)?;
    }
    let doing = format!("selecting the photo file {}", f.name());
    let sel = s.with_card(&doing, |c| {
        match c.select(SelectBy::ChildEf(f.fid), SelectReturn::Fcp) {
            Err(e) if e.sw() == Some(Sw::FILE_NOT_FOUND) => Ok(None),
            other => other.map(Some),
        }
    })?;
    Ok(sel.map(|sel| {
        sel.fcp
            .and_then(|fcp| fcp.size)
            .map_or(f.size, |n| n as usize)
    }))
}

/// The key an access condition names, when it names one: from `keys`, or the error saying why
/// it is not available.
fn key_for<'k>(
    f: &PhotoFile,
    access: Access,
    keys: Option<&'k CardKeys>,
    purpose: &str,
) -> Result<Option<(u8, &'k CardKey)>, PhotoError> {
    let Access::ExternalAuth(k) = access else {
        return Ok(None);
    };
    let why = match keys {
        Some(ks) => match ks.get(k) {
            Some(key) => return Ok(Some((k, key))),
            None => ks.why_missing(k),
        },
        None => None,
    };
    Err(PhotoError::MissingKey {
        key_id: k,
        label: f.key_label(k),
        purpose: purpose.to_string(),
        reason: why.unwrap_or("no key file was given (--keys)").to_string(),
    })
}

/// Writes `photo` into the photo EF, zero-padded to the file's size, in chunks of at most the
/// profile's chunk size: first `00 00` over the start marker, then every chunk but the first,
/// then the first; then reads the whole file back and compares byte for byte. Authenticates
/// with the key the file's update condition names (from `keys`). A link failure on the way
/// (power lost, card pulled) is [`PhotoError::Cut`]: the same call again finishes.
pub fn write_photo(
    s: &mut Session<'_>,
    f: &PhotoFile,
    keys: &CardKeys,
    photo: &[u8],
) -> Result<(), PhotoError> {
    let mut at = 0;
    let r = write_and_check(s, f, keys, photo, &mut at);
    match r {
        Err(PhotoError::Session(source)) if source.is_link_failure() => Err(PhotoError::Cut {
            offset: at,
            total: f.size,
            source: Box::new(source),
        }),
        other => other,
    }
}

fn write_and_check(
    s: &mut Session<'_>,
    f: &PhotoFile,
    keys: &CardKeys,
    photo: &[u8],
    at: &mut usize,
) -> Result<(), PhotoError> {
    let card = s.card_name();
    let auth = key_for(f, f.update, Some(keys), "writing the photo")?;
    let size = open(s, f, auth)?.ok_or_else(|| PhotoError::NoFileOnCard {
        card: card.clone(),
        file: f.name(),
    })?;
    if photo.len() > size {
        return Err(PhotoError::FileTooSmall {
            card,
            file: f.name(),
            card_size: size,
            photo: photo.len(),
        });
    }
    let mut content = photo.to_vec();
    content.resize(size, 0);
    let chunk = usize::from(f.spec.chunk.max(1));
    let mut put = |s: &mut Session<'_>, offset: usize, data: &[u8]| {
        *at = offset;
        let doing = format!(
            "writing the photo: UPDATE BINARY {} offset {offset} ({} bytes)",
            f.name(),
            data.len()
        );
        let off = u16::try_from(offset).unwrap_or(u16::MAX);
        s.with_card(&doing, |c| c.update_binary(Ef::Current, off, data))
    };
    put(s, 0, &[0, 0])?;
    let mut pieces = content.chunks(chunk).enumerate();
    let first = pieces.next().map(|(_, c)| c.to_vec()).unwrap_or_default();
    for (i, piece) in pieces {
        put(s, i * chunk, piece)?;
    }
    put(s, 0, &first)?;
    *at = size;
    let mut back = Vec::with_capacity(size);
    read_on(s, f, &mut back, size, |_| false)?;
    let differs = content
        .iter()
        .zip(&back)
        .position(|(a, b)| a != b)
        .or((back.len() != content.len()).then(|| back.len().min(content.len())));
    match differs {
        Some(offset) => Err(PhotoError::ReadBack {
            card,
            offset,
            wrote: content.get(offset).copied().unwrap_or(0),
            read: back.get(offset).copied().unwrap_or(0),
        }),
        None => Ok(()),
    }
}

/// Reads on from the end of `data` in chunks of at most the profile's chunk size, until `len`
/// bytes are there, the card has no more, or `done` says enough was read.
fn read_on(
    s: &mut Session<'_>,
    f: &PhotoFile,
    data: &mut Vec<u8>,
    len: usize,
    done: impl Fn(&[u8]) -> bool,
) -> Result<(), PhotoError> {
    let chunk = usize::from(f.spec.chunk.max(1));
    while data.len() < len && !done(data) {
        let offset = data.len();
        let n = chunk.min(len - offset);
        let doing = format!(
            "reading the photo: READ BINARY {} offset {offset}",
            f.name()
        );
        let off = u16::try_from(offset).unwrap_or(u16::MAX);
        let more = s.with_card(&doing, |c| c.read_binary(Ef::Current, off, n))?;
        if more.is_empty() {
            break;
        }
        data.extend_from_slice(&more);
    }
    Ok(())
}

/// Reads the first chunk, trying without a key first: when the card answers 6982 and the
/// file's read condition names a key that `keys` has, authenticates and reads again. `None`:
/// the card has no photo file.
fn first_chunk(
    s: &mut Session<'_>,
    f: &PhotoFile,
    keys: Option<&CardKeys>,
) -> Result<Option<(usize, Vec<u8>)>, PhotoError> {
    let Some(size) = open(s, f, None)? else {
        return Ok(None);
    };
    let n = usize::from(f.spec.chunk.max(1)).min(size);
    let doing = format!("reading the photo: READ BINARY {} offset 0", f.name());
    match s.with_card(&doing, |c| c.read_binary(Ef::Current, 0, n)) {
        Ok(d) => Ok(Some((size, d))),
        Err(e) if e.sw() == Some(Sw::SECURITY_NOT_SATISFIED) => {
            let Some(auth) = key_for(f, f.read, keys, "reading the photo")? else {
                return Err(e.into());
            };
            open(s, f, Some(auth))?;
            let d = s.with_card(&doing, |c| c.read_binary(Ef::Current, 0, n))?;
            Ok(Some((size, d)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the card holds a photo and its size: SELECT and one READ BINARY when there is
/// none, the whole file when there is one.
pub fn probe(
    s: &mut Session<'_>,
    f: &PhotoFile,
    keys: Option<&CardKeys>,
) -> Result<PhotoInfo, PhotoError> {
    Ok(match read_photo(s, f, keys) {
        Ok(Some(p)) => PhotoInfo {
            file: true,
            bytes: Some(p.len()),
        },
        Ok(None) => PhotoInfo {
            file: true,
            bytes: None,
        },
        Err(PhotoError::NoFileOnCard { .. }) => PhotoInfo {
            file: false,
            bytes: None,
        },
        Err(e) => return Err(e),
    })
}

/// Reads the photo: the JPEG's bytes, or `None` when the file holds no photo (it does not
/// start with a JPEG start marker: never written, or a write was cut). A file that starts like
/// a JPEG but has no end is [`PhotoError::Damaged`].
pub fn read_photo(
    s: &mut Session<'_>,
    f: &PhotoFile,
    keys: Option<&CardKeys>,
) -> Result<Option<Vec<u8>>, PhotoError> {
    let card = s.card_name();
    let Some((size, head)) = first_chunk(s, f, keys)? else {
        return Err(PhotoError::NoFileOnCard {
            card,
            file: f.name(),
        });
    };
    if !jpeg::starts_like_jpeg(&head) {
        return Ok(None);
    }
    let mut data = head;
    // Read on until the JPEG's end is inside what was read (or the file ends).
    read_on(s, f, &mut data, size, |d| jpeg::jpeg_len(d).is_some())?;
    match jpeg::jpeg_len(&data) {
        Some(n) => {
            data.truncate(n);
            Ok(Some(data))
        }
        None => Err(PhotoError::Damaged {
            card,
            file: f.name(),
            size,
        }),
    }
}
