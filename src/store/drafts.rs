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

    /// Adds a file to the thread's reply (checked again when the reply is queued).
    pub fn attach(
        &mut self,
        thread_id: i64,
        path: &std::path::Path,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let path = path.to_string_lossy();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO draft_attachments (thread_id, path, added_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                (thread_id, path.as_ref(), to_secs(now)),
            )
        })?;
        Ok(())
    }

    /// Takes the newest file off the thread's reply; which one, if any.
    pub fn detach_last(
        &mut self,
        thread_id: i64,
    ) -> Result<Option<std::path::PathBuf>, StoreError> {
        self.write(|tx| {
            let last: Option<String> = tx
                .query_row(
                    "DELETE FROM draft_attachments WHERE thread_id = ?1 AND path =
                       (SELECT path FROM draft_attachments WHERE thread_id = ?1
                        ORDER BY added_at DESC, path DESC LIMIT 1)
                     RETURNING path",
                    [thread_id],
                    |r| r.get(0),
                )
                .optional()?;
            Ok::<_, StoreError>(last.map(std::path::PathBuf::from))
        })
    }

    /// The files attached to the thread's reply, in the order they were added.
    pub fn draft_attachments(&self, thread_id: i64) -> Result<Vec<std::path::PathBuf>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT path FROM draft_attachments WHERE thread_id = ?1 ORDER BY added_at, path",
        )?;
        let rows = stmt.query_map([thread_id], |r| r.get::<_, String>(0))?;
        Ok(rows
            .map(|r| r.map(std::path::PathBuf::from))
            .collect::<Result<_, _>>()?)
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
