//! Drawing: reads `App`, never writes it. One file per thing drawn.

mod alert;
mod channels;
mod choices;
mod composer;
mod dashboard;
pub mod help;
mod inbox;
mod kinds;
pub mod metrics;
mod picker;
mod prompt;
mod status_bar;
mod templates;
pub mod thread;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::keymap::Keymap;
use super::state::{App, Focus, Modal};
use super::theme;

/// Below this the screen says so instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub struct Areas {
    pub header: Rect,
    /// Also where the template manager goes.
    pub inbox: Rect,
    pub thread: Option<Rect>,
    pub composer: Option<Rect>,
    pub panel: Option<Rect>,
    pub status: Rect,
}

pub fn layout(area: Rect, app: &App) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // The dashboard draws the panel's metrics large: it takes the whole width.
    let panel_width = if app.panel_visible(area.width) && app.focus != Focus::Dashboard {
        26
    } else {
        0
    };
    let [main, panel] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(panel_width)]).areas(body);
    let composing = app.composer.is_some() && app.focus == Focus::Composer;
    let (inbox, thread, composer) = if composing {
        // Writing: the thread above the reply, the whole width for both.
        let [t, c] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(main);
        (Rect::new(main.x, main.y, 0, 0), Some(t), Some(c))
    } else if app.thread.is_some() && !matches!(app.focus, Focus::Templates | Focus::Dashboard) {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(main);
        (l, Some(r), None)
    } else {
        (main, None, None)
    };
    Areas {
        header,
        inbox,
        thread,
        composer,
        panel: (panel_width > 0).then_some(panel),
        status,
    }
}

/// Inbox rows that fit: the screen minus the header, the status line and the inbox's border
/// (whatever is open beside the inbox, it always has the full height).
pub fn inbox_rows(area: Rect, _app: &App) -> u64 {
    u64::from(area.height.saturating_sub(4)).max(1)
}

pub fn draw(frame: &mut Frame<'_>, app: &App, keymap: &Keymap) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small ({}x{}): sellerdesk needs {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let areas = layout(area, app);
    frame.render_widget(header(app, areas.header.width), areas.header);
    if app.focus == Focus::Templates {
        templates::draw(frame, areas.inbox, app, keymap);
    } else if app.focus == Focus::Dashboard {
        dashboard::draw(frame, areas.inbox, app);
    } else if areas.inbox.width > 0 {
        inbox::draw(frame, areas.inbox, app);
    }
    if let Some(r) = areas.thread {
        thread::draw(frame, r, app);
    }
    if let Some(r) = areas.composer {
        composer::draw(frame, r, app, keymap);
    }
    if let Some(r) = areas.panel {
        metrics::draw(frame, r, app);
    }
    if app.prompt.is_some() {
        prompt::draw(frame, areas.status, app);
    } else {
        status_bar::draw(frame, areas.status, app, keymap);
    }
    if app.picker.is_some() {
        picker::draw(frame, area, app);
    }
    match &app.modal {
        Some(Modal::Help) => help::draw(frame, area, keymap, app.help_scroll),
        Some(Modal::Alert) => alert::draw(frame, area, app),
        Some(Modal::Confirm(c)) => confirm(frame, area, &c.title, &c.question),
        Some(Modal::Kinds(k)) => {
            let about = match k.thread {
                Some(t) => Some(app.thread_label(t)),
                None if k.picked => Some(app.picked_label()),
                None => None,
            };
            kinds::draw(frame, area, k, about)
        }
        Some(Modal::Channels { thread, selected }) => {
            channels::draw(frame, area, *selected, Some(app.thread_label(*thread)))
        }
        Some(Modal::Reasons { thread, selected }) => {
            channels::draw_reasons(frame, area, *selected, Some(app.thread_label(*thread)))
        }
        None => {}
    }
}

fn header(app: &App, width: u16) -> Paragraph<'static> {
    let c = &app.metrics.counts;
    let mut spans = vec![
        Span::styled(" sellerdesk", theme::title()),
        Span::raw(match app.focus {
            Focus::Templates => " · templates",
            Focus::Dashboard => " · dashboard",
            Focus::Composer => " · reply",
            _ => "",
        }),
        Span::raw(format!(
            " · {} · ",
            crate::text::safe_text::line(&app.config.seller_name)
        )),
    ];
    spans.push(Span::styled(
        format!("{} overdue ({} critical)", c.overdue, c.critical),
        if c.overdue > 0 {
            theme::bad()
        } else {
            theme::dim()
        },
    ));
    spans.push(Span::raw(" · "));
    spans.push(Span::styled(
        format!("{} due soon", c.due_soon),
        if c.due_soon > 0 {
            theme::warn()
        } else {
            theme::dim()
        },
    ));
    let clock = app
        .now
        .with_timezone(&app.config.timezone)
        .format("%H:%M %Z")
        .to_string();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (width as usize).saturating_sub(used + clock.len() + 1);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::raw(clock));
    Paragraph::new(Line::from(spans))
}

/// A box of `width` x `height` centred in `area`, clipped to it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Clears `r` for a dialog drawn over the screen. A wide character (Japanese, an emoji) behind
/// it whose first cell is just left of `r` would cover the dialog's left border: it goes too.
pub fn clear_for_dialog(frame: &mut Frame<'_>, r: Rect) {
    frame.render_widget(Clear, r);
    if r.x == 0 {
        return;
    }
    let buffer = frame.buffer_mut();
    for y in r.top()..r.bottom() {
        let cell = &mut buffer[(r.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

fn confirm(frame: &mut Frame<'_>, area: Rect, title: &str, question: &str) {
    let width: u16 = 72;
    let inner = width.saturating_sub(2).max(1) as usize;
    // Wrapped height of the question, so nothing is cut off.
    let height: usize = question
        .lines()
        .map(|l| {
            unicode_width::UnicodeWidthStr::width(l)
                .div_ceil(inner)
                .max(1)
        })
        .sum();
    let r = centered(area, width, height as u16 + 4);
    clear_for_dialog(frame, r);
    let mut text: Vec<Line<'static>> = question
        .lines()
        .map(|l| Line::from(l.to_string()))
        .collect();
    text.extend([
        Line::from(""),
        Line::from(vec![
            Span::styled("Enter/y", theme::key()),
            Span::raw(" yes   "),
            Span::styled("Esc/n", theme::key()),
            Span::raw(" no"),
        ]),
    ]);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(ratatui::widgets::Block::bordered().title(format!(" {title} "))),
        r,
    );
}
