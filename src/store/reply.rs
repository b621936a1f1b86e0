//! What a reply needs from its thread: where it goes, what it answers, and the facts its
//! placeholders are filled with.

use rusqlite::OptionalExtension;

use super::{Store, StoreError, from_secs};
use crate::domain::identifiers::find_product_line;
use crate::domain::template::ReplyContext;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplyFacts {
    pub thread_id: i64,
    /// The buyer's relay address: where the reply goes.
    pub to_addr: Option<String>,
    pub to_name: Option<String>,
    pub subject: String,
    /// Message-ID (no angle brackets) of the newest inbound message.
    pub in_reply_to: Option<String>,
    /// The parent's References (or its In-Reply-To) and its Message-ID, oldest first
    /// (RFC 5322 §3.6.4); the thread's own Message-IDs when the parent's header is not kept.
    pub references: Vec<String>,
    pub context: ReplyContext,
    /// The thread's complaint kind: what the best template for it is chosen by.
    pub kind: Option<String>,
    /// The start of what the buyer wrote (subject and first messages).
    pub buyer_text: String,
    /// The buyer's language: what their messages are written in, else the marketplace's.
    pub language: &'static str,
}

/// References kept in a reply: enough for any mail client to thread it. A longer chain keeps
/// its first (the conversation's start) and its last ones.
const MAX_REFERENCES: usize = 20;

/// The References of a reply to `parent`: its References, or else its one In-Reply-To, then its
/// own Message-ID (RFC 5322 §3.6.4). `None` when the header cannot be read.
fn reference_chain(raw: &[u8], parent: &str) -> Option<Vec<String>> {
    let message = mail_parser::MessageParser::new().parse_headers(raw)?;
    let ids = |v: &mail_parser::HeaderValue<'_>| -> Vec<String> {
        v.as_text_list()
            .unwrap_or_default()
            .iter()
            .map(|id| id.trim().trim_matches(['<', '>']).to_string())
            .filter(|id| !id.is_empty())
            .collect()
    };
    let mut chain = ids(message.references());
    if chain.is_empty() {
        let replied = ids(message.in_reply_to());
        if replied.len() == 1 {
            chain = replied;
        }
    }
    let mut seen = std::collections::HashSet::new();
    chain.retain(|id| id != parent && seen.insert(id.clone()));
    chain.push(parent.to_string());
    if chain.len() > MAX_REFERENCES {
        chain.drain(1..chain.len() - (MAX_REFERENCES - 1));
    }
    Some(chain)
}

