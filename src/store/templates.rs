//! Reply templates in the database: the manager screen's list, create, edit, rename, duplicate
//! and delete, and the upsert behind `templates import`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::template::Template;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRow {
    pub id: i64,
    pub template: Template,
    pub updated_at: DateTime<Utc>,
}

/// What importing one template did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

const COLUMNS: &str = "id, name, category, language, subject, body, updated_at";

fn template_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        id: r.get(0)?,
        template: Template {
            name: super::lossy::text(r, 1)?,
            category: super::lossy::opt_text(r, 2)?,
            language: super::lossy::text(r, 3)?,
            subject: super::lossy::opt_text(r, 4)?,
            body: super::lossy::text(r, 5)?,
        },
        updated_at: from_secs(r.get(6)?),
    })
}

/// A write refused because another template has `name` says so.
fn name_error(e: rusqlite::Error, name: &str) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::NameTaken(name.to_string())
        }
        _ => e.into(),
    }
}

fn checked(t: &Template) -> Result<(), StoreError> {
    t.validate()
        .map_err(|(key, message)| StoreError::Invalid(format!("{key}: {message}")))
}

impl Store {
    /// Every template, by category then name (the picker and the manager list).
    pub fn templates(&self) -> Result<Vec<TemplateRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM templates ORDER BY category IS NULL, category, name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([], template_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn template(&self, id: i64) -> Result<Option<TemplateRow>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM templates WHERE id = ?1"))?
            .query_row([id], template_row)
            .optional()?)
    }

    pub fn create_template(&mut self, t: &Template, now: DateTime<Utc>) -> Result<i64, StoreError> {
        checked(t)?;
        let name = t.name.trim().to_string();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO templates (name, category, language, subject, body, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![name, t.category, t.language, t.subject, t.body, to_secs(now)],
            )
            .map_err(|e| name_error(e, &name))?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Replaces template `id` with `t` (its name included). False if there is no such template.
    pub fn update_template(
        &mut self,
        id: i64,
        t: &Template,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        checked(t)?;
        let name = t.name.trim().to_string();
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE templates SET name = ?2, category = ?3, language = ?4, subject = ?5,
                            body = ?6, updated_at = ?7
                     WHERE id = ?1",
                    params![
                        id,
                        name,
                        t.category,
                        t.language,
                        t.subject,
                        t.body,
                        to_secs(now)
                    ],
                )
                .map_err(|e| name_error(e, &name))?;
            Ok(n == 1)
        })
    }

    pub fn rename_template(
        &mut self,
        id: i64,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(mut row) = self.template(id)? else {
            return Ok(false);
        };
        row.template.name = name.trim().to_string();
        self.update_template(id, &row.template, now)
    }

    /// A copy named "NAME (copy)", "NAME (copy 2)", ...; its id.
    pub fn duplicate_template(&mut self, id: i64, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let row = self
            .template(id)?
            .ok_or_else(|| StoreError::Invalid(format!("no template {id}")))?;
        let mut copy = row.template;
        let base = copy.name.clone();
        for n in 1.. {
            copy.name = if n == 1 {
                format!("{base} (copy)")
            } else {
                format!("{base} (copy {n})")
            };
            match self.create_template(&copy, now) {
                Err(StoreError::NameTaken(_)) => continue,
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }

    pub fn delete_template(&mut self, id: i64) -> Result<bool, StoreError> {
        self.write(|tx| Ok(tx.execute("DELETE FROM templates WHERE id = ?1", [id])? == 1))
    }

    /// Creates or replaces the template of the same name (`templates import`).
    pub fn upsert_template(
        &mut self,
        t: &Template,
        now: DateTime<Utc>,
    ) -> Result<Upserted, StoreError> {
        let existing: Option<TemplateRow> = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM templates WHERE name = ?1"))?
            .query_row([t.name.trim()], template_row)
            .optional()?;
        match existing {
            None => self.create_template(t, now).map(|_| Upserted::Created),
            Some(row) if row.template == *t => Ok(Upserted::Unchanged),
            Some(row) => self
                .update_template(row.id, t, now)
                .map(|_| Upserted::Updated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn t(name: &str) -> Template {
        Template {
            name: name.into(),
            category: Some("shipping".into()),
            language: "en".into(),
            subject: None,
            body: "Hello {{buyer_name}}".into(),
        }
    }

    #[test]
    fn a_new_database_holds_the_default_set() {
        let store = Store::open_in_memory().unwrap();
        let all = store.templates().unwrap();
        assert_eq!(
            all.len(),
            crate::reply::templates::defaults().unwrap().len()
        );
    }

    #[test]
    fn create_rename_duplicate_delete() {
        let mut store = Store::open_in_memory().unwrap();
        let id = store.create_template(&t("Mine"), now()).unwrap();
        assert!(matches!(
            store.create_template(&t(" Mine "), now()),
            Err(StoreError::NameTaken(n)) if n == "Mine"
        ));
        assert!(store.rename_template(id, "Ours", now()).unwrap());
        assert_eq!(store.template(id).unwrap().unwrap().template.name, "Ours");
        let copy = store.duplicate_template(id, now()).unwrap();
        let copy2 = store.duplicate_template(id, now()).unwrap();
        assert_eq!(
            store.template(copy).unwrap().unwrap().template.name,
            "Ours (copy)"
        );
        assert_eq!(
            store.template(copy2).unwrap().unwrap().template.name,
            "Ours (copy 2)"
        );
        assert!(matches!(
            store.rename_template(copy, "Ours", now()),
            Err(StoreError::NameTaken(_))
        ));
        assert!(store.delete_template(id).unwrap());
        assert!(!store.delete_template(id).unwrap());
        assert!(store.template(id).unwrap().is_none());
    }

    #[test]
    fn invalid_templates_are_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let mut bad = t("x");
        bad.body = "  ".into();
        assert!(matches!(
            store.create_template(&bad, now()),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn upsert_creates_updates_and_notices_no_change() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(
            store.upsert_template(&t("A"), now()).unwrap(),
            Upserted::Created
        );
        assert_eq!(
            store.upsert_template(&t("A"), now()).unwrap(),
            Upserted::Unchanged
        );
        let mut changed = t("A");
        changed.body = "Hi".into();
        assert_eq!(
            store.upsert_template(&changed, now()).unwrap(),
            Upserted::Updated
        );
    }
}
