//! PC/SC readers through pcsc-lite (`pcsc` crate): listing, choosing, waiting for a card,
//! connecting shared or exclusive with T=0/T=1/any, warm and cold resets, transactions.
//!
//! The client library finds pcscd through `PCSCLITE_CSOCK_NAME` (default `/run/pcscd/pcscd.comm`).

use super::select::{self, ReaderInfo};
use super::{ResetKind, Transport, TransportError};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// Which transmission protocol to accept when connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolChoice {
    /// Whatever the card and reader agree on (T=0 or T=1).
    #[default]
    Any,
    /// T=0 only (character protocol).
    T0,
    /// T=1 only (block protocol).
    T1,
}

impl ProtocolChoice {
    fn protocols(self) -> Protocols {
        match self {
            ProtocolChoice::Any => Protocols::ANY,
            ProtocolChoice::T0 => Protocols::T0,
            ProtocolChoice::T1 => Protocols::T1,
        }
    }
}

impl std::str::FromStr for ProtocolChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace(['=', ' '], "").as_str() {
            "any" => Ok(ProtocolChoice::Any),
            "t0" => Ok(ProtocolChoice::T0),
            "t1" => Ok(ProtocolChoice::T1),
            _ => Err(format!("unknown protocol '{s}': use any, T0 or T1")),
        }
    }
}

/// Options for connecting to a PC/SC reader.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Reader: index, exact name or unique substring; `None` = the only reader with a card.
    pub reader: Option<String>,
    /// Exclusive access (no other program may interleave APDUs).
    pub exclusive: bool,
    /// Transmission protocol to accept.
    pub protocol: ProtocolChoice,
}

/// A card event to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEvent {
    /// A card is present (returns at once if one already is).
    Inserted,
    /// The card is gone (returns at once if the reader is already empty).
    Removed,
}

/// Maps a pcsc-lite error to what an operator needs to hear.
pub fn map_error(e: pcsc::Error, reader: &str, doing: &'static str) -> TransportError {
    use pcsc::Error as E;
    let reader = reader.to_string();
    match e {
        E::NoService | E::ServiceStopped => TransportError::NoService,
        E::NoReadersAvailable => TransportError::NoReaders,
        E::NoSmartcard => TransportError::NoCard { reader },
        E::RemovedCard => TransportError::CardRemoved { reader },
        E::SharingViolation => TransportError::SharingViolation { reader },
        E::UnresponsiveCard | E::UnpoweredCard => TransportError::Unresponsive { reader },
        source => TransportError::Pcsc {
            reader,
            doing,
            source,
        },
    }
}

fn establish() -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| map_error(e, "-", "connecting to pcscd"))
}

fn reader_names(ctx: &Context) -> Result<Vec<CString>, TransportError> {
    match ctx.list_readers_owned() {
        Ok(v) => Ok(v),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(map_error(e, "-", "listing readers")),
    }
}

fn info_from(index: usize, st: &ReaderState) -> ReaderInfo {
    let ev = st.event_state();
    let present = ev.contains(State::PRESENT);
    ReaderInfo {
        index,
        name: st.name().to_string_lossy().into_owned(),
        card_present: present,
        exclusive: ev.contains(State::EXCLUSIVE),
        atr: (present && !st.atr().is_empty()).then(|| st.atr().to_vec()),
    }
}

fn current_states(ctx: &Context, names: &[CString]) -> Result<Vec<ReaderState>, TransportError> {
    let mut states: Vec<ReaderState> = names
        .iter()
        .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
        .collect();
    if !states.is_empty() {
        ctx.get_status_change(Duration::ZERO, &mut states)
            .map_err(|e| map_error(e, "-", "reading reader states"))?;
    }
    Ok(states)
}

fn list_with(ctx: &Context) -> Result<Vec<ReaderInfo>, TransportError> {
    let names = reader_names(ctx)?;
    let states = current_states(ctx, &names)?;
    Ok(states
        .iter()
        .enumerate()
        .map(|(i, s)| info_from(i, s))
        .collect())
}

/// Lists the readers pcscd knows, with card presence and ATR. No reader is an empty list.
pub fn list_readers() -> Result<Vec<ReaderInfo>, TransportError> {
    list_with(&establish()?)
}

