//! The app's state and its one mutation point, `App::update`. Pure: no IO, no terminal, `now`
//! passed in. What needs the store comes back as an `Effect` for the loop to perform.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::keymap::Context;
use crate::config::Config;
use crate::domain::response::LateResponseRate;
use crate::store::inbox::{Filter, InboxRow, ThreadDetail};
use crate::store::queries::ClockCounts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Inbox,
    Thread,
}

/// A question waiting for Enter/y or Esc/n, carrying what to do on yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub question: String,
    pub on_yes: Effect,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    Help,
    /// The startup alert: what is due, most urgent first.
    Alert,
    Confirm(Confirm),
}

/// Work for the loop: everything that touches the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Reload the inbox page, counts and metrics.
    Reload,
    OpenThread(i64),
    MarkNoResponse(i64),
    UndoMark(i64),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelMetrics {
    pub counts: ClockCounts,
    /// 7, 30 and 90 days.
    pub late: Vec<LateResponseRate>,
    /// Late responses per day, the last 14 days, oldest first.
    pub late_per_day: Vec<u64>,
}

pub struct App {
    pub now: DateTime<Utc>,
    pub config: Config,
    pub filter: Filter,
    /// Rows in the filtered inbox.
    pub total: u64,
    /// Index of `rows[0]` in the filtered inbox: only the visible window is loaded.
    pub offset: u64,
    pub rows: Vec<InboxRow>,
    pub selected: u64,
    /// Inbox rows that fit on screen (set by the view on each draw).
    pub page_height: u64,
    pub focus: Focus,
    pub thread: Option<ThreadDetail>,
    pub thread_scroll: u16,
    pub modal: Option<Modal>,
    pub metrics: PanelMetrics,
    /// Urgent threads for the startup alert, most urgent first.
    pub alert_rows: Vec<InboxRow>,
    /// `None`: shown when the terminal is wide enough.
    pub panel: Option<bool>,
    pub notice: Option<String>,
    /// The thread last marked here: `u` undoes that mark even after the thread left the view.
    pub last_marked: Option<i64>,
    pub quit: bool,
}

/// Width from which the metrics panel shows by itself.
pub const PANEL_MIN_WIDTH: u16 = 110;

impl App {
    pub fn new(config: Config, now: DateTime<Utc>) -> App {
        App {
            now,
            config,
            filter: Filter::default(),
            total: 0,
            offset: 0,
            rows: Vec::new(),
            selected: 0,
            page_height: 20,
            focus: Focus::Inbox,
            thread: None,
            thread_scroll: 0,
            modal: None,
            metrics: PanelMetrics::default(),
            alert_rows: Vec::new(),
            panel: None,
            notice: None,
            last_marked: None,
            quit: false,
        }
    }

    pub fn context(&self) -> Context {
        match (&self.modal, self.focus) {
            (Some(_), _) => Context::Modal,
            (None, Focus::Inbox) => Context::Inbox,
            (None, Focus::Thread) => Context::Thread,
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
            (Focus::Thread, Some(t)) => Some(t.row.id),
            _ => self.selected_row().map(|r| r.id),
        }
    }

    pub fn panel_visible(&self, width: u16) -> bool {
        self.panel.unwrap_or(width >= PANEL_MIN_WIDTH)
    }

    /// Shows the startup alert when anything is due soon or worse.
    pub fn open_startup_alert(&mut self) {
        let c = &self.metrics.counts;
        if c.overdue + c.due_soon > 0 {
            self.modal = Some(Modal::Alert);
        }
    }

    /// True when the loaded window no longer covers the selection.
    pub fn needs_page(&self) -> bool {
        self.total > 0
            && (self.selected < self.offset
                || self.selected >= self.offset + self.rows.len() as u64)
    }

    fn move_to(&mut self, index: i64) -> Option<Effect> {
        let last = self.total.saturating_sub(1) as i64;
        self.selected = index.clamp(0, last.max(0)) as u64;
        self.needs_page().then_some(Effect::Reload)
    }

    pub fn update(&mut self, action: Action, now: DateTime<Utc>) -> Option<Effect> {
        self.now = now;
        self.notice = None;
        if let Some(modal) = self.modal.clone() {
            return match (modal, action) {
                (_, Action::Quit) => {
                    self.quit = true;
                    None
                }
                (Modal::Confirm(c), Action::Confirm) => {
                    self.modal = None;
                    if let Effect::MarkNoResponse(id) = c.on_yes {
                        self.last_marked = Some(id);
                    }
                    Some(c.on_yes)
                }
                (Modal::Alert, Action::Confirm) => {
                    // Enter: the most urgent thread.
                    self.modal = None;
                    self.filter = Filter::NeedsReply;
                    self.selected = 0;
                    self.alert_rows.first().map(|r| Effect::OpenThread(r.id))
                }
                (_, Action::Back) | (Modal::Help, _) => {
                    self.modal = None;
                    None
                }
                _ => None,
            };
        }
        let page = self.page_height.max(1) as i64;
        match action {
            Action::Quit => {
                self.quit = true;
                None
            }
            Action::Down => self.move_to(self.selected as i64 + 1),
            Action::Up => self.move_to(self.selected as i64 - 1),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(self.total as i64 - 1),
            Action::PageDown => self.move_to(self.selected as i64 + page),
            Action::PageUp => self.move_to(self.selected as i64 - page),
            Action::Open => self.selected_row().map(|r| Effect::OpenThread(r.id)),
            Action::Back => {
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
                Some(Effect::Reload)
            }
            Action::TogglePanel => {
                // The first press flips whatever the width decided.
                self.panel = Some(!self.panel.unwrap_or(true));
                None
            }
            Action::MarkNoResponse => {
                let id = self.target_thread()?;
                self.modal = Some(Modal::Confirm(Confirm {
                    question: "Mark this thread \"no response needed\"? Its clock stops and its messages leave the late-response rate.".into(),
                    on_yes: Effect::MarkNoResponse(id),
                }));
                None
            }
            Action::UndoMark => self
                .last_marked
                .take()
                .or_else(|| self.target_thread())
                .map(Effect::UndoMark),
            Action::Help => {
                self.modal = Some(Modal::Help);
                None
            }
            Action::Confirm => None,
        }
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
        assert_eq!(a.update(Action::PageDown, now()), Some(Effect::Reload));
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
        assert_eq!(a.update(Action::CycleFilter, now()), Some(Effect::Reload));
        assert_eq!(a.filter, Filter::Overdue);
        a.update(Action::CycleFilter, now());
        a.update(Action::CycleFilter, now());
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
        assert_eq!(a.modal, None);
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
}
