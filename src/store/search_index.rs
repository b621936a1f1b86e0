//! The full-text index (`messages_fts`), filled after imports rather than during them: an
//! import stays as fast as the writer can store mail, and the index catches up in short
//! transactions. Messages above `search_state.indexed_upto` are searched without the index.

use rusqlite::params;

use super::{Store, StoreError};

/// Messages indexed per transaction: short enough not to hold other writers up.
pub const INDEX_CHUNK: usize = 20_000;

impl Store {
    /// The highest message id in the index.
    pub fn indexed_upto(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT indexed_upto FROM search_state WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Indexes up to `limit` messages not in the index yet, in one transaction; how many.
    pub fn index_messages(&mut self, limit: usize) -> Result<usize, StoreError> {
        self.write(|tx| {
            let upto: i64 = tx.query_row(
                "SELECT indexed_upto FROM search_state WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            let last: Option<i64> = tx.query_row(
                "SELECT max(id) FROM (SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![upto, limit as i64],
                |r| r.get(0),
            )?;
            let Some(last) = last else {
                return Ok(0);
            };
            let n = tx.execute(
                "INSERT INTO messages_fts (rowid, subject, body, from_name)
                 SELECT id, subject, body, coalesce(from_name, '') FROM messages
                 WHERE id > ?1 AND id <= ?2",
                params![upto, last],
            )?;
            tx.execute(
                "UPDATE search_state SET indexed_upto = ?1 WHERE id = 1",
                [last],
            )?;
            Ok(n)
        })
    }

    /// Indexes everything pending, chunk by chunk; how many.
    pub fn index_all_messages(&mut self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self.index_messages(INDEX_CHUNK)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }
}
