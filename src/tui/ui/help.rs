//! Every binding with its description, from the keymap, in sections laid out in columns. A
//! section never starts a column without its heading: one that runs over into the next column
//! has its heading again there ("Inbox (cont.)"). With several columns `j`/`k` turn a page of
//! columns, so nothing is shown on two pages; with one they move a line, and the top line is
//! always a heading.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme;

/// The editor's own keys in the composer (ratatui-textarea's), beside the app's bindings there.
const EDITING: &[(&str, &str)] = &[
    ("arrows", "move (Shift selects)"),
    ("Ctrl-A Home", "start of line"),
    ("End", "end of line"),
    ("Alt-F Alt-B", "word forward / back"),
    ("Alt-< Alt->", "top / bottom"),
    ("Ctrl-V Alt-V", "page down / up"),
    ("Ctrl-H Bksp", "delete back"),
    ("Ctrl-D Del", "delete forward"),
    ("Ctrl-W", "delete word back"),
    ("Alt-D", "delete word forward"),
    ("Ctrl-K", "delete to end of line"),
    ("Ctrl-X", "cut selection"),
    ("Ctrl-Y", "paste"),
    ("Ctrl-U", "undo"),
    ("Ctrl-R", "redo"),
];

struct Section {
    heading: &'static str,
    lines: Vec<Line<'static>>,
}

fn entry(keys: &str, what: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {keys:<15}"), theme::key()),
        Span::raw(what.to_string()),
    ])
}

/// Every binding, one line per action, a section per context; then the composer's editing
/// keys and the metrics panel's abbreviations.
fn sections(keymap: &Keymap) -> Vec<Section> {
    let mut out = Vec::new();
    for ctx in Context::ALL {
        // One line per action, all its keys together.
        let mut seen: Vec<(crate::tui::action::Action, Vec<String>)> = Vec::new();
        for b in keymap.all().iter().filter(|b| b.context == ctx) {
            match seen.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => keys.push(b.key.label()),
                None => seen.push((b.action, vec![b.key.label()])),
            }
        }
        out.push(Section {
            heading: ctx.label(),
            lines: seen
                .into_iter()
                .map(|(action, keys)| entry(&keys.join(" "), action.description()))
                .collect(),
        });
    }
    out.push(Section {
        heading: "Editing a reply",
        lines: EDITING.iter().map(|(k, what)| entry(k, what)).collect(),
    });
    out.push(Section {
        heading: "Metrics panel",
        lines: crate::tui::ui::metrics::LEGEND
            .iter()
            .map(|(short, meaning)| entry(short, meaning))
            .collect(),
    });
    out
}

fn heading(text: &str, continued: bool) -> Line<'static> {
    let text = if continued {
        format!("{text} (cont.)")
    } else {
        text.to_string()
    };
    Line::styled(text, theme::title())
}

