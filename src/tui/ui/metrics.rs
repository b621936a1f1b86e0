//! The metrics side panel: response clock counts, the late-response rate, and the account
//! metrics (ODR, LSR, ...) with their status colour, headroom and a 30-day trend.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use crate::domain::metrics::Status;
use crate::domain::response::LATE_RESPONSE_TARGET;
use crate::tui::state::App;
use crate::tui::theme;

/// The account metrics the panel shows, with their short names.
const PANEL_METRICS: &[(&str, &str)] = &[
    // Amazon enforces each fulfilment channel's ODR on its own.
    ("odr", "ODR"),
    ("odr_fba", "ODRF"),
    ("lsr_10", "LSR"),
    ("pcr", "PCR"),
    ("vtr", "VTR"),
    ("otdr", "OTD"),
    ("feedback_90", "FB"),
    ("pop", "POP"),
    ("refund_rate", "RFD"),
];

/// What the panel's abbreviations and marks mean: help and the dashboard list them.
pub const LEGEND: &[(&str, &str)] = &[
    ("ODR", "order defects, seller"),
    ("ODRF", "order defects, FBA"),
    ("LSR", "late shipments, 10 d"),
    ("PCR", "cancels before shipping"),
    ("VTR", "valid tracking"),
    ("OTD", "on-time delivery"),
    ("FB", "positive feedback, 90 d"),
    ("POP", "perfect orders"),
    ("RFD", "refunds, 30 days"),
    ("AHR", "account health rating"),
    ("+n", "more before the limit"),
    ("!", "off target now"),
];

/// `0.27%`, `97.3%`: four significant characters for the narrow panel.
fn rate_text(rate: Option<f64>) -> String {
    match rate {
        None => "—".into(),
        Some(r) if r >= 0.1 => format!("{:.1}%", r * 100.0),
        Some(r) => format!("{:.2}%", r * 100.0),
    }
}

/// A trend as block characters, scaled between its own lowest and highest day; days without
/// data are blank.
pub fn spark(values: &[Option<f64>], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    // Each character stands for the last day of its stretch.
    let picks: Vec<Option<f64>> = (0..width.min(values.len()))
        .map(|i| values[((i + 1) * values.len()).div_ceil(width.min(values.len())) - 1])
        .collect();
    let known: Vec<f64> = picks.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    picks
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[0],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
        })
        .collect()
}

