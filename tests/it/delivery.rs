//! Delivery against a real SMTP server on loopback: what the server receives, refusals for
//! good and for now, no server at all, and a sender killed before DATA and after the server
//! took the message — never sent twice without the seller asking.

use crate::support;

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use sellerdesk::config::Config;
use sellerdesk::delivery::{Sender, Summary};
use sellerdesk::domain::clock::Thresholds;
use sellerdesk::domain::message::flags;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::store::Store;
use sellerdesk::store::outbox::State;
use support::smtp::{Mode, SmtpServer};

use support::queued::{INQUIRY, NOW, now, reply_queued};

struct Shop {
    dir: tempfile::TempDir,
    config_path: PathBuf,
    config: Config,
    db: PathBuf,
    thread: i64,
}

impl Shop {
    /// A database with one buyer inquiry and a reply to it queued; SMTP to `port` on loopback.
    fn with_reply(port: u16) -> Shop {
        Shop::with_delivery(&format!(
            "[delivery.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             timeout_secs = 5\n"
        ))
    }

    /// The same, delivering as the `[delivery.*]` table given says.
    fn with_delivery(table: &str) -> Shop {
        Shop::with_reply_body(
            table,
            "Hello Bob,\n\nSorry about the lamp: a replacement leaves today.\n",
        )
    }

    /// The same with a reply of the body given (SMTP is the sender's job, not send()'s: it
    /// stays queued).
    fn with_reply_body(table: &str, body: &str) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let q = reply_queued(
            dir.path(),
            &format!("[delivery]\nsent_maildir = \"Sent\"\n{table}"),
            body,
        );
        Shop {
            dir,
            config_path: q.config_path,
            config: q.config,
            db: q.db,
            thread: q.thread,
        }
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn deliver_at(&self, at: DateTime<Utc>) -> Summary {
        let clock = move || at;
        let sender = Sender::new(&self.config, &clock);
        let mut store = self.store();
        sender.recover(&mut store).unwrap();
        sender.deliver_due(&mut store, &|| false).unwrap()
    }

