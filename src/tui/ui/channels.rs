//! Where a thread is escalated (the case ID and follow-up time are asked next), and why the
//! seller writes first.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::choices::{self, Choices};
use crate::domain::compliance::Reason;
use crate::store::follow_ups::EscalationChannel;

pub fn draw(frame: &mut Frame<'_>, area: Rect, selected: usize, about: Option<String>) {
    choices::draw(
        frame,
        area,
        &Choices {
            title: "Escalate through",
            about,
            entries: EscalationChannel::ALL
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            selected,
            note: None,
            enter: "next",
            width: 44,
        },
    );
}

/// Amazon's permitted reasons for a message the seller starts.
pub fn draw_reasons(frame: &mut Frame<'_>, area: Rect, selected: usize, about: Option<String>) {
    choices::draw(
        frame,
        area,
        &Choices {
            title: "Write first: why",
            about,
            entries: Reason::ALL.iter().map(|r| r.label().to_string()).collect(),
            selected,
            note: Some("Within 30 days of the order; one review request per order."),
            enter: "write",
            width: 64,
        },
    );
}
