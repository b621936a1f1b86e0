//! Delivery through the mail programs sellers already run, started for real: msmtp (STARTTLS,
//! AUTH, a self-signed certificate) and exim's `sendmail` (a line holding a single dot); and
//! stand-in commands for the exit statuses real programs cannot be made to give on demand.
//!
//! `.ci/run` installs msmtp and exim4; elsewhere a missing program skips its test with a note
//! (under `CI` it fails).

use crate::support;

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};
use std::process::Command;

use sellerdesk::config::Config;
use sellerdesk::delivery::{Sender, Summary};
use sellerdesk::store::Store;
use sellerdesk::store::outbox::{Entry, State};
use support::queued::{NOW, now, reply_queued};
use support::smtp::SmtpServer;

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

/// A reply whose body has a line holding a single dot, and text after it.
const BODY: &str = "Hello Bob,\n\nThe steps:\n1. unplug the lamp\n.\nThen the rest of the reply, \
                    which must arrive too.\n";

/// The program on PATH, or `None` (with a note) where it is not installed and this is no CI.
fn installed(program: &str, package: &str) -> Option<PathBuf> {
    match which::which(program) {
        Ok(p) => Some(p),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("{program} is not installed: apt-get install {package} (.ci/run does)")
        }
        Err(_) => {
            eprintln!("skipped: {program} is not installed (apt-get install {package})");
            None
        }
    }
}

struct Shop {
    _dir: tempfile::TempDir,
    config_path: PathBuf,
    config: Config,
    db: PathBuf,
    thread: i64,
}

