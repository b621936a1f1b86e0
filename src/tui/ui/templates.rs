//! The template manager: every template on the left, the selected one on the right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::domain::template::{
    COMMITMENTS, PLACEHOLDERS, ReplyContext, SELLER_FILLED, Template, suggestion, unfilled,
};
use crate::text::columns::pad;
use crate::text::safe_text;
use crate::text::time_fmt::local;
use crate::tui::action::Action;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, keymap: &Keymap) {
    let [list_area, preview_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let rows: Vec<Row<'_>> = app
        .templates
        .iter()
        .map(|row| {
            let t = &row.template;
            Row::new([
                Cell::from(safe_text::line(&t.name).into_owned()),
                Cell::from(safe_text::line(t.category.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(safe_text::line(&t.language).into_owned()),
            ])
        })
        .collect();
    let focused = app.modal.is_none() && app.prompt.is_none();
    let table = Table::new(
        rows,
        [
            Constraint::Min(16),
            Constraint::Length(17),
            Constraint::Length(4),
        ],
    )
    .header(Row::new(["Name", "Category", "Lang"]).style(theme::dim()))
    .row_highlight_style(theme::selected())
    .block(
        Block::bordered()
            .title(format!(" Templates ({}) ", app.templates.len()))
            .border_style(if focused {
                theme::focused_border()
            } else {
                theme::border()
            }),
    );
    let mut state = TableState::default()
        .with_selected((!app.templates.is_empty()).then_some(app.template_selected));
    frame.render_stateful_widget(table, list_area, &mut state);

    let preview: Vec<Line<'static>> = match app.selected_template() {
        Some(row) => {
            let t = &row.template;
            let mut lines = vec![
                Line::styled(safe_text::line(&t.name).into_owned(), theme::title()),
                Line::styled(
                    format!(
                        "{} · {} · changed {}",
                        safe_text::line(t.category.as_deref().unwrap_or("no category")),
                        safe_text::line(&t.language),
                        local(row.updated_at, app.config.timezone)
                    ),
                    theme::dim(),
                ),
                Line::from(""),
            ];
            lines.extend(
                safe_text::block(&t.body)
                    .lines()
                    .map(|l| placeholder_line(l.to_string())),
            );
            lines.extend(placeholder_values(app, keymap, t));
            lines
        }
        None => vec![Line::styled(
            "No templates. n creates one; `sellerdesk templates import DIR` brings some in.",
            theme::dim(),
        )],
    };
    frame.render_widget(
        Paragraph::new(preview).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Preview ")
                .border_style(theme::border()),
        ),
        preview_area,
    );
}

/// Each placeholder of `t` and what it becomes on the thread the manager was opened on (or,
/// with none, what it means).
fn placeholder_values(app: &App, keymap: &Keymap, t: &Template) -> Vec<Line<'static>> {
    let names: Vec<String> = unfilled(&t.body)
        .iter()
        .map(|p| p.trim_matches(['{', '}']).to_string())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    // `{{name}}` and a space.
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 5;
    let mut lines = vec![Line::from("")];
    let Some(on) = &app.template_thread else {
        lines.push(Line::styled(
            "Placeholders (open this from a thread to see its values):",
            theme::dim(),
        ));
        for name in names {
            let meaning = PLACEHOLDERS
                .iter()
                .chain(COMMITMENTS)
                .chain(SELLER_FILLED)
                .find(|(n, _)| *n == name)
                .map_or("not one sellerdesk fills: you type it", |(_, m)| *m);
            lines.push(Line::from(vec![
                Span::styled(pad(&format!("{{{{{name}}}}}"), width), theme::key()),
                Span::styled(meaning, theme::dim()),
            ]));
        }
        return lines;
    };
    lines.push(Line::styled(format!("On {}:", on.label), theme::title()));
    let ctx = ReplyContext {
        language: Some(t.language.clone()),
        ..on.context.clone()
    };
    let tz = app.config.timezone;
    let take = keymap.key_for(Context::Composer, Action::TakeSuggestion);
    for name in names {
        let value = match ctx.value(&name, app.now, tz) {
            Some(v) => Span::styled(safe_text::line(&v).into_owned(), theme::good()),
            None => match (suggestion(&name, &ctx, app.now, tz), &take) {
                (Some(date), Some(key)) => Span::styled(
                    format!("you type it ({key} in the reply puts {date})"),
                    theme::warn(),
                ),
                _ => Span::styled("you type it", theme::warn()),
            },
        };
        lines.push(Line::from(vec![
            Span::styled(pad(&format!("{{{{{name}}}}}"), width), theme::key()),
            value,
        ]));
    }
    lines
}

/// A body line with its placeholders highlighted.
pub(super) fn placeholder_line(line: String) -> Line<'static> {
    let mut spans = Vec::new();
    let mut rest = line.as_str();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        spans.push(Span::raw(rest[..start].to_string()));
        spans.push(Span::styled(
            rest[start..start + len + 2].to_string(),
            theme::key(),
        ));
        rest = &rest[start + len + 2..];
    }
    spans.push(Span::raw(rest.to_string()));
    Line::from(spans)
}
