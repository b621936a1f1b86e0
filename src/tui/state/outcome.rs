//! What an effect did, as data: the executor (`tui::effects`) reads and writes the store and
//! returns these; `App::update` applies them. Only here does a store result reach the state.

use chrono::{DateTime, Utc};

use super::{App, Confirm, Effect, Focus, Modal, notices};
use crate::domain::category::Category;
use crate::domain::compliance::{self, Reason};
use crate::store::drafts::Draft;
use crate::store::follow_ups::{EscalationChannel, FollowUp};
use crate::store::inbox::InboxRow;
use crate::store::marks::MarkKind;
use crate::store::outbox::OutboxCounts;
use crate::store::reply::ReplyFacts;
use crate::store::takes::Take;
use crate::store::templates::TemplateRow;
use crate::store::thread::ThreadDetail;
use crate::store::urgency::ClockCounts;
use crate::tui::composer::Composer;
use crate::tui::rates::PanelRates;

/// The inbox rows around the selection.
#[derive(Debug)]
pub struct Page {
    pub rows: Vec<InboxRow>,
    /// Rows in the filtered inbox (or the search's matches).
    pub total: u64,
    /// Index of `rows[0]`.
    pub offset: u64,
}

/// The inbox and everything around it, read again.
#[derive(Debug)]
pub struct Loaded {
    pub page: Page,
    pub counts: ClockCounts,
    pub alert_rows: Vec<InboxRow>,
    pub follow_ups: Vec<FollowUp>,
    pub outbox: OutboxCounts,
    pub purge_due: bool,
    pub takes: Vec<Take>,
    /// The open thread read again (`None` inside: it is gone); `None`: not read.
    pub thread: Option<(Option<ThreadDetail>, Option<Draft>)>,
}

/// A file attached to the reply: its name and size, or why it cannot go.
pub type AttachmentCheck = (String, Result<u64, String>);

/// What the composer opens with.
#[derive(Debug)]
pub struct ReplyStart {
    pub facts: ReplyFacts,
    pub draft: Option<Draft>,
    pub attachments: Vec<AttachmentCheck>,
}

/// A reply checked before the confirmation: the rules, who else writes here.
#[derive(Debug)]
pub struct SendCheck {
    pub thread: i64,
    pub body: String,
    pub reply: crate::reply::outbox::Reply,
    /// Other terminals' composers, as of now.
    pub takes: Option<Vec<Take>>,
}

/// What went wrong, by what the seller was doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Reading the inbox.
    Read(String),
    /// Sending a reply.
    NotSent(String),
    /// Saving the composer's text: tried again at the next pause.
    DraftNotSaved {
        thread: i64,
        error: String,
    },
    Rates(String),
    /// Starting live intake.
    Intake(String),
    /// Starting the background sender.
    Delivery(String),
    /// Telling other terminals which thread this one writes on.
    Presence(String),
    /// Anything else, said as it is.
    Other(String),
}

