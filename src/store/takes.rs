//! Threads taken: a composer open on them in some app on this database. Written by the app
//! holding them (a heartbeat while the composer stays open), read by the others.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, from_secs, to_secs};

/// A take not refreshed for this long is from an app that stopped without saying so.
pub const STALE_AFTER_SECS: i64 = 30;

/// How often a holder refreshes its take.
pub const HEARTBEAT_SECS: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Take {
    pub thread_id: i64,
    pub agent: String,
    pub instance: String,
    pub since: DateTime<Utc>,
}

impl Store {
    /// This app (`instance`, `agent`) has the composer open on `thread` — and on no other.
    pub fn take_thread(
        &mut self,
        thread: i64,
        instance: &str,
        agent: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = to_secs(now);
        self.write(|tx| {
            tx.execute(
                "DELETE FROM takes WHERE instance = ?1 AND thread_id <> ?2",
                params![instance, thread],
            )?;
            tx.execute(
                "INSERT INTO takes (thread_id, instance, agent, since, seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (thread_id, instance) DO UPDATE SET seen_at = ?4, agent = ?3",
                params![thread, instance, agent, now],
            )?;
            Ok::<_, StoreError>(())
        })
    }

    /// This app holds no thread any more.
    pub fn release_takes(&mut self, instance: &str) -> Result<(), StoreError> {
        self.write(|tx| tx.execute("DELETE FROM takes WHERE instance = ?1", [instance]))?;
        Ok(())
    }

    /// Threads taken by other apps that are still there, oldest take first.
    pub fn others_takes(&self, me: &str, now: DateTime<Utc>) -> Result<Vec<Take>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT thread_id, agent, instance, since FROM takes
             WHERE instance <> ?1 AND seen_at >= ?2 ORDER BY since",
        )?;
        let rows = stmt.query_map(params![me, to_secs(now) - STALE_AFTER_SECS], |r| {
            Ok(Take {
                thread_id: r.get(0)?,
                agent: r.get(1)?,
                instance: r.get(2)?,
                since: from_secs(r.get(3)?),
            })
        })?;
        let takes: Vec<Take> = rows.collect::<Result<_, _>>()?;
        Ok(takes
            .into_iter()
            .filter(|t| !super::instance::gone(&t.instance, me))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    #[test]
    fn one_take_per_app_seen_by_the_others_until_released_or_stale() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        store
            .conn()
            .execute_batch(
                "INSERT INTO threads (id, subject, subject_key, created_at, message_count,
                                      last_message_at)
                 VALUES (1, 'a', 'a', 0, 0, 0), (2, 'b', 'b', 0, 0, 0);",
            )
            .unwrap();
        let me = super::super::instance::name();
        let (host, _) = me.rsplit_once(':').unwrap();
        // Another app on this host: this test process's parent lives.
        let other = format!("{host}:{}", std::os::unix::process::parent_id());
        store.take_thread(1, &other, "Anna", now()).unwrap();
        store.take_thread(2, &other, "Anna", now()).unwrap();
        let seen = store.others_takes(&me, now()).unwrap();
        assert_eq!(seen.len(), 1, "one composer per app: {seen:?}");
        assert_eq!((seen[0].thread_id, seen[0].agent.as_str()), (2, "Anna"));
        assert!(
            store.others_takes(&other, now()).unwrap().is_empty(),
            "not one's own"
        );
        // The heartbeat keeps it; silence past the limit drops it.
        let later = now() + Duration::seconds(STALE_AFTER_SECS + 1);
        assert!(store.others_takes(&me, later).unwrap().is_empty());
        store.take_thread(2, &other, "Anna", later).unwrap();
        let seen = store.others_takes(&me, later).unwrap();
        assert_eq!(seen[0].since, now(), "since the composer opened");
        store.release_takes(&other).unwrap();
        assert!(store.others_takes(&me, later).unwrap().is_empty());
        // An app that died on this host is not shown, however fresh its take.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = format!("{host}:{}", child.id());
        child.wait().unwrap();
        store.take_thread(1, &dead, "Ben", now()).unwrap();
        assert!(store.others_takes(&me, now()).unwrap().is_empty());
    }
}
