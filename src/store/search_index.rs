//! The full-text index (`messages_fts`), filled after imports rather than during them: an
//! import stays as fast as the writer can store mail, and the index catches up in short
//! transactions. Messages above `search_state.indexed_upto` are searched without the index.

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, params};

use super::{Store, StoreError};

/// A character of a script written without spaces between words (CJK, kana, Hangul).
pub fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3040..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x2FA1F)
}

/// Text as the index reads it: each CJK character a word of its own, so that a word inside a
/// Japanese sentence is found as a phrase of characters (the tokenizer splits on spaces only).
pub fn index_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unspaced) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if unspaced(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `sd_index_text(x)` in SQL, for the index pass (and any rebuild).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "sd_index_text",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| index_text(&t).into_owned()))
        },
    )
}

/// Messages indexed per transaction: short enough not to hold other writers up.
pub const INDEX_CHUNK: usize = 20_000;

impl Store {
    /// The highest message id in the index.
    pub fn indexed_upto(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT indexed_upto FROM search_state WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Indexes up to `limit` messages not in the index yet, in one transaction; how many.
    pub fn index_messages(&mut self, limit: usize) -> Result<usize, StoreError> {
        self.write(|tx| {
            let upto: i64 = tx.query_row(
                "SELECT indexed_upto FROM search_state WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            let last: Option<i64> = tx.query_row(
                "SELECT max(id) FROM (SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![upto, limit as i64],
                |r| r.get(0),
            )?;
            let Some(last) = last else {
                return Ok(0);
            };
            let n = tx.execute(
                "INSERT INTO messages_fts (rowid, subject, body, from_name)
                 SELECT id, sd_index_text(subject), sd_index_text(body),
                        sd_index_text(coalesce(from_name, ''))
                 FROM messages WHERE id > ?1 AND id <= ?2",
                params![upto, last],
            )?;
            tx.execute(
                "UPDATE search_state SET indexed_upto = ?1 WHERE id = 1",
                [last],
            )?;
            Ok(n)
        })
    }

    /// Indexes everything pending, chunk by chunk; how many.
    pub fn index_all_messages(&mut self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self.index_messages(INDEX_CHUNK)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_become_words_and_the_rest_is_untouched() {
        assert_eq!(index_text("plain text"), "plain text");
        assert_eq!(index_text("箱が潰れ ok"), " 箱  が  潰  れ  ok");
    }
}
