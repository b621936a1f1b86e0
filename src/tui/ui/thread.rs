//! The open thread: who and what it is about, every message, its timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::text::safe_text;
use crate::text::time_fmt::local;
use crate::tui::state::{App, Focus};
use crate::tui::theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(t) = &app.thread else {
        return;
    };
    // In the list, the pane follows the selection: the open thread only while it is the one
    // selected, else what the list knows of the selected one.
    if app.focus == Focus::Inbox
        && let Some(row) = app.selected_row().filter(|r| r.id != t.row.id)
    {
        return draw_selected(frame, area, app, row);
    }
    let tz = app.config.timezone;
    let focused = app.focus == Focus::Thread && app.modal.is_none() && app.prompt.is_none();
    let buyer = t
        .row
        .buyer_name
        .as_deref()
        .or(t.row.buyer_alias.as_deref())
        .unwrap_or("(unknown buyer)");
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut head = vec![Span::styled(
        safe_text::line(buyer).into_owned(),
        theme::title(),
    )];
    if let Some(o) = &t.row.order_id {
        head.push(Span::raw(format!(" · {o}")));
    }
    if let Some(m) = &t.marketplace {
        head.push(Span::styled(format!(" · {m}"), theme::dim()));
    }
    lines.push(Line::from(head));
    let mut facts = Vec::new();
    if !t.asins.is_empty() {
        facts.push(t.asins.join(", "));
    }
    if let Some(o) = &t.order {
        if let Some(p) = &o.product {
            facts.push(safe_text::line(p).into_owned());
        }
        if let Some(d) = o.purchased_at {
            facts.push(format!("bought {}", local(d, tz)));
        }
        if let Some(d) = o.shipped_at {
            facts.push(format!("shipped {}", local(d, tz)));
        }
    }
    if !facts.is_empty() {
        lines.push(Line::styled(facts.join(" · "), theme::dim()));
    }
    if let Some(take) = app.taken_by(t.row.id) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("✎ {} is writing a reply here", safe_text::line(&take.agent)),
                theme::warn(),
            ),
            Span::styled(
                format!(" · since {} · sending asks first", local(take.since, tz)),
                theme::dim(),
            ),
        ]));
    }
    if let Some(until) = t.snoozed_until.filter(|u| *u > app.now) {
        lines.push(Line::from(vec![
            Span::styled("Snoozed ", theme::warn()),
            Span::raw(format!("until {}", local(until, tz))),
            Span::styled(" · the clock keeps running · z wakes it", theme::dim()),
        ]));
    }
    for f in &t.follow_ups {
        let due = if f.due_at <= app.now { " (due)" } else { "" };
        lines.push(Line::from(vec![
            Span::styled("Follow-up: ", theme::warn()),
            Span::raw(format!(
                "{} · {}{due}",
                safe_text::line(&f.describe()),
                local(f.due_at, tz)
            )),
            Span::styled(" · o records the outcome", theme::dim()),
        ]));
    }
    if let Some(c) = &t.category {
        let why = match (&c.reason, c.by_seller) {
            (_, true) => "chosen by you".to_string(),
            (Some(p), false) => format!("matched “{}”", safe_text::line(p)),
            (None, false) => "no phrase matched".to_string(),
        };
        lines.push(Line::from(vec![
            Span::raw("Kind: "),
            Span::styled(c.category.label(), theme::title()),
            Span::styled(format!(" · {why} · c changes"), theme::dim()),
        ]));
    }
    if let Some(o) = &t.order {
        let mut against: Vec<String> = o.defects.clone();
        if o.merchant {
            match (o.latest_ship_at, o.shipped_at) {
                (Some(due), Some(shipped)) if shipped > due => {
                    against.push(format!("shipped late (due {})", local(due, tz)))
                }
                (Some(due), None) if app.now > due => {
                    against.push(format!("not shipped, due {}", local(due, tz)))
                }
                _ => {}
            }
        }
        if !against.is_empty() {
            lines.push(Line::styled(
                format!("⚠ {}", against.join(" · ")),
                theme::bad(),
            ));
        }
    }
    lines.push(clock_line(&t.row, app));
    lines.push(Line::from(
        "─".repeat(area.width.saturating_sub(2) as usize),
    ));
    for m in &t.messages {
        let (arrow, style) = match (m.direction.as_str(), m.role.as_str()) {
            (_, "auto") => ("→ auto-reply (clock still running)", theme::dim()),
            ("out", _) => ("→", theme::outbound()),
            _ => ("←", theme::inbound()),
        };
        let who = m
            .from_name
            .as_deref()
            .or(m.from_addr.as_deref())
            .unwrap_or("(unknown sender)");
        lines.push(Line::from(vec![
            Span::styled(arrow.to_string(), style),
            Span::raw(format!(" {}  ", local(m.sent_at, tz))),
            Span::styled(safe_text::line(who).into_owned(), theme::title()),
        ]));
        use crate::domain::message::flags as f;
        if let Some(e) = t.outbox.iter().find(|e| e.message_id == m.id) {
            let (text, style) = delivery_line(e, app);
            lines.push(Line::styled(text, style));
        } else if m.flags & f::UNDELIVERED != 0 {
            // A reply not sent from here: the bounce on the timeline says why.
            let why = t
                .timeline
                .iter()
                .rev()
                .find(|e| e.kind == "bounced" && e.at >= m.sent_at)
                .map(|e| format!(": {}", safe_text::line(&e.detail)))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!("  ✗ bounced{why} · the clock runs again"),
                theme::bad(),
            ));
        }
        let flags = f::describe(m.flags & (f::PROBLEMS | f::BOUNCE));
        if !flags.is_empty() {
            lines.push(Line::styled(
                format!("  ⚠ {}", flags.join(", ")),
                theme::warn(),
            ));
        }
        // Laid out once and drawn only where visible: a body can be a megabyte.
        pieces.push(Piece::Lines(std::mem::take(&mut lines)));
        pieces.push(Piece::Body(m.id, &m.body));
        for a in &m.attachments {
            lines.push(Line::styled(
                format!("  📎 {}", safe_text::line(a)),
                theme::dim(),
            ));
        }
        lines.push(Line::from(""));
    }
    if let Some(d) = app.thread_draft.as_ref().filter(|_| app.composer.is_none()) {
        lines.push(Line::styled(
            format!(
                "Draft reply · saved {} · r continues it",
                local(d.updated_at, tz)
            ),
            theme::warn(),
        ));
        for text in safe_text::block(&d.body).lines().take(6) {
            lines.push(Line::styled(format!("  {text}"), theme::dim()));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::styled("Timeline", theme::title()));
    for e in &t.timeline {
        // Notes are the seller's words, categorization reasons the buyer's: both shown safely.
        let detail = safe_text::line(&e.detail.replace('_', " ")).into_owned();
        if e.kind == "noted" {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}  note  ", local(e.at, tz)), theme::dim()),
                Span::styled(detail, theme::warn()),
            ]));
            continue;
        }
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        lines.push(Line::styled(
            format!("  {}  {}{}", local(e.at, tz), e.kind, detail),
            theme::dim(),
        ));
    }
    pieces.push(Piece::Lines(lines));
    let block = Block::bordered()
        .title(" Thread ")
        .border_style(if focused {
            theme::focused_border()
        } else {
            theme::border()
        });
    let inner = block.inner(area);
    let (visible, skip) = visible_window(
        &pieces,
        &mut app.body_layouts.borrow_mut(),
        inner.width,
        app.thread_scroll as usize,
        inner.height as usize,
    );
    frame.render_widget(
        Paragraph::new(visible)
            .wrap(Wrap { trim: false })
            .scroll((skip, 0))
            .block(block),
        area,
    );
}

