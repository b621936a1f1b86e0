//! The effect executor: where the app meets the store. Each effect is performed against the
//! store (reading the app, never writing it) and comes back as `Outcome`s for `App::update`.
//! Errors are outcomes too: the app keeps running. By area: the inbox and its threads
//! (`inbox.rs`), replies (`reply.rs`), templates (`templates.rs`), the external editor
//! (`editor.rs`).

pub mod editor;
mod inbox;
mod reply;
mod templates;

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::store::Store;
use crate::store::search::SEARCH_LIMIT;

use super::rates;
use super::state::{App, Effect, Failure, Loaded, Msg, Outcome, Page};

/// The external editor and the terminal it takes over, for the effects that need them.
pub struct Terminal<'a> {
    pub handoff: &'a mut dyn editor::Handoff,
    /// The editor's shell command (`editor::editor_command()`).
    pub editor: String,
}

/// Hands `msg` to the app and performs what follows until nothing does. Without a terminal,
/// effects that need one say so.
pub fn settle(
    app: &mut App,
    store: &mut Store,
    msg: impl Into<Msg>,
    now: DateTime<Utc>,
    terminal: Option<&mut Terminal>,
) {
    let next = app.update(msg, now);
    follow(app, store, next, now, terminal);
}

/// Performs `effect` and what its outcomes lead to, until nothing does.
pub fn follow(
    app: &mut App,
    store: &mut Store,
    effect: Option<Effect>,
    now: DateTime<Utc>,
    mut terminal: Option<&mut Terminal>,
) {
    let mut effects: VecDeque<Effect> = effect.into_iter().collect();
    while let Some(effect) = effects.pop_front() {
        let outcomes = match effect {
            Effect::EditReply { .. } | Effect::EditTemplate { .. } => match terminal.as_mut() {
                Some(t) => editor::perform(store, effect, now, t),
                None => vec![Outcome::Failed(Failure::Other(
                    "the external editor needs the terminal".into(),
                ))],
            },
            other => perform(app, store, other, now),
        };
        for outcome in outcomes {
            effects.extend(app.update(outcome, now));
        }
    }
}

/// Performs `effect`. Only what it changed is read again: an autosave touches nothing on
/// screen.
pub fn perform(app: &App, store: &mut Store, effect: Effect, now: DateTime<Utc>) -> Vec<Outcome> {
    use Effect as E;
    let (done, reload, rates) = match effect {
        E::Page => return vec![page(app, store, now)],
        E::Reload => return vec![load(app, store, now, true)],
        E::OpenThread(id) => {
            let opened = inbox::open_thread(store, id);
            let failed = opened.is_err();
            let mut out = vec![done_or(opened)];
            // The thread was just read: the rest around it is (marking it read moves no
            // thread in or out of the list, so its count stands).
            out.push(load_counting(app, store, now, failed, false));
            return out;
        }
        E::MarkNoResponse(id) => (inbox::mark_no_response(store, id, now), true, true),
        E::UndoMark(id) => (inbox::undo_mark(store, id, now), true, true),
        E::ToggleFeedbackRemoved(order) => (
            inbox::toggle_feedback_removed(store, &order, now),
            true,
            true,
        ),
        E::SetCategory { thread, category } => (
            inbox::set_category(store, thread, category, now),
            true,
            false,
        ),
        E::AddNote { thread, text } => (inbox::add_note(store, thread, &text, now), true, false),
        E::Escalate {
            thread,
            channel,
            case_id,
            follow_up_at,
        } => (
            inbox::escalate(store, thread, channel, &case_id, follow_up_at, now, app),
            true,
            false,
        ),
        E::CheckBack { thread, due_at } => (
            inbox::check_back(store, thread, due_at, now, app),
            true,
            false,
        ),
        E::CloseFollowUp { thread, outcome } => (
            inbox::close_follow_up(store, thread, &outcome, now),
            true,
            false,
        ),
        E::Snooze { thread, until } => (inbox::snooze(store, thread, until, now, app), true, false),
        E::SaveAttachments { thread, dir } => {
            (inbox::save_attachments(store, thread, &dir), false, false)
        }
        E::MarkMany(threads) => (inbox::mark_many(store, &threads, now), true, true),
        E::SetCategoryMany { threads, category } => (
            inbox::set_category_many(store, &threads, category, now),
            true,
            false,
        ),
        E::SnoozeMany { threads, until } => (
            inbox::snooze_many(store, &threads, until, now, app),
            true,
            false,
        ),
        E::ExportThread { thread, path } => (
            inbox::export_thread(store, thread, &path, app, now),
            false,
            false,
        ),
        E::OpenComposer(id) => return reply::open_composer(app, store, id),
        E::WriteFirst { thread, reason } => return reply::write_first(app, store, thread, reason),
        E::SaveDraft { thread, body } => {
            (reply::save_draft(store, thread, &body, now), false, false)
        }
        E::PrepareSend { thread, body } => (
            reply::prepare_send(app, store, thread, body, now),
            false,
            false,
        ),
        E::Send {
            thread,
            body,
            overridden,
        } => {
            let sent = reply::send(app, store, thread, &body, &overridden, now);
            let ok = sent.is_ok();
            (sent, ok, ok)
        }
        E::Attach { thread, path } => (reply::attach(store, thread, path, now), false, false),
        E::RetryDelivery {
            thread,
            even_if_unknown,
        } => (
            reply::retry_delivery(store, thread, even_if_unknown, now),
            true,
            false,
        ),
        E::LoadTemplates => (templates::load(store, None, None), false, false),
        E::ManageTemplates(thread) => return templates::manage(store, thread),
        E::RenameTemplate { id, name } => (templates::rename(store, id, &name, now), false, false),
        E::DuplicateTemplate(id) => (templates::duplicate(store, id, now), false, false),
        E::DeleteTemplate(id) => (templates::delete(store, id), false, false),
        // The loop hands these to the external editor (`settle`).
        E::EditReply { .. } | E::EditTemplate { .. } => return Vec::new(),
    };
    let failed = done.is_err();
    let mut out = vec![done_or(done)];
    if reload {
        out.push(load(app, store, now, true));
    }
    if rates {
        out.push(Outcome::RatesStale);
    }
    // A failure is the last word on the status bar.
    if failed {
        out.rotate_left(1);
    }
    out
}

