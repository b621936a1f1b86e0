//! Purging buyer data (Amazon's Data Protection Policy: no buyer PII kept more than 30 days
//! after delivery). A thread whose last message is older than the cutoff, and whose order, if
//! known, was delivered (or, without a delivery date, bought) before it, loses names, addresses
//! and text — raw bytes, subjects, bodies, the search index, drafts, notes, attachment names,
//! its files in the outbox folder — and keeps what the metrics need: order, marketplace, times,
//! roles and resolutions. Deleted content is overwritten (`secure_delete`), the search index
//! merged so no old segment keeps a word, and the WAL checkpointed and truncated.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::backup::BackupRecord;
use super::{Store, StoreError, to_secs};

/// What replaces the text.
const REDACTED: &str = "[redacted]";

/// Amazon's limit: 30 days after delivery.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    pub threads: u64,
    pub messages: u64,
    /// Feedback whose rater's e-mail address, comments and response were removed.
    pub feedback: u64,
    /// Other records that lost buyer data: orders' buyer names, cancellation reasons,
    /// bounces naming a buyer's address.
    pub records: u64,
    /// Reply files removed from the outbox folder.
    pub outbox_files: u64,
    /// Backups made before now: they still hold what was purged, and sellerdesk cannot reach
    /// them.
    pub backups_before: Vec<BackupRecord>,
}

/// The threads to purge: unpurged, last message before the cutoff, order (if known) delivered
/// or, without a delivery date, bought before it.
const CANDIDATES: &str = "
    SELECT t.id FROM threads t
    WHERE t.purged_at IS NULL AND t.last_message_at < ?1
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = t.order_id
                      AND coalesce(o.delivered_at, o.purchased_at, 0) >= ?1)";

/// Feedback past the cutoff that still names or quotes the buyer: rated before it, its order
/// (if known) delivered or, without a delivery date, bought before it.
const FEEDBACK_WITH_PII: &str = "
    (rater_email IS NOT NULL OR comments IS NOT NULL OR response IS NOT NULL)
    AND rated_at < ?1
    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = feedback.order_id
                    AND coalesce(o.delivered_at, o.purchased_at, 0) >= ?1)";

impl Store {
    /// Is there buyer data past the limit? One index step in the usual case.
    pub fn purge_due(&self, now: DateTime<Utc>, days: i64) -> Result<bool, StoreError> {
        let cutoff = to_secs(now - Duration::days(days));
        Ok(self.conn().query_row(
            &format!(
                "SELECT EXISTS ({CANDIDATES} LIMIT 1)
                     OR EXISTS (SELECT 1 FROM feedback WHERE {FEEDBACK_WITH_PII})"
            ),
            [cutoff],
            |r| r.get(0),
        )?)
    }

