//! `watch` while no mail arrives: the CPU and I/O it spends, idle, on a watched Maildir of
//! 10,000 messages (after its catch-up import), and the message files it opens meanwhile
//! (counted with inotify). Then one delivery, to show it still wakes.
//!
//! `cargo bench --bench watch_idle` prints the figures. Environment:
//!   SELLERDESK_BENCH_WATCH_MESSAGES  messages in the Maildir (default 10000)
//!   SELLERDESK_BENCH_WATCH_SECS      idle period measured (default 30)
//!   SELLERDESK_BENCH_DIR             scratch folder (default: target/bench-data)
//!   SELLERDESK_BENCH_WATCH_BIN       another sellerdesk binary to measure (e.g. an older build)
//! Targets: 0 message files read while idle; < 0.1 % of a core.

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use common::{BIN, NOW, bench_dir, env_usize, now};
use notify::event::{AccessKind, EventKind};
use notify::{RecursiveMode, Watcher};
use sellerdesk::testing::synth::{SynthOptions, write_maildir};

/// (user + system CPU in clock ticks, bytes read through read(2), read calls) of a process.
fn usage(pid: u32) -> (u64, u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name in parentheses: field 14 (utime) and 15 (stime), 1-based.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let field = |key: &str| -> u64 {
        io.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (ticks, field("rchar:"), field("syscr:"))
}

fn main() {
    let messages = env_usize("SELLERDESK_BENCH_WATCH_MESSAGES", 10_000);
    let secs = env_usize("SELLERDESK_BENCH_WATCH_SECS", 30);
    let (dir, config) = bench_dir();
    let maildir = dir.join(format!("watch-{messages}"));
    if !maildir.join("cur").is_dir() {
        write_maildir(&SynthOptions::new(messages, now()), &maildir).unwrap();
    }
    let _ = std::fs::remove_dir_all(maildir.join("new"));
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    let watch_config = dir.join("watch-config.toml");
    std::fs::write(
        &watch_config,
        format!(
            "{}\n[[mailbox]]\npath = \"{}\"\n",
            std::fs::read_to_string(&config).unwrap(),
            maildir.display()
        ),
    )
    .unwrap();
    let db = dir.join("watch-idle.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }

    let started = Instant::now();
    let bin = std::env::var("SELLERDESK_BENCH_WATCH_BIN").unwrap_or_else(|_| BIN.into());
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&watch_config)
        .arg("--db")
        .arg(&db)
        .args(["--now", NOW, "watch"])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    println!(
        "watch on {messages} messages: {} in {:.2} s",
        line.trim(),
        started.elapsed().as_secs_f64()
    );

    let (tx, events) = channel();
    let mut watcher = notify::recommended_watcher(tx).unwrap();
    for sub in ["new", "cur"] {
        watcher
            .watch(&maildir.join(sub), RecursiveMode::NonRecursive)
            .unwrap();
    }
    // Whatever its catch-up left to settle, settled.
    std::thread::sleep(Duration::from_secs(2));
    while events.try_recv().is_ok() {}

    let pid = child.id();
    let (ticks0, rchar0, syscr0) = usage(pid);
    let idle = Duration::from_secs(secs as u64);
    let end = Instant::now() + idle;
    let mut opens = 0u64;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        if let Ok(Ok(e)) = events.recv_timeout(left)
            && matches!(e.kind, EventKind::Access(AccessKind::Open(_)))
        {
            // Listing a folder opens it; only message files count.
            opens += e.paths.iter().filter(|p| !p.is_dir()).count() as u64;
        }
    }
    let (ticks1, rchar1, syscr1) = usage(pid);
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (ticks1 - ticks0) as f64 / hz;
    println!(
        "idle {secs} s: CPU {cpu:.2} s = {:.3} % of a core · message files opened {opens} · \
         read {} bytes in {} read calls",
        100.0 * cpu / idle.as_secs_f64(),
        rchar1 - rchar0,
        syscr1 - syscr0
    );

    // Still awake: one delivery is read and imported.
    let name = format!("{}.bench-delivery.host", std::process::id());
    std::fs::write(
        maildir.join("tmp").join(&name),
        format!(
            "From: b@marketplace.amazon.com\r\nTo: support@example-shop.test\r\n\
             Message-ID: <{name}@bench>\r\nSubject: Where is my parcel?\r\n\
             Date: Sun, 22 Nov 2026 11:00:00 +0000\r\n\r\nStill waiting.\r\n"
        ),
    )
    .unwrap();
    let delivered = Instant::now();
    std::fs::rename(
        maildir.join("tmp").join(&name),
        maildir.join("new").join(&name),
    )
    .unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    println!(
        "a delivery: \"{}\" after {} ms",
        line.trim(),
        delivered.elapsed().as_millis()
    );
    let _ = std::fs::remove_file(maildir.join("new").join(&name));
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = child.wait();
    drop(watcher);
}
