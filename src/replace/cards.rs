//! Where the old and the new card come from: two readers (or two virtual cards), or one reader
//! used in turn (the operator is asked to insert the old card, then the new one, then the old
//! one again to disable it).

use super::Event;
use crate::transport::pcsc::{self, CardEvent, ConnectOptions, ProtocolChoice};
use crate::transport::{Transport, TransportError};
use std::path::PathBuf;

/// Which card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The holder's old card.
    Old,
    /// The new card.
    New,
}

impl Which {
    /// `old` or `new`.
    pub fn as_str(self) -> &'static str {
        match self {
            Which::Old => "old",
            Which::New => "new",
        }
    }
}

/// Gives the job its cards, one at a time.
pub trait CardAccess {
    /// Connects to the old or the new card (exclusively), asking the operator to insert it
    /// when one reader serves both.
    fn open(
        &mut self,
        which: Which,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Box<dyn Transport>, TransportError>;
    /// The card is done for now: releases it (and, with one reader, waits until it is taken
    /// out).
    fn release(
        &mut self,
        which: Which,
        card: Box<dyn Transport>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), TransportError>;
}

/// Where one card is: a virtual card image or a PC/SC reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// The in-process virtual card (`sim:PATH`).
    Sim(PathBuf),
    /// A PC/SC reader: its full name.
    Reader(String),
}

impl Slot {
    /// `sim:PATH` or a reader (index, name, or a unique part of it, resolved now).
    pub fn parse(spec: &str) -> Result<Slot, TransportError> {
        let spec = spec.trim();
        if let Some(path) = spec.strip_prefix("sim:") {
            return Ok(Slot::Sim(PathBuf::from(path)));
        }
        let readers = pcsc::list_readers()?;
        let chosen = crate::transport::select::choose(&readers, Some(spec))?;
        Ok(Slot::Reader(chosen.name.clone()))
    }
}

/// The cards of `--old` and `--new`: two slots, or one reader given twice (used in turn).
#[derive(Debug)]
pub struct Slots {
    old: Slot,
    new: Slot,
    protocol: ProtocolChoice,
    trace: bool,
}

impl Slots {
    /// The old card's slot and the new card's (the same reader for both is allowed).
    pub fn new(old: Slot, new: Slot, protocol: ProtocolChoice) -> Self {
        Slots {
            old,
            new,
            protocol,
            trace: false,
        }
    }

    /// Shows every APDU of both cards through the one trace point (`--trace`, secrets masked).
    pub fn traced(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    fn connect(&self, which: Which) -> Result<Box<dyn Transport>, TransportError> {
        let card: Box<dyn Transport> = match self.slot(which) {
            Slot::Sim(path) => crate::sim::transport::open(path)?,
            Slot::Reader(name) => Box::new(pcsc::PcscCard::connect(&ConnectOptions {
                reader: Some(name.clone()),
                exclusive: true,
                protocol: self.protocol,
            })?),
        };
        if !self.trace {
            return Ok(card);
        }
        tracing::info!(
            target: "sscard::trace",
            "= {} card {} ATR {}",
            which.as_str(),
            card.name(),
            crate::apdu::spaced(&card.atr())
        );
        Ok(Box::new(crate::transport::Tap::new(
            card,
            crate::trace::trace(),
        )))
    }

    fn shared(&self) -> bool {
        matches!((&self.old, &self.new), (Slot::Reader(a), Slot::Reader(b)) if a == b)
    }

    fn slot(&self, which: Which) -> &Slot {
        match which {
            Which::Old => &self.old,
            Which::New => &self.new,
        }
    }
}

impl CardAccess for Slots {
    fn open(
        &mut self,
        which: Which,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Box<dyn Transport>, TransportError> {
        if let Slot::Reader(name) = self.slot(which)
            && self.shared()
        {
            on_event(Event::Prompt {
                text: format!("insert the {} card in {name}", which.as_str()),
            });
            pcsc::wait_for(Some(name), CardEvent::Inserted, None)?;
        }
        self.connect(which)
    }

    fn release(
        &mut self,
        which: Which,
        mut card: Box<dyn Transport>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), TransportError> {
        let closed = card.close();
        drop(card);
        if let Slot::Reader(name) = self.slot(which)
            && self.shared()
        {
            on_event(Event::Prompt {
                text: format!("take the {} card out of {name}", which.as_str()),
            });
            pcsc::wait_for(Some(name), CardEvent::Removed, None)?;
        }
        closed
    }
}
