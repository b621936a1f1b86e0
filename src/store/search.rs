//! Searching threads: words over every message's subject, text and sender through the
//! full-text index (prefixes match: results as you type), and `order:`, `asin:`, `buyer:`,
//! `cat:` for the thread's own fields. Newest first.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::inbox::{Filter, InboxRow, ROW_COLUMNS, inbox_row};
use super::{Store, StoreError, to_secs};
use crate::domain::category::Category;
use crate::domain::clock::RESPONSE_WINDOW;

/// Most matches shown: a search narrows; a seller never pages through thousands.
pub const SEARCH_LIMIT: u64 = 500;
/// Matching messages considered, newest first: bounds a search for a very common word.
pub const MESSAGE_HITS: u64 = 5_000;

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

/// A script written without spaces: its words are inside the index's tokens, found by scan.
fn unspaced(word: &str) -> bool {
    word.chars()
        .any(|c| (c as u32) >= 0x2E80 && c.is_alphanumeric())
}

/// A search as typed: words and `field:value` filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Matched through the index (each a prefix).
    pub words: Vec<String>,
    /// CJK words, matched by scanning the thread's messages.
    pub scanned: Vec<String>,
    pub order: Option<String>,
    pub asin: Option<String>,
    pub buyer: Option<String>,
    /// `cat:` with a kind that does not exist: nothing matches.
    pub category: Option<Result<Category, String>>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let mut q = Query::default();
        for token in text.split_whitespace() {
            let (key, value) = match token.split_once(':') {
                Some((k, v)) if !v.is_empty() => (k.to_ascii_lowercase(), v),
                _ => (String::new(), token),
            };
            match key.as_str() {
                "order" => q.order = Some(value.to_string()),
                "asin" => q.asin = Some(value.to_ascii_uppercase()),
                "buyer" => q.buyer = Some(value.to_string()),
                "cat" | "kind" => {
                    let v = value.to_ascii_lowercase();
                    q.category = Some(
                        Category::ALL
                            .into_iter()
                            .find(|c| c.key() == v || c.short() == v)
                            .ok_or(v),
                    );
                }
                _ if unspaced(token) => q.scanned.push(token.to_string()),
                _ => q.words.push(token.to_string()),
            }
        }
        q
    }

    /// The FTS5 expression: every word as a quoted prefix (`"dent"* AND "box"*`), so no input
    /// is read as query syntax. `None` when no word has a letter or digit.
    fn fts(&self) -> Option<String> {
        let terms: Vec<String> = self
            .words
            .iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        (!terms.is_empty()).then(|| terms.join(" AND "))
    }
}

