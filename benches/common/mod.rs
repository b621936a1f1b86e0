//! What the benchmarks share: the scratch folder, the synthetic seller's config, running the
//! real binary with its peak memory, and the large database.
#![allow(dead_code)] // each benchmark uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use sellerdesk::testing::synth::{Style, SynthOptions, write_mbox};

pub const BIN: &str = env!("CARGO_BIN_EXE_sellerdesk");
pub const NOW: &str = "2026-11-22T12:00:00Z";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `SELLERDESK_BENCH_DIR`, default `target/bench-data`; created. Holds the config, whose seller
/// address makes the synthetic seller's replies count as replies.
pub fn bench_dir() -> (PathBuf, PathBuf) {
    let dir: PathBuf = std::env::var_os("SELLERDESK_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[seller]\naddresses = [\"support@example-shop.test\"]\n",
    )
    .unwrap();
    (dir, config)
}

/// Runs the binary; wall time, peak RSS of that process (KiB) and its stdout.
pub fn run(config: &Path, args: &[&str]) -> (Duration, u64, String) {
    let (elapsed, rss, _, out) = run_with_cpu(config, args);
    (elapsed, rss, out)
}

/// As [`run`], with the CPU time (user + system) the process used.
// The child is reaped by wait4 (for its own rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_with_cpu(config: &Path, args: &[&str]) -> (Duration, u64, Duration, String) {
    let out_path =
        std::env::temp_dir().join(format!("sellerdesk-bench-{}.out", std::process::id()));
    let stdout = std::fs::File::create(&out_path).unwrap();
    let start = Instant::now();
    let child = Command::new(BIN)
        .arg("--config")
        .arg(config)
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
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    (elapsed, usage.ru_maxrss as u64, cpu, out)
}

/// Before a timed run: every file under `source` read, then dirty pages written out, so the
/// run measures sellerdesk rather than a cold disk or write-back it did not cause. Reading
/// comes first: reading a file written moments ago updates its access time, and 100k inodes
/// dirtied that way were written back during the first Maildir run.
pub fn quiet_disk(source: &Path) {
    for entry in walkdir::WalkDir::new(source).into_iter().flatten() {
        if entry.file_type().is_file()
            && let Ok(mut f) = std::fs::File::open(entry.path())
        {
            let _ = std::io::copy(&mut f, &mut std::io::sink());
        }
    }
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    std::thread::sleep(Duration::from_millis(200));
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `--db DB --now NOW import --json SOURCE`.
pub fn import_args(db: &Path, source: &Path) -> Vec<String> {
    let (db, source) = (db.to_str().unwrap(), source.to_str().unwrap());
    // The search index is a pass of its own, measured apart (issue 2: "a deferred pass
    // measured separately").
    [
        "--db",
        db,
        "--now",
        NOW,
        "import",
        "--json",
        "--defer-index",
        source,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The database of `messages` synthetic messages in `dir`, built by the real import once and
/// reused (a million take about a minute).
/// `SELLERDESK_BENCH_STYLE=relay` builds the large database from relay-style mail (far more
/// distinct words for the search index); plain otherwise.
pub fn style() -> Style {
    match std::env::var("SELLERDESK_BENCH_STYLE").as_deref() {
        Ok("relay") => Style::Relay,
        _ => Style::Plain,
    }
}

pub fn large_db(dir: &Path, config: &Path, messages: usize) -> PathBuf {
    let style = style();
    let tag = if style == Style::Relay { "relay-" } else { "" };
    let db = dir.join(format!("status-{tag}{messages}.db"));
    if db.exists() {
        return db;
    }
    let opts = SynthOptions {
        style,
        ..SynthOptions::new(messages, now())
    };
    let mbox = dir.join(format!("synth-{tag}{messages}.mbox"));
    if !mbox.exists() {
        write_mbox(&opts, &mbox).unwrap();
    }
    let a = import_args(&db, &mbox);
    let (t, rss, out) = run(config, &a.iter().map(String::as_str).collect::<Vec<_>>());
    println!(
        "built database: {messages} messages in {:.1} s ({:.0} msg/s, peak RSS {:.1} MiB) {}",
        t.as_secs_f64(),
        messages as f64 / t.as_secs_f64(),
        mib(rss),
        out.trim()
    );
    let _ = std::fs::remove_file(&mbox);
    db
}
