//! `sellerdesk reply`: answering from the shell or a mail client — the target (thread, order,
//! a piped message), the template by either of its names, placeholders filled and set, the
//! draft check refusing as documented, the reply queued as the app queues it and delivered by
//! `sellerdesk send`.

use sellerdesk::store::test_support::sql;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::store::Store;

const NOW: &str = "2026-11-22T12:00:00Z";
const ORDER: &str = "111-4827163-0028371";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn inquiry(id: &str, buyer: &str, alias: &str, order: &str, subject: &str) -> String {
    format!(
        "From: \"{buyer} - Amazon Marketplace\" <{alias}@marketplace.amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: {subject} (Order: {order})\r\n\
         Message-ID: <{id}>\r\n\
         Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
         Hello, about order {order}: the lamp arrived broken.\r\n"
    )
}

struct Shop {
    dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Shop {
    /// A seller whose replies go to the outbox folder; `mails` imported.
    fn new(mails: &[String]) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
             [store]\noutbox = \"outbox\"\n",
        )
        .unwrap();
        let db = dir.path().join("inbox.db");
        let loaded = Config::load(&config, true).unwrap();
        let mut store = Store::open(&db).unwrap();
        import_raw(
            &mut store,
            &loaded,
            mails.iter().map(|m| RawMail {
                bytes: m.clone().into_bytes(),
                delivered_at: None,
                source: "test".into(),
                cut: None,
            }),
            now(),
        )
        .unwrap();
        Shop { dir, config, db }
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn thread_of(&self, message_id: &str) -> i64 {
        sql(&self.store())
            .query_row(
                "SELECT thread_id FROM messages WHERE message_key = ?1",
                [message_id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = crate::support::bin::on(self.dir.path(), Some(&self.config), &self.db, NOW);
        c.args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// The reply bodies written to the outbox folder, oldest first.
    fn sent(&self) -> Vec<String> {
        let dir = self.dir.path().join("outbox");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| {
                let raw = std::fs::read(f).unwrap();
                let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
                parsed.body_text(0).unwrap().replace("\r\n", "\n")
            })
            .collect()
    }
}

use crate::support::bin::json;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_template_by_name_or_file_name_filled_set_checked_and_queued_leaving_the_draft() {
    let shop = Shop::new(&[inquiry(
        "m1@amazon.test",
        "Bob Wilson",
        "t2bb",
        ORDER,
        "Lamp",
    )]);
    let thread = shop.thread_of("m1@amazon.test");
    shop.store()
        .save_draft(thread, "my half-written draft", now())
        .unwrap();

    // What the thread does not know stays a placeholder, an error until set: refused, exit 2,
    // named; the promised dates fill from [commitments].
    let out = shop.run(&["reply", ORDER, "--template", "DAMAGED IN TRANSIT"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("{{product}}") && !said.contains("{{refund_date}}"),
        "{said}"
    );
    assert!(shop.sent().is_empty());

    let out = shop.run(&[
        "reply",
        &thread.to_string(),
        "--template",
        "damaged-in-transit.toml",
        "--set",
        "replacement_arrival=Friday, 27 November",
        "--set",
        "{{refund_date}}=Monday",
        "--set",
        "product=brass lamp",
        // Overrides what the thread knows.
        "--set",
        "buyer_first_name=Robert",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} {}",
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    let doc = json(&out);
    assert_eq!(doc["thread"], thread);
    assert_eq!(doc["warnings"], serde_json::json!([]));
    let outbox_id = doc["outbox_id"].as_i64().unwrap();
    let entry = shop.store().outbox_entry(outbox_id).unwrap().unwrap();
    assert_eq!(entry.thread_id, thread);
    let body = &shop.sent()[0];
    assert!(body.starts_with("Hello Robert,"), "{body}");
    assert!(
        body.contains("Friday, 27 November")
            && body.contains("by Monday")
            && body.contains("brass lamp"),
        "{body}"
    );
    assert!(!body.contains("{{"), "{body}");
    // Queued as the app queues it: the clock stopped, the draft left alone.
    let store = shop.store();
    let clock: Option<i64> = sql(&store)
        .query_row(
            "SELECT clock_start FROM threads WHERE id = ?1",
            [thread],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(clock, None, "answered");
    assert_eq!(
        store.draft(thread).unwrap().unwrap().body,
        "my half-written draft"
    );
}

#[test]
fn unknown_or_ambiguous_templates_exit_3_with_the_candidates() {
    let shop = Shop::new(&[inquiry("m1@amazon.test", "Bob", "t2bb", ORDER, "Lamp")]);
    let out = shop.run(&["reply", "1", "--template", "damag"]);
    assert_eq!(out.status.code(), Some(3));
    let said = stderr(&out);
    assert!(
        said.contains("Damaged in transit (damaged-in-transit.toml)"),
        "{said}"
    );
    assert!(
        !said.contains("Product question"),
        "only the near ones: {said}"
    );

    // A template whose name is another's file name: both are candidates.
    let mut store = shop.store();
    let t = sellerdesk::domain::template::Template {
        name: "general-reply".into(),
        category: None,
        language: "en".into(),
        subject: None,
        body: "Hello".into(),
    };
    store.create_template(&t, now()).unwrap();
    let out = shop.run(&["reply", "1", "--template", "General-Reply"]);
    assert_eq!(out.status.code(), Some(3));
    let said = stderr(&out);
    assert!(
        said.contains("names 2 templates")
            && said.contains("General reply")
            && said.contains("general-reply"),
        "{said}"
    );
    assert!(shop.sent().is_empty());
}

#[test]
fn an_order_with_two_open_threads_asks_which_and_a_piped_message_finds_its_own() {
    let shop = Shop::new(&[
        inquiry("m1@amazon.test", "Bob Wilson", "t2bb", ORDER, "Lamp"),
        // The same order from a second buyer account (a gift's recipient, say).
        inquiry(
            "m2@amazon.test",
            "Bo Wilson",
            "q7zz",
            ORDER,
            "Invoice please",
        ),
    ]);
    let (a, b) = (
        shop.thread_of("m1@amazon.test"),
        shop.thread_of("m2@amazon.test"),
    );
    assert_ne!(a, b, "two threads on one order");
    std::fs::write(
        shop.dir.path().join("body.txt"),
        "Hello {{buyer_first_name}}, done.\n",
    )
    .unwrap();
    let body = shop.dir.path().join("body.txt");
    let body = body.to_str().unwrap();
    let out = shop.run(&["reply", ORDER, "--body-file", body]);
    assert_eq!(out.status.code(), Some(3));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("  {a}  ")) && said.contains(&format!("  {b}  ")),
        "{said}"
    );

    // neomutt's pipe-message: the message itself, matched by its Message-ID.
    let raw = inquiry(
        "m2@amazon.test",
        "Bo Wilson",
        "q7zz",
        ORDER,
        "Invoice please",
    );
    let out = shop.run_with_stdin(
        &["reply", "-", "--body-file", body, "--json"],
        raw.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["thread"], b);
    assert_eq!(shop.sent(), vec!["Hello Bo, done.\n"]);

    // One open thread left on the order: the order ID is enough now.
    let out = shop.run(&["reply", ORDER, "--body-file", body, "--json"]);
    assert_eq!(json(&out)["thread"], a, "{}", stderr(&out));

    // A message not in the inbox yet is imported, then answered.
    let new = inquiry(
        "m3@amazon.test",
        "Ann Lee",
        "a9x",
        "222-1111111-2222222",
        "Hello",
    );
    let out = shop.run_with_stdin(
        &["reply", "-", "--body-file", body, "--json"],
        new.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["thread"], shop.thread_of("m3@amazon.test"));
    assert_eq!(shop.sent().len(), 3);
}

#[test]
fn warnings_refuse_unless_forced_errors_always_and_edit_goes_through_the_editor() {
    let shop = Shop::new(&[inquiry("m1@amazon.test", "Bob", "t2bb", ORDER, "Lamp")]);
    let file = |name: &str, text: &str| -> String {
        let p = shop.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let warned = file(
        "w.txt",
        "Hello,\nthe tracking: https://www.ups.com/track?n=1Z999\n",
    );
    let out = shop.run(&["reply", "1", "--body-file", &warned]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(shop.sent().is_empty());

    let wrong = file("e.txt", "Hello,\nplease leave us a 5-star review!\n");
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["reply", "1", "--body-file", &wrong, "--json"];
        args.extend_from_slice(extra);
        let out = shop.run(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let doc = json(&out);
        assert!(!doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    }
    assert!(shop.sent().is_empty(), "never past an error");

    let out = shop.run(&["reply", "1", "--body-file", &warned, "--force", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["warnings"][0]["kind"], "secure_link", "{doc}");

    // --edit: the editor (here a script) changes the filled text before the check.
    let editor = file(
        "editor.sh",
        "#!/bin/sh\nsed -i 's/Hello Bob/Dear Bob/' \"$1\"\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let plain = file("p.txt", "Hello {{buyer_first_name}}, all sorted.\n");
    let out = shop
        .command(&["reply", "1", "--body-file", &plain, "--edit"])
        .env("EDITOR", &editor)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(shop.sent().last().unwrap(), "Dear Bob, all sorted.\n");
}

#[test]
fn a_queued_reply_is_delivered_by_send() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::new(&[inquiry("m1@amazon.test", "Bob", "t2bb", ORDER, "Lamp")]);
    // Delivery by a sendmail command instead of the folder: `reply` only queues.
    let got = dir.path().join("got.eml");
    std::fs::write(
        &shop.config,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
             [delivery.sendmail]\ncommand = \"sh -c 'cat > {}' sendmail\"\n",
            got.display()
        ),
    )
    .unwrap();
    let body = dir.path().join("b.txt");
    std::fs::write(&body, "Hello {{buyer_first_name}}, on its way.\n").unwrap();
    let out = shop.run(&["reply", "1", "--body-file", body.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sellerdesk send"));
    assert!(!got.exists());
    let out = shop.run(&["send", "--json"]);
    assert_eq!(json(&out)["sent"], 1, "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&got)
            .unwrap()
            .contains("Hello Bob, on its way.")
    );
}

/// `--best` takes the template the app's picker offers first: the thread's kind in the buyer's
/// language, the one that speaks of what they wrote; its dates in that language.
#[test]
fn best_takes_the_kind_in_the_buyers_language_and_writes_its_dates_so() {
    let late = "From: \"Karl Weber - Amazon Marketplace\" <kw7x@marketplace.amazon.de>\r\n\
         To: support@example-shop.test\r\n\
         Subject: Lieferung (Bestellung: 302-5518236-4471920)\r\n\
         Message-ID: <late@amazon.test>\r\n\
         Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
         Guten Tag, meine Bestellung ist noch nicht angekommen und die Sendungsverfolgung \
         zeigt seit Tagen nichts. Wann kommt sie?\r\n"
        .to_string();
    let shop = Shop::new(&[late]);
    let thread = shop.thread_of("late@amazon.test").to_string();
    // Without the order report the carrier's facts are the seller's to give.
    let out = shop.run(&["reply", &thread, "--best"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("using template \"Lieferung verspätet oder verloren (DE)\" (shipping, de)"),
        "{said}"
    );
    assert!(said.contains("{{tracking_number}}"), "{said}");
    let out = shop.run(&[
        "reply",
        &thread,
        "--best",
        "--set",
        "delivery_date=20. November 2026",
        "--set",
        "carrier=DHL",
        "--set",
        "tracking_number=00340434161094042557",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = shop.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].starts_with("Guten Tag Karl Weber"), "{}", sent[0]);
    assert!(
        sent[0].contains("DHL") && sent[0].contains("24. November 2026"),
        "the follow-up date in German: {}",
        sent[0]
    );
}
