//! What the inbox and the thread view read: one page of rows at a time, from indexes.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, from_secs, lossy, to_secs};
use crate::domain::category::Category;
use crate::domain::clock::{Clock, RESPONSE_WINDOW};

/// The inbox filters, in the order `f` cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Filter {
    /// Threads whose clock runs, most urgent first.
    #[default]
    NeedsReply,
    /// Threads past their 24 h, most overdue first.
    Overdue,
    /// Running clocks first (most urgent first), then the rest, newest first.
    All,
    /// Threads with no running clock, newest first.
    Done,
    /// Threads snoozed (hidden from the other lists), the first to wake first.
    Snoozed,
}

impl Filter {
    pub const ALL: [Filter; 5] = [
        Filter::NeedsReply,
        Filter::Overdue,
        Filter::All,
        Filter::Done,
        Filter::Snoozed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Filter::NeedsReply => "needs reply",
            Filter::Overdue => "overdue",
            Filter::All => "all",
            Filter::Done => "done",
            Filter::Snoozed => "snoozed",
        }
    }

    pub fn next(self) -> Filter {
        let i = Filter::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Filter::ALL[(i + 1) % Filter::ALL.len()]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxRow {
    pub id: i64,
    pub subject: String,
    pub buyer_name: Option<String>,
    pub buyer_alias: Option<String>,
    pub order_id: Option<String>,
    pub category: Option<String>,
    pub message_count: i64,
    pub unread: bool,
    pub clock_start: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
}

impl InboxRow {
    /// The thread's running clock, if any.
    pub fn clock(&self) -> Option<Clock> {
        self.clock_start.map(|start| Clock { start })
    }
}

pub(super) const ROW_COLUMNS: &str = "id, subject, buyer_name, buyer_alias, order_id, category,
    message_count, unread, clock_start, last_message_at";

pub(super) fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        id: r.get(0)?,
        subject: lossy::text(r, 1)?,
        buyer_name: lossy::opt_text(r, 2)?,
        buyer_alias: lossy::opt_text(r, 3)?,
        order_id: lossy::opt_text(r, 4)?,
        category: r.get(5)?,
        message_count: r.get(6)?,
        unread: r.get(7)?,
        clock_start: r.get::<_, Option<i64>>(8)?.map(from_secs),
        last_message_at: from_secs(r.get(9)?),
    })
}

impl Store {
    /// Threads in `filter`, of complaint kind `kind` when given. Snoozed threads are only in
    /// `Filter::Snoozed`.
    pub fn inbox_count(
        &self,
        filter: Filter,
        kind: Option<Category>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let overdue_edge = to_secs(now - RESPONSE_WINDOW);
        let kind = kind.map(Category::key);
        let n = to_secs(now);
        // Counted from indexes; the snoozed ones (few) are counted apart and taken away.
        let count = |condition: &str, param: i64, snoozed: bool| -> Result<u64, StoreError> {
            let from = if snoozed {
                "snoozes s JOIN threads t ON t.id = s.thread_id WHERE s.until > ?3 AND"
            } else {
                "threads t WHERE ?3 = ?3 AND"
            };
            let sql = format!(
                "SELECT count(*) FROM {from} {} {condition} AND ?1 = ?1",
                if kind.is_some() {
                    "t.category = ?2 AND"
                } else {
                    "?2 IS NULL AND"
                }
            );
            let n: i64 = self
                .conn()
                .prepare_cached(&sql)?
                .query_row(params![param, kind, n], |r| r.get(0))?;
            Ok(n as u64)
        };
        let visible = |condition: &str, param: i64| -> Result<u64, StoreError> {
            Ok(count(condition, param, false)?.saturating_sub(count(condition, param, true)?))
        };
        // Every thread is in `thread_counts` (kept by triggers): no scan of 300k index rows.
        let all = || -> Result<u64, StoreError> {
            let n: i64 = self
                .conn()
                .prepare_cached(
                    "SELECT coalesce(sum(threads), 0) FROM thread_counts
                     WHERE ?1 IS NULL OR category = ?1",
                )?
                .query_row([kind], |r| r.get(0))?;
            Ok((n.max(0) as u64).saturating_sub(count("1", 0, true)?))
        };
        match filter {
            Filter::NeedsReply => visible("t.clock_start IS NOT NULL", 0),
            Filter::Overdue => visible(
                "t.clock_start IS NOT NULL AND t.clock_start <= ?1",
                overdue_edge,
            ),
            Filter::All => all(),
            // No index holds the NULLs: all threads minus the running ones.
            Filter::Done => {
                let running = visible("t.clock_start IS NOT NULL", 0)?;
                Ok(all()?.saturating_sub(running))
            }
            Filter::Snoozed => count("1", 0, true),
        }
    }

