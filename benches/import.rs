//! Import throughput and memory, and `status` latency on a large database.
//!
//! `cargo bench --bench import` prints the figures. Environment:
//!   SELLERDESK_BENCH_MESSAGES         messages for the import runs (default 100000)
//!   SELLERDESK_BENCH_STATUS_MESSAGES  messages in the status database (default 1000000; 0 skips)
//!   SELLERDESK_BENCH_DIR              scratch folder (default: target/bench-data)
//!   SELLERDESK_BENCH_KEEP             keep the generated Maildir
//! Targets (issue 2): >= 50,000 messages/s and <= 200 MB peak RSS importing 100k messages;
//! `status` on a 1M-message database < 50 ms from process start to exit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sellerdesk::synth::{SynthOptions, write_maildir, write_mbox};

const BIN: &str = env!("CARGO_BIN_EXE_sellerdesk");

/// The benchmark's config: the synthetic seller's address, so their replies count as replies.
static CONFIG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the binary; wall time, peak RSS of that process (KiB) and its stdout.
// The child is reaped by wait4 (for its own rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run(args: &[&str]) -> (Duration, u64, String) {
    let out_path =
        std::env::temp_dir().join(format!("sellerdesk-bench-{}.out", std::process::id()));
    let stdout = std::fs::File::create(&out_path).unwrap();
    let start = Instant::now();
    let child = Command::new(BIN)
        .arg("--config")
        .arg(CONFIG.get().expect("config written first"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdout(stdout)
        .spawn()
        .expect("spawn sellerdesk");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting on our own child with valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(r, pid, "wait4");
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    (elapsed, usage.ru_maxrss as u64, out)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `--db DB --now NOW import --json SOURCE`.
fn import_args(db: &Path, source: &Path, now: &str) -> Vec<String> {
    let (db, source) = (db.to_str().unwrap(), source.to_str().unwrap());
    ["--db", db, "--now", now, "import", "--json", source]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Three fresh imports (the median is the figure: this machine's disk and neighbours make single
/// runs vary by a third), then one of the same source again (all duplicates).
fn import_run(label: &str, db: &Path, source: &Path, messages: usize, now: &str) {
    let args = |db: &Path| import_args(db, source, now);
    let mut runs = Vec::new();
    for _ in 0..3 {
        let _ = std::fs::remove_file(db);
        let a = args(db);
        let (t, rss, out) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.contains(&format!("\"imported\":{messages}")), "{out}");
        runs.push((t, rss));
    }
    let mut times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    times.sort();
    let median = times[1];
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "import {label:<8} {messages} messages: median {:>5.2} s = {:>6.0} msg/s (runs {}) · peak RSS {:>5.1} MiB",
        median.as_secs_f64(),
        messages as f64 / median.as_secs_f64(),
        runs.iter()
            .map(|r| format!("{:.2} s", r.0.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        mib(rss),
    );
    let a = args(db);
    let (t2, rss2, out2) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    println!(
        "import {label:<8} again, all duplicates: {:>5.2} s = {:>6.0} msg/s · peak RSS {:>5.1} MiB · {}",
        t2.as_secs_f64(),
        messages as f64 / t2.as_secs_f64(),
        mib(rss2),
        out2.trim()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let messages = env_usize("SELLERDESK_BENCH_MESSAGES", 100_000);
    let status_messages = env_usize("SELLERDESK_BENCH_STATUS_MESSAGES", 1_000_000);
    let dir: PathBuf = std::env::var_os("SELLERDESK_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    std::fs::create_dir_all(&dir).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let now = "2026-11-22T12:00:00Z";
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[seller]\naddresses = [\"support@example-shop.test\"]\n",
    )
    .unwrap();
    CONFIG.set(config).unwrap();
    println!(
        "sellerdesk import benchmark · {} · data in {}",
        BIN,
        dir.display()
    );

    if messages > 0 {
        let opts = SynthOptions::new(messages, end);
        let mbox = dir.join(format!("synth-{messages}.mbox"));
        let t = Instant::now();
        let size = write_mbox(&opts, &mbox).unwrap();
        println!(
            "generated mbox: {messages} messages, {:.1} MiB ({:.0} B/message) in {:.2} s",
            size as f64 / 1048576.0,
            size as f64 / messages as f64,
            t.elapsed().as_secs_f64()
        );
        let maildir = dir.join(format!("synth-{messages}.maildir"));
        let _ = std::fs::remove_dir_all(&maildir);
        write_maildir(&opts, &maildir).unwrap();
        // Flush the generated files first: their write-back would otherwise compete with the
        // import being measured.
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
        let db = dir.join("import.db");
        import_run("mbox", &db, &mbox, messages, now);
        import_run("maildir", &db, &maildir, messages, now);
        if std::env::var_os("SELLERDESK_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&maildir);
        }
    }

    if status_messages > 0 {
        let db = dir.join(format!("status-{status_messages}.db"));
        if !db.exists() {
            let opts = SynthOptions::new(status_messages, end);
            let mbox = dir.join(format!("synth-{status_messages}.mbox"));
            if !mbox.exists() {
                write_mbox(&opts, &mbox).unwrap();
            }
            let a = import_args(&db, &mbox, now);
            let (t, rss, out) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
            println!(
                "built status database: {status_messages} messages in {:.1} s ({:.0} msg/s, peak RSS {:.1} MiB) {}",
                t.as_secs_f64(),
                status_messages as f64 / t.as_secs_f64(),
                mib(rss),
                out.trim()
            );
            let _ = std::fs::remove_file(&mbox);
        }
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let mut times = Vec::new();
        let mut rss_max = 0;
        let mut last = String::new();
        for _ in 0..30 {
            let (t, rss, out) = run(&[
                "--db",
                db.to_str().unwrap(),
                "--now",
                now,
                "status",
                "--json",
                "--limit",
                "50",
            ]);
            times.push(t);
            rss_max = rss_max.max(rss);
            last = out;
        }
        times.sort();
        let v: serde_json::Value = serde_json::from_str(last.trim()).unwrap_or_default();
        println!(
            "status --json on {status_messages} messages ({:.0} MiB db): median {:.1} ms  p95 {:.1} ms  max {:.1} ms  peak RSS {:.1} MiB  counts {}",
            size as f64 / 1048576.0,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            mib(rss_max),
            v["counts"]
        );
        let mut times = Vec::new();
        for _ in 0..30 {
            let (t, _, _) = run(&["--db", db.to_str().unwrap(), "--now", now, "status"]);
            times.push(t);
        }
        times.sort();
        println!(
            "status (text, full list) on {status_messages} messages: median {:.1} ms  p95 {:.1} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
        );
    }
}