/// The thread as drawn: short lines built each frame, and message bodies laid out once.
enum Piece<'a> {
    Lines(Vec<Line<'static>>),
    /// A message's body, by the message's id.
    Body(i64, &'a str),
}

/// A message body's lines and where each ends, in rows at one width, laid out as far as it
/// has been needed: opening a thread with a megabyte of text lays out one screen of it.
pub struct BodyLayout {
    width: u16,
    /// The length of the body laid out: another body (a purge) starts over.
    body_len: usize,
    lines: Vec<Line<'static>>,
    /// `ends[i]`: rows taken by lines `0..=i`.
    ends: Vec<usize>,
    /// Where in the body the next line starts; `None` once every line is laid out.
    next: Option<usize>,
}

/// Rows one line takes at `width`, wrapped as the paragraph wraps it.
fn rows(line: &Line<'static>, width: u16) -> usize {
    Paragraph::new(line.clone())
        .wrap(Wrap { trim: false })
        .line_count(width)
        .max(1)
}

impl BodyLayout {
    fn new(body: &str, width: u16) -> BodyLayout {
        BodyLayout {
            width,
            body_len: body.len(),
            lines: Vec::new(),
            ends: Vec::new(),
            next: Some(0),
        }
    }

    fn rows(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Lays out lines (as `str::lines` splits them, each made safe to show) until `wanted`
    /// rows are known or the body ends.
    fn extend_to(&mut self, body: &str, wanted: usize) {
        while let Some(at) = self.next {
            if self.rows() >= wanted {
                return;
            }
            let Some(rest) = body.get(at..) else {
                self.next = None;
                return;
            };
            let (text, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], Some(at + i + 1)),
                None => (rest, None),
            };
            if text.is_empty() && next.is_none() {
                self.next = None;
                return;
            }
            let text = text.strip_suffix('\r').unwrap_or(text);
            let line = Line::from(format!("  {}", safe_text::block(text)));
            let total = self.rows() + rows(&line, self.width);
            self.ends.push(total);
            self.lines.push(line);
            self.next = next;
        }
    }
}

