//! Every binding with its description, from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, keymap: &Keymap) {
    let mut lines = Vec::new();
    for ctx in [Context::Inbox, Context::Thread, Context::Modal] {
        lines.push(Line::styled(ctx.label(), theme::title()));
        // One line per action, all its keys together.
        let mut seen: Vec<(crate::tui::action::Action, Vec<String>)> = Vec::new();
        for b in keymap.all().iter().filter(|b| b.context == ctx) {
            match seen.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => keys.push(b.key.label()),
                None => seen.push((b.action, vec![b.key.label()])),
            }
        }
        for (action, keys) in seen {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", keys.join(" ")), theme::key()),
                Span::raw(action.description()),
            ]));
        }
    }
    lines.push(Line::styled("any key closes this help", theme::dim()));
    let r = super::centered(area, 48, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Help ")),
        r,
    );
}
