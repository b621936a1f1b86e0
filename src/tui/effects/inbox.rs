//! Effects on the inbox and its threads: opening, marks, kinds, notes, escalations and
//! reminders, snoozes, saved attachments.

use chrono::{DateTime, Utc};

use crate::domain::category::Category;
use crate::store::Store;
use crate::store::follow_ups::EscalationChannel;
use crate::store::marks::MarkKind;
use crate::tui::state::{App, Failure, ManyDone, Outcome};

type Done = Result<Outcome, Failure>;

fn failed(e: impl ToString) -> Failure {
    Failure::Other(e.to_string())
}

pub fn open_thread(store: &mut Store, id: i64) -> Done {
    store.mark_read(id).map_err(failed)?;
    let detail = store.thread_detail(id).map_err(failed)?;
    let draft = store.draft(id).map_err(failed)?;
    Ok(Outcome::ThreadOpened(detail.map(Box::new), draft))
}

pub fn mark_no_response(store: &mut Store, id: i64, now: DateTime<Utc>) -> Done {
    store
        .mark(id, MarkKind::NoResponseNeeded, now)
        .map_err(failed)?;
    Ok(Outcome::Marked(MarkKind::NoResponseNeeded))
}

pub fn undo_mark(store: &mut Store, id: i64, now: DateTime<Utc>) -> Done {
    Ok(Outcome::MarkUndone(
        store.undo_last_mark(id, now).map_err(failed)?,
    ))
}

/// Marks the order's feedback removed, or counts it again when it is marked.
pub fn toggle_feedback_removed(store: &mut Store, order: &str, now: DateTime<Utc>) -> Done {
    let Some((rating, _, removed)) = store.feedback_of(order).map_err(failed)? else {
        return Ok(Outcome::FeedbackToggled {
            order: order.into(),
            now_removed: None,
        });
    };
    let to = if removed.is_some() { None } else { Some(now) };
    store.set_feedback_removed(order, to).map_err(failed)?;
    Ok(Outcome::FeedbackToggled {
        order: order.into(),
        now_removed: Some((rating, to.is_some())),
    })
}

pub fn set_category(
    store: &mut Store,
    thread: i64,
    category: Category,
    now: DateTime<Utc>,
) -> Done {
    store.set_category(thread, category, now).map_err(failed)?;
    Ok(Outcome::CategorySet(category))
}

pub fn add_note(store: &mut Store, thread: i64, text: &str, now: DateTime<Utc>) -> Done {
    store.add_note(thread, text, now).map_err(failed)?;
    Ok(Outcome::NoteAdded)
}

pub fn escalate(
    store: &mut Store,
    thread: i64,
    channel: EscalationChannel,
    case_id: &str,
    follow_up_at: DateTime<Utc>,
    now: DateTime<Utc>,
    app: &App,
) -> Done {
    store
        .escalate(
            thread,
            channel,
            case_id,
            follow_up_at,
            now,
            app.config.timezone,
        )
        .map_err(failed)?;
    Ok(Outcome::Escalated {
        channel,
        follow_up_at,
    })
}

pub fn check_back(
    store: &mut Store,
    thread: i64,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    app: &App,
) -> Done {
    store
        .check_back(thread, due_at, now, app.config.timezone)
        .map_err(failed)?;
    Ok(Outcome::CheckBackSet(due_at))
}

pub fn close_follow_up(store: &mut Store, thread: i64, outcome: &str, now: DateTime<Utc>) -> Done {
    Ok(Outcome::FollowUpClosed(
        store
            .close_follow_up(thread, outcome, now)
            .map_err(failed)?,
    ))
}

/// Hides the thread until then; `None` shows it again.
pub fn snooze(
    store: &mut Store,
    thread: i64,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    app: &App,
) -> Done {
    match until {
        Some(until) => {
            store
                .snooze(thread, until, now, app.config.timezone)
                .map_err(failed)?;
            Ok(Outcome::Snoozed(until))
        }
        None => Ok(Outcome::Woken(store.wake(thread, now).map_err(failed)?)),
    }
}

/// Writes every attachment of the thread's messages into `dir`.
pub fn save_attachments(store: &Store, thread: i64, dir: &str) -> Done {
    let dir = crate::config::expand_home(dir.trim());
    let files = store.thread_attachments(thread).map_err(failed)?;
    if files.is_empty() {
        return Ok(Outcome::NoAttachments);
    }
    let written = crate::reply::attachments::save_all(&files, &dir)
        .map_err(|e| Failure::Other(format!("{}: {e}", dir.display())))?;
    Ok(Outcome::AttachmentsSaved {
        count: written.len(),
        dir: dir.display().to_string(),
    })
}

/// Writes the thread out as evidence into a new file at `path` (`.txt`: plain text, else
/// Markdown); an existing file is never overwritten.
pub fn export_thread(
    store: &Store,
    thread: i64,
    path: &str,
    app: &App,
    now: DateTime<Utc>,
) -> Done {
    let path = crate::config::expand_home(path.trim());
    let Some(detail) = store.thread_detail(thread).map_err(failed)? else {
        return Err(Failure::Other(format!("there is no thread {thread}")));
    };
    let format = if path.extension().is_some_and(|e| e == "txt") {
        crate::export::Format::Text
    } else {
        crate::export::Format::Markdown
    };
    let text = crate::export::thread(&detail, format, app.config.timezone, now);
    crate::export::write_new(&path, &text).map_err(|e| {
        Failure::Other(format!(
            "{}: {e} (an existing file is never overwritten)",
            path.display()
        ))
    })?;
    Ok(Outcome::Exported(path.display().to_string()))
}

/// Marks every thread "no response needed".
pub fn mark_many(store: &mut Store, threads: &[i64], now: DateTime<Utc>) -> Done {
    for &id in threads {
        store
            .mark(id, MarkKind::NoResponseNeeded, now)
            .map_err(failed)?;
    }
    Ok(Outcome::ManyDone {
        count: threads.len(),
        what: ManyDone::Marked,
    })
}

pub fn set_category_many(
    store: &mut Store,
    threads: &[i64],
    category: Category,
    now: DateTime<Utc>,
) -> Done {
    for &id in threads {
        store.set_category(id, category, now).map_err(failed)?;
    }
    Ok(Outcome::ManyDone {
        count: threads.len(),
        what: ManyDone::Kind(category),
    })
}

pub fn snooze_many(
    store: &mut Store,
    threads: &[i64],
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    app: &App,
) -> Done {
    for &id in threads {
        store
            .snooze(id, until, now, app.config.timezone)
            .map_err(failed)?;
    }
    Ok(Outcome::ManyDone {
        count: threads.len(),
        what: ManyDone::Snoozed(until),
    })
}
