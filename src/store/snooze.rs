//! Snoozing: a thread hidden from the inbox lists until a time. Amazon's clock never pauses, so
//! a snoozed thread that falls due still shows in the startup alert and in `status`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, from_secs, to_secs};

impl Store {
    /// Hides `thread_id` from the inbox lists until `until` (logged on its timeline in `tz`).
    pub fn snooze(
        &mut self,
        thread_id: i64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<bool, StoreError> {
        let when = crate::text::time_fmt::local(until, tz);
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO snoozes (thread_id, until, created_at)
                 SELECT id, ?2, ?3 FROM threads WHERE id = ?1
                 ON CONFLICT (thread_id) DO UPDATE SET until = excluded.until,
                     created_at = excluded.created_at",
                params![thread_id, to_secs(until), to_secs(now)],
            )?;
            if n > 0 {
                tx.execute(
                    "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'snoozed', ?3)",
                    params![thread_id, to_secs(now), format!("until {when}")],
                )?;
            }
            Ok(n > 0)
        })
    }

    /// Shows a snoozed thread again; `false` when it was not snoozed.
    pub fn wake(&mut self, thread_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM snoozes WHERE thread_id = ?1 AND until > ?2",
                params![thread_id, to_secs(now)],
            )?;
            if n > 0 {
                tx.execute(
                    "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'woken', '')",
                    params![thread_id, to_secs(now)],
                )?;
            }
            Ok(n > 0)
        })
    }

    /// Until when the thread is snoozed, if it is at `now`.
    pub fn snoozed_until(
        &self,
        thread_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT until FROM snoozes WHERE thread_id = ?1 AND until > ?2")?
            .query_row(params![thread_id, to_secs(now)], |r| r.get::<_, i64>(0))
            .optional()?
            .map(from_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::inbox::Filter;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_snoozed_thread_leaves_the_lists_but_not_the_alert_and_comes_back() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let th = crate::domain::clock::Thresholds::default();
        let urgent = store.urgent_threads(now, &th, None).unwrap();
        let first = urgent[0].id;
        let count = |s: &Store, f, at| s.inbox_count(f, None, at).unwrap();
        let before: Vec<u64> = Filter::ALL.iter().map(|f| count(&store, *f, now)).collect();

        assert!(
            store
                .snooze(first, now + Duration::hours(4), now, Tz::UTC)
                .unwrap()
        );
        assert_eq!(
            store.snoozed_until(first, now).unwrap(),
            Some(now + Duration::hours(4))
        );
        let needs = store
            .inbox_page(Filter::NeedsReply, None, now, 0, 1000)
            .unwrap();
        assert!(needs.iter().all(|r| r.id != first));
        assert_eq!(count(&store, Filter::NeedsReply, now), before[0] - 1);
        assert_eq!(count(&store, Filter::Overdue, now), before[1] - 1);
        assert_eq!(count(&store, Filter::All, now), before[2] - 1);
        assert_eq!(count(&store, Filter::Done, now), before[3]);
        assert_eq!(count(&store, Filter::Snoozed, now), 1);
        let snoozed = store.inbox_page(Filter::Snoozed, None, now, 0, 10).unwrap();
        assert_eq!(
            snoozed.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![first]
        );
        // The clock never pauses: still the most urgent in the alert and the counts.
        assert_eq!(store.urgent_threads(now, &th, None).unwrap()[0].id, first);
        // Search finds it only among the snoozed.
        let by = |f| {
            store
                .search_threads(f, None, "Karin", now, 10)
                .unwrap()
                .len()
        };
        assert_eq!((by(Filter::All), by(Filter::Snoozed)), (0, 1));

        // After four hours it is back by itself; waking does it at once.
        let later = now + Duration::hours(4);
        assert_eq!(count(&store, Filter::NeedsReply, later), before[0]);
        assert!(store.wake(first, now).unwrap());
        assert!(!store.wake(first, now).unwrap());
        assert_eq!(count(&store, Filter::NeedsReply, now), before[0]);
        assert!(!store.snooze(999_999, later, now, Tz::UTC).unwrap());
        let t = store.thread_detail(first).unwrap().unwrap();
        let kinds: Vec<&str> = t.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert!(
            kinds.contains(&"snoozed") && kinds.contains(&"woken"),
            "{kinds:?}"
        );
    }
}
