//! Delivering the outbox: claims each due message, hands it to the configured transport, and
//! records what happened — sent, failed (retried with back-off, or for good), or unknown.
//!
//! The one promise: no message is ever sent twice without the seller asking. Its state becomes
//! `sending` in a committed transaction just before the final step (SMTP's DATA, handing the
//! bytes to the sendmail command, publishing the `.eml`); a sender that dies after that leaves
//! it `sending`, and the next sender to start calls it `unknown` and leaves it to the seller.

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::config::delivery::Transport;
use crate::store::outbox::Job;
use crate::store::{Store, StoreError};

mod folder;
mod sendmail;
mod sent_copy;
mod smtp;
pub mod worker;

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Taken by the server, command or folder; the detail says what it answered.
    Sent(String),
    /// Not taken, worth trying again later (4xx, no connection, a missing password, ...).
    Temporary(String),
    /// Refused for good (5xx, a command's permanent failure): not retried.
    Permanent(String),
    /// The final step began and no answer came: it may or may not have been delivered.
    Unknown(String),
    /// The claim was lost before the final step (another sender judged this one gone):
    /// nothing was sent, and the message is left to that sender.
    Lost,
}

impl Attempt {
    /// The same outcome with its text changed by `f`.
    pub fn map_text(self, f: impl FnOnce(String) -> String) -> Attempt {
        match self {
            Attempt::Sent(t) => Attempt::Sent(f(t)),
            Attempt::Temporary(t) => Attempt::Temporary(f(t)),
            Attempt::Permanent(t) => Attempt::Permanent(f(t)),
            Attempt::Unknown(t) => Attempt::Unknown(f(t)),
            Attempt::Lost => Attempt::Lost,
        }
    }

    /// One line for the seller.
    pub fn describe(&self) -> String {
        match self {
            Attempt::Sent(detail) => format!("delivered: {detail}"),
            Attempt::Temporary(e) => format!("not delivered yet ({e}): tried again automatically"),
            Attempt::Permanent(e) => format!("not delivered ({e}): the buyer has no answer"),
            Attempt::Unknown(e) => format!("delivery unknown ({e}): R sends it again"),
            Attempt::Lost => "queued: another sender has it".into(),
        }
    }
}

/// What a run of the sender did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub sent: u32,
    /// Failed for now: tried again later.
    pub retry_later: u32,
    /// Failed for good: the thread's clock runs again.
    pub failed: u32,
    /// Delivery may or may not have happened (found so at start, or no answer to the final
    /// step): only the seller sends these again.
    pub unknown: u32,
}

/// How long after a temporary failure the message is tried again: soon at first, then less
/// often, never more than two hours apart.
pub fn retry_delay(attempts: u32) -> Duration {
    const MINUTES: [i64; 6] = [1, 5, 15, 30, 60, 120];
    let i = (attempts.max(1) as usize - 1).min(MINUTES.len() - 1);
    Duration::minutes(MINUTES[i])
}

/// A reply still not delivered this long after it was queued is given up on: it is late
/// anyway, and the seller must know the buyer has no answer.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// One sender: a name other senders recognize it by, and the time it goes by.
pub struct Sender<'a> {
    pub config: &'a Config,
    pub me: String,
    pub clock: &'a dyn Fn() -> DateTime<Utc>,
}

