//! Storing imported mail: deduplication, threading and the derived clock, one batch per
//! transaction.
//!
//! A batch is staged in memory and written at commit, many rows per statement: measured, the
//! import was bound by the number of SQLite statements, not by bytes. The batch holds the
//! write lock (`BEGIN IMMEDIATE`) from its start, so it can number new threads and messages
//! itself, and every look-up consults what is staged as well as what is stored.

use super::{Store, StoreError};
use std::collections::BTreeMap;

// foldhash, not std's SipHash: hashing message keys was a twentieth of the import writer's
// time. Its per-process random seed is enough here: nobody sending mail can watch an
// import's timing to aim collisions at it.
use foldhash::{HashMap, HashMapExt, HashSet};

use rusqlite::types::{ToSql, ToSqlOutput, Value};
use rusqlite::{OptionalExtension, Transaction, params};

use super::account::{self, WriteError, Written};
use super::bulk::insert_rows;
use super::clocks::{self, MessageFacts};
use super::key_set::{KeyMap, KeySet};
use super::metric_days::{self, Changes};
use super::to_secs;
use crate::domain::account::Record;
use crate::domain::category::Category;
use crate::domain::classify::Classified;
use crate::domain::message::{IncomingMail, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// Stored, in this thread.
    New { thread_id: i64 },
    /// A message with the same key is already stored: nothing was written.
    Duplicate,
}

/// Message keys stored during one import run, and their threads: replies mostly point at mail
/// imported moments before, and this answers those look-ups without a query. Only a cache:
/// bounded, and a miss falls back to the database.
#[derive(Default)]
pub struct Memo {
    threads_by_key: KeyMap<i64>,
}

impl Memo {
    const CAPACITY: usize = 250_000;

    fn remember(&mut self, key: &str, thread_id: i64) {
        if self.threads_by_key.len() >= Self::CAPACITY {
            self.threads_by_key.clear();
        }
        self.threads_by_key.insert(key, thread_id);
    }

    fn forget(&mut self, key: &str) {
        self.threads_by_key.remove(key);
    }

    fn thread_of(&self, key: &str) -> Option<i64> {
        self.threads_by_key.get(key)
    }
}

/// A thread created in this batch, written at commit.
struct NewThread {
    id: i64,
    subject: String,
    subject_key: String,
    buyer_alias: Option<String>,
    buyer_name: Option<String>,
    order_id: Option<String>,
    marketplace: Option<String>,
    created_at: i64,
    category: Option<Classified>,
}

/// What the batch knows of a thread it touched.
#[derive(Default)]
struct Touched {
    /// Created in this batch (a `NewThread`): it has no stored messages and no marks.
    created: bool,
    /// Staged messages of this thread, as indexes into `Batch::messages`.
    staged: Vec<usize>,
    /// Buyer alias, name, order ID and marketplace all known: no identity update needed.
    identity_complete: bool,
    inbound: bool,
    asins: HashSet<String>,
    /// The thread has a complaint kind other than "other": later mail cannot improve it.
    category_decided: bool,
}

struct StagedMessage {
    id: i64,
    thread_id: i64,
    mail: Box<IncomingMail>,
    /// References to mail not stored: how a parent that arrives later finds this reply.
    unresolved_refs: usize,
    resolved_at: Option<i64>,
    resolution: Option<&'static str>,
}

/// The mail a committed batch stored and what it kept to thread it, to be freed.
pub struct StoredMail {
    _messages: Vec<StagedMessage>,
    _new_threads: Vec<NewThread>,
    _new_threads_by_alias: HashMap<String, Vec<i64>>,
    _staged_refs: HashMap<String, i64>,
    _touched: BTreeMap<i64, Touched>,
    _stored: Option<Stored>,
}