    /// Purges every thread past `days`; `outbox` is the `.eml` folder whose files of those
    /// threads are removed too.
    pub fn purge_pii(
        &mut self,
        now: DateTime<Utc>,
        days: i64,
        outbox: Option<&Path>,
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = to_secs(now - Duration::days(days));
        let at = to_secs(now);
        // First a search index an interrupted import left half built beside the database: if
        // it cannot be removed, nothing is purged and the error names it.
        super::index_build::remove_leftover(self.path())?;
        self.conn().pragma_update(None, "secure_delete", true)?;
        let report = self.write(|tx| {
            let threads: Vec<i64> = tx
                .prepare(CANDIDATES)?
                .query_map([cutoff], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let indexed_upto: i64 = tx.query_row(
                "SELECT indexed_upto FROM search_state WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            let mut report = PurgeReport::default();
            for &thread in &threads {
                // Out of the search index first (by id: the index keeps no text of its own).
                tx.execute(
                    "DELETE FROM messages_fts WHERE rowid IN
                         (SELECT id FROM messages WHERE thread_id = ?1 AND id <= ?2)",
                    params![thread, indexed_upto],
                )?;
                let pseudonym = format!("purged-{thread}@invalid");
                report.messages += tx.execute(
                    "UPDATE messages SET subject = ?2, body = ?2, from_name = NULL,
                            from_addr = CASE WHEN direction = 'in' THEN ?3 ELSE from_addr END,
                            to_addr = CASE WHEN direction = 'out' THEN ?3 ELSE to_addr END,
                            source = NULL
                     WHERE thread_id = ?1",
                    params![thread, REDACTED, pseudonym],
                )? as u64;
                tx.execute(
                    "UPDATE message_raw SET raw = ?2
                     WHERE message_id IN (SELECT id FROM messages WHERE thread_id = ?1)",
                    params![
                        thread,
                        format!("X-Sellerdesk-Purged: {at}\r\n\r\n{REDACTED}\r\n").into_bytes()
                    ],
                )?;
                tx.execute(
                    "UPDATE attachments SET filename = NULL
                     WHERE message_id IN (SELECT id FROM messages WHERE thread_id = ?1)",
                    [thread],
                )?;
                tx.execute(
                    "UPDATE threads SET subject = ?2, subject_key = '', buyer_name = NULL,
                            buyer_alias = CASE WHEN buyer_alias IS NULL THEN NULL ELSE ?3 END,
                            category_reason = NULL, purged_at = ?4
                     WHERE id = ?1",
                    params![thread, REDACTED, pseudonym, at],
                )?;
                tx.execute("DELETE FROM drafts WHERE thread_id = ?1", [thread])?;
                tx.execute(
                    "DELETE FROM draft_attachments WHERE thread_id = ?1",
                    [thread],
                )?;
                tx.execute("DELETE FROM takes WHERE thread_id = ?1", [thread])?;
                // Notes and reasons are free text; the kind of each event stays.
                tx.execute(
                    "UPDATE events SET detail = ?2 WHERE thread_id = ?1 AND detail <> ''",
                    params![thread, REDACTED],
                )?;
                tx.execute(
                    "UPDATE follow_ups SET case_id = NULL, outcome = CASE WHEN outcome IS NULL
                            THEN NULL ELSE ?2 END
                     WHERE thread_id = ?1",
                    params![thread, REDACTED],
                )?;
                tx.execute(
                    "UPDATE outbox SET last_error = NULL WHERE thread_id = ?1",
                    [thread],
                )?;
            }
            report.threads = threads.len() as u64;
            // Old segments would keep the words: merged into new ones without them.
            if !threads.is_empty() {
                tx.execute(
                    "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')",
                    [],
                )?;
            }
            // The account records keep what the metrics need (order, dates, rating, status)
            // and lose what names or quotes the buyer.
            report.feedback = tx.execute(
                &format!(
                    "UPDATE feedback SET comments = NULL, response = NULL, rater_email = NULL
                     WHERE {FEEDBACK_WITH_PII}"
                ),
                [cutoff],
            )? as u64;
            report.records = tx.execute(
                "UPDATE orders SET buyer_name = NULL
                 WHERE buyer_name IS NOT NULL
                   AND coalesce(delivered_at, purchased_at, 0) < ?1",
                [cutoff],
            )? as u64;
            report.records += tx.execute(
                "UPDATE cancellations SET reason = NULL
                 WHERE reason IS NOT NULL AND cancelled_at < ?1",
                [cutoff],
            )? as u64;
            report.records +=
                tx.execute("DELETE FROM pending_bounces WHERE at < ?1", [cutoff])? as u64;
            tx.execute(
                "INSERT INTO purges (at, cutoff, threads, messages) VALUES (?1, ?2, ?3, ?4)",
                params![at, cutoff, report.threads as i64, report.messages as i64],
            )?;
            if let Some(dir) = outbox {
                report.outbox_files = remove_outbox_files(dir, &threads);
            }
            Ok::<_, StoreError>(report)
        });
        let mut report = report?;
        // What was overwritten in the WAL goes too.
        self.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn().pragma_update(None, "secure_delete", false)?;
        report.backups_before = self.backups()?;
        Ok(report)
    }
}

/// The outbox folder's reply files of these threads (`...-t<thread>-...eml`), removed.
fn remove_outbox_files(dir: &Path, threads: &[i64]) -> u64 {
    let wanted: std::collections::HashSet<String> =
        threads.iter().map(|t| format!("-t{t}-")).collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".eml") {
            continue;
        }
        let of_thread = name
            .match_indices("-t")
            .filter_map(|(i, _)| {
                let rest = &name[i + 2..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                (!digits.is_empty() && rest[digits.len()..].starts_with('-'))
                    .then(|| format!("-t{digits}-"))
            })
            .any(|k| wanted.contains(&k));
        if of_thread && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
