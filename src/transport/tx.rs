//! Transactions as a borrow that ends on drop (the pcsc-rust model): while a [`Tx`] lives, no
//! other program can send APDUs to the card, so a sequence that depends on the card's security
//! state (GET CHALLENGE then a MAC'd command, EXTERNAL AUTHENTICATE then UPDATE, VERIFY then
//! CHANGE) cannot be interleaved. Nobody pairs begin and end by hand.

use super::{ResetKind, Transport, TransportError};

/// An exclusive transaction on a card. Sends go through it (it is a [`Transport`]); dropping it
/// ends the transaction (an error doing so is lost: call [`Tx::end`] to see it).
pub struct Tx<'a> {
    t: &'a mut dyn Transport,
    open: bool,
}

impl<'a> Tx<'a> {
    /// Starts a transaction on `t` (the backend's [`Transport::begin_transaction`]).
    pub fn begin(t: &'a mut dyn Transport) -> Result<Tx<'a>, TransportError> {
        t.begin_transaction()?;
        Ok(Tx { t, open: true })
    }

    /// Ends the transaction and says whether that worked (a card reset or removed meanwhile,
    /// the PC/SC service gone).
    pub fn end(mut self) -> Result<(), TransportError> {
        self.open = false;
        self.t.end_transaction()
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // The caller did not ask for the outcome (an early return on an error that matters
            // more); the transaction still ends here.
            let _ = self.t.end_transaction();
        }
    }
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tx({})", self.t.name())
    }
}

impl Transport for Tx<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.t.transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        self.t.atr()
    }
    fn name(&self) -> String {
        self.t.name()
    }
    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        self.t.reset(kind)
    }
    /// Already held: a nested transaction is the same one.
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
    /// Ends with the guard, not before.
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
    fn close(&mut self) -> Result<(), TransportError> {
        self.t.close()
    }
}

impl<'t> dyn Transport + 't {
    /// Starts an exclusive transaction: [`Tx::begin`].
    pub fn transaction(&mut self) -> Result<Tx<'_>, TransportError> {
        Tx::begin(self)
    }
}
