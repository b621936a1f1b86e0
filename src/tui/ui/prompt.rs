//! A one-line question on the status line: the search, a new name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Paragraph;

use crate::tui::state::App;
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(p) = &app.prompt else {
        return;
    };
    let label = format!(" {}: ", p.label());
    let width = (label.chars().count() as u16).min(area.width / 2);
    let [l, input] =
        Layout::horizontal([Constraint::Length(width), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label).style(theme::key()), l);
    frame.render_widget(&p.input, input);
}
