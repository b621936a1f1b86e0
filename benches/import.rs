//! Import throughput and memory, and `status` latency on a large database.
//!
//! `cargo bench --bench import` prints the figures. Environment:
//!   SELLERDESK_BENCH_MESSAGES         messages for the import runs (default 100000)
//!   SELLERDESK_BENCH_RELAY_MESSAGES   relay-style messages for the run beside neomutt (default
//!                                     100000; 0 skips); neomutt comes from Debian's packages
//!                                     (installed when apt-get can, else that part is skipped)
//!   SELLERDESK_BENCH_STATUS_MESSAGES  messages in the status database (default 1000000; 0 skips)
//!   SELLERDESK_BENCH_DIR              scratch folder (default: target/bench-data)
//!   SELLERDESK_BENCH_KEEP             keep the generated Maildir
//! Targets (issue 2): >= 50,000 messages/s and <= 200 MB peak RSS importing 100k messages;
//! `status` on a 1M-message database < 50 ms from process start to exit.

mod common;
#[path = "../tests/support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{BIN, NOW, env_usize, import_args, large_db, mib, percentile};
use sellerdesk::testing::synth::{Style, SynthOptions, write_maildir, write_mbox};

/// Five fresh imports (the median is the figure: this machine's neighbours make single runs
/// vary by a fifth), then one of the same source again (all duplicates). Each starts as a
/// seller's import would: the last run's 300 MB written out (else its write-back competes
/// with the run measured) and the source read recently (the VM hands idle page cache back to
/// its host, and a cold source measures the disk).
fn import_run(label: &str, config: &Path, db: &Path, source: &Path, messages: usize) {
    let run = |a: &[&str]| common::run(config, a);
    let args = |db: &Path| import_args(db, source);
    let mut runs = Vec::new();
    for _ in 0..5 {
        let _ = std::fs::remove_file(db);
        common::quiet_disk(source);
        let a = args(db);
        let (t, rss, cpu, out) =
            common::run_with_cpu(config, &a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.contains(&format!("\"imported\":{messages}")), "{out}");
        runs.push((t, rss, cpu));
    }
    let mut times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    times.sort();
    let median = times[times.len() / 2];
    // The best run too: on a shared host the same work varies by a third from run to run
    // (its CPU time with it), and the fastest run is the one least disturbed.
    let best = times[0];
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "import {label:<8} {messages} messages: median {:>5.2} s = {:>6.0} msg/s, best {:>5.2} s = {:>6.0} msg/s (runs {}) · peak RSS {:>5.1} MiB",
        median.as_secs_f64(),
        messages as f64 / median.as_secs_f64(),
        best.as_secs_f64(),
        messages as f64 / best.as_secs_f64(),
        runs_text(runs.iter().map(|r| (r.0, r.2))),
        mib(rss),
    );
    let db_arg = db.to_str().unwrap();
    let (ti, rssi, outi) = run(&["--db", db_arg, "--now", common::NOW, "index"]);
    println!(
        "search index pass after it ({label}): {:>5.2} s = {:>6.0} msg/s · peak RSS {:>5.1} MiB · {}",
        ti.as_secs_f64(),
        messages as f64 / ti.as_secs_f64(),
        mib(rssi),
        outi.trim()
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

/// neomutt on PATH, installed from Debian's packages when it is not (CI runs as root).
fn neomutt() -> Option<std::path::PathBuf> {
    let found = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("neomutt"))
                .find(|p| p.is_file())
        })
    };
    if let Some(p) = found() {
        return Some(p);
    }
    let quiet = |args: &[&str]| {
        std::process::Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let _ = quiet(&["update", "-qq"]) && quiet(&["install", "-y", "-qq", "neomutt"]);
    found()
}

/// neomutt opening `mbox` read-only with no configuration, from start until its index shows
/// (the status line's message count), in a pseudo-terminal.
fn neomutt_open(neomutt: &Path, mbox: &Path, home: &Path, messages: usize) -> Duration {
    let mut cmd = portable_pty::CommandBuilder::new(neomutt);
    cmd.args(["-n", "-F", "/dev/null", "-R", "-f"]);
    cmd.arg(mbox);
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    cmd.env("TZ", "UTC");
    cmd.cwd(home);
    let shown = format!("Msgs:{messages}");
    let watch: pty::Watch = Box::new(move |screen: &str| screen.contains(&shown));
    let mut p = pty::Pty::spawn_watching(cmd, 40, 140, Some(watch));
    // From the spawn to the first screen that shows the index.
    let took = p.wait_seen();
    let _ = p.child.kill();
    let _ = p.wait_exit();
    took
}

