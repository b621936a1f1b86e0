//! Short choice lists: where a thread is escalated (the case ID and follow-up time are asked
//! next), and why the seller writes first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::store::follow_ups::Channel;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, selected: usize) {
    let r = super::centered(area, 44, Channel::ALL.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let mut lines: Vec<Line<'static>> = Channel::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let text = format!(" {}", c.label());
            if i == selected {
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
        Span::raw(" next  "),
        Span::styled("Esc", theme::key()),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Escalate through ")),
        r,
    );
}

/// Amazon's permitted reasons for a message the seller starts.
pub fn draw_reasons(frame: &mut Frame<'_>, area: Rect, selected: usize) {
    use crate::domain::compliance::Reason;
    let r = super::centered(area, 64, Reason::ALL.len() as u16 + 5);
    frame.render_widget(Clear, r);
    let mut lines: Vec<Line<'static>> = Reason::ALL
        .iter()
        .enumerate()
        .map(|(i, reason)| {
            let text = format!(" {}", reason.label());
            if i == selected {
                Line::styled(text, theme::selected())
            } else {
                Line::from(text)
            }
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::styled(
        " Within 30 days of the order; one review request per order.",
        theme::dim(),
    ));
    lines.push(Line::from(vec![
        Span::styled(" j/k", theme::key()),
        Span::raw(" move  "),
        Span::styled("Enter", theme::key()),
        Span::raw(" write  "),
        Span::styled("Esc", theme::key()),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Write first: why ")),
        r,
    );
}