fn done_or(result: Result<Outcome, Failure>) -> Outcome {
    result.unwrap_or_else(Outcome::Failed)
}

/// Rows loaded around the selection: the visible page and one either side.
fn window(selected: u64, page_height: u64) -> (u64, u64) {
    let page = page_height.max(1);
    (selected.saturating_sub(page), page * 3)
}

/// The inbox list: its length and the rows around the selection.
fn read_page(
    app: &App,
    store: &Store,
    now: DateTime<Utc>,
    count: bool,
) -> Result<Page, crate::store::StoreError> {
    if let Some(q) = &app.search {
        let rows = store.search_threads(app.filter, app.kind, q, now, SEARCH_LIMIT)?;
        Ok(Page {
            total: rows.len() as u64,
            rows,
            offset: 0,
        })
    } else {
        let total = if count {
            store.inbox_count(app.filter, app.kind, now)?
        } else {
            app.total
        };
        let selected = app.selected.min(total.saturating_sub(1));
        let (offset, limit) = window(selected, app.page_height);
        let rows = store.inbox_page(app.filter, app.kind, now, offset, limit)?;
        Ok(Page {
            rows,
            total,
            offset,
        })
    }
}

/// The rows a move within the list needs (the list's count is read again when it is another
/// list: counting every thread of a large inbox costs more than the rows).
pub fn page(app: &App, store: &Store, now: DateTime<Utc>) -> Outcome {
    match read_page(app, store, now, app.total_of != Some(app.list_key())) {
        Ok(p) => Outcome::Paged(p),
        Err(e) => Outcome::Failed(Failure::Read(e.to_string())),
    }
}

/// The inbox, its counts, alert rows, follow-ups, outbox, other terminals' takes, and with
/// `thread` the open thread again.
pub fn load(app: &App, store: &Store, now: DateTime<Utc>, thread: bool) -> Outcome {
    load_counting(app, store, now, thread, true)
}

/// [`load`]; without `count`, the list's count is reused when it is for this list.
fn load_counting(
    app: &App,
    store: &Store,
    now: DateTime<Utc>,
    thread: bool,
    count: bool,
) -> Outcome {
    let count = count || app.total_of != Some(app.list_key());
    let read = || -> Result<Loaded, crate::store::StoreError> {
        let th = app.config.thresholds;
        let thread = match app.thread.as_ref().map(|t| t.row.id) {
            Some(id) if thread => Some((store.thread_detail(id)?, store.draft(id)?)),
            _ => None,
        };
        Ok(Loaded {
            page: read_page(app, store, now, count)?,
            counts: store.clock_counts(now, &th)?,
            alert_rows: store.urgent_threads(now, &th, Some(8))?,
            follow_ups: store.due_follow_ups(now)?,
            outbox: store.outbox_counts()?,
            purge_due: store.purge_due(now, crate::store::purge::DEFAULT_DAYS)?,
            takes: store.others_takes(&app.instance, now)?,
            thread,
        })
    };
    match read() {
        Ok(l) => Outcome::Loaded(Box::new(l)),
        Err(e) => Outcome::Failed(Failure::Read(e.to_string())),
    }
}

/// Reads the inbox and everything around it into the app (as it opens).
pub fn reload(app: &mut App, store: &Store, now: DateTime<Utc>) {
    let loaded = load(app, store, now, true);
    app.update(loaded, now);
}

