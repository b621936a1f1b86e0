//! Everything the seller can ask of the app. Keys resolve to these by data (keymap.rs); state
//! code only ever sees an `Action`, never a key code.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Move the selection down one row.
    Down,
    /// Move the selection up one row.
    Up,
    /// Jump to the first row.
    Top,
    /// Jump to the last row.
    Bottom,
    /// Move down one page.
    PageDown,
    /// Move up one page.
    PageUp,
    /// Open the selected thread.
    Open,
    /// Close the open thread, modal or filter.
    Back,
    /// Switch focus between the inbox and the thread.
    NextPane,
    /// Cycle the inbox filter: needs reply, overdue, all, done.
    CycleFilter,
    /// Show or hide the metrics panel.
    TogglePanel,
    /// Mark the thread "no response needed" (asks first).
    MarkNoResponse,
    /// Undo the last mark on the thread.
    UndoMark,
    /// Scroll the thread down.
    ScrollDown,
    /// Scroll the thread up.
    ScrollUp,
    /// Show every key binding.
    Help,
    /// Confirm the question asked.
    Confirm,
    /// Quit sellerdesk.
    Quit,
}

impl Action {
    /// The line shown in help and, shortened, in the status bar.
    pub fn description(self) -> &'static str {
        match self {
            Action::Down => "move down",
            Action::Up => "move up",
            Action::Top => "first thread",
            Action::Bottom => "last thread",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Open => "open thread",
            Action::Back => "back",
            Action::NextPane => "switch pane",
            Action::CycleFilter => "filter",
            Action::TogglePanel => "metrics panel",
            Action::MarkNoResponse => "no reply needed",
            Action::UndoMark => "undo mark",
            Action::ScrollDown => "scroll down",
            Action::ScrollUp => "scroll up",
            Action::Help => "help",
            Action::Confirm => "confirm",
            Action::Quit => "quit",
        }
    }
}
