//! The metrics side panel: response clock counts and the late-response rate. Account metrics
//! (ODR, LSR, ...) get their own section below when they exist.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use crate::domain::response::LATE_RESPONSE_TARGET;
use crate::tui::state::App;
use crate::tui::theme;

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
        Line::from(""),
        Line::styled(
            format!(" Late responses (<{:.0}%)", LATE_RESPONSE_TARGET * 100.0),
            theme::title(),
        ),
    ];
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
    if let Some(avg) = app.metrics.late.get(1).and_then(|r| r.average_response) {
        lines.push(Line::from(format!(" avg 30d  {}", hm(avg))));
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
