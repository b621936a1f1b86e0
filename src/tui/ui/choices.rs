//! A short list to choose from in a box: a complaint kind, where to escalate, why to write
//! first. `j`/`k` move, `Enter` chooses, `Esc` cancels.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::theme;

pub struct Choices<'a> {
    pub title: &'a str,
    /// The thread it acts on ("Bob Wilson · order 111-…"), its first line.
    pub about: Option<String>,
    pub entries: Vec<String>,
    pub selected: usize,
    /// A line under the list.
    pub note: Option<&'a str>,
    /// What `Enter` does: "choose", "next", "write".
    pub enter: &'a str,
    pub width: u16,
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, c: &Choices<'_>) {
    let extra = if c.note.is_some() { 5 } else { 4 } + if c.about.is_some() { 2 } else { 0 };
    let r = super::centered(area, c.width, c.entries.len() as u16 + extra);
    super::clear_for_dialog(frame, r);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(about) = &c.about {
        lines.push(Line::styled(
            format!(" {}", crate::text::safe_text::line(about)),
            theme::title(),
        ));
        lines.push(Line::from(""));
    }
    lines.extend(c.entries.iter().enumerate().map(|(i, e)| {
        let text = format!(" {e}");
        if i == c.selected {
            Line::styled(text, theme::selected())
        } else {
            Line::from(text)
        }
    }));
    lines.push(Line::from(""));
    if let Some(note) = c.note {
        lines.push(Line::styled(format!(" {note}"), theme::dim()));
    }
    lines.push(Line::from(vec![
        Span::styled(" j/k", theme::key()),
        Span::raw(" move  "),
        Span::styled("Enter", theme::key()),
        Span::raw(format!(" {}  ", c.enter)),
        Span::styled("Esc", theme::key()),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" {} ", c.title))),
        r,
    );
}
