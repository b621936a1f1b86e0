//! Whole-screen snapshots of the app at a fixed now, drawn with ratatui's TestBackend on the
//! demo inbox, and a sweep of terminal sizes that must never panic.

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sellerdesk::demo::{build, demo_config};
use sellerdesk::store::Store;
use sellerdesk::store::test_support::sql;
use sellerdesk::tui::action::Action;
use sellerdesk::tui::keymap::Keymap;
use sellerdesk::tui::state::App;
use sellerdesk::tui::state::Msg;
use sellerdesk::tui::{effects, ui};

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
    // Seeded templates carry the real time of seeding: pin it for the snapshots.
    sql(&store)
        .execute("UPDATE templates SET updated_at = 1795000000", [])
        .unwrap();
    let config = sellerdesk::config::Config {
        outbox: Some(dir.path().join("outbox")),
        ..demo_config()
    };
    let mut app = App::new(config, now());
    app.page_height = ui::inbox_rows(ratatui::layout::Rect::new(0, 0, width, height), &app);
    effects::reload(&mut app, &store, now());
    // As if a key had been pressed: the alert opens only where a test asks for it.
    app.started = true;
    effects::recompute_rates(&mut app, &store, now());
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

/// Opens the demo thread of `buyer`, as Enter on its row does; its ID.
fn open_thread_of(d: &mut Demo, buyer: &str) -> i64 {
    let id: i64 = sql(&d.store)
        .query_row(
            "SELECT id FROM threads WHERE buyer_name = ?1",
            [buyer],
            |r| r.get(0),
        )
        .unwrap();
    effects::follow(
        &mut d.app,
        &mut d.store,
        Some(sellerdesk::tui::state::Effect::OpenThread(id)),
        now(),
        None,
    );
    id
}

/// Keys a text field takes, as the loop hands them over.
fn type_text(d: &mut Demo, text: &str) {
    for c in text.chars() {
        let key = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        );
        if let Some(effect) = d.app.update(Msg::Typed(key.into()), now()) {
            effects::follow(&mut d.app, &mut d.store, Some(effect), now(), None);
        }
    }
}

fn act(d: &mut Demo, action: Action) {
    if let Some(effect) = d.app.update(action, now()) {
        effects::follow(&mut d.app, &mut d.store, Some(effect), now(), None);
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
    d.app.update(Msg::Opened, now());
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn alert_enter_opens_the_most_urgent_thread() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm);
    let thread = d.app.thread.as_ref().expect("a thread is open");
    assert_eq!(thread.row.buyer_name.as_deref(), Some("Karin Schulz"));
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn help_lists_every_binding() {
    let mut d = demo(140, 48);
    act(&mut d, Action::Help);
    let t = screen(&d, 140, 48);
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

/// The cell where `needle` starts on row `y`, at `from` or right of it (wide characters take
/// two cells).
fn cell_of(buffer: &ratatui::buffer::Buffer, y: u16, from: u16, needle: &str) -> Option<u16> {
    let first = needle.chars().next()?.to_string();
    (from..buffer.area.width).find(|&x| {
        let mut at = x;
        needle.chars().all(|c| {
            if at >= buffer.area.width || buffer[(at, y)].symbol() != c.to_string() {
                return false;
            }
            at += unicode_width::UnicodeWidthChar::width(c)
                .unwrap_or(0)
                .max(1) as u16;
            true
        }) && buffer[(x, y)].symbol() == first
    })
}

/// Several threads at once: Space picks (and moves on), `*` picks the screen; "no response
/// needed", a kind or a snooze then acts on all of them after one confirmation naming how many
/// and which; Esc puts them back.
#[test]
fn picked_threads_are_marked_kinded_and_snoozed_together() {
    let mut d = demo(140, 40);
    let before = d.app.metrics.counts.needs_reply;
    let first: Vec<_> = d.app.rows.iter().take(3).cloned().collect();
    for _ in 0..3 {
        act(&mut d, Action::Pick);
    }
    assert_eq!(d.app.picked.len(), 3);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(shown.contains("3 picked"), "{shown}");
    assert_eq!(shown.matches('✓').count(), 3, "{shown}");
    // One confirmation: how many and which.
    act(&mut d, Action::MarkNoResponse);
    let Some(sellerdesk::tui::state::Modal::Confirm(c)) = &d.app.modal else {
        panic!("asks first: {:?}", d.app.modal);
    };
    assert!(c.question.starts_with("3 threads: "), "{}", c.question);
    for r in &first {
        assert!(
            c.question.contains(r.buyer_name.as_deref().unwrap()),
            "{}",
            c.question
        );
    }
    act(&mut d, Action::Confirm);
    assert_eq!(
        d.app.metrics.counts.needs_reply,
        before - 3,
        "{:?}",
        d.app.notice
    );
    assert!(d.app.picked.is_empty());
    assert_eq!(
        d.app.notice.as_deref(),
        Some("Marked 3 threads \"no response needed\"")
    );
    // A kind for two, chosen once.
    act(&mut d, Action::Pick);
    act(&mut d, Action::Pick);
    let two: Vec<i64> = d.app.picked.iter().copied().collect();
    act(&mut d, Action::SetCategory);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(shown.contains("2 threads: "), "{shown}");
    act(&mut d, Action::Down); // packaging? the second kind
    act(&mut d, Action::Confirm);
    let kind = d
        .app
        .rows
        .iter()
        .find(|r| r.id == two[0])
        .unwrap()
        .category
        .clone();
    assert!(two.iter().all(|id| {
        d.app
            .rows
            .iter()
            .find(|r| r.id == *id)
            .map(|r| r.category.clone())
            == Some(kind.clone())
    }));
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .starts_with("2 threads: kind ")
    );
    // A snooze for the screen, then none: `*` twice puts them back; Esc too.
    act(&mut d, Action::PickVisible);
    assert!(d.app.picked.len() > 5);
    act(&mut d, Action::PickVisible);
    assert!(d.app.picked.is_empty());
    act(&mut d, Action::Pick);
    act(&mut d, Action::Back);
    assert!(d.app.picked.is_empty());
    act(&mut d, Action::Pick);
    act(&mut d, Action::Pick);
    let needs = d.app.metrics.counts.needs_reply;
    act(&mut d, Action::Snooze);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        shown.contains("2 threads: "),
        "the prompt names them:\n{shown}"
    );
    act(&mut d, Action::Confirm);
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .starts_with("Snoozed 2 threads until"),
        "{:?}",
        d.app.notice
    );
    assert_eq!(
        d.app.metrics.counts.needs_reply, needs,
        "the clocks keep running"
    );
    assert_eq!(d.app.total, needs - 2, "hidden from the list");
}