impl Store {
    pub fn reply_facts(&self, thread_id: i64) -> Result<Option<ReplyFacts>, StoreError> {
        let conn = self.conn();
        let head: Option<ReplyFacts> = conn
            .query_row(
                "SELECT buyer_alias, buyer_name, subject, order_id, marketplace, category
                 FROM threads WHERE id = ?1",
                [thread_id],
                |r| {
                    Ok(ReplyFacts {
                        thread_id,
                        to_addr: r.get(0)?,
                        to_name: r.get(1)?,
                        subject: r.get(2)?,
                        context: ReplyContext {
                            buyer_name: r.get(1)?,
                            order_id: r.get(3)?,
                            marketplace: r.get(4)?,
                            ..ReplyContext::default()
                        },
                        kind: r.get(5)?,
                        ..ReplyFacts::default()
                    })
                },
            )
            .optional()?;
        let Some(mut facts) = head else {
            return Ok(None);
        };
        let mut keys: Vec<(String, String)> = conn
            .prepare_cached(
                "SELECT message_key, direction FROM messages WHERE thread_id = ?1
                 ORDER BY sent_at, id",
            )?
            .query_map([thread_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        // Messages without a Message-ID have a content hash for a key: nothing to refer to.
        keys.retain(|(k, _)| !k.starts_with("sha256:"));
        facts.in_reply_to = keys
            .iter()
            .rev()
            .find(|(_, dir)| dir == "in")
            .map(|(k, _)| k.clone());
        let parent_raw: Option<Vec<u8>> = match &facts.in_reply_to {
            Some(parent) => conn
                .query_row(
                    "SELECT r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id
                     WHERE m.thread_id = ?1 AND m.message_key = ?2 LIMIT 1",
                    rusqlite::params![thread_id, parent],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        facts.references = match (&facts.in_reply_to, parent_raw) {
            (Some(parent), Some(raw)) => reference_chain(&raw, parent),
            _ => None,
        }
        .unwrap_or_else(|| {
            let skip = keys.len().saturating_sub(MAX_REFERENCES);
            keys.into_iter().skip(skip).map(|(k, _)| k).collect()
        });

        facts.context.asin = conn
            .query_row(
                "SELECT asin FROM thread_asins WHERE thread_id = ?1 ORDER BY asin LIMIT 1",
                [thread_id],
                |r| r.get(0),
            )
            .optional()?;
        type OrderFacts = (
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let order: Option<OrderFacts> = match &facts.context.order_id {
            Some(id) => conn
                .query_row(
                    "SELECT o.purchased_at, o.shipped_at, o.promised_delivery_at,
                            i.product_name, i.sku
                     FROM orders o
                     LEFT JOIN (SELECT order_id, product_name, sku FROM order_items
                                WHERE order_id = ?1 ORDER BY item_key LIMIT 1) i
                       ON i.order_id = o.order_id
                     WHERE o.order_id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?,
            None => None,
        };
        // The shipment a buyer can follow: a valid tracking number first, then the latest.
        let shipment: Option<(i64, Option<String>, String, bool)> = match &facts.context.order_id {
            Some(id) => conn
                .query_row(
                    "SELECT shipped_at, carrier, tracking, valid FROM shipments WHERE order_id = ?1
                     ORDER BY valid DESC, shipped_at DESC LIMIT 1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?,
            None => None,
        };
        if let Some((shipped_at, carrier, tracking, valid)) = shipment {
            facts.context.ship_date = Some(from_secs(shipped_at));
            facts.context.carrier = carrier;
            // A number the carrier would not know is no help to the buyer: left for the seller.
            facts.context.tracking_number = Some(tracking).filter(|t| valid && !t.is_empty());
        }
        let (purchased, shipped, promised, mut product, sku) = order.unwrap_or_default();
        facts.context.sku = sku;
        if product.is_none() {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM messages WHERE thread_id = ?1 AND direction = 'in'
                 ORDER BY sent_at LIMIT 5",
            )?;
            let bodies = stmt.query_map([thread_id], |r| r.get::<_, String>(0))?;
            for body in bodies {
                if let Some(p) = find_product_line(&body?) {
                    product = Some(p.to_string());
                    break;
                }
            }
        }
        facts.context.product = product;
        // What the buyer wrote says their language best; the marketplace otherwise.
        let written: Vec<String> = conn
            .prepare_cached(
                "SELECT substr(body, 1, 4096) FROM messages
                 WHERE thread_id = ?1 AND role = 'buyer' ORDER BY sent_at, id LIMIT 5",
            )?
            .query_map([thread_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        facts.buyer_text = written.join("\n");
        facts.language = crate::domain::language::of_buyer(
            facts.context.marketplace.as_deref(),
            &facts.buyer_text,
        );
        facts
            .buyer_text
            .insert_str(0, &format!("{}\n", facts.subject));
        facts.context.purchase_date = purchased.map(from_secs);
        facts.context.ship_date = shipped.map(from_secs).or(facts.context.ship_date);
        facts.context.delivery_date = promised.map(from_secs);
        Ok(Some(facts))
    }
}

/// What the rules of a message the seller starts need to know about its thread's order.
impl Store {
    pub fn proactive_facts(
        &self,
        thread_id: i64,
    ) -> Result<Option<crate::domain::compliance::Proactive>, StoreError> {
        let order: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT order_id FROM threads WHERE id = ?1",
                [thread_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(order_id) = order.flatten() else {
            return Ok(None);
        };
        // Completed: delivered, else shipped, else bought (what the store knows of it).
        let completed_at: Option<i64> = self
            .conn()
            .query_row(
                "SELECT coalesce(delivered_at, shipped_at, purchased_at) FROM orders
                 WHERE order_id = ?1",
                [&order_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let review_requests_before: u32 = self.conn().query_row(
            "SELECT count(*) FROM proactive_messages
             WHERE order_id = ?1 AND reason = 'review_request'",
            [&order_id],
            |r| r.get(0),
        )?;
        Ok(Some(crate::domain::compliance::Proactive {
            order_id: Some(order_id),
            completed_at: completed_at.map(from_secs),
            review_requests_before,
            asks_review: false,
        }))
    }
}

/// What is recorded with a reply, in the transaction that records the reply itself.
pub struct SentRecord<'a> {
    /// The reply's Message-ID (its `message_key`).
    pub message_key: &'a str,
    pub thread_id: i64,
    /// The reply was the thread's draft: the draft and its files go.
    pub clear_draft: bool,
    /// A message the seller started: its order, and the reason's key and label.
    pub wrote_first: Option<(Option<&'a str>, &'static str, &'static str)>,
    /// The rule errors the seller sent despite, as the timeline says it.
    pub overrode: Option<String>,
}

/// Queues the reply just recorded on its thread in the outbox, with what the rules need to
/// remember, in the caller's transaction: one commit for all of it. Its outbox row.
pub(crate) fn record_sent(
    tx: &rusqlite::Transaction<'_>,
    r: &SentRecord<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<i64> {
    use rusqlite::params;
    let id: i64 = tx.query_row(
        "SELECT id FROM messages WHERE message_key = ?1",
        [r.message_key],
        |row| row.get(0),
    )?;
    let outbox_id = super::outbox::enqueue(tx, id, r.thread_id, now)?;
    if r.clear_draft {
        tx.execute("DELETE FROM drafts WHERE thread_id = ?1", [r.thread_id])?;
        tx.execute(
            "DELETE FROM draft_attachments WHERE thread_id = ?1",
            [r.thread_id],
        )?;
    }
    let at = super::to_secs(now);
    if let Some((order_id, reason, label)) = r.wrote_first {
        tx.execute(
            "INSERT INTO proactive_messages (message_key, order_id, reason, sent_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![r.message_key, order_id, reason, at],
        )?;
        tx.execute(
            "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'wrote first', ?3)",
            params![r.thread_id, at, label],
        )?;
    }
    if let Some(detail) = &r.overrode {
        tx.execute(
            "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'override', ?3)",
            params![r.thread_id, at, detail],
        )?;
    }
    Ok(outbox_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_the_parents_chain_then_the_parent() {
        let chain = |head: &str| reference_chain(format!("{head}\r\n\r\nbody").as_bytes(), "p@x");
        assert_eq!(
            chain("Message-ID: <p@x>\r\nReferences: <a@x> <b@x>\r\n\tIn-Reply-To: <b@x>"),
            Some(vec!["a@x".into(), "b@x".into(), "p@x".into()])
        );
        // No References: the one In-Reply-To stands for them.
        assert_eq!(
            chain("Message-ID: <p@x>\r\nIn-Reply-To: <b@x>"),
            Some(vec!["b@x".into(), "p@x".into()])
        );
        assert_eq!(
            chain("Message-ID: <p@x>\r\nSubject: first"),
            Some(vec!["p@x".into()])
        );
        // A long chain keeps its start and its end.
        let long: Vec<String> = (0..30).map(|i| format!("<m{i}@x>")).collect();
        let refs = chain(&format!("References: {}", long.join(" "))).unwrap();
        assert_eq!(refs.len(), MAX_REFERENCES);
        assert_eq!(refs[0], "m0@x");
        assert_eq!(refs[MAX_REFERENCES - 2], "m29@x");
        assert_eq!(refs[MAX_REFERENCES - 1], "p@x");
    }
}
