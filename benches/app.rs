//! The app on a large database: state and render against ratatui's TestBackend in-process
//! (first frame, every navigation key to its next frame), and the real binary in a
//! pseudo-terminal (process start to the first full frame, memory).
//!
//! `cargo bench --bench app` prints the figures. Environment:
//!   SELLERDESK_BENCH_APP_MESSAGES  messages in the database (default 1000000)
//!   SELLERDESK_BENCH_DIR           scratch folder (default: target/bench-data)
//! Targets: first full frame < 50 ms from process start; each navigation key to the next
//! frame < 16 ms at p99; RSS < 50 MB. Each is measured twice: with the search index complete,
//! and with it behind (the newest `SELLERDESK_BENCH_APP_BEHIND` messages, default 300000, taken
//! out of it before every run) while the app's catch-up thread indexes them.

mod common;
#[path = "../tests/support/pty.rs"]
mod pty;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{NOW, env_usize, large_db, ms, now, percentile};
use pty::Pty;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use sellerdesk::config::Config;
use sellerdesk::store::Store;
use sellerdesk::store::test_support::sql;
use sellerdesk::tui::action::Action;
use sellerdesk::tui::keymap::Keymap;
use sellerdesk::tui::state::App;
use sellerdesk::tui::state::Msg;
use sellerdesk::tui::{effects, ui};

const COLS: u16 = 140;
const ROWS: u16 = 40;

/// The search index's two states the app is measured in.
#[derive(Clone, Copy, PartialEq)]
enum Index {
    Complete,
    /// This many of the newest messages not indexed: the app's catch-up thread works on them.
    Behind(i64),
}

impl Index {
    fn label(self) -> String {
        match self {
            Index::Complete => "index complete".into(),
            Index::Behind(n) => format!("index {n} messages behind, catching up"),
        }
    }

    /// Puts the database's index in this state.
    fn prepare(self, db: &std::path::Path) {
        let mut store = Store::open(db).unwrap();
        let newest: i64 = sql(&store)
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap();
        let upto = store.indexed_upto().unwrap();
        let want = match self {
            Index::Complete => newest,
            Index::Behind(n) => (newest - n).max(0),
        };
        if want < upto {
            sql(&store)
                .execute(
                    "DELETE FROM messages_fts WHERE rowid IN
                         (SELECT id FROM messages WHERE id > ?1 AND id <= ?2)",
                    [want, upto],
                )
                .unwrap();
            sql(&store)
                .execute("UPDATE search_state SET indexed_upto = ?1", [want])
                .unwrap();
        } else {
            while store.indexed_upto().unwrap() < want {
                store.index_messages(50_000).unwrap();
            }
        }
        sql(&store)
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
}

fn in_process(db: &std::path::Path, config: &std::path::Path, index: Index) {
    index.prepare(db);
    let keymap = Keymap::default();
    let start = Instant::now();
    let store = Store::open(db).unwrap();
    let opened = start.elapsed();
    // As in the app: the catch-up thread starts with it.
    let catch_up = match index {
        Index::Behind(_) => sellerdesk::tui::index_catch_up::IndexCatchUp::spawn(db),
        Index::Complete => None,
    };
    let mut app = App::new(Config::load(config, true).unwrap(), now());
    app.page_height = ui::inbox_rows(Rect::new(0, 0, COLS, ROWS), &app);
    effects::reload(&mut app, &store, now());
    app.update(Msg::Opened, now());
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).unwrap();
    terminal.draw(|f| ui::draw(f, &app, &keymap)).unwrap();
    let first = start.elapsed();
    let t = Instant::now();
    effects::recompute_rates(&mut app, &store, now());
    let rates = t.elapsed();
    println!("{}:", index.label());
    println!(
        "in-process: open {:.1} ms · first frame {:.1} ms ({} threads need a reply, {} rows loaded) · response rates after it {:.1} ms",
        ms(opened),
        ms(first),
        app.total,
        app.rows.len(),
        ms(rates)
    );

