//! Storing imported mail: deduplication, threading and the derived clock, one batch per
//! transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, params};

use super::clocks::{self, MessageFacts};
use super::to_secs;
use crate::domain::message::{IncomingMail, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// Stored, in this thread.
    New { thread_id: i64 },
    /// A message with the same key is already stored: nothing was written.
    Duplicate,
}

/// What the batch knows of a thread it touched, so that most writes happen once per thread at
/// commit instead of once per message (measured: statements, not bytes, bound the import).
#[derive(Default)]
struct Touched {
    /// Created in this batch: all its messages are in `messages`, and it has no marks.
    created: bool,
    messages: Vec<MessageFacts>,
    /// Buyer alias, name, order ID and marketplace all known: no identity update needed.
    identity_complete: bool,
    inbound: bool,
    asins: HashSet<String>,
}

/// Message keys stored during one import run, and their threads: replies mostly point at mail
/// imported moments before, and this answers those look-ups without a query. Only a cache:
/// bounded, and a miss falls back to the database.
#[derive(Default)]
pub struct Memo {
    threads_by_key: HashMap<String, i64>,
}

impl Memo {
    const CAPACITY: usize = 250_000;

    fn remember(&mut self, key: &str, thread_id: i64) {
        if self.threads_by_key.len() >= Self::CAPACITY {
            self.threads_by_key.clear();
        }
        self.threads_by_key.insert(key.to_string(), thread_id);
    }

    fn thread_of(&self, key: &str) -> Option<i64> {
        self.threads_by_key.get(key).copied()
    }
}

/// One import batch: an open `BEGIN IMMEDIATE` transaction and the threads it touched.
pub struct Batch<'c, 'm> {
    tx: Transaction<'c>,
    memo: &'m mut Memo,
    touched: BTreeMap<i64, Touched>,
    imported_at: i64,
}

fn identity_complete(mail: &IncomingMail) -> bool {
    mail.buyer_alias.is_some()
        && mail.buyer_name.is_some()
        && mail.order_id.is_some()
        && mail.marketplace.is_some()
}

impl<'c, 'm> Batch<'c, 'm> {
    pub fn new(
        tx: Transaction<'c>,
        memo: &'m mut Memo,
        imported_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Batch {
            tx,
            memo,
            touched: BTreeMap::new(),
            imported_at: to_secs(imported_at),
        }
    }

