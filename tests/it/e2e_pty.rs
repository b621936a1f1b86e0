//! The real binary in a pseudo-terminal, driven by keys and read back through a terminal
//! emulator (vt100), as a seller would use it.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::support;

use portable_pty::PtySize;
use support::pty::{Pty, command, command_loose_umask};

/// The app in a pty, and the private home it runs in (kept while it runs).
struct Session {
    pty: Pty,
    _home: tempfile::TempDir,
}

impl std::ops::Deref for Session {
    type Target = Pty;
    fn deref(&self) -> &Pty {
        &self.pty
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Pty {
        &mut self.pty
    }
}

fn start(args: &[&str]) -> Session {
    start_in(tempfile::tempdir().unwrap(), args, &[])
}

/// The app in `home`, with extra environment variables.
fn start_in(home_dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Session {
    start_with(home_dir, args, env, false)
}

/// The same, optionally under `umask 000`.
fn start_with(
    home_dir: tempfile::TempDir,
    args: &[&str],
    env: &[(&str, &str)],
    loose_umask: bool,
) -> Session {
    let cmd = if loose_umask {
        command_loose_umask(home_dir.path(), args, env)
    } else {
        command(home_dir.path(), args, env)
    };
    Session {
        pty: Pty::spawn(cmd, 40, 140),
        _home: home_dir,
    }
}

#[test]
fn demo_alert_open_mark_and_quit() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    assert!(s.alternate_screen());
    s.keys(b"\x1b"); // Esc dismisses the alert
    // The inbox's title shows behind the alert too: wait for the alert to go.
    s.wait_until("the alert dismissed", |screen| {
        !screen.contains("Needs attention") && screen.contains("Inbox (needs reply · 19)")
    });
    s.keys(b"\r"); // open the most urgent thread
    s.wait_for("Guten Tag");
    s.keys(b"x");
    s.wait_for("no response needed\"?");
    s.keys(b"y");
    let screen = s.wait_for("5 overdue (1 critical)");
    assert!(screen.contains("Inbox (needs reply · 18)"), "{screen}");
    s.keys(b"q");
    assert!(s.wait_exit().success());
    assert!(
        !s.alternate_screen(),
        "the terminal left the alternate screen"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    let pid = s.child.process_id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    s.wait_exit();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !s.alternate_screen(),
        "the terminal left the alternate screen"
    );
}

#[test]
fn demo_reply_from_a_template_and_send() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    s.keys(b"\x1b"); // dismiss the alert
    s.wait_for("Inbox (needs reply · 19)");
    s.keys(b"\r"); // the most urgent thread
    s.wait_for("Guten Tag");
    s.keys(b"r");
    s.wait_for("Reply to Karin Schulz");
    s.keys(b"\x14"); // Ctrl-T: the template picker
    s.wait_for("Insert template");
    s.keys(b"follow");
    s.keys(b"\r");
    s.wait_for("I wanted to check that everything is now in order with order 302-5518236-4471920");
    s.wait_for("✓ ready");
    s.keys(b"\x13"); // Ctrl-S
    s.wait_for("Send this reply?");
    s.keys(b"y");
    let screen = s.wait_for("5 overdue (1 critical)");
    assert!(screen.contains("Reply written to the outbox"), "{screen}");
    assert!(screen.contains("Inbox (needs reply · 18)"), "{screen}");
    s.keys(b"q");
    assert!(s.wait_exit().success());
}

/// Enter (the most urgent, or the selected thread), r, Ctrl-T, Enter, Ctrl-S, Enter, each
/// waiting for the screen it leads to; `buyer` is whom the composer must answer.
fn six_keys(s: &mut Session, buyer: &str) {
    s.keys(b"\r");
    s.keys(b"r");
    s.wait_for(&format!("Reply to {buyer}"));
    s.keys(b"\x14");
    s.wait_for("Insert template");
    s.keys(b"\r");
    s.wait_for("✓ ready");
    s.keys(b"\x13");
    s.wait_for("Send this reply?");
    s.keys(b"\r");
}