#[derive(Debug)]
pub enum Outcome {
    Loaded(Box<Loaded>),
    Paged(Page),
    /// The open thread and its draft; `None`: there is no such thread.
    ThreadOpened(Option<Box<ThreadDetail>>, Option<Draft>),
    Counts(ClockCounts),
    /// What the template manager's thread fills placeholders with; `None`: no thread.
    TemplateThread(Option<Box<crate::store::reply::ReplyFacts>>),
    Rates(Box<PanelRates>),
    /// What response rates count changed: compute them again.
    RatesStale,
    Marked(MarkKind),
    MarkUndone(Option<MarkKind>),
    /// `rating` and whether it is now marked removed; `None`: no feedback on the order.
    FeedbackToggled {
        order: String,
        now_removed: Option<(u8, bool)>,
    },
    ComposerReady(Box<ReplyStart>),
    /// A message the seller starts: the composer is ready, this is its reason and rules.
    WritingFirst {
        reason: Reason,
        subject: String,
        facts: Box<compliance::Proactive>,
    },
    DraftSaved {
        thread: i64,
        draft: Option<Draft>,
    },
    SendChecked(Box<SendCheck>),
    Sent(Box<crate::reply::Sent>),
    Templates {
        rows: Vec<TemplateRow>,
        select: Option<i64>,
        change: Option<TemplateChange>,
    },
    /// The external editor gave the reply back.
    ReplyEdited {
        thread: i64,
        before: String,
        after: String,
    },
    /// A template edit that cannot be saved: offered again, the edit kept.
    TemplateEditBroken {
        id: Option<i64>,
        text: String,
        problem: String,
    },
    TemplateNotCreated,
    CategorySet(Category),
    NoteAdded,
    Escalated {
        channel: EscalationChannel,
        follow_up_at: DateTime<Utc>,
    },
    CheckBackSet(DateTime<Utc>),
    FollowUpClosed(Option<FollowUp>),
    Snoozed(DateTime<Utc>),
    Woken(bool),
    Attached {
        thread: i64,
        path: String,
        size: u64,
        files: Vec<AttachmentCheck>,
    },
    Detached {
        thread: i64,
        path: Option<String>,
        files: Vec<AttachmentCheck>,
    },
    AttachmentsSaved {
        count: usize,
        dir: String,
    },
    NoAttachments,
    /// The thread written out as evidence.
    Exported(String),
    /// One action done on several threads.
    ManyDone {
        count: usize,
        what: ManyDone,
    },
    /// Replies queued again, and unknown ones left alone.
    Requeued {
        queued: usize,
        skipped: usize,
    },
    /// Mail the live intake imported, and what it could not.
    Arrived {
        imported: u64,
        errors: Vec<String>,
    },
    /// The background sender's reports.
    Delivered(Vec<Result<crate::delivery::Summary, String>>),
    /// Another process committed to the database.
    DataChanged,
    Failed(Failure),
}

/// What was done to several threads at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManyDone {
    Marked,
    Kind(Category),
    Snoozed(DateTime<Utc>),
}

/// A change made in the template manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateChange {
    Duplicated,
    Deleted,
    Saved(String),
}