    let mut store = store;
    app.modal = None;
    // A morning's navigation: down the list, pages, the ends, filters, threads.
    let mut script: Vec<Action> = Vec::new();
    for _ in 0..20 {
        script.extend(std::iter::repeat_n(Action::Down, 40));
        script.extend([
            Action::PageDown,
            Action::PageDown,
            Action::Up,
            Action::PageUp,
        ]);
        script.extend([Action::Open, Action::ScrollDown, Action::Back]);
        script.extend([Action::Bottom, Action::Up, Action::Top]);
        script.extend([Action::CycleFilter]);
    }
    let mut times: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut all = Vec::new();
    for action in script {
        if let Some(c) = &catch_up {
            // A seller reads the list before opening a thread: the catch-up is mid-step
            // when the key comes.
            if action == Action::Open {
                std::thread::sleep(Duration::from_millis(400));
            }
            // As the app's loop does for every key.
            c.key_pressed();
        }
        let t = Instant::now();
        if let Some(effect) = app.update(action, now()) {
            effects::follow(&mut app, &mut store, Some(effect), now(), None);
        }
        terminal.draw(|f| ui::draw(f, &app, &keymap)).unwrap();
        let d = t.elapsed();
        let name = match action {
            Action::Down | Action::Up => "down/up",
            Action::PageDown | Action::PageUp => "page",
            Action::Top | Action::Bottom => "top/bottom",
            Action::Open | Action::Back | Action::ScrollDown => "thread",
            Action::CycleFilter => "filter",
            _ => "other",
        };
        times.entry(name).or_default().push(d);
        all.push(d);
    }
    all.sort();
    println!(
        "in-process navigation, key to next frame ({} keys): p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap())
    );
    for (name, mut t) in times {
        t.sort();
        println!(
            "  {name:<10} n={:<4} p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
            t.len(),
            ms(percentile(&t, 0.5)),
            ms(percentile(&t, 0.99)),
            ms(*t.last().unwrap())
        );
    }
}

/// `VmRSS` and `VmHWM` of a process, KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Run {
    first_frame: Duration,
    rss_after_keys: (u64, u64),
}

/// One launch in a pseudo-terminal: time to the first full frame (the inbox rows and the
/// startup alert on screen), then a few hundred keys, then memory.
fn launch(db: &std::path::Path, config: &std::path::Path) -> Run {
    let (db, config) = (db.to_str().unwrap(), config.to_str().unwrap());
    let home = std::path::Path::new(db).parent().unwrap();
    let cmd = pty::command(home, &["--config", config, "--db", db, "--now", NOW], &[]);
    let full_frame =
        |screen: &str| screen.contains("Needs attention") && screen.contains("Metrics");
    let mut app = Pty::spawn_watching(cmd, ROWS, COLS, Some(Box::new(full_frame)));
    let first = app.wait_seen();
    let pid = app.pid();
    let mut keys = b"\x1b".to_vec();
    keys.extend(std::iter::repeat_n(b'j', 200));
    keys.extend(b"G\rfgf");
    app.send(&keys);
    std::thread::sleep(Duration::from_millis(1500));
    let rss = memory(pid);
    app.send(b"q");
    let _ = app.child.wait();
    Run {
        first_frame: first,
        rss_after_keys: rss,
    }
}

fn main() {
    let messages = env_usize("SELLERDESK_BENCH_APP_MESSAGES", 1_000_000);
    let (dir, config) = common::bench_dir();
    let db = large_db(&dir, &config, messages);
    // A first launch migrates an older database and warms the page cache; not counted.
    let _ = launch(&db, &config);
    println!(
        "sellerdesk app benchmark · {messages} messages ({:.0} MiB) · {COLS}x{ROWS}",
        std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0
    );
    let behind = env_usize("SELLERDESK_BENCH_APP_BEHIND", 300_000) as i64;
    for index in [Index::Complete, Index::Behind(behind)] {
        in_process(&db, &config, index);
        let runs: Vec<Run> = (0..10)
            .map(|_| {
                index.prepare(&db);
                launch(&db, &config)
            })
            .collect();
        let mut firsts: Vec<Duration> = runs.iter().map(|r| r.first_frame).collect();
        firsts.sort();
        let rss = runs.iter().map(|r| r.rss_after_keys.0).max().unwrap_or(0);
        let hwm = runs.iter().map(|r| r.rss_after_keys.1).max().unwrap_or(0);
        println!(
            "pty: process start to first full frame ({} runs): median {:.1} ms · p90 {:.1} ms · max {:.1} ms",
            firsts.len(),
            ms(percentile(&firsts, 0.5)),
            ms(percentile(&firsts, 0.9)),
            ms(*firsts.last().unwrap())
        );
        println!(
            "pty: memory after 200 j, G, open, filters: RSS {:.1} MiB · peak {:.1} MiB",
            common::mib(rss),
            common::mib(hwm)
        );
    }
    Index::Complete.prepare(&db);
}