/// The README's six keys, exactly: from launch, Enter (the most urgent, from the startup
/// alert), r, Ctrl-T, Enter (the first template offered), Ctrl-S, Enter (confirm) write a
/// complete, compliant reply for the most urgent thread to the outbox beside the database, and
/// its clock stops. The next four most urgent take seven keys each.
#[test]
fn six_keys_from_launch_to_a_sent_reply() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("shop-demo.db");
    let db_arg = db.to_str().unwrap().to_string();
    let mut s = start_in(
        home,
        &["demo", "--db", &db_arg, "--now", "2026-11-22T12:00:00Z"],
        &[],
    );
    s.wait_for("Needs attention");
    s.wait_for("Enter open the most urgent");
    six_keys(&mut s, "Karin Schulz");
    let screen = s.wait_for("Reply written to the outbox");
    assert!(screen.contains("5 overdue (1 critical)"), "{screen}");
    let outbox = db.with_file_name("shop-demo-outbox");
    let written = || std::fs::read_dir(&outbox).map_or(0, |d| d.count());
    assert_eq!(written(), 1);

    // The next four most urgent take one key more each: Esc back to the list, where the next
    // one is selected, then the same six.
    for (n, buyer) in ["Bob Wilson", "Hal Kim", "Gina Torres", "Carol Dunn"]
        .into_iter()
        .enumerate()
    {
        s.keys(b"\x1b");
        six_keys(&mut s, buyer);
        s.wait_until("the reply written", |_| written() == n + 2);
    }
    for file in std::fs::read_dir(&outbox).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let body = mail.body_text(0).unwrap().into_owned();
        assert!(!body.contains("{{"), "no placeholder left: {body}");
    }
    s.keys(b"q");
    assert!(s.wait_exit().success());

    let mut files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // The first written: Karin Schulz's.
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        mail.to().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("q7m2kd81xwzp0a3@marketplace.amazon.de")
    );
    let body = mail.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.starts_with("Guten Tag Karin Schulz,"), "{body}");
    assert!(!body.contains("{{"), "no placeholder left: {body}");
    assert!(body.contains("302-5518236-4471920"), "{body}");
    let findings = sellerdesk::domain::compliance::check(&body, &Default::default());
    assert!(findings.is_empty(), "{findings:?}");
    // The thread's clock stopped: one critical thread fewer in the database itself.
    let store = sellerdesk::store::Store::open_existing(&db).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .to_utc();
    let counts = store
        .clock_counts(now, &sellerdesk::domain::clock::Thresholds::default())
        .unwrap();
    assert_eq!((counts.overdue, counts.critical), (1, 0), "{counts:?}");
}

/// A database with one buyer inquiry, made by the real `import`.
fn home_with_inbox() -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n",
    )
    .unwrap();
    let db = home.path().join("inbox.db");
    let out = support::bin::on(home.path(), Some(&config), &db, "2026-11-20T12:00:00Z")
        .arg("import")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/mail/buyer_inquiry.eml"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        home,
        format!("--config={} --db={}", config.display(), db.display()),
    )
}

#[test]
fn a_draft_survives_a_killed_process_and_the_editor_hands_the_terminal_back() {
    let (home, opts) = home_with_inbox();
    let editor = home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Edited in the editor.\\n' >> \"$1\"\n",
    )
    .unwrap();
    let args: Vec<&str> = opts
        .split(' ')
        .chain(["--now", "2026-11-20T12:00:00Z"])
        .collect();
    let home_path = home.path().to_path_buf();
    // Run by `sh`, not exec'd: a script just written can be "busy" for exec in a threaded test.
    let editor_cmd = format!("sh {}", editor.display());
    let mut s = start_in(home, &args, &[("EDITOR", &editor_cmd)]);
    s.wait_for("Inbox (needs reply · 1)");
    s.keys(b"r");
    s.wait_for("Reply to Bob Wilson");
    s.keys(b"Hello Bob, checking now.");
    s.wait_for("saved"); // the pause autosave
    s.keys(b"\x05"); // Ctrl-E: the editor, then back
    let screen = s.wait_for("Edited in the editor.");
    assert!(screen.contains("Hello Bob, checking now."), "{screen}");
    assert!(s.alternate_screen(), "the app took the terminal back");
    s.wait_for("saved");
    // Killed without a chance to clean up.
    s.child.kill().unwrap();
    s.wait_exit();

    let mut again = start_in(tempfile::TempDir::new_in(&home_path).unwrap(), &args, &[]);
    again.wait_for("Inbox (needs reply · 1)");
    again.keys(b"\r");
    let screen = again.wait_for("Draft reply");
    assert!(screen.contains("Hello Bob, checking now."), "{screen}");
    again.keys(b"r");
    let screen = again.wait_for("Reply to Bob Wilson");
    assert!(screen.contains("Edited in the editor."), "{screen}");
    again.keys(b"\x1b");
    again.keys(b"q");
    assert!(again.wait_exit().success());
}

