//! Identity rules of the social security card: social security number (GB 11643, ISO 7064
//! MOD 11-2 check character), birth date and sex consistent with it, card number form, card
//! identification code form, region code, calendar dates.
//!
//! A profile names these by [`Rule`]; the rule's code is here, its use is data.

use super::CodecError;
use crate::error::ErrorChain;
use std::fmt;
use std::str::FromStr;

/// A validation rule a profile can attach to a data element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Social security number: 18 characters, check character per GB 11643.
    Ssn,
    /// Card number: 8 upper-case letters or digits and a check character.
    CardNumber,
    /// Card identification code: region code + `D156000005` + 16 hex digits.
    CardId,
    /// Administrative region code (行政区划代码): 6 digits, province prefix 11 to 82.
    RegionCode,
    /// Sex (GB/T 2261.1): `1` male, `2` female.
    Sex,
    /// Ethnicity (GB 3304): `01`..`56`, `97`, `98`.
    Ethnicity,
    /// A calendar date YYYYMMDD.
    Date,
    /// A specification version such as `3.00`.
    SpecVersion,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 8] = [
        Rule::Ssn,
        Rule::CardNumber,
        Rule::CardId,
        Rule::RegionCode,
        Rule::Sex,
        Rule::Ethnicity,
        Rule::Date,
        Rule::SpecVersion,
    ];

    /// The profile spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Ssn => "ssn",
            Rule::CardNumber => "card-number",
            Rule::CardId => "card-id",
            Rule::RegionCode => "region-code",
            Rule::Sex => "sex",
            Rule::Ethnicity => "ethnicity",
            Rule::Date => "date",
            Rule::SpecVersion => "spec-version",
        }
    }

    /// Checks `value` against the rule.
    pub fn check(self, value: &str) -> Result<(), CodecError> {
        match self {
            Rule::Ssn => check_ssn(value).map(|_| ()),
            Rule::CardNumber => check_card_number(value),
            Rule::CardId => check_card_id(value),
            Rule::RegionCode => check_region_code(value),
            Rule::Sex => check_sex(value).map(|_| ()),
            Rule::Ethnicity => check_ethnicity(value),
            Rule::Date => check_date(value),
            Rule::SpecVersion => check_spec_version(value),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                format!(
                    "unknown validation rule '{s}' (known: {})",
                    known.join(", ")
                )
            })
    }
}

fn fixed_len(value: &str, n: usize) -> Result<(), CodecError> {
    let count = value.chars().count();
    if count != n {
        return Err(CodecError::WrongChars {
            expected: n,
            actual: count,
        });
    }
    Ok(())
}

fn all_digits(value: &str, from: usize) -> Result<(), CodecError> {
    for (i, ch) in value.chars().enumerate() {
        if !ch.is_ascii_digit() {
            return Err(CodecError::BadChar {
                ch,
                pos: from + i,
                expected: "a digit 0-9",
            });
        }
    }
    Ok(())
}

/// What a valid social security number says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsnInfo {
    /// Characters 7-14: the birth date YYYYMMDD.
    pub birth_date: String,
    /// Character 17 odd: male.
    pub male: bool,
    /// Characters 1-6: the region code where the number was issued.
    pub region: String,
}

/// The GB 11643 / ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn ssn_check_char(first17: &[u8; 17]) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const MAP: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17.iter().zip(W).map(|(&d, w)| u32::from(d) * w).sum();
    MAP.get((sum % 11) as usize).copied().unwrap_or('?')
}

