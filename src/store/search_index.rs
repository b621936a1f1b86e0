//! The full-text index (`messages_fts`), filled after imports rather than during them: an
//! import stays as fast as the writer can store mail, and the index catches up in large
//! transactions (`sellerdesk import`, `sellerdesk index`) or small ones (the app's worker).
//! Messages above `search_state.indexed_upto` are searched without the index.
//!
//! The index holds what a seller searches for: the subject, the sender's name and the
//! buyer's own words. Amazon's relay footer and the quoted earlier message repeat in every
//! message of a thread and are left out (the earlier message is indexed on its own); the
//! order IDs, ASINs and tracking numbers around the buyer's words stay.

use std::borrow::Cow;

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
pub fn index_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unspaced) {
        return Cow::Borrowed(text);
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
    Cow::Owned(out)
}

/// A marker line of Amazon's relay (`------------- Begin message -------------`): dashes, a
/// few words, dashes; `words` says which marker.
fn marker_line(line: &str, words: &[&str]) -> bool {
    let line = line.trim();
    let inner = line.trim_matches('-');
    if line.len() - inner.len() < 6 || !line.starts_with("---") || !line.ends_with("---") {
        return false;
    }
    let inner = inner.trim().to_lowercase();
    // Japanese writes the marker's words without spaces ("メッセージ開始").
    inner.len() <= 40
        && words.iter().any(|w| {
            inner.split_whitespace().any(|x| x == *w)
                || (w.chars().any(unspaced) && inner.contains(w))
        })
}

/// Where the buyer's message starts and ends in a relay block (Amazon writes the markers in
/// the marketplace's language).
const BLOCK_BEGIN: &[&str] = &[
    "begin", "beginn", "début", "debut", "inicio", "inizio", "開始",
];
const BLOCK_END: &[&str] = &["end", "ende", "fin", "fine", "終了"];

/// A line quoting an earlier message (`> ...`).
fn quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// A `Label: value` line of the relay's order details ("Order ID: …", "Product: …"): a label
/// of one or two words.
fn field_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(label, value)| {
        let words = label.split_whitespace().count();
        (1..=2).contains(&words)
            && label.len() <= 24
            && label
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '-')
            && !value.trim().is_empty()
    })
}

/// Outlook's separator before the quoted earlier message.
fn original_message(line: &str) -> bool {
    marker_line(
        line,
        &[
            "original",
            "ursprüngliche",
            "originale",
            "original-nachricht",
        ],
    )
}

/// The part of a message body the index reads: the buyer's words inside a relay block, with
/// the order's details around it (`Label: value` lines) and the identifiers (words with a
/// digit: tracking numbers) of the other lines up to an "Original Message" separator; without
/// a block, the body without quoted lines and without what follows such a separator.
pub fn searchable_body(body: &str) -> Cow<'_, str> {
    let lines = || body.split('\n');
    let begin = lines().position(|l| marker_line(l, BLOCK_BEGIN));
    let end = begin.and_then(|b| {
        lines()
            .skip(b + 1)
            .position(|l| marker_line(l, BLOCK_END))
            .map(|e| b + 1 + e)
    });
    let mut out = String::with_capacity(body.len() / 2);
    match (begin, end) {
        (Some(begin), Some(end)) => {
            for (i, line) in lines().enumerate() {
                if i > end && original_message(line) {
                    break;
                }
                if i > begin && i < end {
                    out.push_str(line);
                    out.push('\n');
                } else if i != begin && i != end && !quoted(line) {
                    if field_line(line) {
                        out.push_str(line);
                        out.push('\n');
                        continue;
                    }
                    for word in line.split_whitespace() {
                        if word.bytes().any(|b| b.is_ascii_digit()) {
                            out.push_str(word);
                            out.push(' ');
                        }
                    }
                }
            }
        }
        _ => {
            if !lines().any(|l| quoted(l) || original_message(l)) {
                return Cow::Borrowed(body);
            }
            for line in lines().take_while(|l| !original_message(l)) {
                if !quoted(line) {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    Cow::Owned(out)
}

/// The body as the index reads it: its searchable part, CJK characters made words.
pub fn index_body(body: &str) -> Cow<'_, str> {
    match searchable_body(body) {
        Cow::Borrowed(b) => index_text(b),
        Cow::Owned(b) => Cow::Owned(index_text(&b).into_owned()),
    }
}

/// What the index holds of a `messages` row, in the index's column order (`rowid`, subject,
/// body, sender's name): every path that fills the index reads this.
pub(super) const INDEXED_COLUMNS: &str = "id, sd_index_text(subject), sd_index_body(body),
    sd_index_text(coalesce(from_name, ''))";

/// `sd_index_text(x)` and `sd_index_body(x)` in SQL, for the index pass.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("sd_index_text", 1, flags, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        Ok(text.map(|t| index_text(&t).into_owned()))
    })?;
    conn.create_scalar_function("sd_index_body", 1, flags, |ctx| {
        let text: Option<String> = ctx.get(0)?;
        Ok(text.map(|t| index_body(&t).into_owned()))
    })
}

