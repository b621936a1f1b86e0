//! The dashboard: each account metric's last 90 days as a chart with its labelled target line,
//! late responses first (the metric the app exists for). Charts keep a readable height; when
//! they do not all fit, `j`/`k` move a row of them. Below, what an off-target metric needs to
//! recover and what the panel's abbreviations stand for.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use crate::domain::metrics::{Metric, Status};
use crate::metrics::format;
use crate::tui::state::App;
use crate::tui::theme;

/// Fewest rows a chart takes: six of plot between its borders.
pub const CHART_ROWS: u16 = 8;
/// Fewest columns a chart takes.
const CHART_COLUMNS: u16 = 34;
/// The dot the target line is drawn with: how its row is found for the label.
const TARGET_DOT: &str = "•";

/// One chart: the metric's key and name.
struct Shown<'a> {
    key: &'static str,
    label: &'static str,
    metric: &'a Metric,
    trend: &'a [Option<f64>],
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let block = Block::bordered().border_style(theme::focused_border());
    let inner = block.inner(area);
    let title = |more: bool| {
        let keys = if more { " · j/k more rows" } else { "" };
        format!(" Dashboard · 90 days{keys} · Esc back ")
    };
    let Some(account) = &app.metrics.account else {
        frame.render_widget(block.title(title(false)), area);
        frame.render_widget(
            Paragraph::new("Computing the metrics…").style(theme::dim()),
            inner,
        );
        return;
    };
    let rows = account.rows();
    let charts: Vec<Shown<'_>> = app
        .metrics
        .trends
        .iter()
        .filter_map(|(key, trend)| {
            rows.iter()
                .find(|(k, _, _)| k == key)
                .map(|(k, label, m)| Shown {
                    key: k,
                    label,
                    metric: m,
                    trend,
                })
        })
        .collect();
    if charts.is_empty() || inner.width < 20 || inner.height < CHART_ROWS {
        frame.render_widget(block.title(title(false)), area);
        return;
    }
    let notes = Paragraph::new(notes(&charts)).wrap(Wrap { trim: true });
    let notes_height = (notes.line_count(inner.width) as u16).min(inner.height / 3);
    let [grid, below] = Layout::vertical([
        Constraint::Min(CHART_ROWS),
        Constraint::Length(notes_height),
    ])
    .areas(inner);
    let columns = (grid.width / CHART_COLUMNS).clamp(1, 4) as usize;
    let lines = charts.len().div_ceil(columns);
    let fit = ((grid.height / CHART_ROWS) as usize).clamp(1, lines);
    let first = (app.dashboard_scroll as usize).min(lines - fit);
    frame.render_widget(block.title(title(lines > fit)), area);
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, fit as u32); fit]).split(grid);
    for (i, row_area) in row_areas.iter().enumerate() {
        let cells = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns])
            .split(*row_area);
        for (j, cell) in cells.iter().enumerate() {
            if let Some(shown) = charts.get((first + i) * columns + j) {
                chart(frame, *cell, shown);
            }
        }
    }
    frame.render_widget(notes, below);
}

/// What each off-target metric needs, then the abbreviations the panel uses.
fn notes(charts: &[Shown<'_>]) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for c in charts {
        if let Some(r) = format::recovery(c.key, c.metric) {
            out.push(Line::from(vec![
                Span::styled(format!("{} is off target: ", c.label), theme::bad()),
                Span::raw(format!("to recover, {r}.")),
            ]));
        }
    }
    let legend: Vec<String> = super::metrics::LEGEND
        .iter()
        .map(|(short, meaning)| format!("{short} {meaning}"))
        .collect();
    out.push(Line::styled(
        format!("Panel: {}", legend.join(" · ")),
        theme::dim(),
    ));
    out
}

fn chart(frame: &mut Frame<'_>, area: Rect, shown: &Shown<'_>) {
    let (m, trend) = (shown.metric, shown.trend);
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
    // The target first, so the metric's own line is drawn over it.
    let mut datasets = Vec::new();
    if !target_line.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(theme::dim())
                .data(&target_line),
        );
    }
    datasets.push(
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme::metric(m.status))
            .data(&points),
    );
    let title = vec![
        Span::raw(format!(" {} ", shown.label)),
        Span::styled(
            format!("{} ", format::percent(m.rate)),
            theme::metric(m.status),
        ),
    ];
    let mark = match m.status {
        Status::Bad => Some(Span::styled(" off target ", theme::bad())),
        Status::AtRisk => Some(Span::styled(" at risk ", theme::warn())),
        _ => None,
    };
    let mut block = Block::bordered()
        .title(Line::from(title))
        .title_bottom(Line::styled(" -90d", theme::dim()))
        .title_bottom(Line::styled("now ", theme::dim()).right_aligned())
        .border_style(theme::border());
    if let Some(mark) = mark {
        block = block.title_bottom(Line::from(mark).centered());
    }
    let graph = block.inner(area);
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(Axis::default().bounds([-(n.max(2) as f64 - 1.0), 0.0]))
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels([format!("{lo:.1}%"), format!("{hi:.1}%")])
                .style(theme::dim()),
        );
    frame.render_widget(chart, area);
    if m.target.is_some() {
        label_target(
            frame.buffer_mut(),
            graph,
            &format!(" target {} ", format::target(m.target)),
        );
    }
}

/// Writes `label` at the right end of the row the target line was drawn on (the row with the
/// most of its dots), so the dotted line says what it is.
fn label_target(buffer: &mut Buffer, graph: Rect, label: &str) {
    let dots = |y: u16| {
        (graph.left()..graph.right())
            .filter(|&x| buffer[(x, y)].symbol() == TARGET_DOT)
            .count()
    };
    let Some(y) = (graph.top()..graph.bottom())
        .filter(|&y| dots(y) > 0)
        .max_by_key(|&y| dots(y))
    else {
        return;
    };
    let width = unicode_width::UnicodeWidthStr::width(label) as u16;
    if width + 8 > graph.width {
        return;
    }
    buffer.set_string(graph.right() - width, y, label, theme::dim());
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    #[test]
    fn the_target_label_goes_on_the_row_of_the_dots() {
        let area = Rect::new(0, 0, 30, 6);
        let mut buffer = Buffer::empty(area);
        for x in 5..30 {
            buffer.set_string(x, 3, TARGET_DOT, Style::default());
        }
        buffer.set_string(6, 1, TARGET_DOT, Style::default());
        label_target(&mut buffer, area, " target < 1% ");
        let row: String = (0..30)
            .map(|x| buffer[(x, 3)].symbol().to_string())
            .collect();
        assert!(row.ends_with(" target < 1% "), "{row:?}");
        // Too narrow for the label: the line stays as drawn.
        let narrow = Rect::new(0, 0, 15, 6);
        let mut buffer = Buffer::empty(narrow);
        buffer.set_string(0, 2, "•••••••••••••••", Style::default());
        label_target(&mut buffer, narrow, " target < 1% ");
        assert_eq!(buffer[(14, 2)].symbol(), TARGET_DOT);
    }
}