/// The panel labels its headroom and gives the average response for 7, 30 and 90 days; help
/// explains every abbreviation it uses.
#[test]
fn the_panel_labels_its_figures_and_help_explains_them() {
    let mut d = demo(140, 40);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    for want in ["avg  7d ", "avg 30d ", "avg 90d ", "+n before its limit"] {
        assert!(shown.contains(want), "{want:?}:\n{shown}");
    }
    act(&mut d, Action::Help);
    let mut help = String::new();
    for _ in 0..20 {
        help.push_str(&format!("{}", screen(&d, 140, 40).backend()));
        act(&mut d, Action::PageDown);
    }
    for want in [
        "Metrics panel",
        "order defects, seller",
        "perfect orders",
        "more before the limit",
    ] {
        assert!(help.contains(want), "{want:?} in help");
    }
}

/// The startup alert always shows its keys, however many rows it lists, and scrolls when it
/// does not fit.
#[test]
fn the_startup_alert_keeps_its_keys_and_scrolls_when_long() {
    for (w, h) in [(140, 40), (100, 20), (80, 14)] {
        let mut d = demo(w, h);
        d.app.update(Msg::Opened, now());
        let shown = format!("{}", screen(&d, w, h).backend());
        assert!(
            shown.contains("Enter open the most urgent") && shown.contains("Esc dismiss"),
            "{w}x{h}:\n{shown}"
        );
        if h < 16 {
            assert!(shown.contains("j/k scroll"), "{w}x{h}:\n{shown}");
            act(&mut d, Action::PageDown);
            let scrolled = format!("{}", screen(&d, w, h).backend());
            assert_ne!(scrolled, shown, "{w}x{h}: scrolled");
            assert!(scrolled.contains("Esc dismiss"), "{scrolled}");
        }
    }
}

/// The startup alert's rows keep their columns whatever the buyer's script: the subject of a
/// Japanese buyer's row starts in the same cell as an English one's.
#[test]
fn the_alert_aligns_by_display_width() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    let terminal = screen(&d, 140, 40);
    let buffer = terminal.backend().buffer();
    // Inside the alert's box (the list behind it aligns by cells anyway).
    let (left, top) = (0..buffer.area.height)
        .find_map(|y| cell_of(buffer, y, 0, "Needs attention").map(|x| (x - 2, y)))
        .expect("the alert");
    let subject_at = |buyer: &str, subject: &str| {
        (top..buffer.area.height)
            .find_map(|y| {
                cell_of(buffer, y, left, buyer).and_then(|_| cell_of(buffer, y, left, subject))
            })
            .unwrap_or_else(|| panic!("{buyer}: {}", terminal.backend()))
    };
    assert_eq!(
        subject_at("山田 太郎", "Amazon.co.jp"),
        subject_at("Ivan Petrov", "Inquiry"),
        "{}",
        terminal.backend()
    );
}

/// At 60x15 every countdown keeps its figure whole: in the list, the alert and the thread.
#[test]
fn a_60x15_terminal_keeps_every_countdown_whole() {
    let mut d = demo(60, 15);
    let figures: Vec<String> = d
        .app
        .rows
        .iter()
        .filter_map(|r| r.clock_start)
        .map(|start| {
            sellerdesk::text::time_fmt::countdown(
                sellerdesk::domain::clock::Clock { start }.remaining(now()),
            )
        })
        .collect();
    let shown = format!("{}", screen(&d, 60, 15).backend());
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains('│') && (l.contains(" left") || l.contains("overdue ")))
        .collect();
    assert!(rows.len() >= 5, "{shown}");
    for row in rows {
        assert!(
            figures
                .iter()
                .any(|f| row.contains(&format!("●{f} ")) || row.contains(&format!(" {f} "))),
            "a whole countdown in {row}"
        );
    }
    insta::assert_snapshot!("inbox_60x15", screen(&d, 60, 15).backend());
    d.app.update(Msg::Opened, now());
    let shown = format!("{}", screen(&d, 60, 15).backend());
    assert!(shown.contains("overdue 31h00m"), "the alert:\n{shown}");
    // With the thread open the list narrows: the figures stay whole, their words go.
    act(&mut d, Action::Confirm);
    let shown = format!("{}", screen(&d, 60, 15).backend());
    assert!(
        shown.contains(" -31h00m ") && shown.contains("●1h30m "),
        "the thread:\n{shown}"
    );
    insta::assert_snapshot!("thread_60x15", screen(&d, 60, 15).backend());
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
    assert_eq!(done + needs, 39);
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

/// Every screen with its own layout, at every size: composer, picker, prompt, template
/// manager, help, a confirmation.
#[test]
fn no_panic_at_any_size_on_any_screen() {
    let sweep = |d: &mut Demo| {
        for (w, h) in (1..=130u16)
            .step_by(9)
            .flat_map(|w| (1..=50u16).step_by(7).map(move |h| (w, h)))
        {
            d.app.page_height = ui::inbox_rows(ratatui::layout::Rect::new(0, 0, w, h), &d.app);
            screen(d, w, h);
        }
    };
    let mut d = demo(80, 24);
    compose_from_template(&mut d, "damaged");
    type_text(&mut d, "山田 👩‍👩‍👧 \u{1b}[2J");
    sweep(&mut d);
    act(&mut d, Action::InsertTemplate);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::Help);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::Back);
    act(&mut d, Action::MarkNoResponse);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::Search);
    type_text(&mut d, "lamp");
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::SetCategory);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::FilterCategory);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::AddNote);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::Escalate);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::CheckBack);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::WriteFirst);
    sweep(&mut d);
    act(&mut d, Action::Back);
    act(&mut d, Action::ManageTemplates);
    sweep(&mut d);
    act(&mut d, Action::RenameTemplate);
    sweep(&mut d);
}

