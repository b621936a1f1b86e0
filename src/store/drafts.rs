//! Reply drafts, one per thread, saved while the seller types so a crash loses at most the
//! last two seconds.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::{Store, StoreError, from_secs, to_secs};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Saves the thread's draft; an empty one is removed.
    pub fn save_draft(
        &mut self,
        thread_id: i64,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            if body.trim().is_empty() {
                tx.execute("DELETE FROM drafts WHERE thread_id = ?1", [thread_id])?;
            } else {
                tx.execute(
                    "INSERT INTO drafts (thread_id, body, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (thread_id) DO UPDATE SET body = ?2, updated_at = ?3",
                    (thread_id, body, to_secs(now)),
                )?;
            }
            Ok(())
        })
    }

    pub fn draft(&self, thread_id: i64) -> Result<Option<Draft>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT body, updated_at FROM drafts WHERE thread_id = ?1")?
            .query_row([thread_id], |r| {
                Ok(Draft {
                    body: r.get(0)?,
                    updated_at: from_secs(r.get(1)?),
                })
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn save_replace_and_clear() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO threads (id, created_at, last_message_at) VALUES (1, 0, 0)",
                [],
            )
            .unwrap();
        assert_eq!(store.draft(1).unwrap(), None);
        store.save_draft(1, "Hello", now).unwrap();
        store.save_draft(1, "Hello Bob", now).unwrap();
        assert_eq!(
            store.draft(1).unwrap(),
            Some(Draft {
                body: "Hello Bob".into(),
                updated_at: now
            })
        );
        store.save_draft(1, " \n", now).unwrap();
        assert_eq!(store.draft(1).unwrap(), None);
    }
}
