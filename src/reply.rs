//! Sending a reply: the checks that block it, the `.eml` in the outbox, and the outbound
//! message recorded on the thread (which stops its clock) — the file is released to delivery
//! only once the database has the message. Inside: the reply templates (`templates`), the
//! message built as a file (`outbox`), and attachments in both directions (`attachments`).

pub mod attachments;
pub mod outbox;
pub mod templates;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::compliance::{self, Finding, Severity};
use crate::domain::template::unfilled;
use crate::import::parse::{RawMail, parse_mail};
use crate::store::ingest::{Added, Memo};
use crate::store::{Store, StoreError};
use outbox::{OutboxError, Reply};

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
    #[error("writing first needs the order: this thread has no order ID")]
    NoOrder,
    #[error("{0}")]
    Refused(String),
    #[error("attachment: {0}")]
    Attachment(String),
    #[error("against Amazon's messaging rules: {0}; confirm in the app to send anyway")]
    Rules(String),
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

/// The reply `body` would become on `thread_id`, with the files attached to the thread's draft,
/// every check passed: what the confirmation shows.
pub fn prepare(
    store: &Store,
    config: &Config,
    thread_id: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Reply, SendError> {
    let mut reply = prepare_text(store, config, thread_id, body, now)?;
    // Read now, size-checked before and after: the reply is queued with these bytes.
    reply.attachments = store
        .draft_attachments(thread_id)?
        .iter()
        .map(|p| crate::reply::attachments::read(p))
        .collect::<Result<_, _>>()
        .map_err(SendError::Attachment)?;
    Ok(reply)
}

/// The reply `body` would become on `thread_id`, without attachments (the thread's draft is
/// not involved).
pub fn prepare_text(
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
        attachments: Vec::new(),
    })
}

/// A message the seller starts on `thread_id`'s order: `prepare`d, then with its own subject
/// and without the reply's threading headers.
pub fn prepare_message(
    store: &Store,
    config: &Config,
    thread_id: i64,
    body: &str,
    now: DateTime<Utc>,
    proactive: Option<compliance::Reason>,
) -> Result<Reply, SendError> {
    let mut reply = prepare(store, config, thread_id, body, now)?;
    if let Some(reason) = proactive {
        let (subject, _) = proactive_start(store, thread_id, reason)?;
        reply.subject = subject;
        reply.in_reply_to = None;
        reply.references.clear();
    }
    Ok(reply)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Its row in the outbox.
    pub outbox_id: i64,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// What delivery did right away (the `.eml` folder); `None`: queued for the sender.
    pub delivered: Option<crate::delivery::Attempt>,
}

impl Sent {
    /// Where the `.eml` was written, when delivered to the folder.
    pub fn path(&self) -> Option<PathBuf> {
        match &self.delivered {
            Some(crate::delivery::Attempt::Sent(detail)) => {
                detail.strip_prefix("written to ").map(PathBuf::from)
            }
            _ => None,
        }
    }
}

/// The rule errors in `reply` (compliance check of body and subject, and for a message the
/// seller starts, the rules of those): overridable ones need the seller's explicit
/// confirmation, the others block.
pub fn rule_errors(
    reply: &Reply,
    proactive: Option<&compliance::Proactive>,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let ctx = compliance::Context {
        subject: Some(reply.subject.clone()),
        proactive: proactive.cloned(),
        now: Some(now),
    };
    compliance::check(&reply.body, &ctx)
        .into_iter()
        .filter(|f| f.severity == Severity::Error && f.kind != compliance::Kind::Placeholder)
        .collect()
}

/// A message the seller starts on `thread_id`'s order, for `reason`: its subject, and the
/// facts its rules are checked against.
pub fn proactive_start(
    store: &Store,
    thread_id: i64,
    reason: compliance::Reason,
) -> Result<(String, compliance::Proactive), SendError> {
    let mut facts = store
        .proactive_facts(thread_id)?
        .ok_or(SendError::NoOrder)?;
    facts.asks_review = reason == compliance::Reason::ReviewRequest;
    let order = facts.order_id.clone().unwrap_or_default();
    Ok((format!("Your order {order}"), facts))
}