/// The lines that show rows `from..from + height`, and how many rows of the first one are
/// above the window. Only bodies not yet laid out at this width are walked whole; the rest is
/// a search in each body's row ends.
fn visible_window(
    pieces: &[Piece<'_>],
    layouts: &mut std::collections::HashMap<i64, BodyLayout>,
    width: u16,
    from: usize,
    height: usize,
) -> (Vec<Line<'static>>, u16) {
    let until = from + height.max(1);
    let mut out = Vec::new();
    let mut skip = 0usize;
    // Rows above the current line.
    let mut y = 0usize;
    let mut take = |line: &Line<'static>, top: usize, out: &mut Vec<Line<'static>>| {
        if out.is_empty() {
            skip = from.saturating_sub(top);
        }
        out.push(line.clone());
    };
    for piece in pieces {
        if y >= until {
            break;
        }
        match piece {
            Piece::Lines(lines) => {
                for line in lines {
                    let h = rows(line, width);
                    if y + h > from && y < until {
                        take(line, y, &mut out);
                    }
                    y += h;
                }
            }
            Piece::Body(id, body) => {
                let layout = layouts
                    .entry(*id)
                    .or_insert_with(|| BodyLayout::new(body, width));
                if layout.width != width || layout.body_len != body.len() {
                    *layout = BodyLayout::new(body, width);
                }
                // Enough of it to fill the window; the rest when scrolled to.
                layout.extend_to(body, until - y);
                let total = layout.rows();
                if y + total > from {
                    // The first line ending below the window's top.
                    let first = layout.ends.partition_point(|&end| y + end <= from);
                    for i in first..layout.lines.len() {
                        let top = y + if i == 0 { 0 } else { layout.ends[i - 1] };
                        if top >= until {
                            break;
                        }
                        take(&layout.lines[i], top, &mut out);
                    }
                }
                y += total;
            }
        }
    }
    (out, skip.min(u16::MAX as usize) as u16)
}

/// Where a reply sent from here stands: delivered, on its way, or needing the seller.
fn delivery_line(e: &crate::store::outbox::Entry, app: &App) -> (String, ratatui::style::Style) {
    use crate::store::outbox::State;
    let tz = app.config.timezone;
    let error = e
        .last_error
        .as_deref()
        .map(|x| safe_text::line(x).into_owned())
        .unwrap_or_default();
    let via = e.transport.as_deref().unwrap_or("outbox");
    match e.state {
        State::Sent => (
            format!(
                "  ✓ delivered {} ({via})",
                e.sent_at.map(|t| local(t, tz)).unwrap_or_default()
            ),
            theme::dim(),
        ),
        State::Queued => ("  … queued for delivery".into(), theme::warn()),
        State::Sending => ("  … sending".into(), theme::warn()),
        State::Failed if e.permanently_failed() => (
            format!("  ✗ not delivered: {error} · the clock runs again · R sends it again"),
            theme::bad(),
        ),
        State::Failed => (
            format!(
                "  ⚠ not delivered yet: {error} · attempt {}, next {} · R tries now",
                e.attempts,
                e.next_attempt_at.map(|t| local(t, tz)).unwrap_or_default()
            ),
            theme::warn(),
        ),
        State::Unknown => (
            format!("  ? delivery unknown: {error} · R sends it again (the buyer may have it)"),
            theme::bad(),
        ),
    }
}

/// `clock: CRITICAL · overdue 31h00m`: the state as the label, the figure as `status` prints it.
fn clock_line(row: &crate::store::inbox::InboxRow, app: &App) -> Line<'static> {
    let (badge, style) = super::inbox::badge(row, app);
    let mut clock = vec![Span::raw("clock: ")];
    match super::inbox::clock_state(row, app) {
        Some((state, _)) => {
            clock.push(Span::styled(format!("{} · ", state.label()), style));
            clock.push(Span::styled(badge, style));
        }
        // Answered, marked or never needing one: say so rather than show a dash.
        None => clock.push(Span::styled("stopped · no reply due", theme::dim())),
    }
    Line::from(clock)
}