/// One import batch: an open `BEGIN IMMEDIATE` transaction and what it has staged.
pub struct Batch<'c, 'm> {
    tx: Transaction<'c>,
    memo: &'m mut Memo,
    imported_at: i64,
    next_thread_id: i64,
    next_message_id: i64,
    new_threads: Vec<NewThread>,
    /// Index into `new_threads` by thread id.
    new_thread_at: HashMap<i64, usize>,
    /// New threads by buyer alias, for threading look-ups.
    new_threads_by_alias: HashMap<String, Vec<i64>>,
    /// Unresolved references of staged messages: key referenced → thread.
    staged_refs: HashMap<String, i64>,
    messages: Vec<StagedMessage>,
    asins: Vec<(i64, String)>,
    touched: BTreeMap<i64, Touched>,
    /// What the account metrics' per-day counts must take in at commit.
    changes: Changes,
    /// Replies bounced by mail in this batch: key of the reply, the bounce's reason, when.
    bounces: Vec<(String, String, i64)>,
    /// Bounces whose reply is not stored yet (`pending_bounces`), read at the batch's first
    /// outgoing message.
    pending_bounces: Option<Vec<PendingBounce>>,
    /// What the store held for the batch's mail, read at once by [`Batch::prefetch`]; `None`
    /// until then, and each look-up asks the database.
    stored: Option<Stored>,
    /// SQLite checks each row's foreign keys; when a bulk import turned that off, the batch
    /// checks the threads it refers to itself, at once (see [`Batch::check_threads_exist`]).
    foreign_keys_per_row: bool,
}

/// The stored rows a batch's threading needs, read in three queries instead of about three
/// per message (measured: the per-message look-ups were a quarter of the writer's time).
/// Complete for the mail it was read for: the batch holds the write lock, so only the batch
/// itself changes them, and it keeps them up to date.
#[derive(Default)]
struct Stored {
    /// The keys, references and buyers it was read for: anything else is asked of the database.
    keys: KeySet,
    own_keys: KeySet,
    aliases: KeySet,
    /// Stored messages among the batch's keys and references → their thread.
    messages: HashMap<String, i64>,
    /// Batch keys that stored messages reference → the referencing message's thread.
    referenced_by: HashMap<String, i64>,
    /// Stored threads of the batch's buyers.
    threads_by_alias: HashMap<String, Vec<StoredThread>>,
}

struct StoredThread {
    id: i64,
    order_id: Option<String>,
    subject_key: String,
    last_message_at: i64,
}

fn identity_complete(mail: &IncomingMail) -> bool {
    mail.buyer_alias.is_some()
        && mail.buyer_name.is_some()
        && mail.order_id.is_some()
        && mail.marketplace.is_some()
}

fn next_id(tx: &Transaction<'_>, table: &str) -> rusqlite::Result<i64> {
    tx.query_row(
        // A bare max(): SQLite reads it from the end of the table (wrapped, it scans it all).
        &format!("SELECT max(id) FROM {table}"),
        [],
        |r| Ok(r.get::<_, Option<i64>>(0)?.unwrap_or(0) + 1),
    )
}

impl Store {
    /// A batch of mail and records written in one `BEGIN IMMEDIATE` transaction.
    pub fn batch<'c, 'm>(
        &'c mut self,
        memo: &'m mut Memo,
        imported_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Batch<'c, 'm>, StoreError> {
        Ok(Batch::new(self.begin()?, memo, imported_at)?)
    }
}

impl<'c, 'm> Batch<'c, 'm> {
    pub fn new(
        tx: Transaction<'c>,
        memo: &'m mut Memo,
        imported_at: chrono::DateTime<chrono::Utc>,
    ) -> rusqlite::Result<Self> {
        // Safe to number rows here: BEGIN IMMEDIATE holds the write lock until commit.
        let next_thread_id = next_id(&tx, "threads")?;
        let next_message_id = next_id(&tx, "messages")?;
        let foreign_keys_per_row = tx.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
        Ok(Batch {
            tx,
            memo,
            imported_at: to_secs(imported_at),
            next_thread_id,
            next_message_id,
            new_threads: Vec::new(),
            new_thread_at: HashMap::new(),
            new_threads_by_alias: HashMap::new(),
            staged_refs: HashMap::new(),
            messages: Vec::new(),
            asins: Vec::new(),
            touched: BTreeMap::new(),
            changes: Changes::default(),
            bounces: Vec::new(),
            pending_bounces: None,
            stored: None,
            foreign_keys_per_row,
        })
    }

