//! Everything the seller can ask of the app. Keys resolve to these by data (keymap.rs); state
//! code only ever sees an `Action`, never a key code.

/// Names (`page_down`) and the list of every action come from the enum itself (strum): a new
/// action cannot be left out of either.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
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
    /// Cycle the inbox filter: needs reply, overdue, all, done, snoozed.
    CycleFilter,
    /// Show or hide the metrics panel.
    TogglePanel,
    /// Mark the thread "no response needed" (asks first).
    MarkNoResponse,
    /// Undo the last mark on the thread.
    UndoMark,
    /// Choose the thread's complaint kind.
    SetCategory,
    /// Show only threads of one complaint kind (or all again).
    FilterCategory,
    /// Add a private note to the thread's timeline (never sent).
    AddNote,
    /// Escalate the thread: channel, case ID, follow-up time (default 48 h).
    Escalate,
    /// Set a reminder to check back on the thread (default in 3 days).
    CheckBack,
    /// Record the outcome of the thread's open escalation or reminder, closing it.
    FollowUpOutcome,
    /// Hide the thread from the lists for a while (its clock keeps running), or wake it.
    Snooze,
    /// Start a message to the buyer about the thread's order (a permitted reason first).
    WriteFirst,
    /// Send the thread's failed or unknown replies again (asks first).
    RetryDelivery,
    /// Mark the feedback on the thread's order removed by Amazon, or count it again (asks
    /// first): removed feedback stops counting in the ODR and the feedback rating.
    FeedbackRemoved,
    /// Save the thread's inbound attachments to a folder.
    SaveAttachments,
    /// Attach a file to the reply (≤ 10 MB), or take the last one off.
    AttachFile,
    /// Scroll the thread down.
    ScrollDown,
    /// Scroll the thread up.
    ScrollUp,
    /// Search threads by buyer, order ID, ASIN, subject and body.
    Search,
    /// Write a reply on the thread (continues its draft).
    Reply,
    /// Pick a template to insert at the cursor.
    InsertTemplate,
    /// Send the reply (asks first; blocked while a placeholder is unfilled).
    Send,
    /// Edit the reply or template in $VISUAL/$EDITOR.
    ExternalEditor,
    /// Open the template manager.
    ManageTemplates,
    /// Open the dashboard of 90-day metric trends.
    OpenDashboard,
    /// Create a template (in the editor).
    NewTemplate,
    /// Edit the selected template (in the editor).
    EditTemplate,
    /// Rename the selected template.
    RenameTemplate,
    /// Duplicate the selected template.
    DuplicateTemplate,
    /// Delete the selected template (asks first).
    DeleteTemplate,
    /// Write the thread out as evidence (a claim, a case) into a new file.
    ExportThread,
    /// In the composer: select the next placeholder left (typing replaces it); a tab when
    /// none is left.
    NextPlaceholder,
    /// In the composer: select the placeholder before.
    PrevPlaceholder,
    /// In the composer: put the suggested date in place of the selected date placeholder.
    TakeSuggestion,
    /// Pick the selected thread (or put it back) for one action on several.
    Pick,
    /// Pick every thread on screen (or put them all back).
    PickVisible,
    /// Clear what a prompt holds (its default included).
    ClearPrompt,
    /// Show every key binding.
    Help,
    /// Confirm: answer yes, insert the template, apply the search.
    Confirm,
    /// Quit sellerdesk.
    Quit,
}

impl Action {
    /// Every action, in the order they are declared above.
    pub fn all() -> impl Iterator<Item = Action> {
        <Action as strum::IntoEnumIterator>::iter()
    }

    /// The name used in the config's `[keys.*]` tables.
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        name.parse().ok()
    }

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
            Action::SetCategory => "kind",
            Action::FilterCategory => "only one kind",
            Action::AddNote => "note",
            Action::Escalate => "escalate",
            Action::CheckBack => "check back later",
            Action::FollowUpOutcome => "follow-up outcome",
            Action::Snooze => "snooze",
            Action::WriteFirst => "write first",
            Action::RetryDelivery => "send again",
            Action::FeedbackRemoved => "feedback removed",
            Action::SaveAttachments => "save attachments",
            Action::AttachFile => "attach a file",
            Action::ScrollDown => "scroll down",
            Action::ScrollUp => "scroll up",
            Action::Search => "search",
            Action::Reply => "reply",
            Action::InsertTemplate => "template",
            Action::Send => "send",
            Action::ExternalEditor => "open in $EDITOR",
            Action::ManageTemplates => "templates",
            Action::OpenDashboard => "dashboard",
            Action::NewTemplate => "new",
            Action::EditTemplate => "edit",
            Action::RenameTemplate => "rename",
            Action::DuplicateTemplate => "duplicate",
            Action::DeleteTemplate => "delete",
            Action::ExportThread => "export as evidence",
            Action::NextPlaceholder => "next placeholder",
            Action::PrevPlaceholder => "previous placeholder",
            Action::TakeSuggestion => "take the suggested date",
            Action::Pick => "pick (act on several)",
            Action::PickVisible => "pick all on screen",
            Action::ClearPrompt => "clear",
            Action::Help => "help",
            Action::Confirm => "confirm",
            Action::Quit => "quit",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_name_that_reads_back() {
        for a in Action::all() {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name("page_down"), Some(Action::PageDown));
        assert_eq!(Action::from_name("nope"), None);
    }
}
