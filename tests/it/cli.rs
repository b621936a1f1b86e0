//! The real binary end to end: commands, options, exit codes, output formats.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::bin;

const NOW: &str = "2026-11-22T12:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail")
        .join(name)
}

/// The binary with a private home (`support::bin`), for `assert_cmd`'s assertions.
fn sd(home: &Path) -> Command {
    Command::from_std(bin::sellerdesk(home))
}

fn write_config(home: &Path, text: &str) -> PathBuf {
    let path = home.join("sellerdesk.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const SELLER_CONFIG: &str =
    "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n";

#[test]
fn import_json_has_exactly_the_five_counts() {
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(home.path(), SELLER_CONFIG);
    let db = home.path().join("x.db");
    let out = sd(home.path())
        .args(["import", "--json", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(&db)
        .arg(fixture("buyer_inquiry.eml"))
        .arg(fixture("unknown_charset.eml"))
        .arg(fixture("mbox/mixed.mbox"))
        .args(["--now", NOW])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        r#"{"files":3,"imported":5,"duplicates":0,"flagged":2,"failed":0}"#
    );
    // Same sources again: nothing new.
    sd(home.path())
        .args(["--db"])
        .arg(&db)
        .args(["--config"])
        .arg(&cfg)
        .args(["import", "--json"])
        .arg(fixture("buyer_inquiry.eml"))
        .arg(fixture("unknown_charset.eml"))
        .arg(fixture("mbox/mixed.mbox"))
        .assert()
        .success()
        .stdout(
            r#"{"files":3,"imported":0,"duplicates":5,"flagged":0,"failed":0}"#.to_owned() + "\n",
        );
}

#[test]
fn import_text_prints_the_same_counts_and_reports_failures() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("x.db");
    sd(home.path())
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(fixture("buyer_inquiry.eml"))
        .arg(home.path().join("missing.mbox"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "files 1 · imported 1 · duplicates 0 · flagged 0 · failed 1",
        ))
        .stderr(predicate::str::contains("missing.mbox"));
}

#[test]
fn default_database_lives_in_the_private_data_folder() {
    let home = tempfile::tempdir().unwrap();
    sd(home.path())
        .args(["import", "--json"])
        .arg(fixture("buyer_inquiry.eml"))
        .assert()
        .success();
    let db = home.path().join("data/sellerdesk/sellerdesk.db");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(db.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn config_store_db_is_used() {
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(home.path(), "[store]\ndb = \"inbox/mine.db\"\n");
    sd(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(["import"])
        .arg(fixture("buyer_inquiry.eml"))
        .assert()
        .success();
    assert!(home.path().join("inbox/mine.db").exists());
}

fn imported_home(files: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(home.path(), SELLER_CONFIG);
    let db = home.path().join("x.db");
    let mut c = sd(home.path());
    c.arg("--config")
        .arg(&cfg)
        .arg("--db")
        .arg(&db)
        .arg("import");
    for f in files {
        c.arg(fixture(f));
    }
    c.assert().success();
    (home, cfg, db)
}

fn status(home: &Path, cfg: &Path, db: &Path, now: &str, json_out: bool) -> std::process::Output {
    let mut c = sd(home);
    c.arg("status")
        .arg("--config")
        .arg(cfg)
        .arg("--db")
        .arg(db)
        .args(["--now", now]);
    if json_out {
        c.arg("--json");
    }
    c.output().unwrap()
}

#[test]
fn status_json_lists_urgent_threads_most_urgent_first() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml", "latin1.eml", "amazon_notice.eml"]);
    let out = status(home.path(), &cfg, &db, NOW, true);
    assert_eq!(out.status.code(), Some(2));
    let v = bin::json(&out);
    assert_eq!(v["now"], "2026-11-22T12:00:00Z");
    assert_eq!(
        v["counts"],
        serde_json::json!({"needs_reply": 2, "due_soon": 0, "overdue": 2, "critical": 1})
    );
    let threads = v["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0]["state"], "critical");
    assert_eq!(threads[0]["buyer"], "Bob Wilson");
    assert_eq!(
        threads[0]["buyer_alias"],
        "t2bbx9k3mqz1w8r@marketplace.amazon.com"
    );
    assert_eq!(threads[0]["order_id"], "111-4827163-0028371");
    assert_eq!(threads[0]["due_at"], "2026-11-21T10:00:00Z");
    assert!(threads[0]["id"].is_i64());
    assert_eq!(threads[1]["state"], "overdue");
    assert_eq!(threads[1]["due_at"], "2026-11-22T07:00:00Z");
}

#[test]
fn status_exit_codes_follow_nagios() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml"]);
    // Buyer wrote 2026-11-20 10:00 UTC.
    let code = |now: &str| status(home.path(), &cfg, &db, now, false).status.code();
    assert_eq!(code("2026-11-20T11:00:00Z"), Some(0), "on track");
    assert_eq!(code("2026-11-21T04:00:00Z"), Some(1), "due soon: 6 h left");
    assert_eq!(code("2026-11-21T10:00:00Z"), Some(2), "overdue");
    assert_eq!(code("2026-11-22T10:00:00Z"), Some(2), "critical");
    let unknown = status(home.path(), &cfg, &db, "yesterday", false);
    assert_eq!(unknown.status.code(), Some(3));
}

#[test]
fn status_text_shows_countdowns() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml"]);
    let out = status(home.path(), &cfg, &db, "2026-11-21T04:48:00Z", false);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1 need a reply · 0 overdue (0 critical) · 1 due soon"),
        "{text}"
    );
    assert!(text.contains("DUE SOON  5h12m left"), "{text}");
    assert!(text.contains("Bob Wilson"), "{text}");
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml"]);
    let before = sd(home.path())
        .arg("--db")
        .arg(&db)
        .arg("--config")
        .arg(&cfg)
        .args(["--now", NOW, "status", "--json"])
        .output()
        .unwrap();
    let after = sd(home.path())
        .args(["status", "--json", "--now", NOW])
        .arg("--db")
        .arg(&db)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(before.stdout, after.stdout);
    assert_eq!(before.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_3_and_help_exits_0() {
    let home = tempfile::tempdir().unwrap();
    sd(home.path()).arg("frobnicate").assert().code(3);
    sd(home.path()).args(["status", "--bogus"]).assert().code(3);
    sd(home.path()).arg("import").assert().code(3);
    sd(home.path())
        .args(["--now", "2026-13-01", "status"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("RFC 3339"));
    sd(home.path()).arg("--help").assert().code(0);
    sd(home.path()).arg("--version").assert().code(0);
}

#[test]
fn bad_config_names_file_line_and_key() {
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(
        home.path(),
        "[seller]\nname = \"x\"\n\n[clock]\ncritical_hourz = 50\n",
    );
    sd(home.path())
        .arg("--config")
        .arg(&cfg)
        .arg("status")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(cfg.display().to_string()))
        .stderr(predicate::str::contains("line 5"))
        .stderr(predicate::str::contains("clock.critical_hourz"));
}

#[test]
fn explicit_config_that_does_not_exist_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    sd(home.path())
        .args(["--config", "/nonexistent/sellerdesk.toml", "status"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("/nonexistent/sellerdesk.toml"));
}

#[test]
fn a_database_from_a_newer_sellerdesk_is_refused_untouched() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("new.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "application_id", sellerdesk::store::APPLICATION_ID)
            .unwrap();
        c.pragma_update(None, "user_version", 42).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    sd(home.path())
        .arg("--db")
        .arg(&db)
        .arg("status")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("newer than this sellerdesk"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

fn has_terminal_controls(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn buyer_text_never_reaches_stdout_raw() {
    let (home, cfg, db) = imported_home(&["hostile.eml"]);
    let text = status(home.path(), &cfg, &db, "2026-11-22T09:00:00Z", false);
    assert_eq!(text.status.code(), Some(2));
    assert!(
        !has_terminal_controls(&text.stdout),
        "{:?}",
        String::from_utf8_lossy(&text.stdout)
    );
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(shown.contains("Refund␛]52;c;"), "{shown}");
    let j = status(home.path(), &cfg, &db, "2026-11-22T09:00:00Z", true);
    assert!(
        !has_terminal_controls(&j.stdout),
        "{:?}",
        String::from_utf8_lossy(&j.stdout)
    );
    let v = bin::json(&j);
    assert!(
        v["threads"][0]["subject"]
            .as_str()
            .unwrap()
            .contains('\x1b'),
        "JSON keeps the data"
    );
}

#[test]
fn demo_shows_a_realistic_inbox_without_touching_user_settings() {
    let home = tempfile::tempdir().unwrap();
    // A broken user config must not matter: the demo uses its own settings.
    let cfg = write_config(home.path(), "this is not toml [");
    let out = sd(home.path())
        .env("SELLERDESK_CONFIG", &cfg)
        .args(["demo", "--json", "--now", NOW])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = bin::json(&out);
    let counts = &v["counts"];
    assert_eq!(counts["critical"], 2);
    assert_eq!(counts["overdue"], 6);
    assert_eq!(counts["due_soon"], 3);
    assert!(counts["needs_reply"].as_u64().unwrap() >= 15);
    assert!(
        !home.path().join("data").exists(),
        "no default database was created"
    );
    sd(home.path())
        .args(["demo", "--now", NOW])
        .assert()
        .success()
        .stdout(predicate::str::contains("CRITICAL"))
        .stdout(predicate::str::contains("山田 太郎"));
}

/// `metrics` gives the average response time for 7, 30 and 90 days, as the app's panel does.
#[test]
fn metrics_gives_the_average_response_for_each_window() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into();
    drop(sellerdesk::demo::build(&db, now).unwrap());
    let out = sd(home.path())
        .arg("--db")
        .arg(&db)
        .args(["metrics", "--now", NOW])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Average response time: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        line,
        "Average response time: 7d 10h30m · 30d 12h10m · 90d 11h40m"
    );
}

/// `demo --db PATH` keeps the demo in PATH (its outbox beside it) and opens it again; a PATH
/// holding another database is refused untouched; `SELLERDESK_DB` is not `--db` for the demo.
#[test]
fn demo_with_db_keeps_the_demo_there_and_never_writes_into_another_database() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("practice.db");
    let demo = |db: &Path| {
        sd(home.path())
            .arg("--db")
            .arg(db)
            .args(["demo", "--now", NOW])
            .output()
            .unwrap()
    };
    let out = demo(&db);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("practice.db, kept"), "{text}");
    // The seller's practice stays: a thread marked there is still marked the next time.
    let status = |db: &Path| {
        let out = sd(home.path())
            .arg("--db")
            .arg(db)
            .args(["status", "--json", "--now", NOW])
            .output()
            .unwrap();
        bin::json(&out)["counts"]["needs_reply"].as_u64().unwrap()
    };
    let before = status(&db);
    assert!(before >= 15);
    let store = sellerdesk::store::Store::open(&db).unwrap();
    let urgent = store
        .urgent_threads(
            chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into(),
            &Default::default(),
            Some(1),
        )
        .unwrap()[0]
        .id;
    let mut store = store;
    store
        .mark(
            urgent,
            sellerdesk::store::marks::MarkKind::NoResponseNeeded,
            chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into(),
        )
        .unwrap();
    drop(store);
    assert_eq!(demo(&db).status.code(), Some(0));
    assert_eq!(status(&db), before - 1, "opened again, not rebuilt");

    // Another database at PATH: refused, not a byte changed.
    let real = home.path().join("shop.db");
    let imported = sd(home.path())
        .arg("--db")
        .arg(&real)
        .args(["import", "--now", NOW])
        .arg(fixture("buyer_inquiry.eml"))
        .output()
        .unwrap();
    assert!(imported.status.success());
    let bytes = std::fs::read(&real).unwrap();
    let out = demo(&real);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a demo database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&real).unwrap(), bytes, "untouched");

    // SELLERDESK_DB names the seller's own database: the demo stays in a temporary one.
    let out = sd(home.path())
        .env("SELLERDESK_DB", &real)
        .args(["demo", "--json", "--now", NOW])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&real).unwrap(), bytes, "untouched");
}