    /// Reads what the store holds for `mails` (about to be added) in a few queries, so that
    /// adding them asks the database nothing more for threading. Optional: without it each
    /// look-up is a query of its own.
    pub fn prefetch<'a>(
        &mut self,
        mails: impl IntoIterator<Item = &'a IncomingMail>,
    ) -> rusqlite::Result<()> {
        let mut stored = Stored::default();
        for mail in mails {
            stored.own_keys.insert(&mail.key);
            stored.keys.insert(&mail.key);
            for r in &mail.refs {
                stored.keys.insert(r);
            }
            if let Some(alias) = &mail.buyer_alias {
                stored.aliases.insert(alias);
            }
        }
        // Sorted, so the index look-ups walk each index in order.
        let json =
            |set: &KeySet| serde_json::to_string(&set.sorted()).unwrap_or_else(|_| "[]".into());
        let (keys, own_keys, aliases) = (
            json(&stored.keys),
            json(&stored.own_keys),
            json(&stored.aliases),
        );
        let mut stmt = self.tx.prepare(
            "SELECT m.message_key, m.thread_id FROM json_each(?1) j
             JOIN messages m ON m.message_key = j.value",
        )?;
        let mut rows = stmt.query([keys])?;
        while let Some(r) = rows.next()? {
            stored.messages.insert(r.get(0)?, r.get(1)?);
        }
        let mut stmt = self.tx.prepare(
            "SELECT r.ref_key, m.thread_id FROM json_each(?1) j
             JOIN message_refs r ON r.ref_key = j.value JOIN messages m ON m.id = r.message_id",
        )?;
        let mut rows = stmt.query([own_keys])?;
        while let Some(r) = rows.next()? {
            stored.referenced_by.entry(r.get(0)?).or_insert(r.get(1)?);
        }
        let mut stmt = self.tx.prepare(
            "SELECT t.id, t.buyer_alias, t.order_id, t.subject_key, t.last_message_at
             FROM json_each(?1) j JOIN threads t ON t.buyer_alias = j.value",
        )?;
        let mut rows = stmt.query([aliases])?;
        while let Some(r) = rows.next()? {
            stored
                .threads_by_alias
                .entry(r.get(1)?)
                .or_default()
                .push(StoredThread {
                    id: r.get(0)?,
                    order_id: r.get(2)?,
                    subject_key: r.get(3)?,
                    last_message_at: r.get(4)?,
                });
        }
        self.stored = Some(stored);
        Ok(())
    }

