//! One huge message: importing it (time, peak memory of the real binary), then the app with
//! its thread open — every key to its next frame, in-process against ratatui's TestBackend.
//!
//! `cargo bench --bench huge_message` prints the figures. Environment:
//!   SELLERDESK_BENCH_HUGE_MB   size of the message, MB of text (default 200)
//!   SELLERDESK_BENCH_DIR       scratch folder (default: target/bench-data)
//! Targets (issue 19): the import's memory bounded whatever the message's size; each key to
//! the next frame under 16 ms at p99 with the message open.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{NOW, bench_dir, env_usize, ms, now, percentile, run};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use sellerdesk::config::Config;
use sellerdesk::store::Store;
use sellerdesk::tui::action::Action;
use sellerdesk::tui::keymap::Keymap;
use sellerdesk::tui::state::App;
use sellerdesk::tui::{effects, ui};

const COLS: u16 = 140;
const ROWS: u16 = 40;

/// A buyer's message whose text is `mb` megabytes of ordinary lines.
fn write_message(path: &std::path::Path, mb: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        f,
        "From: \"Huge Buyer - Amazon Marketplace\" <hb0x1m2k3z4q5w6@marketplace.amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: Inquiry from Amazon customer Huge Buyer (Order: 111-0000000-0000001)\r\n\
         Message-ID: <huge@amazon.test>\r\nDate: Sun, 22 Nov 2026 08:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    .unwrap();
    let line =
        "My order 111-0000000-0000001 has not arrived and I keep writing about it at length.\r\n";
    let mut written = 0;
    while written < mb << 20 {
        f.write_all(line.as_bytes()).unwrap();
        written += line.len();
    }
    f.flush().unwrap();
}

fn main() {
    let mb = env_usize("SELLERDESK_BENCH_HUGE_MB", 200);
    let (dir, config) = bench_dir();
    let eml = dir.join(format!("huge-{mb}mb.eml"));
    if std::fs::metadata(&eml).map(|m| m.len()).unwrap_or(0) < (mb << 20) as u64 {
        write_message(&eml, mb);
    }
    let db = dir.join(format!("huge-{mb}mb.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let (took, rss_kib, out) = run(
        &config,
        &[
            "--db",
            db.to_str().unwrap(),
            "--now",
            NOW,
            "import",
            eml.to_str().unwrap(),
        ],
    );
    println!(
        "import of one {mb} MB message: {:.2} s · peak RSS {:.0} MB · {}",
        took.as_secs_f64(),
        rss_kib as f64 / 1024.0,
        out.lines().next().unwrap_or("")
    );

    let keymap = Keymap::default();
    let mut store = Store::open(&db).unwrap();
    let mut app = App::new(Config::load(&config, true).unwrap(), now());
    app.page_height = ui::inbox_rows(Rect::new(0, 0, COLS, ROWS), &app);
    effects::reload(&mut app, &store, now());
    app.modal = None;
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).unwrap();
    terminal.draw(|f| ui::draw(f, &app, &keymap)).unwrap();
    let key = |app: &mut App, store: &mut Store, terminal: &mut Terminal<TestBackend>, a| {
        let t = Instant::now();
        if let Some(effect) = app.update(a, now()) {
            effects::follow(app, store, Some(effect), now(), None);
        }
        terminal.draw(|f| ui::draw(f, app, &keymap)).unwrap();
        t.elapsed()
    };
    let opened = key(&mut app, &mut store, &mut terminal, Action::Open);
    println!(
        "opening its thread, key to frame: {:.1} ms (one screen of the body laid out)",
        ms(opened)
    );
    // Reading it: down through the text, back up, to the inbox and in again.
    let mut script = vec![Action::NextPane];
    for _ in 0..10 {
        script.extend(std::iter::repeat_n(Action::ScrollDown, 40));
        script.extend(std::iter::repeat_n(Action::ScrollUp, 10));
        script.extend([Action::Back, Action::Down, Action::Up, Action::Open]);
        script.push(Action::NextPane);
    }
    let mut times: Vec<Duration> = script
        .into_iter()
        .map(|a| key(&mut app, &mut store, &mut terminal, a))
        .collect();
    times.sort();
    println!(
        "with it open, key to next frame ({} keys): p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
}
