//! `sellerdesk status`: what needs a reply, most urgent first, for cron and shell prompts.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::Invocation;
use crate::config::Config;
use crate::domain::clock::ClockState;
use crate::store::Store;
use crate::store::follow_ups::FollowUp;
use crate::store::inbox::InboxRow;
use crate::store::outbox::State as OutboxState;
use crate::store::urgency::ClockCounts;
use crate::text::safe_text;
use crate::text::time_fmt::{countdown, local, serialize_rfc3339};

#[derive(Serialize)]
pub struct StatusReport {
    #[serde(serialize_with = "serialize_rfc3339")]
    pub now: DateTime<Utc>,
    pub counts: ClockCounts,
    pub threads: Vec<StatusThread>,
    /// Escalations and check-back reminders due, oldest first.
    pub follow_ups: Vec<FollowUp>,
    /// Replies the buyer has not got: retrying, unknown or failed for good.
    pub outbox: StuckOutbox,
}

/// A reply queued this long with no sender taking it: nothing runs `sellerdesk send` (or the
/// app) — the buyer still has no answer, though the thread's clock has stopped.
const WAITING_TOO_LONG: chrono::Duration = chrono::Duration::minutes(15);

#[derive(Serialize, Default)]
pub struct StuckOutbox {
    pub retrying: u32,
    pub unknown: u32,
    pub failed: u32,
    /// Queued more than 15 minutes ago and never attempted (or left mid-send).
    pub waiting: u32,
    /// Oldest first.
    pub items: Vec<StuckReply>,
}

#[derive(Serialize)]
pub struct StuckReply {
    pub id: i64,
    pub thread: i64,
    /// `retrying`, `unknown`, `failed` (for good) or `waiting` (no sender has taken it).
    pub state: &'static str,
    /// When the reply was queued: the buyer has waited for it since.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub since: DateTime<Utc>,
    pub error: Option<String>,
}

impl StuckOutbox {
    fn build(store: &Store, now: DateTime<Utc>) -> Result<StuckOutbox> {
        let mut out = StuckOutbox::default();
        for e in store.outbox_stuck(now - WAITING_TOO_LONG)? {
            let state = match e.state {
                OutboxState::Unknown => {
                    out.unknown += 1;
                    "unknown"
                }
                OutboxState::Queued | OutboxState::Sending => {
                    out.waiting += 1;
                    "waiting"
                }
                _ if e.permanently_failed() => {
                    out.failed += 1;
                    "failed"
                }
                _ => {
                    out.retrying += 1;
                    "retrying"
                }
            };
            out.items.push(StuckReply {
                id: e.id,
                thread: e.thread_id,
                state,
                since: e.queued_at,
                error: e.last_error,
            });
        }
        Ok(out)
    }

    /// 2 when a reply failed for good or its delivery is unknown, 1 while one is retried or
    /// waits for a sender.
    fn exit_code(&self) -> u8 {
        if self.unknown + self.failed > 0 {
            2
        } else if self.retrying + self.waiting > 0 {
            1
        } else {
            0
        }
    }
}

#[derive(Serialize)]
pub struct StatusThread {
    pub id: i64,
    pub state: ClockState,
    pub buyer: Option<String>,
    pub buyer_alias: Option<String>,
    pub order_id: Option<String>,
    pub subject: String,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub due_at: DateTime<Utc>,
}

impl StatusReport {
    pub fn build(
        store: &Store,
        config: &Config,
        now: DateTime<Utc>,
        limit: Option<u64>,
    ) -> Result<Self> {
        let th = &config.thresholds;
        let counts = store.clock_counts(now, th)?;
        let threads = store
            .urgent_threads(now, th, limit)?
            .into_iter()
            .filter_map(|t: InboxRow| {
                let clock = t.clock()?;
                Some(StatusThread {
                    id: t.id,
                    state: clock.state(now, th),
                    buyer: t.buyer_name,
                    buyer_alias: t.buyer_alias,
                    order_id: t.order_id,
                    subject: t.subject,
                    due_at: clock.due(),
                })
            })
            .collect();
        let follow_ups = store.due_follow_ups(now)?;
        Ok(StatusReport {
            now,
            counts,
            threads,
            follow_ups,
            outbox: StuckOutbox::build(store, now)?,
        })
    }

    /// Nagios: 2 overdue or critical, 1 due soon, 0 otherwise; or the outbox's, if higher (a
    /// buyer's answer stuck undelivered is no "all clear").
    pub fn exit_code(&self) -> u8 {
        let clock = if self.counts.overdue > 0 {
            2
        } else if self.counts.due_soon > 0 || !self.follow_ups.is_empty() {
            1
        } else {
            0
        };
        clock.max(self.outbox.exit_code())
    }

