//! The return codes of the reader interface and how the library's errors map to them.
//!
//! The numbers and meanings are the field's (public reader-SDK code tables; docs/ffi.md lists
//! each with its source). A status word the card answered and no other code covers is returned
//! as minus its value (6A82 → -27266), as the field's tables do.

use crate::apdu::Sw;
use crate::error::ErrorChain;
use crate::perso::{JobError, PersoError};
use crate::session::SessionError;
use crate::transport::TransportError;

/// A return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `0`: done.
    Ok,
    /// `-1`: not a social security card (the card has no SSSE application).
    CardType,
    /// `-2`: no card in the reader.
    NoCard,
    /// `-4`: the card does not answer (no ATR, removed or lost power during a command).
    NoAnswer,
    /// `-5`: the library cannot work: configuration missing or invalid, or an internal error.
    Library,
    /// `-12`: no connection established (iReadCardBas_HSM_Step2 without a step 1).
    NotConnected,
    /// `-11`: reader connection error (no PC/SC service, no such reader, reader gone, in use).
    Reader,
    /// `-13`: not supported (contactless iType, a PIN-pad function without a PIN source).
    NotSupported,
    /// `-14`: a parameter is wrong (null pointer, too long, bad file address or iType).
    BadArgument,
    /// `-20`: the card identification code given is not 32 hex digits.
    CardIdFormat,
    /// `-22`: the data given does not match the card (another card, another holder, or the
    /// card did not keep what was written).
    Mismatch,
    /// `-23`: the data given is not valid for the element (the profile's rules).
    DataInvalid,
    /// `-31`: the PIN entry was cancelled (the PIN pad gave no PIN).
    PinCancelled,
    /// `-33`: a PIN is not 4 to 16 digits.
    PinLength,
    /// `-36`: the new PIN may not be the initial (issuing) PIN.
    PinInitial,
    /// `-51`: PIN wrong (the text says the tries left).
    PinWrong,
    /// `-52`: PIN blocked.
    PinBlocked,
    /// `-2201`: no key source (no PSAM; here: no `[keys]` configured).
    NoKeySource,
    /// `-2203`: the key source lacks the key needed (the read key RKSSSE for a 3rd-generation
    /// card, or another key of the card).
    NoKey,
    /// `-2204`: no encryption-machine authentication is needed (the card is read without it).
    HsmNotNeeded,
    /// Minus the status word the card answered (e.g. `-27266` for 6A82 file not found).
    Card(u16),
}

impl Code {
    /// The number returned to C.
    pub fn value(self) -> i64 {
        match self {
            Code::Ok => 0,
            Code::CardType => -1,
            Code::NoCard => -2,
            Code::NoAnswer => -4,
            Code::Library => -5,
            Code::Reader => -11,
            Code::NotConnected => -12,
            Code::NotSupported => -13,
            Code::BadArgument => -14,
            Code::CardIdFormat => -20,
            Code::Mismatch => -22,
            Code::DataInvalid => -23,
            Code::PinCancelled => -31,
            Code::PinLength => -33,
            Code::PinInitial => -36,
            Code::PinWrong => -51,
            Code::PinBlocked => -52,
            Code::NoKeySource => -2201,
            Code::NoKey => -2203,
            Code::HsmNotNeeded => -2204,
            Code::Card(sw) => -i64::from(sw),
        }
    }

    /// The field's short meaning (Chinese, as the interface's users expect it).
    pub fn meaning(self) -> String {
        match self {
            Code::Ok => "成功".into(),
            Code::CardType => "卡类型不正确".into(),
            Code::NoCard => "无卡".into(),
            Code::NoAnswer => "卡无应答".into(),
            Code::Library => "动态库错误".into(),
            Code::Reader => "读卡器连接错误".into(),
            Code::NotConnected => "未建立连接".into(),
            Code::NotSupported => "不支持该命令".into(),
            Code::BadArgument => "命令参数错误".into(),
            Code::CardIdFormat => "卡识别码格式错误".into(),
            Code::Mismatch => "传入数据与卡内不符".into(),
            Code::DataInvalid => "传入数据不合法".into(),
            Code::PinCancelled => "用户取消密码输入".into(),
            Code::PinLength => "输入密码长度错误".into(),
            Code::PinInitial => "不能改为初始密码".into(),
            Code::PinWrong => "PIN校验失败".into(),
            Code::PinBlocked => "PIN锁定".into(),
            Code::NoKeySource => "无PSAM卡".into(),
            Code::NoKey => "无所需密钥".into(),
            Code::HsmNotNeeded => "不需要加密机认证".into(),
            Code::Card(sw) => format!("卡片返回{sw:04X}"),
        }
    }
}

/// A failed call: the code and the text written to the caller's output buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// The code returned.
    pub code: Code,
    /// The operator's text (after the code's meaning).
    pub text: String,
}

