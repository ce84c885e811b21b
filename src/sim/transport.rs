//! The in-process link to a virtual card (`--reader sim:PATH`): no pcscd needed.
//!
//! [`open`] loads the card image (a blank card when the file does not exist yet), powers the
//! card up and hands it out as a [`Transport`]. The image is saved atomically on `close()`, and
//! on drop as a fallback. The same [`ImageCard`] is what the vpcd bridge serves.

use super::VirtualCard;
use crate::transport::{ResetKind, Transport, TransportError};
use std::path::{Path, PathBuf};

/// What a card behind a link must do: power, answer APDUs, keep its state. The virtual card
/// with its image file implements it ([`ImageCard`]); the vpcd bridge serves any `Chip`.
pub trait Chip {
    /// Powers the chip up; its ATR, or `None` for a dead chip.
    fn power_on(&mut self) -> Option<Vec<u8>>;
    /// Powers the chip down (security state is lost).
    fn power_off(&mut self);
    /// Answers one command APDU (data + SW), or `None` when the chip gives no answer.
    fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>>;
    /// Makes the state persistent (writes the image); nothing by default.
    fn save(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
    /// A card feeder: the host released the card; take it out and put the next one in.
    /// `Ok(false)` when there is no next card (and for a single chip, always).
    fn next_card(&mut self) -> Result<bool, TransportError> {
        Ok(false)
    }
    /// Whether this chip is a feeder (a released card is ejected, see [`Chip::next_card`]).
    fn is_feeder(&self) -> bool {
        false
    }
}

/// A virtual card together with the image file it was loaded from and is saved to.
///
/// While it lives it holds an exclusive lock on a companion file in the temporary directory
/// (`sscard-<hash of the image's real path>.lock`, so an image in a read-only folder can be
/// used, and a symbolic link and its target share one lock), so two sscard processes never
/// work on the same image at once (the last save would silently undo the other's changes).
/// The lock file is removed when the lock is released.
#[derive(Debug)]
pub struct ImageCard {
    card: VirtualCard,
    path: PathBuf,
    /// The held lock (`None` after `unlock`); released when dropped.
    lock: Option<std::fs::File>,
    /// The image text last loaded or saved: an unchanged card is not written again (reading
    /// an image in a read-only folder works).
    saved: Option<String>,
}

/// The lock file of the image at `path` (see [`ImageCard`]).
fn lock_path(path: &Path) -> PathBuf {
    use sha2::Digest as _;
    let target = super::image::target_of(path);
    let real = match (target.parent(), target.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).map_or(target.clone(), |d| d.join(name))
        }
        _ => target.clone(),
    };
    let hash = sha2::Sha256::digest(real.as_os_str().as_encoded_bytes());
    let tag: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("sscard-{tag}.lock"))
}

/// Takes the lock of the image at `path` (see [`ImageCard`]).
fn lock_image(path: &Path) -> Result<std::fs::File, TransportError> {
    let lock_path = lock_path(path);
    // Another sscard that is closing the same image releases it within moments: wait a
    // little (up to 2 s) before saying it is in use.
    let mut waited = 0u32;
    loop {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| TransportError::Io {
                what: format!(
                    "cannot create the lock file {} of the card image {}",
                    lock_path.display(),
                    path.display()
                ),
                source,
            })?;
        match file.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) if waited < 40 => {
                waited += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(()) => {
                // Its last holder may have removed the file before we locked it: then the
                // lock is on a file nobody else will see; take the one at the path.
                let same = match (file.metadata(), std::fs::metadata(&lock_path)) {
                    (Ok(a), Ok(b)) => same_file(&a, &b),
                    _ => false,
                };
                if same {
                    return Ok(file);
                }
            }
            other => break lock_result(other, file, path, &lock_path),
        }
    }
}

/// Whether two metadata describe the same file (the lock file at the path was not replaced).
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.ino() == b.ino() && a.dev() == b.dev()
}

/// Without inode numbers: a lock file removed while open stays "delete pending" and cannot be
/// opened again until its last holder closes it, so the file at the path is the one locked.
#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