/// Checks a social security number (18-character citizen id, GB 11643-1999).
pub fn check_ssn(value: &str) -> Result<SsnInfo, CodecError> {
    fixed_len(value, 18)?;
    let chars: Vec<char> = value.chars().collect();
    let mut d = [0u8; 17];
    for (i, slot) in d.iter_mut().enumerate() {
        let ch = chars.get(i).copied().unwrap_or(' ');
        *slot = ch.to_digit(10).ok_or(CodecError::BadChar {
            ch,
            pos: i + 1,
            expected: "a digit 0-9 (only the last character may be X)",
        })? as u8;
    }
    let last = chars.get(17).copied().unwrap_or(' ');
    if last == 'x' {
        return Err(CodecError::BadChar {
            ch: last,
            pos: 18,
            expected: "an upper-case X",
        });
    }
    let expected = ssn_check_char(&d);
    if last != expected {
        return Err(CodecError::CheckChar {
            got: last,
            expected,
        });
    }
    let region: String = chars.get(..6).unwrap_or(&[]).iter().collect();
    check_region_code(&region).map_err(|e| {
        CodecError::Rule(format!(
            "characters 1-6 ({region}) must be the region code where the number was issued: {e}",
            e = e.chain()
        ))
    })?;
    let birth_date: String = chars.get(6..14).unwrap_or(&[]).iter().collect();
    check_date(&birth_date).map_err(|e| {
        CodecError::Rule(format!(
            "characters 7-14 ({birth_date}) must be the birth date: {e}",
            e = e.chain()
        ))
    })?;
    Ok(SsnInfo {
        birth_date,
        male: d[16] % 2 == 1,
        region,
    })
}

/// The dates of a card and its holder in their order (all `YYYYMMDD`, already checked as
/// dates; a missing one is not compared): the expiry date after the issue date, the birth
/// date neither after the issue date nor after `today`. Returns every problem.
pub fn check_date_order(
    issue: Option<&str>,
    expiry: Option<&str>,
    birth: Option<&str>,
    today: &str,
) -> Vec<String> {
    fn valid(d: Option<&str>) -> Option<&str> {
        d.filter(|d| check_date(d).is_ok())
    }
    let (issue, expiry, birth) = (valid(issue), valid(expiry), valid(birth));
    let mut out = Vec::new();
    if let (Some(i), Some(e)) = (issue, expiry)
        && e <= i
    {
        out.push(format!(
            "卡有效期 (expiry_date) {e} is not after 发卡日期 (issue_date) {i}: a card is valid \
             for 10 years from its issue date"
        ));
    }
    if let (Some(b), Some(i)) = (birth, issue)
        && b > i
    {
        out.push(format!(
            "出生日期 (birth_date) {b} is after 发卡日期 (issue_date) {i}: a card is issued to \
             someone already born"
        ));
    }
    if let Some(b) = birth
        && b > today
    {
        out.push(format!(
            "出生日期 (birth_date) {b} is in the future (today is {today})"
        ));
    }
    out
}

/// Checks that a birth date and sex agree with the social security number.
pub fn check_holder(ssn: &str, birth_date: &str, sex: &str) -> Result<(), CodecError> {
    let info = check_ssn(ssn)?;
    if info.birth_date != birth_date {
        return Err(CodecError::Rule(format!(
            "date of birth {birth_date} differs from the one in the social security number ({})",
            info.birth_date
        )));
    }
    let male = check_sex(sex)?;
    if male != info.male {
        return Err(CodecError::Rule(format!(
            "sex {sex} ({}) differs from the social security number, whose 17th character says {}",
            if male { "male" } else { "female" },
            if info.male { "male (1)" } else { "female (2)" }
        )));
    }
    Ok(())
}

/// The check character of a card number's first 8 characters: digits count 0-9, letters
/// A=10 ... Z=35, weights 3 7 9 10 5 8 4 2, r = 11 - (sum mod 11); 10 gives `X`, 11 gives `0`,
/// else the digit r (`A0000000` -> `3`, `X0000001` -> `9`). `None` for a character that is not
/// an upper-case letter or a digit.
pub fn card_number_check_char(first8: &str) -> Option<char> {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0u32;
    for (ch, w) in first8.chars().zip(W) {
        let v = match ch {
            '0'..='9' | 'A'..='Z' => ch.to_digit(36)?,
            _ => return None,
        };
        sum += v * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        r => char::from_digit(r, 10),
    }
}

/// Card number (卡号): 9 characters, upper-case letters and digits, the 9th the check
/// character of the first 8 ([`card_number_check_char`]; e.g. `A00000003`, `D12345676`).
pub fn check_card_number(value: &str) -> Result<(), CodecError> {
    fixed_len(value, 9)?;
    for (i, ch) in value.chars().enumerate() {
        if !(ch.is_ascii_uppercase() || ch.is_ascii_digit()) {
            return Err(CodecError::BadChar {
                ch,
                pos: i + 1,
                expected: "an upper-case letter or a digit",
            });
        }
    }
    let (first8, last) = value.split_at(8);
    let got = last.chars().next().unwrap_or(' ');
    match card_number_check_char(first8) {
        Some(expected) if expected != got => Err(CodecError::CardCheckChar { got, expected }),
        _ => Ok(()),
    }
}

