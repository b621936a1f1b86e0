//! Account metrics at scale: importing a large All Orders report, and every metric on a
//! database of a million orders.
//!
//! `cargo bench --bench metrics` prints the figures. Environment:
//!   SELLERDESK_BENCH_ORDERS  orders in the report (default 1000000)
//!   SELLERDESK_BENCH_DIR     scratch folder (default: target/bench-data)
//! Targets (issue 4): all metrics for 1M orders in < 50 ms; importing a 1M-row orders report at
//! >= 100,000 rows/s.

mod common;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::Duration as Days;
use common::{NOW, env_usize, mib, ms, now, percentile, run};

/// One row per order (one item each) over 365 days before now: 60% seller-fulfilled with a
/// latest ship date and a ship date (2% late, a few never shipped).
fn write_orders(path: &Path, orders: usize) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tproduct-name\tsku\tasin\tquantity\tcurrency\titem-price\tlatest-ship-date\tship-date"
    )?;
    let span = 365 * 24 * 3600 / orders.max(1) as i64;
    let mut line = String::with_capacity(256);
    for i in 0..orders as i64 {
        let bought = now() - Days::seconds(i * span.max(1) + 60);
        let merchant = i % 5 >= 2;
        let due = bought + Days::days(2);
        let shipped = if i % 50 == 7 {
            due + Days::hours(6)
        } else {
            bought + Days::hours(20)
        };
        line.clear();
        let _ = write!(
            line,
            "{:03}-{:07}-{:07}\t\t{}\t{}\tShipped\t{}\tAmazon.com\tProduct {}\tSKU-{}\tB0{:08}\t1\tUSD\t19.99\t{}\t{}",
            111 + (i % 3) * 100,
            i / 10_000_000,
            i % 10_000_000,
            bought.to_rfc3339(),
            (bought + Days::days(1)).to_rfc3339(),
            if merchant { "Merchant" } else { "Amazon" },
            i % 500,
            i % 500,
            i % 100_000_000,
            if merchant {
                due.to_rfc3339()
            } else {
                String::new()
            },
            if merchant && shipped <= now() && i % 997 != 3 {
                shipped.to_rfc3339()
            } else {
                String::new()
            },
        );
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Feedback for one order in twenty, claims, refunds, cancellations, and the shipments of the
/// last 40 days.
fn write_side_files(dir: &Path, orders: usize) -> std::io::Result<Vec<std::path::PathBuf>> {
    let span = 365 * 24 * 3600 / orders.max(1) as i64;
    let id = |i: i64| {
        format!(
            "{:03}-{:07}-{:07}",
            111 + (i % 3) * 100,
            i / 10_000_000,
            i % 10_000_000
        )
    };
    let bought = |i: i64| now() - Days::seconds(i * span.max(1) + 60);
    let mut fb = String::from("order_id,date,rating,comments\n");
    let mut claims = String::from("order_id,kind,opened,status\n");
    let mut refunds = String::from("order_id,refunded\n");
    let mut cancels = String::from("order_id,cancelled,by,reason\n");
    let mut ships = String::from(
        "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n",
    );
    for i in 0..orders as i64 {
        let at = bought(i);
        if i % 20 == 0 {
            let rating = if i % 400 == 0 { 1 } else { 5 };
            let _ = writeln!(
                fb,
                "{},{},{rating},ok",
                id(i),
                (at + Days::days(3)).to_rfc3339()
            );
        }
        if i % 700 == 11 {
            let _ = writeln!(
                claims,
                "{},a-to-z,{},open",
                id(i),
                (at + Days::days(5)).to_rfc3339()
            );
        }
        if i % 100 == 13 {
            let _ = writeln!(refunds, "{},{}", id(i), (at + Days::days(6)).to_rfc3339());
        }
        if i % 300 == 17 {
            let _ = writeln!(
                cancels,
                "{},{},buyer,changed mind",
                id(i),
                (at + Days::hours(2)).to_rfc3339()
            );
        }
        // The same ship dates as the report (two in a hundred late).
        let shipped = if i % 50 == 7 {
            at + Days::days(2) + Days::hours(6)
        } else {
            at + Days::hours(20)
        };
        if i % 5 >= 2 && at > now() - Days::days(40) && shipped <= now() && i % 997 != 3 {
            let _ = writeln!(
                ships,
                "{}\t1\t1\t{}\tUPS\tUPS\t1Z999AA1{:010}\tGround",
                id(i),
                shipped.to_rfc3339(),
                i
            );
        }
    }
    let mut paths = Vec::new();
    for (name, text) in [
        ("bench-feedback.csv", fb),
        ("bench-claims.csv", claims),
        ("bench-refunds.csv", refunds),
        ("bench-cancellations.csv", cancels),
        ("bench-shipping.tsv", ships),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        paths.push(p);
    }
    Ok(paths)
}

fn main() {
    let orders = env_usize("SELLERDESK_BENCH_ORDERS", 1_000_000);
    let (dir, config) = common::bench_dir();
    let report = dir.join(format!("orders-{orders}.tsv"));
    let size = write_orders(&report, orders).unwrap();
    let side = write_side_files(&dir, orders).unwrap();
    println!(
        "sellerdesk metrics benchmark · {orders} orders · report {:.0} MiB",
        size as f64 / 1048576.0
    );
    let db = dir.join(format!("orders-{orders}.db"));
    let _ = std::fs::remove_file(&db);
    let (db_s, report_s) = (db.to_str().unwrap(), report.to_str().unwrap());
    let (t, rss, out) = run(
        &config,
        &["--db", db_s, "--now", NOW, "import", "--json", report_s],
    );
    println!(
        "import All Orders report, {orders} rows: {:.2} s = {:.0} rows/s · peak RSS {:.0} MiB · {}",
        t.as_secs_f64(),
        orders as f64 / t.as_secs_f64(),
        mib(rss),
        out.trim()
    );
    let mut args = vec!["--db", db_s, "--now", NOW, "import", "--json"];
    args.extend(side.iter().map(|p| p.to_str().unwrap()));
    let (t, _, out) = run(&config, &args);
    println!(
        "import feedback, claims, refunds, cancellations, shipments: {:.2} s · {}",
        t.as_secs_f64(),
        out.trim()
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut rss_max = 0;
    let mut last = String::new();
    for _ in 0..10 {
        let (t, rss, out) = run(&config, &["--db", db_s, "--now", NOW, "metrics", "--json"]);
        times.push(t);
        rss_max = rss_max.max(rss);
        last = out;
    }
    times.sort();
    let store = sellerdesk::store::Store::open(&db).unwrap();
    let mut inproc: Vec<Duration> = (0..10)
        .map(|_| {
            let t = std::time::Instant::now();
            sellerdesk::metrics::compute_fast(&store, now(), None).unwrap();
            t.elapsed()
        })
        .collect();
    inproc.sort();
    println!(
        "metrics in-process (compute_fast, 10 runs): median {:.1} ms · p90 {:.1} ms",
        ms(percentile(&inproc, 0.5)),
        ms(percentile(&inproc, 0.9))
    );
    // The app's dashboard history: every metric on each of 90 days, from the records.
    let late = [sellerdesk::domain::response::late_response_rate(&[], now(), 7); 3];
    let t = std::time::Instant::now();
    let with = sellerdesk::metrics::compute_with_trends(&store, now(), &late, 90).unwrap();
    println!(
        "90-day history of {} metrics (the app's worker, every 15 min): {:.1} s",
        with.trends.len(),
        t.elapsed().as_secs_f64()
    );
    let v: serde_json::Value = serde_json::from_str(last.trim()).unwrap_or_default();
    println!(
        "metrics --json, {orders} orders (process start to exit, 10 runs): median {:.1} ms · p90 {:.1} ms · peak RSS {:.0} MiB · odr {} · lsr_30 {} · pop {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        mib(rss_max),
        v["metrics"]["odr"]["rate"],
        v["metrics"]["lsr_30"]["rate"],
        v["metrics"]["pop"]["rate"],
    );
}
