//! Where the app meets the store: performing effects and loading what the views show. Errors
//! become a notice on the status bar; the app keeps running.

use crate::domain::response::late_response_rate;
use crate::store::Store;
use crate::store::marks::MarkKind;

use super::state::{App, Effect, Focus};

/// Rows loaded around the selection: the visible page and one either side.
fn window(app: &App) -> (u64, u64) {
    let page = app.page_height.max(1);
    (app.selected.saturating_sub(page), page * 3)
}

fn load(app: &mut App, store: &Store) -> Result<(), crate::store::StoreError> {
    let now = app.now;
    let th = app.config.thresholds;
    app.total = store.inbox_count(app.filter, now)?;
    if app.selected >= app.total {
        app.selected = app.total.saturating_sub(1);
    }
    let (offset, limit) = window(app);
    app.rows = store.inbox_page(app.filter, now, offset, limit)?;
    app.offset = offset;
    app.metrics.counts = store.clock_counts(now, &th)?;
    app.alert_rows = store.urgent_threads(now, &th, Some(8))?;
    if let Some(id) = app.thread.as_ref().map(|t| t.row.id) {
        app.thread = store.thread_detail(id)?;
    }
    Ok(())
}

pub fn refresh(app: &mut App, store: &Store) {
    if let Err(e) = load(app, store) {
        app.notice = Some(format!("could not read the inbox: {e}"));
    }
}

/// The late-response rates read every buyer message of 90 days: done after the first frame is
/// on screen, after a mark, and once a minute — never on the way to drawing a key press.
pub fn refresh_rates(app: &mut App, store: &Store) {
    let now = app.now;
    let result = store.buyer_messages_since(now, 90).and_then(|recent| {
        app.metrics.late = [7, 30, 90]
            .iter()
            .map(|&d| late_response_rate(&recent, now, d))
            .collect();
        app.metrics.late_per_day = store.late_per_day(now, 14)?;
        Ok(())
    });
    if let Err(e) = result {
        app.notice = Some(format!("could not compute response rates: {e}"));
    }
}

/// Every second: countdowns move on their own; counts follow, and a thread crossing into
/// due soon or overdue says so.
pub fn tick(app: &mut App, store: &Store) {
    let before = app.metrics.counts;
    match store.clock_counts(app.now, &app.config.thresholds) {
        Ok(counts) => {
            if counts.overdue > before.overdue {
                app.notice = Some(format!(
                    "{} thread{} just became overdue",
                    counts.overdue - before.overdue,
                    if counts.overdue - before.overdue == 1 {
                        ""
                    } else {
                        "s"
                    }
                ));
                refresh(app, store);
            } else if counts.due_soon > before.due_soon {
                app.notice = Some("A thread is now due within the next hours".into());
                refresh(app, store);
            }
            app.metrics.counts = counts;
        }
        Err(e) => app.notice = Some(format!("could not read the inbox: {e}")),
    }
}

pub fn perform(app: &mut App, store: &mut Store, effect: Effect) {
    let now = app.now;
    let result = match effect.clone() {
        Effect::Reload => Ok(()),
        Effect::OpenThread(id) => store.mark_read(id).and_then(|_| {
            app.thread = store.thread_detail(id)?;
            app.focus = Focus::Thread;
            app.thread_scroll = 0;
            Ok(())
        }),
        Effect::MarkNoResponse(id) => store
            .mark(id, MarkKind::NoResponseNeeded, now)
            .map(|_| app.notice = Some("Marked \"no response needed\" · u undoes".into())),
        Effect::UndoMark(id) => store.undo_last_mark(id, now).map(|undone| {
            app.notice = Some(match undone {
                Some(kind) => format!("Undid {}", kind.as_str().replace('_', " ")),
                None => "Nothing to undo on this thread".into(),
            })
        }),
    };
    let notice = app.notice.take();
    if let Err(e) = result {
        app.notice = Some(format!("failed: {e}"));
    }
    refresh(app, store);
    if matches!(effect, Effect::MarkNoResponse(_) | Effect::UndoMark(_)) {
        refresh_rates(app, store);
    }
    if app.notice.is_none() {
        app.notice = notice;
    }
}
