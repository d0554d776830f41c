//! UTC calendar arithmetic on nanosecond timestamps, without chrono:
//! days ↔ civil date by Howard Hinnant's algorithms, month steps clamping the
//! day to the target month's length (Jan 31 + 1 month = Feb 28 or 29).
//! UTC has no DST, so a day is always 86 400 s and the time of day is kept.

/// Nanoseconds in a UTC day.
pub const NS_PER_DAY: i64 = 86_400_000_000_000;

/// Days since 1970-01-01 of the proleptic Gregorian date y-m-d.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Whether `y` is a Gregorian leap year.
pub fn is_leap_year(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days in month `m` (1–12) of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `ts_ns` moved by `days` whole days; `None` on i64 overflow.
pub fn add_days_ns(ts_ns: i64, days: i64) -> Option<i64> {
    ts_ns.checked_add(days.checked_mul(NS_PER_DAY)?)
}

/// `ts_ns` moved by `months` calendar months (negative goes back), keeping
/// the time of day and clamping the day of month; `None` on i64 overflow.
pub fn add_months_ns(ts_ns: i64, months: i64) -> Option<i64> {
    let days = ts_ns.div_euclid(NS_PER_DAY);
    let time_of_day = ts_ns.rem_euclid(NS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let total = (y.checked_mul(12)?)
        .checked_add(i64::from(m) - 1)?
        .checked_add(months)?;
    let (y2, m2) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let d2 = d.min(days_in_month(y2, m2));
    days_from_civil(y2, m2, d2)
        .checked_mul(NS_PER_DAY)?
        .checked_add(time_of_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        // 2000-03-01: 30 years (7 leap: 72..96) → 30·365 + 7 = 10957 to 2000-01-01, + 31 + 29 = 11017.
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        // 2024-01-01 = 19723 (1704067200 s / 86400).
        assert_eq!(days_from_civil(2024, 1, 1), 19_723);
    }

    #[test]
    fn civil_round_trips_over_four_centuries() {
        let start = days_from_civil(1900, 1, 1);
        let mut prev = civil_from_days(start - 1);
        for z in start..start + 146_097 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!((1..=days_in_month(y, m)).contains(&d));
            assert!((y, m, d) > prev);
            prev = (y, m, d);
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
    }

    #[test]
    fn add_months_clamps_month_end() {
        let at = |y, m, d| days_from_civil(y, m, d) * NS_PER_DAY;
        assert_eq!(add_months_ns(at(2024, 1, 31), 1), Some(at(2024, 2, 29)));
        assert_eq!(add_months_ns(at(2023, 1, 31), 1), Some(at(2023, 2, 28)));
        assert_eq!(add_months_ns(at(2024, 3, 31), -1), Some(at(2024, 2, 29)));
        assert_eq!(add_months_ns(at(2024, 2, 29), 12), Some(at(2025, 2, 28)));
        assert_eq!(add_months_ns(at(2023, 11, 15), 3), Some(at(2024, 2, 15)));
        assert_eq!(add_months_ns(at(1969, 12, 31), 2), Some(at(1970, 2, 28)));
        // Time of day survives: 13:30 UTC.
        let t = at(2024, 1, 31) + 48_600_000_000_000;
        assert_eq!(add_months_ns(t, 1), Some(at(2024, 2, 29) + 48_600_000_000_000));
        assert_eq!(add_months_ns(i64::MAX, 1), None);
    }

    #[test]
    fn add_days_overflow_is_none() {
        assert_eq!(add_days_ns(0, 2), Some(2 * NS_PER_DAY));
        assert_eq!(add_days_ns(i64::MAX - 1, 1), None);
    }
}
