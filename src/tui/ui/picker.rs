//! The template picker over the composer: the filter line, then the matching templates with a
//! preview of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::text::safe_text;
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(p) = &app.picker else {
        return;
    };
    let rows = app.picker_rows();
    let r = super::centered(area, 96, area.height.saturating_sub(4).clamp(8, 24));
    frame.render_widget(Clear, r);
    let block = Block::bordered()
        .border_style(theme::focused_border())
        .title(" Insert template · type to filter · Enter inserts · Esc closes ");
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [query, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let [label, input] =
        Layout::horizontal([Constraint::Length(9), Constraint::Min(1)]).areas(query);
    frame.render_widget(Paragraph::new("Filter: ").style(theme::dim()), label);
    frame.render_widget(&p.query, input);
    let [list_area, preview] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    let items: Vec<ListItem<'_>> = rows
        .iter()
        .map(|row| {
            let t = &row.template;
            ListItem::new(Line::from(vec![
                Span::raw(safe_text::line(&t.name).into_owned()),
                Span::styled(
                    format!(
                        "  {} · {}",
                        safe_text::line(t.category.as_deref().unwrap_or("-")),
                        safe_text::line(&t.language)
                    ),
                    theme::dim(),
                ),
            ]))
        })
        .collect();
    let empty = items.is_empty();
    let mut state = ListState::default().with_selected((!empty).then_some(p.selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(theme::selected())
            .block(Block::new().borders(ratatui::widgets::Borders::TOP)),
        list_area,
        &mut state,
    );
    let text = match rows.get(p.selected) {
        Some(row) => safe_text::block(&row.template.body).into_owned(),
        None => "No template matches.".into(),
    };
    frame.render_widget(
        Paragraph::new(text)
            .style(theme::dim())
            .wrap(Wrap { trim: false })
            .block(
                Block::new()
                    .borders(ratatui::widgets::Borders::TOP | ratatui::widgets::Borders::LEFT),
            ),
        preview,
    );
}
