//! The dashboard: each account metric's last 90 days as a chart, with its target line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use crate::domain::metrics::Target;
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let block = Block::bordered()
        .title(" Dashboard · 90 days · Esc back ")
        .border_style(theme::focused_border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(account) = &app.metrics.account else {
        frame.render_widget(
            Paragraph::new("Computing the metrics…").style(theme::dim()),
            inner,
        );
        return;
    };
    let rows = account.rows();
    let charts: Vec<_> = app
        .metrics
        .trends
        .iter()
        .filter_map(|(key, trend)| {
            rows.iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, label, m)| (*label, *m, trend))
        })
        .collect();
    if charts.is_empty() || inner.width < 20 || inner.height < 6 {
        return;
    }
    let columns = (inner.width / 40).clamp(1, 4) as usize;
    let lines = charts.len().div_ceil(columns);
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, lines as u32); lines]).split(inner);
    for (i, row_area) in row_areas.iter().enumerate() {
        let cells = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns])
            .split(*row_area);
        for (j, cell) in cells.iter().enumerate() {
            if let Some((label, m, trend)) = charts.get(i * columns + j) {
                chart(frame, *cell, label, m, trend);
            }
        }
    }
}

fn chart(
    frame: &mut Frame<'_>,
    area: Rect,
    label: &str,
    m: &crate::domain::metrics::Metric,
    trend: &[Option<f64>],
) {
    let n = trend.len();
    let points: Vec<(f64, f64)> = trend
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64 - (n as f64 - 1.0), v * 100.0)))
        .collect();
    let target = m.target.map(|t| t.as_fraction() * 100.0);
    let (mut lo, mut hi) = points
        .iter()
        .map(|p| p.1)
        .chain(target)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(0.1);
    let (lo, hi) = ((lo - pad).max(0.0), (hi + pad).min(100.0));
    let target_line: Vec<(f64, f64)> = target
        .map(|t| vec![(-(n as f64 - 1.0), t), (0.0, t)])
        .unwrap_or_default();
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme::metric(m.status))
            .data(&points),
    ];
    if !target_line.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(theme::dim())
                .data(&target_line),
        );
    }
    let title = Line::from(vec![
        Span::raw(format!(" {label} ")),
        Span::styled(
            format!("{} ", crate::metrics::format::percent(m.rate)),
            theme::metric(m.status),
        ),
        Span::styled(
            match m.target {
                Some(Target::Below(_) | Target::Above(_) | Target::AtLeast(_)) => {
                    format!("target {} ", crate::metrics::format::target(m.target))
                }
                None => String::new(),
            },
            theme::dim(),
        ),
    ]);
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(title).border_style(theme::border()))
        .x_axis(
            Axis::default()
                .bounds([-(n.max(2) as f64 - 1.0), 0.0])
                .labels(["-90d", "now"])
                .style(Style::default()),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels([format!("{lo:.1}%"), format!("{hi:.1}%")])
                .style(theme::dim()),
        );
    frame.render_widget(chart, area);
}