impl Store {
    /// Threads of `filter` (and `kind`) matching `query`, newest first, at most `limit`.
    pub fn search_threads(
        &self,
        filter: Filter,
        kind: Option<Category>,
        query: &str,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let q = Query::parse(query);
        let kind = match (&q.category, kind) {
            (Some(Err(_)), _) => return Ok(Vec::new()),
            (Some(Ok(c)), Some(k)) if *c != k => return Ok(Vec::new()),
            (Some(Ok(c)), _) => Some(*c),
            (None, k) => k,
        };
        let mut params: Vec<Value> = Vec::new();
        let mut arg = |v: Value| {
            params.push(v);
            format!("?{}", params.len())
        };
        let mut sql = format!(
            "SELECT {} FROM threads t WHERE ",
            ROW_COLUMNS
                .split(',')
                .map(|c| format!("t.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        sql.push_str(&match filter {
            Filter::NeedsReply => "t.clock_start IS NOT NULL".to_string(),
            Filter::Overdue => format!(
                "t.clock_start IS NOT NULL AND t.clock_start <= {}",
                arg(Value::Integer(to_secs(now - RESPONSE_WINDOW)))
            ),
            Filter::All | Filter::Snoozed => "1".to_string(),
            Filter::Done => "t.clock_start IS NULL".to_string(),
        });
        // Snoozed threads are found in the snoozed list only, as in the inbox.
        sql.push_str(&format!(
            " AND t.id {}IN (SELECT thread_id FROM snoozes WHERE until > {})",
            if filter == Filter::Snoozed {
                ""
            } else {
                "NOT "
            },
            arg(Value::Integer(to_secs(now)))
        ));
        if let Some(k) = kind {
            sql.push_str(&format!(
                " AND t.category = {}",
                arg(Value::Text(k.key().into()))
            ));
        }
        if let Some(o) = &q.order {
            sql.push_str(&format!(
                " AND t.order_id LIKE {} ESCAPE '\\'",
                arg(Value::Text(like_pattern(o)))
            ));
        }
        if let Some(a) = &q.asin {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM thread_asins a WHERE a.thread_id = t.id
                     AND a.asin LIKE {} ESCAPE '\\')",
                arg(Value::Text(like_pattern(a)))
            ));
        }
        if let Some(b) = &q.buyer {
            let p = arg(Value::Text(like_pattern(b)));
            sql.push_str(&format!(
                " AND (t.buyer_name LIKE {p} ESCAPE '\\' OR t.buyer_alias LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(expr) = q.fts() {
            // The newest matching messages from the index, and the few not indexed yet by scan.
            let upto = self.indexed_upto()?;
            let fts = arg(Value::Text(expr));
            let hits = arg(Value::Integer(MESSAGE_HITS as i64));
            let upto = arg(Value::Integer(upto));
            let mut tail = Vec::new();
            for w in q
                .words
                .iter()
                .filter(|w| w.chars().any(char::is_alphanumeric))
            {
                let p = arg(Value::Text(like_pattern(w)));
                tail.push(format!(
                    "(m.body LIKE {p} ESCAPE '\\' OR m.subject LIKE {p} ESCAPE '\\'
                      OR m.from_name LIKE {p} ESCAPE '\\')"
                ));
            }
            sql.push_str(&format!(
                " AND t.id IN (
                     SELECT m.thread_id FROM (SELECT rowid FROM messages_fts
                         WHERE messages_fts MATCH {fts} ORDER BY rowid DESC LIMIT {hits}) f
                     JOIN messages m ON m.id = f.rowid
                     UNION
                     SELECT m.thread_id FROM messages m WHERE m.id > {upto} AND {})",
                tail.join(" AND ")
            ));
        }
        for w in &q.scanned {
            let p = arg(Value::Text(like_pattern(w)));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id
                     AND (m.body LIKE {p} ESCAPE '\\' OR m.subject LIKE {p} ESCAPE '\\'
                          OR m.from_name LIKE {p} ESCAPE '\\'))"
            ));
        }
        let limit = arg(Value::Integer(limit.min(i64::MAX as u64) as i64));
        sql.push_str(&format!(
            " ORDER BY t.last_message_at DESC, t.id DESC LIMIT {limit}"
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
    fn queries_parse_into_words_and_fields() {
        let q = Query::parse("dent order:111-48 asin:b0fixt buyer:Bob cat:mismatch 山田 \"x");
        assert_eq!(q.words, ["dent", "\"x"]);
        assert_eq!(q.scanned, ["山田"]);
        assert_eq!(q.order.as_deref(), Some("111-48"));
        assert_eq!(q.asin.as_deref(), Some("B0FIXT"));
        assert_eq!(q.buyer.as_deref(), Some("Bob"));
        assert_eq!(q.category, Some(Ok(Category::NotAsDescribed)));
        // Quotes cannot break out of the quoted prefix terms.
        assert_eq!(q.fts().unwrap(), "\"dent\"* AND \"\"\"x\"*");
        assert_eq!(Query::parse("cat:nope").category, Some(Err("nope".into())));
    }

    #[test]
    fn words_fields_filters_and_the_unindexed_tail() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let by =
            |store: &Store, q: &str, f: Filter| store.search_threads(f, None, q, now, 50).unwrap();
        let bob = by(&store, "bob wilson", Filter::All);
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].order_id.as_deref(), Some("111-4827163-0028371"));
        // The order's ID is also in Amazon's A-to-z notice: two threads, newest first.
        let order = by(&store, "4827163", Filter::All);
        assert_eq!(order.len(), 2);
        assert!(order[0].last_message_at >= order[1].last_message_at);
        assert_eq!(by(&store, "order:111-4827163", Filter::All).len(), 2);
        assert_eq!(by(&store, "B0FIXT0001", Filter::All).len(), 2);
        assert_eq!(by(&store, "asin:b0fixt", Filter::All).len(), 2);
        assert_eq!(by(&store, "buyer:wilson", Filter::All), bob);
        // Prefixes: results as the seller types.
        assert_eq!(by(&store, "dent crush", Filter::All), bob);
        assert!(by(&store, "dented zebra", Filter::All).is_empty());
        // Diacritics and case do not matter.
        assert_eq!(by(&store, "KAFFEEMUHLE", Filter::All).len(), 2);
        assert_eq!(by(&store, "mahlt seit gestern", Filter::All).len(), 1);
        // Japanese words are found inside sentences (by scan).
        assert_eq!(by(&store, "緩衝材", Filter::All).len(), 1);
        // The filter, the kind and cat: apply.
        assert!(by(&store, "bob", Filter::Done).is_empty());
        let of = |k| {
            store
                .search_threads(Filter::All, Some(k), "bob", now, 50)
                .unwrap()
        };
        assert_eq!(of(Category::Shipping), bob);
        assert!(of(Category::Quality).is_empty());
        assert_eq!(by(&store, "kettle cat:shipping", Filter::All).len(), 3);
        assert!(by(&store, "kettle cat:nonsense", Filter::All).is_empty());
        // Query syntax in the input is text, never an error.
        for odd in ["\"", "AND", "NEAR(", "a*b", "-x", "col:on", "\\%_"] {
            store
                .search_threads(Filter::All, None, odd, now, 50)
                .unwrap();
        }

        // Mail not indexed yet is found all the same; indexing it changes nothing.
        let mail = crate::import::parse::RawMail {
            bytes: b"From: \"Zed Quux\" <zq1@marketplace.amazon.com>\r\nTo: support@example-shop.test\r\nSubject: Xylophone question\r\nMessage-ID: <tail@x>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nDoes the xylophone come tuned?\r\n"
                .to_vec(),
            delivered_at: None,
            source: "test".into(),
        };
        crate::import::import_raw(&mut store, &crate::demo::demo_config(), [mail], now).unwrap();
        let found = by(&store, "xylo tuned", Filter::All);
        assert_eq!(found.len(), 1);
        assert!(store.index_all_messages().unwrap() >= 1);
        assert_eq!(by(&store, "xylo tuned", Filter::All), found);
    }
}