impl Sender<'_> {
    pub fn new<'a>(config: &'a Config, clock: &'a dyn Fn() -> DateTime<Utc>) -> Sender<'a> {
        Sender {
            config,
            me: crate::store::outbox::sender_name(),
            clock,
        }
    }

    /// Marks what gone senders left half-done (see the module's promise). Call once at start.
    pub fn recover(&self, store: &mut Store) -> Result<u32, StoreError> {
        Ok(store.outbox_recover(&self.me, (self.clock)())?.len() as u32)
    }

    /// Delivers every message due now, one after another, until none is due or `stop` says so.
    pub fn deliver_due(
        &self,
        store: &mut Store,
        stop: &dyn Fn() -> bool,
    ) -> Result<Summary, StoreError> {
        let mut summary = Summary::default();
        while !stop() {
            let Some(job) = store.outbox_claim(&self.me, (self.clock)())? else {
                break;
            };
            match self.deliver(store, &job)? {
                Attempt::Sent(_) => summary.sent += 1,
                Attempt::Temporary(_) => summary.retry_later += 1,
                Attempt::Permanent(_) => summary.failed += 1,
                Attempt::Unknown(_) => summary.unknown += 1,
                Attempt::Lost => {}
            }
        }
        Ok(summary)
    }

    /// One attempt at `job` (claimed by this sender), recorded in the store.
    pub fn deliver(&self, store: &mut Store, job: &Job) -> Result<Attempt, StoreError> {
        let transport = &self.config.delivery.transport;
        let name = transport.key();
        let mut before_final = || -> Result<bool, String> {
            store
                .outbox_mark_sending(job.id, &self.me, name, (self.clock)())
                .map_err(|e| format!("could not record the attempt: {e}"))
        };
        let attempt = match transport {
            Transport::Folder => match self.config.outbox_dir() {
                Some(dir) => folder::deliver(&dir, job, &mut before_final),
                None => Attempt::Temporary("no outbox folder: set [store] outbox".into()),
            },
            Transport::Smtp(settings) => smtp::deliver(settings, job, &mut before_final),
            Transport::Sendmail(settings) => sendmail::deliver(settings, job, &mut before_final),
        };
        let now = (self.clock)();
        match &attempt {
            Attempt::Sent(detail) => {
                store.outbox_sent(job.id, name, detail, now)?;
                if let Some(dir) = &self.config.delivery.sent_maildir
                    && let Err(e) = sent_copy::store(dir, &job.raw, now)
                {
                    store.outbox_note(
                        job.thread_id,
                        "sent copy failed",
                        &format!("{}: {e}", dir.display()),
                        now,
                    )?;
                }
            }
            Attempt::Temporary(error) => {
                // `attempts` counted this try only if it reached its final step.
                let tries = job.attempts + 1;
                let retry_at = now + retry_delay(tries);
                if retry_at > job.queued_at + GIVE_UP_AFTER {
                    store.outbox_failed(
                        job.id,
                        name,
                        &format!("not delivered within 24 hours ({tries} attempts): {error}"),
                        None,
                        now,
                    )?;
                    return Ok(Attempt::Permanent(error.clone()));
                }
                store.outbox_failed(job.id, name, error, Some(retry_at), now)?;
                // A temporary failure before the final step did not pass through `sending`,
                // where attempts are counted: counted here so the back-off grows.
                store.outbox_count_attempt(job.id, job.attempts + 1)?;
            }
            Attempt::Permanent(error) => store.outbox_failed(job.id, name, error, None, now)?,
            Attempt::Unknown(error) => store.outbox_unknown(job.id, error, now)?,
            Attempt::Lost => store.outbox_release(job.id, &self.me)?,
        }
        Ok(attempt)
    }
}

/// What a refused login says, whichever transport met it: retried until the seller fixes it.
pub(crate) fn login_refused(detail: &str) -> String {
    format!("the SMTP server refused the login: {detail} (check username and password)")
}

/// Buyer-visible text never reaches the terminal raw; neither does a server's or command's
/// answer: one line, no controls, bounded.
pub(crate) fn clean_error(text: &str) -> String {
    // A server (or a command's log) echoing an AUTH command shows the credentials it carried.
    static AUTH: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\b(AUTH\s+[A-Z0-9_-]+)\s+\S+").expect("valid regex")
    });
    let text = AUTH.replace_all(text, "$1 [redacted]");
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(400)
        .collect();
    if line.is_empty() {
        "no explanation given".into()
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_then_stays_at_two_hours() {
        let minutes: Vec<i64> = (1..=8).map(|a| retry_delay(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 5, 15, 30, 60, 120, 120, 120]);
        assert_eq!(retry_delay(0).num_minutes(), 1);
    }

    #[test]
    fn errors_are_one_clean_line() {
        assert_eq!(
            clean_error("550 5.1.1\r\n  no such\x1b[31m user\x07"),
            "550 5.1.1 no such[31m user"
        );
        assert_eq!(clean_error(" \n"), "no explanation given");
        assert_eq!(
            clean_error("500 unrecognized: AUTH PLAIN AHN1cHBvcnQAczNjcmV0"),
            "500 unrecognized: AUTH PLAIN [redacted]"
        );
    }
}
