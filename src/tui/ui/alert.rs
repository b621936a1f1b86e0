//! The startup alert: what is overdue, critical or due soon, most urgent first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::text::safe_text;
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let c = &app.metrics.counts;
    let mut summary = Vec::new();
    if c.critical > 0 {
        summary.push(format!(
            "{} critical (over {} h — A-to-z claim risk)",
            c.critical,
            app.config.thresholds.critical.num_hours()
        ));
    }
    let more_overdue = c.overdue - c.critical;
    if more_overdue > 0 {
        summary.push(format!(
            "{more_overdue} {}overdue",
            if c.critical > 0 { "more " } else { "" }
        ));
    }
    if c.due_soon > 0 {
        summary.push(format!(
            "{} due within {} h",
            c.due_soon,
            app.config.thresholds.due_soon.num_hours()
        ));
    }
    let mut lines = Vec::new();
    if !summary.is_empty() {
        lines.push(Line::from(summary.join(", ") + "."));
    }
    // Account metrics at risk or off target, once the worker has them.
    if let Some(account) = &app.metrics.account {
        for (key, label, m) in account.troubled() {
            let verdict = match m.status {
                crate::domain::metrics::Status::Bad => "is off target",
                _ => "is at risk",
            };
            lines.push(Line::styled(
                format!(
                    "{label} {} {verdict} ({}): {}",
                    crate::metrics::format::percent(m.rate),
                    crate::metrics::format::target(m.target),
                    crate::metrics::format::recovery(key, m)
                        .map(|r| format!("to recover, {r}"))
                        .unwrap_or_else(|| crate::metrics::format::headroom(m))
                ),
                theme::metric(m.status),
            ));
        }
        if account.ahr.status == crate::domain::metrics::Status::Bad
            || account.ahr.status == crate::domain::metrics::Status::AtRisk
        {
            lines.push(Line::styled(
                format!(
                    "Account Health Rating {} ({})",
                    account.ahr.value.unwrap_or_default(),
                    account.ahr.status.as_str().replace('_', " ")
                ),
                theme::metric(account.ahr.status),
            ));
        }
    }
    if !app.metrics.follow_ups.is_empty() {
        let due: Vec<String> = app
            .metrics
            .follow_ups
            .iter()
            .take(3)
            .map(|f| {
                format!(
                    "{} ({})",
                    safe_text::line(&f.describe()),
                    safe_text::line(f.buyer.as_deref().unwrap_or("unknown buyer"))
                )
            })
            .collect();
        let more = app.metrics.follow_ups.len().saturating_sub(3);
        lines.push(Line::styled(
            format!(
                "{} follow-up{} due: {}{}",
                app.metrics.follow_ups.len(),
                if app.metrics.follow_ups.len() == 1 {
                    ""
                } else {
                    "s"
                },
                due.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            theme::warn(),
        ));
    }
    let o = &app.metrics.outbox;
    if o.failed + o.unknown + o.retrying > 0 {
        let mut what = Vec::new();
        if o.retrying > 0 {
            what.push(format!("{} failing (retried automatically)", o.retrying));
        }
        if o.failed > 0 {
            what.push(format!("{} refused for good", o.failed));
        }
        if o.unknown > 0 {
            what.push(format!("{} with unknown delivery", o.unknown));
        }
        lines.push(Line::styled(
            format!(
                "Replies not delivered: {} — open the thread, R sends again.",
                what.join(", ")
            ),
            theme::bad(),
        ));
    }
    if app.metrics.purge_due {
        lines.push(Line::styled(
            "Buyer data older than 30 days is still stored: run `sellerdesk purge-pii` (Amazon's data protection policy).",
            theme::warn(),
        ));
    }
    lines.push(Line::from(""));
    let width = area.width.min(80).saturating_sub(2) as usize;
    for r in app.alert_rows.iter().take(8) {
        let (badge, style) = super::inbox::badge(r, app);
        let buyer = r
            .buyer_name
            .as_deref()
            .or(r.buyer_alias.as_deref())
            .unwrap_or("?");
        // One line per thread, cut at the box: rows must not wrap into each other.
        let rest: String = format!(
            " {} {}",
            crate::text::columns::pad(&safe_text::line(buyer), 16),
            safe_text::line(&r.subject)
        );
        let rest = crate::text::columns::fit(&rest, width.saturating_sub(16));
        lines.push(Line::from(vec![
            Span::styled(format!("{badge:<16}"), style),
            Span::raw(rest),
        ]));
    }
    // The keys sit on the box's border: shown however many lines there are; what does not
    // fit scrolls.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let inner_width = area.width.min(80).saturating_sub(2);
    let needed = paragraph.line_count(inner_width) as u16;
    let r = super::centered(area, 80, needed + 2);
    let visible = r.height.saturating_sub(2);
    let overflow = needed > visible;
    let mut hints = vec![
        Span::styled(" Enter", theme::key()),
        Span::raw(" open the most urgent  "),
        Span::styled("Esc", theme::key()),
        Span::raw(" dismiss "),
    ];
    if overflow {
        hints.extend([Span::styled(" j/k", theme::key()), Span::raw(" scroll ")]);
    }
    let scroll = app.alert_scroll.min(needed.saturating_sub(visible));
    super::clear_for_dialog(frame, r);
    frame.render_widget(
        paragraph.scroll((scroll, 0)).block(
            Block::bordered()
                .title(" Needs attention ")
                .title_bottom(Line::from(hints))
                .border_style(theme::bad()),
        ),
        r,
    );
}
