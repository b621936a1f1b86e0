//! Full-text search on a large inbox: the deferred index pass, then searches as a seller types
//! them, each timed in the process.
//!
//! `cargo bench --bench search` prints the figures. Environment:
//!   SELLERDESK_BENCH_STATUS_MESSAGES  messages in the database (default 1000000)
//!   SELLERDESK_BENCH_STYLE            `relay`: relay-style mail (a real vocabulary's spread of
//!                                     words; its own database), else the plain style
//!   SELLERDESK_BENCH_DIR              scratch folder (default: target/bench-data)
//! Target: every search < 50 ms at p95 on 1M messages (20 runs each, the first included).

mod common;

use sellerdesk::store::test_support::sql;
use std::time::{Duration, Instant};

use common::{env_usize, large_db, ms, now, percentile};
use sellerdesk::store::Store;
use sellerdesk::store::inbox::Filter;

/// Runs of each search.
const RUNS: usize = 20;

fn main() {
    let messages = env_usize("SELLERDESK_BENCH_STATUS_MESSAGES", 1_000_000);
    let (dir, config) = common::bench_dir();
    let db = large_db(&dir, &config, messages);
    let t = Instant::now();
    let mut store = Store::open(&db).unwrap();
    println!(
        "sellerdesk search benchmark · {messages} messages · open (and migrate) {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let n = store.index_all_messages().unwrap();
    println!(
        "index pass: {n} messages in {:.2} s{}",
        t.elapsed().as_secs_f64(),
        if n > 0 {
            format!(" = {:.0} msg/s", n as f64 / t.elapsed().as_secs_f64())
        } else {
            String::new()
        }
    );
    // A few real values from the database, so that field searches hit.
    let (order, asin, buyer): (String, String, String) = sql(&store)
        .query_row(
            "SELECT t.order_id, a.asin, t.buyer_name FROM threads t
             JOIN thread_asins a ON a.thread_id = t.id
             WHERE t.order_id IS NOT NULL AND t.buyer_name IS NOT NULL
             ORDER BY t.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let first = buyer.split_whitespace().next().unwrap_or("a").to_string();
    let queries: Vec<(String, Filter)> = vec![
        ("dam".into(), Filter::All),
        ("dama".into(), Filter::All),
        ("refund bro".into(), Filter::All),
        ("damaged".into(), Filter::All),
        ("order".into(), Filter::All),
        ("refund broken".into(), Filter::All),
        ("zzzzzz".into(), Filter::All),
        ("届いていない".into(), Filter::All),
        (format!("order:{}", &order[..8]), Filter::All),
        (format!("asin:{asin}"), Filter::All),
        (format!("buyer:{first}"), Filter::All),
        ("cat:shipping tracking".into(), Filter::All),
        ("delivery".into(), Filter::NeedsReply),
    ];
    let mut worst = Duration::ZERO;
    for (q, f) in &queries {
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                store.search_threads(*f, None, q, now(), 500).unwrap();
                t.elapsed()
            })
            .collect();
        times.sort();
        let found = store.search_threads(*f, None, q, now(), 500).unwrap().len();
        let p95 = percentile(&times, 0.95);
        worst = worst.max(p95);
        println!(
            "search {:<28} {:<11} {:>4} threads · median {:>6.1} ms · p95 {:>6.1} ms · max {:>6.1} ms",
            format!("{q:?}"),
            f.label(),
            found,
            ms(percentile(&times, 0.5)),
            ms(p95),
            ms(*times.last().unwrap())
        );
    }
    println!("slowest search (p95): {:.1} ms (target < 50 ms)", ms(worst));
}