/// Opens the most urgent thread's composer and inserts the template found by `filter`.
fn compose_from_template(d: &mut Demo, filter: &str) {
    d.app.update(Msg::Opened, now());
    act(d, Action::Confirm);
    act(d, Action::Reply);
    act(d, Action::InsertTemplate);
    type_text(d, filter);
    act(d, Action::Confirm);
}

/// A template's commitments fill from `[commitments]` (a replacement in 4 days, a refund in 2,
/// by default): nothing left to type, and the send confirmation says what the reply promises.
#[test]
fn composer_with_a_template_inserted() {
    let mut d = demo(120, 36);
    compose_from_template(&mut d, "damaged");
    let c = d.app.composer.as_ref().expect("composing");
    assert!(c.body().starts_with("Hello Karin,"), "{}", c.body());
    assert!(c.unfilled().is_empty(), "{}", c.body());
    assert!(
        c.body().contains("arrive by 26 November 2026") && c.body().contains("by 24 November 2026"),
        "{}",
        c.body()
    );
    let t = screen(&d, 120, 36);
    insta::assert_snapshot!(t.backend());
    act(&mut d, Action::Send);
    let Some(sellerdesk::tui::state::Modal::Confirm(confirm)) = &d.app.modal else {
        panic!("a confirmation: {:?}", d.app.notice);
    };
    assert!(
        confirm.question.contains(
            "★ It promises: replacement arrival 26 November 2026 · refund date 24 November 2026"
        ),
        "{}",
        confirm.question
    );
}

/// The picker offers first the template for the thread's kind in the buyer's language (the
/// demo's most urgent buyer writes German about a defective grinder), then a general answer
/// in German, then the kind in English; its dates are written in the template's language.
#[test]
fn the_picker_offers_the_threads_kind_in_the_buyers_language_first() {
    let mut d = demo(120, 36);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm);
    act(&mut d, Action::Reply);
    act(&mut d, Action::InsertTemplate);
    let first: Vec<(String, Option<String>, String)> = d
        .app
        .picker_rows()
        .iter()
        .take(3)
        .map(|r| {
            let t = &r.template;
            (t.name.clone(), t.category.clone(), t.language.clone())
        })
        .collect();
    let kinds: Vec<(Option<&str>, &str)> = first
        .iter()
        .map(|(_, k, l)| (k.as_deref(), l.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Some("quality"), "de"),
            (Some("other"), "de"),
            (Some("quality"), "en")
        ],
        "{first:?}"
    );
    insta::assert_snapshot!(screen(&d, 120, 36).backend());
    act(&mut d, Action::Confirm);
    let c = d.app.composer.as_ref().unwrap();
    assert!(c.unfilled().is_empty(), "{}", c.body());
    assert!(c.body().contains("26. November 2026"), "{}", c.body());
}

#[test]
fn template_picker_filters_as_you_type() {
    let mut d = demo(120, 36);
    compose_from_template(&mut d, "");
    // The first template went in; open the picker again and filter.
    act(&mut d, Action::InsertTemplate);
    type_text(&mut d, "transit ship");
    assert_eq!(d.app.picker_rows().len(), 1);
    insta::assert_snapshot!(screen(&d, 120, 36).backend());
}

#[test]
fn unfilled_placeholders_block_sending_and_filled_ones_send() {
    let mut d = demo(120, 36);
    let before = d.app.metrics.counts;
    // The answer itself is the seller's to give.
    compose_from_template(&mut d, "general reply");
    assert_eq!(
        d.app.composer.as_ref().unwrap().unfilled(),
        vec!["{{answer}}"]
    );
    act(&mut d, Action::Send);
    assert!(
        d.app.modal.is_none(),
        "no confirmation while placeholders are left"
    );
    assert!(d.app.notice.as_deref().unwrap_or("").contains("not filled"));
    // Replace the text with one that is complete.
    let c = d.app.composer.as_mut().unwrap();
    c.replace(
        "Hello Karin,\n\na replacement arrives by Friday.\n\nExample Shop",
        now(),
    );
    act(&mut d, Action::Send);
    let Some(sellerdesk::tui::state::Modal::Confirm(confirm)) = &d.app.modal else {
        panic!("a confirmation: {:?}", d.app.notice);
    };
    assert!(
        confirm
            .question
            .contains("To: Karin Schulz <q7m2kd81xwzp0a3@marketplace.amazon.de>")
    );
    act(&mut d, Action::Confirm);
    assert!(d.app.composer.is_none(), "{:?}", d.app.notice);
    assert_eq!(d.app.metrics.counts.critical, before.critical - 1);
    assert_eq!(d.app.metrics.counts.overdue, before.overdue - 1);
    let last = d
        .app
        .thread
        .as_ref()
        .unwrap()
        .messages
        .last()
        .unwrap()
        .clone();
    assert_eq!(last.direction, "out");
}