    /// The thread of a stored message with this key.
    fn stored_message_thread(&self, key: &str) -> rusqlite::Result<Option<i64>> {
        match &self.stored {
            Some(stored) if stored.keys.contains(key) => Ok(stored.messages.get(key).copied()),
            _ => self
                .tx
                .prepare_cached("SELECT thread_id FROM messages WHERE message_key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional(),
        }
    }

    /// The thread of a stored message that references `key`.
    fn stored_referencing_thread(&self, key: &str) -> rusqlite::Result<Option<i64>> {
        match &self.stored {
            Some(stored) if stored.own_keys.contains(key) => {
                Ok(stored.referenced_by.get(key).copied())
            }
            _ => self
                .tx
                .prepare_cached(
                    "SELECT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_id
                     WHERE r.ref_key = ?1 LIMIT 1",
                )?
                .query_row([key], |row| row.get(0))
                .optional(),
        }
    }

    /// The buyer's most recent stored thread about `order`, or without one, with this subject.
    fn stored_buyer_thread(
        &self,
        alias: &str,
        order: Option<&str>,
        subject_key: &str,
    ) -> rusqlite::Result<Option<i64>> {
        if let Some(stored) = self.stored.as_ref().filter(|s| s.aliases.contains(alias)) {
            return Ok(stored.threads_by_alias.get(alias).and_then(|threads| {
                threads
                    .iter()
                    .filter(|t| match order {
                        Some(order) => t.order_id.as_deref() == Some(order),
                        None => t.subject_key == subject_key,
                    })
                    .max_by_key(|t| (t.last_message_at, t.id))
                    .map(|t| t.id)
            }));
        }
        let (column, value) = match order {
            Some(order) => ("order_id", order),
            None => ("subject_key", subject_key),
        };
        self.tx
            .prepare_cached(&format!(
                "SELECT id FROM threads WHERE buyer_alias = ?1 AND {column} = ?2
                 ORDER BY last_message_at DESC, id DESC LIMIT 1"
            ))?
            .query_row(params![alias, value], |row| row.get(0))
            .optional()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn add(&mut self, mail: Box<IncomingMail>) -> rusqlite::Result<Added> {
        self.add_into(mail, None)
    }

    /// Adds a message the app wrote on a known thread (a sent reply): no threading guesswork.
    pub fn add_to_thread(
        &mut self,
        mail: Box<IncomingMail>,
        thread_id: i64,
    ) -> rusqlite::Result<Added> {
        self.add_into(mail, Some(thread_id))
    }

    /// The open transaction, for writes that must commit with the batch.
    pub fn transaction(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// Writes an account record (a report row) that commits with the batch.
    pub fn write_record(&mut self, record: &Record) -> Result<Written, WriteError> {
        account::write_record(&self.tx, record, &mut self.changes)
    }

    fn add_into(&mut self, mail: Box<IncomingMail>, into: Option<i64>) -> rusqlite::Result<Added> {
        if self.memo.thread_of(&mail.key).is_some() {
            return Ok(Added::Duplicate);
        }
        if self.stored_message_thread(&mail.key)?.is_some() {
            return Ok(Added::Duplicate);
        }

        // A bounce joins the thread of the reply it returns, and takes that reply back; one
        // whose reply is not here yet waits for it.
        let into = match (into, &mail.bounce) {
            (None, Some(b)) => match self.bounced_reply(&mail, b)? {
                Some((key, thread)) => {
                    self.bounces
                        .push((key, b.reason.clone(), to_secs(mail.sent_at)));
                    Some(thread)
                }
                None => {
                    self.keep_pending_bounce(&mail, b)?;
                    None
                }
            },
            _ => into,
        };
        if mail.direction == crate::domain::message::Direction::Out {
            self.take_pending_bounce(&mail)?;
        }
        let found = match into {
            Some(id) => Found {
                thread_id: Some(id),
                refs_checked_missing: 0,
            },
            None => self.find_thread(&mail)?,
        };
        let (thread_id, created) = match found.thread_id {
            Some(id) => (id, false),
            None => (self.stage_thread(&mail), true),
        };
        if !created && mail.direction == crate::domain::message::Direction::Out {
            // It may be older than the thread's first message: who started it is asked again.
            self.changes.threads.insert(thread_id);
        }
        let touched = self.touched.entry(thread_id).or_insert_with(|| Touched {
            created,
            identity_complete: created && identity_complete(&mail),
            ..Touched::default()
        });
        if !touched.identity_complete {
            match self.new_thread_at.get(&thread_id) {
                Some(&i) => {
                    let t = &mut self.new_threads[i];
                    if t.buyer_alias.is_none()
                        && let Some(alias) = &mail.buyer_alias
                    {
                        t.buyer_alias = Some(alias.clone());
                        self.new_threads_by_alias
                            .entry(alias.clone())
                            .or_default()
                            .push(thread_id);
                    }
                    t.buyer_name = t.buyer_name.take().or_else(|| mail.buyer_name.clone());
                    t.order_id = t.order_id.take().or_else(|| mail.order_id.clone());
                    t.marketplace = t.marketplace.take().or_else(|| mail.marketplace.clone());
                }
                None => {
                    // A thread that now has both a buyer and an order: the buyer wrote about
                    // the order (POP).
                    let updated: Option<(Option<String>, Option<String>, String, i64)> = self
                        .tx
                        .prepare_cached(
                            "UPDATE threads SET
                                buyer_alias = coalesce(buyer_alias, ?2),
                                buyer_name = coalesce(buyer_name, ?3),
                                order_id = coalesce(order_id, ?4),
                                marketplace = coalesce(marketplace, ?5)
                             WHERE id = ?1
                               AND ((buyer_alias IS NULL AND ?2 IS NOT NULL)
                                 OR (buyer_name IS NULL AND ?3 IS NOT NULL)
                                 OR (order_id IS NULL AND ?4 IS NOT NULL)
                                 OR (marketplace IS NULL AND ?5 IS NOT NULL))
                             RETURNING buyer_alias, order_id, subject_key, last_message_at",
                        )?
                        .query_row(
                            params![
                                thread_id,
                                mail.buyer_alias,
                                mail.buyer_name,
                                mail.order_id,
                                mail.marketplace,
                            ],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                        )
                        .optional()?;
                    if let Some((Some(alias), order_id, subject_key, last_message_at)) = updated {
                        self.changes.contacted.extend(order_id.clone());
                        // The thread may now be found by this buyer and order.
                        if let Some(stored) = &mut self.stored {
                            let threads = stored.threads_by_alias.entry(alias).or_default();
                            threads.retain(|t| t.id != thread_id);
                            threads.push(StoredThread {
                                id: thread_id,
                                order_id,
                                subject_key,
                                last_message_at,
                            });
                        }
                    }
                }
            }
            touched.identity_complete = identity_complete(&mail);
        }
        if !touched.category_decided
            && let Some(c) = &mail.category
        {
            let decided = c.category != Category::Other;
            match self.new_thread_at.get(&thread_id) {
                Some(&i) => {
                    let t = &mut self.new_threads[i];
                    if t.category.is_none() || decided {
                        t.category = Some(c.clone());
                    }
                }
                None => {
                    // A kind the seller chose stays; "other" from the phrases may improve.
                    self.tx
                        .prepare_cached(
                            "UPDATE threads SET category = ?2, category_reason = ?3,
                                 category_by = 'rule'
                             WHERE id = ?1 AND (category IS NULL
                                 OR (?2 <> 'other' AND category = 'other'
                                     AND category_by IS NOT 'seller'))",
                        )?
                        .execute(params![thread_id, c.category.key(), c.phrase])?;
                }
            }
            touched.category_decided = decided;
        }
        touched.inbound |= matches!(mail.role, Role::Buyer | Role::Other);
        for a in &mail.asins {
            if touched.asins.insert(a.clone()) {
                self.asins.push((thread_id, a.clone()));
            }
        }
        for r in &mail.refs[..found.refs_checked_missing] {
            self.staged_refs.entry(r.clone()).or_insert(thread_id);
        }
        touched.staged.push(self.messages.len());
        self.memo.remember(&mail.key, thread_id);
        let id = self.next_message_id;
        self.next_message_id += 1;
        self.messages.push(StagedMessage {
            id,
            thread_id,
            unresolved_refs: found.refs_checked_missing,
            mail,
            resolved_at: None,
            resolution: None,
        });
        Ok(Added::New { thread_id })
    }

    fn stage_thread(&mut self, mail: &IncomingMail) -> i64 {
        let id = self.next_thread_id;
        self.next_thread_id += 1;
        if let Some(alias) = &mail.buyer_alias {
            self.new_threads_by_alias
                .entry(alias.clone())
                .or_default()
                .push(id);
        }
        self.new_thread_at.insert(id, self.new_threads.len());
        self.new_threads.push(NewThread {
            id,
            subject: mail.subject.clone(),
            subject_key: mail.subject_key.clone(),
            buyer_alias: mail.buyer_alias.clone(),
            buyer_name: mail.buyer_name.clone(),
            order_id: mail.order_id.clone(),
            marketplace: mail.marketplace.clone(),
            created_at: to_secs(mail.sent_at),
            category: None,
        });
        id
    }

    /// Threads by In-Reply-To/References, then by replies already stored or staged that
    /// reference this message, then by buyer alias + order ID, then by buyer alias + subject.
    fn find_thread(&self, mail: &IncomingMail) -> rusqlite::Result<Found> {
        for (i, r) in mail.refs.iter().enumerate() {
            let hit = match self.memo.thread_of(r) {
                Some(id) => Some(id),
                None => self.stored_message_thread(r)?,
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
        if let Some(&id) = self.staged_refs.get(&mail.key) {
            return Ok(found(Some(id)));
        }
        if let Some(child) = self.stored_referencing_thread(&mail.key)? {
            return Ok(found(Some(child)));
        }
        let Some(alias) = &mail.buyer_alias else {
            return Ok(found(None));
        };
        // Threads created in this batch are the newest: they win over stored ones.
        let staged = self.new_threads_by_alias.get(alias).and_then(|ids| {
            ids.iter().rev().copied().find(|id| {
                let t = &self.new_threads[self.new_thread_at[id]];
                match &mail.order_id {
                    Some(order) => t.order_id.as_deref() == Some(order),
                    None => !mail.subject_key.is_empty() && t.subject_key == mail.subject_key,
                }
            })
        });
        if staged.is_some() {
            return Ok(found(staged));
        }
        if mail.order_id.is_none() && mail.subject_key.is_empty() {
            return Ok(found(None));
        }
        self.stored_buyer_thread(alias, mail.order_id.as_deref(), &mail.subject_key)
            .map(found)
    }

    /// Derives every touched thread's clock, writes what was staged and commits.
    pub fn commit(self) -> rusqlite::Result<()> {
        self.commit_with(|_| Ok(()))
    }

    /// [`Batch::commit`], handing back the mail it stored, for the caller to free where it
    /// is cheapest (see `import::pipeline::Discard`).
    pub fn commit_keeping_mail(mut self) -> rusqlite::Result<StoredMail> {
        let written = self.write_and_check(|_| Ok(()));
        let kept = StoredMail {
            _messages: std::mem::take(&mut self.messages),
            _new_threads: std::mem::take(&mut self.new_threads),
            _new_threads_by_alias: std::mem::take(&mut self.new_threads_by_alias),
            _staged_refs: std::mem::take(&mut self.staged_refs),
            _touched: std::mem::take(&mut self.touched),
            _stored: self.stored.take(),
        };
        written?;
        self.tx.commit()?;
        Ok(kept)
    }

    /// Writes what is staged, then runs `then` in the same transaction (rows that refer to
    /// the messages just written), then commits.
    pub fn commit_with(
        mut self,
        then: impl FnOnce(&Transaction<'c>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        self.write_and_check(then)?;
        self.tx.commit()
    }

    fn write_and_check(
        &mut self,
        then: impl FnOnce(&Transaction<'c>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let result = self.write_staged().and_then(|()| {
            if !self.foreign_keys_per_row {
                self.check_threads_exist()?;
            }
            for t in &self.new_threads {
                if let (Some(_), Some(order)) = (&t.buyer_alias, &t.order_id) {
                    self.changes.contacted.insert(order.clone());
                }
            }
            metric_days::flush(&self.tx, &mut self.changes)?;
            self.apply_bounces()?;
            then(&self.tx)
        });
        if result.is_err() {
            // The transaction rolls back: what the memo learned from it is not stored.
            for m in &self.messages {
                self.memo.forget(&m.mail.key);
            }
        }
        result
    }

    /// The foreign keys of what the batch wrote, checked in one query: every row it inserted
    /// refers to a thread it touched (messages, ASINs, a bounce's event) or to a message it
    /// inserted itself (raw bytes, references, attachments), so the touched threads existing
    /// is all there is to check. A bulk import turns SQLite's per-row checks off for this
    /// (measured: they were a sixth of the writer's time).
    fn check_threads_exist(&self) -> rusqlite::Result<()> {
        let ids: Vec<i64> = self.touched.keys().copied().collect();
        let found: i64 = self.tx.query_row(
            "SELECT count(*) FROM json_each(?1) j JOIN threads t ON t.id = j.value",
            [serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())],
            |r| r.get(0),
        )?;
        let missing = ids.len() - usize::try_from(found).unwrap_or(0).min(ids.len());
        if missing == 0 {
            return Ok(());
        }
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(format!(
                "FOREIGN KEY constraint failed: {missing} of {} threads this batch refers to do not exist",
                ids.len()
            )),
        ))
    }

    /// The seller's reply a bounce returns: by a message ID it quotes (or refers to), else
    /// the newest reply to the buyer address it names, sent before it. Staged or stored.
    /// Keeps a bounce whose reply is not stored yet, for when it comes.
    fn keep_pending_bounce(
        &mut self,
        mail: &IncomingMail,
        b: &crate::domain::message::Bounce,
    ) -> rusqlite::Result<()> {
        let refers_to: Vec<String> = b.refers_to.iter().chain(&mail.refs).cloned().collect();
        if refers_to.is_empty() && b.recipient.is_none() {
            return Ok(());
        }
        let pending = PendingBounce {
            bounce_key: mail.key.clone(),
            refers_to,
            recipient: b.recipient.clone(),
            reason: b.reason.clone(),
            at: to_secs(mail.sent_at),
        };
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO pending_bounces (bounce_key, refers_to, recipient, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                pending.bounce_key,
                pending.refers_to.join("\n"),
                pending.recipient,
                pending.reason,
                pending.at
            ])?;
        if let Some(list) = &mut self.pending_bounces {
            list.push(pending);
        }
        Ok(())
    }

    /// An outgoing message a waiting bounce returns: bounced now (its clock reopens at
    /// commit). Matched by the Message-IDs the bounce quotes, else by the buyer address of a
    /// reply sent before the bounce.
    fn take_pending_bounce(&mut self, mail: &IncomingMail) -> rusqlite::Result<()> {
        if self.pending_bounces.is_none() {
            let list = self
                .tx
                .prepare_cached(
                    "SELECT bounce_key, refers_to, recipient, reason, at FROM pending_bounces",
                )?
                .query_map([], |r| {
                    let refs: String = r.get(1)?;
                    Ok(PendingBounce {
                        bounce_key: r.get(0)?,
                        refers_to: refs.lines().map(str::to_string).collect(),
                        recipient: r.get(2)?,
                        reason: r.get(3)?,
                        at: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            self.pending_bounces = Some(list);
        }
        let list = self.pending_bounces.as_mut().expect("loaded above");
        if list.is_empty() {
            return Ok(());
        }
        let sent = to_secs(mail.sent_at);
        let found = list
            .iter()
            .position(|p| p.refers_to.iter().any(|k| k == &mail.key))
            .or_else(|| {
                list.iter().position(|p| {
                    p.recipient.is_some() && p.recipient == mail.buyer_alias && p.at >= sent
                })
            });
        if let Some(i) = found {
            let p = list.remove(i);
            self.tx
                .prepare_cached("DELETE FROM pending_bounces WHERE bounce_key = ?1")?
                .execute([&p.bounce_key])?;
            self.bounces.push((mail.key.clone(), p.reason, p.at));
        }
        Ok(())
    }

    fn bounced_reply(
        &self,
        mail: &IncomingMail,
        b: &crate::domain::message::Bounce,
    ) -> rusqlite::Result<Option<(String, i64)>> {
        let outbound =
            |m: &StagedMessage| m.mail.direction == crate::domain::message::Direction::Out;
        for key in b.refers_to.iter().chain(&mail.refs) {
            if let Some(m) = self
                .messages
                .iter()
                .find(|m| outbound(m) && &m.mail.key == key)
            {
                return Ok(Some((key.clone(), m.thread_id)));
            }
            let stored: Option<i64> = self
                .tx
                .prepare_cached(
                    "SELECT thread_id FROM messages WHERE message_key = ?1 AND direction = 'out'",
                )?
                .query_row([key], |r| r.get(0))
                .optional()?;
            if let Some(thread) = stored {
                return Ok(Some((key.clone(), thread)));
            }
        }
        let Some(alias) = &b.recipient else {
            return Ok(None);
        };
        let staged = self
            .messages
            .iter()
            .filter(|m| {
                outbound(m)
                    && m.mail.buyer_alias.as_ref() == Some(alias)
                    && m.mail.sent_at <= mail.sent_at
            })
            .max_by_key(|m| m.mail.sent_at)
            .map(|m| (m.mail.key.clone(), m.thread_id, to_secs(m.mail.sent_at)));
        let stored: Option<(String, i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT message_key, thread_id, sent_at FROM messages
                 WHERE to_addr = ?1 AND direction = 'out' AND sent_at <= ?2
                 ORDER BY sent_at DESC LIMIT 1",
            )?
            .query_row(params![alias, to_secs(mail.sent_at)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        Ok(match (staged, stored) {
            (Some(a), Some(b)) => Some(if a.2 >= b.2 { (a.0, a.1) } else { (b.0, b.1) }),
            (Some(a), None) => Some((a.0, a.1)),
            (None, Some(b)) => Some((b.0, b.1)),
            (None, None) => None,
        })
    }

    /// Each bounced reply: flagged undelivered (its thread's clock runs again), its outbox
    /// entry failed for good with the bounce's reason, the bounce on the timeline.
    fn apply_bounces(&self) -> rusqlite::Result<()> {
        for (key, reason, at) in &self.bounces {
            let (id, thread): (i64, i64) = self.tx.query_row(
                "SELECT id, thread_id FROM messages WHERE message_key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            self.tx.execute(
                "UPDATE outbox SET state = 'failed', next_attempt_at = NULL, claimed_by = NULL,
                        claimed_at = NULL, last_error = ?2, updated_at = ?3
                 WHERE message_id = ?1",
                params![id, format!("bounced: {reason}"), at],
            )?;
            super::outbox::set_undelivered(&self.tx, id, thread, true)?;
            self.tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'bounced', ?3)",
                params![thread, at, reason],
            )?;
        }
        Ok(())
    }

    fn write_staged(&mut self) -> rusqlite::Result<()> {
        // Clocks first: staged messages are inserted with their resolution already known.
        let mut thread_rows: HashMap<i64, clocks::Derived> = HashMap::new();
        for (&thread_id, t) in &self.touched {
            let (mut facts, marks) = if t.created {
                (Vec::new(), Vec::new())
            } else {
                (
                    clocks::load_messages(&self.tx, thread_id)?,
                    clocks::load_marks(&self.tx, thread_id)?,
                )
            };
            let stored = facts.len();
            facts.extend(t.staged.iter().map(|&i| {
                let m = &self.messages[i];
                MessageFacts {
                    id: m.id,
                    sent_at: to_secs(m.mail.sent_at),
                    role: m.mail.role,
                    resolved_at: None,
                    resolution: None,
                    stored: false,
                }
            }));
            let derived = clocks::derive(&facts, &marks);
            for (k, &i) in t.staged.iter().enumerate() {
                let (at, how) = derived.resolutions[stored + k];
                self.messages[i].resolved_at = at;
                self.messages[i].resolution = how;
            }
            if t.created {
                thread_rows.insert(thread_id, derived);
            } else {
                clocks::write(&self.tx, thread_id, &facts, &derived, t.inbound)?;
            }
        }

        let tx = &self.tx;
        let touched = &self.touched;
        insert_rows(
            tx,
            "threads (id, subject, subject_key, buyer_alias, buyer_name, order_id, marketplace,
                created_at, last_message_at, message_count, unread, clock_start, due_at,
                category, category_reason, category_by)",
            16,
            &self.new_threads,
            |t, out| {
                let d = &thread_rows[&t.id];
                out.push(t.id.into());
                out.push(t.subject.to_sql()?);
                out.push(t.subject_key.to_sql()?);
                out.push(t.buyer_alias.to_sql()?);
                out.push(t.buyer_name.to_sql()?);
                out.push(t.order_id.to_sql()?);
                out.push(t.marketplace.to_sql()?);
                out.push(t.created_at.into());
                out.push(d.last_message_at.unwrap_or(t.created_at).into());
                out.push(d.message_count.into());
                out.push(touched[&t.id].inbound.into());
                out.push(opt_int(d.clock_start));
                out.push(opt_int(d.due_at));
                match &t.category {
                    Some(c) => {
                        out.push(c.category.key().into());
                        out.push(c.phrase.to_sql()?);
                        out.push("rule".into());
                    }
                    None => {
                        for _ in 0..3 {
                            out.push(ToSqlOutput::Owned(Value::Null));
                        }
                    }
                }
                Ok(())
            },
        )?;
        let imported_at = self.imported_at;
        insert_rows(
            tx,
            "messages (id, thread_id, message_key, direction, role, from_addr, from_name, to_addr,
                subject, sent_at, delivered_at, body, order_id, flags, source, imported_at,
                resolved_at, resolution)",
            18,
            &self.messages,
            |m, out| {
                let mail = &m.mail;
                out.push(m.id.into());
                out.push(m.thread_id.into());
                out.push(mail.key.to_sql()?);
                out.push(mail.direction.as_str().into());
                out.push(mail.role.as_str().into());
                out.push(mail.from_addr.to_sql()?);
                out.push(mail.from_name.to_sql()?);
                out.push(mail.to_addr.to_sql()?);
                out.push(mail.subject.to_sql()?);
                out.push(to_secs(mail.sent_at).into());
                out.push(opt_int(mail.delivered_at.map(to_secs)));
                out.push(mail.body.to_sql()?);
                out.push(mail.order_id.to_sql()?);
                out.push(i64::from(mail.flags).into());
                out.push(mail.source.to_sql()?);
                out.push(imported_at.into());
                out.push(opt_int(m.resolved_at));
                out.push(match m.resolution {
                    Some(r) => r.into(),
                    None => ToSqlOutput::Owned(Value::Null),
                });
                Ok(())
            },
        )?;
        insert_rows(
            tx,
            "message_raw (message_id, raw)",
            2,
            &self.messages,
            |m, out| {
                out.push(m.id.into());
                out.push(m.mail.raw.to_sql()?);
                Ok(())
            },
        )?;
        let refs: Vec<(i64, &String)> = self
            .messages
            .iter()
            .flat_map(|m| {
                m.mail.refs[..m.unresolved_refs]
                    .iter()
                    .map(move |r| (m.id, r))
            })
            .collect();
        if !refs.is_empty() {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO message_refs (ref_key, message_id) VALUES (?1, ?2)",
            )?;
            for (id, r) in refs {
                stmt.execute(params![r, id])?;
            }
        }
        if self.messages.iter().any(|m| !m.mail.attachments.is_empty()) {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO attachments (message_id, filename, content_type, size)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for m in &self.messages {
                for a in &m.mail.attachments {
                    stmt.execute(params![m.id, a.filename, a.content_type, a.size as i64])?;
                }
            }
        }
        // A thread stored earlier may already list the ASIN.
        insert_rows(
            tx,
            "OR IGNORE thread_asins (thread_id, asin)",
            2,
            &self.asins,
            |(t, a), out| {
                out.push((*t).into());
                out.push(a.to_sql()?);
                Ok(())
            },
        )?;
        Ok(())
    }
}

struct Found {
    thread_id: Option<i64>,
    /// How many of `mail.refs`, from the first, were looked up and are not stored.
    refs_checked_missing: usize,
}

fn opt_int(v: Option<i64>) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(v.map_or(Value::Null, Value::Integer))
}

/// A bounce waiting for the reply it returns (`pending_bounces`).
#[derive(Clone, Debug)]
struct PendingBounce {
    bounce_key: String,
    refers_to: Vec<String>,
    recipient: Option<String>,
    reason: String,
    at: i64,
}
