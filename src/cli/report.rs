//! `sellerdesk report [--json] [--days N] [--min N]`: recurring issues, ASINs with several
//! complaints of one kind in a short window. Exit 0: none, 1: at least one.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Invocation;
use crate::store::recurring::{RecurringIssue, RecurringRule};
use crate::text::safe_text;
use crate::text::time_fmt::{local, serialize_rfc3339};

#[derive(Serialize)]
struct ReportJson<'a> {
    #[serde(serialize_with = "serialize_rfc3339")]
    now: DateTime<Utc>,
    days: u32,
    min_complaints: u32,
    issues: &'a [RecurringIssue],
}

pub fn run(inv: &Invocation, json: bool, days: Option<u32>, min: Option<u32>) -> Result<u8> {
    let rule = RecurringRule {
        days: days.unwrap_or(inv.config.recurring.days).clamp(1, 3650),
        min_complaints: min.unwrap_or(inv.config.recurring.min_complaints).max(1),
    };
    let store = inv.open_store()?;
    let (issues, _) = store.recurring_issues(inv.now, rule, None)?;
    let mut out = crate::cli::out::stdout();
    if json {
        let doc = ReportJson {
            now: inv.now,
            days: rule.days,
            min_complaints: rule.min_complaints,
            issues: &issues,
        };
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&doc)?))?;
    } else {
        writeln!(
            out,
            "recurring issues · {} or more complaints of one kind on one ASIN in {} days",
            rule.min_complaints, rule.days
        )?;
        if issues.is_empty() {
            writeln!(out, "none")?;
        }
        for issue in &issues {
            writeln!(
                out,
                "\n{}  {} ×{}  {}",
                safe_text::line(&issue.asin),
                issue.category.key(),
                issue.threads.len(),
                safe_text::line(issue.product.as_deref().unwrap_or(""))
            )?;
            for t in &issue.threads {
                writeln!(
                    out,
                    "  #{:<6} {}  {:<18} {:<19}  {}",
                    t.id,
                    local(t.started_at, inv.config.timezone),
                    safe_text::line(t.buyer.as_deref().unwrap_or("(unknown)")),
                    t.order_id.as_deref().unwrap_or("-"),
                    safe_text::line(&t.subject)
                )?;
            }
        }
    }
    Ok(u8::from(!issues.is_empty()))
}