/// `templates list` keeps its columns for Japanese names: the kind starts in the same terminal
/// column on every line.
#[test]
fn templates_list_aligns_by_display_width() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into();
    drop(sellerdesk::demo::build(&db, now).unwrap());
    let out = sd(home.path())
        .arg("--db")
        .arg(&db)
        .args(["templates", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| !l.is_ascii()),
        "a template with a Japanese name: {text}"
    );
    for line in text.lines() {
        // The name's column is 36 cells wide, then one space.
        let mut width = 0;
        let mut kind_at = None;
        for (i, c) in line.char_indices() {
            if width == 37 {
                kind_at = Some(i);
                break;
            }
            width += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
        let kind_at = kind_at.unwrap_or_else(|| panic!("short line {line:?}"));
        let before = &line[..kind_at];
        assert!(before.ends_with(' '), "{line:?}");
        assert!(
            !line[kind_at..].starts_with(' '),
            "the kind starts at cell 37: {line:?}"
        );
    }
}

/// `export-thread`: the thread as evidence — buyer, order, every message quoted with its time,
/// the timeline with notes — in Markdown or text, printed or into a new file (0600), never over
/// an existing one; a hostile buyer's controls never reach the output.
#[test]
fn export_thread_writes_the_evidence_and_never_overwrites() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml", "hostile.eml"]);
    {
        let mut store = sellerdesk::store::Store::open(&db).unwrap();
        store
            .add_note(1, "Called the carrier: parcel lost", chrono::Utc::now())
            .unwrap();
    }
    let run = |args: &[&str]| {
        sd(home.path())
            .arg("--config")
            .arg(&cfg)
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW, "export-thread"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "# Thread 1: Inquiry from Amazon customer Bob Wilson",
        "- **Buyer:** Bob Wilson",
        "- **Order:** 111-4827163-0028371",
        "## Messages (1)",
        "> The lamp arrived broken.",
        "## Timeline",
        "noted: Called the carrier: parcel lost",
        "Exported by sellerdesk",
    ] {
        assert!(md.contains(want), "{want:?} in:\n{md}");
    }
    let txt = String::from_utf8_lossy(&run(&["1", "--format", "txt"]).stdout).into_owned();
    assert!(
        txt.contains("Buyer: Bob Wilson") && txt.contains("    The lamp arrived broken."),
        "{txt}"
    );
    assert!(!txt.contains("**"), "plain text");
    // Every thread, the hostile one included: no control character in the output.
    for id in ["1", "2"] {
        let out = run(&[id]);
        assert!(out.status.success());
        assert!(
            !out.stdout
                .iter()
                .any(|&b| b == 0x1b || b == 0x07 || (b < 0x20 && b != b'\n')),
            "thread {id}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Into a new file, private; never over one.
    let file = home.path().join("evidence.md");
    let out = run(&["1", "--out", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().trim_end(),
        md.trim_end()
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::write(&file, "the seller's own file").unwrap();
    let out = run(&["1", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwritten"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "the seller's own file"
    );
    assert_eq!(run(&["99"]).status.code(), Some(3), "no such thread");
}

#[test]
fn templates_export_edit_import_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("x.db");
    let dir = home.path().join("tpl");
    let run = |args: &[&str]| {
        sd(home.path())
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW])
            .args(args)
            .output()
            .unwrap()
    };
    // Templates need a database; only a command that brings data creates one.
    let missing = run(&["templates", "list"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(!db.exists());
    assert!(
        run(&["import", fixture("buyer_inquiry.eml").to_str().unwrap()])
            .status
            .success()
    );
    let list = run(&["templates", "list"]);
    assert!(list.status.success());
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains("Damaged in transit"), "{listed}");
    let defaults = listed.lines().count();

    let out = run(&["templates", "export", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("damaged-in-transit.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("body = \"\"\""), "{text}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), defaults);

    // Edit one, add one, break one: the good ones come in, the bad one is named.
    std::fs::write(&file, text.replace("Kind regards", "Best wishes")).unwrap();
    std::fs::write(
        dir.join("new.toml"),
        "name = \"Thanks\"\nlanguage = \"en\"\nbody = \"Thank you, {{buyer_name}}.\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("zz-bad.toml"),
        "name = \"Bad\"\nlanguage = 7\nbody = \"x\"\n",
    )
    .unwrap();
    let before = std::fs::read(dir.join("zz-bad.toml")).unwrap();
    let out = run(&["templates", "import", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        format!(
            "created 1 · updated 1 · unchanged {} · failed 1",
            defaults - 1
        )
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("zz-bad.toml, line 2, key `language`"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(dir.join("zz-bad.toml")).unwrap(), before);

    let listed = String::from_utf8(run(&["templates", "list"]).stdout).unwrap();
    assert_eq!(listed.lines().count(), defaults + 1);
    let dir2 = home.path().join("tpl2");
    run(&["templates", "export", dir2.to_str().unwrap()]);
    let again = std::fs::read_to_string(dir2.join("damaged-in-transit.toml")).unwrap();
    assert!(again.contains("Best wishes") && !again.contains("Kind regards"));
}

#[test]
fn check_draft_exits_by_severity_and_lists_findings_as_json() {
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml"]);
    let draft = |text: &str| {
        let p = home.path().join("draft.txt");
        std::fs::write(&p, text).unwrap();
        p
    };
    let run = |file: &Path, extra: &[&str]| {
        sd(home.path())
            .arg("--config")
            .arg(&cfg)
            .arg("--db")
            .arg(&db)
            .arg("check-draft")
            .arg(file)
            .args(extra)
            .output()
            .unwrap()
    };
    let clean = run(
        &draft("Hello Bob,\n\nthe replacement for order 111-4827163-0028371 ships today.\n"),
        &[],
    );
    assert_eq!(clean.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("clean"));

    let warned = run(
        &draft("Thanks Bob 😀 call the carrier at +1 800 555 0199\n"),
        &[],
    );
    assert_eq!(warned.status.code(), Some(1));

    let text = "Hi Bob,\nleave a 5-star review and get a coupon: https://x.example\n";
    let bad = run(&draft(text), &["--json"]);
    assert_eq!(bad.status.code(), Some(2));
    let v = bin::json(&bad);
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["review_incentive", "marketing", "link"]);
    let link = &v["findings"][2];
    let (start, end) = (
        link["start"].as_u64().unwrap(),
        link["end"].as_u64().unwrap(),
    );
    assert_eq!(&text[start as usize..end as usize], "https://x.example");
    assert_eq!(
        (link["line"].as_u64(), link["severity"].as_str()),
        (Some(2), Some("error"))
    );
    assert_eq!(v["errors"], 3);
    assert_eq!(v["warnings"], 0);

    // With the thread: its reply subject is checked as well; an unknown thread is an error.
    let subject = run(
        &draft("Hello Bob\n"),
        &["--thread", "1", "--subject", "[Important] x"],
    );
    assert_eq!(subject.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&subject.stdout).contains("subject: error[important]"));
    let missing = run(&draft("Hello\n"), &["--thread", "999"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no thread 999"));

    // Not UTF-8: a clear error, exit 3.
    let p = home.path().join("latin1.txt");
    std::fs::write(&p, b"caf\xe9").unwrap();
    let latin = run(&p, &[]);
    assert_eq!(latin.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&latin.stderr).contains("not UTF-8"));
}

#[test]
fn report_lists_recurring_issues_and_exits_1_when_there_are_some() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    drop(sellerdesk::demo::build(&db, now).unwrap());
    let run = |args: &[&str]| {
        sd(home.path())
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW, "report"])
            .args(args)
            .output()
            .unwrap()
    };
    let text = run(&[]);
    assert_eq!(text.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("B0KETTLE88  shipping ×3  Gooseneck kettle 1 l"),
        "{shown}"
    );
    assert!(shown.contains("Priya Nair"), "{shown}");

    let v = bin::json(&run(&["--json"]));
    assert_eq!(
        (v["days"].as_u64(), v["min_complaints"].as_u64()),
        (Some(14), Some(3))
    );
    let issue = &v["issues"][0];
    assert_eq!(issue["asin"], "B0KETTLE88");
    assert_eq!(issue["category"], "shipping");
    assert_eq!(issue["threads"].as_array().unwrap().len(), 3);
    assert!(
        issue["threads"][0]["started_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // Four in 14 days: none; the window and threshold come from the options.
    assert_eq!(run(&["--min", "4"]).status.code(), Some(0));
    assert_eq!(run(&["--days", "7"]).status.code(), Some(0));
}

#[test]
fn status_lists_due_follow_ups_and_warns() {
    use sellerdesk::store::follow_ups::EscalationChannel;
    let (home, cfg, db) = imported_home(&["buyer_inquiry.eml"]);
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    {
        let mut store = sellerdesk::store::Store::open(&db).unwrap();
        store
            .mark(1, sellerdesk::store::marks::MarkKind::NoResponseNeeded, now)
            .unwrap();
        store
            .escalate(
                1,
                EscalationChannel::SellerSupport,
                "1183845012345",
                now + chrono::Duration::hours(48),
                now,
                chrono_tz::Tz::UTC,
            )
            .unwrap();
    }
    // Nothing due yet: all clear.
    assert_eq!(
        status(home.path(), &cfg, &db, NOW, false).status.code(),
        Some(0)
    );
    let later = "2026-11-24T12:00:00Z";
    let out = status(home.path(), &cfg, &db, later, true);
    assert_eq!(out.status.code(), Some(1));
    let v = bin::json(&out);
    let f = &v["follow_ups"][0];
    assert_eq!(
        (f["kind"].as_str(), f["channel"].as_str()),
        (Some("escalation"), Some("seller_support"))
    );
    assert_eq!(f["case_id"], "1183845012345");
    assert_eq!(f["due_at"], "2026-11-24T12:00:00Z");
    assert_eq!(f["thread_id"], 1);
    let text =
        String::from_utf8_lossy(&status(home.path(), &cfg, &db, later, false).stdout).into_owned();
    assert!(
        text.contains("1 follow-up(s) due") && text.contains("Seller Support case 1183845012345 "),
        "{text}"
    );
}

/// `watch` catches up on what is there, then imports a message delivered into the Maildir
/// (written to tmp/, renamed into new/) within 2 s; SIGTERM ends it cleanly.
#[test]
fn watch_imports_mail_as_it_arrives() {
    let home = tempfile::tempdir().unwrap();
    let maildir = home.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::copy(fixture("buyer_inquiry.eml"), maildir.join("cur/1.host:2,S")).unwrap();
    let cfg = write_config(
        home.path(),
        &format!(
            "{SELLER_CONFIG}[[mailbox]]\npath = \"{}\"\n",
            maildir.display()
        ),
    );
    let db = home.path().join("x.db");
    let mut child = bin::on(home.path(), Some(&cfg), &db, NOW)
        .arg("watch")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(
        line.contains("watching 1 mailbox · caught up: imported 1"),
        "{line}"
    );

    let count = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(), 1);
    let delivered = std::time::Instant::now();
    std::fs::copy(fixture("latin1.eml"), maildir.join("tmp/2.host")).unwrap();
    std::fs::rename(maildir.join("tmp/2.host"), maildir.join("new/2.host")).unwrap();
    while count() < 2 {
        assert!(
            delivered.elapsed() < std::time::Duration::from_secs(30),
            "never imported"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    println!("imported {:?} after its delivery", delivered.elapsed());
    line.clear();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(line.contains("imported 1"), "{line}");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[test]
fn watch_without_a_maildir_says_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let refused = |config: &str, why: &str| {
        let cfg = write_config(home.path(), config);
        sd(home.path())
            .arg("--config")
            .arg(&cfg)
            .arg("--db")
            .arg(home.path().join("x.db"))
            .arg("watch")
            .assert()
            .code(3)
            .stderr(predicate::str::contains(why));
    };
    refused(SELLER_CONFIG, "[[mailbox]]");
    refused(
        &format!("{SELLER_CONFIG}[[mailbox]]\npath = \"nowhere\"\n"),
        "is not a Maildir",
    );
}

#[test]
fn attachments_are_listed_and_saved_without_overwriting() {
    let (home, cfg, db) = imported_home(&["attachment.eml", "buyer_inquiry.eml"]);
    let thread = |subject_like: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT id FROM threads WHERE subject LIKE ?1",
            [subject_like],
            |r| r.get(0),
        )
        .unwrap()
    };
    let sofia = thread("%Sofia%").to_string();
    let run = |args: &[&str]| {
        sd(home.path())
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["attachments", &sofia, "--json"]);
    assert!(out.status.success());
    let listed = bin::json(&out);
    assert_eq!(listed[0]["filename"], "foto.jpg", "{listed}");
    assert_eq!(listed[0]["content_type"], "image/jpeg");
    let size = listed[0]["size"].as_u64().unwrap();
    assert!(size > 100, "{listed}");

    let dir = home.path().join("saved");
    for round in 1..=2 {
        let out = run(&["attachments", &sofia, "--save", dir.to_str().unwrap()]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        let expected = if round == 1 {
            "foto.jpg"
        } else {
            "foto (2).jpg"
        };
        assert!(
            text.contains(&format!("→ {}", dir.join(expected).display())),
            "{text}"
        );
    }
    let bytes = std::fs::read(dir.join("foto.jpg")).unwrap();
    assert_eq!(bytes.len() as u64, size);
    assert_eq!(&bytes[..2], b"\xff\xd8", "the decoded JPEG, not its base64");

    let bob = thread("%Bob Wilson%").to_string();
    let out = run(&["attachments", &bob]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("has no attachments"));
    let out = run(&["attachments", "999"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no thread 999"));
}

#[test]
fn durations_and_counts_out_of_range_are_refused_clearly_never_a_panic() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("x.db");
    sd(home.path())
        .arg("--db")
        .arg(&db)
        .args(["import", fixture("buyer_inquiry.eml").to_str().unwrap()])
        .assert()
        .success();
    for (args, says) in [
        (
            &["purge-pii", "--older-than", "106751991d"][..],
            "at most 36500d",
        ),
        (
            &["purge-pii", "--older-than", "9223372036854775807w"][..],
            "at most 36500d",
        ),
        (&["purge-pii", "--older-than", "0d"][..], "at least 1d"),
        (&["report", "--days", "0"][..], "1..=365"),
        (&["report", "--days", "4000000000"][..], "--days"),
        (&["report", "--min", "1"][..], "2..=1000"),
        (&["status", "--limit", "0"][..], "--limit"),
        (&["outbox", "--limit", "0"][..], "--limit"),
    ] {
        sd(home.path())
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW])
            .args(args)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definition() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = sd(home.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = run(&["completions", "bash"]);
    assert!(bash.contains("_sellerdesk()"), "{bash}");
    for sub in ["import", "purge-pii", "check-draft", "completions"] {
        assert!(bash.contains(sub), "bash completes {sub}");
    }
    assert!(run(&["completions", "zsh"]).starts_with("#compdef sellerdesk"));
    assert!(run(&["completions", "fish"]).contains("complete -c sellerdesk"));
    let man = run(&["man"]);
    assert!(man.contains(".TH sellerdesk 1"), "{man}");
    assert!(man.contains("purge\\-pii"), "{man}");
    // Neither reads a config or creates a database.
    assert!(!home.path().join("data").exists());
    sd(home.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(3);
}

/// A first import builds its search index in a file of its own beside the database, installs
/// it and removes the file; a later import adds to the index the usual way. Both find.
#[test]
fn a_first_imports_index_is_built_beside_the_database_and_a_later_one_adds_to_it() {
    use sellerdesk::store::Store;
    use sellerdesk::store::inbox::Filter;
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(home.path(), SELLER_CONFIG);
    let db = home.path().join("x.db");
    let import = |file: &str| {
        sd(home.path())
            .arg("--config")
            .arg(&cfg)
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW, "import"])
            .arg(fixture(file))
            .assert()
            .success()
            .stdout(predicate::str::contains("indexed for search"));
    };
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let finds = |store: &Store, q: &str| {
        let rows = store.search_threads(Filter::All, None, q, now, 50).unwrap();
        rows.len()
    };
    let newest = |store: &Store| -> i64 {
        sellerdesk::store::test_support::sql(store)
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap()
    };
    import("buyer_inquiry.eml");
    assert!(!home.path().join("x.db-index-build").exists());
    let store = Store::open(&db).unwrap();
    assert_eq!(store.indexed_upto().unwrap(), newest(&store));
    assert_eq!(finds(&store, "lamp broken"), 1);
    drop(store);
    import("mbox/mixed.mbox");
    let store = Store::open(&db).unwrap();
    assert_eq!(store.indexed_upto().unwrap(), newest(&store));
    assert_eq!(finds(&store, "lamp broken"), 1);
    assert!(newest(&store) > 1);
}
