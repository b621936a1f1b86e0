//! Whole-screen snapshots of the app at a fixed now, drawn with ratatui's TestBackend on the
//! demo inbox, and a sweep of terminal sizes that must never panic.

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sellerdesk::demo::{build, demo_config};
use sellerdesk::store::Store;
use sellerdesk::tui::action::Action;
use sellerdesk::tui::keymap::Keymap;
use sellerdesk::tui::state::App;
use sellerdesk::tui::{data, ui};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

struct Demo {
    _dir: tempfile::TempDir,
    store: Store,
    app: App,
}

fn demo(width: u16, height: u16) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = build(&dir.path().join("demo.db"), now()).unwrap();
    let mut app = App::new(demo_config(), now());
    app.page_height = ui::inbox_rows(ratatui::layout::Rect::new(0, 0, width, height), &app);
    data::refresh(&mut app, &store);
    data::refresh_rates(&mut app, &store);
    Demo {
        _dir: dir,
        store,
        app,
    }
}

fn screen(d: &Demo, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| ui::draw(f, &d.app, &Keymap::default()))
        .unwrap();
    terminal
}

fn act(d: &mut Demo, action: Action) {
    if let Some(effect) = d.app.update(action, now()) {
        data::perform(&mut d.app, &mut d.store, effect);
    }
}

#[test]
fn inbox_wide() {
    let d = demo(140, 40);
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn startup_alert() {
    let mut d = demo(140, 40);
    d.app.open_startup_alert();
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn alert_enter_opens_the_most_urgent_thread() {
    let mut d = demo(140, 40);
    d.app.open_startup_alert();
    act(&mut d, Action::Confirm);
    let thread = d.app.thread.as_ref().expect("a thread is open");
    assert_eq!(thread.row.buyer_name.as_deref(), Some("Karin Schulz"));
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn help_lists_every_binding() {
    let mut d = demo(120, 44);
    act(&mut d, Action::Help);
    let t = screen(&d, 120, 44);
    let text = format!("{}", t.backend());
    for b in Keymap::default().all() {
        assert!(text.contains(b.action.description()), "{:?}", b.action);
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn narrow_terminal_hides_the_panel() {
    let d = demo(80, 24);
    let t = screen(&d, 80, 24);
    assert!(!format!("{}", t.backend()).contains("Metrics"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn marking_no_response_needed_lowers_the_overdue_count() {
    let mut d = demo(140, 40);
    let before = d.app.metrics.counts;
    act(&mut d, Action::MarkNoResponse);
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.metrics.counts.overdue, before.overdue - 1);
    assert_eq!(d.app.metrics.counts.critical, before.critical - 1);
    act(&mut d, Action::UndoMark);
    assert_eq!(d.app.metrics.counts, before);
}

#[test]
fn filters_show_other_threads() {
    let mut d = demo(140, 40);
    let needs = d.app.total;
    act(&mut d, Action::CycleFilter); // overdue
    assert_eq!(d.app.total, d.app.metrics.counts.overdue);
    act(&mut d, Action::CycleFilter); // all
    assert!(d.app.total > needs);
    act(&mut d, Action::CycleFilter); // done
    let done = d.app.total;
    assert_eq!(done + needs, 37);
}

#[test]
fn no_panic_at_any_size() {
    let mut d = demo(80, 24);
    act(&mut d, Action::Open);
    for (w, h) in (1..=160u16)
        .step_by(7)
        .flat_map(|w| (1..=60u16).step_by(5).map(move |h| (w, h)))
    {
        d.app.page_height = ui::inbox_rows(ratatui::layout::Rect::new(0, 0, w, h), &d.app);
        screen(&d, w, h);
    }
    let tiny = screen(&d, 30, 5);
    assert!(format!("{}", tiny.backend()).contains("too small"));
}
