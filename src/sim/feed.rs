//! A card feeder: the images of a folder, presented one after another as if an operator put
//! each card into the reader and took it out when the host was done with it. `sscard batch`
//! uses it in-process (`feed:DIR`); behind vpcd (`sscard sim --vpcd PORT --feed DIR`) a card is
//! ejected when the host powers it down or resets it after using it.

use super::transport::{Chip, ImageCard};
use crate::transport::TransportError;
use std::path::{Path, PathBuf};

/// The card images (`*.json`) of a folder, in name order.
pub fn images(dir: &Path) -> Result<Vec<PathBuf>, TransportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| TransportError::Io {
        what: format!("cannot list the card feeder folder {}", dir.display()),
        source,
    })?;
    let mut images: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    images.sort();
    Ok(images)
}

/// A feeder as one chip for the vpcd bridge: the current card, and the ones still to come.
#[derive(Debug)]
pub struct FeedChip {
    images: Vec<PathBuf>,
    next: usize,
    current: ImageCard,
}

impl FeedChip {
    /// Opens the first image of `dir`; a folder without images is an error.
    pub fn open(dir: &Path) -> Result<Self, TransportError> {
        let images = images(dir)?;
        let first = images.first().ok_or_else(|| {
            TransportError::Other(format!(
                "the card feeder folder {} holds no card image (*.json): put initialised cards there (sscard init)",
                dir.display()
            ))
        })?;
        let current = ImageCard::open(first)?;
        Ok(FeedChip {
            images,
            next: 1,
            current,
        })
    }

    /// The image of the card in the reader now.
    pub fn current(&self) -> &Path {
        self.current.path()
    }

    /// How many cards the feeder held at the start.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the feeder held no card (never true for an opened feeder).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

impl Chip for FeedChip {
    fn power_on(&mut self) -> Option<Vec<u8>> {
        self.current.power_on()
    }
    fn power_off(&mut self) {
        self.current.power_off()
    }
    fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        self.current.process(apdu)
    }
    fn save(&mut self) -> Result<(), TransportError> {
        self.current.save()
    }
    fn next_card(&mut self) -> Result<bool, TransportError> {
        self.current.save()?;
        let Some(path) = self.images.get(self.next) else {
            return Ok(false);
        };
        self.current = ImageCard::open(path)?;
        self.next += 1;
        Ok(true)
    }
    fn is_feeder(&self) -> bool {
        true
    }
}
