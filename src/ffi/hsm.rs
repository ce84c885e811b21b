//! The two-step read of `iReadCardBas_HSM_Step1` / `Step2`, for a station whose keys are in an
//! encryption machine (HSM) reached by the calling system: step 1 reads what the card gives
//! freely and asks the card for a challenge; the caller's HSM computes the read key's
//! cryptogram over it; step 2 authenticates with that cryptogram and reads the rest.
//!
//! The card stays connected between the steps, on the calling thread: step 2 must be called on
//! the thread that called step 1; a new step 1 replaces an unfinished one.

use super::codes::{Code, FfiError};
use super::ops::Ctx;
use crate::cos::AccessCondition as Access;
use crate::crypto::{Algorithm, CHALLENGE_LEN};
use crate::error::ErrorChain;
use crate::perso::encode::{card_fields, decode_found};
use crate::perso::read::{ireadcardbas, read_elements};
use crate::perso::run::{Found, read_element};
use crate::perso::{ElementRef, Station};
use crate::session::{CardKeys, Session, in_transaction};
use crate::transport::Transport;
use std::cell::RefCell;
use std::sync::PoisonError;

/// A read waiting for its cryptogram.
struct Pending {
    card: Box<dyn Transport>,
    ctx: Ctx,
    key_id: u8,
    /// Every element in profile order, with what step 1 read (`None`: read in step 2).
    values: Vec<(ElementRef, Option<Found>)>,
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// The field's algorithm identifier (FCI tag 9F0C): `01` 3DES, `03` SM4.
fn algorithm_id(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Tdes => "01",
        Algorithm::Sm4 => "03",
    }
}

/// Step 1: answers `card id|region|algorithm|challenge|key id|ATR historical bytes|`.
pub fn step1(ctx: Ctx) -> Result<String, FfiError> {
    PENDING.with(|p| drop(p.borrow_mut().take()));
    let lock = super::ops::reader_lock(ctx.cfg.reader.as_deref().unwrap_or(""));
    let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let mut card = ctx.open(false)?;
    let result = {
        let station = Station::new(&ctx.profile)
            .map_err(|e| FfiError::new(Code::Library, e.chain().to_string()))?;
        in_transaction(card.as_mut(), |s| first_half(&station, s))
    };
    match result {
        Ok((line, key_id, values)) => {
            PENDING.with(|p| {
                *p.borrow_mut() = Some(Pending {
                    card,
                    ctx,
                    key_id,
                    values,
                })
            });
            Ok(line)
        }
        Err(e) => {
            let _ = card.close();
            Err(e)
        }
    }
}

type Half = (String, u8, Vec<(ElementRef, Option<Found>)>);

fn first_half(st: &Station<'_>, s: &mut Session<'_>) -> Result<Half, FfiError> {
    let app = &st.app;
    let key_id = app
        .elements
        .iter()
        .find_map(|e| match e.read {
            Access::ExternalAuth(k) => Some(k),
            _ => None,
        })
        .ok_or_else(|| {
            FfiError::new(
                Code::HsmNotNeeded,
                "this card is read without a key: call iReadCardBas",
            )
        })?;
    let free: Vec<ElementRef> = app
        .elements
        .iter()
        .filter(|e| e.read == Access::Always)
        .cloned()
        .collect();
    let content = read_elements(s, app, &CardKeys::default(), &free)?;
    if super::ops::is_deactivated(content.sw, content.lcs) {
        return Err(super::ops::deactivated(&app.df_label));
    }
    let challenge = s.with_card("asking the card for a challenge (GET CHALLENGE)", |c| {
        c.get_challenge(CHALLENGE_LEN)
    })?;
    let mut read: Vec<(ElementRef, Option<Found>)> = Vec::new();
    for el in &app.elements {
        let found = content
            .values
            .iter()
            .find(|(e, _)| e == el)
            .map(|(_, f)| f.clone());
        if found.is_none() && el.read != Access::ExternalAuth(key_id) {
            return Err(FfiError::new(
                Code::NotSupported,
                format!(
                    "{el} needs another key than {key_id:02X}: the two-step read cannot give it"
                ),
            ));
        }
        read.push((el.clone(), found));
    }
    let card_id = read
        .iter()
        .find(|(e, _)| e.field == "card_id")
        .and_then(|(_, f)| match f {
            Some(Found::Value(v)) => Some(crate::apdu::compact(v)),
            _ => None,
        })
        .unwrap_or_default();
    let alg = app
        .keys
        .iter()
        .find(|k| k.id == key_id)
        .map(|k| algorithm_id(k.alg))
        .unwrap_or("00");
    let historical = crate::atr::Atr::parse(&s.atr())
        .map(|a| a.historical.bytes)
        .unwrap_or_default();
    let region: String = card_id.chars().take(6).collect();
    let line = super::addr::join(&[
        card_id,
        region,
        alg.to_string(),
        crate::apdu::compact(&challenge),
        format!("{key_id:02X}"),
        crate::apdu::compact(&historical),
    ]);
    Ok((line, key_id, read))
}

/// Step 2: `pKey`'s first field is the cryptogram (hex); answers the `iReadCardBas` line.
pub fn step2(key: &str) -> Result<String, FfiError> {
    let Some(mut p) = PENDING.with(|p| p.borrow_mut().take()) else {
        return Err(FfiError::new(
            Code::NotConnected,
            "no step 1 is pending on this thread: call iReadCardBas_HSM_Step1 first",
        ));
    };
    let lock = super::ops::reader_lock(p.ctx.cfg.reader.as_deref().unwrap_or(""));
    let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let result = second_half(&mut p, key);
    let _ = p.card.close();
    result
}

fn second_half(p: &mut Pending, key: &str) -> Result<String, FfiError> {
    let text = key.split('|').next().unwrap_or_default().trim();
    let cryptogram = crate::apdu::parse_hex(text)
        .ok()
        .filter(|c| c.len() == 8 || c.len() == 16)
        .ok_or_else(|| {
            FfiError::new(
                Code::BadArgument,
                "pKey: the cryptogram is 16 or 32 hex digits (the HSM's answer to step 1's challenge)",
            )
        })?;
    let key_id = p.key_id;
    let pending = &p.values;
    let values = in_transaction(p.card.as_mut(), |s| {
        s.with_card(
            &format!("authenticating with key {key_id:02X} (the HSM's cryptogram)"),
            |c| c.external_authenticate(key_id, &cryptogram),
        )?;
        let mut values = Vec::new();
        for (el, found) in pending {
            let f = match found {
                Some(f) => f.clone(),
                None => read_element(s, el)?,
            };
            values.push((el.clone(), f));
        }
        Ok::<_, FfiError>(values)
    })?;
    let decoded = decode_found(&p.ctx.profile, &values);
    let fields = card_fields(&p.ctx.profile, &decoded);
    let historical = crate::atr::Atr::parse(&p.card.atr())
        .map(|a| a.historical.bytes)
        .unwrap_or_default();
    Ok(ireadcardbas(&fields, &historical, &p.ctx.terminal()?))
}