impl App {
    pub(super) fn apply(&mut self, outcome: Outcome, now: DateTime<Utc>) -> Option<Effect> {
        match outcome {
            Outcome::Loaded(l) => self.apply_loaded(*l),
            Outcome::Paged(p) => self.apply_page(p),
            Outcome::ThreadOpened(detail, draft) => {
                self.thread = detail.map(|d| *d);
                self.thread_draft = draft;
                self.thread_scroll = 0;
                // Layouts of this thread's bodies stay (back to the inbox and in again).
                let ids: Vec<i64> = self
                    .thread
                    .iter()
                    .flat_map(|t| t.messages.iter().map(|m| m.id))
                    .collect();
                self.body_layouts.get_mut().retain(|id, _| ids.contains(id));
                if self.thread.is_some() && self.focus != Focus::Composer {
                    self.focus = Focus::Thread;
                }
            }
            Outcome::Counts(counts) => return self.apply_counts(counts),
            Outcome::TemplateThread(facts) => {
                self.template_thread = facts.map(|f| {
                    let mut context = f.context;
                    self.config.sign(&mut context);
                    let label = crate::text::safe_text::line(&format!(
                        "{} · {}",
                        context.buyer_name.as_deref().unwrap_or("buyer"),
                        context.order_id.as_deref().unwrap_or("no order")
                    ))
                    .into_owned();
                    super::TemplateThread { label, context }
                });
            }
            Outcome::Rates(r) => self.apply_rates(*r),
            Outcome::RatesStale => self.rates_asked += 1,
            Outcome::Marked(kind) => self.notice = Some(notices::marked(kind)),
            Outcome::MarkUndone(kind) => self.notice = Some(notices::undone(kind)),
            Outcome::FeedbackToggled { order, now_removed } => {
                self.notice = Some(notices::feedback(&order, now_removed))
            }
            Outcome::ComposerReady(start) => self.open_composer(*start),
            Outcome::WritingFirst {
                reason,
                subject,
                facts,
            } => {
                if let Some(c) = self.composer.as_mut() {
                    // A fresh message naming the order (a rule of its own).
                    let order = facts.order_id.clone().unwrap_or_default();
                    let start = format!(
                        "Hello {{{{buyer_first_name}}}},\n\nabout your order {order}: \n\nKind regards,\n{{{{seller_name}}}}"
                    );
                    let filled = crate::domain::template::fill(
                        &start,
                        &c.context,
                        now,
                        self.config.timezone,
                    );
                    c.replace(&filled, now);
                    c.start_proactive(reason, *facts, subject, now);
                }
                self.notice = Some(format!("Writing first: {}", reason.label()));
            }
            Outcome::DraftSaved { thread, draft } => {
                if let Some(c) = self.composer.as_mut().filter(|c| c.thread_id == thread) {
                    c.saved_at = Some(now);
                }
                if self.thread.as_ref().is_some_and(|t| t.row.id == thread) {
                    self.thread_draft = draft;
                }
            }
            Outcome::SendChecked(check) => {
                if let Some(takes) = check.takes.clone() {
                    self.takes = takes;
                }
                if let Err(refused) = self.ask_to_send(*check, now) {
                    self.notice = Some(refused);
                }
            }
            Outcome::Sent(sent) => {
                self.composer = None;
                self.focus = Focus::Thread;
                self.notice = Some(notices::sent(&sent));
                if sent.delivered.is_none() {
                    self.replies_queued += 1;
                }
            }
            Outcome::Templates {
                rows,
                select,
                change,
            } => {
                self.templates = rows;
                self.template_selected = self
                    .template_selected
                    .min(self.templates.len().saturating_sub(1));
                if let Some(i) =
                    select.and_then(|id| self.templates.iter().position(|t| t.id == id))
                {
                    self.template_selected = i;
                }
                if let Some(change) = change {
                    self.notice = Some(notices::template(&change));
                }
            }
            Outcome::ReplyEdited {
                thread,
                before,
                after,
            } => {
                if let Some(c) = self.composer.as_mut().filter(|c| c.thread_id == thread) {
                    if after != before {
                        c.replace(&after, now);
                    }
                    c.saved_at = Some(now);
                }
            }
            Outcome::TemplateEditBroken { id, text, problem } => {
                self.modal = Some(Modal::Confirm(Confirm {
                    title: "Template not saved".into(),
                    question: format!("{problem}\n\nEdit it again? (Esc drops the edit)"),
                    on_yes: Effect::EditTemplate {
                        id,
                        text: Some(text),
                    },
                }));
            }
            Outcome::TemplateNotCreated => self.notice = Some("No template created".into()),
            Outcome::CategorySet(category) => {
                self.notice = Some(format!("Kind: {}", category.label()))
            }
            Outcome::NoteAdded => self.notice = Some("Note added to the timeline".into()),
            Outcome::Escalated {
                channel,
                follow_up_at,
            } => {
                self.notice = Some(format!(
                    "Escalated ({}): follow up {}",
                    channel.label(),
                    crate::text::time_fmt::local(follow_up_at, self.config.timezone)
                ))
            }
            Outcome::CheckBackSet(due_at) => {
                self.notice = Some(format!(
                    "Reminder set: check back {}",
                    crate::text::time_fmt::local(due_at, self.config.timezone)
                ))
            }
            Outcome::FollowUpClosed(closed) => {
                self.notice = Some(match closed {
                    Some(f) => format!("Closed: {}", f.describe()),
                    None => "No open escalation or reminder on this thread".into(),
                })
            }
            Outcome::Snoozed(until) => {
                self.notice = Some(format!(
                    "Snoozed until {} (the clock keeps running: it still alerts when due)",
                    crate::text::time_fmt::local(until, self.config.timezone)
                ))
            }
            Outcome::Woken(woken) => {
                self.notice = Some(if woken {
                    "Back in the inbox".into()
                } else {
                    "Not snoozed".into()
                })
            }
            Outcome::Attached {
                thread,
                path,
                size,
                files,
            } => {
                self.notice = Some(format!(
                    "Attached {} ({})",
                    crate::text::safe_text::line(&path),
                    notices::human_size(size)
                ));
                self.set_attachments(thread, &files);
            }
            Outcome::Detached {
                thread,
                path,
                files,
            } => {
                self.notice = Some(match path {
                    Some(p) => format!("Took {} off the reply", crate::text::safe_text::line(&p)),
                    None => "No file attached".into(),
                });
                self.set_attachments(thread, &files);
            }
            Outcome::AttachmentsSaved { count, dir } => {
                self.notice = Some(format!(
                    "Saved {count} file{} to {}",
                    if count == 1 { "" } else { "s" },
                    crate::text::safe_text::line(&dir)
                ))
            }
            Outcome::NoAttachments => self.notice = Some("This thread has no attachments".into()),
            Outcome::ManyDone { count, what } => {
                let threads = format!("{count} thread{}", if count == 1 { "" } else { "s" });
                self.notice = Some(match what {
                    ManyDone::Marked => format!("Marked {threads} \"no response needed\""),
                    ManyDone::Kind(c) => format!("{threads}: kind {}", c.label()),
                    ManyDone::Snoozed(until) => format!(
                        "Snoozed {threads} until {} (their clocks keep running)",
                        crate::text::time_fmt::local(until, self.config.timezone)
                    ),
                });
            }
            Outcome::Exported(path) => {
                self.notice = Some(format!(
                    "Thread exported as evidence to {}",
                    crate::text::safe_text::line(&path)
                ))
            }
            Outcome::Requeued { queued, skipped } => {
                if queued > 0 {
                    self.replies_queued += 1;
                    self.rates_asked += 1;
                }
                self.notice = Some(notices::requeued(queued, skipped));
            }
            Outcome::Arrived { imported, errors } => {
                if let Some(e) = errors.last() {
                    self.notice = Some(format!("new mail not imported: {e}"));
                }
                if imported > 0 {
                    self.notice = Some(format!(
                        "{imported} new message{} imported",
                        if imported == 1 { "" } else { "s" }
                    ));
                    self.rates_asked += 1;
                    return Some(Effect::Reload);
                }
            }
            Outcome::Delivered(reports) => {
                let last = reports.last()?;
                self.notice = Some(match last {
                    Ok(s) => notices::delivered(s),
                    Err(e) => format!("delivery stopped: {e}"),
                });
                self.rates_asked += 1;
                return Some(Effect::Reload);
            }
            Outcome::DataChanged => {
                self.rates_asked += 1;
                return Some(Effect::Reload);
            }
            Outcome::Failed(failure) => self.apply_failure(failure, now),
        }
        None
    }