/// The serial number the reader's driver gives (PC/SC `SCARD_ATTR_VENDOR_IFD_SERIAL_NO`),
/// asked over a direct connection (`SCARD_SHARE_DIRECT`: no card needed, nothing sent to a
/// card). `None` when the driver does not give one (many, vpcd among them, answer "unsupported
/// feature"), when it is empty, or when the reader cannot be reached that way; the raw bytes
/// with trailing NULs removed otherwise.
pub fn reader_serial(reader: &str) -> Option<Vec<u8>> {
    let ctx = establish().ok()?;
    let name = CString::new(reader).ok()?;
    let card = ctx
        .connect(&name, ShareMode::Direct, Protocols::UNDEFINED)
        .ok()?;
    let mut raw = card
        .get_attribute_owned(pcsc::Attribute::VendorIfdSerialNo)
        .ok()?;
    let _ = card.disconnect(Disposition::LeaveCard);
    while raw.last() == Some(&0) {
        raw.pop();
    }
    (!raw.is_empty()).then_some(raw)
}

/// Waits until `event` happens in the chosen reader (`None`: any reader), for at most
/// `timeout` (`None`: forever). Returns the reader's state after the event.
pub fn wait_for(
    reader: Option<&str>,
    event: CardEvent,
    timeout: Option<Duration>,
) -> Result<ReaderInfo, TransportError> {
    let ctx = establish()?;
    let all = list_with(&ctx)?;
    let watched: Vec<ReaderInfo> = match (reader, all.len()) {
        (_, 0) => return Err(TransportError::NoReaders),
        (Some(w), _) => vec![select::choose(&all, Some(w))?.clone()],
        (None, _) => all.clone(),
    };
    let done = |r: &ReaderInfo| match event {
        CardEvent::Inserted => r.card_present,
        CardEvent::Removed => !r.card_present,
    };
    let label = match reader {
        Some(_) => watched.first().map(|r| r.name.clone()).unwrap_or_default(),
        None => "any reader".to_string(),
    };
    // Removal with no reader given: wait for a reader that holds a card now to be emptied.
    let watched: Vec<ReaderInfo> = if event == CardEvent::Removed && reader.is_none() {
        let with_card: Vec<ReaderInfo> = watched.into_iter().filter(|r| r.card_present).collect();
        if with_card.is_empty() {
            return all.into_iter().next().ok_or(TransportError::NoReaders);
        }
        with_card
    } else {
        watched
    };
    let mut states: Vec<ReaderState> = Vec::with_capacity(watched.len());
    for r in &watched {
        let name = CString::new(r.name.clone())
            .map_err(|_| TransportError::Other(format!("reader name '{}' has a NUL", r.name)))?;
        states.push(ReaderState::new(name, State::UNAWARE));
    }
    let what = match event {
        CardEvent::Inserted => "a card",
        CardEvent::Removed => "the card to be removed",
    };
    let start = Instant::now();
    let mut first = true;
    loop {
        let wait = if first {
            Some(Duration::ZERO)
        } else {
            match timeout {
                Some(t) => {
                    let left = t.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        return Err(timeout_error(&label, what, start));
                    }
                    Some(left)
                }
                None => None,
            }
        };
        match ctx.get_status_change(wait, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) if !first => {
                return Err(timeout_error(&label, what, start));
            }
            Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(map_error(e, &label, "waiting for a card event")),
        }
        first = false;
        for (st, r) in states.iter().zip(&watched) {
            let now = info_from(r.index, st);
            if done(&now) {
                return Ok(now);
            }
        }
        for st in states.iter_mut() {
            st.sync_current_state();
        }
    }
}

fn timeout_error(reader: &str, what: &'static str, start: Instant) -> TransportError {
    TransportError::Timeout {
        reader: reader.to_string(),
        what,
        secs: start.elapsed().as_secs_f64(),
    }
}

/// Connects to the card in the chosen reader.
pub fn connect(opts: &ConnectOptions) -> Result<Box<dyn Transport>, TransportError> {
    Ok(Box::new(PcscCard::connect(opts)?))
}

/// A card connected through PC/SC.
pub struct PcscCard {
    card: pcsc::Card,
    reader: String,
    atr: Vec<u8>,
    share: ShareMode,
    protocols: Protocols,
    protocol: Option<pcsc::Protocol>,
    in_transaction: bool,
    /// Receive buffer, reused for every APDU.
    buf: Vec<u8>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// Chooses the reader (see [`select::choose`]) and connects to its card.
    pub fn connect(opts: &ConnectOptions) -> Result<PcscCard, TransportError> {
        let ctx = establish()?;
        let readers = list_with(&ctx)?;
        let chosen = select::choose(&readers, opts.reader.as_deref())?;
        let reader = chosen.name.clone();
        if !chosen.card_present {
            return Err(TransportError::NoCard { reader });
        }
        let cname = CString::new(reader.clone())
            .map_err(|_| TransportError::Other(format!("reader name '{reader}' has a NUL")))?;
        let share = if opts.exclusive {
            ShareMode::Exclusive
        } else {
            ShareMode::Shared
        };
        let protocols = opts.protocol.protocols();
        let card = ctx.connect(&cname, share, protocols).map_err(|e| match e {
            pcsc::Error::ProtoMismatch => TransportError::Other(format!(
                "the card in '{reader}' does not speak {:?}: connect with protocol any",
                opts.protocol
            )),
            e => map_error(e, &reader, "connecting to the card"),
        })?;
        let mut c = PcscCard {
            card,
            reader,
            atr: Vec::new(),
            share,
            protocols,
            protocol: None,
            in_transaction: false,
            buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        };
        c.refresh_status()?;
        Ok(c)
    }

