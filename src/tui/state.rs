//! The app's state and its one mutation point, `App::update`. Pure: no IO, no terminal, `now`
//! passed in. What needs the store (or the terminal) comes back as an `Effect` for the loop,
//! whose executor (`tui::effects`) returns what it did as an `Outcome`, a `Msg` `update`
//! applies (`outcome.rs`). The lines the seller reads about it are said in `notices.rs` and
//! `send_dialog.rs`.
//!
//! Typed text never becomes an `Action`: keys a text context does not bind are handed to the
//! focused text field as they are (`Msg::Typed`), so state code never matches a key code.

mod notices;
mod outcome;
mod picks;
mod send_dialog;

pub use outcome::{
    AttachmentCheck, Failure, Loaded, ManyDone, Outcome, Page, ReplyStart, SendCheck,
    TemplateChange,
};

use chrono::{DateTime, Utc};
use ratatui_textarea::{Input, TextArea};

use super::action::Action;
use super::composer::Composer;
use super::keymap::Context;
use super::picker::{self, Picker};
use crate::config::Config;
use crate::domain::category::Category;
use crate::domain::response::LateResponseRate;
use crate::domain::template::{ReplyContext, fill};
use crate::store::drafts::Draft;
use crate::store::follow_ups::{EscalationChannel, FollowUp};
use crate::store::inbox::{Filter, InboxRow};
use crate::store::templates::TemplateRow;
use crate::store::thread::ThreadDetail;
use crate::store::urgency::ClockCounts;
use crate::text::time_fmt::parse_when;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Inbox,
    Thread,
    /// Writing a reply on the open thread.
    Composer,
    /// The template manager screen.
    Templates,
    /// The dashboard of 90-day metric trends.
    Dashboard,
}

/// A question waiting for Enter/y or Esc/n, carrying what to do on yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub question: String,
    pub on_yes: Effect,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    Help,
    /// The startup alert: what is due, most urgent first.
    Alert,
    Confirm(Confirm),
    /// Choosing a complaint kind: for a thread, or to filter the inbox.
    Kinds(KindChoice),
    /// Choosing where a thread is escalated.
    Channels {
        thread: i64,
        selected: usize,
    },
    /// Choosing why the seller writes first.
    Reasons {
        thread: i64,
        selected: usize,
    },
}

/// The list of complaint kinds, and what choosing one does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindChoice {
    /// `Some(thread)`: set its kind; `None`: filter the inbox (the list starts with "all").
    pub thread: Option<i64>,
    /// Set the kind of the picked threads (`thread` is `None`).
    pub picked: bool,
    pub selected: usize,
}

impl KindChoice {
    /// The entries: `None` is "all kinds" (filtering only).
    pub fn entries(&self) -> Vec<Option<Category>> {
        let all = (self.thread.is_none() && !self.picked).then_some(None);
        all.into_iter()
            .chain(Category::ALL.into_iter().map(Some))
            .collect()
    }
}

/// What a one-line prompt is asking for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptPurpose {
    Search,
    RenameTemplate(i64),
    /// A private note on this thread.
    Note(i64),
    /// The case ID of an escalation through `channel`.
    CaseId(i64, EscalationChannel),
    /// When to follow an escalation up.
    FollowUpAt {
        thread: i64,
        channel: EscalationChannel,
    },
    /// When to check back on a thread.
    CheckBackAt(i64),
    /// The outcome of a thread's open follow-up.
    Outcome(i64),
    /// How long to snooze a thread (empty: wake it).
    SnoozeFor(i64),
    /// A file to attach to the thread's reply (empty: take the last one off).
    Attach(i64),
    /// The folder to save the thread's attachments in.
    SaveAttachmentsTo(i64),
    /// The new file the thread is exported into, as evidence.
    ExportTo(i64),
    /// How long to snooze the picked threads.
    SnoozePicked,
}

pub struct Prompt {
    pub purpose: PromptPurpose,
    pub input: TextArea<'static>,
    /// Still the default it opened with: the first typed character replaces it.
    pub fresh: bool,
    /// Why the last answer could not be read; shown in the prompt until the text changes.
    pub problem: Option<String>,
}

fn one_line(text: &str) -> TextArea<'static> {
    let mut input = TextArea::new(vec![text.to_string()]);
    input.set_cursor_line_style(ratatui::style::Style::default());
    input.move_cursor(ratatui_textarea::CursorMove::End);
    input
}

impl PromptPurpose {
    /// The thread the answer acts on, if any.
    pub fn thread(&self) -> Option<i64> {
        match *self {
            PromptPurpose::Search
            | PromptPurpose::RenameTemplate(_)
            | PromptPurpose::SnoozePicked => None,
            PromptPurpose::Note(t)
            | PromptPurpose::CaseId(t, _)
            | PromptPurpose::FollowUpAt { thread: t, .. }
            | PromptPurpose::CheckBackAt(t)
            | PromptPurpose::Outcome(t)
            | PromptPurpose::SnoozeFor(t)
            | PromptPurpose::Attach(t)
            | PromptPurpose::SaveAttachmentsTo(t)
            | PromptPurpose::ExportTo(t) => Some(t),
        }
    }
}

impl Prompt {
    fn new(purpose: PromptPurpose, text: &str) -> Prompt {
        Prompt {
            purpose,
            input: one_line(text),
            fresh: !text.is_empty(),
            problem: None,
        }
    }

    /// Opened again on what the seller typed, saying why it could not be read.
    fn again(purpose: PromptPurpose, text: &str, problem: String) -> Prompt {
        Prompt {
            purpose,
            input: one_line(text),
            fresh: false,
            problem: Some(problem),
        }
    }

    fn clear(&mut self) {
        self.input = one_line("");
        self.fresh = false;
        self.problem = None;
    }

    pub fn text(&self) -> String {
        self.input.lines().concat()
    }

    pub fn label(&self) -> &'static str {
        match self.purpose {
            PromptPurpose::Search => "Search buyer, order ID, ASIN, subject, text",
            PromptPurpose::RenameTemplate(_) => "New name",
            PromptPurpose::Note(_) => "Note (private, never sent)",
            PromptPurpose::CaseId(..) => "Case ID (optional)",
            PromptPurpose::FollowUpAt { .. } => "Follow up in (e.g. 48h, 3d) or at",
            PromptPurpose::CheckBackAt(_) => "Check back in (e.g. 3d, 12h) or at",
            PromptPurpose::Outcome(_) => "Outcome",
            PromptPurpose::SnoozeFor(_) => "Snooze for (e.g. 4h, 1d; empty wakes it)",
            PromptPurpose::Attach(_) => "Attach file, ≤ 10 MB (path; empty takes the last off)",
            PromptPurpose::SaveAttachmentsTo(_) => "Save the thread's attachments to folder",
            PromptPurpose::ExportTo(_) => "Export as evidence to (a new .md or .txt file)",
            PromptPurpose::SnoozePicked => "Snooze the picked threads for (e.g. 4h, 1d)",
        }
    }
}

/// What `App::update` takes: everything that changes the app.
#[derive(Debug)]
pub enum Msg {
    /// A bound key's action.
    Action(Action),
    /// A key its context does not bind, typed into the focused text field.
    Typed(Input),
    /// What an effect did.
    Done(Outcome),
    /// The app opened: the startup alert shows if anything is due.
    Opened,
    /// The terminal's size changed: this many inbox rows fit.
    Resized(u64),
    /// A loop turn went by: the composer's text is saved if a pause made it due.
    Pause,
    /// Closing: the composer's unsaved text is saved, whatever the timing.
    Closing,
}

impl From<Action> for Msg {
    fn from(action: Action) -> Msg {
        Msg::Action(action)
    }
}

impl From<Outcome> for Msg {
    fn from(outcome: Outcome) -> Msg {
        Msg::Done(outcome)
    }
}

