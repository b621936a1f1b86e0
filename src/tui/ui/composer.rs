//! The reply being written: recipient and subject on top, unfilled placeholders and the save
//! state on the bottom border.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::domain::compliance::Severity;
use crate::text::safe_text;
use crate::tui::action::Action;
use crate::tui::composer::Composer;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::state::App;
use crate::tui::theme;

fn saved_label(c: &Composer, app: &App) -> String {
    match (c.is_dirty(), c.saved_at) {
        (true, _) => "editing".into(),
        (false, Some(at)) => {
            let s = (app.now - at).num_seconds().max(0);
            match s {
                0..60 => format!("saved {s}s ago"),
                60..3600 => format!("saved {}m ago", s / 60),
                _ => format!("saved {}h ago", s / 3600),
            }
        }
        (false, None) => "new reply".into(),
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, keymap: &Keymap) {
    let Some(c) = &app.composer else {
        return;
    };
    let left = c.unfilled();
    let mut status = vec![Span::raw(" ")];
    let take = keymap.key_for(Context::Composer, Action::TakeSuggestion);
    if let (Some((name, date)), Some(key)) = (c.suggestion(app.now, app.config.timezone), take) {
        // A date placeholder selected: the date it would take, and the key that takes it.
        status.push(Span::styled(format!("{{{{{name}}}}} "), theme::bad()));
        status.push(Span::styled(key, theme::key()));
        status.push(Span::raw(format!(" puts {date}")));
        if left.len() > 1 {
            status.push(Span::styled(
                format!(" · {} more to fill", left.len() - 1),
                theme::bad(),
            ));
        }
    } else if !left.is_empty() {
        status.push(Span::styled(
            format!("✗ {} not filled", left.join(" ")),
            theme::bad(),
        ));
        if let Some(key) = keymap.key_for(Context::Composer, Action::NextPlaceholder) {
            status.push(Span::raw(" · "));
            status.push(Span::styled(key, theme::key()));
            status.push(Span::raw(" selects one, typing replaces it"));
        }
    } else if let Some(blocked) = c.blocker(&app.config) {
        status.push(Span::styled(format!("✗ {blocked}"), theme::bad()));
    } else if let Some((f, others)) = c.headline() {
        let (mark, style) = match f.severity {
            Severity::Error => ("✗", theme::bad()),
            Severity::Warning => ("⚠", theme::warn()),
        };
        let more = if others > 0 {
            format!(" (+{others} more)")
        } else {
            String::new()
        };
        status.push(Span::styled(
            format!(
                "{mark} {}: {}{more}",
                f.kind.key().replace('_', " "),
                f.reason
            ),
            style,
        ));
    } else {
        status.push(Span::styled("✓ ready", theme::good()));
    }
    status.push(Span::raw(format!(" · {} ", saved_label(c, app))));
    let status = Line::from(status);
    let hints = Line::from(vec![
        Span::styled("Ctrl-S", theme::key()),
        Span::raw(" send  "),
        Span::styled("Ctrl-T", theme::key()),
        Span::raw(" template  "),
        Span::styled("Ctrl-E", theme::key()),
        Span::raw(" editor  "),
        Span::styled("Ctrl-O", theme::key()),
        Span::raw(" attach  "),
        Span::styled("Esc", theme::key()),
        Span::raw(" close "),
    ])
    .right_aligned();
    // The hints only where they leave the status whole (the status bar has them too).
    let room = (area.width as usize).saturating_sub(4);
    let with_hints = status.width() + hints.width() <= room;
    let mut block = Block::bordered()
        .border_style(theme::focused_border())
        .title(Line::from(vec![
            Span::styled(" Reply to ", theme::title()),
            Span::raw(safe_text::line(&c.to).into_owned()),
            Span::styled(format!(" · {} ", safe_text::line(&c.subject)), theme::dim()),
        ]))
        .title_bottom(status);
    if with_hints {
        block = block.title_bottom(hints);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if c.attachments.is_empty() || inner.height < 3 {
        frame.render_widget(&c.text, inner);
        return;
    }
    let [files, text] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(1),
    ])
    .areas(inner);
    let names: Vec<String> = c
        .attachments
        .iter()
        .map(|a| safe_text::line(a).into_owned())
        .collect();
    frame.render_widget(
        Line::from(vec![
            Span::styled(format!("📎 {}", names.join(" · ")), theme::warn()),
            Span::styled(
                "  (Ctrl-O, then Enter on nothing, takes the last off)",
                theme::dim(),
            ),
        ]),
        files,
    );
    frame.render_widget(&c.text, text);
}
