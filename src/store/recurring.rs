//! Recurring issues: one ASIN with several complaints of one kind in a short window, a signal to
//! fix the listing or the product (SPEC.md).

use chrono::{DateTime, Duration, Utc};
use rusqlite::named_params;
use serde::Serialize;

use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::category::Category;
use crate::time_fmt::serialize_rfc3339;

/// The window and threshold of a recurring issue (`[recurring]` in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurringRule {
    pub days: u32,
    pub min_complaints: u32,
}

impl Default for RecurringRule {
    fn default() -> Self {
        RecurringRule {
            days: 14,
            min_complaints: 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComplaintThread {
    pub id: i64,
    pub buyer: Option<String>,
    pub order_id: Option<String>,
    pub subject: String,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub started_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecurringIssue {
    pub asin: String,
    pub category: Category,
    /// The product's name where an order of it is known.
    pub product: Option<String>,
    pub threads: Vec<ComplaintThread>,
}

/// Kinds that are not complaints about the product or its delivery.
const NOT_COMPLAINTS: [Category; 2] = [Category::Question, Category::Other];

impl Store {
    /// ASINs with at least `rule.min_complaints` threads of one complaint kind started in the
    /// last `rule.days` days, most complaints first; each with its threads, newest first.
    pub fn recurring_issues(
        &self,
        now: DateTime<Utc>,
        rule: RecurringRule,
    ) -> Result<Vec<RecurringIssue>, StoreError> {
        let since = to_secs(now - Duration::days(i64::from(rule.days)));
        let conn = self.conn();
        // A thread started in the window also had its last message in it: that index narrows
        // the scan to recent threads.
        let mut stmt = conn.prepare_cached(
            "SELECT a.asin, t.category, t.id, coalesce(t.buyer_name, t.buyer_alias), t.order_id,
                    t.subject, t.created_at
             FROM threads t INDEXED BY threads_by_last_message
             JOIN thread_asins a ON a.thread_id = t.id
             WHERE t.last_message_at > :since AND t.created_at > :since AND t.created_at <= :now
               AND t.category IS NOT NULL AND t.category NOT IN ('question', 'other')
             ORDER BY a.asin, t.category, t.created_at DESC, t.id DESC",
        )?;
        let rows = stmt.query_map(named_params! {":since": since, ":now": to_secs(now)}, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                ComplaintThread {
                    id: r.get(2)?,
                    buyer: r.get(3)?,
                    order_id: r.get(4)?,
                    subject: r.get(5)?,
                    started_at: from_secs(r.get(6)?),
                },
            ))
        })?;
        let mut out: Vec<RecurringIssue> = Vec::new();
        for row in rows {
            let (asin, kind, thread) = row?;
            let Some(category) = Category::parse(&kind).filter(|c| !NOT_COMPLAINTS.contains(c))
            else {
                continue;
            };
            match out.last_mut() {
                Some(last) if last.asin == asin && last.category == category => {
                    last.threads.push(thread)
                }
                _ => out.push(RecurringIssue {
                    asin,
                    category,
                    product: None,
                    threads: vec![thread],
                }),
            }
        }
        out.retain(|i| i.threads.len() >= rule.min_complaints.max(1) as usize);
        out.sort_by(|a, b| {
            b.threads
                .len()
                .cmp(&a.threads.len())
                .then_with(|| a.asin.cmp(&b.asin))
                .then_with(|| a.category.cmp(&b.category))
        });
        let mut product = conn.prepare_cached(
            "SELECT product_name FROM order_items WHERE asin = ?1 AND product_name IS NOT NULL
             LIMIT 1",
        )?;
        for issue in &mut out {
            issue.product = product
                .query_map([&issue.asin], |r| r.get(0))?
                .next()
                .transpose()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_demo_kettle_has_three_shipping_complaints_in_fourteen_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let issues = store
            .recurring_issues(now, RecurringRule::default())
            .unwrap();
        assert_eq!(issues.len(), 1, "{issues:#?}");
        let kettle = &issues[0];
        assert_eq!(
            (kettle.asin.as_str(), kettle.category),
            ("B0KETTLE88", Category::Shipping)
        );
        let buyers: Vec<&str> = kettle
            .threads
            .iter()
            .filter_map(|t| t.buyer.as_deref())
            .collect();
        assert_eq!(buyers, ["Alice Moore", "Grace Lee", "Priya Nair"]);
        // Nine days later the oldest complaint has left the window.
        let later = now + Duration::days(5);
        assert!(
            store
                .recurring_issues(later, RecurringRule::default())
                .unwrap()
                .is_empty()
        );
        // A lower threshold finds more (questions and "other" never count), most first.
        let two = store
            .recurring_issues(
                now,
                RecurringRule {
                    days: 30,
                    min_complaints: 1,
                },
            )
            .unwrap();
        assert!(two.iter().all(|i| !NOT_COMPLAINTS.contains(&i.category)));
        assert!(two.len() > 1);
        assert_eq!(two[0].asin, "B0KETTLE88");
        assert!(
            two.windows(2)
                .all(|w| w[0].threads.len() >= w[1].threads.len())
        );
    }
}
