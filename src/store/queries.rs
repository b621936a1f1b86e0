//! Read queries for `status` and the inbox. Each answers from an index: the clock columns are
//! derived and stored, so "most urgent first" never scans messages.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::inbox::{InboxRow, ROW_COLUMNS, inbox_row};
use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::clock::{RESPONSE_WINDOW, Resolution, Thresholds};
use crate::domain::response::BuyerMessage;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClockCounts {
    /// Every thread whose clock runs.
    pub needs_reply: u64,
    pub due_soon: u64,
    /// Overdue, including critical.
    pub overdue: u64,
    pub critical: u64,
}

/// The clock start at or before which a thread is in (at least) each state.
struct Edges {
    due_soon: i64,
    overdue: i64,
    critical: i64,
}

fn edges(now: DateTime<Utc>, th: &Thresholds) -> Edges {
    Edges {
        due_soon: to_secs(now - (RESPONSE_WINDOW - th.due_soon)),
        overdue: to_secs(now - RESPONSE_WINDOW),
        critical: to_secs(now - th.critical),
    }
}

impl Store {
    pub fn clock_counts(
        &self,
        now: DateTime<Utc>,
        th: &Thresholds,
    ) -> Result<ClockCounts, StoreError> {
        let e = edges(now, th);
        let counts = self
            .conn()
            .prepare_cached(
                "SELECT count(*),
                    coalesce(sum(clock_start <= ?1 AND clock_start > ?2), 0),
                    coalesce(sum(clock_start <= ?2), 0),
                    coalesce(sum(clock_start <= ?3), 0)
             FROM threads WHERE clock_start IS NOT NULL",
            )?
            .query_row(params![e.due_soon, e.overdue, e.critical], |r| {
                Ok(ClockCounts {
                    needs_reply: r.get::<_, i64>(0)? as u64,
                    due_soon: r.get::<_, i64>(1)? as u64,
                    overdue: r.get::<_, i64>(2)? as u64,
                    critical: r.get::<_, i64>(3)? as u64,
                })
            })?;
        Ok(counts)
    }

    /// Threads that are due soon or worse at `now`, most urgent (oldest clock) first.
    pub fn urgent_threads(
        &self,
        now: DateTime<Utc>,
        th: &Thresholds,
        limit: Option<u64>,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let e = edges(now, th);
        let limit = limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1);
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM threads
             WHERE clock_start IS NOT NULL AND clock_start <= ?1
             ORDER BY clock_start, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![e.due_soon, limit], inbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Buyer messages sent in `(now - days, now]`, for the late-response metric.
    pub fn buyer_messages_since(
        &self,
        now: DateTime<Utc>,
        days: u32,
    ) -> Result<Vec<BuyerMessage>, StoreError> {
        let mut out = Vec::new();
        self.each_buyer_message_since(now, days, |m| out.push(m))?;
        Ok(out)
    }

    /// Calls `f` with each buyer message sent in `(now - days, now]`, holding none of them.
    pub fn each_buyer_message_since(
        &self,
        now: DateTime<Utc>,
        days: u32,
        f: impl FnMut(BuyerMessage),
    ) -> Result<(), StoreError> {
        self.each_buyer_message_in(now, days, None, f)
    }

    /// `each_buyer_message_since`, only the threads of `marketplace` when given.
    pub fn each_buyer_message_in(
        &self,
        now: DateTime<Utc>,
        days: u32,
        marketplace: Option<&str>,
        mut f: impl FnMut(BuyerMessage),
    ) -> Result<(), StoreError> {
        let from = to_secs(now - Duration::days(i64::from(days)));
        let mut stmt = self.conn().prepare_cached(
            "SELECT sent_at, resolved_at, resolution FROM messages m
             WHERE role = 'buyer' AND sent_at > ?1 AND sent_at <= ?2
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM threads t
                    WHERE t.id = m.thread_id AND t.marketplace = ?3))",
        )?;
        let rows = stmt.query_map(params![from, to_secs(now), marketplace], |r| {
            let at = from_secs(r.get(0)?);
            let resolved: Option<i64> = r.get(1)?;
            let how: Option<String> = r.get(2)?;
            let resolution = match (resolved, how.as_deref()) {
                (Some(t), Some("replied")) => Some(Resolution::Replied(from_secs(t))),
                (Some(t), Some("no_response_needed")) => {
                    Some(Resolution::NoResponseNeeded(from_secs(t)))
                }
                _ => None,
            };
            Ok(BuyerMessage { at, resolution })
        })?;
        for m in rows {
            f(m?);
        }
        Ok(())
    }

    pub fn count(&self, table: Table) -> Result<u64, StoreError> {
        let sql = match table {
            Table::Threads => "SELECT count(*) FROM threads",
            Table::Messages => "SELECT count(*) FROM messages",
        };
        Ok(self.conn().query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Table {
    Threads,
    Messages,
}
