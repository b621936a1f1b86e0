//! `sellerdesk purge-pii [--older-than 30d] [--json]`: buyer data past Amazon's limit, redacted.

use std::io::Write;

use anyhow::{Result, bail};

use super::Invocation;

use crate::text::time_fmt::{LONGEST_SPAN_DAYS, SpanError, parse_span};

/// `30d`, `45` (days), `6w`: whole days, at least one, at most a hundred years.
fn days(text: &str) -> Result<i64> {
    let t = text.trim();
    let written = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("{t}d")
    } else {
        t.to_string()
    };
    match parse_span(&written) {
        Ok(span) if span.num_days() >= 1 && span == chrono::Duration::days(span.num_days()) => {
            Ok(span.num_days())
        }
        Ok(_) => bail!("--older-than {text}: whole days, at least 1d (e.g. 30d or 6w)"),
        Err(SpanError::TooLong) => {
            bail!("--older-than {text}: at most {LONGEST_SPAN_DAYS}d (100 years)")
        }
        Err(SpanError::NotASpan) => {
            bail!("`{text}` is not a duration of at least 1d, like 30d or 6w")
        }
    }
}

pub fn run(inv: &Invocation, older_than: &str, json: bool) -> Result<u8> {
    let days = days(older_than)?;
    let mut store = inv.open_store()?;
    let outbox = inv.config.outbox_dir();
    let report = store.purge_pii(inv.now, days, outbox.as_deref())?;
    let mut out = crate::cli::out::stdout();
    if json {
        writeln!(
            out,
            "{}",
            crate::text::safe_text::json(serde_json::to_string(&report)?)
        )?;
        return Ok(0);
    }
    writeln!(
        out,
        "purged buyer data older than {days} days: {} threads, {} messages, {} feedback, {} other records, {} outbox files",
        report.threads, report.messages, report.feedback, report.records, report.outbox_files
    )?;
    if !report.backups_before.is_empty() {
        writeln!(
            out,
            "these backups were made before and still hold it (sellerdesk cannot reach them; delete or purge them too):"
        )?;
        for b in &report.backups_before {
            writeln!(
                out,
                "  {}  {}",
                b.made_at.format("%Y-%m-%d %H:%M UTC"),
                crate::text::safe_text::line(&b.path)
            )?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::days;

    #[test]
    fn durations() {
        assert_eq!(days("30d").unwrap(), 30);
        assert_eq!(days("45").unwrap(), 45);
        assert_eq!(days("6w").unwrap(), 42);
        assert!(days("0d").is_err());
        assert!(days("soon").is_err());
        assert!(days("3h").is_err());
    }

    #[test]
    fn durations_are_range_checked() {
        assert_eq!(days("30d").unwrap(), 30);
        assert_eq!(days("6w").unwrap(), 42);
        assert_eq!(days("45").unwrap(), 45);
        for bad in ["0d", "x", "3m", ""] {
            assert!(days(bad).is_err(), "{bad}");
        }
        for huge in [
            "106751991d",
            "36501d",
            "99999999999999999999d",
            "9223372036854775807w",
        ] {
            let e = days(huge).unwrap_err().to_string();
            assert!(e.contains("at most 36500d"), "{huge}: {e}");
        }
    }
}