/// The triage features in the real binary: search as you type, a kind chosen by hand, a
/// compliance finding live in the composer, a snooze that keeps the alert count.
#[test]
fn demo_search_kind_compliance_and_snooze() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    s.keys(b"\x1b");
    s.wait_for("Inbox (needs reply · 19)");
    s.keys(b"/kett");
    s.wait_for("search \"kett\" · 1 match");
    s.keys(b"\x1b"); // back to the list as it was
    s.wait_for("Inbox (needs reply · 19)");
    s.keys(b"\r"); // Karin Schulz, quality by rule
    s.wait_for("“brummt”");
    s.keys(b"cjjj\r"); // packaging
    s.wait_for("chosen by you");
    s.keys(b"r");
    s.wait_for("Reply to Karin Schulz");
    s.keys(b"see www.example.test");
    s.wait_for("✗ link: links are not allowed");
    s.keys(b"\x1b"); // close the composer (the draft is kept)
    s.wait_for("Draft reply");
    s.keys(b"z\r"); // snooze 4h
    s.wait_for("Snoozed until");
    let screen = s.wait_for("Inbox (needs reply · 18)");
    assert!(
        screen.contains("6 overdue (2 critical)"),
        "the clock never pauses: {screen}"
    );
    s.keys(b"q");
    assert!(s.wait_exit().success());
}

/// With a `[[mailbox]]`, mail delivered into the Maildir shows up in the open app within 2 s,
/// without a key press.
#[test]
fn new_mail_in_a_watched_maildir_appears_without_a_key() {
    let home = tempfile::tempdir().unwrap();
    let maildir = home.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n[[mailbox]]\npath = \"{}\"\n",
            maildir.display()
        ),
    )
    .unwrap();
    let db = home.path().join("inbox.db");
    let (config, db, maildir) = (
        config.display().to_string(),
        db.display().to_string(),
        maildir.clone(),
    );
    let mut s = start_in(
        home,
        &[
            "--config",
            &config,
            "--db",
            &db,
            "--now",
            "2026-11-22T12:00:00Z",
        ],
        &[],
    );
    s.wait_for("Inbox (needs reply · 0)");
    let mail = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mail/buyer_inquiry.eml"
    );
    std::fs::copy(mail, maildir.join("tmp/1.host")).unwrap();
    std::fs::rename(maildir.join("tmp/1.host"), maildir.join("new/1.host")).unwrap();
    let delivered = Instant::now();
    // No key pressed: the inbox shows it by itself.
    let screen = s.wait_for("Inbox (needs reply · 1)");
    println!(
        "new mail shown {:?} after its delivery",
        delivered.elapsed()
    );
    assert!(screen.contains("Bob Wilson"), "{screen}");
    // Ctrl-C quits from anywhere (the startup alert may have opened once metrics arrived).
    s.keys(b"\x03");
    assert!(s.wait_exit().success());
}

