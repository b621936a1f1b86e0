//! `sellerdesk metrics [--json] [--marketplace X]`: every account metric with its window,
//! parts, target, status and headroom.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Invocation;
use crate::domain::metrics::{AccountMetrics, Status};
use crate::metrics::format::{headroom as headroom_text, percent, target};
use crate::text::time_fmt::serialize_rfc3339;

#[derive(Serialize)]
struct MetricsJson<'a> {
    #[serde(serialize_with = "serialize_rfc3339")]
    now: DateTime<Utc>,
    metrics: &'a AccountMetrics,
}

pub fn run(inv: &Invocation, json: bool, marketplace: Option<&str>) -> Result<u8> {
    let store = inv.open_store()?;
    let m = crate::metrics::compute_fast(&store, inv.now, marketplace)?;
    let mut out = crate::cli::out::stdout();
    // The same exit code with and without --json: the worst status (at risk 1, bad 2).
    let worst = m
        .rows()
        .iter()
        .map(|(_, _, x)| x.status)
        .chain([m.ahr.status])
        .fold(0u8, |acc, s| {
            acc.max(match s {
                Status::Bad => 2,
                Status::AtRisk => 1,
                _ => 0,
            })
        });
    if json {
        let doc = MetricsJson {
            now: inv.now,
            metrics: &m,
        };
        writeln!(
            out,
            "{}",
            crate::text::safe_text::json(serde_json::to_string(&doc)?)
        )?;
        return Ok(worst);
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let paint = |s: Status, text: String| -> String {
        if !colour {
            return text;
        }
        let code = match s {
            Status::Good => "32",
            Status::AtRisk => "33",
            Status::Bad => "1;31",
            Status::NoData => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    writeln!(
        out,
        "account metrics · {}{}",
        crate::text::time_fmt::local(inv.now, inv.config.timezone),
        marketplace.map(|x| format!(" · {x}")).unwrap_or_default()
    )?;
    writeln!(
        out,
        "{:<23} {:>9} {:>13} {:>7} {:<8} headroom",
        "metric", "rate", "parts", "target", "status"
    )?;
    for (key, label, metric) in m.rows() {
        let status = format!("{:<8}", metric.status.as_str());
        writeln!(
            out,
            "{label:<23} {:>9} {:>13} {:>7} {} {}",
            percent(metric.rate),
            format!("{}/{}", metric.numerator, metric.denominator),
            target(metric.target),
            paint(metric.status, status),
            headroom_text(metric)
        )?;
        for line in [
            crate::metrics::format::recovery(key, metric).map(|r| format!("to recover: {r}")),
            crate::metrics::format::odr_parts(metric),
            crate::metrics::format::note(key).map(str::to_string),
            crate::metrics::format::amazon(key, metric),
        ]
        .into_iter()
        .flatten()
        {
            writeln!(out, "  {line}")?;
        }
    }
    let figures = store.amazon_says()?.figures;
    let markets = crate::metrics::marketplace_ids(&crate::metrics::latest_report(&figures));
    if marketplace.is_none() && markets.len() > 1 {
        writeln!(
            out,
            "Amazon's report covers {} marketplaces: compare one with --marketplace (e.g. {})",
            markets.len(),
            markets
                .iter()
                .filter_map(|id| crate::domain::account::marketplace_domain(id))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    let ahr = &m.ahr;
    writeln!(
        out,
        "{:<23} {:>9} {:>13} {:>7} {} {}",
        "Account health (AHR)",
        ahr.value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "no data".into()),
        "",
        "≥ 200",
        paint(ahr.status, format!("{:<8}", ahr.status.as_str())),
        ahr.amazon_status
            .as_deref()
            .map(|s| format!("Amazon says {}", crate::text::safe_text::line(s)))
            .unwrap_or_default()
    )?;
    // How long buyers waited for an answer, on average, in each window.
    let averages: Vec<String> = [7u32, 30, 90]
        .iter()
        .map(|&days| {
            let messages = store.buyer_messages_since(inv.now, days)?;
            let r = crate::domain::response::late_response_rate(&messages, inv.now, days);
            Ok(format!(
                "{days}d {}",
                r.average_response
                    .map(|d| format!("{}h{:02}m", d.num_minutes() / 60, d.num_minutes() % 60))
                    .unwrap_or_else(|| "no data".into())
            ))
        })
        .collect::<Result<_, crate::store::StoreError>>()?;
    writeln!(out, "Average response time: {}", averages.join(" · "))?;
    Ok(worst)
}
