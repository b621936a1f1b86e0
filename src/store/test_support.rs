//! For the behaviour tests and benchmarks only (nothing in the product calls it): SQL beneath
//! the store's API, for what a test must inspect or break on purpose.

use std::time::Duration;

use rusqlite::Connection;

use super::Store;

/// A connection of its own on the store's database file: what a test reads (or changes) with
/// SQL goes through it, never through the store's.
pub fn sql(store: &Store) -> Connection {
    assert!(
        store.path() != std::path::Path::new(":memory:"),
        "test_support::sql needs a database file"
    );
    let conn = Connection::open(store.path()).expect("the database file opens");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("a busy timeout");
    conn
}

/// A full disk, as the store's own connection meets it: no room beyond `extra_pages` more
/// pages (`None`: room again).
pub fn limit_pages(store: &Store, extra_pages: Option<i64>) {
    let conn = store.conn();
    let limit = match extra_pages {
        Some(extra) => {
            let pages: i64 = conn
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .expect("page count");
            pages + extra
        }
        None => 1_073_741_823,
    };
    conn.query_row(&format!("PRAGMA max_page_count = {limit}"), [], |_| Ok(()))
        .expect("a page limit");
}

/// Whether the store's own connection enforces foreign keys (a bulk import turns them off for
/// its batches and must turn them on again).
pub fn foreign_keys(store: &Store) -> bool {
    store
        .conn()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .expect("foreign_keys")
}

/// Thread counts by complaint kind ('' for none), in kind order.
pub type KindCounts = Vec<(String, i64)>;

/// Each complaint kind's thread count as `thread_counts` keeps it, and as counting the threads
/// gives it ('' for no kind), both by kind: the two agree unless a trigger missed a change.
pub fn thread_counts_kept_and_counted(store: &Store) -> (KindCounts, KindCounts) {
    let conn = sql(store);
    let read = |query: &str| -> KindCounts {
        conn.prepare(query)
            .expect("a count query")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("counts")
            .collect::<Result<_, _>>()
            .expect("counts")
    };
    (
        read("SELECT category, threads FROM thread_counts WHERE threads > 0 ORDER BY 1"),
        read("SELECT coalesce(category, ''), count(*) FROM threads GROUP BY 1 ORDER BY 1"),
    )
}
