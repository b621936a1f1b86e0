//! What the database says about itself, for `check` and `status`: SQLite's integrity check,
//! references that lead nowhere, how much it holds.

use super::{Store, StoreError};

impl Store {
    /// SQLite's `integrity_check`: `["ok"]` for a whole file, else each problem it found.
    pub fn integrity(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Rows whose reference leads nowhere: (table, rowid), from `foreign_key_check`.
    pub fn dangling_references(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self
            .conn
            .prepare("PRAGMA foreign_key_check")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: Table) -> Result<u64, StoreError> {
        let sql = match table {
            Table::Threads => "SELECT count(*) FROM threads",
            Table::Messages => "SELECT count(*) FROM messages",
        };
        Ok(self.conn().query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Table {
    Threads,
    Messages,
}
