//! Searching threads: words over every message's subject, text and sender through the
//! full-text index (the last word as a prefix: results as you type; Japanese and Chinese
//! words inside sentences), and `order:`, `asin:`, `buyer:`, `cat:` for the thread's own
//! fields. Newest first.

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

/// A search as typed: words and `field:value` filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Matched through the index (the last one also as a prefix; CJK ones as phrases of
    /// characters, found inside sentences).
    pub words: Vec<String>,
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
                _ => q.words.push(token.to_string()),
            }
        }
        q
    }

    fn indexed_words(&self) -> Vec<&String> {
        self.words
            .iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect()
    }

    /// The FTS5 expression: every word quoted, so no input is read as query syntax; the last
    /// one, still being typed, as a prefix when `prefix` (`"dented" AND "box"*`). `None` when
    /// no word has a letter or digit.
    fn fts_with(&self, prefix: bool) -> Option<String> {
        let words = self.indexed_words();
        let last = words.len().checked_sub(1)?;
        let terms: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                // CJK characters are words of their own in the index: a phrase of them.
                let cjk = w.chars().any(super::search_index::unspaced);
                let star = if prefix && i == last && !cjk && self.last_is_prefix() {
                    "*"
                } else {
                    ""
                };
                let text = super::search_index::index_text(w);
                format!("\"{}\"{star}", text.trim().replace('"', "\"\""))
            })
            .collect();
        Some(terms.join(" AND "))
    }

    fn fts(&self) -> Option<String> {
        self.fts_with(true)
    }

    /// The last word is long enough to be searched as a prefix (see [`MIN_PREFIX`]).
    fn last_is_prefix(&self) -> bool {
        self.indexed_words()
            .last()
            .is_some_and(|w| w.chars().count() >= MIN_PREFIX)
    }

    /// A last word of four characters or more may be whole: looked up as a word first (a
    /// prefix is read from every word it starts).
    fn whole_word_first(&self) -> bool {
        self.indexed_words()
            .last()
            .is_some_and(|w| w.chars().count() >= 4)
    }
}

/// The shortest last word searched as a prefix. One or two letters start thousands of words
/// (reading them all takes a fifth of a second at a million messages) and narrow nothing: they
/// are matched as whole words ("tv", "ok") until the third letter is typed.
const MIN_PREFIX: usize = 3;

/// The upper end of a prefix range: every string starting with `prefix` is below it.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Newest messages searched first: most searches are answered from them, a rare word reads
/// the whole index.
const RECENT_MESSAGES: i64 = 100_000;

impl Store {
    /// Threads of `filter` (and `kind`) matching `query`, newest first, at most `limit`.
    ///
    /// The candidates come first from the most selective source (the index's newest matching
    /// messages, else the order ID or ASIN index), then the thread rows are read and filtered:
    /// no scan of every thread unless only `buyer:`, `cat:` or Japanese words are given.
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
        if q.fts().is_none() {
            // Only punctuation (`!!!`, `-`): nothing it could be found by, so nothing found —
            // not every thread. Beside a word or a filter it is ignored.
            let nothing_else =
                q.order.is_none() && q.asin.is_none() && q.buyer.is_none() && q.category.is_none();
            if nothing_else && !q.words.is_empty() {
                return Ok(Vec::new());
            }
            return self.search_pass(&q, None, filter, kind, now, limit, None);
        }
        // Bare max(): SQLite answers it from the end of the table (wrapped, it reads it all).
        let newest: i64 = self
            .conn()
            .query_row("SELECT max(id) FROM messages", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .unwrap_or(0);
        let recent = newest - RECENT_MESSAGES;
        // The cheapest reading that fills the page: the last word whole, then as a prefix;
        // the newest messages, then all.
        let mut tries = Vec::new();
        let whole_first = q.whole_word_first();
        for prefix in [false, true] {
            let wanted = if prefix {
                q.last_is_prefix()
            } else {
                whole_first || !q.last_is_prefix()
            };
            if wanted {
                if recent > 0 {
                    tries.push((prefix, recent));
                }
                tries.push((prefix, 0));
            }
        }
        let mut best = Vec::new();
        for (prefix, since) in tries {
            let rows = self.search_pass(&q, Some(prefix), filter, kind, now, limit, Some(since))?;
            if rows.len() as u64 >= limit {
                return Ok(rows);
            }
            if rows.len() > best.len() {
                best = rows;
            }
        }
        Ok(best)
    }