/// The thread pane always shows the selected thread: after moving in the list it shows the
/// selected one (until opened), and after a send moves the list on, the list highlights the
/// thread still open — or nothing — never another.
#[test]
fn the_thread_pane_never_shows_one_thread_while_another_is_selected() {
    let mut d = demo(140, 40);
    act(&mut d, Action::Open);
    let open = d.app.thread.as_ref().unwrap().row.clone();
    act(&mut d, Action::Back);
    act(&mut d, Action::Down);
    let selected = d.app.selected_row().unwrap().clone();
    assert_ne!(selected.id, open.id);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    let pane: String = shown
        .lines()
        .map(|l| l.chars().skip(63).take(50).collect::<String>() + "\n")
        .collect();
    assert!(
        pane.contains(selected.buyer_name.as_deref().unwrap()) && pane.contains("Enter opens it"),
        "{shown}"
    );
    assert!(!pane.contains(open.order_id.as_deref().unwrap()), "{shown}");
    // Answered: the thread leaves the needs-reply list; the list shows no other as selected.
    act(&mut d, Action::Up);
    act(&mut d, Action::Open);
    let reversed = |d: &Demo| {
        let terminal = screen(d, 140, 40);
        (1..39)
            .filter(|&y| {
                terminal.backend().buffer()[(5, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
            })
            .count()
    };
    assert_eq!(reversed(&d), 1, "the open thread's row");
    act(&mut d, Action::Reply);
    type_text(&mut d, "Hello Karin, a replacement left today.");
    act(&mut d, Action::Send);
    act(&mut d, Action::Confirm);
    assert!(d.app.composer.is_none(), "{:?}", d.app.notice);
    let open = d.app.thread.as_ref().unwrap().row.id;
    assert!(d.app.rows.iter().all(|r| r.id != open), "left the list");
    assert_eq!(
        reversed(&d),
        0,
        "no other row shown selected:\n{}",
        screen(&d, 140, 40).backend()
    );
}

#[test]
fn a_draft_comes_back_when_the_thread_is_reopened() {
    let mut d = demo(120, 36);
    compose_from_template(&mut d, "follow");
    let body = d.app.composer.as_ref().unwrap().body();
    // The pause autosave, as the loop runs it.
    let later = now() + chrono::Duration::seconds(1);
    let save = d.app.update(Msg::Pause, later).expect("a pause saves");
    effects::follow(&mut d.app, &mut d.store, Some(save), now(), None);
    // A new app on the same database: the process was killed and started again.
    let mut app = App::new(d.app.config.clone(), now());
    app.page_height = d.app.page_height;
    effects::reload(&mut app, &d.store, now());
    d.app = app;
    act(&mut d, Action::Open);
    assert_eq!(
        d.app.thread_draft.as_ref().map(|x| x.body.clone()),
        Some(body.clone())
    );
    act(&mut d, Action::Reply);
    assert_eq!(d.app.composer.as_ref().unwrap().body(), body);
}

#[test]
fn template_manager() {
    let mut d = demo(120, 30);
    act(&mut d, Action::ManageTemplates);
    // Opened on the selected thread: the preview says what each placeholder becomes there.
    assert_eq!(
        d.app.template_thread.as_ref().map(|t| t.label.as_str()),
        Some("Karin Schulz · 302-5518236-4471920")
    );
    let shown = format!("{}", screen(&d, 120, 44).backend());
    assert!(
        shown.contains("On Karin Schulz · 302-5518236-4471920:"),
        "{shown}"
    );
    let row_with = |a: &str, b: &str| shown.lines().any(|l| l.contains(a) && l.contains(b));
    assert!(
        row_with("{{buyer_first_name}}", "Karin")
            && row_with("{{cancellation_outcome}}", "you type it"),
        "what each placeholder becomes, or that the seller types it: {shown}"
    );
    let shipped = sellerdesk::reply::templates::defaults().unwrap().len();
    assert_eq!(d.app.templates.len(), shipped);
    act(&mut d, Action::Down);
    let original = d.app.selected_template().unwrap().template.name.clone();
    act(&mut d, Action::DuplicateTemplate);
    assert_eq!(d.app.templates.len(), shipped + 1);
    let copy = d.app.selected_template().unwrap().template.name.clone();
    assert_eq!(copy, format!("{original} (copy)"));
    act(&mut d, Action::RenameTemplate);
    for _ in 0..copy.chars().count() {
        let bs = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Backspace,
            crossterm::event::KeyModifiers::NONE,
        );
        d.app.update(Msg::Typed(bs.into()), now());
    }
    type_text(&mut d, "Apology, short");
    act(&mut d, Action::Confirm);
    assert_eq!(
        d.app.selected_template().unwrap().template.name,
        "Apology, short"
    );
    act(&mut d, Action::DeleteTemplate);
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.templates.len(), shipped);
    insta::assert_snapshot!(screen(&d, 120, 30).backend());
}

#[test]
fn search_finds_a_thread_by_its_text_and_esc_clears_it() {
    let mut d = demo(120, 30);
    let all = d.app.total;
    act(&mut d, Action::Search);
    type_text(&mut d, "kaffeemühle mahlt");
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.total, 1);
    assert_eq!(d.app.rows[0].buyer_name.as_deref(), Some("Karin Schulz"));
    insta::assert_snapshot!(screen(&d, 120, 30).backend());
    act(&mut d, Action::Back);
    assert_eq!((d.app.search.clone(), d.app.total), (None, all));
}

/// At 140x40: late responses first, every chart at least six rows of plot, each target line
/// labelled, what an off-target metric needs to recover, the panel's abbreviations spelled
/// out; j shows the next row of charts.
#[test]
fn dashboard_of_metric_trends() {
    let mut d = demo(140, 40);
    act(&mut d, Action::OpenDashboard);
    let t = screen(&d, 140, 40);
    let text = format!("{}", t.backend());
    // Each fulfilment channel's ODR has its own chart.
    assert!(text.contains("Order defects (seller) 0.15%"), "{text}");
    assert!(text.contains("Order defects (FBA) 0.46%"), "{text}");
    assert!(text.contains("On-time delivery"), "{text}");
    assert!(text.contains("Perfect orders 97.22%"), "{text}");
    let buffer = t.backend().buffer();
    let (x, y) = find_in(buffer, 0, "Late response (30d)").expect("the late-response chart");
    assert!(y <= 3 && x < 10, "first, top left: {text}");
    // Every chart's box: its top-left corner to its bottom-left one, eight rows or more.
    let corners: Vec<(u16, u16)> = (0..buffer.area.height)
        .flat_map(|y| (1..buffer.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buffer[(x, y)].symbol() == "┌" && y > 1)
        .collect();
    assert!(corners.len() >= 8, "{text}");
    for (x, y) in corners {
        let bottom = (y + 1..buffer.area.height)
            .find(|&b| buffer[(x, b)].symbol() == "└")
            .unwrap();
        assert!(
            bottom - y + 1 >= 8,
            "a chart of {} rows at {x},{y}: {text}",
            bottom - y + 1
        );
    }
    assert!(
        text.contains("target < 10%"),
        "a labelled target line: {text}"
    );
    assert!(
        text.contains("Late response (30d) is off target: to recover, "),
        "{text}"
    );
    assert!(text.contains("ODR order defects, seller"), "{text}");
    insta::assert_snapshot!(t.backend());
    // A shorter terminal: fewer rows of charts, j shows the next.
    let short = format!("{}", screen(&d, 140, 28).backend());
    act(&mut d, Action::ScrollDown);
    act(&mut d, Action::ScrollDown);
    let scrolled = format!("{}", screen(&d, 140, 28).backend());
    assert!(
        short.contains("Late response (30d)") && !scrolled.contains("Late response (30d) 5"),
        "{scrolled}"
    );
    assert!(scrolled.contains("Refund rate") && !short.contains("Refund rate"));
}

/// `c` on a thread: the kinds, the current one selected; choosing another changes the row and
/// logs it; `C` shows only one kind and "all kinds" brings the rest back.
#[test]
fn choosing_a_kind_and_filtering_by_kind() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm); // Karin Schulz, "quality" by rule
    act(&mut d, Action::SetCategory);
    insta::assert_snapshot!("kind_chooser", screen(&d, 140, 40).backend());
    // quality → shipping → not as described → packaging
    for _ in 0..3 {
        act(&mut d, Action::Down);
    }
    act(&mut d, Action::Confirm);
    let t = d.app.thread.as_ref().unwrap();
    let kind = t.category.as_ref().unwrap();
    assert_eq!(kind.category.key(), "packaging");
    assert!(kind.by_seller);
    assert!(
        t.timeline
            .iter()
            .any(|e| e.kind == "categorized" && e.detail == "packaging (was quality)")
    );
    assert_eq!(d.app.rows[0].category.as_deref(), Some("packaging"));

    let all = d.app.total;
    act(&mut d, Action::FilterCategory);
    // "all kinds" first, then quality, shipping: choose shipping.
    act(&mut d, Action::Down);
    act(&mut d, Action::Down);
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.kind.map(|k| k.key()), Some("shipping"));
    assert!(d.app.total > 0 && d.app.total < all);
    assert!(
        d.app
            .rows
            .iter()
            .all(|r| r.category.as_deref() == Some("shipping"))
    );
    insta::assert_snapshot!("inbox_of_one_kind", screen(&d, 140, 40).backend());
    act(&mut d, Action::FilterCategory);
    act(&mut d, Action::PageUp); // "all kinds"
    act(&mut d, Action::Confirm);
    assert_eq!((d.app.kind, d.app.total), (None, all));
}