    fn apply_page(&mut self, p: Page) {
        self.total = p.total;
        self.total_of = Some(self.list_key());
        self.offset = p.offset;
        self.rows = p.rows;
        if self.selected >= self.total {
            self.selected = self.total.saturating_sub(1);
        }
    }

    fn apply_loaded(&mut self, l: Loaded) {
        self.apply_page(l.page);
        self.metrics.counts = l.counts;
        self.alert_rows = l.alert_rows;
        self.metrics.follow_ups = l.follow_ups;
        self.metrics.outbox = l.outbox;
        self.metrics.purge_due = l.purge_due;
        self.takes = l.takes;
        if let Some((detail, draft)) = l.thread {
            self.thread = detail;
            self.thread_draft = draft;
        }
    }

    /// Every second: countdowns move on their own; counts follow, and a thread crossing into
    /// due soon or overdue says so (and the inbox reloads to show it).
    fn apply_counts(&mut self, counts: ClockCounts) -> Option<Effect> {
        let before = self.metrics.counts;
        self.metrics.counts = counts;
        if counts.overdue > before.overdue {
            let n = counts.overdue - before.overdue;
            self.notice = Some(format!(
                "{n} thread{} just became overdue",
                if n == 1 { "" } else { "s" }
            ));
            Some(Effect::Reload)
        } else if counts.due_soon > before.due_soon {
            self.notice = Some("A thread is now due within the next hours".into());
            Some(Effect::Reload)
        } else {
            None
        }
    }

