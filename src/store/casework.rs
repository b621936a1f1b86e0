//! The seller's record of a case: its complaint kind and private notes, each logged on the
//! thread's timeline.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, to_secs};
use crate::domain::category::Category;

/// Longest note kept: a note is a line or a paragraph, not a document.
pub const NOTE_MAX_CHARS: usize = 2_000;

/// A thread's complaint kind, and how it was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryView {
    pub category: Category,
    /// The phrase that decided it on import; `None` when the seller chose it or nothing matched.
    pub reason: Option<String>,
    pub by_seller: bool,
}

impl Store {
    /// Sets a thread's kind by hand: imports never change it again. `false` when the thread
    /// does not exist or already has that kind from the seller.
    pub fn set_category(
        &mut self,
        thread_id: i64,
        category: Category,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let before: Option<(Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT category, category_by FROM threads WHERE id = ?1",
                    [thread_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((old, by)) = before else {
                return Ok(false);
            };
            if old.as_deref() == Some(category.key()) && by.as_deref() == Some("seller") {
                return Ok(false);
            }
            tx.execute(
                "UPDATE threads SET category = ?2, category_reason = NULL, category_by = 'seller'
                 WHERE id = ?1",
                params![thread_id, category.key()],
            )?;
            let detail = match old.as_deref().and_then(Category::parse) {
                Some(old) if old != category => format!("{} (was {})", category.key(), old.key()),
                _ => category.key().to_string(),
            };
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'categorized', ?3)",
                params![thread_id, to_secs(now), detail],
            )?;
            Ok(true)
        })
    }

    /// Adds a private note (never sent) to the thread's timeline. Blank notes are ignored;
    /// long ones are cut at [`NOTE_MAX_CHARS`]. `false` when nothing was added.
    pub fn add_note(
        &mut self,
        thread_id: i64,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(false);
        }
        let text: String = text.chars().take(NOTE_MAX_CHARS).collect();
        self.write(|tx| {
            Ok(tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail)
                 SELECT id, ?2, 'noted', ?3 FROM threads WHERE id = ?1",
                params![thread_id, to_secs(now), text],
            )? == 1)
        })
    }

    pub fn thread_category(&self, thread_id: i64) -> Result<Option<CategoryView>, StoreError> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = self
            .conn()
            .prepare_cached(
                "SELECT category, category_reason, category_by FROM threads WHERE id = ?1",
            )?
            .query_row([thread_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(row.and_then(|(c, reason, by)| {
            Some(CategoryView {
                category: Category::parse(c.as_deref()?)?,
                reason,
                by_seller: by.as_deref() == Some("seller"),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_sellers_kind_sticks_and_is_logged_and_notes_are_kept() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let bob: i64 = store
            .conn()
            .query_row(
                "SELECT id FROM threads WHERE buyer_name = 'Bob Wilson'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let before = store.thread_category(bob).unwrap().unwrap();
        assert_eq!(before.category, Category::Shipping);
        assert!(!before.by_seller);
        assert!(before.reason.is_some());

        assert!(store.set_category(bob, Category::Packaging, now).unwrap());
        assert!(!store.set_category(bob, Category::Packaging, now).unwrap());
        assert!(
            !store
                .set_category(999_999, Category::Packaging, now)
                .unwrap()
        );
        let after = store.thread_category(bob).unwrap().unwrap();
        assert_eq!(
            after,
            CategoryView {
                category: Category::Packaging,
                reason: None,
                by_seller: true
            }
        );

        assert!(
            store
                .add_note(bob, "  Called DHL, case 4711  ", now)
                .unwrap()
        );
        assert!(!store.add_note(bob, "   ", now).unwrap());
        assert!(!store.add_note(999_999, "x", now).unwrap());
        let long = "x".repeat(NOTE_MAX_CHARS + 10);
        assert!(store.add_note(bob, &long, now).unwrap());

        let t = store.thread_detail(bob).unwrap().unwrap();
        let events: Vec<(&str, &str)> = t
            .timeline
            .iter()
            .filter(|e| e.kind == "categorized" || e.kind == "noted")
            .map(|e| (e.kind.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(events[0], ("categorized", "packaging (was shipping)"));
        assert_eq!(events[1], ("noted", "Called DHL, case 4711"));
        assert_eq!(events[2].1.chars().count(), NOTE_MAX_CHARS);
    }
}
