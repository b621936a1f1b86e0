//! Ordered schema migrations. Only ever append: each released version's database must keep
//! migrating (a fixture of every version lives in `tests/fixtures/db/`).

use rusqlite_migration::{M, Migrations};

const MIGRATIONS: &[M<'static>] = &[M::up(concat!(
    include_str!("migrations/001_initial.sql"),
    "\nPRAGMA application_id = 1396984625;\n" // store::APPLICATION_ID
))
.foreign_key_check()];

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The schema version this binary writes (SQLite `user_version`).
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn application_id_literal_matches_the_constant() {
        assert_eq!(1396984625, crate::store::APPLICATION_ID);
    }
}
