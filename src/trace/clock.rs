//! Wall-clock timestamps in public traces (`2017-10-09 07:01:55`, `2023-11-16 18:17:03.9799600`)
//! as milliseconds since 1970-01-01 00:00, without a date library. Time zones are not
//! interpreted: a trace's clock is taken as written.

use serde::{Deserialize, Serialize};

pub const MS_PER_DAY: i64 = 86_400_000;

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March so that the leap day ends the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `ms` since 1970 as `YYYY-MM-DD HH:MM:SS` (seconds truncated).
pub fn format_datetime_ms(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (the inverse of
/// `days_from_civil`, Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS` with an optional fraction of a second (any number of digits,
/// rounded to the nearest millisecond) and `T` allowed instead of the space. The error says
/// what was expected.
pub fn parse_datetime_ms(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a date and time like 2017-10-09 07:01:55 (or with a fraction of a second)"
        )
    };
    // A trailing `Z` (UTC) is accepted; other zone suffixes are not.
    let t = text.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (date, time) = t
        .split_once(' ')
        .or_else(|| t.split_once('T'))
        .ok_or_else(bad)?;
    let num = |s: &str, len: usize| -> Result<i64, String> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<i64>().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let mut d = date.split('-');
    let (Some(y), Some(mo), Some(da), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (year, month, day) = (num(y, 4)?, num(mo, 2)? as u32, num(da, 2)? as u32);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("`{text}`: no such date"));
    }
    let (hms, frac) = time.trim().split_once('.').unwrap_or((time.trim(), ""));
    let mut h = hms.split(':');
    let (Some(hh), Some(mm), Some(ss), None) = (h.next(), h.next(), h.next(), h.next()) else {
        return Err(bad());
    };
    let (hour, minute, second) = (num(hh, 2)?, num(mm, 2)?, num(ss, 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("`{text}`: no such time of day"));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Milliseconds from the first three digits, rounded half up on the fourth.
    let digit = |i: usize| frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    let ms = digit(0) * 100 + digit(1) * 10 + digit(2) + i64::from(digit(3) >= 5);
    Ok(days_from_civil(year, month, day) * MS_PER_DAY
        + ((hour * 60 + minute) * 60 + second) * 1000
        + ms)
}

/// Midnight at or before `ms` (on the trace's own clock).
pub fn midnight_before(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY) * MS_PER_DAY
}

/// Where imported times start: at the first record, or at midnight before it (which keeps
/// the trace's hours of the day, since simulated time 0 is taken as 00:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    First,
    Midnight,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(parse_datetime_ms("1970-01-01 00:00:00"), Ok(0));
        // 2000-03-01 is day 11 017 (30 years of 365 days, 8 leap days to 2000-01-01 = 10 957,
        // then 31 + 29 days).
        assert_eq!(
            parse_datetime_ms("2000-03-01 00:00:01"),
            Ok(11_017 * MS_PER_DAY + 1000)
        );
        // 2017-10-09 is day 17 448.
        assert_eq!(
            parse_datetime_ms("2017-10-09 07:01:55"),
            Ok(17_448 * MS_PER_DAY + (7 * 3600 + 60 + 55) * 1000)
        );
        // 2023-11-16 is day 19 677; the fraction .9799600 rounds to 980 ms.
        assert_eq!(
            parse_datetime_ms("2023-11-16T18:17:03.9799600"),
            Ok(19_677 * MS_PER_DAY + (18 * 3600 + 17 * 60 + 3) * 1000 + 980)
        );
        assert_eq!(
            parse_datetime_ms("2024-02-29 00:00:00.0004"),
            Ok(19_782 * MS_PER_DAY)
        );
        assert_eq!(
            midnight_before(parse_datetime_ms("2017-10-09 07:01:55").unwrap()),
            17_448 * MS_PER_DAY
        );
    }

    #[test]
    fn bad_dates_are_errors() {
        for t in [
            "",
            "2017-10-09",
            "2017/10/09 07:01:55",
            "2017-13-01 00:00:00",
            "2023-02-29 00:00:00",
            "2017-10-09 24:00:00",
            "2017-10-09 07:01",
            "2017-10-09 07:01:55.x",
            "17-10-09 07:01:55",
            "+017-10-09 07:01:55",
            "2017-10-09 07:01:55+02:00",
        ] {
            assert!(parse_datetime_ms(t).is_err(), "{t}");
        }
    }
}
