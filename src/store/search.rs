//! Searching threads by buyer, order ID, ASIN, subject and message text. Every word must match
//! somewhere in the thread. A plain scan, capped: full-text indexing comes with its own issue.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::inbox::{Filter, InboxRow, ROW_COLUMNS, inbox_row};
use super::{Store, StoreError, to_secs};
use crate::domain::category::Category;
use crate::domain::clock::RESPONSE_WINDOW;

/// Most matches shown: a search narrows; a seller never pages through thousands.
pub const SEARCH_LIMIT: u64 = 500;

/// `%word%` for LIKE, with LIKE's own wildcards taken literally.
fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Threads of `filter` matching every word of `query`, most urgent first, then newest.
    pub fn search_threads(
        &self,
        filter: Filter,
        kind: Option<Category>,
        query: &str,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let words: Vec<&str> = query.split_whitespace().collect();
        let mut params: Vec<Value> = Vec::new();
        let filter_sql = match filter {
            Filter::NeedsReply => "t.clock_start IS NOT NULL".to_string(),
            Filter::Overdue => {
                params.push(Value::Integer(to_secs(now - RESPONSE_WINDOW)));
                "t.clock_start IS NOT NULL AND t.clock_start <= ?1".to_string()
            }
            Filter::All | Filter::Snoozed => "1".to_string(),
            Filter::Done => "t.clock_start IS NULL".to_string(),
        };
        // Snoozed threads are found in the snoozed list only, as in the inbox.
        params.push(Value::Integer(to_secs(now)));
        let snoozed = format!(
            " AND t.id {}IN (SELECT thread_id FROM snoozes WHERE until > ?{})",
            if filter == Filter::Snoozed {
                ""
            } else {
                "NOT "
            },
            params.len()
        );
        let filter_sql = filter_sql + &snoozed;
        if let Some(k) = kind {
            params.push(Value::Text(k.key().into()));
        }
        let of_kind = match kind {
            Some(_) => format!(" AND t.category = ?{}", params.len()),
            None => String::new(),
        };
        let mut sql = format!(
            "SELECT {} FROM threads t WHERE {filter_sql}{of_kind}",
            ROW_COLUMNS
                .split(',')
                .map(|c| format!("t.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for w in &words {
            params.push(Value::Text(like_pattern(w)));
            let n = params.len();
            sql.push_str(&format!(
                " AND (t.buyer_name LIKE ?{n} ESCAPE '\\' OR t.buyer_alias LIKE ?{n} ESCAPE '\\'
                   OR t.order_id LIKE ?{n} ESCAPE '\\' OR t.subject LIKE ?{n} ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM thread_asins a WHERE a.thread_id = t.id
                              AND a.asin LIKE ?{n} ESCAPE '\\')
                   OR EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id
                              AND (m.body LIKE ?{n} ESCAPE '\\' OR m.subject LIKE ?{n} ESCAPE '\\')))"
            ));
        }
        params.push(Value::Integer(limit.min(i64::MAX as u64) as i64));
        sql.push_str(&format!(
            " ORDER BY t.clock_start IS NULL, t.clock_start, t.last_message_at DESC, t.id DESC
              LIMIT ?{}",
            params.len()
        ));
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), inbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn every_word_must_match_somewhere_in_the_thread() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let by = |q: &str, f: Filter| store.search_threads(f, None, q, now, 50).unwrap();
        // Buyer name, order ID, ASIN, subject, body text.
        let bob = by("bob wilson", Filter::All);
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].order_id.as_deref(), Some("111-4827163-0028371"));
        // The order also has Amazon's A-to-z notice: the buyer's thread, urgent, comes first.
        let order = by("4827163", Filter::All);
        assert_eq!(order.len(), 2);
        assert_eq!(order[0], bob[0]);
        assert_eq!(by("B0FIXT0001", Filter::All)[0], bob[0]);
        assert_eq!(by("dented crushed", Filter::All), bob);
        assert!(by("dented zebra", Filter::All).is_empty());
        assert_eq!(by("Kaffeemühle", Filter::All).len(), 2);
        assert_eq!(by("mahlt seit gestern", Filter::All).len(), 1);
        // The filter still applies, and so does the complaint kind.
        assert!(by("bob", Filter::Done).is_empty());
        let of = |k| {
            store
                .search_threads(Filter::All, Some(k), "bob", now, 50)
                .unwrap()
        };
        assert_eq!(of(Category::Shipping), bob);
        assert!(of(Category::Quality).is_empty());
    }
}
