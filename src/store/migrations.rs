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
        // 4: the per-day counts were filled here; version 15 changed their tables and fills
        // them for every database, so this step only creates them.
        M::up(include_str!("migrations/004_metric_days.sql")),
        // 5: complaint kinds; the threads already stored are classified with the shipped
        // phrases (the config's own are not known here).
        M::up_with_hook(
            include_str!("migrations/005_categories.sql"),
            classify_stored_threads,
        ),
        M::up(include_str!("migrations/006_follow_ups.sql")).foreign_key_check(),
        M::up(include_str!("migrations/007_snoozes.sql")).foreign_key_check(),
        M::up(include_str!("migrations/008_search.sql")),
        // 9: templates in German, French, Spanish, Italian and Japanese for the common kinds.
        M::up_with_hook("", |tx| {
            let t = crate::reply::templates::in_languages()
                .map_err(|e| HookError::Hook(e.to_string()))?;
            insert_templates(tx, t)
        }),
        M::up(include_str!("migrations/010_proactive.sql")).foreign_key_check(),
        M::up(include_str!("migrations/011_outbox.sql")).foreign_key_check(),
        M::up(include_str!("migrations/012_team_and_attachments.sql")).foreign_key_check(),
        M::up(include_str!("migrations/013_backups.sql")).foreign_key_check(),
        M::up(include_str!("migrations/014_purge.sql")).foreign_key_check(),
        // 15: the account metrics as Amazon computes them (docs/amazon-rules.md); every
        // per-day count recomputed from the records.
        M::up_with_hook(include_str!("migrations/015_account_rules.sql"), |tx| {
            crate::store::metric_days::rebuild(tx).map_err(HookError::from)
        }),
        // 16: messages without a Message-ID keyed with their line ends made one, so the same
        // message with CRLF and with LF is not stored twice when imported again.
        M::up_with_hook("", rehash_content_keys),
        // 17: a template for every complaint kind in every shipped language, so the picker's
        // first entry fits every thread.
        M::up_with_hook("", |tx| {
            let t = crate::reply::templates::kinds_in_every_language()
                .map_err(|e| HookError::Hook(e.to_string()))?;
            insert_templates(tx, t)
        }),
        // 18: shipped templates never edited brought up to the shipped text: their dates now
        // fill themselves ({{delivery_date}} is the order's promised date, a replacement's
        // arrival is {{replacement_arrival}}), so an old text would promise a past date.
        M::up_with_hook("", update_unedited_templates),
        // 19: the search index holds the buyer's words only and is built several times
        // faster (docs/performance.md); rebuilt from the messages after the migration.
        M::up(include_str!("migrations/019_search_index_v2.sql")),
        // 20: each kind's thread count kept by triggers, so a list's length is not counted.
        M::up(include_str!("migrations/020_thread_counts.sql")),
    ]
}

/// An earlier shipped text of a template: `file` is where it is shipped from.
#[derive(serde::Deserialize)]
struct ShippedBefore {
    file: String,
    name: String,
    body: String,
}

#[derive(serde::Deserialize)]
struct ShippedBeforeFile {
    template: Vec<ShippedBefore>,
}

/// A stored template whose name and text are still one sellerdesk shipped earlier takes the
/// current shipped text (kind, language and subject too). One the seller edited, renamed or
/// wrote keeps every word.
fn update_unedited_templates(tx: &Transaction<'_>) -> HookResult {
    let before: ShippedBeforeFile =
        toml::from_str(include_str!("migrations/018_shipped_before.toml"))
            .map_err(|e| HookError::Hook(e.to_string()))?;
    let current =
        crate::reply::templates::defaults_by_file().map_err(|e| HookError::Hook(e.to_string()))?;
    let mut update = tx.prepare(
        "UPDATE templates SET category = ?3, language = ?4, subject = ?5, body = ?6,
                updated_at = unixepoch()
         WHERE name = ?1 AND body = ?2",
    )?;
    for old in before.template {
        let Some((_, now)) = current.iter().find(|(file, _)| *file == old.file) else {
            continue;
        };
        update.execute(rusqlite::params![
            old.name,
            old.body,
            now.category,
            now.language,
            now.subject,
            now.body
        ])?;
    }
    Ok(())
}

/// Each stored `sha256:` key computed again from the raw bytes as
/// [`content_key`](crate::import::parse::content_key) does now. Where two stored messages
/// now share a key (the same message imported with both line ends), the first keeps it and
/// the other its old key: both stay, and neither comes back on a new import.
fn rehash_content_keys(tx: &Transaction<'_>) -> HookResult {
    let mut changed: Vec<(i64, String, String)> = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT m.id, m.message_key, r.raw FROM messages m
             JOIN message_raw r ON r.message_id = m.id
             WHERE m.message_key LIKE 'sha256:%' ORDER BY m.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let old: String = row.get(1)?;
            let new = match row.get_ref(2)? {
                rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                    crate::import::parse::content_key(b)
                }
                _ => continue,
            };
            if new != old {
                changed.push((row.get(0)?, old, new));
            }
        }
    }
    let mut update = tx.prepare(
        "UPDATE messages SET message_key = ?2
         WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM messages WHERE message_key = ?2)",
    )?;
    let mut proactive =
        tx.prepare("UPDATE proactive_messages SET message_key = ?2 WHERE message_key = ?1")?;
    for (id, old, new) in changed {
        if update.execute(rusqlite::params![id, new])? == 1 {
            proactive.execute([&old, &new])?;
        }
    }
    Ok(())
}

fn seed_default_templates(tx: &Transaction<'_>) -> HookResult {
    let templates =
        crate::reply::templates::defaults().map_err(|e| HookError::Hook(e.to_string()))?;
    insert_templates(tx, templates)
}

/// Adds templates not there by name (one the seller renamed or deleted stays so).
fn insert_templates(
    tx: &Transaction<'_>,
    templates: Vec<crate::domain::template::Template>,
) -> HookResult {
    let mut stmt = tx.prepare(
        "INSERT OR IGNORE INTO templates (name, category, language, subject, body, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, unixepoch(), unixepoch())",
    )?;
    for t in templates {
        stmt.execute((&t.name, &t.category, &t.language, &t.subject, &t.body))?;
    }
    Ok(())
}

fn classify_stored_threads(tx: &Transaction<'_>) -> HookResult {
    let classifier = crate::domain::classify::Classifier::default();
    let mut threads = tx.prepare(
        "SELECT DISTINCT thread_id FROM messages WHERE role = 'buyer' ORDER BY thread_id",
    )?;
    let ids: Vec<i64> = threads
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut messages = tx.prepare(
        "SELECT subject, substr(body, 1, 4096) FROM messages
         WHERE thread_id = ?1 AND role = 'buyer' ORDER BY sent_at, id",
    )?;
    let mut update = tx.prepare(
        "UPDATE threads SET category = ?2, category_reason = ?3, category_by = 'rule'
         WHERE id = ?1 AND category IS NULL",
    )?;
    for id in ids {
        let mut rows = messages.query([id])?;
        let mut found = None;
        while let Some(r) = rows.next()? {
            let subject: String = r.get(0)?;
            let body: String = r.get(1)?;
            let c = classifier.classify(&subject, &body);
            let decided = c.category != crate::domain::category::Category::Other;
            found = Some(c);
            if decided {
                break;
            }
        }
        if let Some(c) = found {
            update.execute(rusqlite::params![id, c.category.key(), c.phrase])?;
        }
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
