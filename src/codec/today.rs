//! Today's date at the station, for expiry: the local date.

use time::{OffsetDateTime, UtcOffset};

/// China Standard Time (UTC+8, no daylight saving), the fallback when the station's own
/// offset cannot be read.
const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Today's date at the station, YYYYMMDD: the **local** date (the UTC date is a day behind in
/// China from 00:00 to 08:00, which would call a card expiring today expired a day late or
/// early). When the local offset cannot be read (the `time` crate refuses it in a
/// multi-threaded process on Unix), China Standard Time is used.
pub fn today_yyyymmdd() -> String {
    let now = OffsetDateTime::now_utc();
    yyyymmdd(OffsetDateTime::now_local().unwrap_or_else(|_| now.to_offset(CHINA)))
}

fn yyyymmdd(t: OffsetDateTime) -> String {
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

#[cfg(test)]
mod tests {
    use super::{CHINA, OffsetDateTime, yyyymmdd};

    #[test]
    fn the_date_is_the_local_one() {
        // 2025-01-01 20:00 UTC is already 2 January in China.
        let t = OffsetDateTime::from_unix_timestamp(1_735_761_600).unwrap();
        assert_eq!(yyyymmdd(t), "20250101");
        assert_eq!(yyyymmdd(t.to_offset(CHINA)), "20250102");
        assert_eq!(super::today_yyyymmdd().len(), 8);
    }
}
