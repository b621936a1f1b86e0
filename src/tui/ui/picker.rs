//! The template picker over the composer: the filter line, then the matching templates with a
//! preview of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::domain::category::Category;
use crate::domain::template::{ReplyContext, fill};
use crate::text::columns::{fit, pad};
use crate::text::safe_text;
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(p) = &app.picker else {
        return;
    };
    let rows = app.picker_rows();
    let width = area.width.saturating_sub(8).clamp(60, 120);
    let r = super::centered(area, width, area.height.saturating_sub(4).clamp(8, 24));
    super::clear_for_dialog(frame, r);
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
    // Columns by display width (a Japanese name takes two cells a character); the kind by its
    // short name, and dropped before the language when the list is narrow.
    const KIND: usize = 10;
    let width = list_area.width as usize;
    let kind_width = if width >= 40 { KIND } else { 0 };
    let name_width = width.saturating_sub(kind_width + 6).max(8);
    let items: Vec<ListItem<'_>> = rows
        .iter()
        .map(|row| {
            let t = &row.template;
            let kind = t.category.as_deref().map_or_else(
                || "any".to_string(),
                |k| {
                    Category::parse(k)
                        .map_or_else(|| safe_text::line(k).into_owned(), |c| c.short().into())
                },
            );
            let kind = if kind_width > 0 {
                format!("  {}", pad(&kind, kind_width))
            } else {
                " ".into()
            };
            ListItem::new(Line::from(vec![
                Span::raw(pad(&safe_text::line(&t.name), name_width)),
                Span::styled(
                    format!("{kind} {}", fit(&safe_text::line(&t.language), 3)),
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
    // What Enter inserts: the template filled for this thread, what is left highlighted.
    let text: Vec<Line<'static>> = match (rows.get(p.selected), &app.composer) {
        (Some(row), Some(c)) => {
            let ctx = ReplyContext {
                language: Some(row.template.language.clone()),
                ..c.context.clone()
            };
            let filled = fill(&row.template.body, &ctx, app.now, app.config.timezone);
            safe_text::block(&filled)
                .lines()
                .map(|l| super::templates::placeholder_line(l.to_string()))
                .collect()
        }
        (Some(row), None) => safe_text::block(&row.template.body)
            .lines()
            .map(|l| super::templates::placeholder_line(l.to_string()))
            .collect(),
        (None, _) => vec![Line::styled("No template matches.", theme::dim())],
    };
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::new().borders(ratatui::widgets::Borders::TOP | ratatui::widgets::Borders::LEFT),
        ),
        preview,
    );
}
