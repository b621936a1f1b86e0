//! Storing imported mail: deduplication, threading and the derived clock, one batch per
//! transaction.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params};

use super::{clocks, to_secs};
use crate::domain::identifiers::subject_key;
use crate::domain::message::{IncomingMail, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// Stored, in this thread.
    New { thread_id: i64 },
    /// A message with the same key is already stored: nothing was written.
    Duplicate,
}

/// One import batch: an open `BEGIN IMMEDIATE` transaction and the threads it touched.
pub struct Batch<'c> {
    tx: Transaction<'c>,
    touched: BTreeSet<i64>,
    imported_at: i64,
}

impl<'c> Batch<'c> {
    pub fn new(tx: Transaction<'c>, imported_at: chrono::DateTime<chrono::Utc>) -> Self {
        Batch {
            tx,
            touched: BTreeSet::new(),
            imported_at: to_secs(imported_at),
        }
    }

    pub fn add(&mut self, mail: &IncomingMail) -> rusqlite::Result<Added> {
        let tx = &self.tx;
        let exists: Option<i64> = tx
            .prepare_cached("SELECT id FROM messages WHERE message_key = ?1")?
            .query_row([&mail.key], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Ok(Added::Duplicate);
        }

        let skey = subject_key(&mail.subject);
        let thread_id = match find_thread(tx, mail, &skey)? {
            Some(id) => id,
            None => {
                tx.prepare_cached(
                    "INSERT INTO threads (subject, subject_key, buyer_alias, buyer_name, order_id,
                        marketplace, created_at, last_message_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                )?
                .execute(params![
                    mail.subject,
                    skey,
                    mail.buyer_alias,
                    mail.buyer_name,
                    mail.order_id,
                    mail.marketplace,
                    to_secs(mail.sent_at),
                ])?;
                tx.last_insert_rowid()
            }
        };

        tx.prepare_cached(
            "INSERT INTO messages (thread_id, message_key, direction, role, from_addr, from_name,
                to_addr, subject, sent_at, delivered_at, body, order_id, flags, source, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            thread_id,
            mail.key,
            mail.direction.as_str(),
            mail.role.as_str(),
            mail.from_addr,
            mail.from_name,
            mail.to_addr,
            mail.subject,
            to_secs(mail.sent_at),
            mail.delivered_at.map(to_secs),
            mail.body,
            mail.order_id,
            mail.flags,
            mail.source,
            self.imported_at,
        ])?;
        let message_id = tx.last_insert_rowid();
        tx.prepare_cached("INSERT INTO message_raw (message_id, raw) VALUES (?1, ?2)")?
            .execute(params![message_id, mail.raw])?;
        if !mail.refs.is_empty() {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO message_refs (ref_key, message_id) VALUES (?1, ?2)",
            )?;
            for r in &mail.refs {
                stmt.execute(params![r, message_id])?;
            }
        }
        if !mail.attachments.is_empty() {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO attachments (message_id, filename, content_type, size)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for a in &mail.attachments {
                stmt.execute(params![
                    message_id,
                    a.filename,
                    a.content_type,
                    a.size as i64
                ])?;
            }
        }
        if !mail.asins.is_empty() {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO thread_asins (thread_id, asin) VALUES (?1, ?2)",
            )?;
            for a in &mail.asins {
                stmt.execute(params![thread_id, a])?;
            }
        }
        let unread = matches!(mail.role, Role::Buyer | Role::Other);
        tx.prepare_cached(
            "UPDATE threads SET
                message_count = message_count + 1,
                last_message_at = max(last_message_at, ?2),
                buyer_alias = coalesce(buyer_alias, ?3),
                buyer_name = coalesce(buyer_name, ?4),
                order_id = coalesce(order_id, ?5),
                marketplace = coalesce(marketplace, ?6),
                unread = unread OR ?7
             WHERE id = ?1",
        )?
        .execute(params![
            thread_id,
            to_secs(mail.sent_at),
            mail.buyer_alias,
            mail.buyer_name,
            mail.order_id,
            mail.marketplace,
            unread,
        ])?;
        self.touched.insert(thread_id);
        Ok(Added::New { thread_id })
    }

    /// Recomputes the clock of every touched thread and commits.
    pub fn commit(self) -> rusqlite::Result<()> {
        for &thread_id in &self.touched {
            clocks::recompute(&self.tx, thread_id)?;
        }
        self.tx.commit()
    }
}

/// Threads by In-Reply-To/References, then by replies already stored that reference this
/// message, then by buyer alias + order ID, then by buyer alias + subject.
fn find_thread(
    tx: &Transaction<'_>,
    mail: &IncomingMail,
    skey: &str,
) -> rusqlite::Result<Option<i64>> {
    if !mail.refs.is_empty() {
        let mut stmt =
            tx.prepare_cached("SELECT thread_id FROM messages WHERE message_key = ?1")?;
        for r in &mail.refs {
            if let Some(id) = stmt.query_row([r], |row| row.get(0)).optional()? {
                return Ok(Some(id));
            }
        }
    }
    let child: Option<i64> = tx
        .prepare_cached(
            "SELECT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_id
             WHERE r.ref_key = ?1 LIMIT 1",
        )?
        .query_row([&mail.key], |row| row.get(0))
        .optional()?;
    if child.is_some() {
        return Ok(child);
    }
    let Some(alias) = &mail.buyer_alias else {
        return Ok(None);
    };
    if let Some(order) = &mail.order_id {
        return tx
            .prepare_cached(
                "SELECT id FROM threads WHERE buyer_alias = ?1 AND order_id = ?2
                 ORDER BY last_message_at DESC LIMIT 1",
            )?
            .query_row(params![alias, order], |row| row.get(0))
            .optional();
    }
    if skey.is_empty() {
        return Ok(None);
    }
    tx.prepare_cached(
        "SELECT id FROM threads WHERE buyer_alias = ?1 AND subject_key = ?2
         ORDER BY last_message_at DESC LIMIT 1",
    )?
    .query_row(params![alias, skey], |row| row.get(0))
    .optional()
}