/// `sellerdesk import FILE` as a seller runs it (the search index built in the same command)
/// against neomutt opening the same relay-style mbox: five runs each, alternated, medians.
fn relay_beside_neomutt(dir: &Path, config: &Path, messages: usize) {
    let opts = SynthOptions {
        style: Style::Relay,
        ..SynthOptions::new(messages, common::now())
    };
    let mbox = dir.join(format!("relay-{messages}.mbox"));
    let t = Instant::now();
    let size = write_mbox(&opts, &mbox).unwrap();
    println!(
        "generated relay-style mbox: {messages} messages, {:.1} MiB ({:.0} B/message) in {:.2} s",
        size as f64 / 1048576.0,
        size as f64 / messages as f64,
        t.elapsed().as_secs_f64()
    );
    let neomutt = neomutt();
    if neomutt.is_none() {
        println!(
            "neomutt: not installed and apt-get could not install it; timing sellerdesk alone"
        );
    }
    let db = dir.join("relay.db");
    let home = dir.join("neomutt-home");
    // With no ~/Mail, neomutt first asks whether to create it.
    std::fs::create_dir_all(home.join("Mail")).unwrap();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for f in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{f}", db.display()));
        }
        common::quiet_disk(&mbox);
        let (t, rss, cpu, out) = common::run_with_cpu(
            config,
            &[
                "--db",
                db.to_str().unwrap(),
                "--now",
                NOW,
                "import",
                "--json",
                mbox.to_str().unwrap(),
            ],
        );
        assert!(out.contains(&format!("\"imported\":{messages}")), "{out}");
        ours.push((t, rss, cpu));
        if let Some(n) = &neomutt {
            common::quiet_disk(&mbox);
            theirs.push(neomutt_open(n, &mbox, &home, messages));
        }
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let ours_median = median(ours.iter().map(|r| r.0).collect());
    println!(
        "import relay {messages} messages, search index included: median {:.2} s = {:.0} msg/s (runs {}) · peak RSS {:.1} MiB",
        ours_median.as_secs_f64(),
        messages as f64 / ours_median.as_secs_f64(),
        runs_text(ours.iter().map(|r| (r.0, r.2))),
        mib(ours.iter().map(|r| r.1).max().unwrap_or(0)),
    );
    if !theirs.is_empty() {
        let theirs_median = median(theirs.clone());
        println!(
            "neomutt -R -f on the same mbox, until its index shows: median {:.2} s (runs {})",
            theirs_median.as_secs_f64(),
            theirs
                .iter()
                .map(|t| format!("{:.2} s", t.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "sellerdesk / neomutt: {:.2} (goal: at most 0.50)",
            ours_median.as_secs_f64() / theirs_median.as_secs_f64()
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let messages = env_usize("SELLERDESK_BENCH_MESSAGES", 100_000);
    let status_messages = env_usize("SELLERDESK_BENCH_STATUS_MESSAGES", 1_000_000);
    let (dir, config) = common::bench_dir();
    let run = |a: &[&str]| common::run(&config, a);
    let now = NOW;
    println!(
        "sellerdesk import benchmark · {} · data in {}",
        BIN,
        dir.display()
    );

    if messages > 0 {
        let opts = SynthOptions::new(messages, common::now());
        let mbox = dir.join(format!("synth-{messages}.mbox"));
        let t = Instant::now();
        let size = write_mbox(&opts, &mbox).unwrap();
        println!(
            "generated mbox: {messages} messages, {:.1} MiB ({:.0} B/message) in {:.2} s",
            size as f64 / 1048576.0,
            size as f64 / messages as f64,
            t.elapsed().as_secs_f64()
        );
        let db = dir.join("import.db");
        import_run("mbox", &config, &db, &mbox, messages);
        // Written only now: 100k new files churn the page cache, and the runs right after
        // writing them were the slowest.
        let maildir = dir.join(format!("synth-{messages}.maildir"));
        let _ = std::fs::remove_dir_all(&maildir);
        write_maildir(&opts, &maildir).unwrap();
        import_run("maildir", &config, &db, &maildir, messages);
        if std::env::var_os("SELLERDESK_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&maildir);
        }
    }

    let relay = env_usize("SELLERDESK_BENCH_RELAY_MESSAGES", 100_000);
    if relay > 0 {
        relay_beside_neomutt(&dir, &config, relay);
    }

    if status_messages > 0 {
        let db = large_db(&dir, &config, status_messages);
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

/// Each run's wall and CPU time, for the figures' "(runs ...)".
fn runs_text(runs: impl Iterator<Item = (Duration, Duration)>) -> String {
    runs.map(|(wall, cpu)| {
        format!(
            "{:.2} s (cpu {:.2} s)",
            wall.as_secs_f64(),
            cpu.as_secs_f64()
        )
    })
    .collect::<Vec<_>>()
    .join(", ")
}
