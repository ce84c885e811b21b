//! sscard: read, personalize, verify, enable and diagnose contact IC cards over PC/SC,
//! built first for China's social security card (社会保障卡), usable for any ISO 7816 card.
//!
//! Layers, each importing only those below it (docs/architecture.md draws them):
//!
//! 1. model: [`apdu`], [`atr`], [`tlv`], [`codec`], [`crypto`], [`cos`] (the card OS's
//!    vocabulary: key usage, algorithm ids, access conditions, life cycle, file structures),
//!    [`profile`] (TOML model, checks, fingerprint);
//! 2. [`transport`]: one trait (a PC/SC reader, or the virtual card of [`sim`], which itself
//!    depends only on the model), transactions as guards ([`transport::Tx`]) and one
//!    [`transport::Tap`] with observers;
//! 3. [`exchange`] (the one place for 61xx/6Cxx) and [`trace`] (the one place that masks
//!    secrets);
//! 4. [`card`]: one small function per ISO 7816-4/-9 command;
//! 5. [`session`]: created from a transaction guard; selection and security state, the
//!    card's keys ([`session::CardKeys`]);
//! 6. the SSC application model: encode/decode elements by profile (today in
//!    [`perso::spec`], [`perso::encode`], [`perso::read`], [`perso::detect`] and [`record`]);
//! 7. workflows: [`init`], [`perso`], [`diagnose`], [`conformance`], [`script`], [`batch`],
//!    [`journal`];
//! 8. the CLI (`src/cli`, the `sscard` binary) and the C interface ([`ffi`], `libsscard.so`).
#![deny(unsafe_code)]
// Library code never panics on input: no unwrap, expect or unchecked indexing (tests may;
// clippy.toml). Where an index is provably in range, an `#[allow]` on the smallest item says why.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![warn(missing_docs)]

pub mod apdu;
pub mod atr;
pub mod batch;
pub mod card;
pub mod codec;
pub mod columns;
pub mod config;
pub mod conformance;
pub mod cos;
pub mod crypto;
pub mod diagnose;
pub mod error;
pub mod exchange;
// The C interface is the one place with `unsafe` (C pointers); see its module doc.
#[allow(unsafe_code, non_snake_case)]
pub mod ffi;
pub mod hsm;
pub mod init;
pub mod input;
pub mod journal;
pub mod perso;
pub mod photo;
pub mod profile;
pub mod psam;
pub mod record;
pub mod region;
pub mod replace;
pub mod script;
pub mod session;
pub mod sim;
pub mod tlv;
pub mod trace;
pub mod transport;
pub mod version;