impl Shop {
    /// One buyer inquiry, a reply with `BODY` queued, delivered by the sendmail command given.
    fn new(command: &str) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let q = reply_queued(
            dir.path(),
            &format!(
                "[delivery.sendmail]\ncommand = {}\n",
                toml::Value::String(command.into())
            ),
            BODY,
        );
        Shop {
            _dir: dir,
            config_path: q.config_path,
            config: q.config,
            db: q.db,
            thread: q.thread,
        }
    }

    fn deliver(&self) -> Summary {
        let clock = now;
        let sender = Sender::new(&self.config, &clock);
        let mut store = Store::open(&self.db).unwrap();
        sender.recover(&mut store).unwrap();
        sender.deliver_due(&mut store, &|| false).unwrap()
    }

    fn entry(&self) -> Entry {
        let entries = Store::open(&self.db)
            .unwrap()
            .outbox_of_thread(self.thread)
            .unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    /// The reply as stored (what every transport hands over).
    fn raw(&self) -> Vec<u8> {
        sql(&Store::open(&self.db).unwrap())
            .query_row(
                "SELECT raw FROM message_raw JOIN messages m ON m.id = message_id
                 WHERE m.direction = 'out'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_at(NOW, args)
    }

    fn cli_at(&self, now: &str, args: &[&str]) -> std::process::Output {
        let home = self.config_path.parent().unwrap();
        crate::support::bin::on(home, Some(&self.config_path), &self.db, now)
            .args(args)
            .output()
            .unwrap()
    }
}

/// The body as the receiver has it: after the header, line endings made plain.
fn body_of(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    text.split_once("\n\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

fn msmtp_config(dir: &Path, port: u16, password: &str) -> PathBuf {
    let path = dir.join("msmtprc");
    std::fs::write(
        &path,
        format!(
            "defaults\nlogfile -\naccount shop\nhost localhost\nport {port}\n\
             from support@example-shop.test\ntls on\ntls_starttls on\n\
             tls_trust_file {TLS_DIR}/selfsigned-cert.pem\nauth plain\n\
             user support@example-shop.test\npasswordeval \"echo {password}\"\n\
             account default : shop\n"
        ),
    )
    .unwrap();
    // msmtp refuses a configuration others may read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

#[test]
fn msmtp_delivers_over_starttls_with_a_login_and_the_lone_dot_line_intact() {
    let Some(_) = installed("msmtp", "msmtp") else {
        return;
    };
    let server = SmtpServer::start_tls_self_signed();
    let dir = tempfile::tempdir().unwrap();
    let rc = msmtp_config(dir.path(), server.port, "s3cret");
    // A quoted path, as a shell would take it.
    let shop = Shop::new(&format!(
        "msmtp -C '{}' --read-envelope-from -t",
        rc.display()
    ));
    let summary = shop.deliver();
    assert_eq!(summary.sent, 1, "{summary:?} {:?}", shop.entry().last_error);
    assert_eq!(server.logins(), vec!["support@example-shop.test:s3cret"]);
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["t2bb@marketplace.amazon.com"]);
    assert_eq!(body_of(&got[0].data), body_of(&shop.raw()));
    assert!(body_of(&got[0].data).contains("\n.\nThen the rest"));
}

#[test]
fn msmtp_refused_login_is_retried_and_says_so() {
    let Some(_) = installed("msmtp", "msmtp") else {
        return;
    };
    let server = SmtpServer::start_tls_self_signed();
    let dir = tempfile::tempdir().unwrap();
    let rc = msmtp_config(dir.path(), server.port, "wrong");
    let shop = Shop::new(&format!("msmtp -C {} -t", rc.display()));
    let summary = shop.deliver();
    assert_eq!(summary.retry_later, 1, "{summary:?}");
    let e = shop.entry();
    let error = e.last_error.unwrap();
    assert!(
        error.contains("refused the login") && error.contains("exited 77"),
        "{error}"
    );
    assert!(server.received().is_empty());
}

/// The messages exim holds in its queue with `message_id` in their header: (queue id, body).
fn exim_queued(message_id: &str) -> Vec<(String, String)> {
    let list = Command::new("exim4").arg("-bpr").output().unwrap();
    let ids: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .filter(|id| id.len() > 10 && id.contains('-'))
        .collect();
    ids.into_iter()
        .filter(|id| {
            let head = Command::new("exim4").args(["-Mvh", id]).output().unwrap();
            String::from_utf8_lossy(&head.stdout).contains(message_id)
        })
        .map(|id| {
            let body = Command::new("exim4").args(["-Mvb", &id]).output().unwrap();
            let text = String::from_utf8_lossy(&body.stdout).to_string();
            // The first line names the spool file.
            let body = text
                .split_once('\n')
                .map(|(_, b)| b.to_string())
                .unwrap_or_default();
            (id, body)
        })
        .collect()
}

#[test]
fn exims_sendmail_queues_the_whole_reply_once_even_with_a_lone_dot_line() {
    let Some(_) = installed("exim4", "exim4-daemon-light") else {
        return;
    };
    // Queue only (-odq): the test reads the message back from exim's queue, then removes it.
    let shop = Shop::new("/usr/sbin/sendmail -odq -t");
    let summary = shop.deliver();
    assert_eq!(summary.sent, 1, "{summary:?} {:?}", shop.entry().last_error);
    let raw = String::from_utf8_lossy(&shop.raw()).to_string();
    let message_id = raw
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap()
        .trim()
        .to_string();
    let queued = exim_queued(&message_id);
    for (id, _) in &queued {
        let _ = Command::new("exim4").args(["-Mrm", id]).output();
    }
    assert_eq!(queued.len(), 1, "one copy: {queued:?}");
    assert_eq!(queued[0].1.replace("\r\n", "\n"), body_of(raw.as_bytes()));
    // Nothing left to send: a second run does not queue another copy.
    assert_eq!(shop.deliver(), Summary::default());
}

/// A stand-in sendmail that reads the whole message, then exits as told (or is killed).
fn stand_in(dir: &Path, end: &str) -> String {
    let script = dir.join("stand-in-sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat > \"$(dirname \"$0\")/got.eml\"\necho 'said something' >&2\n{end}\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script.display().to_string()
}

#[test]
fn each_exit_status_of_the_command_has_its_outcome_and_unknown_is_never_resent_unasked() {
    for (end, state, permanent) in [
        ("exit 75", State::Failed, false),
        ("exit 69", State::Failed, false),
        ("exit 77", State::Failed, false),
        ("exit 74", State::Unknown, false),
        ("exit 76", State::Unknown, false),
        ("kill -KILL $$", State::Unknown, false),
        ("exit 67", State::Failed, true),
        ("exit 1", State::Failed, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let shop = Shop::new(&stand_in(dir.path(), end));
        shop.deliver();
        let e = shop.entry();
        assert_eq!(
            (e.state, e.permanently_failed()),
            (state, permanent),
            "{end}: {e:?}"
        );
        if state != State::Unknown {
            continue;
        }
        // The plain retry skips it and says why; the explicit one sends it again.
        std::fs::remove_file(dir.path().join("got.eml")).unwrap();
        let id = e.id.to_string();
        let out = shop.cli(&["send", "--retry", &id]);
        assert_eq!(out.status.code(), Some(2), "{end}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("--even-if-unknown"), "{end}: {said}");
        assert!(
            !dir.path().join("got.eml").exists(),
            "{end}: not sent again"
        );
        let out = shop.cli(&["send", "--retry", &id, "--even-if-unknown"]);
        assert!(dir.path().join("got.eml").exists(), "{end}: {out:?}");
    }
}

#[test]
fn status_lists_stuck_replies_and_never_says_all_clear_over_them() {
    for (end, state, code) in [
        ("exit 75", "retrying", 1),
        ("exit 76", "unknown", 2),
        ("exit 67", "failed", 2),
        ("exit 0", "", 0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let shop = Shop::new(&stand_in(dir.path(), end));
        shop.deliver();
        let out = shop.cli(&["status", "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let outbox = &json["outbox"];
        let text = shop.cli(&["status"]);
        let said = String::from_utf8_lossy(&text.stdout);
        if state.is_empty() {
            assert_eq!(out.status.code(), Some(0), "{end}: {json}");
            assert_eq!(outbox["items"], serde_json::json!([]), "{end}: {json}");
            assert!(said.contains("All clear"), "{said}");
            continue;
        }
        // The failed reply reopens the buyer's clock too: the code is the higher of both.
        assert_eq!(out.status.code(), Some(code), "{end}: {json}");
        assert_eq!(text.status.code(), Some(code), "{end}: {said}");
        assert_eq!(outbox[state], 1, "{end}: {outbox}");
        let item = &outbox["items"][0];
        assert_eq!(item["state"], state, "{end}: {outbox}");
        assert_eq!(item["id"], shop.entry().id, "{end}");
        assert_eq!(item["thread"], shop.thread, "{end}");
        assert_eq!(item["since"], NOW, "{end}");
        assert!(
            item["error"].as_str().unwrap().contains("said something"),
            "{end}: {item}"
        );
        assert!(!said.contains("All clear"), "{end}: {said}");
        assert!(
            said.contains("Replies not delivered") && said.contains(state),
            "{end}: {said}"
        );
    }

    // Queued and nothing sends it (no cron `send`, no app): fine for a few minutes, then it is
    // a reply the buyer does not have.
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::new(&stand_in(dir.path(), "exit 0"));
    let out = shop.cli_at("2026-11-22T12:05:00Z", &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let out = shop.cli_at("2026-11-22T12:30:00Z", &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert_eq!(json["outbox"]["waiting"], 1, "{json}");
    assert_eq!(json["outbox"]["items"][0]["state"], "waiting", "{json}");
    let text = shop.cli_at("2026-11-22T12:30:00Z", &["status"]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains("1 waiting for `sellerdesk send`"), "{said}");
}

/// A stand-in SMTP server that takes a message and drops the connection right after the final
/// dot, before answering it: the sender cannot know whether it was delivered. Counts the
/// messages it took.
fn server_dropping_after_the_dot() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&taken);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = stream.write_all(b"220 stand-in ESMTP\r\n");
            let mut line = String::new();
            let mut in_data = false;
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if in_data {
                    if line == ".\r\n" {
                        count.fetch_add(1, Ordering::SeqCst);
                        break; // dropped: no answer to the dot
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let answer: &[u8] = match verb.as_str() {
                    "EHLO" => b"250-stand-in\r\n250 8BITMIME\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => b"221 bye\r\n",
                    _ => b"250 ok\r\n",
                };
                if stream.write_all(answer).is_err() {
                    break;
                }
            }
        }
    });
    (port, taken)
}

#[test]
fn msmtp_losing_the_connection_after_the_dot_is_unknown_and_never_sent_twice_unasked() {
    let Some(_) = installed("msmtp", "msmtp") else {
        return;
    };
    let (port, taken) = server_dropping_after_the_dot();
    let dir = tempfile::tempdir().unwrap();
    let rc = dir.path().join("msmtprc");
    std::fs::write(
        &rc,
        format!(
            "account default\nhost 127.0.0.1\nport {port}\nfrom support@example-shop.test\n\
             auth off\ntls off\ntimeout 5\n"
        ),
    )
    .unwrap();
    let shop = Shop::new(&format!("msmtp -C {} -t", rc.display()));
    shop.deliver();
    let e = shop.entry();
    assert_eq!(e.state, State::Unknown, "{e:?}");
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Later runs leave it alone; only the seller's explicit retry sends it again.
    assert_eq!(shop.deliver(), Summary::default());
    let id = e.id.to_string();
    shop.cli(&["send", "--retry", &id]);
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    shop.cli(&["send", "--retry", &id, "--even-if-unknown"]);
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 2);
}
