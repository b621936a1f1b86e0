//! Recurring issues: one ASIN with several complaints of one kind in a short window, a signal to
//! fix the listing or the product (docs/amazon-rules.md §11).

use chrono::{DateTime, Duration, Utc};
use rusqlite::named_params;
use serde::Serialize;

use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::category::Category;
pub use crate::domain::category::RecurringRule;
use crate::text::time_fmt::serialize_rfc3339;

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
    /// last `rule.days` days, most complaints first (at most `limit` of them), each with its
    /// threads, newest first; and how many there are in all.
    pub fn recurring_issues(
        &self,
        now: DateTime<Utc>,
        rule: RecurringRule,
        limit: Option<usize>,
    ) -> Result<(Vec<RecurringIssue>, usize), StoreError> {
        let since = to_secs(now - Duration::days(i64::from(rule.days)));
        let conn = self.conn();
        // Counted in SQL; a thread started in the window also had its last message in it, and
        // that index narrows the scan to recent threads.
        let groups: Vec<(String, String, i64)> = conn
            .prepare_cached(
                "SELECT a.asin, t.category, count(*) AS n
                 FROM threads t INDEXED BY threads_by_last_message
                 JOIN thread_asins a ON a.thread_id = t.id
                 WHERE t.last_message_at > :since AND t.created_at > :since
                   AND t.created_at <= :now
                   AND t.category IS NOT NULL AND t.category NOT IN ('question', 'other')
                 GROUP BY a.asin, t.category HAVING count(*) >= :min
                 ORDER BY n DESC, a.asin, t.category",
            )?
            .query_map(
                named_params! {":since": since, ":now": to_secs(now),
                ":min": i64::from(rule.min_complaints.max(1))},
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<Result<_, _>>()?;
        let total = groups.len();
        let mut threads = conn.prepare_cached(
            "SELECT t.id, coalesce(t.buyer_name, t.buyer_alias), t.order_id, t.subject,
                    t.created_at
             FROM thread_asins a JOIN threads t ON t.id = a.thread_id
             WHERE a.asin = :asin AND t.category = :kind
               AND t.created_at > :since AND t.created_at <= :now
             ORDER BY t.created_at DESC, t.id DESC",
        )?;
        let mut product = conn.prepare_cached(
            "SELECT product_name FROM order_items WHERE asin = ?1 AND product_name IS NOT NULL
             LIMIT 1",
        )?;
        let mut out = Vec::new();
        for (asin, kind, _) in groups.into_iter().take(limit.unwrap_or(usize::MAX)) {
            let Some(category) = Category::parse(&kind).filter(|c| !NOT_COMPLAINTS.contains(c))
            else {
                continue;
            };
            let list = threads
                .query_map(
                    named_params! {":asin": asin, ":kind": kind, ":since": since,
                    ":now": to_secs(now)},
                    |r| {
                        Ok(ComplaintThread {
                            id: r.get(0)?,
                            buyer: r.get(1)?,
                            order_id: r.get(2)?,
                            subject: r.get(3)?,
                            started_at: from_secs(r.get(4)?),
                        })
                    },
                )?
                .collect::<Result<_, _>>()?;
            let product = product
                .query_map([&asin], |r| r.get(0))?
                .next()
                .transpose()?;
            out.push(RecurringIssue {
                asin,
                category,
                product,
                threads: list,
            });
        }
        Ok((out, total))
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
        let (issues, total) = store
            .recurring_issues(now, RecurringRule::default(), None)
            .unwrap();
        assert_eq!(total, 1);
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
                .recurring_issues(later, RecurringRule::default(), None)
                .unwrap()
                .0
                .is_empty()
        );
        // A lower threshold finds more (questions and "other" never count), most first.
        let (two, total) = store
            .recurring_issues(
                now,
                RecurringRule {
                    days: 30,
                    min_complaints: 1,
                },
                Some(3),
            )
            .unwrap();
        assert_eq!(two.len(), 3);
        assert!(total > 3);
        assert!(two.iter().all(|i| !NOT_COMPLAINTS.contains(&i.category)));
        assert!(two.len() > 1);
        assert_eq!(two[0].asin, "B0KETTLE88");
        assert!(
            two.windows(2)
                .all(|w| w[0].threads.len() >= w[1].threads.len())
        );
    }
}
