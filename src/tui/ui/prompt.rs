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
    // A prompt about a thread names it first: the seller sees what the answer acts on.
    let about = match p.purpose {
        crate::tui::state::PromptPurpose::SnoozePicked => Some(app.picked_label()),
        purpose => purpose.thread().map(|t| app.thread_label(t)),
    };
    let label = match about {
        Some(about) => format!(
            " {} · {}: ",
            crate::text::safe_text::line(&about),
            p.label()
        ),
        None => format!(" {}: ", p.label()),
    };
    let width =
        (unicode_width::UnicodeWidthStr::width(label.as_str()) as u16).min(area.width * 2 / 3);
    let [l, input] =
        Layout::horizontal([Constraint::Length(width), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label).style(theme::key()), l);
    match &p.problem {
        // Why the answer could not be read, beside it, until it changes.
        Some(problem) => {
            let problem = format!(" ✗ {}", crate::text::safe_text::line(problem));
            let room = (unicode_width::UnicodeWidthStr::width(problem.as_str()) as u16)
                .min(input.width.saturating_sub(8));
            let [text, why] =
                Layout::horizontal([Constraint::Min(1), Constraint::Length(room)]).areas(input);
            frame.render_widget(&p.input, text);
            frame.render_widget(Paragraph::new(problem).style(theme::bad()), why);
        }
        None => frame.render_widget(&p.input, input),
    }
}