    pub fn to_json(&self) -> String {
        safe_text::json(serde_json::to_string(self).expect("status serializes"))
    }

    /// Human-readable; buyer text made terminal-safe; colour only when asked.
    pub fn to_text(&self, config: &Config, colour: bool) -> String {
        let c = &self.counts;
        let mut out = String::new();
        let head = format!(
            "sellerdesk · {} · {}",
            safe_text::line(&config.seller_name),
            local(self.now, config.timezone)
        );
        out.push_str(&head);
        out.push('\n');
        if !self.follow_ups.is_empty() {
            out.push_str(&format!("{} follow-up(s) due:\n", self.follow_ups.len()));
            // What is followed up, case ID included, is never cut: the column is as wide as
            // the longest.
            let what: Vec<String> = self
                .follow_ups
                .iter()
                .map(|f| safe_text::line(&f.describe()).into_owned())
                .collect();
            let what_width = what.iter().map(|w| w.width()).max().unwrap_or(0);
            for (f, what) in self.follow_ups.iter().zip(&what) {
                let pad = " ".repeat(what_width - what.width());
                out.push_str(&format!(
                    "  #{:<6} {what}{pad} due {}  {}  {}\n",
                    f.thread_id,
                    local(f.due_at, config.timezone),
                    fit(
                        &safe_text::line(f.buyer.as_deref().unwrap_or("(unknown)")),
                        24
                    ),
                    safe_text::line(&f.subject)
                ));
            }
        }
        let o = &self.outbox;
        if !o.items.is_empty() {
            let waiting = if o.waiting > 0 {
                format!(" · {} waiting for `sellerdesk send`", o.waiting)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "Replies not delivered: {} retrying · {} unknown · {} failed for good{waiting}\n",
                o.retrying, o.unknown, o.failed
            ));
            for r in &o.items {
                out.push_str(&format!(
                    "  outbox {:<5} thread #{:<6} {:<9} since {}  {}\n",
                    r.id,
                    r.thread,
                    r.state,
                    local(r.since, config.timezone),
                    safe_text::line(r.error.as_deref().unwrap_or("no answer"))
                ));
            }
        }
        if c.needs_reply == 0 {
            out.push_str(if o.items.is_empty() {
                "All clear: no thread needs a reply.\n"
            } else {
                "No thread needs a reply.\n"
            });
            return out;
        }
        out.push_str(&format!(
            "{} need a reply · {} overdue ({} critical) · {} due soon\n",
            c.needs_reply, c.overdue, c.critical, c.due_soon
        ));
        if self.threads.is_empty() {
            out.push_str(&format!(
                "Nothing due within {} h.\n",
                config.thresholds.due_soon.num_hours()
            ));
            return out;
        }
        out.push('\n');
        let buyer_width = self
            .threads
            .iter()
            .map(|t| fit(&buyer_label(t), 24).width())
            .max()
            .unwrap_or(0);
        for t in &self.threads {
            let (on, off) = match (colour, t.state) {
                (true, ClockState::Critical) => ("\x1b[1;31m", "\x1b[0m"),
                (true, ClockState::Overdue) => ("\x1b[31m", "\x1b[0m"),
                (true, ClockState::DueSoon) => ("\x1b[33m", "\x1b[0m"),
                _ => ("", ""),
            };
            let buyer = fit(&buyer_label(t), 24);
            let pad = " ".repeat(buyer_width - buyer.width());
            out.push_str(&format!(
                "{on}{:<8}  {:<15}{off}  {buyer}{pad}  {:<19}  {}\n",
                t.state.label(),
                countdown(t.due_at - self.now),
                t.order_id.as_deref().unwrap_or("-"),
                safe_text::line(&t.subject),
            ));
        }
        out
    }
}

/// At most `max` terminal columns of `s` (CJK and emoji count double).
fn fit(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if width + w > max {
            break;
        }
        width += w;
        out.push(c);
    }
    out
}

fn buyer_label(t: &StatusThread) -> String {
    let raw = t
        .buyer
        .as_deref()
        .or(t.buyer_alias.as_deref())
        .unwrap_or("(unknown buyer)");
    safe_text::line(raw).into_owned()
}

pub fn run(inv: &Invocation, json: bool, limit: Option<u64>) -> Result<u8> {
    let store = inv.open_store()?;
    let report = StatusReport::build(&store, &inv.config, inv.now, limit)?;
    print(&report, &inv.config, json)?;
    Ok(report.exit_code())
}

pub fn print(report: &StatusReport, config: &Config, json: bool) -> Result<()> {
    let stdout = std::io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = if json {
        report.to_json() + "\n"
    } else {
        report.to_text(config, colour)
    };
    let mut lock = crate::cli::out::Quiet(stdout.lock());
    lock.write_all(text.as_bytes())?;
    lock.flush()?;
    Ok(())
}
