//! Civil arithmetic on "local seconds": wall-clock seconds since 1970-01-01T00:00, with no zone.
//!
//! Recurrence works on wall-clock times (RFC 5545 §3.3.10: a daily 09:00 stays at 09:00), so
//! the RRULE iterator, VTIMEZONE rules and expansion all count in these seconds and meet jiff
//! only at the edges ([`local_secs`], [`dt_from_local_secs`]).

use jiff::civil::{Date, DateTime, Time, Weekday};

pub(super) const DAY: i64 = 86_400;

pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(super) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(super) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

pub(super) fn days_in_year(y: i64) -> i64 {
    if is_leap(y) { 366 } else { 365 }
}

/// 0 = Monday .. 6 = Sunday
pub(super) fn weekday_of(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

pub(super) fn wd_index(w: Weekday) -> i64 {
    i64::from(w.to_monday_zero_offset())
}

/// Wall-clock seconds since 1970-01-01T00:00.
pub(crate) fn local_secs(dt: DateTime) -> i64 {
    days_from_civil(
        i64::from(dt.year()),
        i64::from(dt.month()),
        i64::from(dt.day()),
    ) * DAY
        + i64::from(dt.hour()) * 3600
        + i64::from(dt.minute()) * 60
        + i64::from(dt.second())
}

/// The civil date-time for wall-clock seconds, if within jiff's range.
pub(crate) fn dt_from_local_secs(s: i64) -> Option<DateTime> {
    let days = s.div_euclid(DAY);
    let sod = s.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
    let time = Time::new(
        (sod / 3600) as i8,
        ((sod % 3600) / 60) as i8,
        (sod % 60) as i8,
        0,
    )
    .ok()?;
    Some(date.to_datetime(time))
}

pub(super) const MIN_LOCAL: i64 = -62_135_596_800; // 0001-01-01
pub(super) const MAX_LOCAL: i64 = 253_402_300_799; // 9999-12-31T23:59:59

/// The iCalendar UTC form `YYYYMMDDTHHMMSSZ` (RFC 5545 §3.3.5; what CalDAV's time-range and
/// free-busy queries take, RFC 4791 §9.9) of an instant given as milliseconds since
/// 1970-01-01T00:00:00Z (a JS `Date`'s number, a `SystemTime`), rounded down to the second;
/// `None` outside the years 0000-9999, which the form cannot write.
pub fn utc_text_from_unix_ms(unix_ms: i64) -> Option<String> {
    let secs = unix_ms.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (h, min, s) = (day_secs / 3600, day_secs / 60 % 60, day_secs % 60);
    Some(format!("{y:04}{m:02}{d:02}T{h:02}{min:02}{s:02}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_day_arithmetic_round_trips() {
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        let dt = jiff::civil::datetime(2024, 2, 29, 23, 59, 59, 0);
        assert_eq!(dt_from_local_secs(local_secs(dt)), Some(dt));
    }

    #[test]
    fn utc_text_is_what_jiff_prints() {
        use jiff::Timestamp;
        let edges = [
            0,
            -1,
            999,
            1000,
            -1000,
            -1001,
            86_399_999,
            951_782_400_000,
            253_402_207_199_999,
        ];
        let mut ms: Vec<i64> = edges.to_vec();
        let mut r = davkit_testkit::Rng::new(3);
        for _ in 0..20_000 {
            // jiff's timestamps end at 9999-12-30T22:00:00Z.
            let span = 253_402_207_200_000_i64 + 62_167_219_200_000;
            ms.push((r.next_u64() % span as u64) as i64 - 62_167_219_200_000);
        }
        for ms in ms {
            let t = Timestamp::from_millisecond(ms).unwrap();
            let want = t.strftime("%Y%m%dT%H%M%SZ").to_string();
            assert_eq!(
                utc_text_from_unix_ms(ms).as_deref(),
                Some(want.as_str()),
                "{ms}"
            );
        }
        assert_eq!(
            utc_text_from_unix_ms(253_402_300_799_999).as_deref(),
            Some("99991231T235959Z")
        );
        assert_eq!(utc_text_from_unix_ms(-62_167_219_200_001), None, "year -1");
        assert_eq!(
            utc_text_from_unix_ms(253_402_300_800_000),
            None,
            "year 10000"
        );
        assert_eq!(utc_text_from_unix_ms(i64::MIN), None);
        assert_eq!(utc_text_from_unix_ms(i64::MAX), None);
    }
}