/// `n` on a thread: a private note, shown on its timeline (terminal-safe), never a message.
#[test]
fn a_note_joins_the_timeline() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm);
    let messages = d.app.thread.as_ref().unwrap().messages.len();
    act(&mut d, Action::AddNote);
    type_text(&mut d, "Called the carrier \u{1b}[2J, claim 4711");
    act(&mut d, Action::Confirm);
    let t = d.app.thread.as_ref().unwrap();
    assert_eq!(t.messages.len(), messages);
    let note = t.timeline.iter().find(|e| e.kind == "noted").unwrap();
    assert!(note.detail.starts_with("Called the carrier"));
    let shown = format!("{}", screen(&d, 140, 60).backend());
    assert!(shown.contains("note  Called the carrier"), "{shown}");
    assert!(!shown.contains('\u{1b}'));
    // An empty note adds nothing.
    act(&mut d, Action::AddNote);
    act(&mut d, Action::Confirm);
    let notes = |d: &Demo| {
        d.app
            .thread
            .as_ref()
            .unwrap()
            .timeline
            .iter()
            .filter(|e| e.kind == "noted")
            .count()
    };
    assert_eq!(notes(&d), 1);
}

/// One figure everywhere: the app's badge, the thread's clock line and `status` show the same
/// time overdue or left for a thread, the state as the label.
#[test]
fn the_app_and_status_show_the_same_countdown() {
    let mut d = demo(140, 40);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    let home = tempfile::tempdir().unwrap();
    let out = crate::support::bin::sellerdesk(home.path())
        .args(["demo", "--now", "2026-11-22T12:00:00Z"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    for row in d
        .app
        .rows
        .iter()
        .filter(|r| r.clock_start.is_some())
        .take(6)
    {
        let buyer = row.buyer_name.as_deref().unwrap();
        let line = status
            .lines()
            .find(|l| l.contains(buyer) && (l.contains(" left") || l.contains("overdue ")))
            .unwrap_or_else(|| panic!("{buyer} in status:\n{status}"));
        let start = row.clock_start.unwrap();
        let badge = sellerdesk::text::time_fmt::countdown(
            sellerdesk::domain::clock::Clock { start }.remaining(now()),
        );
        assert!(
            line.contains(&badge),
            "status says {line:?}, the app {badge:?}"
        );
        assert!(
            shown
                .lines()
                .any(|l| l.contains(&badge) && l.contains(buyer)),
            "{badge} for {buyer}:\n{shown}"
        );
    }
    act(&mut d, Action::Open);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        shown.contains("clock: CRITICAL · overdue 31h00m"),
        "{shown}"
    );
}

/// `X` in the thread: the thread exported as evidence into the file typed (a new one; the
/// suggestion names thread and order).
#[test]
fn x_exports_the_open_thread_as_evidence() {
    let mut d = demo(120, 36);
    act(&mut d, Action::Open);
    let row = d.app.thread.as_ref().unwrap().row.clone();
    act(&mut d, Action::ExportThread);
    let suggested = d.app.prompt.as_ref().unwrap().text();
    assert!(
        suggested.ends_with(&format!(
            "-{}-{}.md",
            row.id,
            row.order_id.as_deref().unwrap()
        )),
        "{suggested}"
    );
    let file = d._dir.path().join("karin.txt");
    type_text(&mut d, file.to_str().unwrap());
    act(&mut d, Action::Confirm);
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("exported as evidence"),
        "{:?}",
        d.app.notice
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("Buyer: Karin Schulz") && text.contains("    Guten Tag,"),
        "{text}"
    );
    // Never over a file.
    act(&mut d, Action::ExportThread);
    type_text(&mut d, file.to_str().unwrap());
    act(&mut d, Action::Confirm);
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("never overwritten"),
        "{:?}",
        d.app.notice
    );
}

/// Every dialog and prompt about a thread names it (buyer and order), in the inbox as in the
/// thread: the seller sees what the answer acts on.
#[test]
fn dialogs_and_prompts_name_the_thread_they_act_on() {
    let mut d = demo(120, 36);
    let row = d.app.selected_row().unwrap().clone();
    let label = format!(
        "{} · order {}",
        row.buyer_name.as_deref().unwrap(),
        row.order_id.as_deref().unwrap()
    );
    for action in [
        Action::MarkNoResponse,
        Action::AddNote,
        Action::Snooze,
        Action::Escalate,
    ] {
        act(&mut d, action);
        let shown = format!("{}", screen(&d, 120, 36).backend());
        assert!(shown.contains(&label), "{action:?} names {label}:\n{shown}");
        act(&mut d, Action::Back);
        assert!(
            d.app.modal.is_none() && d.app.prompt.is_none(),
            "{action:?} closed"
        );
    }
    // From the thread, about the thread open.
    act(&mut d, Action::Open);
    act(&mut d, Action::CheckBack);
    let shown = format!("{}", screen(&d, 120, 36).backend());
    assert!(shown.contains(&label), "{shown}");
}

