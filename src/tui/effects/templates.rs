//! Effects on reply templates: loading, renaming, duplicating, deleting. (Editing goes through
//! the external editor: `editor.rs`.)

use chrono::{DateTime, Utc};

use crate::store::Store;
use crate::tui::state::{Failure, Outcome, TemplateChange};

type Done = Result<Outcome, Failure>;

fn failed(e: impl ToString) -> Failure {
    Failure::Other(e.to_string())
}

/// Every template, `select` selected, saying what `change` was made.
pub fn load(store: &Store, select: Option<i64>, change: Option<TemplateChange>) -> Done {
    Ok(Outcome::Templates {
        rows: store.templates().map_err(failed)?,
        select,
        change,
    })
}

/// Every template, and what the placeholders become on `thread` (the manager's preview).
pub fn manage(store: &Store, thread: Option<i64>) -> Vec<Outcome> {
    let mut out = vec![load(store, None, None).unwrap_or_else(Outcome::Failed)];
    // Without the thread's facts the preview says what each placeholder means instead.
    out.push(match thread.map(|id| store.reply_facts(id)).transpose() {
        Ok(facts) => Outcome::TemplateThread(facts.flatten().map(Box::new)),
        Err(e) => Outcome::Failed(failed(e)),
    });
    out
}

pub fn rename(store: &mut Store, id: i64, name: &str, now: DateTime<Utc>) -> Done {
    store.rename_template(id, name, now).map_err(failed)?;
    load(store, Some(id), None)
}

pub fn duplicate(store: &mut Store, id: i64, now: DateTime<Utc>) -> Done {
    let copy = store.duplicate_template(id, now).map_err(failed)?;
    load(store, Some(copy), Some(TemplateChange::Duplicated))
}

pub fn delete(store: &mut Store, id: i64) -> Done {
    store.delete_template(id).map_err(failed)?;
    load(store, None, Some(TemplateChange::Deleted))
}
