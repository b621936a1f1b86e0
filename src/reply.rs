//! Sending a reply: the checks that block it, the `.eml` in the outbox, and the outbound
//! message recorded on the thread (which stops its clock) — the file is released to delivery
//! only once the database has the message.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::template::unfilled;
use crate::import::parse::{RawMail, parse_mail};
use crate::outbox::{self, OutboxError, Reply};
use crate::store::ingest::{Added, Batch, Memo};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{} not filled: replace {} before sending", .0.join(", "), if .0.len() == 1 { "it" } else { "them" })]
    Unfilled(Vec<String>),
    #[error("the reply is empty")]
    Empty,
    #[error("no buyer address is known for this thread, so it cannot be answered by e-mail")]
    NoRecipient,
    #[error("no seller address to send from: set [seller] addresses in the config")]
    NoSender,
    #[error("no outbox folder: set [store] outbox in the config")]
    NoOutbox,
    #[error("there is no thread {0}")]
    NoThread(i64),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for SendError {
    fn from(e: rusqlite::Error) -> Self {
        SendError::Store(e.into())
    }
}

/// What blocks a body from being sent, whatever the thread: emptiness and any placeholder left.
pub fn check_body(body: &str) -> Result<(), SendError> {
    if body.trim().is_empty() {
        return Err(SendError::Empty);
    }
    let left = unfilled(body);
    if !left.is_empty() {
        return Err(SendError::Unfilled(left));
    }
    Ok(())
}

/// The reply `body` would become on `thread_id`, every check passed: what the confirmation shows.
pub fn prepare(
    store: &Store,
    config: &Config,
    thread_id: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Reply, SendError> {
    check_body(body)?;
    let facts = store
        .reply_facts(thread_id)?
        .ok_or(SendError::NoThread(thread_id))?;
    let to_addr = facts.to_addr.ok_or(SendError::NoRecipient)?;
    let from_addr = config
        .seller_addresses
        .first()
        .cloned()
        .ok_or(SendError::NoSender)?;
    Ok(Reply {
        from_name: config.seller_name.clone(),
        from_addr,
        to_name: facts.to_name,
        to_addr,
        subject: outbox::reply_subject(&facts.subject),
        in_reply_to: facts.in_reply_to,
        references: facts.references,
        body: body.trim_end().to_string() + "\n",
        date: now,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub path: PathBuf,
    pub message_id: String,
}

/// Writes `reply` to the outbox and records it on `thread_id`; the thread's draft goes.
pub fn send(
    store: &mut Store,
    config: &Config,
    thread_id: i64,
    reply: &Reply,
    now: DateTime<Utc>,
) -> Result<Sent, SendError> {
    check_body(&reply.body)?;
    let dir = config.outbox_dir().ok_or(SendError::NoOutbox)?;
    let message_id = outbox::new_message_id(&reply.from_addr, thread_id, now);
    let bytes = outbox::build(reply, &message_id)?;
    // `sellerdesk.<time>.<hex>@domain`: the hex keeps two replies in one second apart.
    let tag: String = message_id
        .split(['.', '@'])
        .nth(2)
        .unwrap_or_default()
        .chars()
        .take(8)
        .collect();
    let stem = format!("{}-t{thread_id}-{tag}", now.format("%Y%m%dT%H%M%SZ"));
    // Staged first: a failed commit leaves no file behind; a failed write no message.
    let pending = outbox::stage(&dir, &stem, &bytes)?;
    let source = format!("outbox {}", pending.target().display());
    let mail = parse_mail(
        RawMail {
            bytes,
            delivered_at: Some(now),
            source,
        },
        config,
        now,
    );
    let mut memo = Memo::default();
    let mut batch = Batch::new(store.begin()?, &mut memo, now)?;
    if !matches!(
        batch.add_to_thread(Box::new(mail), thread_id)?,
        Added::New { .. }
    ) {
        return Err(SendError::Store(StoreError::Invalid(
            "this reply is already recorded".into(),
        )));
    }
    batch
        .transaction()
        .execute("DELETE FROM drafts WHERE thread_id = ?1", [thread_id])?;
    batch.commit()?;
    let path = pending.publish()?;
    Ok(Sent { path, message_id })
}
