//! Effects on replies: the composer's start, drafts, the check before sending, sending,
//! attachments, delivery retries.

use chrono::{DateTime, Utc};

use crate::domain::compliance::{Kind, Reason};
use crate::store::Store;
use crate::tui::state::{App, AttachmentCheck, Failure, Outcome, ReplyStart, SendCheck};

type Done = Result<Outcome, Failure>;

fn failed(e: impl ToString) -> Failure {
    Failure::Other(e.to_string())
}

/// The thread (opened first when it is not) and what the composer starts from.
pub fn open_composer(app: &App, store: &mut Store, id: i64) -> Vec<Outcome> {
    let mut out = Vec::new();
    if app.thread.as_ref().map(|t| t.row.id) != Some(id) {
        match super::inbox::open_thread(store, id) {
            Ok(opened) => out.push(opened),
            Err(e) => return vec![Outcome::Failed(e)],
        }
    }
    out.push(reply_start(store, id).unwrap_or_else(Outcome::Failed));
    out
}

fn reply_start(store: &Store, id: i64) -> Done {
    let facts = store
        .reply_facts(id)
        .map_err(failed)?
        .ok_or_else(|| Failure::Other(format!("there is no thread {id}")))?;
    Ok(Outcome::ComposerReady(Box::new(ReplyStart {
        facts,
        draft: store.draft(id).map_err(failed)?,
        attachments: attachments(store, id)?,
    })))
}

/// A message the seller starts on the thread's order, for `reason`.
pub fn write_first(app: &App, store: &mut Store, thread: i64, reason: Reason) -> Vec<Outcome> {
    let (subject, facts) = match crate::reply::proactive_start(store, thread, reason) {
        Ok(started) => started,
        Err(e) => return vec![Outcome::Failed(failed(e))],
    };
    let mut out = open_composer(app, store, thread);
    if !matches!(out.last(), Some(Outcome::Failed(_))) {
        out.push(Outcome::WritingFirst {
            reason,
            subject,
            facts: Box::new(facts),
        });
    }
    out
}

pub fn save_draft(store: &mut Store, thread: i64, body: &str, now: DateTime<Utc>) -> Done {
    store
        .save_draft(thread, body, now)
        .map_err(|e| Failure::DraftNotSaved {
            thread,
            error: e.to_string(),
        })?;
    Ok(Outcome::DraftSaved {
        thread,
        draft: store.draft(thread).ok().flatten(),
    })
}

/// The reply as it would go, and who else writes on the thread as of now (not as of the last
/// reload), for the confirmation.
pub fn prepare_send(
    app: &App,
    store: &Store,
    thread: i64,
    body: String,
    now: DateTime<Utc>,
) -> Done {
    let takes = store.others_takes(&app.instance, now).ok();
    let reply =
        crate::reply::prepare_message(store, &app.config, thread, &body, now, proactive(app))
            .map_err(failed)?;
    Ok(Outcome::SendChecked(Box::new(SendCheck {
        thread,
        body,
        reply,
        takes,
    })))
}

fn proactive(app: &App) -> Option<Reason> {
    app.composer
        .as_ref()
        .and_then(|c| c.proactive.as_ref())
        .map(|p| p.0)
}

pub fn send(
    app: &App,
    store: &mut Store,
    thread: i64,
    body: &str,
    overridden: &[Kind],
    now: DateTime<Utc>,
) -> Done {
    let reason = proactive(app);
    crate::reply::prepare_message(store, &app.config, thread, body, now, reason)
        .and_then(|r| crate::reply::send(store, &app.config, thread, &r, now, overridden, reason))
        .map(|sent| Outcome::Sent(Box::new(sent)))
        .map_err(|e| Failure::NotSent(e.to_string()))
}

/// The reply's files, each with its size or why it cannot go.
fn attachments(store: &Store, thread: i64) -> Result<Vec<AttachmentCheck>, Failure> {
    Ok(store
        .draft_attachments(thread)
        .map_err(failed)?
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, crate::reply::attachments::check(p))
        })
        .collect())
}

/// Attaches a file to the thread's reply after checking it (a file, ≤ 10 MB), or with no
/// path takes the last one off.
pub fn attach(store: &mut Store, thread: i64, path: Option<String>, now: DateTime<Utc>) -> Done {
    match path {
        Some(p) => {
            let path = crate::config::expand_home(p.trim());
            let path = std::path::absolute(&path).unwrap_or(path);
            let size = crate::reply::attachments::check(&path).map_err(Failure::Other)?;
            store.attach(thread, &path, now).map_err(failed)?;
            Ok(Outcome::Attached {
                thread,
                path: path.display().to_string(),
                size,
                files: attachments(store, thread)?,
            })
        }
        None => {
            let gone = store.detach_last(thread).map_err(failed)?;
            Ok(Outcome::Detached {
                thread,
                path: gone.map(|p| p.display().to_string()),
                files: attachments(store, thread)?,
            })
        }
    }
}

/// Queues the thread's failed replies again (and unknown ones when the seller accepted the
/// risk of a duplicate), for the sender to deliver.
pub fn retry_delivery(
    store: &mut Store,
    thread: i64,
    even_if_unknown: bool,
    now: DateTime<Utc>,
) -> Done {
    let entries = store.outbox_of_thread(thread).map_err(failed)?;
    let (mut queued, mut skipped) = (0, 0);
    for e in entries.iter().filter(|e| e.needs_attention()) {
        if store
            .outbox_retry(e.id, now, even_if_unknown)
            .map_err(failed)?
        {
            queued += 1;
        } else if e.state == crate::store::outbox::State::Unknown {
            skipped += 1;
        }
    }
    Ok(Outcome::Requeued { queued, skipped })
}
