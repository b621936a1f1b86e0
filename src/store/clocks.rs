//! Keeps each thread's stored clock equal to `domain::clock::analyze` of its messages and marks.

use rusqlite::{Connection, params};

use super::{from_secs, to_secs};
use crate::domain::clock::{ClockEvent, ClockEventKind, Resolution, analyze};
use crate::domain::message::{Role, flags};

/// What the clock needs of one stored message.
#[derive(Clone, Debug)]
pub struct MessageFacts {
    pub id: i64,
    pub sent_at: i64,
    pub role: Role,
    /// As stored now, so that only changes are written.
    pub resolved_at: Option<i64>,
    pub resolution: Option<&'static str>,
    /// In the database (as opposed to staged in an import batch).
    pub stored: bool,
}

fn resolution_name(s: &str) -> Option<&'static str> {
    match s {
        "replied" => Some("replied"),
        "no_response_needed" => Some("no_response_needed"),
        _ => None,
    }
}

pub fn load_messages(conn: &Connection, thread_id: i64) -> rusqlite::Result<Vec<MessageFacts>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sent_at, role, resolved_at, resolution, flags FROM messages WHERE thread_id = ?1",
    )?;
    let mut rows = stmt.query([thread_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let Some(mut role) = Role::parse(r.get_ref(2)?.as_str()?) else {
            continue;
        };
        // A reply the buyer never got answers nothing.
        if role == Role::Seller && r.get::<_, u32>(5)? & flags::UNDELIVERED != 0 {
            role = Role::Other;
        }
        out.push(MessageFacts {
            id: r.get(0)?,
            sent_at: r.get(1)?,
            role,
            resolved_at: r.get(3)?,
            resolution: r.get_ref(4)?.as_str_or_null()?.and_then(resolution_name),
            stored: true,
        });
    }
    Ok(out)
}

pub fn load_marks(conn: &Connection, thread_id: i64) -> rusqlite::Result<Vec<ClockEvent>> {
    let mut stmt = conn
        .prepare_cached("SELECT at, kind FROM marks WHERE thread_id = ?1 AND undone_at IS NULL")?;
    let mut rows = stmt.query([thread_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind = match r.get_ref(1)?.as_str()? {
            "no_response_needed" => ClockEventKind::NoResponseNeeded,
            "clock_opened" => ClockEventKind::ClockOpened,
            _ => continue,
        };
        out.push(ClockEvent::new(from_secs(r.get(0)?), kind));
    }
    Ok(out)
}

impl super::Store {
    /// Threads whose stored clock is not what their messages and marks say (none, unless
    /// something wrote around the store). Nothing is changed.
    pub fn stale_clocks(&mut self) -> Result<Vec<i64>, super::StoreError> {
        let tx = self.begin()?;
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM threads ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut stale = Vec::new();
        for id in ids {
            recompute(&tx, id)?;
            if tx.changes() > 0 {
                stale.push(id);
            }
        }
        tx.rollback()?;
        Ok(stale)
    }
}

/// Recomputes one thread from what is stored. Call inside a write transaction.
pub fn recompute(conn: &Connection, thread_id: i64) -> rusqlite::Result<()> {
    let messages = load_messages(conn, thread_id)?;
    let marks = load_marks(conn, thread_id)?;
    write(
        conn,
        thread_id,
        &messages,
        &derive(&messages, &marks),
        false,
    )
}

/// A thread's derived state: what `analyze` says of its messages and marks.
pub struct Derived {
    pub clock_start: Option<i64>,
    pub due_at: Option<i64>,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    /// For each message given, in order: its resolution (`None` for non-buyer messages too).
    pub resolutions: Vec<(Option<i64>, Option<&'static str>)>,
}

pub fn derive(messages: &[MessageFacts], marks: &[ClockEvent]) -> Derived {
    let mut events = Vec::with_capacity(messages.len() + marks.len());
    let mut buyer_index = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let kind = match m.role {
            Role::Buyer => ClockEventKind::BuyerMessage,
            Role::Seller => ClockEventKind::SellerReply,
            Role::Auto => ClockEventKind::AutoReply,
            Role::Other => continue,
        };
        events.push(ClockEvent::new(from_secs(m.sent_at), kind));
        if kind == ClockEventKind::BuyerMessage {
            buyer_index.push(i);
        }
    }
    events.extend_from_slice(marks);
    let result = analyze(&events);
    let mut resolutions = vec![(None, None); messages.len()];
    for (&i, resolution) in buyer_index.iter().zip(&result.resolutions) {
        resolutions[i] = match resolution {
            Some(Resolution::Replied(at)) => (Some(to_secs(*at)), Some("replied")),
            Some(Resolution::NoResponseNeeded(at)) => {
                (Some(to_secs(*at)), Some("no_response_needed"))
            }
            None => (None, None),
        };
    }
    Derived {
        clock_start: result.clock.map(|c| to_secs(c.start)),
        due_at: result.clock.map(|c| to_secs(c.due())),
        message_count: messages.len() as i64,
        last_message_at: messages.iter().map(|m| m.sent_at).max(),
        resolutions,
    }
}

/// Writes the thread's clock start, due time, message count and last message time, the
/// resolution of each stored buyer message, and (when `mark_unread`) the unread mark — only
/// what changed. Messages with `stored == false` are not in the database yet: the caller
/// writes their resolution when it inserts them.
pub fn write(
    conn: &Connection,
    thread_id: i64,
    messages: &[MessageFacts],
    derived: &Derived,
    mark_unread: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE threads SET clock_start = ?2, due_at = ?3, message_count = ?4,
                last_message_at = coalesce(?5, last_message_at), unread = unread OR ?6
         WHERE id = ?1 AND (clock_start IS NOT ?2 OR due_at IS NOT ?3 OR message_count IS NOT ?4
                            OR last_message_at IS NOT coalesce(?5, last_message_at)
                            OR (?6 AND NOT unread))",
    )?
    .execute(params![
        thread_id,
        derived.clock_start,
        derived.due_at,
        derived.message_count,
        derived.last_message_at,
        mark_unread
    ])?;
    let mut update =
        conn.prepare_cached("UPDATE messages SET resolved_at = ?2, resolution = ?3 WHERE id = ?1")?;
    for (m, &(at, how)) in messages.iter().zip(&derived.resolutions) {
        if m.stored && m.role == Role::Buyer && (m.resolved_at != at || m.resolution != how) {
            update.execute(params![m.id, at, how])?;
        }
    }
    Ok(())
}