impl FfiError {
    /// A code with its explanation.
    pub fn new(code: Code, text: impl Into<String>) -> Self {
        FfiError {
            code,
            text: text.into(),
        }
    }

    /// The text written to `pOutInfo`: `meaning: explanation`.
    pub fn message(&self) -> String {
        if self.text.is_empty() {
            self.code.meaning()
        } else {
            format!("{}: {}", self.code.meaning(), self.text)
        }
    }
}

/// The code of a link failure.
pub fn transport_code(e: &TransportError) -> Code {
    match e {
        TransportError::NoCard { .. } | TransportError::NoCardInAnyReader { .. } => Code::NoCard,
        TransportError::CardRemoved { .. }
        | TransportError::Unresponsive { .. }
        | TransportError::ShortResponse(_)
        | TransportError::Timeout { .. } => Code::NoAnswer,
        TransportError::Io { .. } | TransportError::Backend(_) => Code::Library,
        _ => Code::Reader,
    }
}

/// The code of a status word the card refused a command with.
pub fn sw_code(sw: Sw) -> Code {
    match sw.0 {
        0x6983 => Code::PinBlocked,
        _ => Code::Card(sw.0),
    }
}

impl From<TransportError> for FfiError {
    fn from(e: TransportError) -> Self {
        FfiError::new(transport_code(&e), e.chain().to_string())
    }
}

impl From<SessionError> for FfiError {
    fn from(e: SessionError) -> Self {
        let text = e.chain().to_string();
        FfiError::from_session_keeping(&e, text)
    }
}

/// True when the failed command was the SELECT of the application DF by name.
fn is_app_select(e: &SessionError) -> bool {
    match e {
        SessionError::Refused { header, .. } => header[1] == 0xA4 && header[2] == 0x04,
        SessionError::Card { doing, .. } => doing.starts_with("selecting "),
        _ => false,
    }
}

impl From<PersoError> for FfiError {
    fn from(e: PersoError) -> Self {
        let code = match &e {
            PersoError::Session(s) => {
                return FfiError::from_session_keeping(s, e.chain().to_string());
            }
            PersoError::MissingKey(_) | PersoError::NotRead { .. } => Code::NoKey,
            // The card was not finished by its manufacturer.
            PersoError::NotIssuable { .. } => Code::CardType,
            PersoError::OtherHolder { .. } | PersoError::Mismatch { .. } => Code::Mismatch,
            // The application is deactivated (a lost or replaced card): 6A81's meaning in the
            // field's table, "application locked".
            PersoError::Disabled { .. } => Code::Card(0x6A81),
            PersoError::NotEnabled { sw, .. } => Code::Card(sw.0),
            PersoError::Unsupported(_) => Code::NotSupported,
        };
        FfiError::new(code, e.chain().to_string())
    }
}

impl From<JobError> for FfiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Run(p) => p.into(),
            JobError::Record(r) => FfiError::new(Code::DataInvalid, r.to_string()),
            JobError::Plan(p) => FfiError::new(Code::Library, p.to_string()),
        }
    }
}

impl FfiError {
    fn from_session_keeping(s: &SessionError, text: String) -> FfiError {
        let code = match s {
            SessionError::Transport { source, .. } => transport_code(source),
            SessionError::Card {
                source: crate::card::CardError::Transport(t),
                ..
            } => transport_code(t),
            SessionError::AuthFailed { sw, .. } => Code::Card(sw.0),
            other => match other.sw() {
                Some(Sw::FILE_NOT_FOUND) if is_app_select(other) => Code::CardType,
                Some(sw) => sw_code(sw),
                None => Code::NoAnswer,
            },
        };
        FfiError::new(code, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_become_minus_their_value_as_in_the_field() {
        assert_eq!(Code::Card(0x6A82).value(), -27266);
        assert_eq!(Code::Card(0x6A83).value(), -27267);
        assert_eq!(Code::Card(0x63C0).value(), -25536);
        assert_eq!(Code::Card(0x6581).value(), -25985);
        assert_eq!(sw_code(Sw(0x6983)), Code::PinBlocked);
    }

    #[test]
    fn link_failures_have_the_field_codes() {
        let no_card = TransportError::NoCard { reader: "R".into() };
        assert_eq!(FfiError::from(no_card).code.value(), -2);
        assert_eq!(FfiError::from(TransportError::NoReaders).code.value(), -11);
        assert_eq!(FfiError::from(TransportError::NoService).code.value(), -11);
        let gone = TransportError::CardRemoved { reader: "R".into() };
        assert_eq!(FfiError::from(gone).code.value(), -4);
    }

    #[test]
    fn the_message_starts_with_the_meaning() {
        let e = FfiError::new(Code::NoCard, "no card in reader 'X'");
        assert_eq!(e.message(), "无卡: no card in reader 'X'");
    }
}
