//! A full disk (SQLite's `max_page_count` standing in for it) during an import and during a
//! draft save: the error is said, nothing partial is written, the app keeps running, and once
//! there is room the import completes without duplicates and the draft is saved whole.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::demo::{build, demo_config};
use sellerdesk::import::import_paths;
use sellerdesk::store::Store;
use sellerdesk::store::test_support::sql;
use sellerdesk::testing::synth::{SynthOptions, write_mbox};
use sellerdesk::tui::action::Action;
use sellerdesk::tui::effects;
use sellerdesk::tui::state::App;
use sellerdesk::tui::state::Msg;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// No room beyond `extra_pages` more pages.
fn fill_up(store: &Store, extra_pages: i64) {
    sellerdesk::store::test_support::limit_pages(store, Some(extra_pages));
}

fn room(store: &Store) {
    sellerdesk::store::test_support::limit_pages(store, None);
}

fn integrity(store: &Store) {
    let check: String = sql(store)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_full_disk_stops_an_import_whole_and_it_completes_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("mail.mbox");
    write_mbox(&SynthOptions::new(2_000, now()), &mbox).unwrap();
    let config = Config {
        seller_addresses: vec!["support@example-shop.test".into()],
        ..Config::default()
    };
    let mut store = Store::open(&dir.path().join("shop.db")).unwrap();
    fill_up(&store, 20);
    let hidden = indicatif::ProgressBar::hidden();
    let err = import_paths(
        &mut store,
        &config,
        std::slice::from_ref(&mbox),
        now(),
        &hidden,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("full"), "the error says so: {err}");
    integrity(&store);
    let stored: i64 = sql(&store)
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 0, "nothing of the interrupted batch");

    room(&store);
    let report = import_paths(&mut store, &config, &[mbox], now(), &hidden).unwrap();
    assert_eq!((report.imported, report.duplicates), (2_000, 0));
    integrity(&store);
    println!(
        "disk full mid-import: \"{err}\", 0 stored; with room again: {} imported, 0 duplicates",
        report.imported
    );
}

#[test]
fn a_full_disk_at_a_draft_save_is_said_the_text_kept_and_saved_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = build(&dir.path().join("demo.db"), now()).unwrap();
    let mut app = App::new(
        Config {
            outbox: Some(dir.path().join("outbox")),
            ..demo_config()
        },
        now(),
    );
    effects::reload(&mut app, &store, now());
    app.update(Msg::Opened, now());
    for action in [Action::Confirm, Action::Reply] {
        if let Some(e) = app.update(action, now()) {
            effects::follow(&mut app, &mut store, Some(e), now(), None);
        }
    }
    let thread = app.composer.as_ref().expect("the composer").thread_id;
    // A long reply: more than the pages left.
    let text: String = (0..4000)
        .map(|i| format!("line {i} of a long answer\n"))
        .collect();
    app.composer.as_mut().unwrap().replace(&text, now());
    fill_up(&store, 2);
    let save = app
        .update(Msg::Pause, now() + Duration::seconds(3))
        .expect("an autosave is due");
    effects::follow(&mut app, &mut store, Some(save), now(), None);
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("draft not saved") && notice.contains("full"),
        "{notice}"
    );
    assert!(
        app.composer.is_some(),
        "the app keeps running, the text in the composer"
    );
    assert_eq!(store.draft(thread).unwrap(), None, "nothing partial");
    integrity(&store);

    room(&store);
    let save = app
        .update(Msg::Pause, now() + Duration::seconds(6))
        .expect("tried again");
    effects::follow(&mut app, &mut store, Some(save), now(), None);
    let saved = store.draft(thread).unwrap().expect("saved").body;
    assert_eq!(saved.trim_end(), text.trim_end(), "the draft intact");
}
