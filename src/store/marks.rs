//! Seller decisions that move a thread's clock: "no response needed", opening a clock, undo.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, clocks, to_secs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    NoResponseNeeded,
    ClockOpened,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::NoResponseNeeded => "no_response_needed",
            MarkKind::ClockOpened => "clock_opened",
        }
    }

    fn parse(s: &str) -> Option<MarkKind> {
        match s {
            "no_response_needed" => Some(MarkKind::NoResponseNeeded),
            "clock_opened" => Some(MarkKind::ClockOpened),
            _ => None,
        }
    }
}

impl Store {
    /// Records a mark at `now`, logs it on the thread's timeline and recomputes the clock.
    pub fn mark(
        &mut self,
        thread_id: i64,
        kind: MarkKind,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO marks (thread_id, kind, at) VALUES (?1, ?2, ?3)",
                params![thread_id, kind.as_str(), to_secs(now)],
            )?;
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'marked', ?3)",
                params![thread_id, to_secs(now), kind.as_str()],
            )?;
            clocks::recompute(tx, thread_id)?;
            Ok(())
        })
    }

    /// Undoes the newest mark still in force on the thread; `None` when there is none.
    pub fn undo_last_mark(
        &mut self,
        thread_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<MarkKind>, StoreError> {
        self.write(|tx| {
            let last: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, kind FROM marks WHERE thread_id = ?1 AND undone_at IS NULL
                     ORDER BY at DESC, id DESC LIMIT 1",
                    [thread_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, kind)) = last else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE marks SET undone_at = ?2 WHERE id = ?1",
                params![id, to_secs(now)],
            )?;
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'unmarked', ?3)",
                params![thread_id, to_secs(now), kind],
            )?;
            clocks::recompute(tx, thread_id)?;
            Ok(MarkKind::parse(&kind))
        })
    }
}
