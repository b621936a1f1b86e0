//! How times and countdowns read on screen and in text output (CLI and app alike).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serializer;

/// `5h12m left`, `overdue 3h05m`, `overdue 50h00m`: hours, not days, as Amazon counts them.
pub fn countdown(remaining: Duration) -> String {
    let span = span(remaining);
    if remaining < Duration::zero() {
        format!("overdue {span}")
    } else {
        format!("{span} left")
    }
}

/// The same figure where there is no room for its words: `5h12m`, `-3h05m` (overdue).
pub fn countdown_short(remaining: Duration) -> String {
    let span = span(remaining);
    if remaining < Duration::zero() {
        format!("-{span}")
    } else {
        span
    }
}

fn span(remaining: Duration) -> String {
    let total_min = remaining.num_minutes().abs();
    let (h, m) = (total_min / 60, total_min % 60);
    if h == 0 {
        format!("{m}m")
    } else {
        format!("{h}h{m:02}m")
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

/// The longest span people may write: a hundred years.
pub const LONGEST_SPAN_DAYS: i64 = 36_500;

/// Why a span did not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanError {
    /// Not a span at all (`soon`, `3x`, `0d`).
    NotASpan,
    /// Longer than [`LONGEST_SPAN_DAYS`].
    TooLong,
}

/// A span of time as people write it: a number and a unit, `m`, `h`, `d` or `w`, repeated
/// (`48h`, `3d`, `90m`, `1w`, `2d12h`). Positive and at most a hundred years. The one parser
/// behind snoozes, follow-ups and `purge-pii --older-than`.
pub fn parse_span(text: &str) -> Result<Duration, SpanError> {
    let longest = Duration::days(LONGEST_SPAN_DAYS);
    let mut total = Duration::zero();
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.is_empty() {
            return Err(SpanError::NotASpan);
        }
        // All digits: too many of them is a span too long, not nonsense.
        let n: i64 = digits.parse().map_err(|_| SpanError::TooLong)?;
        digits.clear();
        let unit = match c.to_ascii_lowercase() {
            'm' => Duration::minutes(1),
            'h' => Duration::hours(1),
            'd' => Duration::days(1),
            'w' => Duration::weeks(1),
            _ => return Err(SpanError::NotASpan),
        };
        let part = i32::try_from(n)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or(SpanError::TooLong)?;
        total = total.checked_add(&part).ok_or(SpanError::TooLong)?;
        if total > longest {
            return Err(SpanError::TooLong);
        }
        any = true;
    }
    if !digits.is_empty() || !any || total <= Duration::zero() {
        return Err(SpanError::NotASpan);
    }
    Ok(total)
}

/// When `text` says, from `now`: a span (see [`parse_span`]) or an RFC 3339 time. The error
/// says what is accepted.
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    match parse_span(t) {
        Ok(span) => Ok(now + span),
        Err(SpanError::TooLong) => Err(format!(
            "`{t}` is too far away: at most {LONGEST_SPAN_DAYS}d (100 years)"
        )),
        Err(SpanError::NotASpan) => Err(format!(
            "`{t}` is not a time: use e.g. 48h, 3d, 90m, 1w or 2026-11-25T09:00:00Z"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_times_parse_and_nonsense_is_explained() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| parse_when(s, now).map(rfc3339);
        assert_eq!(at("48h").unwrap(), "2026-11-24T12:00:00Z");
        assert_eq!(at(" 2d 12h ").unwrap(), "2026-11-25T00:00:00Z");
        assert_eq!(at("90m").unwrap(), "2026-11-22T13:30:00Z");
        assert_eq!(at("1w").unwrap(), "2026-11-29T12:00:00Z");
        assert_eq!(at("2026-11-25T09:00:00Z").unwrap(), "2026-11-25T09:00:00Z");
        for bad in ["", "soon", "3", "h", "0h", "3y", "d3"] {
            assert!(at(bad).unwrap_err().contains("not a time"), "{bad}");
        }
        for far in ["99999999999999999999d", "36501d", "5300w"] {
            assert!(at(far).unwrap_err().contains("at most 36500d"), "{far}");
        }
        assert_eq!(parse_span("36500d"), Ok(Duration::days(36_500)));
        assert_eq!(parse_span("2d12h"), Ok(Duration::hours(60)));
    }
    use chrono::TimeZone;

    #[test]
    fn countdowns() {
        assert_eq!(countdown(Duration::minutes(5 * 60 + 12)), "5h12m left");
        assert_eq!(countdown(Duration::minutes(59)), "59m left");
        assert_eq!(countdown_short(Duration::minutes(59)), "59m");
        assert_eq!(countdown_short(Duration::minutes(-(31 * 60))), "-31h00m");
        assert_eq!(
            countdown_short(Duration::minutes(-(130 * 60 + 5))),
            "-130h05m"
        );
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
