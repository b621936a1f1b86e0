//! The full-screen app. The loop is "TEA-lite": draw(&app) → wait for a key, a tick or a
//! signal → keymap → `Action` → `App::update` → `Effect`, performed against the store by
//! `effects`, whose `Outcome` goes back through `App::update`: the one place the app changes.
//!
//! The terminal is always restored: `ratatui::init` installs a panic hook, SIGTERM/SIGHUP/SIGINT
//! restore it and exit from a signal thread, and every error path goes through
//! `ratatui::restore`.

/// The actions keys trigger (defined with the key grammar in `crate::keys`).
pub use crate::keys::action;
pub mod composer;
pub mod effects;
pub mod index_catch_up;
pub mod keymap;
pub mod picker;
pub mod rates;
pub mod state;
pub mod theme;
pub mod ui;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Utc};
use crossterm::event::{self, Event, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;

use crate::config::Config;
use crate::store::Store;
use effects::editor;
use keymap::Keymap;
use state::{App, Failure, Msg, Outcome};

/// Set while the external editor has the terminal: Ctrl-C there is the editor's business.
pub(crate) static EDITOR_RUNNING: AtomicBool = AtomicBool::new(false);

/// Runs the app until the seller quits. `start` is the instant the app opens at (`--now`);
/// time runs on from it.
pub fn run(mut store: Store, config: Config, start: DateTime<Utc>) -> Result<()> {
    // A signal ends the app from its own thread: the loop may be blocked reading a terminal
    // that is gone (a closed terminal sends SIGHUP, and reading it then never returns). Every
    // write is a finished transaction, so nothing is half-written when the process exits.
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ])?;
    let signal_handle = signals.handle();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal == signal_hook::consts::SIGINT && EDITOR_RUNNING.load(Ordering::SeqCst) {
                continue;
            }
            ratatui::restore();
            std::process::exit(128 + signal);
        }
    });
    let opened = Instant::now();
    let clock = move || start + chrono::Duration::from_std(opened.elapsed()).unwrap_or_default();
    let mut terminal = ratatui::init();
    let result = run_loop(&mut terminal, &mut store, config, &clock);
    signal_handle.close();
    ratatui::restore();
    result
}

/// The real terminal, handed to the external editor and taken back.
struct TerminalHandoff<'t, B: Backend> {
    terminal: &'t mut Terminal<B>,
}

impl<B: Backend> editor::Handoff for TerminalHandoff<'_, B> {
    fn suspend(&mut self) -> std::io::Result<()> {
        ratatui::restore();
        Ok(())
    }

    fn resume(&mut self) -> std::io::Result<()> {
        crossterm::terminal::enable_raw_mode()?;
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::EnterAlternateScreen,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        // Both buffers empty: the next draw repaints everything. (`Terminal::clear` would ask
        // the terminal for the cursor position, which not every terminal answers.)
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }
}

/// `msg` through `App::update`, and what follows performed; the terminal is at hand for the
/// external editor.
fn settle<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    store: &mut Store,
    msg: impl Into<Msg>,
    now: DateTime<Utc>,
) {
    let mut editor = effects::Terminal {
        handoff: &mut TerminalHandoff { terminal },
        editor: editor::editor_command(),
    };
    effects::settle(app, store, msg, now, Some(&mut editor));
}

fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    store: &mut Store,
    config: Config,
    clock: &dyn Fn() -> DateTime<Utc>,
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let keymap = Keymap::with(&config.keys);
    let mut app = App::new(config, clock());
    let size = terminal.size()?;
    let rows = ui::inbox_rows(size.into(), &app);
    app.update(Msg::Resized(rows), clock());
    effects::follow(&mut app, store, Some(state::Effect::Reload), clock(), None);
    app.update(Msg::Opened, clock());
    // The first frame goes up before the slow part (response rates over 90 days), which a
    // worker thread computes on its own connection.
    terminal.draw(|f| ui::draw(f, &app, &keymap))?;
    let mut rates_worker = rates::RatesWorker::spawn(store.path(), app.config.recurring);
    let index = index_catch_up::IndexCatchUp::spawn(store.path());
    match &mut rates_worker {
        // The figures first; their 90-day history (seconds on a large shop) right after.
        Some(w) => w.request(app.now, false),
        None => {
            let now = clock();
            let rates = effects::rates_now(&app, store, now);
            settle(terminal, &mut app, store, rates, now);
        }
    }
    // Mail delivered into the config's Maildirs is imported on a thread of its own; the inbox
    // reloads when it lands.
    let intake = if app.config.mailboxes.is_empty() {
        None
    } else {
        let (start, opened) = (clock(), Instant::now());
        match crate::import::intake::Intake::spawn(store.path(), &app.config, move || {
            start + chrono::Duration::from_std(opened.elapsed()).unwrap_or_default()
        }) {
            Ok(intake) => Some(intake),
            Err(e) => {
                let failed = Outcome::Failed(Failure::Intake(e.to_string()));
                app.update(failed, clock());
                None
            }
        }
    };
    // Replies leave on a thread of their own: a slow server never holds up a frame.
    let sender = {
        let (start, opened) = (clock(), Instant::now());
        match crate::delivery::worker::Worker::spawn(store.path(), &app.config, move || {
            start + chrono::Duration::from_std(opened.elapsed()).unwrap_or_default()
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                let failed = Outcome::Failed(Failure::Delivery(e.to_string()));
                app.update(failed, clock());
                None
            }
        }
    };
    // Another terminal's (or worker's) commits show within a loop turn.
    let mut seen_version = store.data_version().ok();
    let mut presence = Presence::default();
    let mut history_asked = false;
    let mut last_trends = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_rates = Instant::now();
    // What the app asked for that the loop has done: rates computed, the sender woken.
    let mut rates_done = app.rates_asked;
    let mut woken_for = app.replies_queued;
    let mut frame_log = FrameLog::from_env();
    while !app.quit {
        let turn = Instant::now();
        terminal.draw(|f| ui::draw(f, &app, &keymap))?;
        let timeout = Duration::from_millis(250);
        let waiting = Instant::now();
        let ready = event::poll(timeout)?;
        let waited = waiting.elapsed();
        if ready {
            match event::read()? {
                // For the terminal-restoring tests only: a panic on demand, mid-session.
                Event::Key(key)
                    if key.code == crossterm::event::KeyCode::F(12) && panic_key_enabled() =>
                {
                    panic!("panic requested with F12 (SELLERDESK_TEST_PANIC_KEY)");
                }
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    if let Some(index) = &index {
                        index.key_pressed();
                    }
                    let context = app.context();
                    match keymap.resolve(&key, context) {
                        Some(action) => settle(terminal, &mut app, store, action, clock()),
                        None if context.takes_text() => {
                            settle(terminal, &mut app, store, Msg::Typed(key.into()), clock())
                        }
                        None => {}
                    }
                }
                Event::Resize(w, h) => {
                    let rows = ui::inbox_rows(ratatui::layout::Rect::new(0, 0, w, h), &app);
                    settle(terminal, &mut app, store, Msg::Resized(rows), clock());
                }
                _ => {}
            }
        }
        if let Some(intake) = &intake {
            let (mut imported, mut errors) = (0, Vec::new());
            while let Ok(arrival) = intake.arrivals.try_recv() {
                match arrival.report {
                    Ok(report) => imported += report.imported,
                    Err(e) => errors.push(e.to_string()),
                }
            }
            if imported > 0 || !errors.is_empty() {
                let arrived = Outcome::Arrived { imported, errors };
                settle(terminal, &mut app, store, arrived, clock());
                seen_version = store.data_version().ok();
            }
        }
        if let Some(sender) = &sender {
            if app.replies_queued != woken_for {
                woken_for = app.replies_queued;
                sender.wake();
            }
            let reports: Vec<_> = sender
                .reports
                .try_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect();
            if !reports.is_empty() {
                settle(
                    terminal,
                    &mut app,
                    store,
                    Outcome::Delivered(reports),
                    clock(),
                );
                seen_version = store.data_version().ok();
            }
        }
        if let Err(e) = presence.sync(&app, store, clock()) {
            app.update(Outcome::Failed(Failure::Presence(e)), clock());
        }
        let version = store.data_version().ok();
        if version != seen_version {
            seen_version = version;
            settle(terminal, &mut app, store, Outcome::DataChanged, clock());
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            last_tick = Instant::now();
            let now = clock();
            let counts = effects::counts(&app, store, now);
            settle(terminal, &mut app, store, counts, now);
        }
        if last_rates.elapsed() >= Duration::from_secs(60) || app.rates_asked != rates_done {
            last_rates = Instant::now();
            rates_done = app.rates_asked;
            let trends = last_trends.elapsed() >= rates::TRENDS_EVERY.to_std().unwrap_or_default();
            if trends {
                last_trends = Instant::now();
            }
            match &mut rates_worker {
                Some(w) => w.request(clock(), trends),
                None => {
                    let now = clock();
                    let rates = effects::rates_now(&app, store, now);
                    settle(terminal, &mut app, store, rates, now);
                }
            }
        }
        if let Some(r) = rates_worker.as_mut().and_then(|w| w.poll()) {
            settle(
                terminal,
                &mut app,
                store,
                effects::rates_outcome(r),
                clock(),
            );
            if !history_asked && let Some(w) = &mut rates_worker {
                history_asked = true;
                last_trends = Instant::now();
                w.request(clock(), true);
            }
        }
        settle(terminal, &mut app, store, Msg::Pause, clock());
        if let Some(log) = frame_log.as_mut() {
            log.record(turn.elapsed().saturating_sub(waited), app.total);
        }
    }
    settle(terminal, &mut app, store, Msg::Closing, clock());
    let _ = store.release_takes(&app.instance);
    Ok(())
}

