//! Reading stored text for display. sellerdesk writes only UTF-8, but a file edited by another
//! tool or partly damaged can hold other bytes; a subject with one such byte must not stop
//! `status` or the app, so text that is shown is read with U+FFFD in place of what is not
//! UTF-8 (`sellerdesk check` names the row).

use rusqlite::Row;
use rusqlite::types::ValueRef;

/// A text column, invalid UTF-8 replaced.
pub fn text(row: &Row, i: usize) -> rusqlite::Result<String> {
    match row.get_ref(i)? {
        ValueRef::Text(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
        _ => row.get(i),
    }
}

/// A nullable text column, invalid UTF-8 replaced.
pub fn opt_text(row: &Row, i: usize) -> rusqlite::Result<Option<String>> {
    match row.get_ref(i)? {
        ValueRef::Text(bytes) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
        _ => row.get(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_byte_reads_as_a_replacement_character() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let (a, b, c): (String, Option<String>, Option<String>) = conn
            .query_row(
                "SELECT CAST(x'41FF42' AS TEXT), CAST(x'C3A9' AS TEXT), NULL",
                [],
                |r| Ok((text(r, 0)?, opt_text(r, 1)?, opt_text(r, 2)?)),
            )
            .unwrap();
        assert_eq!(a, "A\u{FFFD}B");
        assert_eq!(b.as_deref(), Some("é"));
        assert_eq!(c, None);
        let e = conn.query_row("SELECT CAST(x'41FF' AS TEXT)", [], |r| {
            r.get::<_, String>(0)
        });
        assert!(
            e.is_err(),
            "rusqlite refuses it: the reason this module exists"
        );
    }
}