    /// One search: for word searches, the last word as a prefix or not, and `since` the
    /// message id the index is read above.
    #[allow(clippy::too_many_arguments)]
    fn search_pass(
        &self,
        q: &Query,
        prefix: Option<bool>,
        filter: Filter,
        kind: Option<Category>,
        now: DateTime<Utc>,
        limit: u64,
        since: Option<i64>,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let mut params: Vec<Value> = Vec::new();
        let mut arg = |v: Value| {
            params.push(v);
            format!("?{}", params.len())
        };
        // The candidates.
        let candidates = match (q.fts_with(prefix.unwrap_or(true)), &q.order, &q.asin) {
            (Some(expr), _, _) => {
                let fts = arg(Value::Text(expr));
                let since = arg(Value::Integer(since.unwrap_or(0)));
                let hits = arg(Value::Integer(MESSAGE_HITS as i64));
                let upto = arg(Value::Integer(self.indexed_upto()?));
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
                // Mail not indexed yet is scanned: the index catches up after each import.
                // UNION ALL then DISTINCT: a plain UNION let SQLite merge both sides in thread
                // order, walking every message of the thread index (measured: 70 ms).
                format!(
                    "SELECT DISTINCT id FROM (
                         SELECT m.thread_id AS id FROM (SELECT rowid FROM messages_fts
                             WHERE messages_fts MATCH {fts} AND rowid > {since}
                             ORDER BY rowid DESC LIMIT {hits}) f
                         JOIN messages m INDEXED BY messages_thread_of ON m.id = f.rowid
                         UNION ALL
                         SELECT m.thread_id FROM messages m WHERE m.id > {upto} AND {})",
                    tail.join(" AND ")
                )
            }
            (None, Some(order), _) => format!(
                "SELECT id FROM threads INDEXED BY threads_by_order
                 WHERE order_id >= {} AND order_id < {}",
                arg(Value::Text(order.clone())),
                arg(Value::Text(prefix_end(order)))
            ),
            (None, None, Some(asin)) => format!(
                "SELECT thread_id AS id FROM thread_asins INDEXED BY thread_asins_by_asin
                 WHERE asin >= {} AND asin < {}",
                arg(Value::Text(asin.clone())),
                arg(Value::Text(prefix_end(asin)))
            ),
            // Nothing narrows it: threads newest first until enough match.
            (None, None, None) => String::new(),
        };
        let columns = ROW_COLUMNS
            .split(',')
            .map(|c| format!("t.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = if candidates.is_empty() {
            format!("SELECT {columns} FROM threads t WHERE ")
        } else {
            // CROSS JOIN keeps the candidates the outer loop: a few thousand look-ups and a
            // small sort, never a walk over every thread.
            format!(
                "WITH candidates AS MATERIALIZED ({candidates})
                 SELECT {columns} FROM candidates c CROSS JOIN threads t ON t.id = c.id WHERE "
            )
        };
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
        // Order IDs and ASINs match from their start, as typed.
        if let Some(o) = &q.order {
            sql.push_str(&format!(
                " AND t.order_id >= {} AND t.order_id < {}",
                arg(Value::Text(o.clone())),
                arg(Value::Text(prefix_end(o)))
            ));
        }
        if let Some(a) = &q.asin {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM thread_asins a WHERE a.thread_id = t.id
                     AND a.asin >= {} AND a.asin < {})",
                arg(Value::Text(a.clone())),
                arg(Value::Text(prefix_end(a)))
            ));
        }
        if let Some(b) = &q.buyer {
            let p = arg(Value::Text(like_pattern(b)));
            sql.push_str(&format!(
                " AND (t.buyer_name LIKE {p} ESCAPE '\\' OR t.buyer_alias LIKE {p} ESCAPE '\\')"
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
        let q = Query::parse("dent order:111-48 asin:b0fixt buyer:Bob cat:mismatch 山田 \"xy");
        assert_eq!(q.words, ["dent", "山田", "\"xy"]);
        assert_eq!(q.order.as_deref(), Some("111-48"));
        assert_eq!(q.asin.as_deref(), Some("B0FIXT"));
        assert_eq!(q.buyer.as_deref(), Some("Bob"));
        assert_eq!(q.category, Some(Ok(Category::NotAsDescribed)));
        // Quotes cannot break out of the quoted prefix terms.
        assert_eq!(q.fts().unwrap(), "\"dent\" AND \"山  田\" AND \"\"\"xy\"*");
        assert_eq!(
            q.fts_with(false).unwrap(),
            "\"dent\" AND \"山  田\" AND \"\"\"xy\""
        );
        // One or two letters are a whole word, not the start of thousands.
        assert_eq!(Query::parse("box tv").fts().unwrap(), "\"box\" AND \"tv\"");
        assert_eq!(Query::parse("tv box").fts().unwrap(), "\"tv\" AND \"box\"*");
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
        assert!(
            by(&store, "order:4827163", Filter::All).is_empty(),
            "from the start"
        );
        assert_eq!(by(&store, "B0FIXT0001", Filter::All).len(), 2);
        assert_eq!(by(&store, "asin:b0fixt", Filter::All).len(), 2);
        assert_eq!(by(&store, "buyer:wilson", Filter::All), bob);
        // The last word is a prefix: results as the seller types.
        assert_eq!(by(&store, "dented crush", Filter::All), bob);
        assert_eq!(by(&store, "crushed den", Filter::All), bob);
        assert!(
            by(&store, "dent crushed", Filter::All).is_empty(),
            "earlier words are whole"
        );
        assert!(by(&store, "dented zebra", Filter::All).is_empty());
        // Diacritics and case do not matter.
        assert_eq!(by(&store, "KAFFEEMUHLE", Filter::All).len(), 2);
        assert_eq!(by(&store, "mahlt seit gestern", Filter::All).len(), 1);
        // Japanese words are found inside sentences (each character a word in the index).
        assert_eq!(by(&store, "緩衝材", Filter::All).len(), 1);
        assert_eq!(by(&store, "潰れて", Filter::All).len(), 1);
        assert!(
            by(&store, "緩材", Filter::All).is_empty(),
            "characters in a row"
        );
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
        // Only punctuation matches nothing (it is in no word); beside a word it is ignored.
        for punctuation in ["!!!", "-", "?? ...", "\"\""] {
            assert!(
                by(&store, punctuation, Filter::All).is_empty(),
                "{punctuation}"
            );
        }
        assert_eq!(by(&store, "bob ?", Filter::All), bob);
        assert_eq!(by(&store, "! order:111-4827163", Filter::All).len(), 2);
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
            cut: None,
        };
        crate::import::import_raw(&mut store, &crate::demo::demo_config(), [mail], now).unwrap();
        let found = by(&store, "tuned xylo", Filter::All);
        assert_eq!(found.len(), 1);
        assert!(store.index_all_messages().unwrap() >= 1);
        assert_eq!(by(&store, "tuned xylo", Filter::All), found);
    }

    #[test]
    fn the_relay_footer_and_quoted_mail_are_not_searched_and_short_words_are_whole() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let mail = |id: &str, body: &str| {
            crate::import::parse::RawMail {
            bytes: format!(
                "From: \"Zed Quux\" <{id}@marketplace.amazon.com>\r\nTo: support@example-shop.test\r\n\
                 Subject: Question\r\nMessage-ID: <{id}@x>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
            )
            .into_bytes(),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }
        };
        let relay = "------------- Begin message -------------\r\n\r\nMy tv remote is missing.\r\n\r\n\
                     ------------- End message -------------\r\n\r\nOrder ID: 302-1234567-7654321\r\n\
                     \r\n-----Original message-----\r\n> Your marimba shipped\r\n\r\n\
                     To respond to this customer, reply to this e-mail.\r\n";
        let other = "The tvstand came without screws.";
        crate::import::import_raw(
            &mut store,
            &crate::demo::demo_config(),
            [mail("a", relay), mail("b", other)],
            now,
        )
        .unwrap();
        store.index_all_messages().unwrap();
        let by = |q: &str| {
            store
                .search_threads(Filter::All, None, q, now, 50)
                .unwrap()
                .len()
        };
        assert_eq!(by("remote missing"), 1);
        assert_eq!(by("7654321"), 1, "the order's details stay searchable");
        assert_eq!(
            by("marimba"),
            0,
            "quoted: found through the message it quotes"
        );
        assert_eq!(by("respond"), 0, "the relay's footer is in every message");
        // Two letters are a word; the third makes a prefix.
        assert_eq!(by("question"), 2, "two threads");
        assert_eq!(by("tv"), 1);
        assert_eq!(by("tvs"), 1);
        assert_eq!(by("remote tv"), 1);
    }
}
