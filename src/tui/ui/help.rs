//! Every binding with its description, from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme;

/// Every binding, one line per action, grouped by context.
fn lines(keymap: &Keymap) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for ctx in Context::ALL {
        out.push(Line::styled(ctx.label(), theme::title()));
        // One line per action, all its keys together.
        let mut seen: Vec<(crate::tui::action::Action, Vec<String>)> = Vec::new();
        for b in keymap.all().iter().filter(|b| b.context == ctx) {
            match seen.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => keys.push(b.key.label()),
                None => seen.push((b.action, vec![b.key.label()])),
            }
        }
        for (action, keys) in seen {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", keys.join(" ")), theme::key()),
                Span::raw(action.description()),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::styled("Metrics panel", theme::title()));
    for (short, meaning) in crate::tui::ui::metrics::LEGEND {
        out.push(Line::from(vec![
            Span::styled(format!("  {short:<15}"), theme::key()),
            Span::raw(*meaning),
        ]));
    }
    out.push(Line::from(""));
    out
}

/// Lines the help holds, for clamping its scroll.
pub fn line_count(keymap: &Keymap) -> usize {
    lines(keymap).len()
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, keymap: &Keymap, scroll: u16) {
    const COLUMN: u16 = 42;
    let r = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    super::clear_for_dialog(frame, r);
    let block = Block::bordered().title(" Help · j/k scroll · any other key closes ");
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if inner.height == 0 {
        return;
    }
    let columns = (inner.width / COLUMN).max(1);
    let all = lines(keymap);
    let mut rest = all.into_iter().skip(scroll as usize).peekable();
    for col in 0..columns {
        if rest.peek().is_none() {
            break;
        }
        let column: Vec<Line<'static>> = rest.by_ref().take(inner.height as usize).collect();
        let x = inner.x + col * COLUMN;
        let rect = Rect::new(
            x,
            inner.y,
            COLUMN.min(inner.right().saturating_sub(x)),
            inner.height,
        );
        frame.render_widget(Paragraph::new(column), rect);
    }
}
