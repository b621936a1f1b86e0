//! Keeps each thread's stored clock equal to `domain::clock::analyze` of its messages and marks.

use rusqlite::{Connection, params};

use super::{from_secs, to_secs};
use crate::domain::clock::{ClockEvent, ClockEventKind, Resolution, analyze};
use crate::domain::message::Role;

struct StoredBuyerMessage {
    id: i64,
    resolved_at: Option<i64>,
    resolution: Option<String>,
}

/// Recomputes one thread's clock start, due time and the resolution of its buyer messages,
/// writing only what changed. Call inside a write transaction.
pub fn recompute(conn: &Connection, thread_id: i64) -> rusqlite::Result<()> {
    let mut events = Vec::new();
    let mut buyer = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT id, sent_at, role, resolved_at, resolution FROM messages WHERE thread_id = ?1",
        )?;
        let mut rows = stmt.query([thread_id])?;
        while let Some(r) = rows.next()? {
            let role = Role::parse(&r.get::<_, String>(2)?);
            let kind = match role {
                Some(Role::Buyer) => ClockEventKind::BuyerMessage,
                Some(Role::Seller) => ClockEventKind::SellerReply,
                Some(Role::Auto) => ClockEventKind::AutoReply,
                Some(Role::Other) | None => continue,
            };
            events.push(ClockEvent::new(from_secs(r.get(1)?), kind));
            if kind == ClockEventKind::BuyerMessage {
                buyer.push(StoredBuyerMessage {
                    id: r.get(0)?,
                    resolved_at: r.get(3)?,
                    resolution: r.get(4)?,
                });
            }
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT at, kind FROM marks WHERE thread_id = ?1 AND undone_at IS NULL",
        )?;
        let mut rows = stmt.query([thread_id])?;
        while let Some(r) = rows.next()? {
            let kind = match r.get_ref(1)?.as_str()? {
                "no_response_needed" => ClockEventKind::NoResponseNeeded,
                "clock_opened" => ClockEventKind::ClockOpened,
                _ => continue,
            };
            events.push(ClockEvent::new(from_secs(r.get(0)?), kind));
        }
    }

    let result = analyze(&events);
    let start = result.clock.map(|c| to_secs(c.start));
    let due = result.clock.map(|c| to_secs(c.due()));
    conn.prepare_cached(
        "UPDATE threads SET clock_start = ?2, due_at = ?3
         WHERE id = ?1 AND (clock_start IS NOT ?2 OR due_at IS NOT ?3)",
    )?
    .execute(params![thread_id, start, due])?;

    let mut update =
        conn.prepare_cached("UPDATE messages SET resolved_at = ?2, resolution = ?3 WHERE id = ?1")?;
    for (stored, resolution) in buyer.iter().zip(&result.resolutions) {
        let (at, how) = match resolution {
            Some(Resolution::Replied(at)) => (Some(to_secs(*at)), Some("replied")),
            Some(Resolution::NoResponseNeeded(at)) => {
                (Some(to_secs(*at)), Some("no_response_needed"))
            }
            None => (None, None),
        };
        if stored.resolved_at != at || stored.resolution.as_deref() != how {
            update.execute(params![stored.id, at, how])?;
        }
    }
    Ok(())
}