/// The selected thread as the list knows it (buyer, order, subject, clock), until it is
/// opened: the pane never shows one thread while another is selected.
fn draw_selected(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    row: &crate::store::inbox::InboxRow,
) {
    let buyer = row
        .buyer_name
        .as_deref()
        .or(row.buyer_alias.as_deref())
        .unwrap_or("(unknown buyer)");
    let mut head = vec![Span::styled(
        safe_text::line(buyer).into_owned(),
        theme::title(),
    )];
    if let Some(o) = &row.order_id {
        head.push(Span::raw(format!(" · {o}")));
    }
    let lines = vec![
        Line::from(head),
        Line::from(safe_text::line(&row.subject).into_owned()),
        clock_line(row, app),
        Line::from(""),
        Line::styled(
            format!(
                "{} message{} · Enter opens it",
                row.message_count,
                if row.message_count == 1 { "" } else { "s" }
            ),
            theme::dim(),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Thread ")
                .border_style(theme::border()),
        ),
        area,
    );
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(lines: Vec<Line<'static>>, skip: u16, w: u16, h: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| {
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((skip, 0)),
                f.area(),
            )
        })
        .unwrap();
        format!("{:?}", t.backend().buffer())
    }

    const TWO: &str = "one\r\n\r\n\x1b[2Jtwo\u{202e}\r\n\n";

    /// Drawing only the window shows exactly what drawing everything scrolled shows, at every
    /// scroll position and width, bodies and short lines mixed.
    #[test]
    fn the_window_shows_what_the_whole_thread_would() {
        let body: String = (0..60)
            .map(|i| format!("line {i} {}\n", "word ".repeat(i % 13)))
            .collect();
        let short = |n: usize| -> Vec<Line<'static>> {
            (0..n)
                .map(|i| Line::from(format!("head {i} ").repeat(i + 1)))
                .collect()
        };
        for width in [12u16, 30, 80] {
            let pieces = vec![
                Piece::Lines(short(3)),
                Piece::Body(1, &body),
                Piece::Lines(short(2)),
                Piece::Body(2, TWO),
                Piece::Lines(short(4)),
            ];
            let mut all: Vec<Line<'static>> = short(3);
            // As the whole body was drawn before: made safe as one block, then split.
            let whole = |b: &str| -> Vec<Line<'static>> {
                safe_text::block(b)
                    .lines()
                    .map(|t| Line::from(format!("  {t}")))
                    .collect()
            };
            all.extend(whole(&body));
            all.extend(short(2));
            all.extend(whole(TWO));
            all.extend(short(4));
            let total: usize = all.iter().map(|l| rows(l, width)).sum();
            let mut layouts = std::collections::HashMap::new();
            for from in (0..total + 3).step_by(3) {
                let (visible, skip) = visible_window(&pieces, &mut layouts, width, from, 7);
                assert_eq!(
                    screen(visible, skip, width, 7),
                    screen(all.clone(), from as u16, width, 7),
                    "width {width}, from {from}"
                );
            }
        }
    }
}
