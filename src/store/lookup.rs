//! Finding a thread by what the seller or a mail tool has in hand: its ID, an order ID, a
//! message's Message-ID.

use rusqlite::OptionalExtension;

use super::{Store, StoreError, lossy};

/// A thread about an order, as `reply ORDER` lists them when it must ask which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderThread {
    pub id: i64,
    /// Its response clock runs.
    pub waiting: bool,
    pub subject: String,
    pub buyer: Option<String>,
}

impl Store {
    pub fn thread_exists(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM threads WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }

    /// The thread holding the message with this key (its Message-ID, or the key made for one
    /// without).
    pub fn thread_of_message(&self, message_key: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT thread_id FROM messages WHERE message_key = ?1",
                [message_key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The order's threads: those waiting for a reply first (most urgent first), then the
    /// latest.
    pub fn threads_of_order(&self, order: &str) -> Result<Vec<OrderThread>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, clock_start IS NOT NULL, subject, buyer_name FROM threads
             WHERE order_id = ?1
             ORDER BY clock_start IS NULL, clock_start, last_message_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([order], |r| {
            Ok(OrderThread {
                id: r.get(0)?,
                waiting: r.get(1)?,
                subject: lossy::text(r, 2)?,
                buyer: lossy::opt_text(r, 3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
