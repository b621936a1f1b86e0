//! Stored text that is not valid UTF-8. sellerdesk only writes UTF-8, but the file can be
//! edited by other tools or damaged; such text is shown lossily everywhere (see
//! [`super::lossy`]) and `sellerdesk check` names the rows that hold it.

use rusqlite::types::ValueRef;

use super::{Store, StoreError};

/// One stored value that is not UTF-8: where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    pub table: String,
    pub column: String,
    /// The row's key, as `id=12` (or `rowid=12` for a table without a declared key).
    pub row: String,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// Every text value in every table that is not valid UTF-8: the total and the first
    /// `keep` of them. Search-index tables are skipped (they are rebuilt from the messages).
    pub fn text_not_utf8(&self, keep: usize) -> Result<(u64, Vec<NotUtf8>), StoreError> {
        let conn = self.conn();
        let tables: Vec<(String, String)> = conn
            .prepare(
                "SELECT name, coalesce(sql, '') FROM sqlite_master \
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let virtual_tables: Vec<&str> = tables
            .iter()
            .filter(|(_, sql)| sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL"))
            .map(|(name, _)| name.as_str())
            .collect();
        let mut total = 0u64;
        let mut found = Vec::new();
        for (table, _) in &tables {
            if virtual_tables
                .iter()
                .any(|v| table == v || table.starts_with(&format!("{v}_")))
            {
                continue;
            }
            // (name, declared type, position in the primary key)
            let columns: Vec<(String, String, i64)> = conn
                .prepare("SELECT name, upper(type), pk FROM pragma_table_info(?1)")?
                .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let text: Vec<&str> = columns
                .iter()
                .filter(|(_, ty, _)| ty.contains("TEXT") || ty.is_empty())
                .map(|(name, _, _)| name.as_str())
                .collect();
            if text.is_empty() {
                continue;
            }
            let mut key: Vec<&(String, String, i64)> =
                columns.iter().filter(|(_, _, pk)| *pk > 0).collect();
            key.sort_by_key(|(_, _, pk)| *pk);
            let label = if key.is_empty() {
                "'rowid=' || rowid".to_string()
            } else {
                key.iter()
                    .map(|(name, _, _)| format!("'{name}=' || quote({})", quoted(name)))
                    .collect::<Vec<_>>()
                    .join(" || ' ' || ")
            };
            let sql = format!(
                "SELECT {label}, {} FROM {}",
                text.iter()
                    .map(|c| quoted(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                quoted(table)
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for (i, column) in text.iter().enumerate() {
                    if let ValueRef::Text(bytes) = row.get_ref(i + 1)?
                        && std::str::from_utf8(bytes).is_err()
                    {
                        total += 1;
                        if found.len() < keep {
                            found.push(NotUtf8 {
                                table: table.clone(),
                                column: column.to_string(),
                                row: super::lossy::text(row, 0)?,
                            });
                        }
                    }
                }
            }
        }
        Ok((total, found))
    }
}