/// Work for the loop: everything that touches the store, the outbox or the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Reload the inbox list around the selection (navigation, filter, search).
    Page,
    /// Reload the inbox page, counts, the open thread.
    Reload,
    OpenThread(i64),
    MarkNoResponse(i64),
    UndoMark(i64),
    /// Mark the feedback on an order removed (or count it again when it is marked).
    ToggleFeedbackRemoved(String),
    /// Open the composer on the thread, with its draft.
    OpenComposer(i64),
    SaveDraft {
        thread: i64,
        body: String,
    },
    /// Check the reply against the thread and ask for confirmation.
    PrepareSend {
        thread: i64,
        body: String,
    },
    Send {
        thread: i64,
        body: String,
        /// Rule errors the seller chose to send despite (recorded on the timeline).
        overridden: Vec<crate::domain::compliance::Kind>,
    },
    /// Hand the reply to $EDITOR (the terminal is handed over and restored).
    EditReply {
        thread: i64,
        body: String,
    },
    LoadTemplates,
    /// The templates, and what the placeholders become on this thread.
    ManageTemplates(Option<i64>),
    /// Edit a template (`None`: a new one) in $EDITOR, starting from `text` if given.
    EditTemplate {
        id: Option<i64>,
        text: Option<String>,
    },
    RenameTemplate {
        id: i64,
        name: String,
    },
    DuplicateTemplate(i64),
    DeleteTemplate(i64),
    SetCategory {
        thread: i64,
        category: Category,
    },
    AddNote {
        thread: i64,
        text: String,
    },
    Escalate {
        thread: i64,
        channel: EscalationChannel,
        case_id: String,
        follow_up_at: DateTime<Utc>,
    },
    CheckBack {
        thread: i64,
        due_at: DateTime<Utc>,
    },
    CloseFollowUp {
        thread: i64,
        outcome: String,
    },
    /// Hide the thread until then; `None` shows it again.
    Snooze {
        thread: i64,
        until: Option<DateTime<Utc>>,
    },
    /// Queue the thread's failed replies again, and its unknown ones too when the seller
    /// accepted that the buyer may get them twice.
    RetryDelivery {
        thread: i64,
        even_if_unknown: bool,
    },
    /// Attach a file to the thread's reply; `None` takes the last one off.
    Attach {
        thread: i64,
        path: Option<String>,
    },
    /// Write the thread's inbound attachments into a folder.
    SaveAttachments {
        thread: i64,
        dir: String,
    },
    /// Mark every thread "no response needed".
    MarkMany(Vec<i64>),
    /// Set the complaint kind of every thread.
    SetCategoryMany {
        threads: Vec<i64>,
        category: Category,
    },
    /// Snooze every thread until then.
    SnoozeMany {
        threads: Vec<i64>,
        until: DateTime<Utc>,
    },
    /// Write the thread out as evidence into a new file (`.txt`: plain text, else Markdown).
    ExportThread {
        thread: i64,
        path: String,
    },
    /// Open the composer for a message the seller starts on the thread's order.
    WriteFirst {
        thread: i64,
        reason: crate::domain::compliance::Reason,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelMetrics {
    pub counts: ClockCounts,
    /// 7, 30 and 90 days.
    pub late: Vec<LateResponseRate>,
    /// Late responses per day, the last 14 days, oldest first.
    pub late_per_day: Vec<u64>,
    /// ODR, LSR, ... once the worker has computed them.
    pub account: Option<crate::domain::metrics::AccountMetrics>,
    /// Each account metric's daily rate over the last 90 days, oldest first.
    pub trends: Vec<(&'static str, crate::metrics::Trend)>,
    /// The first ASINs with repeated complaints of one kind (`[recurring]`), from the worker.
    pub recurring: Vec<crate::store::recurring::RecurringIssue>,
    /// How many such ASINs there are.
    pub recurring_total: usize,
    /// Escalations and reminders due, oldest first.
    pub follow_ups: Vec<FollowUp>,
    /// Replies waiting for delivery, and those that need the seller (failed, unknown).
    pub outbox: crate::store::outbox::OutboxCounts,
    /// Buyer data is past Amazon's 30 days: a purge is due.
    pub purge_due: bool,
}

/// The thread the template manager shows placeholder values for.
#[derive(Clone, Debug)]
pub struct TemplateThread {
    /// `Karin Schulz · 302-5518236-4471920`, terminal-safe.
    pub label: String,
    pub context: ReplyContext,
}

pub struct App {
    pub now: DateTime<Utc>,
    pub config: Config,
    pub filter: Filter,
    /// Only threads of this complaint kind, when set.
    pub kind: Option<Category>,
    /// The applied search, if any: the inbox shows its matches.
    pub search: Option<String>,
    /// Rows in the filtered inbox.
    pub total: u64,
    /// The list `total` was counted for: moving within it needs no new count.
    pub total_of: Option<ListKey>,
    /// Index of `rows[0]` in the filtered inbox: only the visible window is loaded.
    pub offset: u64,
    pub rows: Vec<InboxRow>,
    pub selected: u64,
    /// Inbox rows that fit on screen (set by the view on each draw).
    pub page_height: u64,
    pub focus: Focus,
    pub thread: Option<ThreadDetail>,
    /// The open thread's saved draft, shown under it.
    pub thread_draft: Option<Draft>,
    /// Rows of the open thread scrolled past.
    pub thread_scroll: u32,
    /// The open thread's message bodies laid out for drawing (see `ui::thread`), kept while
    /// it is open: a long body is wrapped once, not at every frame.
    pub body_layouts:
        std::cell::RefCell<std::collections::HashMap<i64, crate::tui::ui::thread::BodyLayout>>,
    pub composer: Option<Composer>,
    pub picker: Option<Picker>,
    pub prompt: Option<Prompt>,
    pub modal: Option<Modal>,
    pub help_scroll: u16,
    /// Lines of the startup alert scrolled past (a long one scrolls).
    pub alert_scroll: u16,
    pub templates: Vec<TemplateRow>,
    pub template_selected: usize,
    /// Where Esc leaves the template manager and the dashboard for.
    pub templates_from: Focus,
    /// The thread the template manager was opened on: its preview shows what each
    /// placeholder becomes there.
    pub template_thread: Option<TemplateThread>,
    /// The dashboard's first row of charts shown.
    pub dashboard_scroll: u16,
    pub metrics: PanelMetrics,
    /// Urgent threads for the startup alert, most urgent first.
    pub alert_rows: Vec<InboxRow>,
    /// `None`: shown when the terminal is wide enough.
    pub panel: Option<bool>,
    pub notice: Option<String>,
    /// Counts each time a reply or mark changed what the response rates count: the loop
    /// recomputes them when it moves.
    pub rates_asked: u64,
    /// The seller has pressed a key: the startup alert no longer opens by itself.
    pub started: bool,
    /// The thread last marked here: `u` undoes that mark even after the thread left the view.
    pub last_marked: Option<i64>,
    /// The case ID typed while escalating, until the follow-up time is given.
    pub pending_case_id: String,
    /// The search applied when the search prompt opened (Esc goes back to it).
    pub search_before: Option<Option<String>>,
    /// Counts replies queued or re-queued: the loop wakes the sender when it moves.
    pub replies_queued: u64,
    /// This app as other processes on the database know it (`host:pid`).
    pub instance: String,
    /// Threads picked in the list (`Space`, `*`) for one action on all of them.
    pub picked: std::collections::BTreeSet<i64>,
    /// Threads other apps on this database have a composer open on.
    pub takes: Vec<crate::store::takes::Take>,
    pub quit: bool,
}

/// Width from which the metrics panel shows by itself.
pub const PANEL_MIN_WIDTH: u16 = 110;

/// Which list the inbox shows: its filter, kind and search.
pub type ListKey = (Filter, Option<Category>, Option<String>);

impl App {
    /// The list on screen now.
    pub fn list_key(&self) -> ListKey {
        (self.filter, self.kind, self.search.clone())
    }

    pub fn new(config: Config, now: DateTime<Utc>) -> App {
        App {
            now,
            config,
            filter: Filter::default(),
            kind: None,
            search: None,
            total: 0,
            total_of: None,
            offset: 0,
            rows: Vec::new(),
            selected: 0,
            page_height: 20,
            focus: Focus::Inbox,
            thread: None,
            thread_draft: None,
            thread_scroll: 0,
            body_layouts: Default::default(),
            composer: None,
            picker: None,
            prompt: None,
            modal: None,
            help_scroll: 0,
            alert_scroll: 0,
            templates: Vec::new(),
            template_selected: 0,
            templates_from: Focus::Inbox,
            template_thread: None,
            dashboard_scroll: 0,
            metrics: PanelMetrics::default(),
            alert_rows: Vec::new(),
            panel: None,
            notice: None,
            rates_asked: 0,
            started: false,
            last_marked: None,
            pending_case_id: String::new(),
            search_before: None,
            instance: crate::store::instance::name(),
            takes: Vec::new(),
            picked: Default::default(),
            replies_queued: 0,
            quit: false,
        }
    }

    pub fn context(&self) -> Context {
        if self.modal.is_some() {
            Context::Modal
        } else if self.picker.is_some() {
            Context::Picker
        } else if self.prompt.is_some() {
            Context::Prompt
        } else {
            match self.focus {
                Focus::Inbox => Context::Inbox,
                Focus::Thread => Context::Thread,
                Focus::Composer => Context::Composer,
                Focus::Templates => Context::Templates,
                Focus::Dashboard => Context::Dashboard,
            }
        }
    }

    pub fn selected_row(&self) -> Option<&InboxRow> {
        self.selected
            .checked_sub(self.offset)
            .and_then(|i| self.rows.get(i as usize))
    }

    /// The thread an action applies to: the open one, else the selected row.
    fn target_thread(&self) -> Option<i64> {
        match (self.focus, &self.thread) {
            (Focus::Thread | Focus::Composer, Some(t)) => Some(t.row.id),
            _ => self.selected_row().map(|r| r.id),
        }
    }

    pub fn panel_visible(&self, width: u16) -> bool {
        self.panel.unwrap_or(width >= PANEL_MIN_WIDTH)
    }

    /// Shows the startup alert when anything is due soon or worse, or an account metric is
    /// at risk or off target.
    fn open_startup_alert(&mut self) {
        let c = &self.metrics.counts;
        let troubled = self
            .metrics
            .account
            .as_ref()
            .is_some_and(|a| !a.troubled().is_empty());
        let o = &self.metrics.outbox;
        let outbox = o.failed + o.unknown + o.retrying > 0 || self.metrics.purge_due;
        if c.overdue + c.due_soon > 0 || troubled || !self.metrics.follow_ups.is_empty() || outbox {
            self.modal = Some(Modal::Alert);
            self.alert_scroll = 0;
        }
    }

    /// "Bob Wilson · order 111-4827163-0028371": the thread a dialog or prompt acts on, as
    /// the seller knows it (buyer, order), from what is loaded.
    pub fn thread_label(&self, id: i64) -> String {
        let Some(row) = self.row_of(id) else {
            return format!("thread {id}");
        };
        let buyer = row
            .buyer_name
            .as_deref()
            .or(row.buyer_alias.as_deref())
            .unwrap_or("unknown buyer");
        match &row.order_id {
            Some(order) => format!("{buyer} · order {order}"),
            None => format!("{buyer} · no order"),
        }
    }

    /// Thread `id`'s row as loaded: the open thread's, the list's, or the alert's.
    fn row_of(&self, id: i64) -> Option<&InboxRow> {
        self.thread
            .as_ref()
            .map(|t| &t.row)
            .filter(|r| r.id == id)
            .or_else(|| self.rows.iter().find(|r| r.id == id))
            .or_else(|| self.alert_rows.iter().find(|r| r.id == id))
    }

    /// A confirmation about `thread`: the question names it first.
    fn confirm_on(&mut self, thread: i64, title: &str, question: &str, on_yes: Effect) {
        self.modal = Some(Modal::Confirm(Confirm {
            title: title.into(),
            question: format!("{}\n\n{question}", self.thread_label(thread)),
            on_yes,
        }));
    }

    /// Who else is writing a reply on `thread`, if anyone.
    pub fn taken_by(&self, thread: i64) -> Option<&crate::store::takes::Take> {
        self.takes.iter().find(|t| t.thread_id == thread)
    }

    /// The thread this app holds: its composer's.
    pub fn holding(&self) -> Option<i64> {
        self.composer.as_ref().map(|c| c.thread_id)
    }

    /// True when the loaded window no longer covers the selection.
    pub fn needs_page(&self) -> bool {
        self.search.is_none()
            && self.total > 0
            && (self.selected < self.offset
                || self.selected >= self.offset + self.rows.len() as u64)
    }

    pub fn selected_template(&self) -> Option<&TemplateRow> {
        self.templates.get(self.template_selected)
    }

    /// The picker's rows for its current query.
    pub fn picker_rows(&self) -> Vec<&TemplateRow> {
        match &self.picker {
            Some(p) => {
                let rows = picker::filtered(&self.templates, &p.query_text());
                match &self.composer {
                    Some(c) => crate::domain::template_fit::Thread {
                        kind: c.kind.as_deref(),
                        buyer_phrases: &c.buyer_phrases,
                        language: c.language,
                        context: &c.context,
                        now: self.now,
                        tz: self.config.timezone,
                    }
                    .rank(rows, |r| &r.template),
                    None => rows,
                }
            }
            None => Vec::new(),
        }
    }

    fn move_to(&mut self, index: i64) -> Option<Effect> {
        let last = self.total.saturating_sub(1) as i64;
        self.selected = index.clamp(0, last.max(0)) as u64;
        self.needs_page().then_some(Effect::Page)
    }

    fn move_template(&mut self, index: i64) {
        let last = self.templates.len().saturating_sub(1) as i64;
        self.template_selected = index.clamp(0, last.max(0)) as usize;
    }

    /// A save of the composer's text, if it has unsaved changes that are due.
    fn autosave(&mut self, now: DateTime<Utc>) -> Option<Effect> {
        let c = self.composer.as_mut()?;
        if !c.autosave_due(now) {
            return None;
        }
        c.unsaved_since = None;
        Some(Effect::SaveDraft {
            thread: c.thread_id,
            body: c.body(),
        })
    }

    /// The composer's unsaved text, whatever the timing (closing, quitting, the editor).
    fn flush_draft(&mut self) -> Option<Effect> {
        let c = self.composer.as_mut()?;
        if !c.is_dirty() {
            return None;
        }
        c.unsaved_since = None;
        Some(Effect::SaveDraft {
            thread: c.thread_id,
            body: c.body(),
        })
    }

    /// A key the context does not bind, typed into its text field. The search runs as it is
    /// typed, from the third character.
    fn type_text(&mut self, input: Input, now: DateTime<Utc>) -> Option<Effect> {
        self.now = now;
        // A control character or bidi override never becomes text: on screen it would be a
        // terminal command or reorder what is shown.
        if matches!(input.key, ratatui_textarea::Key::Char(c)
            if crate::text::safe_text::editable(c.encode_utf8(&mut [0; 4])).is_empty())
        {
            return None;
        }
        if let Some(p) = &mut self.picker {
            if p.query.input(input) {
                p.selected = 0;
            }
        } else if let Some(p) = &mut self.prompt {
            // A default is a suggestion: typing a character starts afresh; moving keeps it.
            if std::mem::take(&mut p.fresh) && matches!(input.key, ratatui_textarea::Key::Char(_)) {
                p.clear();
            }
            // One line: a newline never gets in (Enter is bound to confirm).
            let changed = p.input.input(input);
            if changed {
                p.problem = None;
            }
            if changed && p.purpose == PromptPurpose::Search {
                let text = p.text().trim().to_string();
                let live = (text.chars().count() >= 3).then_some(text);
                if live != self.search {
                    self.search = live;
                    self.selected = 0;
                    self.offset = 0;
                    self.rows.clear();
                    return Some(Effect::Page);
                }
            }
        } else if self.focus == Focus::Composer
            && let Some(c) = &mut self.composer
            && c.text.input(input)
        {
            c.edited(now);
        }
        None
    }

    /// The one mutation point: applies `msg`, and says what the loop should do next.
    pub fn update(&mut self, msg: impl Into<Msg>, now: DateTime<Utc>) -> Option<Effect> {
        match msg.into() {
            Msg::Action(action) => self.act(action, now),
            Msg::Typed(input) => self.type_text(input, now),
            Msg::Done(outcome) => {
                self.now = now;
                self.apply(outcome, now)
            }
            Msg::Opened => {
                self.open_startup_alert();
                None
            }
            Msg::Resized(rows) => {
                self.page_height = rows;
                self.needs_page().then_some(Effect::Page)
            }
            Msg::Pause => self.autosave(now),
            Msg::Closing => self.flush_draft(),
        }
    }

    fn act(&mut self, action: Action, now: DateTime<Utc>) -> Option<Effect> {
        self.now = now;
        self.notice = None;
        self.started = true;
        if action == Action::Quit {
            self.quit = true;
            return None;
        }
        if let Some(modal) = self.modal.clone() {
            return self.update_modal(modal, action);
        }
        if self.picker.is_some() {
            return self.update_picker(action, now);
        }
        if let Some(prompt) = &self.prompt {
            let purpose = prompt.purpose;
            return self.update_prompt(purpose, action);
        }
        match self.focus {
            Focus::Composer => self.update_composer(action),
            Focus::Templates => self.update_templates(action),
            Focus::Dashboard => {
                match action {
                    Action::Back => self.focus = self.templates_from,
                    Action::Help => self.open_help(),
                    // A row of charts at a time (the view clamps it).
                    Action::ScrollDown => {
                        self.dashboard_scroll = self.dashboard_scroll.saturating_add(1).min(16)
                    }
                    Action::ScrollUp => {
                        self.dashboard_scroll = self.dashboard_scroll.saturating_sub(1)
                    }
                    Action::TogglePanel => self.panel = Some(!self.panel.unwrap_or(true)),
                    _ => {}
                }
                None
            }
            Focus::Inbox | Focus::Thread => self.update_main(action),
        }
    }

    fn update_modal(&mut self, modal: Modal, action: Action) -> Option<Effect> {
        match (modal, action) {
            (Modal::Confirm(c), Action::Confirm) => {
                self.modal = None;
                if let Effect::MarkNoResponse(id) = c.on_yes {
                    self.last_marked = Some(id);
                }
                if let Effect::MarkMany(_) = c.on_yes {
                    self.picked.clear();
                }
                Some(c.on_yes)
            }
            (Modal::Alert, Action::Confirm) => {
                // Enter: the most urgent thread.
                self.modal = None;
                self.filter = Filter::NeedsReply;
                self.search = None;
                self.selected = 0;
                self.alert_rows.first().map(|r| Effect::OpenThread(r.id))
            }
            (
                Modal::Kinds(mut k),
                Action::Down | Action::Up | Action::PageDown | Action::PageUp,
            ) => {
                let last = k.entries().len() - 1;
                k.selected = match action {
                    Action::Down => (k.selected + 1).min(last),
                    Action::Up => k.selected.saturating_sub(1),
                    Action::PageDown => last,
                    _ => 0,
                };
                self.modal = Some(Modal::Kinds(k));
                None
            }
            (Modal::Kinds(k), Action::Confirm) if k.picked => {
                self.modal = None;
                let category = k.entries().get(k.selected).copied().flatten()?;
                let threads = self.picked_threads();
                self.picked.clear();
                Some(Effect::SetCategoryMany { threads, category })
            }
            (Modal::Kinds(k), Action::Confirm) => {
                self.modal = None;
                let chosen = k.entries().get(k.selected).copied().flatten();
                match (k.thread, chosen) {
                    (Some(thread), Some(category)) => {
                        Some(Effect::SetCategory { thread, category })
                    }
                    (Some(_), None) => None,
                    (None, kind) => {
                        self.kind = kind;
                        self.selected = 0;
                        self.offset = 0;
                        self.rows.clear();
                        Some(Effect::Page)
                    }
                }
            }
            (Modal::Channels { thread, selected }, Action::Down | Action::Up) => {
                let selected = if action == Action::Down {
                    (selected + 1).min(EscalationChannel::ALL.len() - 1)
                } else {
                    selected.saturating_sub(1)
                };
                self.modal = Some(Modal::Channels { thread, selected });
                None
            }
            (Modal::Channels { thread, selected }, Action::Confirm) => {
                self.modal = None;
                let channel =
                    EscalationChannel::ALL[selected.min(EscalationChannel::ALL.len() - 1)];
                self.prompt = Some(Prompt::new(PromptPurpose::CaseId(thread, channel), ""));
                None
            }
            (Modal::Reasons { thread, selected }, Action::Down | Action::Up) => {
                use crate::domain::compliance::Reason;
                let selected = if action == Action::Down {
                    (selected + 1).min(Reason::ALL.len() - 1)
                } else {
                    selected.saturating_sub(1)
                };
                self.modal = Some(Modal::Reasons { thread, selected });
                None
            }
            (Modal::Reasons { thread, selected }, Action::Confirm) => {
                use crate::domain::compliance::Reason;
                self.modal = None;
                Some(Effect::WriteFirst {
                    thread,
                    reason: Reason::ALL[selected.min(Reason::ALL.len() - 1)],
                })
            }
            (Modal::Alert, Action::Down | Action::PageDown) => {
                let step = if action == Action::Down { 1 } else { 10 };
                self.alert_scroll = self.alert_scroll.saturating_add(step).min(200);
                None
            }
            (Modal::Alert, Action::Up | Action::PageUp) => {
                let step = if action == Action::Up { 1 } else { 10 };
                self.alert_scroll = self.alert_scroll.saturating_sub(step);
                None
            }
            (Modal::Help, Action::Down | Action::PageDown) => {
                let step = if action == Action::Down { 1 } else { 10 };
                self.help_scroll = self.help_scroll.saturating_add(step);
                None
            }
            (Modal::Help, Action::Up | Action::PageUp) => {
                let step = if action == Action::Up { 1 } else { 10 };
                self.help_scroll = self.help_scroll.saturating_sub(step);
                None
            }
            (_, Action::Back) | (Modal::Help, _) => {
                self.modal = None;
                None
            }
            _ => None,
        }
    }

    fn update_picker(&mut self, action: Action, now: DateTime<Utc>) -> Option<Effect> {
        let count = self.picker_rows().len();
        let picker = self.picker.as_mut()?;
        match action {
            Action::Down => picker.selected = (picker.selected + 1).min(count.saturating_sub(1)),
            Action::Up => picker.selected = picker.selected.saturating_sub(1),
            Action::Back => self.picker = None,
            Action::Confirm => {
                let index = picker.selected;
                let chosen = self
                    .picker_rows()
                    .get(index)
                    .map(|r| (r.template.body.clone(), r.template.language.clone()));
                self.picker = None;
                let tz = self.config.timezone;
                match (chosen, &mut self.composer) {
                    (Some((body, language)), Some(c)) => {
                        // Its dates in its own language.
                        let ctx = ReplyContext {
                            language: Some(language),
                            ..c.context.clone()
                        };
                        let text = fill(&body, &ctx, now, tz);
                        // Dates taken later (Ctrl-G) follow the template's language too.
                        c.context.language = ctx.language.clone();
                        // What the template promised, filled from [commitments]: the send
                        // confirmation lists it.
                        for (name, value) in
                            crate::domain::template::commitments_in(&body, &ctx, now, tz)
                        {
                            let made = (name.to_string(), value);
                            if !c.commitments.contains(&made) {
                                c.commitments.push(made);
                            }
                        }
                        c.insert(&text, now);
                    }
                    (None, _) => self.notice = Some("No template matches".into()),
                    _ => {}
                }
            }
            _ => {}
        }
        None
    }

    fn update_prompt(&mut self, purpose: PromptPurpose, action: Action) -> Option<Effect> {
        match action {
            Action::ClearPrompt => {
                if let Some(p) = &mut self.prompt {
                    p.clear();
                }
                // Cleared, the search shows everything again.
                if purpose == PromptPurpose::Search && self.search.is_some() {
                    self.search = None;
                    self.selected = 0;
                    self.offset = 0;
                    self.rows.clear();
                    return Some(Effect::Page);
                }
                None
            }
            Action::Back => {
                self.prompt = None;
                // Esc takes back what was typed: the list as it was before the prompt opened.
                if purpose == PromptPurpose::Search {
                    let before = self.search_before.take().flatten();
                    if before != self.search {
                        self.search = before;
                        self.selected = 0;
                        self.offset = 0;
                        self.rows.clear();
                        return Some(Effect::Page);
                    }
                }
                None
            }
            Action::Confirm => {
                let text = self.prompt.take()?.text();
                let text = text.trim();
                match purpose {
                    PromptPurpose::Search => {
                        self.search = (!text.is_empty()).then(|| text.to_string());
                        self.selected = 0;
                        self.offset = 0;
                        self.rows.clear();
                        self.focus = Focus::Inbox;
                        Some(Effect::Page)
                    }
                    PromptPurpose::RenameTemplate(id) => Some(Effect::RenameTemplate {
                        id,
                        name: text.to_string(),
                    }),
                    PromptPurpose::Note(thread) => (!text.is_empty()).then(|| Effect::AddNote {
                        thread,
                        text: text.to_string(),
                    }),
                    PromptPurpose::CaseId(thread, channel) => {
                        self.pending_case_id = text.to_string();
                        self.prompt = Some(Prompt::new(
                            PromptPurpose::FollowUpAt { thread, channel },
                            "48h",
                        ));
                        None
                    }
                    PromptPurpose::FollowUpAt { thread, channel } => {
                        match parse_when(text, self.now) {
                            Ok(follow_up_at) => Some(Effect::Escalate {
                                thread,
                                channel,
                                case_id: std::mem::take(&mut self.pending_case_id),
                                follow_up_at,
                            }),
                            Err(e) => {
                                self.prompt = Some(Prompt::again(purpose, text, e));
                                None
                            }
                        }
                    }
                    PromptPurpose::CheckBackAt(thread) => match parse_when(text, self.now) {
                        Ok(due_at) => Some(Effect::CheckBack { thread, due_at }),
                        Err(e) => {
                            self.prompt = Some(Prompt::again(purpose, text, e));
                            None
                        }
                    },
                    PromptPurpose::Outcome(thread) => Some(Effect::CloseFollowUp {
                        thread,
                        outcome: text.to_string(),
                    }),
                    PromptPurpose::Attach(thread) => Some(Effect::Attach {
                        thread,
                        path: (!text.is_empty()).then(|| text.to_string()),
                    }),
                    PromptPurpose::ExportTo(_) if text.is_empty() => {
                        self.notice = Some("No file given: nothing exported".into());
                        None
                    }
                    PromptPurpose::ExportTo(thread) => Some(Effect::ExportThread {
                        thread,
                        path: text.to_string(),
                    }),
                    PromptPurpose::SaveAttachmentsTo(_) if text.is_empty() => {
                        self.notice = Some("No folder given: nothing saved".into());
                        None
                    }
                    PromptPurpose::SaveAttachmentsTo(thread) => Some(Effect::SaveAttachments {
                        thread,
                        dir: text.to_string(),
                    }),
                    PromptPurpose::SnoozePicked => match parse_when(text, self.now) {
                        Ok(until) => {
                            let threads = self.picked_threads();
                            self.picked.clear();
                            Some(Effect::SnoozeMany { threads, until })
                        }
                        Err(e) => {
                            self.prompt = Some(Prompt::again(purpose, text, e));
                            None
                        }
                    },
                    PromptPurpose::SnoozeFor(thread) if text.is_empty() => Some(Effect::Snooze {
                        thread,
                        until: None,
                    }),
                    PromptPurpose::SnoozeFor(thread) => match parse_when(text, self.now) {
                        Ok(until) => Some(Effect::Snooze {
                            thread,
                            until: Some(until),
                        }),
                        Err(e) => {
                            self.prompt = Some(Prompt::again(purpose, text, e));
                            None
                        }
                    },
                }
            }
            _ => None,
        }
    }

    fn update_composer(&mut self, action: Action) -> Option<Effect> {
        let c = self.composer.as_ref()?;
        let (thread, body) = (c.thread_id, c.body());
        match action {
            Action::Send => {
                let left = c.unfilled();
                if !left.is_empty() {
                    self.notice = Some(format!(
                        "✗ {} not filled: sending is blocked until you replace {}",
                        left.join(", "),
                        if left.len() == 1 { "it" } else { "them" }
                    ));
                    return None;
                }
                if let Some(blocked) = c.blocker(&self.config) {
                    self.notice = Some(format!("✗ Not sent: {blocked}"));
                    return None;
                }
                Some(Effect::PrepareSend { thread, body })
            }
            Action::NextPlaceholder | Action::PrevPlaceholder => {
                let now = self.now;
                let c = self.composer.as_mut()?;
                let found = c.select_placeholder(action == Action::NextPlaceholder);
                // With none left, Tab types a tab as it always did.
                if !found && action == Action::NextPlaceholder && c.text.insert_tab() {
                    c.edited(now);
                }
                None
            }
            Action::TakeSuggestion => {
                let (now, tz) = (self.now, self.config.timezone);
                let c = self.composer.as_mut()?;
                if !c.take_suggestion(now, tz) {
                    self.notice = Some(match c.selected_placeholder() {
                        Some(name) => format!("No date to suggest for {{{{{name}}}}}: type it"),
                        None => "No date to suggest: Tab selects a date placeholder first".into(),
                    });
                }
                None
            }
            Action::InsertTemplate => {
                self.picker = Some(Picker::default());
                Some(Effect::LoadTemplates)
            }
            Action::AttachFile => {
                self.prompt = Some(Prompt::new(PromptPurpose::Attach(thread), ""));
                None
            }
            Action::ExternalEditor => {
                if let Some(c) = &mut self.composer {
                    c.unsaved_since = None;
                }
                Some(Effect::EditReply { thread, body })
            }
            Action::Back => {
                let save = self.flush_draft();
                self.composer = None;
                self.focus = Focus::Thread;
                save.or(Some(Effect::OpenThread(thread)))
            }
            Action::Help => {
                self.open_help();
                None
            }
            _ => None,
        }
    }

    fn update_templates(&mut self, action: Action) -> Option<Effect> {
        let page = self.page_height.max(1) as i64;
        let at = self.template_selected as i64;
        let selected = self
            .selected_template()
            .map(|r| (r.id, r.template.name.clone()));
        match action {
            Action::Down => self.move_template(at + 1),
            Action::Up => self.move_template(at - 1),
            Action::Top => self.move_template(0),
            Action::Bottom => self.move_template(i64::MAX / 2),
            Action::PageDown => self.move_template(at + page),
            Action::PageUp => self.move_template(at - page),
            Action::Back => self.focus = self.templates_from,
            Action::Help => self.open_help(),
            Action::TogglePanel => self.panel = Some(!self.panel.unwrap_or(true)),
            Action::NewTemplate => {
                return Some(Effect::EditTemplate {
                    id: None,
                    text: None,
                });
            }
            Action::EditTemplate => {
                return selected.map(|(id, _)| Effect::EditTemplate {
                    id: Some(id),
                    text: None,
                });
            }
            Action::RenameTemplate => {
                if let Some((id, name)) = selected {
                    self.prompt = Some(Prompt::new(PromptPurpose::RenameTemplate(id), &name));
                }
            }
            Action::DuplicateTemplate => {
                return selected.map(|(id, _)| Effect::DuplicateTemplate(id));
            }
            Action::DeleteTemplate => {
                if let Some((id, name)) = selected {
                    self.modal = Some(Modal::Confirm(Confirm {
                        title: "Delete template".into(),
                        question: format!(
                            "Delete the template \"{}\"? This cannot be undone.",
                            crate::text::safe_text::line(&name)
                        ),
                        on_yes: Effect::DeleteTemplate(id),
                    }));
                }
            }
            _ => {}
        }
        None
    }

    fn update_main(&mut self, action: Action) -> Option<Effect> {
        if let Some(done) = self.act_on_picks(action) {
            return done;
        }
        let page = self.page_height.max(1) as i64;
        match action {
            Action::Down => self.move_to(self.selected as i64 + 1),
            Action::Up => self.move_to(self.selected as i64 - 1),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(self.total as i64 - 1),
            Action::PageDown => self.move_to(self.selected as i64 + page),
            Action::PageUp => self.move_to(self.selected as i64 - page),
            Action::Open => self.selected_row().map(|r| Effect::OpenThread(r.id)),
            Action::Back => {
                if self.focus == Focus::Inbox && self.search.is_some() {
                    self.search = None;
                    self.selected = 0;
                    self.offset = 0;
                    self.rows.clear();
                    return Some(Effect::Page);
                }
                self.focus = Focus::Inbox;
                None
            }
            Action::NextPane => {
                self.focus = match (self.focus, &self.thread) {
                    (Focus::Inbox, Some(_)) => Focus::Thread,
                    _ => Focus::Inbox,
                };
                None
            }
            Action::ScrollDown => {
                self.thread_scroll = self.thread_scroll.saturating_add(1);
                None
            }
            Action::ScrollUp => {
                self.thread_scroll = self.thread_scroll.saturating_sub(1);
                None
            }
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.selected = 0;
                self.offset = 0;
                self.rows.clear();
                Some(Effect::Page)
            }
            Action::TogglePanel => {
                // The first press flips whatever the width decided.
                self.panel = Some(!self.panel.unwrap_or(true));
                None
            }
            Action::MarkNoResponse => {
                let id = self.target_thread()?;
                self.confirm_on(
                    id,
                    "No response needed",
                    "Mark this thread \"no response needed\"? Its clock stops and its messages leave the late-response rate.",
                    Effect::MarkNoResponse(id),
                );
                None
            }
            Action::FeedbackRemoved => {
                let thread = self.target_thread()?;
                let order = self.row_of(thread).and_then(|r| r.order_id.clone());
                let Some(order) = order else {
                    self.notice = Some("This thread names no order: no feedback to mark".into());
                    return None;
                };
                let question = format!(
                    "Order {order}: mark its feedback removed by Amazon as of now (it stops counting in the ODR and the feedback rating)? If it is marked already, it counts again."
                );
                self.confirm_on(
                    thread,
                    "Feedback removed",
                    &question,
                    Effect::ToggleFeedbackRemoved(order),
                );
                None
            }
            Action::UndoMark => self
                .last_marked
                .take()
                .or_else(|| self.target_thread())
                .map(Effect::UndoMark),
            Action::SetCategory => {
                let thread = self.target_thread()?;
                let current = self
                    .thread
                    .as_ref()
                    .filter(|t| t.row.id == thread)
                    .map(|t| t.row.category.clone())
                    .or_else(|| self.selected_row().map(|r| r.category.clone()))
                    .flatten()
                    .and_then(|c| Category::parse(&c));
                let selected = current
                    .and_then(|c| Category::ALL.iter().position(|x| *x == c))
                    .unwrap_or(0);
                self.modal = Some(Modal::Kinds(KindChoice {
                    thread: Some(thread),
                    picked: false,
                    selected,
                }));
                None
            }
            Action::FilterCategory => {
                let selected = self
                    .kind
                    .and_then(|c| Category::ALL.iter().position(|x| *x == c))
                    .map_or(0, |i| i + 1);
                self.modal = Some(Modal::Kinds(KindChoice {
                    thread: None,
                    picked: false,
                    selected,
                }));
                None
            }
            Action::AddNote => {
                let thread = self.target_thread()?;
                self.prompt = Some(Prompt::new(PromptPurpose::Note(thread), ""));
                None
            }
            Action::Escalate => {
                let thread = self.target_thread()?;
                self.modal = Some(Modal::Channels {
                    thread,
                    selected: 0,
                });
                None
            }
            Action::CheckBack => {
                let thread = self.target_thread()?;
                self.prompt = Some(Prompt::new(PromptPurpose::CheckBackAt(thread), "3d"));
                None
            }
            Action::WriteFirst => {
                let thread = self.target_thread()?;
                self.modal = Some(Modal::Reasons {
                    thread,
                    selected: 0,
                });
                None
            }
            Action::Snooze => {
                let thread = self.target_thread()?;
                let snoozed = self
                    .thread
                    .as_ref()
                    .filter(|t| t.row.id == thread)
                    .and_then(|t| t.snoozed_until)
                    .is_some_and(|u| u > self.now);
                // On a snoozed thread the prompt starts empty: Enter wakes it.
                let start = if snoozed { "" } else { "4h" };
                self.prompt = Some(Prompt::new(PromptPurpose::SnoozeFor(thread), start));
                None
            }
            Action::RetryDelivery => {
                let thread = self.target_thread()?;
                // The outbox of the thread on screen; another row's is judged when it runs.
                let unknown = self
                    .thread
                    .as_ref()
                    .filter(|t| t.row.id == thread)
                    .map(|t| {
                        t.outbox
                            .iter()
                            .filter(|e| e.state == crate::store::outbox::State::Unknown)
                            .count()
                    })
                    .unwrap_or(0);
                let (title, question) = if unknown == 0 {
                    (
                        "Send again",
                        "Send this thread's undelivered replies again?".to_string(),
                    )
                } else {
                    (
                        "Send again: the buyer may get it twice",
                        format!(
                            "{} of this thread's replies {} an unknown delivery: the server may \
                             already have taken {} and the buyer may get {} twice.\nSend this \
                             thread's undelivered replies again anyway?",
                            unknown,
                            if unknown == 1 { "has" } else { "have" },
                            if unknown == 1 { "it" } else { "them" },
                            if unknown == 1 { "it" } else { "them" },
                        ),
                    )
                };
                self.confirm_on(
                    thread,
                    title,
                    &question,
                    Effect::RetryDelivery {
                        thread,
                        even_if_unknown: unknown > 0,
                    },
                );
                None
            }
            Action::SaveAttachments => {
                let thread = self.target_thread()?;
                self.prompt = Some(Prompt::new(
                    PromptPurpose::SaveAttachmentsTo(thread),
                    "~/Downloads/sellerdesk",
                ));
                None
            }
            Action::ExportThread => {
                let thread = self.target_thread()?;
                let order = self.row_of(thread).and_then(|r| r.order_id.clone());
                let name = match order {
                    Some(o) => format!("~/sellerdesk-thread-{thread}-{o}.md"),
                    None => format!("~/sellerdesk-thread-{thread}.md"),
                };
                self.prompt = Some(Prompt::new(PromptPurpose::ExportTo(thread), &name));
                None
            }
            Action::FollowUpOutcome => {
                let thread = self.target_thread()?;
                self.prompt = Some(Prompt::new(PromptPurpose::Outcome(thread), ""));
                None
            }
            Action::Search => {
                self.search_before = Some(self.search.clone());
                let current = self.search.clone().unwrap_or_default();
                self.prompt = Some(Prompt::new(PromptPurpose::Search, &current));
                None
            }
            Action::Reply => self.target_thread().map(Effect::OpenComposer),
            Action::ManageTemplates => {
                let thread = self.target_thread();
                self.templates_from = self.focus;
                self.focus = Focus::Templates;
                self.template_thread = None;
                Some(Effect::ManageTemplates(thread))
            }
            Action::OpenDashboard => {
                self.templates_from = self.focus;
                self.focus = Focus::Dashboard;
                self.dashboard_scroll = 0;
                None
            }
            Action::Help => {
                self.open_help();
                None
            }
            _ => None,
        }
    }

    fn open_help(&mut self) {
        self.help_scroll = 0;
        self.modal = Some(Modal::Help);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn row(id: i64) -> InboxRow {
        InboxRow {
            id,
            subject: format!("subject {id}"),
            buyer_name: Some(format!("Buyer {id}")),
            buyer_alias: None,
            order_id: None,
            category: None,
            message_count: 1,
            unread: true,
            clock_start: Some(now()),
            last_message_at: now(),
        }
    }

    fn app(n: u64) -> App {
        let mut a = App::new(Config::default(), now());
        a.total = n;
        a.rows = (0..n as i64).map(row).collect();
        a
    }

    #[test]
    fn moving_stays_in_bounds() {
        let mut a = app(3);
        assert_eq!(a.update(Action::Up, now()), None);
        assert_eq!(a.selected, 0);
        a.update(Action::Down, now());
        a.update(Action::Down, now());
        a.update(Action::Down, now());
        assert_eq!(a.selected, 2);
        a.update(Action::Top, now());
        assert_eq!(a.selected, 0);
        a.update(Action::Bottom, now());
        assert_eq!(a.selected, 2);
    }

    #[test]
    fn moving_past_the_loaded_window_asks_for_a_page() {
        let mut a = app(3);
        a.total = 100;
        a.page_height = 10;
        assert_eq!(a.update(Action::PageDown, now()), Some(Effect::Page));
        assert_eq!(a.selected, 10);
    }

    #[test]
    fn open_and_back() {
        let mut a = app(3);
        a.update(Action::Down, now());
        assert_eq!(a.update(Action::Open, now()), Some(Effect::OpenThread(1)));
        a.focus = Focus::Thread;
        a.update(Action::Back, now());
        assert_eq!(a.focus, Focus::Inbox);
    }

    #[test]
    fn marking_asks_first_and_carries_the_thread() {
        let mut a = app(3);
        a.update(Action::Down, now());
        assert_eq!(a.update(Action::MarkNoResponse, now()), None);
        assert_eq!(a.context(), Context::Modal);
        assert_eq!(
            a.update(Action::Confirm, now()),
            Some(Effect::MarkNoResponse(1))
        );
        assert_eq!(a.modal, None);
        // Esc cancels.
        a.update(Action::MarkNoResponse, now());
        assert_eq!(a.update(Action::Back, now()), None);
        assert_eq!(a.modal, None);
    }

    #[test]
    fn undo_applies_to_the_last_marked_thread_else_the_selected_one() {
        let mut a = app(3);
        assert_eq!(a.update(Action::UndoMark, now()), Some(Effect::UndoMark(0)));
        a.update(Action::Down, now());
        a.update(Action::MarkNoResponse, now());
        a.update(Action::Confirm, now());
        // The marked thread left the list; the selection moved on.
        a.update(Action::Down, now());
        assert_eq!(a.update(Action::UndoMark, now()), Some(Effect::UndoMark(1)));
        assert_eq!(a.update(Action::UndoMark, now()), Some(Effect::UndoMark(2)));
    }

    #[test]
    fn filter_cycles_and_reloads() {
        let mut a = app(2);
        assert_eq!(a.update(Action::CycleFilter, now()), Some(Effect::Page));
        assert_eq!(a.filter, Filter::Overdue);
        a.update(Action::CycleFilter, now());
        a.update(Action::CycleFilter, now());
        a.update(Action::CycleFilter, now());
        assert_eq!(a.filter, Filter::Snoozed);
        a.update(Action::CycleFilter, now());
        assert_eq!(a.filter, Filter::NeedsReply);
    }

    #[test]
    fn startup_alert_enter_opens_the_most_urgent() {
        let mut a = app(2);
        a.metrics.counts.overdue = 1;
        a.alert_rows = vec![row(7)];
        a.open_startup_alert();
        assert_eq!(a.modal, Some(Modal::Alert));
        assert_eq!(
            a.update(Action::Confirm, now()),
            Some(Effect::OpenThread(7))
        );
        let mut b = app(2);
        b.metrics.counts.due_soon = 1;
        b.open_startup_alert();
        assert_eq!(b.update(Action::Back, now()), None);
        assert_eq!(b.modal, None);
    }

    #[test]
    fn no_alert_when_nothing_is_due() {
        let mut a = app(2);
        a.open_startup_alert();
        assert_eq!(a.modal, None);
    }

    #[test]
    fn help_closes_on_any_key_and_quit_works_everywhere() {
        let mut a = app(1);
        a.update(Action::Help, now());
        assert_eq!(a.modal, Some(Modal::Help));
        a.update(Action::Down, now());
        a.update(Action::PageDown, now());
        assert_eq!((a.modal.clone(), a.help_scroll), (Some(Modal::Help), 11));
        a.update(Action::Open, now());
        assert_eq!(a.modal, None);
        a.update(Action::Help, now());
        assert_eq!(a.help_scroll, 0);
        a.update(Action::Back, now());
        a.update(Action::Help, now());
        a.update(Action::Quit, now());
        assert!(a.quit);
    }

    #[test]
    fn panel_follows_width_until_toggled() {
        let mut a = app(1);
        assert!(a.panel_visible(120));
        assert!(!a.panel_visible(80));
        a.update(Action::TogglePanel, now());
        assert!(!a.panel_visible(120));
        a.update(Action::TogglePanel, now());
        assert!(a.panel_visible(80));
    }

    fn typed(a: &mut App, text: &str) {
        for c in text.chars() {
            let key = crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            );
            a.type_text(key.into(), now());
        }
    }

    fn template(id: i64, name: &str, body: &str) -> TemplateRow {
        TemplateRow {
            id,
            template: crate::domain::template::Template {
                name: name.into(),
                category: Some("other".into()),
                language: "en".into(),
                subject: None,
                body: body.into(),
            },
            updated_at: now(),
        }
    }

    fn composing(a: &mut App, thread: i64) {
        let ctx = crate::domain::template::ReplyContext {
            buyer_name: Some("Bob Wilson".into()),
            ..Default::default()
        };
        a.composer = Some(Composer::new(
            thread,
            "Bob".into(),
            "Re: x".into(),
            ctx,
            None,
        ));
        a.focus = Focus::Composer;
    }

    #[test]
    fn search_prompt_applies_on_enter_and_esc_in_the_inbox_clears_it() {
        let mut a = app(3);
        assert_eq!(a.update(Action::Search, now()), None);
        assert_eq!(a.context(), Context::Prompt);
        typed(&mut a, "  lamp ");
        assert_eq!(a.update(Action::Confirm, now()), Some(Effect::Page));
        assert_eq!(a.search.as_deref(), Some("lamp"));
        assert!(!a.needs_page(), "search results are loaded whole");
        // `/` again starts from the current search; Esc there keeps it.
        a.update(Action::Search, now());
        assert_eq!(a.prompt.as_ref().unwrap().text(), "lamp");
        a.update(Action::Back, now());
        assert_eq!(a.search.as_deref(), Some("lamp"));
        assert_eq!(a.update(Action::Back, now()), Some(Effect::Page));
        assert_eq!(a.search, None);
        // An empty search is no search.
        a.update(Action::Search, now());
        assert_eq!(a.update(Action::Confirm, now()), Some(Effect::Page));
        assert_eq!(a.search, None);
    }

    #[test]
    fn reply_opens_the_composer_on_the_target_thread() {
        let mut a = app(3);
        a.update(Action::Down, now());
        assert_eq!(
            a.update(Action::Reply, now()),
            Some(Effect::OpenComposer(1))
        );
    }

    #[test]
    fn the_picker_filters_moves_and_inserts_a_filled_template() {
        let mut a = app(1);
        composing(&mut a, 0);
        assert_eq!(
            a.update(Action::InsertTemplate, now()),
            Some(Effect::LoadTemplates)
        );
        assert_eq!(a.context(), Context::Picker);
        a.templates = vec![
            template(
                1,
                "Damaged",
                "Sorry {{buyer_first_name}}, by {{delivery_date}}.",
            ),
            template(2, "Thanks", "Thanks {{buyer_name}}!"),
            template(3, "Thanks again", "Thanks again!"),
        ];
        typed(&mut a, "thanks");
        assert_eq!(a.picker_rows().len(), 2);
        a.update(Action::Down, now());
        a.update(Action::Down, now());
        assert_eq!(a.picker.as_ref().unwrap().selected, 1, "stops at the last");
        a.update(Action::Up, now());
        a.update(Action::Confirm, now());
        assert!(a.picker.is_none());
        let c = a.composer.as_ref().unwrap();
        assert_eq!(c.body(), "Thanks Bob Wilson!");
        assert!(c.is_dirty());
        // Esc closes the picker without inserting.
        a.update(Action::InsertTemplate, now());
        a.update(Action::Back, now());
        assert!(a.picker.is_none());
        assert_eq!(a.composer.as_ref().unwrap().body(), "Thanks Bob Wilson!");
    }

    /// Tab selects the next placeholder left and typing replaces it; Shift-Tab goes back (and
    /// round); with none left, Tab types a tab.
    #[test]
    fn tab_walks_the_placeholders_and_typing_replaces_them() {
        let mut a = app(1);
        composing(&mut a, 4);
        let c = a.composer.as_mut().unwrap();
        c.replace(
            "Hi {{buyer_first_name}},\nby {{delivery_date}} or {{refund_date}}.",
            now(),
        );
        c.text.move_cursor(ratatui_textarea::CursorMove::Top);
        c.text.move_cursor(ratatui_textarea::CursorMove::Head);
        a.update(Action::NextPlaceholder, now());
        typed(&mut a, "Bob");
        let body = || a.composer.as_ref().unwrap().body();
        assert_eq!(body(), "Hi Bob,\nby {{delivery_date}} or {{refund_date}}.");
        a.update(Action::NextPlaceholder, now());
        a.update(Action::NextPlaceholder, now());
        typed(&mut a, "Monday");
        assert_eq!(
            a.composer.as_ref().unwrap().body(),
            "Hi Bob,\nby {{delivery_date}} or Monday."
        );
        a.update(Action::PrevPlaceholder, now());
        typed(&mut a, "Friday");
        assert_eq!(
            a.composer.as_ref().unwrap().body(),
            "Hi Bob,\nby Friday or Monday."
        );
        assert!(a.composer.as_ref().unwrap().unfilled().is_empty());
        a.update(Action::NextPlaceholder, now());
        assert_eq!(
            a.composer.as_ref().unwrap().body(),
            "Hi Bob,\nby Friday    or Monday.",
            "a tab (as spaces) where the cursor is, as before"
        );
    }

    /// A date placeholder the thread cannot fill offers a date; Ctrl-G takes it. Elsewhere it
    /// says what it is for and changes nothing.
    #[test]
    fn a_selected_date_placeholder_takes_its_suggestion_with_one_key() {
        let mut a = app(1);
        composing(&mut a, 4);
        let c = a.composer.as_mut().unwrap();
        c.replace(
            "Tracking {{tracking_number}}, a new one by {{replacement_arrival}}.",
            now(),
        );
        c.text.move_cursor(ratatui_textarea::CursorMove::Top);
        c.text.move_cursor(ratatui_textarea::CursorMove::Head);
        a.update(Action::NextPlaceholder, now());
        let c = a.composer.as_ref().unwrap();
        assert_eq!(c.selected_placeholder().as_deref(), Some("tracking_number"));
        assert_eq!(c.suggestion(now(), chrono_tz::Tz::UTC), None);
        a.update(Action::TakeSuggestion, now());
        assert!(
            a.notice
                .as_deref()
                .unwrap()
                .starts_with("No date to suggest")
        );
        a.update(Action::NextPlaceholder, now());
        let expected = (now() + chrono::Duration::days(4))
            .format("%-d %B %Y")
            .to_string();
        assert_eq!(
            a.composer
                .as_ref()
                .unwrap()
                .suggestion(now(), chrono_tz::Tz::UTC),
            Some(("replacement_arrival".to_string(), expected.clone()))
        );
        a.update(Action::TakeSuggestion, now());
        let c = a.composer.as_ref().unwrap();
        assert_eq!(
            c.body(),
            format!("Tracking {{{{tracking_number}}}}, a new one by {expected}.")
        );
        // A date taken so is a promise: the send confirmation lists it.
        assert_eq!(
            c.commitments,
            [("replacement_arrival".to_string(), expected)]
        );
    }

    #[test]
    fn sending_is_blocked_by_placeholders_and_empty_text_and_else_asks() {
        let mut a = app(1);
        a.config.seller_addresses = vec!["support@example-shop.test".into()];
        a.config.outbox = Some("/tmp/outbox".into());
        composing(&mut a, 4);
        assert_eq!(a.update(Action::Send, now()), None);
        assert_eq!(a.notice.as_deref(), Some("✗ Not sent: the reply is empty"));
        a.composer
            .as_mut()
            .unwrap()
            .insert("By {{delivery_date}}", now());
        assert_eq!(a.update(Action::Send, now()), None);
        assert!(
            a.notice
                .as_deref()
                .unwrap()
                .contains("{{delivery_date}} not filled")
        );
        a.composer.as_mut().unwrap().replace("By Friday", now());
        // Nothing to send from, no one to send to, a file that cannot go: said before asking.
        let seller = std::mem::take(&mut a.config.seller_addresses);
        assert_eq!(a.update(Action::Send, now()), None);
        assert!(
            a.notice.as_deref().unwrap().contains("no seller address"),
            "{:?}",
            a.notice
        );
        a.config.seller_addresses = seller;
        a.composer.as_mut().unwrap().recipient_known = false;
        assert_eq!(a.update(Action::Send, now()), None);
        assert!(
            a.notice.as_deref().unwrap().contains("no buyer address"),
            "{:?}",
            a.notice
        );
        a.composer.as_mut().unwrap().recipient_known = true;
        a.composer.as_mut().unwrap().attachments = vec!["invoice.pdf ✗ gone".into()];
        assert_eq!(a.update(Action::Send, now()), None);
        assert!(
            a.notice.as_deref().unwrap().contains("invoice.pdf"),
            "{:?}",
            a.notice
        );
        a.composer.as_mut().unwrap().attachments.clear();
        assert_eq!(
            a.update(Action::Send, now()),
            Some(Effect::PrepareSend {
                thread: 4,
                body: "By Friday".into()
            })
        );
    }

    #[test]
    fn typing_goes_to_the_composer_and_is_autosaved() {
        let mut a = app(1);
        composing(&mut a, 2);
        typed(&mut a, "H\u{1b}\u{9b}\u{202e}i");
        assert_eq!(a.composer.as_ref().unwrap().body(), "Hi");
        assert_eq!(a.autosave(now()), None, "not due yet");
        let later = now() + chrono::Duration::seconds(2);
        assert_eq!(
            a.autosave(later),
            Some(Effect::SaveDraft {
                thread: 2,
                body: "Hi".into()
            })
        );
        assert_eq!(a.autosave(later), None, "saved once");
        assert_eq!(a.flush_draft(), None);
    }

    #[test]
    fn the_editor_and_closing_save_the_draft() {
        let mut a = app(1);
        composing(&mut a, 2);
        typed(&mut a, "Hi");
        assert_eq!(
            a.update(Action::ExternalEditor, now()),
            Some(Effect::EditReply {
                thread: 2,
                body: "Hi".into()
            })
        );
        typed(&mut a, "!");
        assert_eq!(
            a.update(Action::Back, now()),
            Some(Effect::SaveDraft {
                thread: 2,
                body: "Hi!".into()
            })
        );
        assert!(a.composer.is_none());
        assert_eq!(a.focus, Focus::Thread);
        // Nothing unsaved: closing reopens the thread instead.
        composing(&mut a, 2);
        assert_eq!(a.update(Action::Back, now()), Some(Effect::OpenThread(2)));
    }

    #[test]
    fn template_manager_actions() {
        let mut a = app(1);
        // On the selected thread: the preview shows its placeholder values.
        assert_eq!(
            a.update(Action::ManageTemplates, now()),
            Some(Effect::ManageTemplates(Some(0)))
        );
        assert_eq!(a.context(), Context::Templates);
        a.templates = (1..=3)
            .map(|i| template(i, &format!("T{i}"), "x"))
            .collect();
        a.update(Action::Bottom, now());
        assert_eq!(a.template_selected, 2);
        a.update(Action::Down, now());
        assert_eq!(a.template_selected, 2);
        a.update(Action::Top, now());
        a.update(Action::Down, now());
        assert_eq!(
            a.update(Action::EditTemplate, now()),
            Some(Effect::EditTemplate {
                id: Some(2),
                text: None
            })
        );
        assert_eq!(
            a.update(Action::NewTemplate, now()),
            Some(Effect::EditTemplate {
                id: None,
                text: None
            })
        );
        assert_eq!(
            a.update(Action::DuplicateTemplate, now()),
            Some(Effect::DuplicateTemplate(2))
        );
        a.update(Action::RenameTemplate, now());
        assert_eq!(a.prompt.as_ref().unwrap().text(), "T2");
        // Typing replaces the name it opened with; a key that moves first keeps it.
        typed(&mut a, "x");
        assert_eq!(a.prompt.as_ref().unwrap().text(), "x");
        a.update(Action::ClearPrompt, now());
        assert_eq!(a.prompt.as_ref().unwrap().text(), "");
        a.update(Action::Back, now());
        a.update(Action::RenameTemplate, now());
        a.update(
            Msg::Typed(ratatui_textarea::Input {
                key: ratatui_textarea::Key::End,
                ..Default::default()
            }),
            now(),
        );
        typed(&mut a, "b");
        assert_eq!(
            a.update(Action::Confirm, now()),
            Some(Effect::RenameTemplate {
                id: 2,
                name: "T2b".into()
            })
        );
        assert_eq!(a.update(Action::DeleteTemplate, now()), None);
        assert_eq!(
            a.update(Action::Confirm, now()),
            Some(Effect::DeleteTemplate(2))
        );
        a.update(Action::Back, now());
        assert_eq!(a.focus, Focus::Inbox);
    }

    #[test]
    fn sending_again_names_the_risk_of_a_duplicate_when_a_delivery_is_unknown() {
        use crate::store::outbox::{Entry, State};
        let entry = |id, state| Entry {
            id,
            message_id: id,
            thread_id: 0,
            state,
            attempts: 1,
            next_attempt_at: None,
            last_error: Some("x".into()),
            transport: Some("sendmail".into()),
            queued_at: now(),
            sent_at: None,
            to_addr: None,
            subject: "Re: x".into(),
        };
        let retry = |outbox: Vec<Entry>| {
            let mut a = app(3);
            a.thread = Some(ThreadDetail {
                follow_ups: vec![],
                snoozed_until: None,
                category: None,
                row: row(0),
                marketplace: None,
                asins: vec![],
                order: None,
                messages: vec![],
                timeline: vec![],
                outbox,
            });
            a.focus = Focus::Thread;
            assert_eq!(a.update(Action::RetryDelivery, now()), None);
            let Some(Modal::Confirm(c)) = a.modal.clone() else {
                panic!("{:?}", a.modal)
            };
            let effect = a.update(Action::Confirm, now());
            (c, effect)
        };
        let (c, effect) = retry(vec![entry(1, State::Failed)]);
        assert!(!c.question.contains("twice"), "{c:?}");
        assert_eq!(
            effect,
            Some(Effect::RetryDelivery {
                thread: 0,
                even_if_unknown: false
            })
        );
        let (c, effect) = retry(vec![entry(1, State::Failed), entry(2, State::Unknown)]);
        assert!(c.title.contains("twice"), "{c:?}");
        assert!(
            c.question
                .contains("1 of this thread's replies has an unknown delivery"),
            "{c:?}"
        );
        assert_eq!(
            effect,
            Some(Effect::RetryDelivery {
                thread: 0,
                even_if_unknown: true
            })
        );
    }

    #[test]
    fn scrolling_panes_and_pages() {
        let mut a = app(3);
        a.total = 100;
        a.page_height = 10;
        a.thread = Some(ThreadDetail {
            follow_ups: vec![],
            snoozed_until: None,
            category: None,
            row: row(0),
            marketplace: None,
            asins: vec![],
            order: None,
            messages: vec![],
            timeline: vec![],
            outbox: vec![],
        });
        a.update(Action::NextPane, now());
        assert_eq!(a.context(), Context::Thread);
        a.update(Action::ScrollDown, now());
        a.update(Action::ScrollDown, now());
        a.update(Action::ScrollUp, now());
        assert_eq!(a.thread_scroll, 1);
        a.update(Action::NextPane, now());
        assert_eq!(a.context(), Context::Inbox);
        a.update(Action::Bottom, now());
        assert_eq!(a.selected, 99);
        a.update(Action::PageUp, now());
        assert_eq!(a.selected, 89);
    }

    #[test]
    fn every_action_has_a_default_key() {
        let km = crate::tui::keymap::Keymap::default();
        for action in Action::all() {
            assert!(
                km.all().iter().any(|b| b.action == action),
                "{action:?} has no key"
            );
        }
    }
}
