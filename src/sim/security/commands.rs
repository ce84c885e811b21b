//! The security commands of the virtual card, one function each (docs/crypto.md has the
//! cryptography, docs/cos.md the WRITE KEY format).

use super::keys::{DEFAULT_PIN_TRIES, KeyEntry, KeyUsage, MAX_ID, PinEntry, Tries, pin_len_ok};
use super::{current_df, find_key, find_pin};
use crate::apdu::{Command, Sw};
use crate::crypto::{self, Algorithm, CHALLENGE_LEN, Key, Secret};
use crate::sim::VirtualCard;
use crate::sim::fs::{Lcs, Path};

type Answer = Result<Vec<u8>, Sw>;

/// Routes a security INS; `None` for any other INS.
pub(super) fn dispatch(card: &mut VirtualCard, cmd: &Command) -> Option<Answer> {
    let handler: fn(&mut VirtualCard, &Command) -> Answer = match cmd.ins {
        0x84 => get_challenge,
        0x82 => external_authenticate,
        0x88 => internal_authenticate,
        0x20 => verify,
        0x24 => change_reference_data,
        0x2C => reset_retry_counter,
        0xD4 => write_key,
        0x1E => application_block,
        0x18 => application_unblock,
        0x16 => card_block,
        _ => return None,
    };
    Some(life_cycle_gate(card, cmd).and_then(|()| handler(card, cmd)))
}

/// A terminated DF on the current path (blocked card or permanently blocked application):
/// 6A81 for every security command. A deactivated one (temporarily blocked application):
/// 6985, except GET CHALLENGE, EXTERNAL AUTHENTICATE (the issuer's station proving itself)
/// and APPLICATION UNBLOCK, and WRITE KEY once an external authentication holds.
fn life_cycle_gate(card: &VirtualCard, cmd: &Command) -> Result<(), Sw> {
    let df = current_df(card);
    let mut deactivated = false;
    for n in 0..=df.len() {
        match df.get(..n).and_then(|p| card.node(p)).map(|node| node.lcs) {
            Some(Lcs::Terminated) => return Err(Sw::FUNC_NOT_SUPPORTED),
            Some(Lcs::Deactivated) => deactivated = true,
            _ => {}
        }
    }
    let issuer = cmd.ins == 0xD4 && card.security.any_auth();
    if deactivated && !issuer && !matches!(cmd.ins, 0x84 | 0x82 | 0x18) {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    Ok(())
}

fn need_p1(cmd: &Command, allowed: &[u8]) -> Result<(), Sw> {
    if allowed.contains(&cmd.p1) {
        Ok(())
    } else {
        Err(Sw::WRONG_P1P2)
    }
}

/// `63Cx` with x = tries left, or `6983` when none are left.
fn tries_sw(left: u8) -> Sw {
    if left == 0 {
        Sw::AUTH_BLOCKED
    } else {
        Sw::from_bytes(0x63, 0xC0 | left.min(15))
    }
}

/// The MAC key of this command when it has the given usage, else 6982.
fn mac_key_with(card: &VirtualCard, usages: &[KeyUsage]) -> Result<(), Sw> {
    let id = card.sm.mac_key.ok_or(Sw::SECURITY_NOT_SATISFIED)?;
    let df = current_df(card);
    let usage = find_key(card, &df, id)
        .and_then(|p| card.node(&p).and_then(|n| n.keys.key(id)).map(|k| k.usage));
    match usage {
        Some(u) if usages.contains(&u) => Ok(()),
        _ => Err(Sw::SECURITY_NOT_SATISFIED),
    }
}

/// GET CHALLENGE (ISO/IEC 7816-4 §11.5.3): `00 84 00 00 08` → 8 random bytes (`Le 04`: 4
/// bytes, the challenge then being those 4 bytes followed by `00 00 00 00`). Other Le: 6C08.
fn get_challenge(card: &mut VirtualCard, cmd: &Command) -> Answer {
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return Err(Sw::WRONG_P1P2);
    }
    if !cmd.data.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    match cmd.le {
        Some(CHALLENGE_LEN) => Ok(card.security.new_challenge()?.to_vec()),
        Some(4) => {
            let c = card.security.new_challenge()?;
            let [a, b, c2, d, ..] = c;
            card.security.set_challenge([a, b, c2, d, 0, 0, 0, 0]);
            Ok(vec![a, b, c2, d])
        }
        _ => Err(Sw::from_bytes(0x6C, CHALLENGE_LEN as u8)),
    }
}