/// The composer says "ready" only when a send would go: an empty reply, or no seller address to
/// send from, shows as the error it is, before Ctrl-S.
#[test]
fn the_composer_is_ready_only_when_a_send_would_go() {
    let mut d = demo(120, 36);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm);
    act(&mut d, Action::Reply);
    let shown = format!("{}", screen(&d, 120, 36).backend());
    assert!(shown.contains("✗ the reply is empty"), "{shown}");
    assert!(!shown.contains("✓ ready"), "{shown}");
    type_text(&mut d, "Hello, a new one ships today.");
    let shown = format!("{}", screen(&d, 120, 36).backend());
    assert!(shown.contains("✓ ready"), "{shown}");
    d.app.config.seller_addresses.clear();
    let shown = format!("{}", screen(&d, 120, 36).backend());
    assert!(
        shown.contains("✗ no seller address to send from"),
        "{shown}"
    );
    act(&mut d, Action::Send);
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("no seller address"),
        "{:?}",
        d.app.notice
    );
    assert!(d.app.modal.is_none(), "nothing asked: it cannot go");
}

/// The compliance check runs as the seller types: the offending text is highlighted and the
/// bottom line says why; sending asks explicitly and the override lands on the timeline.
#[test]
fn rule_breaking_text_is_flagged_live_and_sending_it_needs_an_override() {
    let mut d = demo(120, 36);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm);
    act(&mut d, Action::Reply);
    type_text(
        &mut d,
        "Hello Karin, a new one ships today. Use coupon SAVE10 on www.example-shop.test",
    );
    let shown = format!("{}", screen(&d, 120, 36).backend());
    assert!(shown.contains("✗ marketing: no marketing"), "{shown}");
    insta::assert_snapshot!("composer_flags_a_rule", screen(&d, 120, 36).backend());
    act(&mut d, Action::Send);
    let Some(sellerdesk::tui::state::Modal::Confirm(confirm)) = &d.app.modal else {
        panic!("a confirmation: {:?}", d.app.notice);
    };
    assert_eq!(confirm.title, "Send despite the rules?");
    assert!(
        confirm.question.contains("marketing “coupon”"),
        "{}",
        confirm.question
    );
    act(&mut d, Action::Confirm);
    assert!(d.app.composer.is_none(), "{:?}", d.app.notice);
    let t = d.app.thread.as_ref().unwrap();
    assert!(
        t.timeline
            .iter()
            .any(|e| e.kind == "override" && e.detail.contains("link"))
    );
}

/// `E`: channel, case ID, follow-up time (48 h unless changed); `b`: check back in 3 days;
/// `o`: the outcome closes the follow-up due first. Each lands on the timeline; a bad time is
/// explained and asked again.
#[test]
fn escalating_reminding_and_closing_follow_ups() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm); // Karin Schulz
    let karin = d.app.thread.as_ref().unwrap().row.id;
    act(&mut d, Action::Escalate);
    insta::assert_snapshot!("escalate_channel", screen(&d, 140, 40).backend());
    act(&mut d, Action::Down); // e-mail
    act(&mut d, Action::Confirm);
    type_text(&mut d, "MANUF-77");
    act(&mut d, Action::Confirm);
    // The follow-up prompt starts at 48h: typing replaces it. Nonsense is explained in the
    // prompt, which stays open on it; Ctrl-U clears it for a real span.
    assert_eq!(d.app.prompt.as_ref().unwrap().text(), "48h");
    type_text(&mut d, "soon");
    assert_eq!(d.app.prompt.as_ref().unwrap().text(), "soon");
    act(&mut d, Action::Confirm);
    let p = d.app.prompt.as_ref().expect("asked again");
    assert_eq!(p.text(), "soon");
    assert!(
        p.problem.as_deref().unwrap_or("").contains("not a time"),
        "{:?}",
        p.problem
    );
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        shown.contains("✗ ") && shown.contains("not a time"),
        "{shown}"
    );
    act(&mut d, Action::ClearPrompt);
    assert_eq!(d.app.prompt.as_ref().unwrap().text(), "");
    type_text(&mut d, "3d");
    act(&mut d, Action::Confirm);
    let t = d.app.thread.as_ref().unwrap();
    assert_eq!(t.follow_ups.len(), 1);
    assert_eq!(t.follow_ups[0].describe(), "e-mail MANUF-77");
    assert_eq!(t.follow_ups[0].due_at, now() + chrono::Duration::days(3));

    act(&mut d, Action::CheckBack);
    act(&mut d, Action::Confirm); // the default, 3d
    assert_eq!(d.app.thread.as_ref().unwrap().follow_ups.len(), 2);
    let shown = format!("{}", screen(&d, 140, 60).backend());
    assert!(shown.contains("Follow-up: e-mail MANUF-77"), "{shown}");

    act(&mut d, Action::FollowUpOutcome);
    type_text(&mut d, "Manufacturer sends a new motor");
    act(&mut d, Action::Confirm);
    let t = d.app.thread.as_ref().unwrap();
    assert_eq!(t.row.id, karin);
    assert_eq!(t.follow_ups.len(), 1);
    let kinds: Vec<&str> = t.timeline.iter().map(|e| e.kind.as_str()).collect();
    for k in ["escalated", "reminder", "followed up"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    // The demo's own escalation (Bob Wilson's) is due: the alert and the panel say so.
    assert_eq!(d.app.metrics.follow_ups.len(), 1);
}

