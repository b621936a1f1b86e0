//! The outbox queue: replies waiting for delivery, being delivered, delivered or not.
//!
//! Every change is its own short `BEGIN IMMEDIATE` transaction, so several senders (the app's
//! worker, `sellerdesk send` from cron, another terminal) can share one database: a sender
//! claims a message before working on it, and leaves alone what a living sender holds.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError, clocks, from_secs, to_secs};
use crate::domain::message::flags;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Queued,
    Sending,
    Sent,
    Failed,
    Unknown,
}

impl State {
    pub fn key(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "queued" => State::Queued,
            "sending" => State::Sending,
            "sent" => State::Sent,
            "failed" => State::Failed,
            "unknown" => State::Unknown,
            _ => return None,
        })
    }
}

/// One outbox row, as the app and `sellerdesk outbox` show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub message_id: i64,
    pub thread_id: i64,
    pub state: State,
    pub attempts: u32,
    /// When the next automatic attempt is due; `None` once nothing will happen without the
    /// seller (sent, permanently failed, unknown).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub transport: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub to_addr: Option<String>,
    pub subject: String,
}

impl Entry {
    /// Refused for good: the reply did not reach the buyer and the clock runs again.
    pub fn permanently_failed(&self) -> bool {
        self.state == State::Failed && self.next_attempt_at.is_none()
    }

    /// The seller has to look at it: failed (for now or for good) or unknown.
    pub fn needs_attention(&self) -> bool {
        matches!(self.state, State::Failed | State::Unknown)
    }
}

/// A message claimed for delivery, with what the transport needs.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub message_id: i64,
    pub thread_id: i64,
    pub attempts: u32,
    pub queued_at: DateTime<Utc>,
    pub from_addr: String,
    pub to_addr: String,
    pub raw: Vec<u8>,
}