/// Messages indexed per transaction by `sellerdesk import` and `sellerdesk index`: large, so
/// the index is written in few segments (about two seconds of work each).
pub const INDEX_CHUNK: usize = 50_000;

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
                &format!(
                    "INSERT INTO messages_fts (rowid, subject, body, from_name)
                     SELECT {INDEXED_COLUMNS} FROM messages WHERE id > ?1 AND id <= ?2"
                ),
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

    const RELAY: &str = "------------- Begin message -------------\r\n\r\n\
        The kettle arrived dented, box 1Z999AA10123456784 crushed.\r\n\
        > I quote myself here\r\n\r\n\
        ------------- End message -------------\r\n\r\n\
        Order ID: 302-1234567-7654321\r\nASIN: B0FIXT0001\r\nProduct: Electric Kettle\r\n\r\n\
        Was this email helpful?\r\n\
        -----Original message-----\r\n\
        > earlier words about 111-4827163-0028371\r\n\r\n\
        To respond to this customer, reply to this e-mail or visit your Seller Central account.\r\n";

    #[test]
    fn a_relay_message_is_indexed_by_the_buyers_words_and_its_identifiers() {
        let text = searchable_body(RELAY);
        for kept in [
            "kettle arrived dented",
            "1Z999AA10123456784",
            "I quote myself",
        ] {
            assert!(text.contains(kept), "{kept} in {text:?}");
        }
        for id in ["302-1234567-7654321", "B0FIXT0001", "Electric Kettle"] {
            assert!(text.contains(id), "{id} in {text:?}");
        }
        for gone in [
            "Begin",
            "End message",
            "respond",
            "Central",
            "helpful",
            "earlier",
            "111-",
        ] {
            assert!(!text.contains(gone), "{gone} in {text:?}");
        }
        // Amazon writes the markers in the marketplace's language.
        let german = "----- Beginn der Nachricht -----\nDer Wasserkocher\n----- Ende der Nachricht -----\n\
                      Antworten Sie auf diese E-Mail\n";
        assert_eq!(searchable_body(german).trim(), "Der Wasserkocher");
        let japanese = "------ メッセージ開始 ------\n箱が潰れていました\n------ メッセージ終了 ------\n\
                        ご返信ください\n";
        assert_eq!(searchable_body(japanese).trim(), "箱が潰れていました");
        // An earlier message quoted without `>` after the block: its header is no detail.
        let outlook = "---- Begin message ----\nHi\n---- End message ----\nOrder ID: 1-2-3\n\
                       -----Original Message-----\nSubject: Your order 4-5-6\n";
        assert_eq!(searchable_body(outlook), "Hi\nOrder ID: 1-2-3\n");
    }

    #[test]
    fn other_mail_loses_only_its_quoted_lines() {
        let plain = "Where is my parcel?\nThanks, Bob";
        assert!(matches!(searchable_body(plain), Cow::Borrowed(_)));
        let reply = "Still nothing.\n\nOn Monday you wrote:\n> We shipped it\n>> long ago\nBob";
        assert_eq!(
            searchable_body(reply),
            "Still nothing.\n\nOn Monday you wrote:\nBob\n"
        );
        let outlook = "It is broken.\n-----Original Message-----\nFrom: seller\nWe shipped it";
        assert_eq!(searchable_body(outlook), "It is broken.\n");
        // A dashed line that is no marker is text.
        let dashes = "Before\n----------\nAfter";
        assert!(matches!(searchable_body(dashes), Cow::Borrowed(_)));
        // An unclosed block is not a block.
        let open = "------------- Begin message -------------\nhalf a message";
        assert!(matches!(searchable_body(open), Cow::Borrowed(_)));
        assert_eq!(index_body("箱 > x"), " 箱  > x");
    }
}
