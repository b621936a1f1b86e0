//! Choosing a complaint kind: for the open thread, or to show only one kind in the inbox.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::choices::{self, Choices};
use crate::tui::state::KindChoice;

pub fn draw(frame: &mut Frame<'_>, area: Rect, choice: &KindChoice, about: Option<String>) {
    let entries = choice
        .entries()
        .iter()
        .map(|e| match e {
            Some(c) => format!("{:<10} {}", c.short(), c.label()),
            None => "all kinds".to_string(),
        })
        .collect();
    let title = if choice.thread.is_some() {
        "Complaint kind of this thread"
    } else if choice.picked {
        "Complaint kind of the picked threads"
    } else {
        "Show only one kind"
    };
    choices::draw(
        frame,
        area,
        &Choices {
            title,
            about,
            entries,
            selected: choice.selected,
            note: None,
            enter: "choose",
            width: 44,
        },
    );
}