/// `SELLERDESK_TEST_PANIC_KEY=1` makes F12 panic: how the tests prove a panic restores the
/// terminal and keeps the draft.
fn panic_key_enabled() -> bool {
    std::env::var_os("SELLERDESK_TEST_PANIC_KEY").is_some()
}

/// `SELLERDESK_FRAME_LOG=FILE`: per loop turn, when it ended (µs since the Unix epoch), its own
/// work (reloads, drawing; not the wait for input) in µs, and the inbox count it ended on —
/// what the burst benchmark reads.
struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
}

impl FrameLog {
    fn from_env() -> Option<FrameLog> {
        let path = std::env::var_os("SELLERDESK_FRAME_LOG")?;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .ok()?;
        Some(FrameLog {
            out: std::io::BufWriter::new(file),
        })
    }

    fn record(&mut self, work: Duration, total: u64) {
        use std::io::Write;
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let _ = writeln!(self.out, "{} {} {total}", at.as_micros(), work.as_micros());
        let _ = self.out.flush();
    }
}

/// Tells the other terminals on the database which thread this one is writing a reply on:
/// written when the composer opens on another thread or closes, and refreshed while it stays.
#[derive(Default)]
struct Presence {
    held: Option<i64>,
    written_at: Option<Instant>,
}

impl Presence {
    /// `Err`: the store's reason; tried again on the next turn, the composer works regardless.
    fn sync(&mut self, app: &App, store: &mut Store, now: DateTime<Utc>) -> Result<(), String> {
        let want = app.holding();
        let beat = Duration::from_secs(crate::store::takes::HEARTBEAT_SECS as u64);
        let due = self.written_at.is_none_or(|at| at.elapsed() >= beat);
        if want == self.held && (want.is_none() || !due) {
            return Ok(());
        }
        let written = match want {
            Some(thread) => store.take_thread(thread, &app.instance, &app.config.agent, now),
            None => store.release_takes(&app.instance),
        };
        written.map_err(|e| e.to_string())?;
        self.held = want;
        self.written_at = Some(Instant::now());
        Ok(())
    }
}
