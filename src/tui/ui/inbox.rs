//! The inbox: one row per thread, countdown badge first.

use crate::domain::category::Category;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use crate::domain::clock::{Clock, state_for_start};
use crate::store::inbox::InboxRow;
use crate::text::safe_text;
use crate::text::time_fmt::countdown;
use crate::tui::state::{App, Focus};
use crate::tui::theme;

/// The badge: time left (`5h12m left`) or overdue (`overdue 31h00m`), the figure `status`
/// prints too, coloured by the clock's state; `—` when no clock runs.
pub fn badge(row: &InboxRow, app: &App) -> (String, ratatui::style::Style) {
    match clock_state(row, app) {
        Some((state, remaining)) => (countdown(remaining), theme::clock(Some(state))),
        None => ("—".into(), theme::clock(None)),
    }
}

/// The badge where the list is narrow: the figure alone (`-31h00m` overdue, `5h12m` left).
pub fn badge_short(row: &InboxRow, app: &App) -> (String, ratatui::style::Style) {
    match clock_state(row, app) {
        Some((state, remaining)) => (
            crate::text::time_fmt::countdown_short(remaining),
            theme::clock(Some(state)),
        ),
        None => ("—".into(), theme::clock(None)),
    }
}

/// The running clock's state and time left (negative: overdue).
pub fn clock_state(
    row: &InboxRow,
    app: &App,
) -> Option<(crate::domain::clock::ClockState, chrono::Duration)> {
    let start = row.clock_start?;
    Some((
        state_for_start(start, app.now, &app.config.thresholds),
        Clock { start }.remaining(app.now),
    ))
}

/// The row shown as selected: in the list, the selection; while a thread is open (read or
/// answered), that thread's row, or none when the list no longer holds it — never another.
fn highlighted(app: &App, index: u64, id: i64) -> bool {
    match (&app.thread, app.focus) {
        (Some(t), Focus::Thread | Focus::Composer) => t.row.id == id,
        _ => index == app.selected,
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let focused = app.focus == Focus::Inbox && app.modal.is_none();
    let filter = match app.kind {
        Some(k) => format!("{} · {}", app.filter.label(), k.short()),
        None => app.filter.label().to_string(),
    };
    let title = match &app.search {
        Some(q) => format!(
            " Inbox ({} · search \"{}\" · {} match{}{} · Esc clears) ",
            filter,
            safe_text::line(q),
            app.total,
            if app.total == 1 { "" } else { "es" },
            if app.total >= crate::store::search::SEARCH_LIMIT {
                ", first shown"
            } else {
                ""
            }
        ),
        None if !app.picked.is_empty() => format!(
            " Inbox ({} · {}) · {} picked: x, c or z acts on them, Esc puts them back ",
            filter,
            app.total,
            app.picked.len()
        ),
        None => format!(" Inbox ({} · {}) ", filter, app.total),
    };
    let block = Block::bordered().title(title).border_style(if focused {
        theme::focused_border()
    } else {
        theme::border()
    });
    let height = area.height.saturating_sub(2) as u64;
    // Order ID and category only when there is room for the subject beside them.
    let wide = area.width >= 100;
    let compact = area.width < 50;
    // The window of loaded rows scrolled so the selection is visible.
    let first = app
        .selected
        .saturating_sub(height.saturating_sub(1))
        .max(app.offset);
    let rows: Vec<Row<'_>> = app
        .rows
        .iter()
        .enumerate()
        .skip(first.saturating_sub(app.offset) as usize)
        .take(height as usize)
        .map(|(i, r)| {
            let index = app.offset + i as u64;
            let (text, style) = if compact {
                badge_short(r, app)
            } else {
                badge(r, app)
            };
            let buyer = r
                .buyer_name
                .as_deref()
                .or(r.buyer_alias.as_deref())
                .unwrap_or("(unknown)");
            let mut cells = vec![
                Cell::from(Line::from(vec![
                    // Picked for one action on several: ✓ over the unread mark.
                    if app.picked.contains(&r.id) {
                        Span::styled("✓", theme::good())
                    } else {
                        Span::raw(if r.unread { "●" } else { " " })
                    },
                    Span::styled(format!("{text:<14}"), style),
                ])),
                Cell::from(safe_text::line(buyer).into_owned()),
            ];
            if wide {
                cells.push(Cell::from(r.order_id.clone().unwrap_or_default()));
                // Stored keys are ours, but a hand-edited database may hold anything.
                let kind = r.category.as_deref().unwrap_or_default();
                cells.push(Cell::from(match Category::parse(kind) {
                    Some(c) => c.short().to_string(),
                    None => safe_text::line(kind).into_owned(),
                }));
            }
            let subject = safe_text::line(&r.subject).into_owned();
            cells.push(Cell::from(match app.taken_by(r.id) {
                Some(t) => Line::from(vec![
                    Span::styled(format!("✎ {} ", safe_text::line(&t.agent)), theme::warn()),
                    Span::raw(subject),
                ]),
                None => Line::from(subject),
            }));
            cells.push(Cell::from(format!("{:>2}", r.message_count)));
            let mut row = Row::new(cells);
            if highlighted(app, index, r.id) {
                row = row.style(theme::selected());
            }
            row
        })
        .collect();
    // The badge's column holds the unread dot and `overdue 100h00m` whole; where the list is
    // too narrow for that, the figure stays whole and its words go (`-31h00m`).
    let widths: Vec<Constraint> = if compact {
        vec![
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Min(6),
            Constraint::Length(2),
        ]
    } else if wide {
        vec![
            Constraint::Length(16),
            Constraint::Length(16),
            Constraint::Length(19),
            Constraint::Length(9),
            Constraint::Min(10),
            Constraint::Length(2),
        ]
    } else {
        vec![
            Constraint::Length(16),
            Constraint::Length(14),
            Constraint::Min(8),
            Constraint::Length(2),
        ]
    };
    let empty = rows.is_empty();
    let table = Table::new(rows, widths).column_spacing(1).block(block);
    frame.render_widget(table, area);
    if empty {
        let inner = area.inner(ratatui::layout::Margin::new(2, 1));
        let msg = match app.filter {
            _ if app.search.is_some() => "Nothing matches. / searches again, Esc clears.",
            crate::store::inbox::Filter::NeedsReply => {
                "Nothing needs a reply. f shows other threads."
            }
            _ => "No threads here. f changes the filter.",
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(msg).style(theme::dim()),
            inner,
        );
    }
}