    fn entry(&self) -> sellerdesk::store::outbox::Entry {
        let entries = self.store().outbox_of_thread(self.thread).unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    fn clock_running(&self) -> bool {
        sql(&self.store())
            .query_row(
                "SELECT clock_start IS NOT NULL FROM threads WHERE id = ?1",
                [self.thread],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn cli(&self, args: &[&str]) -> Command {
        let home = self.config_path.parent().unwrap();
        let mut c = crate::support::bin::on(home, Some(&self.config_path), &self.db, NOW);
        c.args(args);
        c
    }

    fn run(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self.cli(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let json = serde_json::from_str(text.trim())
            .unwrap_or_else(|e| panic!("{e}: {text} / {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap_or(-1), json)
    }
}

fn sent_copies(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("Sent/cur"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn delivered_with_its_headers_and_body_as_the_server_received_them() {
    let server = SmtpServer::start();
    let shop = Shop::with_reply(server.port);
    assert!(!shop.clock_running(), "a queued reply stops the clock");
    assert_eq!(shop.entry().state, State::Queued);

    let summary = shop.deliver_at(now());
    assert_eq!(summary.sent, 1, "{summary:?}");
    let received = server.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.from, "support@example-shop.test");
    assert_eq!(r.to, vec!["t2bb@marketplace.amazon.com".to_string()]);
    let parsed = mail_parser::MessageParser::default()
        .parse(&r.data)
        .expect("the server got a parseable message");
    assert_eq!(
        parsed.subject(),
        Some("Re: Inquiry from Amazon customer Bob Wilson (Order: 111-4827163-0028371)")
    );
    assert_eq!(
        parsed.in_reply_to().as_text_list().unwrap_or_default(),
        vec!["m1@amazon.test"]
    );
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("t2bb@marketplace.amazon.com")
    );
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("a replacement leaves today"),
        "{:?}",
        parsed.body_text(0)
    );
    // What was stored is what was sent.
    let stored_id: String = sql(&shop.store())
        .query_row(
            "SELECT message_key FROM messages WHERE direction = 'out'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(parsed.message_id(), Some(stored_id.as_str()));

    let e = shop.entry();
    assert_eq!((e.state, e.attempts), (State::Sent, 1));
    assert_eq!(e.sent_at, Some(now()));
    assert_eq!(
        sent_copies(shop.dir.path()),
        1,
        "a copy in the Sent Maildir"
    );
    let timeline = shop
        .store()
        .thread_detail(shop.thread)
        .unwrap()
        .unwrap()
        .timeline;
    assert!(
        timeline.iter().any(|t| t.kind == "delivered"),
        "{timeline:?}"
    );
    // Nothing is due any more: a second run sends nothing.
    assert_eq!(
        shop.deliver_at(now() + Duration::hours(1)),
        Summary::default()
    );
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_5xx_refusal_is_final_reopens_the_clock_and_waits_for_the_seller() {
    let server = SmtpServer::start();
    server.set_mode(Mode::RejectRecipient);
    let shop = Shop::with_reply(server.port);
    let th = Thresholds::default();
    assert_eq!(
        shop.store().clock_counts(now(), &th).unwrap().needs_reply,
        0
    );

    let summary = shop.deliver_at(now());
    assert_eq!(summary.failed, 1, "{summary:?}");
    let e = shop.entry();
    assert!(e.permanently_failed(), "{e:?}");
    let error = e.last_error.unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(
        shop.clock_running(),
        "the buyer has no answer: the clock runs again"
    );
    assert_eq!(
        shop.store().clock_counts(now(), &th).unwrap().needs_reply,
        1
    );
    let flags_of_reply: u32 = sql(&shop.store())
        .query_row(
            "SELECT flags FROM messages WHERE direction = 'out'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(flags_of_reply & flags::UNDELIVERED, 0);
    // Never retried by itself, however late.
    assert_eq!(
        shop.deliver_at(now() + Duration::hours(5)),
        Summary::default()
    );
    assert_eq!(sent_copies(shop.dir.path()), 0);

    // The seller fixes it and sends again: the reply counts again and goes out.
    server.set_mode(Mode::Accept);
    let (code, json) = shop.run(&["send", "--json", "--retry", &e.id.to_string()]);
    assert_eq!(json["sent"], 1, "{json}");
    assert_eq!(code, 0, "{json}");
    assert!(!shop.clock_running());
    assert_eq!(shop.entry().state, State::Sent);
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_4xx_is_retried_after_a_back_off_and_then_delivered_once() {
    let server = SmtpServer::start();
    server.set_mode(Mode::TryLater);
    let shop = Shop::with_reply(server.port);

    let summary = shop.deliver_at(now());
    assert_eq!(summary.retry_later, 1, "{summary:?}");
    let e = shop.entry();
    assert_eq!(e.state, State::Failed);
    assert!(!e.permanently_failed());
    assert_eq!(e.attempts, 1);
    assert_eq!(e.next_attempt_at, Some(now() + Duration::minutes(1)));
    assert!(e.last_error.as_deref().unwrap().contains("451"), "{e:?}");
    assert!(!shop.clock_running(), "a reply on its way still counts");

    server.set_mode(Mode::Accept);
    // Not before its time.
    assert_eq!(
        shop.deliver_at(now() + Duration::seconds(30)),
        Summary::default()
    );
    let summary = shop.deliver_at(now() + Duration::minutes(2));
    assert_eq!(summary.sent, 1, "{summary:?}");
    let e = shop.entry();
    assert_eq!((e.state, e.attempts), (State::Sent, 2));
    assert_eq!(server.received().len(), 1);
}

#[test]
fn no_server_is_a_temporary_failure_that_says_where() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let shop = Shop::with_reply(port);
    let summary = shop.deliver_at(now());
    assert_eq!(summary.retry_later, 1, "{summary:?}");
    let e = shop.entry();
    assert_eq!(e.state, State::Failed);
    let error = e.last_error.unwrap();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    // Back-off grows with the attempts; after 24 h it is given up and the clock reopens.
    let summary = shop.deliver_at(now() + Duration::minutes(2));
    assert_eq!(summary.retry_later, 1);
    assert_eq!(
        shop.entry().next_attempt_at,
        Some(now() + Duration::minutes(2) + Duration::minutes(5))
    );
    let summary = shop.deliver_at(now() + Duration::hours(24));
    assert_eq!(summary.failed, 1, "{summary:?}");
    assert!(shop.entry().permanently_failed());
    assert!(shop.clock_running());
}

/// `sellerdesk send` SIGKILLed while the server holds the transaction where `stall` says.
fn send_killed_while(stall: Mode) -> (SmtpServer, Shop) {
    let server = SmtpServer::start();
    server.set_mode(stall);
    let shop = Shop::with_reply(server.port);
    let mut child = shop
        .cli(&["send", "--json"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    server.wait_stalled();
    child.kill().unwrap();
    child.wait().unwrap();
    (server, shop)
}

#[test]
fn a_sender_killed_before_data_leaves_it_queued_and_it_is_delivered_once_after() {
    let (server, shop) = send_killed_while(Mode::StallAtRcpt);
    let e = shop.entry();
    assert_eq!((e.state, e.attempts), (State::Queued, 0), "{e:?}");

    server.release();
    server.set_mode(Mode::Accept);
    let (code, json) = shop.run(&["send", "--json"]);
    assert_eq!(json["sent"], 1, "{json}");
    assert_eq!(json["recovered_unknown"], 0, "{json}");
    assert_eq!(code, 0);
    assert_eq!(server.received().len(), 1, "delivered exactly once");
    assert_eq!(shop.entry().state, State::Sent);
}

#[test]
fn a_sender_killed_after_the_server_took_it_is_never_resent_and_shows_unknown() {
    let (server, shop) = send_killed_while(Mode::StallAfterData);
    assert_eq!(server.received().len(), 1, "the server has the message");
    assert_eq!(shop.entry().state, State::Sending);

    server.release();
    server.set_mode(Mode::Accept);
    let (code, json) = shop.run(&["send", "--json"]);
    assert_eq!(json["recovered_unknown"], 1, "{json}");
    assert_eq!(json["sent"], 0, "{json}");
    assert_eq!(code, 2, "unknown needs the seller");
    assert_eq!(server.received().len(), 1, "not resent");
    let (_, listing) = shop.run(&["outbox", "--json"]);
    assert_eq!(listing["messages"][0]["state"], "unknown", "{listing}");
    assert_eq!(listing["counts"]["unknown"], 1, "{listing}");
    // Still not resent on later runs...
    let (code, json) = shop.run(&["send", "--json"]);
    assert_eq!((code, &json["sent"]), (2, &serde_json::json!(0)), "{json}");
    assert_eq!(server.received().len(), 1);
    // ...not even by a plain --retry, which says why and how...
    let id = listing["messages"][0]["id"].as_i64().unwrap().to_string();
    let out = shop
        .cli(&["send", "--json", "--retry", &id])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), &json["sent"]),
        (Some(2), &serde_json::json!(0))
    );
    assert!(
        said.contains("twice") && said.contains(&format!("--retry {id} --even-if-unknown")),
        "{said}"
    );
    assert_eq!(server.received().len(), 1);
    // ...until the seller asks, knowing the risk.
    let (code, json) = shop.run(&["send", "--json", "--retry", &id, "--even-if-unknown"]);
    assert_eq!((code, &json["sent"]), (0, &serde_json::json!(1)), "{json}");
    assert_eq!(server.received().len(), 2);
}

#[test]
fn a_sendmail_command_gets_the_message_on_stdin_and_its_exit_status_decides() {
    let scripts = tempfile::tempdir().unwrap();
    let script = scripts.path().join("fake-sendmail.sh");
    // Keeps what it was given; the exit status comes from a file the test changes.
    std::fs::write(
        &script,
        "#!/bin/sh\ncat > \"$1/got.eml\"\necho 'relay says no' >&2\nexit $(cat \"$1/code\")\n",
    )
    .unwrap();
    let dir = scripts.path().display().to_string();
    let code_file = scripts.path().join("code");
    let shop = Shop::with_delivery(&format!(
        "[delivery.sendmail]\ncommand = \"sh {} {dir}\"\n",
        script.display()
    ));

    std::fs::write(&code_file, "75").unwrap();
    let summary = shop.deliver_at(now());
    assert_eq!(summary.retry_later, 1, "EX_TEMPFAIL: {summary:?}");
    let e = shop.entry();
    assert!(
        e.last_error.as_deref().unwrap().contains("relay says no"),
        "{e:?}"
    );
    assert_eq!(e.transport.as_deref(), Some("sendmail"));

    std::fs::write(&code_file, "0").unwrap();
    let summary = shop.deliver_at(now() + Duration::minutes(2));
    assert_eq!(summary.sent, 1, "{summary:?}");
    let got = std::fs::read(scripts.path().join("got.eml")).unwrap();
    let stored: Vec<u8> = sql(&shop.store())
        .query_row(
            "SELECT raw FROM message_raw JOIN messages m ON m.id = message_id
             WHERE m.direction = 'out'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(got, stored, "the command got the stored bytes");
    assert_eq!(sent_copies(shop.dir.path()), 1);

    // Another reply, refused for good (EX_NOUSER).
    let shop = Shop::with_delivery(&format!(
        "[delivery.sendmail]\ncommand = \"sh {} {dir}\"\n",
        script.display()
    ));
    std::fs::write(&code_file, "67").unwrap();
    assert_eq!(shop.deliver_at(now()).failed, 1);
    assert!(shop.entry().permanently_failed());
    assert!(shop.clock_running());
}

fn amazon_bounce(id: &str, quoting: Option<&str>) -> Vec<u8> {
    let quoted = quoting
        .map(|k| format!("----- Original message -----\r\nMessage-ID: <{k}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: Amazon Seller Notification <donotreply@amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: Message Delivery Failure\r\n\
         Message-ID: <{id}@amazon.test>\r\n\
         Date: Sun, 22 Nov 2026 12:05:00 +0000\r\n\r\n\
         We're sorry. Your message to t2bb@marketplace.amazon.com could not be delivered.\r\n\r\n\
         Reason:\r\n\
         This message was not sent as it did not meet the Buyer-Seller Messaging guidelines.\r\n\r\n\
         {quoted}"
    )
    .into_bytes()
}

#[test]
fn amazons_bounce_for_a_reply_flags_it_reopens_the_clock_and_says_why() {
    let server = SmtpServer::start();
    let shop = Shop::with_reply(server.port);
    assert_eq!(shop.deliver_at(now()).sent, 1);
    assert!(!shop.clock_running());
    let reply_key: String = sql(&shop.store())
        .query_row(
            "SELECT message_key FROM messages WHERE direction = 'out'",
            [],
            |r| r.get(0),
        )
        .unwrap();

    // Delivered into the watched Maildir and imported: the same path `watch` and the app take.
    let maildir = shop.dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(
        maildir.join("new/1795000000.bounce.host"),
        amazon_bounce("bounce-1", Some(&reply_key)),
    )
    .unwrap();
    let (code, json) = shop.run(&["import", "--json", maildir.to_str().unwrap()]);
    assert_eq!(
        (code, &json["imported"]),
        (0, &serde_json::json!(1)),
        "{json}"
    );

    assert!(
        shop.clock_running(),
        "the buyer has no answer: the clock runs again"
    );
    let e = shop.entry();
    assert!(e.permanently_failed(), "{e:?}");
    assert_eq!(
        e.last_error.as_deref(),
        Some(
            "bounced: Reason: This message was not sent as it did not meet the Buyer-Seller Messaging guidelines."
        )
    );
    let detail = shop.store().thread_detail(shop.thread).unwrap().unwrap();
    assert!(
        detail.messages.iter().any(|m| m.flags & flags::BOUNCE != 0),
        "the bounce is in the reply's thread"
    );
    let event = detail
        .timeline
        .iter()
        .find(|t| t.kind == "bounced")
        .unwrap();
    assert!(
        event
            .detail
            .contains("did not meet the Buyer-Seller Messaging guidelines")
    );
    // It is not a buyer message needing a reply of its own.
    let th = Thresholds::default();
    assert_eq!(
        shop.store().clock_counts(now(), &th).unwrap().needs_reply,
        1
    );
    let threads: i64 = sql(&shop.store())
        .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(threads, 1);
    // Importing it again changes nothing; the seller's R sends the reply again.
    let (_, json) = shop.run(&["import", "--json", maildir.to_str().unwrap()]);
    assert_eq!(json["duplicates"], 1);
    assert!(shop.store().outbox_retry(e.id, now(), false).unwrap());
    assert!(!shop.clock_running());
}

#[test]
fn a_bounce_that_only_names_the_buyer_finds_the_latest_reply_to_them() {
    let server = SmtpServer::start();
    let shop = Shop::with_reply(server.port);
    assert_eq!(shop.deliver_at(now()).sent, 1);
    let mut store = shop.store();
    import_raw(
        &mut store,
        &shop.config,
        [RawMail {
            bytes: amazon_bounce("bounce-2", None),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }],
        now() + Duration::minutes(5),
    )
    .unwrap();
    assert!(shop.clock_running());
    assert!(shop.entry().permanently_failed());
    // A buyer's own words about a failed delivery are a complaint, not a bounce.
    import_raw(
        &mut store,
        &shop.config,
        [RawMail {
            bytes: INQUIRY
                .replace("m1@amazon.test", "m9@amazon.test")
                .replace(
                    "Hello, my lamp arrived broken.",
                    "Your parcel could not be delivered, says the carrier.",
                )
                .into_bytes(),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }],
        now(),
    )
    .unwrap();
    let bounces: i64 = sql(&store)
        .query_row(
            "SELECT count(*) FROM messages WHERE flags & ?1",
            [flags::BOUNCE],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bounces, 1);
}

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

fn starttls(port: u16, extra: &str) -> String {
    format!(
        "[delivery.smtp]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n\
         timeout_secs = 5\nusername = \"support@example-shop.test\"\n{extra}"
    )
}

#[test]
fn starttls_and_a_login_with_the_password_from_the_environment() {
    let server = SmtpServer::start_tls();
    let shop = Shop::with_delivery(&starttls(
        server.port,
        &format!("password_env = \"SHOP_SMTP_PASSWORD\"\nca_file = \"{TLS_DIR}/cert.pem\"\n"),
    ));
    let out = shop
        .cli(&["send", "--json"])
        .env("SHOP_SMTP_PASSWORD", "s3cret")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["sent"],
        1,
        "{json} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server offers AUTH only over TLS: a login means the connection was encrypted.
    assert_eq!(server.logins(), vec!["support@example-shop.test:s3cret"]);
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_wrong_password_an_untrusted_certificate_or_no_starttls_are_retried_and_say_why() {
    let server = SmtpServer::start_tls();
    // A refused login: temporary, the message kept and retried once the seller fixes it.
    let shop = Shop::with_delivery(&starttls(
        server.port,
        &format!("password_command = \"echo wrong\"\nca_file = \"{TLS_DIR}/cert.pem\"\n"),
    ));
    assert_eq!(shop.deliver_at(now()).retry_later, 1);
    let error = shop.entry().last_error.unwrap();
    assert!(error.contains("refused the login"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the password never shows: {error}"
    );

    // A certificate no authority vouches for: nothing is sent, not even the login.
    let shop = Shop::with_delivery(&starttls(
        server.port,
        "password_command = \"echo s3cret\"\n",
    ));
    assert_eq!(shop.deliver_at(now()).retry_later, 1);
    let error = shop.entry().last_error.unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(server.logins().is_empty());

    // A server without STARTTLS, when the config asks for it: never sent in the clear.
    let plain = SmtpServer::start();
    let shop = Shop::with_delivery(&starttls(
        plain.port,
        "password_command = \"echo s3cret\"\n",
    ));
    assert_eq!(shop.deliver_at(now()).retry_later, 1);
    let error = shop.entry().last_error.unwrap();
    assert!(error.contains("does not offer STARTTLS"), "{error}");
    assert!(plain.received().is_empty());
    assert!(server.received().is_empty());
}

#[test]
fn a_self_signed_certificate_in_ca_file_is_trusted_as_that_certificate_only() {
    let server = SmtpServer::start_tls_self_signed();
    let shop = Shop::with_delivery(&starttls(
        server.port,
        &format!(
            "password_command = \"echo s3cret\"\nca_file = \"{TLS_DIR}/selfsigned-cert.pem\"\n"
        ),
    ));
    let summary = shop.deliver_at(now());
    assert_eq!(summary.sent, 1, "{summary:?} {:?}", shop.entry().last_error);
    assert_eq!(server.logins(), vec!["support@example-shop.test:s3cret"]);

    // Another certificate in ca_file: the server's is not trusted, nothing is sent.
    let server = SmtpServer::start_tls_self_signed();
    let shop = Shop::with_delivery(&starttls(
        server.port,
        &format!("password_command = \"echo s3cret\"\nca_file = \"{TLS_DIR}/cert.pem\"\n"),
    ));
    assert_eq!(shop.deliver_at(now()).retry_later, 1);
    let error = shop.entry().last_error.unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(server.logins().is_empty() && server.received().is_empty());
}
