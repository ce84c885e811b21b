//! The field's reader interface as a C library (`libsscard.so`, header `include/sscard.h`):
//! what hospital, pharmacy, kiosk and bank systems call to read the social security card.
//!
//! Every function returns `0` or one of the field's negative codes ([`codes::Code`]; the table
//! with sources is docs/ffi.md) and writes GBK text into the caller's output buffer: the
//! answer, or the code's meaning and what to do. Rules that hold for every function:
//! - no panic crosses into C (each export runs under `catch_unwind`; a bug answers `-5`);
//! - a null output buffer answers `-14` and nothing is done; input strings are read up to
//!   their NUL, at most [`raw::IN_MAX`] bytes;
//! - at most [`OUT_MAX`] bytes (NUL included) are written to `pOutInfo`, at most
//!   [`INFO_MAX`] to each of `iGetReaderInfo`'s buffers; an answer that does not fit is not
//!   cut: the call answers `-14`;
//! - one card session at a time per reader: concurrent callers wait their turn;
//! - the configuration ([`crate::config`]) is read at every call.
//!
//! The only `unsafe` of the crate is here, in [`raw`] (pointer reads and writes), in the
//! exported functions' signatures (they take C pointers) and in [`pkcs11`] (one conversion of
//! a PKCS#11 mechanism number the `cryptoki` crate has no constant for).

pub mod addr;
pub mod codes;
pub mod hsm;
pub mod ops;
pub mod pkcs11;
pub mod raw;

use codes::{Code, FfiError};
use raw::{OutBuf, gbk_fit, in_text, in_text_or_empty};
use std::ffi::{c_char, c_int, c_long};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The most bytes written to a `pOutInfo` buffer, NUL included.
pub const OUT_MAX: usize = 1024;
/// The most bytes written to each of `iGetReaderInfo`'s buffers, NUL included.
pub const INFO_MAX: usize = 32;

fn bug() -> FfiError {
    FfiError::new(
        Code::Library,
        "internal error in libsscard (a bug): the call was stopped; please report it",
    )
}

/// Runs `f` without letting a panic out, and writes its answer or error text to `out`.
fn call(out: OutBuf, f: impl FnOnce() -> Result<String, FfiError>) -> c_long {
    if out.is_null() {
        return Code::BadArgument.value() as c_long;
    }
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(bug()));
    let (code, text) = match result {
        Ok(text) => {
            let bytes = gbk_fit(&text, usize::MAX);
            if bytes.len() < out.max() {
                (Code::Ok, bytes)
            } else {
                let e = FfiError::new(
                    Code::BadArgument,
                    format!(
                        "the answer is {} bytes, more than this function writes ({} with the NUL)",
                        bytes.len(),
                        out.max()
                    ),
                );
                (e.code, gbk_fit(&e.message(), out.max()))
            }
        }
        Err(e) => (e.code, gbk_fit(&e.message(), out.max())),
    };
    // SAFETY: `out` is the caller's pOutInfo, documented as at least `out.max()` bytes.
    unsafe { out.write(&text) };
    code.value() as c_long
}

/// [`call`] for a function on the card: `pOutInfo` of [`OUT_MAX`] bytes, iType checked first.
fn card_call(
    i_type: c_int,
    out: *mut c_char,
    f: impl FnOnce() -> Result<String, FfiError>,
) -> c_long {
    call(OutBuf::new(out, OUT_MAX), || {
        ops::check_type(i_type)?;
        f()
    })
}

/// Reads the basic information: one line of 11 `|`-terminated fields (region code, social
/// security number, card number, card identification code, name, ATR historical bytes, spec
/// version, issue date, expiry date, terminal number, terminal device number), GBK.
///
/// # Safety
/// `pOutInfo` is null or a writable buffer of at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iReadCardBas(iType: c_int, pOutInfo: *mut c_char) -> c_long {
    card_call(iType, pOutInfo, || ops::read_bas(&ops::context()?))
}

/// Reads the elements named by `pFileAddr` (`SSSEEF05|01|07|$SSSEEF06|08|09|$`): their values,
/// each followed by `|`. `pCardInfo` (may be empty) can carry the card identification code
/// (checked against the card; the key diversification factor when the card needs a key to give
/// it). `iAuthType` is accepted and not used: the key source is configured.
///
/// # Safety
/// String parameters are null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`]
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iReadCard(
    iType: c_int,
    iAuthType: c_int,
    pCardInfo: *const c_char,
    pFileAddr: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    let _ = iAuthType;
    card_call(iType, pOutInfo, || {
        // SAFETY: the caller's strings (contract above).
        let info = unsafe { in_text_or_empty(pCardInfo, "pCardInfo") }?;
        // SAFETY: as above.
        let addr = unsafe { in_text(pFileAddr, "pFileAddr") }?;
        ops::read_addr(&ops::context()?, &info, &addr)
    })
}

/// Writes `pWriteData` (one value per element of `pFileAddr`, each followed by `|`) with the
/// write key, reads every value back byte for byte; answers `written|verified|`.
///
/// # Safety
/// String parameters are null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`]
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iWriteCard(
    iType: c_int,
    pCardInfo: *const c_char,
    pFileAddr: *const c_char,
    pWriteData: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    card_call(iType, pOutInfo, || {
        // SAFETY: the caller's strings (contract above).
        let info = unsafe { in_text_or_empty(pCardInfo, "pCardInfo") }?;
        // SAFETY: as above.
        let addr = unsafe { in_text(pFileAddr, "pFileAddr") }?;
        // SAFETY: as above.
        let data = unsafe { in_text(pWriteData, "pWriteData") }?;
        ops::write_addr(&ops::context()?, &info, &addr, &data)
    })
}