/// `z`: the thread leaves the inbox for 4 hours (the snoozed list has it) but stays in the
/// startup alert, its clock running; `z` then Enter on it wakes it.
#[test]
fn snoozing_hides_a_thread_but_not_from_the_alert() {
    let mut d = demo(140, 40);
    let needs = d.app.total;
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm); // Karin Schulz, critical
    let karin = d.app.thread.as_ref().unwrap().row.id;
    act(&mut d, Action::Snooze);
    act(&mut d, Action::Confirm); // 4h
    assert_eq!(d.app.total, needs - 1);
    assert!(d.app.rows.iter().all(|r| r.id != karin));
    assert!(d.app.alert_rows.iter().any(|r| r.id == karin));
    assert_eq!(d.app.metrics.counts.critical, 2, "the clock never pauses");
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        shown.contains("Snoozed until Sun 22 Nov 16:00 UTC"),
        "{shown}"
    );
    for _ in 0..4 {
        act(&mut d, Action::CycleFilter);
    }
    assert_eq!(d.app.filter, sellerdesk::store::inbox::Filter::Snoozed);
    assert_eq!(
        d.app.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![karin]
    );
    act(&mut d, Action::Snooze);
    assert_eq!(
        d.app.prompt.as_ref().unwrap().text(),
        "",
        "a snoozed thread: Enter wakes it"
    );
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.total, 0);
    act(&mut d, Action::CycleFilter);
    assert_eq!(d.app.total, needs);
}

/// The search runs as it is typed, from the third character; Esc in the prompt goes back to
/// the list as it was.
#[test]
fn search_as_you_type_from_the_third_character() {
    let mut d = demo(120, 30);
    let all = d.app.total;
    act(&mut d, Action::Search);
    type_text(&mut d, "ke");
    assert_eq!((d.app.search.clone(), d.app.total), (None, all));
    type_text(&mut d, "t");
    assert_eq!(d.app.search.as_deref(), Some("ket"));
    assert!(d.app.total > 0 && d.app.total < all, "{}", d.app.total);
    // Within "needs reply": the one kettle thread still waiting.
    let buyers: Vec<_> = d
        .app
        .rows
        .iter()
        .filter_map(|r| r.buyer_name.clone())
        .collect();
    assert_eq!(buyers, ["Alice Moore"]);
    act(&mut d, Action::Back);
    assert_eq!((d.app.search.clone(), d.app.total), (None, all));
}

/// `W`: a permitted reason, then a composer for a message the seller starts — its own subject,
/// the order ID already in it, checked by the proactive rules; a second review request for the
/// order is refused.
#[test]
fn writing_first_from_a_thread() {
    let mut d = demo(140, 40);
    d.app.update(Msg::Opened, now());
    act(&mut d, Action::Confirm); // Karin Schulz
    act(&mut d, Action::WriteFirst);
    insta::assert_snapshot!("write_first_reasons", screen(&d, 140, 40).backend());
    act(&mut d, Action::Down);
    act(&mut d, Action::Down); // a review request
    act(&mut d, Action::Confirm);
    let c = d.app.composer.as_ref().expect("a composer");
    assert_eq!(c.subject, "Your order 302-5518236-4471920");
    assert!(c.body().contains("302-5518236-4471920"), "{}", c.body());
    assert!(c.body().starts_with("Hello Karin,"), "{}", c.body());
    type_text(&mut d, "x");
    act(&mut d, Action::Send);
    act(&mut d, Action::Confirm);
    assert!(d.app.composer.is_none(), "{:?}", d.app.notice);
    // Again: the order has had its review request.
    act(&mut d, Action::WriteFirst);
    act(&mut d, Action::Down);
    act(&mut d, Action::Down);
    act(&mut d, Action::Confirm);
    let c = d.app.composer.as_ref().unwrap();
    assert!(
        c.findings
            .iter()
            .any(|f| f.kind == sellerdesk::domain::compliance::Kind::RepeatedReviewRequest),
        "{:?}",
        c.findings
    );
    act(&mut d, Action::Send);
    assert!(d.app.modal.is_none());
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("one review request"),
        "{:?}",
        d.app.notice
    );
}

#[test]
fn a_refused_reply_shows_reopens_the_clock_alerts_and_r_sends_it_again() {
    let mut d = demo(140, 40);
    // A relay that refuses everything for good (`false` exits 1).
    d.app.config.delivery.transport =
        sellerdesk::config::delivery::Transport::Sendmail(sellerdesk::config::delivery::Sendmail {
            command: vec!["false".into()],
        });
    let before = d.app.metrics.counts;
    compose_from_template(&mut d, "damaged");
    let c = d.app.composer.as_mut().unwrap();
    c.replace(
        "Hello Karin,\n\na replacement arrives by Friday.\n\nExample Shop",
        now(),
    );
    act(&mut d, Action::Send);
    act(&mut d, Action::Confirm);
    assert!(
        d.app.replies_queued > 0,
        "the sender is woken for the new reply"
    );
    assert_eq!(d.app.metrics.counts.critical, before.critical - 1);
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(shown.contains("… queued for delivery"), "{shown}");

    let clock = || now();
    let sender = sellerdesk::delivery::Sender::new(&d.app.config, &clock);
    let summary = sender.deliver_due(&mut d.store, &|| false).unwrap();
    assert_eq!(summary.failed, 1, "{summary:?}");
    effects::reload(&mut d.app, &d.store, now());
    assert_eq!(
        d.app.metrics.counts.critical, before.critical,
        "the buyer has no answer: the clock runs again"
    );
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        shown.contains("✗ not delivered: `false` exited 1"),
        "{shown}"
    );
    assert!(
        shown.contains("undelivered"),
        "the panel counts it: {shown}"
    );
    d.app.update(Msg::Opened, now());
    let alert = format!("{}", screen(&d, 140, 40).backend());
    assert!(
        alert.contains("Replies not delivered: 1 refused for good"),
        "{alert}"
    );
    act(&mut d, Action::Back);

    act(&mut d, Action::RetryDelivery);
    let Some(sellerdesk::tui::state::Modal::Confirm(confirm)) = &d.app.modal else {
        panic!("a confirmation first: {:?}", d.app.notice);
    };
    assert!(
        confirm
            .question
            .contains("Send this thread's undelivered replies again?")
    );
    act(&mut d, Action::Confirm);
    assert_eq!(d.app.notice.as_deref(), Some("1 reply queued again"));
    assert_eq!(d.app.metrics.counts.critical, before.critical - 1);
    insta::assert_snapshot!(screen(&d, 140, 40).backend());
}