/// Card identification code: 6-digit region code + `D156000005` + 16 hex digits (32 hex).
pub fn check_card_id(value: &str) -> Result<(), CodecError> {
    fixed_len(value, 32)?;
    if let Some((i, ch)) = value.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        return Err(CodecError::BadChar {
            ch,
            pos: i + 1,
            expected: "a digit or a hex digit",
        });
    }
    let (region, rest) = value.split_at(6);
    all_digits(region, 1)?;
    let (rid, chip) = rest.split_at(10);
    if !rid.eq_ignore_ascii_case("D156000005") {
        return Err(CodecError::Rule(format!(
            "characters 7-16 must be D156000005 (the social security card's application \
             provider id), got {rid}"
        )));
    }
    for (i, ch) in chip.chars().enumerate() {
        if !ch.is_ascii_hexdigit() {
            return Err(CodecError::BadChar {
                ch,
                pos: 17 + i,
                expected: "a hex digit 0-9 A-F",
            });
        }
    }
    Ok(())
}

/// Region code (GB/T 2260): 6 digits whose first two, the province, are 11 to 82 (11 Beijing
/// ... 65 Xinjiang, 71 Taiwan, 81 Hong Kong, 82 Macao). The county part is not checked against
/// a list: codes change and old ones stay on cards and citizen numbers.
pub fn check_region_code(value: &str) -> Result<(), CodecError> {
    fixed_len(value, 6)?;
    all_digits(value, 1)?;
    match value.get(..2).and_then(|p| p.parse::<u8>().ok()) {
        Some(11..=82) => Ok(()),
        _ => Err(CodecError::Rule(format!(
            "'{value}' is not a region code: the first two digits are a province, 11 to 82"
        ))),
    }
}

/// Sex: `1` male, `2` female. Returns true for male.
pub fn check_sex(value: &str) -> Result<bool, CodecError> {
    match value {
        "1" => Ok(true),
        "2" => Ok(false),
        _ => Err(CodecError::Rule(format!(
            "sex '{value}' is not a valid code: use 1 (male) or 2 (female)"
        ))),
    }
}

/// Ethnicity code (GB 3304): `01`..`56`, `97` (other), `98` (naturalised).
pub fn check_ethnicity(value: &str) -> Result<(), CodecError> {
    fixed_len(value, 2)?;
    all_digits(value, 1)?;
    match value.parse::<u8>() {
        Ok(1..=56 | 97 | 98) => Ok(()),
        _ => Err(CodecError::Rule(format!(
            "ethnicity code '{value}' is not in GB 3304 (01 to 56, 97, 98)"
        ))),
    }
}

/// Specification version: a digit, a dot, two digits (`3.00`).
pub fn check_spec_version(value: &str) -> Result<(), CodecError> {
    if let [major, b'.', minor, patch] = value.as_bytes()
        && major.is_ascii_digit()
        && minor.is_ascii_digit()
        && patch.is_ascii_digit()
    {
        Ok(())
    } else {
        Err(CodecError::Rule(format!(
            "'{value}' is not a specification version such as 3.00"
        )))
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// Days in `month` of `year` (0 for a month outside 1-12).
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A calendar date `YYYYMMDD` (years 1900-2099).
pub fn check_date(value: &str) -> Result<(), CodecError> {
    let bad = |reason: String| CodecError::BadDate {
        value: value.to_string(),
        reason,
    };
    if value.chars().count() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("8 digits are needed".into()));
    }
    let num = |r: std::ops::Range<usize>| {
        value
            .get(r)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (y, m, d) = (num(0..4), num(4..6), num(6..8));
    if !(1900..=2099).contains(&y) {
        return Err(bad(format!("year {y} is outside 1900-2099")));
    }
    if !(1..=12).contains(&m) {
        return Err(bad(format!("month {m:02} does not exist")));
    }
    let dim = days_in_month(y, m);
    if d == 0 || d > dim {
        return Err(bad(format!("{y}-{m:02} has {dim} days, not {d}")));
    }
    Ok(())
}
