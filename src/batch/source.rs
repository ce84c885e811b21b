//! Where a batch worker's cards come from: a PC/SC reader (an operator inserts and removes
//! cards) or a virtual card feeder (`feed:DIR`, the blank images of a folder, one after another).

use crate::transport::pcsc::{self, CardEvent, ConnectOptions, ProtocolChoice};
use crate::transport::{Transport, TransportError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Asked while waiting: true when the worker should stop waiting (a stop was asked, or there
/// is nothing left to issue).
pub type Halt<'a> = dyn Fn() -> bool + Sync + 'a;

/// A reader a batch worker takes cards from.
pub trait CardSource: Send {
    /// The reader's name, for messages and the journal.
    fn name(&self) -> String;
    /// Waits for the next card and connects to it (exclusively). `None` when no more cards will
    /// come (a feeder is empty) or a stop was asked while waiting.
    fn next_card(&mut self, halt: &Halt<'_>) -> Result<Option<Box<dyn Transport>>, TransportError>;
    /// The card is done: releases it, and waits until it is taken out of the reader (or a stop
    /// is asked).
    fn release(&mut self, card: Box<dyn Transport>, halt: &Halt<'_>) -> Result<(), TransportError>;
    /// Whether the operator must be asked to take the card out (a real reader).
    fn needs_removal(&self) -> bool;
}

/// Parses `--readers`: `feed:DIR` for a feeder, anything else a PC/SC reader (index, name, or a
/// unique part of it).
pub fn parse(spec: &str, protocol: ProtocolChoice) -> Result<Box<dyn CardSource>, TransportError> {
    let spec = spec.trim();
    if let Some(dir) = spec.strip_prefix("feed:") {
        return Ok(Box::new(Feed::open(Path::new(dir))?));
    }
    if spec.is_empty() {
        return Err(TransportError::Other(
            "an empty reader in --readers: give reader names, indexes or feed:DIR, separated by commas"
                .into(),
        ));
    }
    let readers = pcsc::list_readers()?;
    let chosen = crate::transport::select::choose(&readers, Some(spec))?;
    Ok(Box::new(Reader {
        name: chosen.name.clone(),
        protocol,
    }))
}

/// The virtual card feeder: every `*.json` image of a folder, in name order, each presented once
/// as if an operator inserted it; "removed" when the worker releases it (its image saved).
#[derive(Debug)]
pub struct Feed {
    dir: PathBuf,
    images: Vec<PathBuf>,
    next: usize,
}

impl Feed {
    /// Lists the folder's images.
    pub fn open(dir: &Path) -> Result<Feed, TransportError> {
        let images = crate::sim::feed::images(dir)?;
        Ok(Feed {
            dir: dir.to_path_buf(),
            images,
            next: 0,
        })
    }

    /// How many images the feeder holds.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the feeder holds no image.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

impl CardSource for Feed {
    fn name(&self) -> String {
        format!("feed:{}", self.dir.display())
    }

    fn next_card(&mut self, halt: &Halt<'_>) -> Result<Option<Box<dyn Transport>>, TransportError> {
        if halt() {
            return Ok(None);
        }
        let Some(path) = self.images.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let chip = crate::sim::transport::ImageCard::open(path)?;
        let card = crate::sim::transport::SimTransport::new(chip)?.committing_each_command();
        Ok(Some(Box::new(card)))
    }

    fn release(
        &mut self,
        mut card: Box<dyn Transport>,
        _halt: &Halt<'_>,
    ) -> Result<(), TransportError> {
        card.close()
    }

    fn needs_removal(&self) -> bool {
        false
    }
}

/// A PC/SC reader: waits in `SCardGetStatusChange` for a card, connects exclusively, and after
/// the card is done waits for its removal. The wait wakes once a second only to notice a stop.
#[derive(Debug)]
pub struct Reader {
    name: String,
    protocol: ProtocolChoice,
}

const WAKE: Duration = Duration::from_secs(1);

fn wait(name: &str, event: CardEvent, halt: &Halt<'_>) -> Result<bool, TransportError> {
    loop {
        if halt() {
            return Ok(false);
        }
        match pcsc::wait_for(Some(name), event, Some(WAKE)) {
            Ok(_) => return Ok(true),
            Err(TransportError::Timeout { .. }) => {}
            Err(e) => return Err(e),
        }
    }
}

impl CardSource for Reader {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn next_card(&mut self, halt: &Halt<'_>) -> Result<Option<Box<dyn Transport>>, TransportError> {
        if !wait(&self.name, CardEvent::Inserted, halt)? {
            return Ok(None);
        }
        let card = pcsc::PcscCard::connect(&ConnectOptions {
            reader: Some(self.name.clone()),
            exclusive: true,
            protocol: self.protocol,
        })?;
        Ok(Some(Box::new(card)))
    }

    fn release(&mut self, card: Box<dyn Transport>, halt: &Halt<'_>) -> Result<(), TransportError> {
        // Dropping the connection powers the card down (a feeder behind vpcd takes that as
        // "the host released it" and ejects the card).
        drop(card);
        wait(&self.name, CardEvent::Removed, halt).map(|_| ())
    }

    fn needs_removal(&self) -> bool {
        true
    }
}