    fn refresh_status(&mut self) -> Result<(), TransportError> {
        let st = self
            .card
            .status2_owned()
            .map_err(|e| map_error(e, &self.reader, "reading the card status"))?;
        self.atr = st.atr().to_vec();
        self.protocol = st.protocol2();
        if self.atr.is_empty() {
            return Err(TransportError::Unresponsive {
                reader: self.reader.clone(),
            });
        }
        Ok(())
    }

    /// The protocol in use: `T=0`, `T=1` or `raw`.
    pub fn protocol(&self) -> &'static str {
        match self.protocol {
            Some(pcsc::Protocol::T0) => "T=0",
            Some(pcsc::Protocol::T1) => "T=1",
            Some(pcsc::Protocol::RAW) => "raw",
            None => "undefined",
        }
    }

    fn reconnect(&mut self, share: ShareMode, how: Disposition) -> Result<(), TransportError> {
        self.card
            .reconnect(share, self.protocols, how)
            .map_err(|e| map_error(e, &self.reader, "reconnecting to the card"))?;
        self.share = share;
        Ok(())
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let reader = &self.reader;
        let raw = self
            .card
            .transmit(apdu, &mut self.buf)
            .map_err(|e| match e {
                pcsc::Error::NoSmartcard => TransportError::CardRemoved {
                    reader: reader.clone(),
                },
                e => map_error(e, reader, "sending a command"),
            })?;
        if raw.len() < 2 {
            return Err(TransportError::ShortResponse(crate::apdu::ResponseError {
                len: raw.len(),
            }));
        }
        Ok(raw.to_vec())
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn name(&self) -> String {
        self.reader.clone()
    }

    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        let how = match kind {
            ResetKind::Warm => Disposition::ResetCard,
            ResetKind::Cold => Disposition::UnpowerCard,
        };
        self.reconnect(self.share, how)?;
        self.refresh_status()?;
        Ok(self.atr.clone())
    }

    /// pcsc-rust's transactions borrow the card, which a trait object cannot hold across calls
    /// without `unsafe`; the same guarantee (no other program interleaves APDUs) comes from
    /// holding the card exclusively: a shared connection is switched to exclusive (card state
    /// kept) until `end_transaction`. An exclusive connection needs nothing more.
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        if self.in_transaction {
            return Ok(());
        }
        if self.share == ShareMode::Shared {
            self.reconnect(ShareMode::Exclusive, Disposition::LeaveCard)?;
            self.in_transaction = true;
        }
        Ok(())
    }

    fn end_transaction(&mut self) -> Result<(), TransportError> {
        if self.in_transaction {
            self.in_transaction = false;
            self.reconnect(ShareMode::Shared, Disposition::LeaveCard)?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.end_transaction()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_operator_messages() {
        let m = |e| map_error(e, "R", "sending a command");
        assert!(matches!(
            m(pcsc::Error::NoService),
            TransportError::NoService
        ));
        assert!(matches!(
            m(pcsc::Error::ServiceStopped),
            TransportError::NoService
        ));
        assert!(matches!(
            m(pcsc::Error::NoReadersAvailable),
            TransportError::NoReaders
        ));
        assert!(
            matches!(m(pcsc::Error::RemovedCard), TransportError::CardRemoved { reader } if reader == "R")
        );
        assert!(matches!(
            m(pcsc::Error::SharingViolation),
            TransportError::SharingViolation { .. }
        ));
        assert!(matches!(
            m(pcsc::Error::UnresponsiveCard),
            TransportError::Unresponsive { .. }
        ));
        let other = m(pcsc::Error::CommError);
        assert!(matches!(other, TransportError::Pcsc { .. }));
        assert!(std::error::Error::source(&other).is_some());
        assert!(
            other
                .to_string()
                .starts_with("PC/SC error on 'R' while sending a command")
        );
    }

    #[test]
    fn protocol_names_parse() {
        assert_eq!("T=0".parse::<ProtocolChoice>(), Ok(ProtocolChoice::T0));
        assert_eq!("t1".parse::<ProtocolChoice>(), Ok(ProtocolChoice::T1));
        assert_eq!("ANY".parse::<ProtocolChoice>(), Ok(ProtocolChoice::Any));
        assert!("T=2".parse::<ProtocolChoice>().is_err());
    }
}
