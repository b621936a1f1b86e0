//! What the thread view reads: a thread's messages, its order and what counts against it,
//! the timeline, follow-ups and the delivery of its replies; opening it marks it read.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::casework::CategoryView;
use super::inbox::{InboxRow, ROW_COLUMNS, inbox_row};
use super::{Store, StoreError, from_secs, lossy};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub id: i64,
    pub direction: String,
    pub role: String,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub body: String,
    pub flags: u32,
    pub attachments: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub purchased_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub latest_ship_at: Option<DateTime<Utc>>,
    pub product: Option<String>,
    /// Seller-fulfilled: the seller's own shipping counts.
    pub merchant: bool,
    /// What counts against the account: negative feedback, claims, chargebacks, refunds,
    /// cancellations, e.g. "A-to-z claim (open)".
    pub defects: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadDetail {
    pub row: InboxRow,
    pub category: Option<CategoryView>,
    /// Open escalations and reminders, due first.
    pub follow_ups: Vec<super::follow_ups::FollowUp>,
    /// Hidden from the lists until then (a time already past hides nothing).
    pub snoozed_until: Option<DateTime<Utc>>,
    pub marketplace: Option<String>,
    pub asins: Vec<String>,
    pub order: Option<OrderView>,
    pub messages: Vec<MessageView>,
    pub timeline: Vec<TimelineEntry>,
    /// Delivery of the replies sent from here, oldest first.
    pub outbox: Vec<super::outbox::Entry>,
}

/// The most of one message's text a thread reads to show. New imports keep at most
/// `MAX_BODY_BYTES`; a database written before that may hold more.
const SHOWN_BODY_CHARS: i64 = crate::import::parse::MAX_BODY_BYTES as i64;

