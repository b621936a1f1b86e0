//! Ordered schema migrations. Only ever append: each released version's database must keep
//! migrating (a fixture of every version lives in `tests/fixtures/db/`).

use rusqlite::Transaction;
use rusqlite_migration::{HookError, HookResult, M, Migrations};

fn all() -> Vec<M<'static>> {
    vec![
        M::up(concat!(
            include_str!("migrations/001_initial.sql"),
            "\nPRAGMA application_id = 1396984625;\n" // store::APPLICATION_ID
        ))
        .foreign_key_check(),
        // 2: the default reply templates, once per database: a seller who deletes one keeps
        // it deleted.
        M::up_with_hook("", seed_default_templates),
        M::up(include_str!("migrations/003_account.sql")).foreign_key_check(),
        M::up_with_hook(include_str!("migrations/004_metric_days.sql"), |tx| {
            crate::store::metric_days::rebuild(tx).map_err(HookError::from)
        }),
    ]
}

fn seed_default_templates(tx: &Transaction<'_>) -> HookResult {
    let templates = crate::templates::defaults().map_err(|e| HookError::Hook(e.to_string()))?;
    let mut stmt = tx.prepare(
        "INSERT OR IGNORE INTO templates (name, category, language, subject, body, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, unixepoch(), unixepoch())",
    )?;
    for t in templates {
        stmt.execute((&t.name, &t.category, &t.language, &t.subject, &t.body))?;
    }
    Ok(())
}

pub fn migrations() -> Migrations<'static> {
    Migrations::new(all())
}

/// The schema version this binary writes (SQLite `user_version`).
pub fn latest_version() -> i64 {
    all().len() as i64
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
