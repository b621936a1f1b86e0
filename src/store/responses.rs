//! The buyer messages the response-time metrics count: when each was sent and how (and when)
//! it was answered.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::clock::Resolution;
use crate::domain::response::BuyerMessage;

impl Store {
    /// Buyer messages sent in `(now - days, now]`, for the late-response metric.
    pub fn buyer_messages_since(
        &self,
        now: DateTime<Utc>,
        days: u32,
    ) -> Result<Vec<BuyerMessage>, StoreError> {
        let mut out = Vec::new();
        self.each_buyer_message_since(now, days, |m| out.push(m))?;
        Ok(out)
    }

    /// Calls `f` with each buyer message sent in `(now - days, now]`, holding none of them.
    pub fn each_buyer_message_since(
        &self,
        now: DateTime<Utc>,
        days: u32,
        f: impl FnMut(BuyerMessage),
    ) -> Result<(), StoreError> {
        self.each_buyer_message_in(now, days, None, f)
    }

    /// `each_buyer_message_since`, only the threads of `marketplace` when given.
    pub fn each_buyer_message_in(
        &self,
        now: DateTime<Utc>,
        days: u32,
        marketplace: Option<&str>,
        mut f: impl FnMut(BuyerMessage),
    ) -> Result<(), StoreError> {
        let from = to_secs(now - Duration::days(i64::from(days)));
        let mut stmt = self.conn().prepare_cached(
            "SELECT sent_at, resolved_at, resolution FROM messages m
             WHERE role = 'buyer' AND sent_at > ?1 AND sent_at <= ?2
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM threads t
                    WHERE t.id = m.thread_id AND t.marketplace = ?3))",
        )?;
        let rows = stmt.query_map(params![from, to_secs(now), marketplace], |r| {
            let at = from_secs(r.get(0)?);
            let resolved: Option<i64> = r.get(1)?;
            let how: Option<String> = r.get(2)?;
            let resolution = match (resolved, how.as_deref()) {
                (Some(t), Some("replied")) => Some(Resolution::Replied(from_secs(t))),
                (Some(t), Some("no_response_needed")) => {
                    Some(Resolution::NoResponseNeeded(from_secs(t)))
                }
                _ => None,
            };
            Ok(BuyerMessage { at, resolution })
        })?;
        for m in rows {
            f(m?);
        }
        Ok(())
    }
}