/// Finds key `id` in scope; returns the owning DF.
fn locate_key(card: &VirtualCard, id: u8) -> Result<(Path, KeyEntry), Sw> {
    let df = current_df(card);
    let owner = find_key(card, &df, id).ok_or(Sw::REF_DATA_NOT_FOUND)?;
    let entry = card
        .node(&owner)
        .and_then(|n| n.keys.key(id))
        .cloned()
        .ok_or(Sw::REF_DATA_NOT_FOUND)?;
    Ok((owner, entry))
}

fn update_key_tries(card: &mut VirtualCard, owner: &[usize], id: u8, tries: Tries) {
    if let Some(k) = card.node_mut(owner).and_then(|n| n.keys.key_mut(id)) {
        k.tries = tries;
    }
}

/// EXTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.4): `00 82 00 <key id> Lc cryptogram`, the
/// cryptogram of the last challenge (8 bytes 3DES, 16 bytes SM4). Unknown key 6A88, not an
/// external-authentication key 6985, blocked 6983, no challenge 6984, wrong length 6700,
/// wrong cryptogram 63Cx (counted key), 6983 (now blocked) or 6300 (unlimited key).
fn external_authenticate(card: &mut VirtualCard, cmd: &Command) -> Answer {
    need_p1(cmd, &[0x00])?;
    let id = cmd.p2;
    let (owner, entry) = locate_key(card, id)?;
    if entry.usage != KeyUsage::ExternalAuth {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    if entry.tries.blocked() {
        return Err(Sw::AUTH_BLOCKED);
    }
    let challenge = card
        .security
        .take_challenge()
        .ok_or(Sw::REF_DATA_NOT_USABLE)?;
    if cmd.data.len() != entry.key.block_len() {
        return Err(Sw::WRONG_LENGTH);
    }
    let mut tries = entry.tries;
    if crypto::check_cryptogram(&entry.key, &challenge, &cmd.data) {
        tries.succeed();
        update_key_tries(card, &owner, id, tries);
        card.security.set_auth(id, true);
        return Ok(Vec::new());
    }
    card.security.set_auth(id, false);
    let left = tries.fail();
    update_key_tries(card, &owner, id, tries);
    Err(left.map_or(Sw(0x6300), tries_sw))
}

/// INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.2): `00 88 00 <key id> Lc data Le` →
/// E(key, data zero-padded to whole blocks). Unknown key 6A88, not an internal-authentication
/// key 6985.
fn internal_authenticate(card: &mut VirtualCard, cmd: &Command) -> Answer {
    need_p1(cmd, &[0x00])?;
    let (_, entry) = locate_key(card, cmd.p2)?;
    if entry.usage != KeyUsage::InternalAuth {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    if entry.tries.blocked() {
        return Err(Sw::AUTH_BLOCKED);
    }
    if cmd.data.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    crypto::encrypt_zero_padded(&entry.key, &cmd.data).map_err(|_| Sw::WRONG_LENGTH)
}

/// Finds PIN `reference` (P2 bits 5-1) in scope.
fn locate_pin(card: &VirtualCard, p2: u8) -> Result<(Path, PinEntry), Sw> {
    let reference = p2 & MAX_ID;
    let df = current_df(card);
    let owner = find_pin(card, &df, reference).ok_or(Sw::REF_DATA_NOT_FOUND)?;
    let entry = card
        .node(&owner)
        .and_then(|n| n.keys.pin(reference))
        .cloned()
        .ok_or(Sw::REF_DATA_NOT_FOUND)?;
    Ok((owner, entry))
}

fn store_pin(card: &mut VirtualCard, owner: &[usize], entry: PinEntry) {
    if let Some(node) = card.node_mut(owner) {
        node.keys.put_pin(entry);
    }
}

/// Compares `candidate` with the PIN, counting a failure; success refills the counter and
/// marks the PIN verified.
fn try_pin(card: &mut VirtualCard, owner: &[usize], mut pin: PinEntry, candidate: &[u8]) -> Answer {
    if pin.tries.blocked() {
        return Err(Sw::AUTH_BLOCKED);
    }
    let reference = pin.reference;
    if crypto::ct_eq(pin.value.expose(), candidate) {
        pin.tries.succeed();
        store_pin(card, owner, pin);
        card.security.set_pin(reference, true);
        return Ok(Vec::new());
    }
    if card
        .faults()
        .has(crate::sim::fault::Defect::PinCounterStuck)
    {
        card.security.set_pin(reference, false);
        return Err(tries_sw(pin.tries.left));
    }
    let left = pin.tries.fail().unwrap_or(0);
    store_pin(card, owner, pin);
    card.security.set_pin(reference, false);
    Err(tries_sw(left))
}

/// VERIFY (ISO/IEC 7816-4 §11.5.6): `00 20 00 <ref> Lc PIN`. Wrong: 63Cx, the last try 6983,
/// blocked 6983. Without data: 9000 when verified, else 63Cx / 6983 (no try spent).
/// `P1 = FF`: forget the verification (9000).
fn verify(card: &mut VirtualCard, cmd: &Command) -> Answer {
    need_p1(cmd, &[0x00, 0xFF])?;
    let (owner, pin) = locate_pin(card, cmd.p2)?;
    if cmd.p1 == 0xFF {
        card.security.set_pin(pin.reference, false);
        return Ok(Vec::new());
    }
    if cmd.data.is_empty() {
        if pin.tries.blocked() {
            return Err(Sw::AUTH_BLOCKED);
        }
        if card.security.pin_verified(pin.reference) {
            return Ok(Vec::new());
        }
        return Err(tries_sw(pin.tries.left));
    }
    let candidate = Secret::new(cmd.data.clone());
    try_pin(card, &owner, pin, candidate.expose())
}

/// CHANGE REFERENCE DATA (ISO/IEC 7816-4 §11.5.7): `00 24 00 <ref> Lc old || new`; the old
/// PIN's length is the stored one, the new one is 2 to 8 bytes. A wrong old PIN counts as a
/// wrong VERIFY. Success: new PIN stored, counter full, PIN verified.
fn change_reference_data(card: &mut VirtualCard, cmd: &Command) -> Answer {
    need_p1(cmd, &[0x00])?;
    let (owner, pin) = locate_pin(card, cmd.p2)?;
    if pin.tries.blocked() {
        return Err(Sw::AUTH_BLOCKED);
    }
    let data = Secret::new(cmd.data.clone());
    let split = pin.value.len();
    let (old, new) = match (data.expose().get(..split), data.expose().get(split..)) {
        (Some(old), Some(new)) if pin_len_ok(new.len()) => (old, new),
        _ => return Err(Sw::WRONG_LENGTH),
    };
    let new = Secret::new(new.to_vec());
    try_pin(card, &owner, pin, old)?;
    let (owner, mut pin) = locate_pin(card, cmd.p2)?;
    pin.value = new;
    store_pin(card, &owner, pin);
    Ok(Vec::new())
}

/// RESET RETRY COUNTER (ISO/IEC 7816-4 §11.5.10), secure messaging required: CLA `04`, MAC
/// by a PIN-unblock (`04`) or PIN-reload (`05`) key in scope, else 6982.
/// `04 2C 00|02 <ref> Lc' newPIN MAC`: new PIN and full counter; `04 2C 01|03 <ref> 04 MAC`:
/// full counter only. The PIN is not marked verified.
fn reset_retry_counter(card: &mut VirtualCard, cmd: &Command) -> Answer {
    need_p1(cmd, &[0x00, 0x01, 0x02, 0x03])?;
    let (owner, mut pin) = locate_pin(card, cmd.p2)?;
    mac_key_with(card, &[KeyUsage::PinUnblock, KeyUsage::PinReload])?;
    let with_new = matches!(cmd.p1, 0x00 | 0x02);
    match (with_new, cmd.data.len()) {
        (true, n) if pin_len_ok(n) => pin.value = Secret::new(cmd.data.clone()),
        (false, 0) => {}
        _ => return Err(Sw::WRONG_LENGTH),
    }
    pin.tries.succeed();
    card.security.set_pin(pin.reference, false);
    store_pin(card, &owner, pin);
    Ok(Vec::new())
}

/// WRITE KEY (docs/cos.md): `80 D4 00 <id> Lc usage alg max-tries value` into the current DF,
/// under its create access condition. Usage `10` loads a PIN (alg `00`, value 2-8 bytes,
/// max-tries `0` = 3); other usages a 16-byte key (alg `01` 3DES, `02` SM4, max-tries `0` =
/// unlimited). Ids above `1F` or P1 ≠ 00: 6A86; bad usage/alg/tries: 6A80; bad length: 6700.
fn write_key(card: &mut VirtualCard, cmd: &Command) -> Answer {
    if cmd.p1 != 0 || cmd.p2 > MAX_ID {
        return Err(Sw::WRONG_P1P2);
    }
    let df = current_df(card);
    card.check_key_load(&df)?;
    let data = Secret::new(cmd.data.clone());
    let (usage, alg, max, value) = match data.expose() {
        [usage, alg, max, value @ ..] if !value.is_empty() => (*usage, *alg, *max, value),
        _ => return Err(Sw::WRONG_LENGTH),
    };
    if max > 15 {
        return Err(Sw::WRONG_DATA);
    }
    let id = cmd.p2;
    if usage == 0x10 {
        if alg != 0 {
            return Err(Sw::WRONG_DATA);
        }
        if !pin_len_ok(value.len()) {
            return Err(Sw::WRONG_LENGTH);
        }
        let max = if max == 0 { DEFAULT_PIN_TRIES } else { max };
        let entry = PinEntry {
            reference: id,
            value: Secret::new(value.to_vec()),
            tries: Tries::full(max),
        };
        card.node_mut(&df)
            .ok_or(Sw::FILE_NOT_FOUND)?
            .keys
            .put_pin(entry);
        card.security.set_pin(id, false);
        return Ok(Vec::new());
    }
    let usage = KeyUsage::from_byte(usage)
        .filter(|u| *u != KeyUsage::Pin)
        .ok_or(Sw::WRONG_DATA)?;
    let alg = Algorithm::from_code(alg).map_err(|_| Sw::WRONG_DATA)?;
    let key = Key::from_slice(alg, value).map_err(|_| Sw::WRONG_LENGTH)?;
    let entry = KeyEntry {
        id,
        usage,
        key,
        tries: Tries::full(max),
    };
    card.node_mut(&df)
        .ok_or(Sw::FILE_NOT_FOUND)?
        .keys
        .put_key(entry);
    card.security.set_auth(id, false);
    Ok(Vec::new())
}

/// Sets the life cycle of the DF at `path`.
fn set_lcs(card: &mut VirtualCard, path: &[usize], lcs: Lcs) -> Answer {
    card.node_mut(path).ok_or(Sw::FILE_NOT_FOUND)?.lcs = lcs;
    Ok(Vec::new())
}

/// APPLICATION BLOCK (PBOC): `84 1E 00 00|01 04 MAC` with a maintenance (`03`) key of the
/// current application DF (not the MF). P2 `00`: temporary (DF deactivated, 6283 on SELECT,
/// APPLICATION UNBLOCK restores it); `01`: permanent (DF terminated).
fn application_block(card: &mut VirtualCard, cmd: &Command) -> Answer {
    if cmd.p1 != 0 || cmd.p2 > 1 {
        return Err(Sw::WRONG_P1P2);
    }
    if !cmd.data.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    mac_key_with(card, &[KeyUsage::Maintenance])?;
    let df = current_df(card);
    if df.is_empty() {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    let lcs = if cmd.p2 == 0 {
        Lcs::Deactivated
    } else {
        Lcs::Terminated
    };
    set_lcs(card, &df, lcs)
}

/// APPLICATION UNBLOCK (PBOC): `84 18 00 00 04 MAC`, maintenance key: a temporarily blocked
/// (deactivated) current DF is activated again; an active one stays as it is.
fn application_unblock(card: &mut VirtualCard, cmd: &Command) -> Answer {
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return Err(Sw::WRONG_P1P2);
    }
    if !cmd.data.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    mac_key_with(card, &[KeyUsage::Maintenance])?;
    let df = current_df(card);
    match card.node(&df).map(|n| n.lcs) {
        Some(Lcs::Deactivated) => set_lcs(card, &df, Lcs::Activated),
        Some(_) => Ok(Vec::new()),
        None => Err(Sw::FILE_NOT_FOUND),
    }
}

/// CARD BLOCK (PBOC): `84 16 00 00 04 MAC`, maintenance key in scope: the MF is terminated;
/// from then on every security command answers 6A81 and file access 6985.
fn card_block(card: &mut VirtualCard, cmd: &Command) -> Answer {
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return Err(Sw::WRONG_P1P2);
    }
    if !cmd.data.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    mac_key_with(card, &[KeyUsage::Maintenance])?;
    set_lcs(card, &[], Lcs::Terminated)
}
