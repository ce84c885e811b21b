/*
 * sscard.h: the social security card reader interface of libsscard.so (C linkage).
 *
 * The functions every hospital, pharmacy, kiosk and bank system calls, implemented by sscard
 * over any PC/SC reader. Build against it with
 *     cc app.c -I/usr/include -lsscard
 *
 * Every function returns 0 on success or a negative code (docs/ffi.md has the table) and
 * writes GBK text into the caller's output buffer: the answer, or "meaning: explanation".
 *  - pOutInfo buffers must hold SSCARD_OUT_MAX bytes: at most that many bytes (the NUL
 *    included) are ever written. An answer that would not fit is not cut: the call returns -14.
 *  - iGetReaderInfo's two buffers must hold SSCARD_INFO_MAX bytes each.
 *  - A null output buffer returns -14 and nothing is done. Input strings are NUL-terminated
 *    (GBK or ASCII), at most 4096 bytes.
 *  - Thread-safe: one card session at a time per reader; concurrent callers wait.
 *  - iType: 1 contact; 3 and 4 (automatic) use the contact reader; 2 (contactless) -13.
 *  - The reader, card profile, key source, terminal numbers and PIN pad come from
 *    /etc/sscard/sscard.toml, ~/.config/sscard/sscard.toml or SSCARD_* variables, read at
 *    every call.
 */
#ifndef SSCARD_H
#define SSCARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes written to a pOutInfo buffer, NUL included. */
#define SSCARD_OUT_MAX 1024
/* The most bytes written to each of iGetReaderInfo's buffers, NUL included. */
#define SSCARD_INFO_MAX 32

/* Basic information: 11 fields, each followed by '|': region code | social security number |
 * card number | card identification code | name | ATR historical bytes | spec version |
 * issue date | expiry date | terminal number | terminal device number | */
long iReadCardBas(int iType, char *pOutInfo);

/* The elements named by pFileAddr ("SSSEEF05|01|07|$SSSEEF06|08|09|$"), each value followed
 * by '|'. pCardInfo may be empty; its 32-hex-digit field, if any, is the card identification
 * code (checked against the card). iAuthType is not used (the key source is configured). */
long iReadCard(int iType, int iAuthType, char *pCardInfo, char *pFileAddr, char *pOutInfo);

/* Writes pWriteData (one value per element of pFileAddr, each followed by '|') with the
 * write key and reads every value back; pOutInfo gets "written|verified|". */
long iWriteCard(int iType, char *pCardInfo, char *pFileAddr, char *pWriteData, char *pOutInfo);

/* PIN functions. The variants without K take the PIN(s) from the configured PIN pad.
 * A wrong PIN returns -51 (tries left in pOutInfo), a blocked PIN -52. */
long iVerifyPIN(int iType, char *pOutInfo);
long iVerifyPINK(int iType, char *pPIN, char *pOutInfo);
long iChangePIN(int iType, char *pOutInfo);
long iChangePINK(int iType, char *pOldPIN, char *pNewPIN, char *pOutInfo);
/* Reload: the PIN back to the initial PIN (PIN-reload key). */
long iReloadPIN(int iType, char *pCardInfo, char *pOutInfo);
/* Unblock: the tries counter full again, the PIN kept (PIN-unblock key). */
long iUnblockPIN(int iType, char *pCardInfo, char *pOutInfo);

/* The reader's device number and the terminal number; on failure pReaderSN holds the text. */
long iGetReaderInfo(char *pReaderSN, char *pPsamTermNo);

#ifdef __cplusplus
}
#endif

#endif /* SSCARD_H */