    pub fn add(&mut self, mail: &IncomingMail) -> rusqlite::Result<Added> {
        let tx = &self.tx;
        if self.memo.thread_of(&mail.key).is_some() {
            return Ok(Added::Duplicate);
        }
        let exists: Option<i64> = tx
            .prepare_cached("SELECT id FROM messages WHERE message_key = ?1")?
            .query_row([&mail.key], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            return Ok(Added::Duplicate);
        }

        let found = find_thread(tx, self.memo, mail)?;
        let (thread_id, created) = match found.thread_id {
            Some(id) => (id, false),
            None => {
                tx.prepare_cached(
                    "INSERT INTO threads (subject, subject_key, buyer_alias, buyer_name, order_id,
                        marketplace, created_at, last_message_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                )?
                .execute(params![
                    mail.subject,
                    mail.subject_key,
                    mail.buyer_alias,
                    mail.buyer_name,
                    mail.order_id,
                    mail.marketplace,
                    to_secs(mail.sent_at),
                ])?;
                (tx.last_insert_rowid(), true)
            }
        };
        let touched = self.touched.entry(thread_id).or_insert_with(|| Touched {
            created,
            identity_complete: created && identity_complete(mail),
            ..Touched::default()
        });

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
        // Only references to mail not (yet) stored are kept: they are how a parent that
        // arrives later finds this reply's thread.
        let unresolved = &mail.refs[..found.refs_checked_missing];
        if !unresolved.is_empty() {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO message_refs (ref_key, message_id) VALUES (?1, ?2)",
            )?;
            for r in unresolved {
                stmt.execute(params![r, message_id])?;
            }
        }
        self.memo.remember(&mail.key, thread_id);
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
        if mail.asins.iter().any(|a| !touched.asins.contains(a)) {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO thread_asins (thread_id, asin) VALUES (?1, ?2)",
            )?;
            for a in &mail.asins {
                if touched.asins.insert(a.clone()) {
                    stmt.execute(params![thread_id, a])?;
                }
            }
        }
        // Counts, times and the unread mark are written at commit; only identity the thread
        // still lacks is written here.
        if !touched.identity_complete {
            tx.prepare_cached(
                "UPDATE threads SET
                    buyer_alias = coalesce(buyer_alias, ?2),
                    buyer_name = coalesce(buyer_name, ?3),
                    order_id = coalesce(order_id, ?4),
                    marketplace = coalesce(marketplace, ?5)
                 WHERE id = ?1
                   AND ((buyer_alias IS NULL AND ?2 IS NOT NULL) OR (buyer_name IS NULL AND ?3 IS NOT NULL)
                     OR (order_id IS NULL AND ?4 IS NOT NULL) OR (marketplace IS NULL AND ?5 IS NOT NULL))",
            )?
            .execute(params![
                thread_id,
                mail.buyer_alias,
                mail.buyer_name,
                mail.order_id,
                mail.marketplace,
            ])?;
            touched.identity_complete = identity_complete(mail);
        }
        touched.inbound |= matches!(mail.role, Role::Buyer | Role::Other);
        if touched.created {
            touched.messages.push(MessageFacts {
                id: message_id,
                sent_at: to_secs(mail.sent_at),
                role: mail.role,
                resolved_at: None,
                resolution: None,
            });
        }
        Ok(Added::New { thread_id })
    }

    /// Recomputes the clock, counts and unread mark of every touched thread and commits.
    pub fn commit(self) -> rusqlite::Result<()> {
        for (&thread_id, t) in &self.touched {
            if t.created {
                clocks::apply(&self.tx, thread_id, &t.messages, &[], t.inbound)?;
            } else {
                let messages = clocks::load_messages(&self.tx, thread_id)?;
                let marks = clocks::load_marks(&self.tx, thread_id)?;
                clocks::apply(&self.tx, thread_id, &messages, &marks, t.inbound)?;
            }
        }
        self.tx.commit()
    }
}

struct Found {
    thread_id: Option<i64>,
    /// How many of `mail.refs`, from the first, were looked up and are not stored.
    refs_checked_missing: usize,
}

/// Threads by In-Reply-To/References, then by replies already stored that reference this
/// message, then by buyer alias + order ID, then by buyer alias + subject.
fn find_thread(tx: &Transaction<'_>, memo: &Memo, mail: &IncomingMail) -> rusqlite::Result<Found> {
    let mut stmt = tx.prepare_cached("SELECT thread_id FROM messages WHERE message_key = ?1")?;
    for (i, r) in mail.refs.iter().enumerate() {
        let hit = match memo.thread_of(r) {
            Some(id) => Some(id),
            None => stmt.query_row([r], |row| row.get(0)).optional()?,
        };
        if hit.is_some() {
            return Ok(Found {
                thread_id: hit,
                refs_checked_missing: i,
            });
        }
    }
    let missing = mail.refs.len();
    let found = |thread_id| Found {
        thread_id,
        refs_checked_missing: missing,
    };
    let child: Option<i64> = tx
        .prepare_cached(
            "SELECT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_id
             WHERE r.ref_key = ?1 LIMIT 1",
        )?
        .query_row([&mail.key], |row| row.get(0))
        .optional()?;
    if child.is_some() {
        return Ok(found(child));
    }
    let Some(alias) = &mail.buyer_alias else {
        return Ok(found(None));
    };
    if let Some(order) = &mail.order_id {
        return tx
            .prepare_cached(
                "SELECT id FROM threads WHERE buyer_alias = ?1 AND order_id = ?2
                 ORDER BY last_message_at DESC LIMIT 1",
            )?
            .query_row(params![alias, order], |row| row.get(0))
            .optional()
            .map(found);
    }
    if mail.subject_key.is_empty() {
        return Ok(found(None));
    }
    tx.prepare_cached(
        "SELECT id FROM threads WHERE buyer_alias = ?1 AND subject_key = ?2
         ORDER BY last_message_at DESC LIMIT 1",
    )?
    .query_row(params![alias, mail.subject_key], |row| row.get(0))
    .optional()
    .map(found)
}
