//! Dates as reports write them: ISO 8601 with an offset, plain dates (read in the seller's time
//! zone), and the feedback report's marketplace formats (US `11/20/26`, UK `20/11/2026`,
//! DE `20.11.26`, JP `2026/11/20`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Midnight of `d` in `tz`.
fn start_of(d: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let t = d.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A date a report can hold: years 2000 to 2100. Anything else is a typo or a placeholder
/// (`0001-01-01`, `9999-12-31`) and would put a record outside every window.
pub fn plausible(written: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    use chrono::Datelike;
    if (2000..=2100).contains(&at.year()) {
        Ok(at)
    } else {
        Err(format!("`{written}` is outside the years 2000-2100"))
    }
}

/// ISO 8601 / RFC 3339 with an offset (`2026-11-20T10:00:00+09:00`, `...Z`, a space instead of
/// `T`), or a plain `YYYY-MM-DD` (midnight in `tz`), or a local time without offset (in `tz`).
pub fn iso(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return tz
                .from_local_datetime(&t)
                .earliest()
                .map(|t| t.with_timezone(&Utc));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| start_of(d, tz))
}

/// The order of day and month in a file of slash dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOrder {
    /// `11/20/26` (amazon.com)
    MonthFirst,
    /// `20/11/2026` (amazon.co.uk)
    DayFirst,
}

/// Decides from all of a file's dates: a first number over 12 means day first, a second one
/// over 12 means month first; a file where neither happens reads as amazon.com's.
pub fn day_order<'a>(dates: impl IntoIterator<Item = &'a str>) -> DayOrder {
    for d in dates {
        let parts: Vec<u32> = d
            .trim()
            .split('/')
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if parts.len() == 3 && parts[0] <= 31 {
            if parts[0] > 12 {
                return DayOrder::DayFirst;
            }
            if parts[1] > 12 {
                return DayOrder::MonthFirst;
            }
        }
    }
    DayOrder::MonthFirst
}

fn year(y: i32) -> i32 {
    if y < 100 { 2000 + y } else { y }
}

/// A feedback report date: `11/20/26`, `20/11/2026` (by `order`), `20.11.26`, `2026/11/20`,
/// or ISO; midnight in `tz`.
pub fn feedback_date(s: &str, order: DayOrder, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = iso(s, tz) {
        return Some(t);
    }
    let (sep, parts) = if s.contains('.') {
        ('.', s.split('.').collect::<Vec<_>>())
    } else {
        ('/', s.split('/').collect::<Vec<_>>())
    };
    let n: Vec<i32> = parts.iter().filter_map(|p| p.trim().parse().ok()).collect();
    if n.len() != 3 {
        return None;
    }
    let (y, m, d) = if parts[0].trim().len() == 4 {
        (n[0], n[1], n[2]) // 2026/11/20
    } else if sep == '.' {
        (year(n[2]), n[1], n[0]) // 20.11.26
    } else {
        match order {
            DayOrder::MonthFirst => (year(n[2]), n[0], n[1]),
            DayOrder::DayFirst => (year(n[2]), n[1], n[0]),
        }
    };
    let date = NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)?;
    start_of(date, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn iso_dates_with_and_without_offsets() {
        let tz = chrono_tz::Asia::Tokyo;
        assert_eq!(
            iso("2026-11-20T10:00:00+09:00", tz),
            Some(utc("2026-11-20T01:00:00Z"))
        );
        assert_eq!(
            iso("2026-11-20T01:00:00Z", tz),
            Some(utc("2026-11-20T01:00:00Z"))
        );
        assert_eq!(
            iso("2026-11-20 10:00:00+09:00", tz),
            Some(utc("2026-11-20T01:00:00Z"))
        );
        // No offset: the seller's zone.
        assert_eq!(iso("2026-11-20", tz), Some(utc("2026-11-19T15:00:00Z")));
        assert_eq!(
            iso("2026-11-20T10:00:00", tz),
            Some(utc("2026-11-20T01:00:00Z"))
        );
        assert_eq!(iso("20/11/2026", tz), None);
        assert_eq!(iso("", tz), None);
    }

    #[test]
    fn feedback_dates_of_each_marketplace() {
        let tz = Tz::UTC;
        let day = utc("2026-11-20T00:00:00Z");
        assert_eq!(
            feedback_date("11/20/26", DayOrder::MonthFirst, tz),
            Some(day)
        );
        assert_eq!(
            feedback_date("20/11/2026", DayOrder::DayFirst, tz),
            Some(day)
        );
        assert_eq!(
            feedback_date("20.11.26", DayOrder::MonthFirst, tz),
            Some(day)
        );
        assert_eq!(
            feedback_date("2026/11/20", DayOrder::DayFirst, tz),
            Some(day)
        );
        assert_eq!(feedback_date("13/13/2026", DayOrder::DayFirst, tz), None);
        assert_eq!(day_order(["01/02/26", "03/25/26"]), DayOrder::MonthFirst);
        assert_eq!(day_order(["01/02/26", "25/03/26"]), DayOrder::DayFirst);
        assert_eq!(day_order(["01/02/26"]), DayOrder::MonthFirst);
    }
}