/// Queues the reply `message_id` (just recorded on `thread_id`) in the caller's transaction.
pub fn enqueue(
    tx: &Transaction<'_>,
    message_id: i64,
    thread_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let now = to_secs(now);
    tx.execute(
        "INSERT INTO outbox (message_id, thread_id, state, next_attempt_at, queued_at, updated_at)
         VALUES (?1, ?2, 'queued', ?3, ?3, ?3)",
        params![message_id, thread_id, now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Who a sender is: `host:pid` (see `instance`).
pub fn sender_name() -> String {
    super::instance::name()
}

/// A claim older than this is taken as abandoned even if its process seems to live (the pid
/// may have been reused): no delivery step waits this long.
const CLAIM_LIFETIME_SECS: i64 = 15 * 60;

impl Store {
    /// A line on the thread's timeline about its reply's delivery (`kind`: "sent copy
    /// failed", ...).
    pub fn outbox_note(
        &mut self,
        thread_id: i64,
        kind: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| event(tx, thread_id, to_secs(now), kind, detail))?;
        Ok(())
    }

    /// Counts a try that failed before its final step (which is where tries are counted),
    /// so the back-off grows: `attempts` becomes at least `at_least`.
    pub fn outbox_count_attempt(&mut self, id: i64, at_least: u32) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET attempts = ?2 WHERE id = ?1 AND attempts < ?2",
                params![id, at_least],
            )
        })?;
        Ok(())
    }

    /// Claims left by senders that are gone: a message they had in `sending` becomes `unknown`
    /// (it may have been delivered: only the seller decides to send it again); one they had
    /// merely claimed is free again. Returns the ids that became unknown.
    pub fn outbox_recover(&mut self, me: &str, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let now_s = to_secs(now);
        self.write(|tx| {
            let claims: Vec<(i64, String, i64, String)> = tx
                .prepare(
                    "SELECT id, claimed_by, claimed_at, state FROM outbox
                     WHERE claimed_by IS NOT NULL",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            let mut unknown = Vec::new();
            for (id, by, at, state) in claims {
                let abandoned = super::instance::gone(&by, me) || now_s - at > CLAIM_LIFETIME_SECS;
                if !abandoned {
                    continue;
                }
                if state == "sending" {
                    mark_unknown(
                        tx,
                        id,
                        "the sender stopped during delivery: the server may or may not have it",
                        now_s,
                    )?;
                    unknown.push(id);
                } else {
                    tx.execute(
                        "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL WHERE id = ?1",
                        [id],
                    )?;
                }
            }
            Ok::<_, StoreError>(unknown)
        })
    }

    /// Claims the message due first (queued, or failed for now with its retry due), if any.
    pub fn outbox_claim(
        &mut self,
        me: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        self.claim_where(me, now, 0)
    }

    /// Claims message `id`, or with `id` 0 the one due first.
    fn claim_where(
        &mut self,
        me: &str,
        now: DateTime<Utc>,
        id: i64,
    ) -> Result<Option<Job>, StoreError> {
        let now_s = to_secs(now);
        let sql = "UPDATE outbox SET claimed_by = ?1, claimed_at = ?2
             WHERE id = (SELECT id FROM outbox
                         WHERE state IN ('queued', 'failed') AND next_attempt_at IS NOT NULL
                           AND claimed_by IS NULL
                           AND ((?3 = 0 AND next_attempt_at <= ?2) OR id = ?3)
                         ORDER BY next_attempt_at, id LIMIT 1)
             RETURNING id, message_id, thread_id, attempts, queued_at";
        self.write(|tx| {
            let claimed: Option<(i64, i64, i64, u32, i64)> = tx
                .query_row(sql, params![me, now_s, id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let Some((id, message_id, thread_id, attempts, queued_at)) = claimed else {
                return Ok(None);
            };
            let (from_addr, to_addr, raw): (Option<String>, Option<String>, Vec<u8>) = tx
                .query_row(
                    "SELECT m.from_addr, m.to_addr, r.raw FROM messages m
                     JOIN message_raw r ON r.message_id = m.id WHERE m.id = ?1",
                    [message_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
            Ok::<_, StoreError>(Some(Job {
                id,
                message_id,
                thread_id,
                attempts,
                queued_at: from_secs(queued_at),
                from_addr: from_addr.unwrap_or_default(),
                to_addr: to_addr.unwrap_or_default(),
                raw,
            }))
        })
    }

    /// Claims the message `id` if it is waiting (queued or failed for now), due or not: a
    /// delivery the caller starts right away.
    pub fn outbox_claim_id(
        &mut self,
        id: i64,
        me: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        self.claim_where(me, now, id)
    }

    /// Commits `sending` just before the final step of delivery. `false`: the claim was lost
    /// (another sender decided it was abandoned), so this sender must not deliver it.
    pub fn outbox_mark_sending(
        &mut self,
        id: i64,
        me: &str,
        transport: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, transport = ?3,
                        updated_at = ?4
                 WHERE id = ?1 AND claimed_by = ?2 AND state IN ('queued', 'failed')",
                params![id, me, transport, to_secs(now)],
            )
        })?;
        Ok(changed == 1)
    }

    /// Delivered: the message is the server's (or the command's, or in the folder).
    pub fn outbox_sent(
        &mut self,
        id: i64,
        transport: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now_s = to_secs(now);
        self.write(|tx| {
            let thread_id: i64 = tx.query_row(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, next_attempt_at = NULL,
                        last_error = NULL, transport = ?3, claimed_by = NULL, claimed_at = NULL,
                        updated_at = ?2
                 WHERE id = ?1 RETURNING thread_id",
                params![id, now_s, transport],
                |r| r.get(0),
            )?;
            event(tx, thread_id, now_s, "delivered", detail)?;
            Ok::<_, StoreError>(())
        })
    }

    /// Not delivered. With `retry_at` it is tried again then; without, it failed for good: the
    /// reply is flagged undelivered and its thread's clock runs again.
    pub fn outbox_failed(
        &mut self,
        id: i64,
        transport: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now_s = to_secs(now);
        self.write(|tx| {
            let (thread_id, message_id): (i64, i64) = tx.query_row(
                "UPDATE outbox SET state = 'failed', next_attempt_at = ?2, last_error = ?3,
                        transport = ?4, claimed_by = NULL, claimed_at = NULL, updated_at = ?5,
                        attempts = max(attempts, 1)
                 WHERE id = ?1 RETURNING thread_id, message_id",
                params![id, retry_at.map(to_secs), error, transport, now_s],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            match retry_at {
                Some(at) => event(
                    tx,
                    thread_id,
                    now_s,
                    "delivery failed",
                    &format!(
                        "{error}; tried again at {}",
                        at.format("%Y-%m-%d %H:%M UTC")
                    ),
                )?,
                None => {
                    set_undelivered(tx, message_id, thread_id, true)?;
                    event(
                        tx,
                        thread_id,
                        now_s,
                        "not delivered",
                        &format!("{error}; the buyer did not get the reply"),
                    )?;
                }
            }
            Ok::<_, StoreError>(())
        })
    }

    /// The final step began and no answer came: maybe delivered. Never retried automatically.
    pub fn outbox_unknown(
        &mut self,
        id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now_s = to_secs(now);
        self.write(|tx| mark_unknown(tx, id, error, now_s))
    }

    /// The seller's "send it again" for a failed message — and an unknown one only with
    /// `even_if_unknown` (the buyer may get it twice): queued now, and counted as a reply again
    /// until it fails. `false` when it is in no state to be retried.
    pub fn outbox_retry(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        even_if_unknown: bool,
    ) -> Result<bool, StoreError> {
        let now_s = to_secs(now);
        self.write(|tx| {
            let row: Option<(i64, i64)> = tx
                .query_row(
                    "UPDATE outbox SET state = 'queued', next_attempt_at = ?2, claimed_by = NULL,
                            claimed_at = NULL, updated_at = ?2
                     WHERE id = ?1 AND (state = 'failed' OR (state = 'unknown' AND ?3))
                     RETURNING thread_id, message_id",
                    params![id, now_s, even_if_unknown],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((thread_id, message_id)) = row else {
                return Ok(false);
            };
            set_undelivered(tx, message_id, thread_id, false)?;
            event(
                tx,
                thread_id,
                now_s,
                "send again",
                "queued again by the seller",
            )?;
            Ok::<_, StoreError>(true)
        })
    }

    /// Gives a claimed message back untouched (a sender stopping before its final step).
    pub fn outbox_release(&mut self, id: i64, me: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL
                 WHERE id = ?1 AND claimed_by = ?2",
                params![id, me],
            )
        })?;
        Ok(())
    }

    /// The outbox, newest first: everything needing the seller, then the rest up to `limit`.
    pub fn outbox_entries(&self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.outbox_query(
            "ORDER BY o.state NOT IN ('failed', 'unknown'), o.queued_at DESC, o.id DESC LIMIT ?1",
            params![limit as i64],
        )
    }

    /// The outbox rows of one thread, oldest first.
    pub fn outbox_of_thread(&self, thread_id: i64) -> Result<Vec<Entry>, StoreError> {
        self.outbox_query(
            "WHERE o.thread_id = ?1 ORDER BY o.queued_at, o.id",
            params![thread_id],
        )
    }

    /// Replies the buyer has not got that need a look: retrying, unknown, failed for good, and
    /// those queued (or being sent) since before `stale` — no sender has taken them since;
    /// oldest first.
    pub fn outbox_stuck(&self, stale: DateTime<Utc>) -> Result<Vec<Entry>, StoreError> {
        self.outbox_query(
            "WHERE o.state IN ('failed', 'unknown')
                OR (o.state IN ('queued', 'sending') AND o.updated_at <= ?1)
             ORDER BY o.queued_at, o.id",
            params![to_secs(stale)],
        )
    }

    pub fn outbox_entry(&self, id: i64) -> Result<Option<Entry>, StoreError> {
        Ok(self
            .outbox_query("WHERE o.id = ?1", params![id])?
            .into_iter()
            .next())
    }

    fn outbox_query(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Entry>, StoreError> {
        let sql = format!(
            "SELECT o.id, o.message_id, o.thread_id, o.state, o.attempts, o.next_attempt_at,
                    o.last_error, o.transport, o.queued_at, o.sent_at, m.to_addr, m.subject
             FROM outbox o JOIN messages m ON m.id = o.message_id {tail}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params, |r| {
            Ok(Entry {
                id: r.get(0)?,
                message_id: r.get(1)?,
                thread_id: r.get(2)?,
                state: State::parse(r.get_ref(3)?.as_str()?).unwrap_or(State::Unknown),
                attempts: r.get(4)?,
                next_attempt_at: r.get::<_, Option<i64>>(5)?.map(from_secs),
                last_error: super::lossy::opt_text(r, 6)?,
                transport: r.get(7)?,
                queued_at: from_secs(r.get(8)?),
                sent_at: r.get::<_, Option<i64>>(9)?.map(from_secs),
                to_addr: super::lossy::opt_text(r, 10)?,
                subject: super::lossy::text(r, 11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many outbox messages are in each state that is not `sent`.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FILTER (WHERE state = 'queued'),
                    count(*) FILTER (WHERE state = 'failed' AND next_attempt_at IS NOT NULL),
                    count(*) FILTER (WHERE state = 'sending'),
                    count(*) FILTER (WHERE state = 'failed' AND next_attempt_at IS NULL),
                    count(*) FILTER (WHERE state = 'unknown')
             FROM outbox WHERE state IN ('queued', 'sending', 'failed', 'unknown')",
            [],
            |r| {
                Ok(OutboxCounts {
                    queued: r.get(0)?,
                    retrying: r.get(1)?,
                    sending: r.get(2)?,
                    failed: r.get(3)?,
                    unknown: r.get(4)?,
                })
            },
        )?)
    }

    /// When the next automatic attempt is due, if any.
    pub fn outbox_next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = self.conn().query_row(
            "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('queued', 'failed')",
            [],
            |r| r.get(0),
        )?;
        Ok(at.map(from_secs))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Waiting for their first attempt.
    pub queued: u32,
    /// Failed for now, tried again later.
    pub retrying: u32,
    pub sending: u32,
    /// Failed for good: the buyer did not get them.
    pub failed: u32,
    /// Maybe delivered, maybe not: the seller decides.
    pub unknown: u32,
}

/// `unknown`: maybe delivered, never retried without the seller; said on the timeline.
fn mark_unknown(tx: &Transaction<'_>, id: i64, error: &str, now_s: i64) -> Result<(), StoreError> {
    let thread_id: i64 = tx.query_row(
        "UPDATE outbox SET state = 'unknown', next_attempt_at = NULL, last_error = ?2,
                claimed_by = NULL, claimed_at = NULL, updated_at = ?3
         WHERE id = ?1 RETURNING thread_id",
        params![id, error, now_s],
        |r| r.get(0),
    )?;
    event(
        tx,
        thread_id,
        now_s,
        "delivery unknown",
        &format!("{error}; press R to send it again"),
    )?;
    Ok(())
}

fn event(
    tx: &Transaction<'_>,
    thread_id: i64,
    at: i64,
    kind: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![thread_id, at, kind, detail])?;
    Ok(())
}

/// Marks the reply undelivered (or delivered again) and brings its thread's clock up to date.
pub fn set_undelivered(
    tx: &Transaction<'_>,
    message_id: i64,
    thread_id: i64,
    undelivered: bool,
) -> rusqlite::Result<()> {
    let bit = i64::from(flags::UNDELIVERED);
    let sql = if undelivered {
        "UPDATE messages SET flags = flags | ?2 WHERE id = ?1"
    } else {
        "UPDATE messages SET flags = flags & ~?2 WHERE id = ?1"
    };
    tx.execute(sql, params![message_id, bit])?;
    clocks::recompute(tx, thread_id)
}