/// Computes the response rates here and now and puts them on the panel.
pub fn recompute_rates(app: &mut App, store: &Store, now: DateTime<Utc>) {
    let rates = rates_now(app, store, now);
    app.update(rates, now);
}

/// The clock counts, every second: `update` says when a thread crossed into due soon or
/// overdue.
pub fn counts(app: &App, store: &Store, now: DateTime<Utc>) -> Outcome {
    match store.clock_counts(now, &app.config.thresholds) {
        Ok(c) => Outcome::Counts(c),
        Err(e) => Outcome::Failed(Failure::Read(e.to_string())),
    }
}

/// The response rates, computed here and now (the app asks its worker thread instead: they
/// read every buyer message of 90 days).
pub fn rates_now(app: &App, store: &Store, now: DateTime<Utc>) -> Outcome {
    rates_outcome(rates::compute(store, now, true, app.config.recurring).map_err(|e| e.to_string()))
}

pub fn rates_outcome(result: Result<rates::PanelRates, String>) -> Outcome {
    match result {
        Ok(r) => Outcome::Rates(Box::new(r)),
        Err(e) => Outcome::Failed(Failure::Rates(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::TimeZone;

    fn demo() -> (tempfile::TempDir, Store, App, DateTime<Utc>) {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let mut app = App::new(Config::default(), now);
        reload(&mut app, &store, now);
        (dir, store, app, now)
    }

    #[test]
    fn moving_within_a_list_reuses_its_count_and_another_list_counts_again() {
        let (_dir, store, mut app, now) = demo();
        let counted = app.total;
        assert_eq!(app.total_of, Some(app.list_key()));
        // A count the store would not give: kept while moving, replaced for another list.
        app.total = counted + 7;
        let Outcome::Paged(p) = page(&app, &store, now) else {
            panic!("a page")
        };
        assert_eq!(p.total, counted + 7);
        app.update(crate::tui::action::Action::CycleFilter, now);
        let Outcome::Paged(p) = page(&app, &store, now) else {
            panic!("a page")
        };
        assert_eq!(
            p.total,
            store.inbox_count(app.filter, app.kind, now).unwrap()
        );
        assert_ne!(app.total_of, Some(app.list_key()));
    }

    /// As time runs, each second's counts say when a thread crosses into due soon or overdue,
    /// and the inbox is read again to show it.
    #[test]
    fn a_thread_crossing_into_due_soon_or_overdue_says_so_and_reloads() {
        let (_dir, mut store, mut app, start) = demo();
        let (mut overdue_notices, mut due_soon_notices) = (0, 0);
        for step in 1..=(48 * 6) {
            let now = start + chrono::Duration::minutes(10 * step);
            let before = app.metrics.counts;
            let counts = counts(&app, &store, now);
            settle(&mut app, &mut store, counts, now, None);
            let after = app.metrics.counts;
            let notice = app.notice.take().unwrap_or_default();
            if after.overdue > before.overdue {
                let n = after.overdue - before.overdue;
                let plural = if n == 1 { "thread" } else { "threads" };
                assert_eq!(notice, format!("{n} {plural} just became overdue"));
                overdue_notices += 1;
                // Read again: the alert lists it.
                assert_eq!(
                    app.alert_rows,
                    store
                        .urgent_threads(now, &app.config.thresholds, Some(8))
                        .unwrap()
                );
            } else if after.due_soon > before.due_soon {
                assert_eq!(notice, "A thread is now due within the next hours");
                due_soon_notices += 1;
            } else {
                assert_eq!(notice, "", "nothing crossed at {now}");
            }
        }
        assert!(
            overdue_notices > 0,
            "the demo's threads run overdue in two days"
        );
        assert!(due_soon_notices > 0, "and due soon before that");
    }

    /// A metric whose status changes between two computations says so once; the first
    /// figures (nothing to compare) and unchanged ones say nothing.
    #[test]
    fn a_metric_changing_status_says_so() {
        let (_dir, store, mut app, now) = demo();
        app.update(crate::tui::action::Action::Down, now);
        let first = rates::compute(&store, now, false, app.config.recurring).unwrap();
        app.update(rates_outcome(Ok(first.clone())), now);
        assert_eq!(app.notice, None, "the first figures compare with nothing");
        app.update(rates_outcome(Ok(first.clone())), now);
        assert_eq!(app.notice, None, "unchanged");
        let mut worse = first.clone();
        let odr = &mut worse.account.as_mut().unwrap().odr;
        odr.status = match odr.status {
            crate::domain::metrics::Status::Bad => crate::domain::metrics::Status::Good,
            _ => crate::domain::metrics::Status::Bad,
        };
        let label = odr.status.as_str().replace('_', " ");
        app.update(rates_outcome(Ok(worse)), now);
        let notice = app.notice.clone().unwrap_or_default();
        assert!(
            notice.starts_with(&format!("Order defects (seller) is now {label}: ")),
            "{notice}"
        );
    }
}