/// `link “https://…”, marketing “coupon”`: findings as the seller reads them.
pub fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let what = f.kind.key().replace('_', " ");
            if f.text.is_empty() {
                what
            } else {
                format!("{what} “{}”", crate::text::safe_text::line(&f.text))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What becomes of the thread's draft once a reply is queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draft {
    /// The reply was the draft (the app): it goes.
    Clear,
    /// The reply came from elsewhere (`sellerdesk reply`): the draft stays as the seller left it.
    Keep,
}

/// Records `reply` on `thread_id` and queues it in the outbox (delivered at once when the
/// transport is the `.eml` folder); the thread's draft goes. Rule
/// errors block it unless each kind is in `overridden` (the seller confirmed); the override is
/// recorded on the thread's timeline with the reply.
pub fn send(
    store: &mut Store,
    config: &Config,
    thread_id: i64,
    reply: &Reply,
    now: DateTime<Utc>,
    overridden: &[compliance::Kind],
    proactive: Option<compliance::Reason>,
) -> Result<Sent, SendError> {
    queue(
        store,
        config,
        thread_id,
        reply,
        now,
        overridden,
        proactive,
        Draft::Clear,
    )
}

/// [`send`], saying what becomes of the thread's draft.
#[allow(clippy::too_many_arguments)]
pub fn queue(
    store: &mut Store,
    config: &Config,
    thread_id: i64,
    reply: &Reply,
    now: DateTime<Utc>,
    overridden: &[compliance::Kind],
    proactive: Option<compliance::Reason>,
    draft: Draft,
) -> Result<Sent, SendError> {
    check_body(&reply.body)?;
    let facts = match proactive {
        Some(reason) => Some(proactive_start(store, thread_id, reason)?.1),
        None => None,
    };
    let errors = rule_errors(reply, facts.as_ref(), now);
    let refused: Vec<Finding> = errors
        .iter()
        .filter(|f| !f.kind.overridable())
        .cloned()
        .collect();
    if !refused.is_empty() {
        return Err(SendError::Refused(
            refused
                .iter()
                .map(|f| f.reason)
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let unconfirmed: Vec<Finding> = errors
        .iter()
        .filter(|f| !overridden.contains(&f.kind))
        .cloned()
        .collect();
    if !unconfirmed.is_empty() {
        return Err(SendError::Rules(describe(&unconfirmed)));
    }
    let message_id = outbox::new_message_id(&reply.from_addr, thread_id, now);
    let bytes = outbox::build(reply, &message_id)?;
    let mail = parse_mail(
        RawMail {
            bytes,
            delivered_at: Some(now),
            source: "outbox".into(),
            cut: None,
        },
        config,
        now,
    );
    let mut memo = Memo::default();
    let mut batch = store.batch(&mut memo, now)?;
    if !matches!(
        batch.add_to_thread(Box::new(mail), thread_id)?,
        Added::New { .. }
    ) {
        return Err(SendError::Store(StoreError::Invalid(
            "this reply is already recorded".into(),
        )));
    }
    let mut outbox_id = 0;
    // One transaction: the reply on its thread (its clock stops), in the outbox, the draft
    // gone, and what the rules need to remember.
    batch.commit_with(|tx| {
        let record = crate::store::reply::SentRecord {
            message_key: &message_id,
            thread_id,
            clear_draft: draft == Draft::Clear,
            wrote_first: proactive
                .zip(facts.as_ref())
                .map(|(reason, f)| (f.order_id.as_deref(), reason.key(), reason.label())),
            overrode: (!errors.is_empty()).then(|| format!("sent despite: {}", describe(&errors))),
        };
        outbox_id = crate::store::reply::record_sent(tx, &record, now)?;
        Ok(())
    })?;
    // The folder is local and quick: the `.eml` is there when this returns. The network
    // transports are the sender's job (the app's worker, `sellerdesk send`).
    let mut delivered = None;
    if config.delivery.transport == crate::config::delivery::Transport::Folder {
        let clock = move || now;
        let sender = crate::delivery::Sender::new(config, &clock);
        if let Some(job) = store.outbox_claim_id(outbox_id, &sender.me, now)? {
            delivered = Some(sender.deliver(store, &job)?);
        }
    }
    Ok(Sent {
        outbox_id,
        message_id,
        delivered,
    })
}
