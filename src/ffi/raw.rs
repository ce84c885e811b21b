//! The only place that touches C pointers: reading a caller's NUL-terminated string and
//! writing a NUL-terminated answer into a caller's buffer, never more than a documented
//! maximum. Every `unsafe` block here is one pointer operation with the reason it is sound.

use super::codes::{Code, FfiError};
use std::ffi::c_char;

/// The longest input string read (bytes, without the NUL): longer input is refused.
pub const IN_MAX: usize = 4096;

/// Reads a NUL-terminated string of at most [`IN_MAX`] bytes and decodes it from GBK (ASCII is
/// GBK). `what` names the parameter for the error text.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string (the C interface's contract). Bytes are
/// read one at a time up to the first NUL, and never more than `IN_MAX + 1` bytes.
pub unsafe fn in_text(p: *const c_char, what: &str) -> Result<String, FfiError> {
    if p.is_null() {
        return Err(FfiError::new(
            Code::BadArgument,
            format!("{what} is a null pointer"),
        ));
    }
    let mut bytes = Vec::new();
    for i in 0..=IN_MAX {
        // SAFETY: `p` is not null and, by the caller's contract, points to a NUL-terminated
        // string; `i` never passes its NUL because the loop stops at the first one, so
        // `p.add(i)` stays inside that string.
        let b = unsafe { *p.add(i) } as u8;
        if b == 0 {
            let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
            if bad {
                return Err(FfiError::new(
                    Code::BadArgument,
                    format!("{what} is not GBK text"),
                ));
            }
            return Ok(text.into_owned());
        }
        bytes.push(b);
    }
    Err(FfiError::new(
        Code::BadArgument,
        format!("{what} is longer than {IN_MAX} bytes (or not NUL-terminated)"),
    ))
}

/// Like [`in_text`], with a null pointer read as an empty string (optional parameters).
///
/// # Safety
/// As [`in_text`].
pub unsafe fn in_text_or_empty(p: *const c_char, what: &str) -> Result<String, FfiError> {
    if p.is_null() {
        return Ok(String::new());
    }
    // SAFETY: same contract as ours, forwarded.
    unsafe { in_text(p, what) }
}

/// A caller's output buffer and the most this library writes into it (bytes, NUL included).
#[derive(Debug, Clone, Copy)]
pub struct OutBuf {
    ptr: *mut c_char,
    max: usize,
}

impl OutBuf {
    /// The buffer at `ptr`, of which at most `max` bytes (NUL included) will be written.
    pub fn new(ptr: *mut c_char, max: usize) -> Self {
        OutBuf { ptr, max }
    }

    /// True when the caller passed no buffer.
    pub fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// The most bytes written, NUL included.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Writes `bytes` (cut to `max - 1`) and a NUL. Returns the bytes written without the NUL;
    /// nothing is written to a null buffer.
    ///
    /// # Safety
    /// A non-null pointer points to a writable buffer of at least `max` bytes: the documented
    /// size of this parameter (docs/ffi.md), which the C caller guarantees.
    pub unsafe fn write(&self, bytes: &[u8]) -> usize {
        if self.ptr.is_null() || self.max == 0 {
            return 0;
        }
        let n = bytes.len().min(self.max - 1);
        // SAFETY: the buffer holds at least `max` bytes (caller's contract) and `n + 1 <= max`;
        // `bytes` is our own slice, so the two regions cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.cast::<u8>(), n);
            *self.ptr.add(n) = 0;
        }
        n
    }
}

/// `text` in GBK, cut at a character boundary so that it and a NUL fit in `max` bytes.
pub fn gbk_fit(text: &str, max: usize) -> Vec<u8> {
    let limit = max.saturating_sub(1);
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    if bytes.len() <= limit {
        return bytes.into_owned();
    }
    let mut out = Vec::with_capacity(limit);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (b, _, _) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
        if out.len() + b.len() > limit {
            break;
        }
        out.extend_from_slice(&b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_text_is_cut_at_a_character_boundary() {
        assert_eq!(
            gbk_fit("测试一", 100),
            vec![0xB2, 0xE2, 0xCA, 0xD4, 0xD2, 0xBB]
        );
        // 5 bytes room + NUL: two characters of 2 bytes fit, never half of the third.
        assert_eq!(gbk_fit("测试一", 6).len(), 4);
        assert_eq!(gbk_fit("ab测", 4), b"ab".to_vec());
        assert!(gbk_fit("x", 0).is_empty());
    }

    #[test]
    fn input_strings_are_read_to_the_nul_and_decoded_from_gbk() {
        let s = b"\xB2\xE2\xCA\xD4|01|\0garbage";
        let t = unsafe { in_text(s.as_ptr().cast(), "pX") }.unwrap();
        assert_eq!(t, "测试|01|");
        let e = unsafe { in_text(std::ptr::null(), "pCardInfo") }.unwrap_err();
        assert_eq!(e.code, Code::BadArgument);
        assert!(e.text.contains("pCardInfo"), "{}", e.text);
        assert_eq!(
            unsafe { in_text_or_empty(std::ptr::null(), "p") }.unwrap(),
            ""
        );
        let long = vec![b'1'; IN_MAX + 10];
        let e = unsafe { in_text(long.as_ptr().cast(), "pWriteData") }.unwrap_err();
        assert!(e.text.contains("longer than"), "{}", e.text);
    }

    #[test]
    fn output_never_passes_its_maximum() {
        let mut buf = [0x55u8; 16];
        let out = OutBuf::new(buf.as_mut_ptr().cast(), 8);
        let n = unsafe { out.write(b"0123456789") };
        assert_eq!(n, 7);
        assert_eq!(&buf[..8], b"0123456\0");
        assert!(buf[8..].iter().all(|b| *b == 0x55), "{buf:?}");
        assert_eq!(
            unsafe { OutBuf::new(std::ptr::null_mut(), 8).write(b"x") },
            0
        );
    }
}