/// Verifies the holder's PIN from the configured PIN pad. `-51` (tries left in the text) for
/// a wrong PIN, `-52` when blocked.
///
/// # Safety
/// `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iVerifyPIN(iType: c_int, pOutInfo: *mut c_char) -> c_long {
    card_call(iType, pOutInfo, || {
        let ctx = ops::context()?;
        let pin = ops::pad_pin(&ctx.cfg, "pin")?;
        ops::verify_pin(&ctx, &pin)
    })
}

/// Verifies the PIN given as digits (`pPIN`, 4 to 16 digits).
///
/// # Safety
/// `pPIN` is null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iVerifyPINK(
    iType: c_int,
    pPIN: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    card_call(iType, pOutInfo, || {
        // SAFETY: the caller's string (contract above).
        let pin = unsafe { in_text(pPIN, "pPIN") }?;
        ops::verify_pin(&ops::context()?, &pin)
    })
}

/// Changes the PIN, old and new PIN from the configured PIN pad.
///
/// # Safety
/// `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iChangePIN(iType: c_int, pOutInfo: *mut c_char) -> c_long {
    card_call(iType, pOutInfo, || {
        let ctx = ops::context()?;
        let old = ops::pad_pin(&ctx.cfg, "pin")?;
        let new = ops::pad_pin(&ctx.cfg, "new-pin")?;
        ops::change_pin(&ctx, &old, &new)
    })
}

/// Changes the PIN from `pOldPIN` to `pNewPIN` (4 to 16 digits each; not the initial PIN).
///
/// # Safety
/// `pOldPIN`, `pNewPIN` are null or NUL-terminated; `pOutInfo` is null or at least
/// [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iChangePINK(
    iType: c_int,
    pOldPIN: *const c_char,
    pNewPIN: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    card_call(iType, pOutInfo, || {
        // SAFETY: the caller's strings (contract above).
        let old = unsafe { in_text(pOldPIN, "pOldPIN") }?;
        // SAFETY: as above.
        let new = unsafe { in_text(pNewPIN, "pNewPIN") }?;
        ops::change_pin(&ops::context()?, &old, &new)
    })
}

/// Reloads the PIN: back to the initial (issuing) PIN, with the PIN-reload key.
///
/// # Safety
/// `pCardInfo` is null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iReloadPIN(
    iType: c_int,
    pCardInfo: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    // SAFETY: the same contract, forwarded.
    unsafe { reset_pin(iType, pCardInfo, pOutInfo, true) }
}

/// Unblocks the PIN (tries counter full again, the PIN kept), with the PIN-unblock key.
///
/// # Safety
/// `pCardInfo` is null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iUnblockPIN(
    iType: c_int,
    pCardInfo: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    // SAFETY: the same contract, forwarded.
    unsafe { reset_pin(iType, pCardInfo, pOutInfo, false) }
}

/// iReloadPIN (`reload`) and iUnblockPIN.
///
/// # Safety
/// As theirs.
unsafe fn reset_pin(
    i_type: c_int,
    card_info: *const c_char,
    out: *mut c_char,
    reload: bool,
) -> c_long {
    card_call(i_type, out, || {
        // SAFETY: the caller's string (contract of the exported functions).
        let info = unsafe { in_text_or_empty(card_info, "pCardInfo") }?;
        ops::reset_pin(&ops::context()?, &info, reload)
    })
}

/// The reader's device number into `pReaderSN` and the terminal number into `pPsamTermNo`
/// (both configured; defaults `FFFFFFFFFFFFFF` and `000000000000`), after checking the
/// configured reader is attached. On failure `pReaderSN` holds the error text and
/// `pPsamTermNo` is empty.
///
/// # Safety
/// Each pointer is null or a writable buffer of at least [`INFO_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iGetReaderInfo(
    pReaderSN: *mut c_char,
    pPsamTermNo: *mut c_char,
) -> c_long {
    let sn = OutBuf::new(pReaderSN, INFO_MAX);
    let term = OutBuf::new(pPsamTermNo, INFO_MAX);
    if term.is_null() {
        return Code::BadArgument.value() as c_long;
    }
    let mut term_no = String::new();
    let code = call(sn, || {
        let (device, number) = ops::reader_info()?;
        term_no = number;
        Ok(device)
    });
    let bytes = gbk_fit(&term_no, INFO_MAX);
    // SAFETY: pPsamTermNo is at least INFO_MAX bytes (contract above). Empty on failure.
    unsafe { term.write(&bytes) };
    code
}

/// Step 1 of the two-step read for a station whose keys are in an encryption machine: reads
/// what the card gives without a key and asks it for a challenge. Answers `card identification
/// code|region code|algorithm (01 3DES, 03 SM4)|challenge|key id|ATR historical bytes|`; the
/// card stays connected for step 2 on this thread. `-2204` when the card is read without a key.
///
/// # Safety
/// `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iReadCardBas_HSM_Step1(iType: c_int, pOutInfo: *mut c_char) -> c_long {
    card_call(iType, pOutInfo, || hsm::step1(ops::context()?))
}

/// Step 2: `pKey`'s first `|`-field is the encryption machine's cryptogram over step 1's
/// challenge (hex); authenticates with it, reads the rest and answers the iReadCardBas line.
/// `-12` without a pending step 1 on this thread.
///
/// # Safety
/// `pKey` is null or NUL-terminated; `pOutInfo` is null or at least [`OUT_MAX`] bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn iReadCardBas_HSM_Step2(
    pKey: *const c_char,
    pOutInfo: *mut c_char,
) -> c_long {
    call(OutBuf::new(pOutInfo, OUT_MAX), || {
        // SAFETY: the caller's string (contract above).
        let key = unsafe { in_text(pKey, "pKey") }?;
        hsm::step2(&key)
    })
}