impl Store {
    pub fn thread_detail(&self, id: i64) -> Result<Option<ThreadDetail>, StoreError> {
        let conn = self.conn();
        let head: Option<(InboxRow, Option<String>)> = conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS}, marketplace FROM threads WHERE id = ?1"),
                [id],
                |r| Ok((inbox_row(r)?, lossy::opt_text(r, 10)?)),
            )
            .optional()?;
        let Some((row, marketplace)) = head else {
            return Ok(None);
        };
        let asins: Vec<String> = conn
            .prepare_cached("SELECT asin FROM thread_asins WHERE thread_id = ?1 ORDER BY asin")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut messages: Vec<MessageView> = conn
            .prepare_cached(
                "SELECT id, direction, role, from_name, from_addr, subject, sent_at,
                        CASE WHEN octet_length(body) > ?2
                             THEN substr(body, 1, ?2) || char(10, 10)
                                  || '[sellerdesk: the rest of this text is not shown]'
                             ELSE body END,
                        flags
                 FROM messages WHERE thread_id = ?1 ORDER BY sent_at, id",
            )?
            .query_map(params![id, SHOWN_BODY_CHARS], |r| {
                Ok(MessageView {
                    id: r.get(0)?,
                    direction: r.get(1)?,
                    role: r.get(2)?,
                    from_name: lossy::opt_text(r, 3)?,
                    from_addr: lossy::opt_text(r, 4)?,
                    subject: lossy::text(r, 5)?,
                    sent_at: from_secs(r.get(6)?),
                    body: lossy::text(r, 7)?,
                    flags: r.get(8)?,
                    attachments: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        {
            let mut stmt = conn.prepare_cached(
                "SELECT filename, content_type, size FROM attachments WHERE message_id = ?1",
            )?;
            for m in &mut messages {
                m.attachments = stmt
                    .query_map([m.id], |r| {
                        let name = lossy::opt_text(r, 0)?;
                        let ctype = lossy::opt_text(r, 1)?;
                        let size: i64 = r.get(2)?;
                        Ok(format!(
                            "{} ({}, {} KB)",
                            name.unwrap_or_else(|| "unnamed".into()),
                            ctype.unwrap_or_else(|| "unknown type".into()),
                            (size + 1023) / 1024
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
            }
        }
        let mut timeline: Vec<TimelineEntry> = messages
            .iter()
            .map(|m| TimelineEntry {
                at: m.sent_at,
                kind: match (m.direction.as_str(), m.role.as_str()) {
                    (_, "auto") => "auto-reply".into(),
                    ("out", _) => "replied".into(),
                    _ => "received".into(),
                },
                detail: String::new(),
            })
            .collect();
        timeline.extend(
            conn.prepare_cached(
                "SELECT at, kind, detail FROM events WHERE thread_id = ?1 ORDER BY at, id",
            )?
            .query_map([id], |r| {
                Ok(TimelineEntry {
                    at: from_secs(r.get(0)?),
                    kind: r.get(1)?,
                    detail: lossy::text(r, 2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?,
        );
        let category = self.thread_category(id)?;
        // The phrases' decision is not an event: it is shown when the first buyer message came.
        if let Some(c) = category.as_ref().filter(|c| !c.by_seller)
            && let Some(first) = messages.iter().find(|m| m.role == "buyer")
        {
            timeline.push(TimelineEntry {
                at: first.sent_at,
                kind: "categorized".into(),
                detail: match &c.reason {
                    Some(phrase) => format!("{} by rule: “{phrase}”", c.category.key()),
                    None => format!("{} by rule: no phrase matched", c.category.key()),
                },
            });
        }
        // Stable: at equal times, messages before the seller's events, events in order.
        timeline.sort_by_key(|e| e.at);
        let order = match &row.order_id {
            Some(order_id) => conn
                .query_row(
                    "SELECT o.purchased_at, o.shipped_at, o.latest_ship_at,
                            (SELECT product_name FROM order_items WHERE order_id = o.order_id LIMIT 1),
                            o.fulfillment_channel IS NOT 'amazon'
                     FROM orders o WHERE o.order_id = ?1",
                    [order_id],
                    |r| {
                        Ok(OrderView {
                            purchased_at: r.get::<_, Option<i64>>(0)?.map(from_secs),
                            shipped_at: r.get::<_, Option<i64>>(1)?.map(from_secs),
                            latest_ship_at: r.get::<_, Option<i64>>(2)?.map(from_secs),
                            product: lossy::opt_text(r, 3)?,
                            merchant: r.get(4)?,
                            defects: Vec::new(),
                        })
                    },
                )
                .optional()?
                .map(|mut o| {
                    o.defects = self.order_defects(order_id)?;
                    Ok::<_, StoreError>(o)
                })
                .transpose()?,
            None => None,
        };
        Ok(Some(ThreadDetail {
            row,
            category,
            follow_ups: self.open_follow_ups(id)?,
            snoozed_until: conn
                .prepare_cached("SELECT until FROM snoozes WHERE thread_id = ?1")?
                .query_row([id], |r| r.get::<_, i64>(0))
                .optional()?
                .map(from_secs),
            marketplace,
            asins,
            order,
            messages,
            timeline,
            outbox: self.outbox_of_thread(id)?,
        }))
    }

    /// What counts against the account on one order, oldest first.
    pub fn order_defects(&self, order_id: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut out: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT rated_at, rating FROM feedback WHERE order_id = ?1 AND rating <= 3",
        )?;
        for r in stmt.query_map([order_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (at, rating) = r?;
            let kind = if rating <= 2 { "negative" } else { "neutral" };
            out.push((at, format!("{kind} feedback ({rating}★)")));
        }
        let mut stmt =
            conn.prepare_cached("SELECT opened_at, kind, status FROM claims WHERE order_id = ?1")?;
        for r in stmt.query_map([order_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (at, kind, status) = r?;
            let kind = if kind == "chargeback" {
                "chargeback"
            } else {
                "A-to-z claim"
            };
            out.push((at, format!("{kind} ({status})")));
        }
        let mut stmt =
            conn.prepare_cached("SELECT refunded_at FROM refunds WHERE order_id = ?1")?;
        for r in stmt.query_map([order_id], |r| r.get::<_, i64>(0))? {
            out.push((r?, "refunded".into()));
        }
        let mut stmt = conn.prepare_cached(
            "SELECT cancelled_at, cancelled_by FROM cancellations WHERE order_id = ?1",
        )?;
        for r in stmt.query_map([order_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })? {
            let (at, by) = r?;
            out.push((at, format!("cancelled by the {by}")));
        }
        out.sort();
        Ok(out.into_iter().map(|(_, d)| d).collect())
    }

    /// Marks a thread read (opening it).
    pub fn mark_read(&mut self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE threads SET unread = 0 WHERE id = ?1 AND unread",
                [id],
            )?;
            Ok(())
        })
    }
}

impl Store {
    /// The files that came with the thread's inbound messages, oldest message first, read
    /// back out of the stored raw bytes.
    pub fn thread_attachments(
        &self,
        thread_id: i64,
    ) -> Result<Vec<crate::reply::attachments::Inbound>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id
             WHERE m.thread_id = ?1 AND m.direction = 'in'
               AND EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)
             ORDER BY m.sent_at, m.id",
        )?;
        let raws = stmt.query_map([thread_id], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for raw in raws {
            out.extend(crate::reply::attachments::inbound(&raw?));
        }
        Ok(out)
    }
}
