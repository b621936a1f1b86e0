//! How times and countdowns read on screen and in text output (CLI and app alike).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serializer;

/// `5h12m left`, `overdue 3h05m`, `overdue 50h00m`: hours, not days, as Amazon counts them.
pub fn countdown(remaining: Duration) -> String {
    let overdue = remaining < Duration::zero();
    let total_min = remaining.num_minutes().abs();
    let (h, m) = (total_min / 60, total_min % 60);
    let span = if h == 0 {
        format!("{m}m")
    } else {
        format!("{h}h{m:02}m")
    };
    if overdue {
        format!("overdue {span}")
    } else {
        format!("{span} left")
    }
}

/// A time in the configured zone, e.g. `Sun 22 Nov 14:02 CET`.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %d %b %H:%M %Z").to_string()
}

/// RFC 3339 in UTC with `Z`, whole seconds: the JSON form of every timestamp.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn serialize_rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn countdowns() {
        assert_eq!(countdown(Duration::minutes(5 * 60 + 12)), "5h12m left");
        assert_eq!(countdown(Duration::minutes(59)), "59m left");
        assert_eq!(countdown(Duration::minutes(-(3 * 60 + 5))), "overdue 3h05m");
        assert_eq!(countdown(Duration::hours(-26)), "overdue 26h00m");
        assert_eq!(countdown(Duration::seconds(-30)), "overdue 0m");
    }

    #[test]
    fn local_times_follow_the_zone() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 13, 2, 0).unwrap();
        assert_eq!(local(t, chrono_tz::Europe::Berlin), "Sun 22 Nov 14:02 CET");
        assert_eq!(local(t, Tz::UTC), "Sun 22 Nov 13:02 UTC");
        assert_eq!(rfc3339(t), "2026-11-22T13:02:00Z");
    }
}
