//! Choosing a complaint kind: for the open thread, or to show only one kind in the inbox.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::state::KindChoice;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, choice: &KindChoice) {
    let entries = choice.entries();
    let r = super::centered(area, 44, entries.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let mut lines: Vec<Line<'static>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let text = match e {
                Some(c) => format!(" {:<10} {}", c.short(), c.label()),
                None => " all kinds".to_string(),
            };
            if i == choice.selected {
                Line::styled(text, theme::selected())
            } else {
                Line::from(text)
            }
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(" j/k", theme::key()),
        Span::raw(" move  "),
        Span::styled("Enter", theme::key()),
        Span::raw(" choose  "),
        Span::styled("Esc", theme::key()),
        Span::raw(" cancel"),
    ]));
    let title = if choice.thread.is_some() {
        " Complaint kind of this thread "
    } else {
        " Show only one kind "
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        r,
    );
}
