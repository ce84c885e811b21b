//! The one place that turns a command into a complete response: 61xx GET RESPONSE,
//! 6Cxx re-send with the right Le. Tracing happens below, in the transport wrapper
//! the `--trace` tap ([`crate::trace::trace`]), so the extra APDUs sent here are traced too.

use crate::apdu::{Command, Response};
use crate::transport::{Transport, TransportError};

/// How `exchange` treats protocol status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeOptions {
    /// Fetch 61xx data with GET RESPONSE and re-send on 6Cxx. Off for raw work.
    pub auto: bool,
    /// CLA of GET RESPONSE (`00` by default).
    pub get_response_cla: u8,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions {
            auto: true,
            get_response_cla: 0x00,
        }
    }
}

/// At most this many GET RESPONSE rounds for one command (a card that keeps answering 61xx
/// forever is broken; 256 rounds of 256 bytes is more than any response APDU can be).
const MAX_GET_RESPONSE: usize = 256;

fn send(t: &mut dyn Transport, cmd: &Command) -> Result<Response, TransportError> {
    let bytes = cmd.to_bytes().map_err(|source| TransportError::Encode {
        reader: t.name(),
        header: [cmd.cla, cmd.ins, cmd.p1, cmd.p2],
        source: Box::new(source),
    })?;
    let raw = t.transmit(&bytes)?;
    Ok(Response::from_bytes(&raw)?)
}

/// Sends `cmd` and returns the complete response.
///
/// With `opts.auto`:
/// - `6Cxx` (wrong Le): the same command is sent again once with Le = xx (`00` = 256);
/// - `61xx` (more data): GET RESPONSE (`CLA C0 00 00 xx`, CLA from the options) is sent until
///   the card stops answering 61xx; the data of every part is concatenated and the status word
///   is the last one. A 6Cxx answer to GET RESPONSE is honoured the same way.
///
/// Without it the raw response comes back as is. A response shorter than 2 bytes is
/// [`TransportError::ShortResponse`] either way.
pub fn exchange(
    t: &mut dyn Transport,
    cmd: &Command,
    opts: &ExchangeOptions,
) -> Result<Response, TransportError> {
    let mut resp = send(t, cmd)?;
    if !opts.auto {
        return Ok(resp);
    }
    if let Some(le) = resp.sw.correct_le() {
        let again = cmd.clone().with_le(le);
        resp = send(t, &again)?;
    }
    let mut data = std::mem::take(&mut resp.data);
    let mut sw = resp.sw;
    let mut rounds = 0;
    while let Some(avail) = sw.bytes_available() {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE {
            return Err(TransportError::Other(format!(
                "the card in '{}' kept answering 61xx after {MAX_GET_RESPONSE} GET RESPONSE commands \
                 ({} bytes so far): the card or reader is faulty",
                t.name(),
                data.len()
            )));
        }
        let mut get = Command::new(opts.get_response_cla, 0xC0, 0x00, 0x00).with_le(avail);
        let mut part = send(t, &get)?;
        if let Some(le) = part.sw.correct_le() {
            get = get.with_le(le);
            part = send(t, &get)?;
        }
        data.extend_from_slice(&part.data);
        sw = part.sw;
    }
    Ok(Response::new(data, sw))
}

/// Like [`exchange`] with the default options (automatic GET RESPONSE, CLA `00`).
pub fn exchange_auto(t: &mut dyn Transport, cmd: &Command) -> Result<Response, TransportError> {
    exchange(t, cmd, &ExchangeOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::Sw;
    use crate::transport::fake::{Answering, Scripted};

    fn run(steps: &[(&str, &str)], cmd: &str, opts: ExchangeOptions) -> Response {
        let mut t = Scripted::new(steps);
        let r = exchange(&mut t, &Command::from_hex(cmd).unwrap(), &opts).unwrap();
        t.done();
        r
    }

    #[test]
    fn get_response_loops_and_concatenates() {
        let r = run(
            &[
                ("00A4040002A000", "6104"),
                ("00C0000004", "01020304 6102"),
                ("00C0000002", "0506 9000"),
            ],
            "00A4040002A000",
            ExchangeOptions::default(),
        );
        assert_eq!(r.data, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(r.sw, Sw::OK);
    }

    #[test]
    fn get_response_cla_is_configurable_and_6100_means_256() {
        let data = "AB".repeat(256);
        let r = run(
            &[
                ("80CA000000", "6100"),
                ("80C0000000", &format!("{data}9000")),
            ],
            "80CA000000",
            ExchangeOptions {
                auto: true,
                get_response_cla: 0x80,
            },
        );
        assert_eq!(r.data.len(), 256);
    }

    #[test]
    fn wrong_le_is_resent_with_sw2() {
        let r = run(
            &[
                ("00B0000000", "6C08"),
                ("00B0000008", "0102030405060708 9000"),
            ],
            "00B0000000",
            ExchangeOptions::default(),
        );
        assert_eq!((r.data.len(), r.sw), (8, Sw::OK));
        // 6Cxx then 61xx.
        let r = run(
            &[
                ("00B2010400", "6C05"),
                ("00B2010405", "6102"),
                ("00C0000002", "AABB 9000"),
            ],
            "00B2010400",
            ExchangeOptions::default(),
        );
        assert_eq!(r.data, vec![0xAA, 0xBB]);
    }

    #[test]
    fn raw_mode_returns_the_first_answer() {
        let r = run(
            &[("00A4040002A000", "6104")],
            "00A4040002A000",
            ExchangeOptions {
                auto: false,
                get_response_cla: 0,
            },
        );
        assert_eq!(r.sw, Sw(0x6104));
        assert!(r.data.is_empty());
    }

    #[test]
    fn errors_are_kept() {
        let r = run(
            &[("00A4000C023F01", "6A82")],
            "00A4000C023F01",
            ExchangeOptions::default(),
        );
        assert_eq!(r.sw, Sw::FILE_NOT_FOUND);
    }

    #[test]
    fn an_unencodable_command_keeps_the_apdu_error_as_source() {
        let mut t = Scripted::new(&[]);
        let cmd = Command::new(0x00, 0xD6, 0x00, 0x00).with_data(vec![0u8; 70_000]);
        let err = exchange_auto(&mut t, &cmd).unwrap_err();
        assert!(matches!(err, TransportError::Encode { .. }), "{err}");
        let source = std::error::Error::source(&err).map(|s| s.to_string());
        assert!(source.unwrap_or_default().contains("65535"), "{err:?}");
        assert!(err.to_string().contains("00 D6 00 00"), "{err}");
    }

    #[test]
    fn short_response_is_an_error() {
        let mut t = Scripted::new(&[("00A4000C023F00", "")]);
        let err = exchange_auto(&mut t, &Command::from_hex("00A4000C023F00").unwrap());
        assert!(matches!(
            err,
            Err(TransportError::ShortResponse(crate::apdu::ResponseError {
                len: 0
            }))
        ));
    }

    #[test]
    fn endless_61xx_is_an_error_not_a_hang() {
        let mut endless = Answering(|_: &[u8]| vec![0x61, 0x01]);
        let err = exchange_auto(&mut endless, &Command::new(0, 0xB0, 0, 0).with_le(1));
        assert!(err.unwrap_err().to_string().contains("kept answering 61xx"));
    }
}
