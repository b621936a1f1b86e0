//! What the database says about itself, for `check`: SQLite's integrity check, references
//! that lead nowhere.

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
}