/// Two apps on one database: the one writing a reply shows as taken in the other, without a
/// key pressed there; sending there asks first; the reply sent in one shows in the other.
#[test]
fn two_terminals_see_each_other_without_a_key() {
    let (home, _) = home_with_inbox();
    let db = home.path().join("inbox.db");
    let config_for = |agent: &str| {
        let path = home.path().join(format!("{agent}.toml"));
        std::fs::write(
            &path,
            format!(
                "agent = \"{agent}\"\n[seller]\nname = \"Example Shop\"\n\
                 addresses = [\"support@example-shop.test\"]\n[store]\noutbox = \"outbox\"\n"
            ),
        )
        .unwrap();
        path
    };
    let (anna_config, ben_config) = (config_for("Anna"), config_for("Ben"));
    let args = |config: &std::path::Path| {
        vec![
            format!("--config={}", config.display()),
            format!("--db={}", db.display()),
            "--now=2026-11-20T12:00:00Z".to_string(),
        ]
    };
    let anna_args = args(&anna_config);
    let ben_args = args(&ben_config);
    let ben_home = tempfile::TempDir::new_in(home.path()).unwrap();
    let mut anna = start_in(
        home,
        &anna_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    let mut ben = start_in(
        ben_home,
        &ben_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    anna.wait_for("Inbox (needs reply · 1)");
    ben.wait_for("Inbox (needs reply · 1)");

    anna.keys(b"r");
    anna.wait_for("Reply to Bob Wilson");
    let opened = Instant::now();
    ben.wait_for("✎ Anna");
    println!(
        "taken shown in the other terminal after {:?}",
        opened.elapsed()
    );

    ben.keys(b"\r");
    ben.wait_for("Anna is writing a reply here");
    ben.keys(b"r");
    ben.wait_for("Reply to Bob Wilson");
    ben.keys(b"Hello Bob, a new lamp is on its way.");
    ben.keys(b"\x13"); // Ctrl-S
    let screen = ben.wait_for("Taken by someone else: send anyway?");
    assert!(
        screen.contains("Anna is writing a reply to this thread too"),
        "{screen}"
    );
    ben.keys(b"y");
    ben.wait_for("Inbox (needs reply · 0)");
    let sent = Instant::now();
    // Anna's composer covers her inbox; her panel counts.
    anna.wait_for("needs reply      0");
    println!(
        "the reply shown in the other terminal after {:?}",
        sent.elapsed()
    );

    anna.keys(b"\x1b");
    anna.keys(b"q");
    ben.keys(b"q");
    assert!(anna.wait_exit().success());
    assert!(ben.wait_exit().success());
}

/// Cooked mode: the line discipline edits and echoes again (what a shell expects back).
fn cooked(s: &Session) -> bool {
    let fd = s.master.as_raw_fd().expect("a unix pty");
    // SAFETY: a valid terminal descriptor we own, and a zeroed termios for the answer.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::tcgetattr(fd, &mut t) };
    assert_eq!(r, 0, "tcgetattr");
    t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
}

/// The draft stored for the inbox's one thread.
fn stored_draft(db: &std::path::Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT body FROM drafts", [], |r| r.get(0))
        .unwrap_or_default()
}

/// 10 rounds each of a panic, SIGTERM, SIGHUP and SIGINT while a reply is being typed without a
/// pause: the terminal is back in cooked mode and off the alternate screen, and the draft keeps
/// what was saved while the typing went on, whole. How much typing was lost is a figure. The
/// four run side by side.
#[test]
fn panics_and_signals_while_composing_restore_the_terminal_and_keep_the_draft() {
    let kinds = ["panic", "TERM", "HUP", "INT"];
    let results: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = kinds
            .iter()
            .map(|kind| {
                scope.spawn(move || {
                    let mut lost = Vec::new();
                    for round in 0..10 {
                        lost.push(interrupt_while_composing(kind, round));
                    }
                    let worst = lost.iter().cloned().fold(0.0f64, f64::max);
                    format!("{kind}: 10 rounds, most typing lost {worst:.2} s")
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    println!("{}", results.join("; "));
}

/// One round; how many seconds of typing the draft lost.
fn interrupt_while_composing(kind: &str, round: usize) -> f64 {
    let (home, opts) = home_with_inbox();
    let db = home.path().join("inbox.db");
    let args: Vec<&str> = opts
        .split(' ')
        .chain(["--now", "2026-11-20T12:00:00Z"])
        .collect();
    let mut s = start_in(home, &args, &[("SELLERDESK_TEST_PANIC_KEY", "1")]);
    s.wait_for("Inbox (needs reply · 1)");
    s.keys(b"r");
    s.wait_for("Reply to Bob Wilson");
    // A word every 100 ms, without pause: only the save every 2 s of typing runs. On until
    // one is stored, and a few words more (the typing the interruption may cost).
    let mut typed: Vec<(Instant, String)> = Vec::new();
    let deadline = Instant::now() + support::pty::PATIENCE;
    let mut words_after_save = None;
    while words_after_save.is_none_or(|n| n < 5) {
        assert!(
            Instant::now() < deadline,
            "{kind}: no draft saved while typing"
        );
        let word = format!("w{round}x{} ", typed.len());
        s.send(word.as_bytes());
        typed.push((Instant::now(), word));
        std::thread::sleep(Duration::from_millis(100));
        match &mut words_after_save {
            Some(n) => *n += 1,
            None if !stored_draft(&db).is_empty() => words_after_save = Some(0),
            None => {}
        }
    }
    let saved_before = stored_draft(&db);
    let at = Instant::now();
    match kind {
        "panic" => {
            s.send(b"\x1b[24~"); // F12
        }
        signal => {
            let pid = s.child.process_id().unwrap();
            let ok = std::process::Command::new("kill")
                .args([format!("-{signal}"), pid.to_string()])
                .status()
                .unwrap();
            assert!(ok.success());
        }
    }
    let status = s.wait_exit();
    assert!(!status.success(), "{kind}: ended by the interruption");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !s.alternate_screen(),
        "{kind} round {round}: off the alternate screen"
    );
    assert!(
        cooked(&s),
        "{kind} round {round}: the terminal is back in cooked mode"
    );
    let draft = stored_draft(&db);
    assert!(
        draft.starts_with(saved_before.trim_end()),
        "{kind} round {round}: what was saved is kept whole: {saved_before:?} → {draft:?}"
    );
    // The typing's beginning, the last word possibly cut (a save can fall between two keys).
    let typing: String = typed.iter().map(|(_, w)| w.as_str()).collect();
    assert!(
        typing.starts_with(draft.as_str()),
        "{kind} round {round}: the draft is the typing's beginning: {draft:?}"
    );
    // The oldest word missing from the draft: how much typing was lost.
    typed
        .iter()
        .find(|(_, w)| !draft.contains(w.trim()))
        .map(|(t, _)| at.duration_since(*t).as_secs_f64())
        .unwrap_or(0.0)
}

/// 1,000 random sizes from 1x1 to 300x100, as fast as the terminal sends them: no panic, and
/// the app still answers.
#[test]
fn a_thousand_random_resizes_do_not_panic() {
    let mut s = start(&["demo", "--now", "2026-11-22T12:00:00Z"]);
    s.wait_for("Needs attention");
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let cols = 1 + (x % 300) as u16;
        let rows = 1 + ((x >> 20) % 100) as u16;
        s.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    s.master
        .resize(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    assert!(s.child.try_wait().unwrap().is_none(), "still running");
    s.parser.lock().unwrap().screen_mut().set_size(
        std::num::NonZeroU16::new(40).unwrap(),
        std::num::NonZeroU16::new(140).unwrap(),
    );
    // Drawn again at the last size (the alert is still open: nothing dismissed it; a screen
    // read before the app redrew can show an older frame without it), then answering keys.
    s.wait_for("Needs attention");
    // Esc dismisses the alert. A lone Esc right after the storm can be taken for the start
    // of an escape sequence still arriving (crossterm): pressed again, as a person would.
    let started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pressed = 0;
    while s.screen().contains("Needs attention") || !s.screen().contains("Inbox (needs reply") {
        if pressed < 5 {
            s.keys(b"\x1b");
            pressed += 1;
        }
        assert!(Instant::now() < deadline, "no answer: {}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "1000 resizes: the app answered {:.2} s after the last one ({pressed} Esc)",
        started.elapsed().as_secs_f64()
    );
    s.keys(b"q");
    assert!(s.wait_exit().success());
}

/// A buyer's name, subject, body and attachment name full of what could drive a terminal: ESC
/// and CSI, OSC 52 (clipboard) and OSC 8 (links), C1 controls, BEL, NUL, bidi overrides — and
/// text that must show as it is: ZWJ emoji, CJK, Arabic. The app's output holds no sequence
/// but its own, and the hostile characters are shown as visible stand-ins.
#[test]
fn hostile_buyer_text_never_reaches_the_terminal_as_control() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let evil = "\x1b[6n\x1b]52;c;cGF5bWU=\x07\x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\\u{9b}31m\u{85}\x00\u{202e}gpj.exe";
    let name = format!("Mallory{evil} 👩‍💻 山田 مرحبا");
    let subject = format!("Refund{evil} 注文 طلب");
    let body = format!("Hello{evil}\nZWJ 👨‍👩‍👧 CJK 配送 Arabic شكرا\n");
    let file = format!("photo{evil}.jpg");
    let mail = format!(
        "From: =?UTF-8?B?{}?= <mallory9x1m0q2k8z@marketplace.amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: =?UTF-8?B?{}?=\r\n\
         Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <hostile-2@marketplace.amazon.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=UTF-8''{}\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n/9j/2Q==\r\n--b--\r\n",
        b64(&name),
        b64(&subject),
        b64(&body),
        file.bytes()
            .map(|c| format!("%{c:02X}"))
            .collect::<String>()
    );
    let home = tempfile::tempdir().unwrap();
    let eml = home.path().join("hostile.eml");
    std::fs::write(&eml, mail).unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[seller]\naddresses = [\"support@example-shop.test\"]\n",
    )
    .unwrap();
    let db = home.path().join("inbox.db");
    let out = support::bin::on(home.path(), Some(&config), &db, "2026-11-20T12:00:00Z")
        .arg("import")
        .arg(&eml)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = [
        format!("--config={}", config.display()),
        format!("--db={}", db.display()),
        "--now=2026-11-20T12:00:00Z".to_string(),
    ];
    let mut s = start_in(
        home,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    s.wait_for("Inbox (needs reply · 1)");
    s.keys(b"\r");
    let screen = s.wait_for("📎");
    s.keys(b"q");
    s.wait_exit();
    let raw = s.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    // None of the buyer's sequences: the app itself never sends OSC, BEL, NUL, C1 or DSR.
    assert!(
        !raw.windows(2).any(|w| w == b"\x1b]"),
        "an OSC sequence went out"
    );
    assert!(!raw.contains(&0x07), "BEL went out");
    assert!(!raw.contains(&0x00), "NUL went out");
    assert!(!text.contains("\x1b[6n"), "a status request went out");
    assert!(
        !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
        "a C1 control went out"
    );
    assert!(!text.contains('\u{202e}'), "a bidi override went out");
    // Shown, visibly: stand-ins for the controls, the rest as written.
    for shown in [
        "␛[6n",
        "␛]52;c;cGF5bWU=␇",
        "⟨U+202E⟩",
        "⟨U+009B⟩",
        "␀",
        "山田",
        "مرحبا",
        "配送",
        "شكرا",
        "👩",
    ] {
        assert!(screen.contains(shown), "{shown:?} not shown:\n{screen}");
    }
    let escapes = raw.iter().filter(|&&b| b == 0x1b).count();
    // Every escape the app sent starts a CSI sequence (cursor, colour, screen modes).
    let not_csi: Vec<String> = raw
        .windows(2)
        .filter(|w| w[0] == 0x1b && w[1] != b'[')
        .map(|w| format!("ESC {:?}", w[1] as char))
        .collect();
    assert!(not_csi.is_empty(), "{not_csi:?}");
    println!(
        "hostile text: {} bytes of app output, {escapes} escape sequences, all the app's own (CSI cursor and colour)",
        raw.len()
    );
}

/// Load: two apps and `watch` on one database, for SELLERDESK_LOAD_SECS seconds (default 120;
/// the documented longer run is 1800). Both apps add notes by keys as fast as a person types;
/// mail keeps arriving in the Maildir all three watch. Afterwards every note and every message
/// is stored exactly once, and no app ever showed an error.
#[test]
fn two_apps_and_watch_under_load_lose_nothing_and_show_no_error() {
    let secs: u64 = std::env::var("SELLERDESK_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let (home, _) = home_with_inbox();
    let db = home.path().join("inbox.db");
    let maildir = home.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let config = home.path().join("load.toml");
    std::fs::write(
        &config,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
             [store]\noutbox = \"outbox\"\n[[mailbox]]\npath = \"{}\"\n",
            maildir.display()
        ),
    )
    .unwrap();
    let args = [
        format!("--config={}", config.display()),
        format!("--db={}", db.display()),
        "--now=2026-11-20T12:00:00Z".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let watch = support::bin::sellerdesk(home.path())
        .args(&args)
        .arg("watch")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let second_home = tempfile::TempDir::new_in(home.path()).unwrap();
    let mut apps = [
        start_in(home, &args, &[]),
        start_in(second_home, &args, &[]),
    ];
    for app in &apps {
        app.wait_for("Inbox (needs reply · 1)");
    }
    let end = Instant::now() + Duration::from_secs(secs);
    let mut notes = [0usize; 2];
    let mut delivered = 0usize;
    let mut complaints: Vec<String> = Vec::new();
    let mut turn = 0u64;
    while Instant::now() < end {
        turn += 1;
        for (i, app) in apps.iter_mut().enumerate() {
            app.writer.write_all(b"n").unwrap();
            std::thread::sleep(Duration::from_millis(40));
            let note = format!("load-{i}-{}\r", notes[i]);
            app.writer.write_all(note.as_bytes()).unwrap();
            app.writer.flush().unwrap();
            notes[i] += 1;
        }
        // New mail, delivered the Maildir way.
        let name = format!("{turn}.load.host");
        let id = format!("load-{turn}@marketplace.amazon.com");
        std::fs::write(
            maildir.join("tmp").join(&name),
            format!(
                "From: \"Buyer {turn} - Amazon Marketplace\" <b{turn:012}@marketplace.amazon.com>\r\n\
                 To: support@example-shop.test\r\nSubject: Question {turn}\r\n\
                 Message-ID: <{id}>\r\nDate: Fri, 20 Nov 2026 11:00:00 +0000\r\n\r\nHello {turn}\r\n"
            ),
        )
        .unwrap();
        std::fs::rename(
            maildir.join("tmp").join(&name),
            maildir.join("new").join(&name),
        )
        .unwrap();
        delivered += 1;
        std::thread::sleep(Duration::from_millis(150));
        if turn.is_multiple_of(5) {
            for app in &apps {
                let screen = app.screen();
                for line in screen.lines() {
                    let l = line.to_lowercase();
                    if [
                        "could not",
                        "not saved",
                        "locked",
                        "error",
                        "not imported",
                        "failed",
                    ]
                    .iter()
                    .any(|w| l.contains(w))
                    {
                        complaints.push(line.trim().to_string());
                    }
                }
            }
        }
    }
    // Let the last notes and mail land, then everyone out.
    std::thread::sleep(Duration::from_secs(3));
    for app in apps.iter_mut() {
        app.keys(b"q");
        assert!(app.wait_exit().success());
    }
    let _ = std::process::Command::new("kill")
        .arg(watch.id().to_string())
        .status();
    let out = watch.wait_with_output().unwrap();
    let watch_errors = String::from_utf8_lossy(&out.stderr).into_owned();

    let conn = rusqlite::Connection::open(&db).unwrap();
    for (i, &n) in notes.iter().enumerate() {
        for k in 0..n {
            let count: i64 = conn
                .query_row(
                    "SELECT count(*) FROM events WHERE kind = 'noted' AND detail = ?1",
                    [format!("load-{i}-{k}")],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(count, 1, "note load-{i}-{k}");
        }
    }
    let messages: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages WHERE message_key LIKE 'load-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(messages as usize, delivered, "every message once");
    println!(
        "load for {secs} s: {} notes typed in two apps and {delivered} messages delivered; all stored once; errors shown: {}",
        notes[0] + notes[1],
        complaints.len()
    );
    assert!(complaints.is_empty(), "{complaints:?}");
    assert!(
        !watch_errors.to_lowercase().contains("error"),
        "{watch_errors}"
    );
}

/// Under `umask 000`, with the SMTP password in the environment: the app's log (the frame log)
/// is 0600, and a panic after the sender logged in with the password (so it is in the
/// process's memory) prints nothing of it.
#[test]
fn the_log_is_private_and_a_panic_tells_no_secret() {
    const SECRET: &str = "Planted-Panic-Secret-51c2";
    let home = tempfile::tempdir().unwrap();
    let server = support::smtp::SmtpServer::start_tls_with_password(SECRET);
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/cert.pem");
    // A reply waits in the outbox: the app's sender delivers it as the app opens.
    let queued = support::queued::reply_queued(
        home.path(),
        &format!(
            "[delivery.smtp]\nhost = \"localhost\"\nport = {}\nsecurity = \"starttls\"\n\
             timeout_secs = 5\nusername = \"support@example-shop.test\"\n\
             password_env = \"SHOP_PW\"\nca_file = \"{tls}\"\n",
            server.port
        ),
        "Hello Bob, a new lamp is on its way.",
    );
    let log = home.path().join("frames.log");
    let args = [
        format!("--config={}", queued.config_path.display()),
        format!("--db={}", queued.db.display()),
        format!("--now={}", support::queued::NOW),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log_env = log.display().to_string();
    let env = [
        ("SHOP_PW", SECRET),
        ("SELLERDESK_FRAME_LOG", log_env.as_str()),
        ("SELLERDESK_TEST_PANIC_KEY", "1"),
        ("RUST_BACKTRACE", "1"),
    ];
    let mut s = start_with(home, &args, &env, true);
    s.wait_for("Inbox (needs reply · 0)");
    // Logged in with the password, and delivered.
    let deadline = Instant::now() + support::pty::PATIENCE;
    while server.received().is_empty() {
        assert!(Instant::now() < deadline, "never delivered: {}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.logins(),
        vec![format!("support@example-shop.test:{SECRET}")]
    );
    use std::os::unix::fs::PermissionsExt;
    // The log's first line is written after the frame it times is on screen.
    while !log.exists() {
        assert!(Instant::now() < deadline, "no frame log");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the frame log under umask 000");
    s.send(b"\x1b[24~"); // F12: panic
    assert!(!s.wait_exit().success());
    std::thread::sleep(Duration::from_millis(200));
    let text = s.raw_text();
    assert!(text.contains("panicked"), "the panic is reported: {text}");
    assert!(!text.contains(SECRET), "the password in the panic output");
    assert!(!std::fs::read_to_string(&log).unwrap().contains(SECRET));
    assert!(cooked(&s));
}

/// A small file system mounted for one test (tmpfs; needs root, as CI has), unmounted after.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &std::path::Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// The app's live intake on a full disk: mail delivered while the database's disk is full is
/// not imported, the app says why and keeps running, and once there is room everything is
/// imported without a new delivery or a key.
#[test]
fn a_full_disk_during_live_intake_is_said_and_everything_arrives_once_there_is_room() {
    let home = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&home.path().join("small"), "32m") else {
        assert_ne!(
            unsafe { libc::geteuid() },
            0,
            "root could not mount a tmpfs for the full-disk test"
        );
        eprintln!("skipped: mounting a small file system needs root");
        return;
    };
    let maildir = home.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n[[mailbox]]\npath = \"{}\"\n",
            maildir.display()
        ),
    )
    .unwrap();
    let db = disk.0.join("inbox.db");
    let (config_arg, db_arg) = (config.display().to_string(), db.display().to_string());
    let mut s = start_in(
        tempfile::tempdir().unwrap(),
        &[
            "--config",
            &config_arg,
            "--db",
            &db_arg,
            "--now",
            "2026-11-22T12:00:00Z",
        ],
        &[],
    );
    s.wait_for("Inbox (needs reply · 0)");
    let filler = disk.fill();
    for i in 0..20 {
        let name = format!("{i}.1700000100.host");
        std::fs::write(
            maildir.join("tmp").join(&name),
            format!(
                "From: \"Buyer {i} - Amazon Marketplace\" <b{i}x1m0q2k8z7v@marketplace.amazon.com>\r\n\
                 To: support@example-shop.test\r\n\
                 Subject: Inquiry from Amazon customer Buyer {i} (Order: 111-0000000-{i:07})\r\n\
                 Message-ID: <full-{i}@amazon.test>\r\nDate: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
                 Where is my parcel? {}\r\n",
                // 150 KB each: far more than the WAL may have room for already (it is reused
                // from its start after a checkpoint, without new blocks).
                "Still waiting. ".repeat(10_000)
            ),
        )
        .unwrap();
        std::fs::rename(
            maildir.join("tmp").join(&name),
            maildir.join("new").join(&name),
        )
        .unwrap();
    }
    let screen = s.wait_for("no room on the disk");
    assert!(screen.contains("Inbox (needs reply · 0)"), "{screen}");
    // Still running and answering keys.
    s.keys(b"?");
    s.wait_for("Help · j/k scroll");
    s.keys(b"\x1b");
    assert!(s.child.try_wait().unwrap().is_none(), "the app stopped");

    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !s.screen().contains("Inbox (needs reply · 20)") {
        assert!(Instant::now() < deadline, "not imported:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
    s.keys(b"\x03");
    assert!(s.wait_exit().success());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 20);
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}