/// The sections in columns of `height` lines: a section that does not fit goes on in the next
/// column under its heading again; one that would leave only its heading starts a new column.
fn columns(sections: &[Section], height: usize) -> Vec<Vec<Line<'static>>> {
    let height = height.max(2);
    let mut out: Vec<Vec<Line<'static>>> = vec![Vec::new()];
    for s in sections {
        let room = height - out.last().map_or(0, Vec::len).min(height);
        // A heading with fewer than two of its lines under it waits for the next column.
        if room < 2.min(s.lines.len()) + 1 && !out.last().is_some_and(Vec::is_empty) {
            out.push(Vec::new());
        }
        let mut continued = false;
        let mut lines = s.lines.iter();
        loop {
            let column = out.last_mut().expect("one column at least");
            column.push(heading(s.heading, continued));
            for line in lines.by_ref() {
                column.push(line.clone());
                if column.len() == height {
                    break;
                }
            }
            if lines.len() == 0 {
                break;
            }
            out.push(Vec::new());
            continued = true;
        }
        let column = out.last_mut().expect("one column at least");
        if column.len() < height {
            column.push(Line::from(""));
        } else {
            out.push(Vec::new());
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Lines the help holds in one column, for clamping its scroll.
pub fn line_count(keymap: &Keymap) -> usize {
    sections(keymap).iter().map(|s| s.lines.len() + 2).sum()
}

/// The help's columns at `inner` (the area inside its border), from `scroll`.
fn visible(keymap: &Keymap, inner: Rect, column: u16, scroll: u16) -> Vec<Vec<Line<'static>>> {
    let fits = (inner.width / column).max(1) as usize;
    let height = inner.height as usize;
    let all = sections(keymap);
    if fits > 1 {
        // A page of columns at a time: each section's lines are in exactly one column, and
        // no column is on two pages.
        let cols = columns(&all, height);
        let pages = cols.len().div_ceil(fits).max(1);
        let first = (scroll as usize).min(pages - 1) * fits;
        return cols.into_iter().skip(first).take(fits).collect();
    }
    // One column: a line at a time, the top line always a heading.
    let mut flat: Vec<(Line<'static>, Option<&'static str>)> = Vec::new();
    for s in &all {
        flat.push((heading(s.heading, false), None));
        flat.extend(s.lines.iter().map(|l| (l.clone(), Some(s.heading))));
        flat.push((Line::from(""), None));
    }
    let mut first = (scroll as usize).min(flat.len().saturating_sub(height));
    // The blank line between sections never tops the view: the next heading does.
    if flat
        .get(first)
        .is_some_and(|(l, s)| s.is_none() && l.width() == 0)
    {
        first += 1;
    }
    let mut shown: Vec<Line<'static>> = Vec::new();
    if let Some((_, Some(section))) = flat.get(first) {
        shown.push(heading(section, true));
    }
    let take = height.saturating_sub(shown.len());
    shown.extend(flat.into_iter().skip(first).take(take).map(|(l, _)| l));
    vec![shown]
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
    for (i, column) in visible(keymap, inner, COLUMN, scroll)
        .into_iter()
        .enumerate()
    {
        let x = inner.x + i as u16 * COLUMN;
        let rect = Rect::new(
            x,
            inner.y,
            COLUMN.min(inner.right().saturating_sub(x)),
            inner.height,
        );
        frame.render_widget(Paragraph::new(column), rect);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn headings() -> Vec<String> {
        sections(&Keymap::default())
            .iter()
            .map(|s| s.heading.to_string())
            .collect()
    }

    /// Every column starts with a heading, each entry of each section is in exactly one column
    /// (so scrolling a column at a time never shows it twice), and the composer's editing keys
    /// are there, at any height.
    #[test]
    fn each_column_starts_with_a_heading_and_nothing_is_shown_twice() {
        let all = sections(&Keymap::default());
        let total: usize = all.iter().map(|s| s.lines.len()).sum();
        let names = headings();
        for height in [6, 9, 14, 20, 33, 46] {
            let cols = columns(&all, height);
            let mut entries: Vec<(String, String)> = Vec::new();
            for col in &cols {
                assert!(col.len() <= height, "{height}");
                let mut section = text(&col[0]);
                assert!(
                    names
                        .iter()
                        .any(|h| section == *h || section == format!("{h} (cont.)")),
                    "{height}: a column starts with {section:?}"
                );
                for line in col {
                    let t = text(line);
                    if t.starts_with("  ") {
                        entries.push((section.trim_end_matches(" (cont.)").to_string(), t));
                    } else if !t.is_empty() {
                        section = t;
                    }
                }
            }
            assert_eq!(entries.len(), total, "{height}: every entry");
            let mut unique = entries.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), total, "{height}: no entry twice");
        }
        assert!(names.contains(&"Editing a reply".to_string()));
    }

    /// Pages of columns never share a line: what one page shows the next does not.
    #[test]
    fn pages_of_columns_share_nothing() {
        let km = Keymap::default();
        let area = Rect::new(0, 0, 126, 20);
        let page = |n| -> Vec<String> {
            visible(&km, area, 42, n)
                .iter()
                .flatten()
                .map(text)
                .filter(|t| !t.is_empty())
                .collect()
        };
        let (first, second) = (page(0), page(1));
        assert!(!second.is_empty() && first != second);
        let all: usize = columns(&sections(&km), 20).iter().map(Vec::len).sum();
        let mut seen = 0;
        for n in 0..10 {
            let p = visible(&km, area, 42, n);
            if n > 0 && p == visible(&km, area, 42, n - 1) {
                break;
            }
            seen += p.iter().map(Vec::len).sum::<usize>();
        }
        assert_eq!(seen, all, "every line once over the pages");
    }

    /// In one column the top line is always a heading, however far it scrolls.
    #[test]
    fn one_column_keeps_a_heading_on_top() {
        let km = Keymap::default();
        let narrow = Rect::new(0, 0, 40, 12);
        let names = headings();
        for scroll in 0..200 {
            let shown = visible(&km, narrow, 42, scroll);
            let top = text(&shown[0][0]);
            assert!(
                names
                    .iter()
                    .any(|h| top == *h || top == format!("{h} (cont.)")),
                "{scroll}: {top:?}"
            );
            assert!(shown[0].len() <= 12);
        }
    }
}
