//! `sellerdesk send` delivers the outbox (for cron, or a server without the app) and
//! `sellerdesk outbox` lists it.
//!
//! `send` exits 0 when nothing is left undelivered, 1 when replies wait for a retry, 2 when
//! some were refused for good or have an unknown delivery (the seller must look).

use std::io::Write;
use std::time::Instant;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Invocation;
use crate::delivery::{Sender, Summary};
use crate::store::outbox::{Entry, OutboxCounts, State};
use crate::text::safe_text;
use crate::text::time_fmt::{local, serialize_rfc3339};

#[derive(Serialize)]
struct SendJson {
    #[serde(flatten)]
    run: Summary,
    /// Claims found left by a sender that died mid-delivery, now unknown.
    recovered_unknown: u32,
    outbox: OutboxCounts,
}

/// Exit code from what the outbox holds after a run.
fn verdict(c: &OutboxCounts) -> u8 {
    if c.failed + c.unknown > 0 {
        2
    } else if c.queued + c.retrying + c.sending > 0 {
        1
    } else {
        0
    }
}

pub fn send(inv: &Invocation, json: bool, retry: &[i64], even_if_unknown: bool) -> Result<u8> {
    let mut store = inv.open_store()?;
    // Time runs on from `--now` while delivery takes its time.
    let (start, opened) = (inv.now, Instant::now());
    let clock = move || start + chrono::Duration::from_std(opened.elapsed()).unwrap_or_default();
    let sender = Sender::new(&inv.config, &clock);
    let recovered = sender.recover(&mut store)?;
    let mut skipped = Vec::new();
    for &id in retry {
        if !store.outbox_retry(id, clock(), even_if_unknown)? {
            match store.outbox_entry(id)? {
                None => bail!("there is no outbox message {id}"),
                Some(e) if e.state == State::Unknown => skipped.push(id),
                Some(e) => bail!(
                    "outbox message {id} is {}: only a failed or unknown one is sent again",
                    e.state.key()
                ),
            }
        }
    }
    for id in &skipped {
        errln!(
            "sellerdesk: outbox message {id} not sent again: its delivery is unknown, the \
             server may already have it and the buyer would get it twice. To send it anyway: \
             sellerdesk send --retry {id} --even-if-unknown"
        );
    }
    let run = sender.deliver_due(&mut store, &|| false)?;
    let counts = store.outbox_counts()?;
    let mut out = crate::cli::out::stdout();
    if json {
        let doc = SendJson {
            run,
            recovered_unknown: recovered,
            outbox: counts,
        };
        writeln!(out, "{}", serde_json::to_string(&doc)?)?;
    } else {
        writeln!(
            out,
            "sent {} · retry later {} · failed {} · unknown {}",
            run.sent, run.retry_later, run.failed, run.unknown
        )?;
        if recovered > 0 {
            writeln!(
                out,
                "{recovered} left mid-delivery by a sender that stopped: now unknown (see `sellerdesk outbox`)"
            )?;
        }
        let tz = inv.config.timezone;
        for e in store
            .outbox_entries(20)?
            .iter()
            .filter(|e| e.needs_attention())
        {
            let next = e
                .next_attempt_at
                .map(|t| format!(" · next attempt {}", local(t, tz)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {} to {}: {}{next}",
                e.id,
                state_label(e),
                safe_text::line(e.to_addr.as_deref().unwrap_or("?")),
                safe_text::line(e.last_error.as_deref().unwrap_or("no answer"))
            )?;
        }
        let waiting = counts.queued + counts.retrying;
        if waiting + counts.failed + counts.unknown > 0 {
            writeln!(
                out,
                "outbox: {waiting} waiting · {} failed for good · {} unknown",
                counts.failed, counts.unknown
            )?;
        }
    }
    Ok(verdict(&counts))
}

#[derive(Serialize)]
struct EntryJson<'a> {
    id: i64,
    thread_id: i64,
    state: &'static str,
    permanent: bool,
    attempts: u32,
    #[serde(serialize_with = "serialize_opt")]
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<&'a str>,
    transport: Option<&'a str>,
    #[serde(serialize_with = "serialize_rfc3339")]
    queued_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_opt")]
    sent_at: Option<DateTime<Utc>>,
    to: Option<&'a str>,
    subject: &'a str,
}

fn serialize_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_rfc3339(t, s),
        None => s.serialize_none(),
    }
}

fn state_label(e: &Entry) -> &'static str {
    if e.permanently_failed() {
        "failed for good"
    } else if e.state == State::Failed {
        "retrying"
    } else {
        e.state.key()
    }
}

pub fn list(inv: &Invocation, json: bool, limit: usize) -> Result<u8> {
    let store = inv.open_store()?;
    let entries = store.outbox_entries(limit)?;
    let counts = store.outbox_counts()?;
    let mut out = crate::cli::out::stdout();
    if json {
        let rows: Vec<EntryJson> = entries
            .iter()
            .map(|e| EntryJson {
                id: e.id,
                thread_id: e.thread_id,
                state: e.state.key(),
                permanent: e.permanently_failed(),
                attempts: e.attempts,
                next_attempt_at: e.next_attempt_at,
                last_error: e.last_error.as_deref(),
                transport: e.transport.as_deref(),
                queued_at: e.queued_at,
                sent_at: e.sent_at,
                to: e.to_addr.as_deref(),
                subject: &e.subject,
            })
            .collect();
        let doc = serde_json::json!({ "counts": counts, "messages": rows });
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&doc)?))?;
    } else {
        if entries.is_empty() {
            writeln!(out, "the outbox is empty")?;
        }
        let tz = inv.config.timezone;
        for e in &entries {
            writeln!(
                out,
                "{:>5}  {:<16} {}  thread {}  {}  {}",
                e.id,
                state_label(e),
                local(e.queued_at, tz),
                e.thread_id,
                safe_text::line(e.to_addr.as_deref().unwrap_or("?")),
                safe_text::line(&e.subject)
            )?;
            if let Some(err) = &e.last_error {
                let next = e
                    .next_attempt_at
                    .map(|t| format!(" · next attempt {}", local(t, tz)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "       {} (attempt {}){next}",
                    safe_text::line(err),
                    e.attempts
                )?;
            }
        }
    }
    Ok(verdict(&counts))
}
