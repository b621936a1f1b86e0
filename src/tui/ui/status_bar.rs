//! The bottom line: key hints from the keymap, or the latest notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::Keymap;
use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, keymap: &Keymap) {
    if let Some(n) = &app.notice {
        frame.render_widget(Paragraph::new(format!(" {n}")).style(theme::warn()), area);
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    for (keys, what) in keymap.hints(app.context()) {
        spans.push(Span::styled(keys, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