#[test]
fn attachments_saved_from_a_thread_and_attached_to_a_reply() {
    let mut d = demo(140, 40);
    open_thread_of(&mut d, "Sofía Ruiz");
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(shown.contains("📎 sarten-foto.jpg (image/jpeg"), "{shown}");

    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("from-sofia");
    act(&mut d, Action::SaveAttachments);
    let prompt = d.app.prompt.as_mut().expect("a folder prompt");
    assert_eq!(prompt.text(), "~/Downloads/sellerdesk");
    prompt.input = ratatui_textarea::TextArea::new(vec![folder.display().to_string()]);
    act(&mut d, Action::Confirm);
    assert_eq!(
        d.app.notice.as_deref(),
        Some(format!("Saved 1 file to {}", folder.display()).as_str())
    );
    let photo = std::fs::read(folder.join("sarten-foto.jpg")).unwrap();
    assert_eq!(&photo[..2], b"\xff\xd8");

    // The reply takes a file: listed in the composer, refused when too big.
    act(&mut d, Action::Reply);
    let invoice = out.path().join("factura.pdf");
    std::fs::write(&invoice, vec![b'x'; 3000]).unwrap();
    act(&mut d, Action::AttachFile);
    type_text(&mut d, &invoice.display().to_string());
    act(&mut d, Action::Confirm);
    let big = out.path().join("video.mp4");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(sellerdesk::reply::attachments::MAX_BYTES + 1)
        .unwrap();
    act(&mut d, Action::AttachFile);
    type_text(&mut d, &big.display().to_string());
    act(&mut d, Action::Confirm);
    assert!(
        d.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("limited to 10 MB"),
        "{:?}",
        d.app.notice
    );
    let shown = format!("{}", screen(&d, 140, 40).backend());
    assert!(shown.contains("📎 factura.pdf (3 KB)"), "{shown}");
    assert!(!shown.contains("video.mp4 ("), "{shown}");
}

#[test]
fn the_demos_bounced_reply_says_why_and_its_clock_runs() {
    let mut d = demo(140, 60);
    open_thread_of(&mut d, "Grace Lee");
    let shown = format!("{}", screen(&d, 140, 60).backend());
    assert!(shown.contains("clock: ON TRACK · 15h00m left"), "{shown}");
    assert!(
        shown.contains("✗ bounced: Reason: This message was not sent"),
        "{shown}"
    );
    assert!(shown.contains("⚠ bounce"), "{shown}");
}

/// The row of the first line holding `needle` (at or right of `from`), with the cell it starts.
fn find_in(buffer: &ratatui::buffer::Buffer, from: u16, needle: &str) -> Option<(u16, u16)> {
    (0..buffer.area.height).find_map(|y| cell_of(buffer, y, from, needle).map(|x| (x, y)))
}

/// A Japanese buyer's thread: the picker offers the Japanese packaging template first, its kind
/// column starts in the same cell as an English row's, the preview is filled (dates written the
/// Japanese way), and the send confirmation keeps its right border in place on every row.
#[test]
fn picker_and_send_dialog_align_by_display_width_with_japanese_text() {
    let mut d = demo(120, 36);
    open_thread_of(&mut d, "山田 太郎");
    act(&mut d, Action::Reply);
    act(&mut d, Action::InsertTemplate);
    let first = &d.app.picker_rows()[0].template;
    assert_eq!(
        (first.category.as_deref(), first.language.as_str()),
        (Some("packaging"), "ja")
    );
    let terminal = screen(&d, 120, 36);
    let buffer = terminal.backend().buffer();
    let (title, _) = find_in(buffer, 0, "Insert template").expect("the picker");
    let (_, picker_top) = find_in(buffer, 0, "Insert template").unwrap();
    let picker_left = title - 2;
    // The thread's Japanese text behind the picker never eats its left border.
    let picker_bottom = (picker_top + 1..buffer.area.height)
        .find(|&y| buffer[(picker_left, y)].symbol() == "└")
        .expect("the picker's bottom");
    for y in picker_top + 1..picker_bottom {
        assert_eq!(
            buffer[(picker_left, y)].symbol(),
            "│",
            "row {y}:\n{}",
            terminal.backend()
        );
        assert!(
            unicode_width::UnicodeWidthStr::width(buffer[(picker_left - 1, y)].symbol()) <= 1,
            "row {y}: a wide character covers the border"
        );
    }
    let kind_cell = |name: &str| {
        let (x, y) = find_in(buffer, picker_left, name)
            .unwrap_or_else(|| panic!("{name}: {}", terminal.backend()));
        cell_of(buffer, y, x, "packaging").unwrap_or_else(|| panic!("{name}'s kind"))
    };
    assert_eq!(
        kind_cell("梱包の不備 (JA)"),
        kind_cell("Packaging problem"),
        "{}",
        terminal.backend()
    );
    assert!(
        find_in(buffer, picker_left, "年").is_some(),
        "a Japanese date in the preview: {}",
        terminal.backend()
    );
    insta::assert_snapshot!("picker_japanese", terminal.backend());

    act(&mut d, Action::Confirm);
    // A fixed outbox path for the snapshot (the test's own is a random temporary folder).
    d.app.config.outbox = Some("/srv/shop/outbox".into());
    act(&mut d, Action::Send);
    assert!(
        matches!(d.app.modal, Some(sellerdesk::tui::state::Modal::Confirm(_))),
        "{:?}",
        d.app.notice
    );
    let terminal = screen(&d, 120, 36);
    let buffer = terminal.backend().buffer();
    let (x, y) = find_in(buffer, 0, "Send this reply?").expect("the dialog");
    let left = (0..x)
        .rev()
        .find(|&x| buffer[(x, y)].symbol() == "│")
        .expect("its left border");
    let top = (0..y)
        .rev()
        .find(|&y| buffer[(left, y)].symbol() == "┌")
        .expect("its top");
    let right = (left + 1..buffer.area.width)
        .find(|&x| buffer[(x, top)].symbol() == "┐")
        .expect("its top right corner");
    let bottom = (top + 1..buffer.area.height)
        .find(|&y| buffer[(left, y)].symbol() == "└")
        .expect("its bottom");
    for y in top + 1..bottom {
        assert_eq!(
            (buffer[(left, y)].symbol(), buffer[(right, y)].symbol()),
            ("│", "│"),
            "row {y}:\n{}",
            terminal.backend()
        );
    }
    assert!(
        find_in(buffer, left, "山田 太郎").is_some(),
        "{}",
        terminal.backend()
    );
    insta::assert_snapshot!("send_dialog_japanese", terminal.backend());
}