fn hm(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    format!("{}h{:02}m", m / 60, m % 60)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let block = Block::bordered().title(" Metrics ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text_area, spark_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    let c = &app.metrics.counts;
    let count = |label: &str, n: u64, style| {
        Line::from(vec![
            Span::raw(format!(" {label:<12}")),
            Span::styled(format!("{n:>6}"), if n > 0 { style } else { theme::dim() }),
        ])
    };
    let mut lines = vec![
        Line::styled(" Response (24 h)", theme::title()),
        count("needs reply", c.needs_reply, theme::title()),
        count("due soon", c.due_soon, theme::warn()),
        count("overdue", c.overdue, theme::bad()),
        count("critical", c.critical, theme::bad()),
    ];
    // Escalations and reminders due: only when there are some (the panel is short).
    if !app.metrics.follow_ups.is_empty() {
        lines.push(count(
            "follow-ups",
            app.metrics.follow_ups.len() as u64,
            theme::warn(),
        ));
    }
    // Replies not delivered: only when there are some.
    let o = &app.metrics.outbox;
    if o.queued + o.retrying + o.sending > 0 {
        lines.push(count(
            "outbox",
            u64::from(o.queued + o.retrying + o.sending),
            theme::warn(),
        ));
    }
    if o.failed + o.unknown > 0 {
        lines.push(count(
            "undelivered",
            u64::from(o.failed + o.unknown),
            theme::bad(),
        ));
    }
    lines.extend([
        Line::from(""),
        Line::styled(
            format!(" Late responses (<{:.0}%)", LATE_RESPONSE_TARGET * 100.0),
            theme::title(),
        ),
    ]);
    for r in &app.metrics.late {
        let (text, style) = match r.rate {
            Some(rate) => (
                format!("{:>5.1}% {}/{}", rate * 100.0, r.late(), r.counted),
                if rate >= LATE_RESPONSE_TARGET {
                    theme::bad()
                } else {
                    theme::good()
                },
            ),
            None => ("no data".to_string(), theme::dim()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {:>2}d  ", r.window_days)),
            Span::styled(text, style),
        ]));
    }
    // How long buyers waited on average, per window.
    for r in &app.metrics.late {
        if let Some(avg) = r.average_response {
            lines.push(Line::from(format!(
                " avg {:>2}d {}",
                r.window_days,
                hm(avg)
            )));
        }
    }
    if let Some(account) = &app.metrics.account {
        lines.push(Line::from(""));
        lines.push(Line::styled(" Account · 30d trend", theme::title()));
        for (key, short) in PANEL_METRICS {
            let Some((_, _, m)) = account.rows().into_iter().find(|(k, _, _)| k == key) else {
                continue;
            };
            let trend = app
                .metrics
                .trends
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, t)| spark(&t[t.len().saturating_sub(30)..], 8))
                .unwrap_or_default();
            let room = match (m.status, m.headroom) {
                (Status::Bad, _) => "!".to_string(),
                (_, Some(h)) => format!("+{h}"),
                _ => String::new(),
            };
            lines.push(Line::from(vec![
                Span::raw(format!(" {short:<4}")),
                Span::styled(format!("{:>7}", rate_text(m.rate)), theme::metric(m.status)),
                Span::styled(format!(" {trend:<8}"), theme::dim()),
                Span::styled(format!(" {room}"), theme::metric(m.status)),
            ]));
        }
        lines.push(Line::styled(" +n before its limit", theme::dim()));
        let ahr = &account.ahr;
        lines.push(Line::from(vec![
            Span::raw(" AHR "),
            Span::styled(
                format!(
                    "{:>7}",
                    ahr.value.map_or("—".to_string(), |v| v.to_string())
                ),
                theme::metric(ahr.status),
            ),
            Span::styled(
                ahr.amazon_status
                    .as_deref()
                    .map(|s| format!(" {}", crate::text::safe_text::line(s)))
                    .unwrap_or_default(),
                theme::dim(),
            ),
        ]));
    }
    if !app.metrics.recurring.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!(" Recurring · {}d", app.config.recurring.days),
            theme::title(),
        ));
        for issue in app.metrics.recurring.iter().take(3) {
            lines.push(Line::from(vec![
                Span::raw(format!(
                    " {:<10}",
                    crate::text::safe_text::line(&issue.asin)
                )),
                Span::styled(
                    format!(" {} ×{}", issue.category.short(), issue.threads.len()),
                    theme::warn(),
                ),
            ]));
        }
        if app.metrics.recurring.len() > 3 {
            lines.push(Line::styled(
                format!(
                    " +{} more: sellerdesk report",
                    app.metrics.recurring.len() - 3
                ),
                theme::dim(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(lines), text_area);
    frame.render_widget(
        Sparkline::default()
            .data(&app.metrics.late_per_day)
            .style(theme::warn())
            .block(Block::new().title(Line::styled(" late/day, 14d", theme::dim()))),
        spark_area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparks_scale_to_their_own_range() {
        assert_eq!(spark(&[Some(1.0), Some(2.0), Some(3.0)], 3), "▁▅█");
        assert_eq!(spark(&[Some(0.5), None, Some(0.5)], 3), "▁ ▁");
        assert_eq!(spark(&[Some(0.0), Some(1.0)], 8), "▁█");
        assert_eq!(spark(&[], 8), "");
        let long: Vec<Option<f64>> = (0..30).map(|i| Some(f64::from(i))).collect();
        assert_eq!(spark(&long, 8).chars().count(), 8);
        assert!(spark(&long, 8).ends_with('█'));
    }
}