fn lock_result(
    result: Result<(), std::fs::TryLockError>,
    file: std::fs::File,
    path: &Path,
    lock_path: &Path,
) -> Result<std::fs::File, TransportError> {
    match result {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(TransportError::Other(format!(
            "the card image {} is in use by another sscard process (for example `sscard sim \
             --vpcd`): stop it first, or use the reader it serves",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(source)) => Err(TransportError::Io {
            what: format!("cannot lock {}", lock_path.display()),
            source,
        }),
    }
}

impl ImageCard {
    /// Loads the image at `path`, or makes a blank card when no file is there yet (and
    /// writes it there). A file that exists but cannot be read or understood, or is not a
    /// regular file (a FIFO, a device, a directory), is an error naming the file: it is
    /// never silently replaced. Temporary files of interrupted saves by processes that no
    /// longer run are removed.
    pub fn open(path: &Path) -> Result<Self, TransportError> {
        if std::fs::metadata(path).is_ok() {
            crate::input::check_regular(path).map_err(|source| TransportError::Io {
                what: format!("cannot use {} as a card image", path.display()),
                source,
            })?;
        }
        let lock = lock_image(path)?;
        super::image::remove_stale_temps(path);
        let card = match load_image(path) {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(lock_path(path));
                let _ = lock.unlock();
                return Err(e);
            }
        };
        let saved = card.image_text().ok();
        Ok(ImageCard {
            card,
            path: path.to_path_buf(),
            lock: Some(lock),
            saved,
        })
    }

    /// Releases the image lock (after the last save), so the image can be opened again.
    pub fn unlock(&mut self) {
        if let Some(file) = self.lock.take() {
            // Remove the lock file while still holding it (whoever waits on it then sees
            // it is gone and makes a new one). Release explicitly: a child process forked by
            // another thread of this program may still share the descriptor until it execs,
            // and dropping our copy alone would leave the lock held for that moment. An
            // error here only means there was nothing left to release.
            let _ = std::fs::remove_file(lock_path(&self.path));
            let _ = file.unlock();
        }
    }

    /// Takes the image lock again after `unlock` (an error if someone else holds it now).
    pub fn relock(&mut self) -> Result<(), TransportError> {
        if self.lock.is_none() {
            self.lock = Some(lock_image(&self.path)?);
        }
        Ok(())
    }

    /// The image file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The virtual card.
    pub fn card(&self) -> &VirtualCard {
        &self.card
    }

    /// The virtual card, to change it (fault modes, for example).
    pub fn card_mut(&mut self) -> &mut VirtualCard {
        &mut self.card
    }
}

impl Drop for ImageCard {
    fn drop(&mut self) {
        self.unlock();
    }
}

impl Chip for ImageCard {
    fn power_on(&mut self) -> Option<Vec<u8>> {
        self.card.power_on()
    }
    fn power_off(&mut self) {
        self.card.power_off()
    }
    fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.card.process(apdu)
    }
    fn save(&mut self) -> Result<(), TransportError> {
        let text = self.card.image_text().ok();
        if text.is_some() && text == self.saved {
            return Ok(());
        }
        save_image(&self.card, &self.path)?;
        self.saved = text;
        Ok(())
    }
}

/// Loads a card image, or creates a blank card (and its file) when none exists yet.
fn load_image(path: &Path) -> Result<VirtualCard, TransportError> {
    VirtualCard::load_or_create(path).map_err(TransportError::backend)
}

/// Saves a card image atomically (temporary file, then rename).
fn save_image(card: &VirtualCard, path: &Path) -> Result<(), TransportError> {
    card.save(path).map_err(TransportError::backend)
}

/// The virtual card as a transport: `transmit` goes straight to the card.
#[derive(Debug)]
pub struct SimTransport {
    chip: ImageCard,
    atr: Vec<u8>,
    name: String,
    /// Set once the image was saved by `close` (the drop fallback then does nothing).
    closed: bool,
    /// Save the image after every command that may change it, as a chip commits its memory
    /// before answering (card feeders: a process killed mid-card leaves what a real card would).
    commit_each: bool,
}

impl SimTransport {
    /// Saves the image after every command that may change the card (see `commit_each`).
    pub fn committing_each_command(mut self) -> Self {
        self.commit_each = true;
        self
    }

    /// Wraps an opened image and powers the card up.
    pub fn new(mut chip: ImageCard) -> Result<Self, TransportError> {
        let name = format!("sim:{}", chip.path().display());
        let atr = chip
            .power_on()
            .ok_or_else(|| TransportError::Unresponsive {
                reader: name.clone(),
            })?;
        Ok(SimTransport {
            chip,
            atr,
            name,
            closed: false,
            commit_each: false,
        })
    }

    /// The card and its image.
    pub fn image(&mut self) -> &mut ImageCard {
        &mut self.chip
    }
}

impl Transport for SimTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.closed {
            // Used again after close: take the image back first.
            self.chip.relock()?;
            self.closed = false;
        }
        let answer = self
            .chip
            .process(apdu)
            .ok_or_else(|| TransportError::CardRemoved {
                reader: self.name.clone(),
            })?;
        if self.commit_each && super::vpcd::may_change_state(apdu) {
            self.chip.save()?;
        }
        Ok(answer)
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        // The chip keeps no state across power that a warm reset would keep and a cold one
        // lose: both restart it from its ATR with the security state cleared.
        let _ = kind;
        if self.closed {
            self.chip.relock()?;
            self.closed = false;
        }
        self.chip.power_off();
        self.atr = self
            .chip
            .power_on()
            .ok_or_else(|| TransportError::Unresponsive {
                reader: self.name.clone(),
            })?;
        Ok(self.atr.clone())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.chip.power_off();
        // Said once: a failed save is the error of close, not tried again on drop.
        let saved = self.chip.save();
        self.chip.unlock();
        self.closed = true;
        saved
    }
}

impl Drop for SimTransport {
    fn drop(&mut self) {
        if !self.closed
            && let Err(e) = self.chip.save()
        {
            tracing::warn!("virtual card image not saved: {e}");
        }
    }
}

/// Opens the virtual card whose image is at `path` (a blank card if the file does not exist)
/// and returns it as a transport. The image is saved on `close` (and on drop as a fallback).
pub fn open(path: &Path) -> Result<Box<dyn Transport>, TransportError> {
    Ok(Box::new(SimTransport::new(ImageCard::open(path)?)?))
}