    /// Rows `offset..offset + limit` of the filtered inbox, in its order.
    ///
    /// OFFSET walks the index from its start, so a window in the far half of a list is read from
    /// the list's other end in reverse: the last page of 370k threads costs what the first does.
    pub fn inbox_page(
        &self,
        filter: Filter,
        kind: Option<Category>,
        now: DateTime<Utc>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let overdue_edge = to_secs(now - RESPONSE_WINDOW);
        let at = (to_secs(now), kind);
        let running = |offset: u64, limit: u64, edge: Option<i64>, len: u64| {
            self.sublist(
                "clock_start IS NOT NULL AND clock_start <= ?3",
                ("clock_start, id", "clock_start DESC, id DESC"),
                (edge.unwrap_or(i64::MAX), at),
                (offset, limit, len),
            )
        };
        let stopped = |offset: u64, limit: u64, len: u64| {
            self.sublist(
                "clock_start IS NULL AND ?3 = ?3",
                ("last_message_at DESC, id DESC", "last_message_at, id"),
                (0, at),
                (offset, limit, len),
            )
        };
        match filter {
            Filter::NeedsReply => {
                let len = self.inbox_count(Filter::NeedsReply, kind, now)?;
                running(offset, limit, None, len)
            }
            Filter::Overdue => {
                let len = self.inbox_count(Filter::Overdue, kind, now)?;
                running(offset, limit, Some(overdue_edge), len)
            }
            Filter::Done => {
                let len = self.inbox_count(Filter::Done, kind, now)?;
                stopped(offset, limit, len)
            }
            Filter::All => {
                let open = self.inbox_count(Filter::NeedsReply, kind, now)?;
                let done = self.inbox_count(Filter::Done, kind, now)?;
                let mut rows = if offset < open {
                    running(offset, limit, None, open)?
                } else {
                    Vec::new()
                };
                let missing = limit.saturating_sub(rows.len() as u64);
                if missing > 0 {
                    rows.extend(stopped(offset.saturating_sub(open), missing, done)?);
                }
                Ok(rows)
            }
            Filter::Snoozed => {
                // Few rows: one query, the first to wake first.
                let columns: Vec<String> = ROW_COLUMNS
                    .split(',')
                    .map(|c| format!("t.{}", c.trim()))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM snoozes s JOIN threads t ON t.id = s.thread_id
                     WHERE s.until > ?1 AND (?2 IS NULL OR t.category = ?2)
                     ORDER BY s.until, t.id LIMIT ?3 OFFSET ?4",
                    columns.join(", ")
                );
                let rows = self
                    .conn()
                    .prepare_cached(&sql)?
                    .query_map(
                        params![
                            to_secs(now),
                            kind.map(Category::key),
                            limit.min(i64::MAX as u64) as i64,
                            offset.min(i64::MAX as u64) as i64
                        ],
                        inbox_row,
                    )?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            }
        }
    }

    /// Rows `offset..offset + limit` of a list of `len` rows matching `filter` (with `?3` the
    /// first of `params`), not snoozed at `params.1.0`, of kind `params.1.1` when given, in
    /// `order` (`.0` forward, `.1` its reverse).
    fn sublist(
        &self,
        filter: &str,
        order: (&str, &str),
        (param, (now, kind)): (i64, (i64, Option<Category>)),
        (offset, limit, len): (u64, u64, u64),
    ) -> Result<Vec<InboxRow>, StoreError> {
        let end = offset.saturating_add(limit).min(len);
        if offset >= end {
            return Ok(Vec::new());
        }
        let from_end = len - end;
        let reverse = from_end < offset;
        let (order, skip) = if reverse {
            (order.1, from_end)
        } else {
            (order.0, offset)
        };
        let of_kind = if kind.is_some() {
            "category = ?4"
        } else {
            "?4 IS NULL"
        };
        // `id` is in every index: the snooze check needs no table row, even for skipped rows.
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM threads WHERE {of_kind} AND {filter}
               AND id NOT IN (SELECT thread_id FROM snoozes WHERE until > ?5)
             ORDER BY {order} LIMIT ?1 OFFSET ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                (end - offset) as i64,
                skip as i64,
                param,
                kind.map(Category::key),
                now
            ],
            inbox_row,
        )?;
        let mut rows: Vec<InboxRow> = rows.collect::<Result<_, _>>()?;
        if reverse {
            rows.reverse();
        }
        Ok(rows)
    }

    /// One thread's inbox row.
    pub fn thread_row(&self, id: i64) -> Result<Option<InboxRow>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM threads WHERE id = ?1"))?
            .query_row([id], inbox_row)
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_window_matches_the_whole_list_read_forwards_or_backwards() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let kinds = [None, Some(Category::Shipping), Some(Category::Other)];
        for (filter, kind) in Filter::ALL.into_iter().flat_map(|f| kinds.map(|k| (f, k))) {
            let total = store.inbox_count(filter, kind, now).unwrap();
            let whole = store.inbox_page(filter, kind, now, 0, 10_000).unwrap();
            assert_eq!(whole.len() as u64, total, "{filter:?} {kind:?}");
            if let Some(k) = kind {
                assert!(whole.iter().all(|r| r.category.as_deref() == Some(k.key())));
            }
            for limit in [1, 5, 7] {
                for offset in 0..=total + 1 {
                    let page = store.inbox_page(filter, kind, now, offset, limit).unwrap();
                    let from = (offset as usize).min(whole.len());
                    let to = ((offset + limit) as usize).min(whole.len());
                    assert_eq!(
                        page,
                        whole[from..to],
                        "{filter:?} {kind:?} {offset}+{limit}"
                    );
                }
            }
        }
        let count = |f, k| store.inbox_count(f, k, now).unwrap();
        for k in kinds {
            assert_eq!(
                count(Filter::Done, k),
                count(Filter::All, k) - count(Filter::NeedsReply, k)
            );
        }
        assert!(count(Filter::NeedsReply, Some(Category::Shipping)) >= 2);
        let by_kind: u64 = Category::ALL
            .into_iter()
            .map(|k| count(Filter::NeedsReply, Some(k)))
            .sum();
        assert_eq!(by_kind, count(Filter::NeedsReply, None));
    }

    /// The kept per-kind counts are what counting the threads gives, after a new thread, a
    /// kind changed (to another, and to none) and a thread deleted.
    #[test]
    fn the_kept_thread_counts_follow_new_threads_kind_changes_and_deletions() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let agree = |store: &Store, when: &str| {
            let (kept, counted) = crate::store::test_support::thread_counts_kept_and_counted(store);
            assert_eq!(kept, counted, "{when}");
            let all: i64 = store
                .conn()
                .query_row(
                    "SELECT count(*) FROM threads
                     WHERE id NOT IN (SELECT thread_id FROM snoozes WHERE until > ?1)",
                    [to_secs(now)],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                store.inbox_count(Filter::All, None, now).unwrap(),
                all as u64
            );
        };
        agree(&store, "demo");
        let first = store.inbox_page(Filter::All, None, now, 0, 1).unwrap()[0].clone();
        let other = if first.category.as_deref() == Some(Category::Shipping.key()) {
            Category::Quality
        } else {
            Category::Shipping
        };
        store.set_category(first.id, other, now).unwrap();
        agree(&store, "a kind changed");
        store
            .conn()
            .execute(
                "UPDATE threads SET category = NULL WHERE id = ?1",
                [first.id],
            )
            .unwrap();
        agree(&store, "a kind taken away");
        store
            .conn()
            .execute(
                "INSERT INTO threads (subject, created_at, last_message_at, category)
                 VALUES ('new', 0, 0, 'shipping')",
                [],
            )
            .unwrap();
        agree(&store, "a new thread");
        store
            .conn()
            .execute("DELETE FROM threads WHERE id = ?1", [first.id])
            .unwrap();
        agree(&store, "a thread deleted");
    }
}
