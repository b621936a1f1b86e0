//! How urgent the inbox is, for `status`, the startup alert and the panel: threads per clock
//! state, and the most urgent ones. Each answers from an index: the clock columns are derived
//! and stored, so "most urgent first" never scans messages.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::inbox::{InboxRow, ROW_COLUMNS, inbox_row};
use super::{Store, StoreError, to_secs};
use crate::domain::clock::{RESPONSE_WINDOW, Thresholds};

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
}