    /// Puts computed rates on the panel; a metric whose status changed says so.
    fn apply_rates(&mut self, r: PanelRates) {
        if let (Some(before), Some(after)) = (&self.metrics.account, &r.account)
            && let Some(change) = notices::status_change(before, after)
        {
            self.notice = Some(change);
        }
        self.metrics.late = r.late;
        self.metrics.late_per_day = r.late_per_day;
        self.metrics.recurring = r.recurring.0;
        self.metrics.recurring_total = r.recurring.1;
        let first = self.metrics.account.is_none();
        self.metrics.account = r.account;
        // A refresh without history keeps the last one.
        if !r.trends.is_empty() {
            self.metrics.trends = r.trends;
        }
        // Metrics arrive after the first frame: a troubled one still makes the startup
        // alert, as long as the seller has not started working.
        if first && !self.started && self.modal.is_none() {
            self.open_startup_alert();
        }
    }

    fn open_composer(&mut self, start: ReplyStart) {
        let ReplyStart {
            facts,
            draft,
            attachments,
        } = start;
        let mut context = facts.context;
        self.config.sign(&mut context);
        // Dates written before any template goes in follow the buyer's language.
        context.language = Some(facts.language.to_string());
        let to = match (&facts.to_name, &facts.to_addr) {
            (Some(n), Some(a)) => format!("{n} <{a}>"),
            (None, Some(a)) => a.clone(),
            (Some(n), None) => format!("{n} (no address)"),
            (None, None) => "(no buyer address)".into(),
        };
        let mut composer = Composer::new(
            facts.thread_id,
            to,
            crate::reply::outbox::reply_subject(&facts.subject),
            context,
            draft.as_ref().map(|d| (d.body.as_str(), d.updated_at)),
        );
        composer.language = facts.language;
        composer.kind = facts.kind.clone();
        composer.buyer_phrases = facts
            .kind
            .as_deref()
            .and_then(crate::domain::category::Category::parse)
            .map(|k| self.config.classifier.phrases_in(k, &facts.buyer_text))
            .unwrap_or_default();
        composer.attachments = attachments.iter().map(notices::attachment).collect();
        composer.recipient_known = facts.to_addr.is_some();
        self.composer = Some(composer);
        self.focus = Focus::Composer;
    }

    fn set_attachments(&mut self, thread: i64, files: &[AttachmentCheck]) {
        if let Some(c) = self.composer.as_mut().filter(|c| c.thread_id == thread) {
            c.attachments = files.iter().map(notices::attachment).collect();
        }
    }

    fn apply_failure(&mut self, failure: Failure, now: DateTime<Utc>) {
        self.notice = Some(match failure {
            Failure::Read(e) => format!("could not read the inbox: {e}"),
            Failure::NotSent(e) => format!("not sent: {e}"),
            Failure::DraftNotSaved { thread, error } => {
                // Tried again at the next pause.
                if let Some(c) = self.composer.as_mut().filter(|c| c.thread_id == thread) {
                    c.edited(now);
                }
                format!("draft not saved: {error}")
            }
            Failure::Rates(e) => format!("could not compute response rates: {e}"),
            Failure::Intake(e) => format!("not watching mailboxes: {e}"),
            Failure::Delivery(e) => format!("replies will not be delivered: {e}"),
            Failure::Presence(e) => format!("could not tell other terminals: {e}"),
            Failure::Other(e) => e,
        });
    }
}
