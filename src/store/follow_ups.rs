//! Things to come back to on a thread: escalations (a case opened with Seller Support, by e-mail
//! or elsewhere, with a follow-up time, default 48 h) and "check back" reminders set when a
//! thread is resolved. Each is logged on the thread's timeline; due ones join the startup alert,
//! the panel and `status`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, from_secs, to_secs};
use crate::text::time_fmt::serialize_rfc3339;

/// How long after escalating the seller follows up, unless told otherwise (docs/amazon-rules.md §11).
pub const ESCALATION_FOLLOW_UP: Duration = Duration::hours(48);
/// A "check back" reminder's default distance.
pub const CHECK_BACK: Duration = Duration::days(3);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationChannel {
    SellerSupport,
    Email,
    Other,
}

impl EscalationChannel {
    pub const ALL: [EscalationChannel; 3] = [
        EscalationChannel::SellerSupport,
        EscalationChannel::Email,
        EscalationChannel::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EscalationChannel::SellerSupport => "seller_support",
            EscalationChannel::Email => "email",
            EscalationChannel::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EscalationChannel::SellerSupport => "Seller Support case",
            EscalationChannel::Email => "e-mail",
            EscalationChannel::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<EscalationChannel> {
        EscalationChannel::ALL.into_iter().find(|c| c.key() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    Escalation,
    CheckBack,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub id: i64,
    pub thread_id: i64,
    pub kind: FollowUpKind,
    pub channel: Option<EscalationChannel>,
    pub case_id: Option<String>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub due_at: DateTime<Utc>,
    /// The thread's buyer and subject, for lists.
    pub buyer: Option<String>,
    pub subject: String,
}

impl FollowUp {
    /// `Seller Support case 1234`, `check back`.
    pub fn describe(&self) -> String {
        match self.kind {
            FollowUpKind::CheckBack => "check back".into(),
            FollowUpKind::Escalation => {
                let channel = self.channel.map_or("escalation", EscalationChannel::label);
                match &self.case_id {
                    Some(id) => format!("{channel} {id}"),
                    None => channel.to_string(),
                }
            }
        }
    }
}

const COLUMNS: &str = "f.id, f.thread_id, f.kind, f.channel, f.case_id, f.due_at,
    coalesce(t.buyer_name, t.buyer_alias), t.subject";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FollowUp> {
    let kind: String = r.get(2)?;
    let channel: Option<String> = r.get(3)?;
    Ok(FollowUp {
        id: r.get(0)?,
        thread_id: r.get(1)?,
        kind: if kind == "escalation" {
            FollowUpKind::Escalation
        } else {
            FollowUpKind::CheckBack
        },
        channel: channel.as_deref().and_then(EscalationChannel::parse),
        case_id: r.get(4)?,
        due_at: from_secs(r.get(5)?),
        buyer: super::lossy::opt_text(r, 6)?,
        subject: super::lossy::text(r, 7)?,
    })
}

/// Case IDs and outcomes are one line of reasonable length.
fn one_line(text: &str, max: usize) -> Option<String> {
    let t: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect();
    (!t.is_empty()).then_some(t)
}

impl Store {
    /// Escalates a thread: a case with `channel` (and its ID), followed up at `follow_up_at`
    /// (logged in the seller's zone `tz`).
    pub fn escalate(
        &mut self,
        thread_id: i64,
        channel: EscalationChannel,
        case_id: &str,
        follow_up_at: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<i64, StoreError> {
        let case_id = one_line(case_id, 200);
        let follow_up = crate::text::time_fmt::local(follow_up_at, tz);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO follow_ups (thread_id, kind, channel, case_id, created_at, due_at)
                 VALUES (?1, 'escalation', ?2, ?3, ?4, ?5)",
                params![
                    thread_id,
                    channel.key(),
                    case_id,
                    to_secs(now),
                    to_secs(follow_up_at)
                ],
            )?;
            let id = tx.last_insert_rowid();
            let detail = match &case_id {
                Some(c) => format!("{} {c}, follow up {follow_up}", channel.label()),
                None => format!("{}, follow up {follow_up}", channel.label()),
            };
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'escalated', ?3)",
                params![thread_id, to_secs(now), detail],
            )?;
            Ok(id)
        })
    }

    /// A reminder to check back on a resolved thread at `due_at`.
    pub fn check_back(
        &mut self,
        thread_id: i64,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<i64, StoreError> {
        let when = crate::text::time_fmt::local(due_at, tz);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO follow_ups (thread_id, kind, created_at, due_at)
                 VALUES (?1, 'check_back', ?2, ?3)",
                params![thread_id, to_secs(now), to_secs(due_at)],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail)
                 VALUES (?1, ?2, 'reminder', ?3)",
                params![thread_id, to_secs(now), format!("check back {when}")],
            )?;
            Ok(id)
        })
    }

    /// Closes the thread's open follow-up that is due first, recording `outcome`. `None` when
    /// the thread has none open.
    pub fn close_follow_up(
        &mut self,
        thread_id: i64,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowUp>, StoreError> {
        let outcome = one_line(outcome, 500);
        self.write(|tx| {
            let open: Option<FollowUp> = tx
                .query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM follow_ups f JOIN threads t ON t.id = f.thread_id
                         WHERE f.thread_id = ?1 AND f.closed_at IS NULL
                         ORDER BY f.due_at, f.id LIMIT 1"
                    ),
                    [thread_id],
                    row,
                )
                .optional()?;
            let Some(f) = open else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE follow_ups SET closed_at = ?2, outcome = ?3 WHERE id = ?1",
                params![f.id, to_secs(now), outcome],
            )?;
            let detail = match &outcome {
                Some(o) => format!("{}: {o}", f.describe()),
                None => f.describe(),
            };
            tx.execute(
                "INSERT INTO events (thread_id, at, kind, detail) VALUES (?1, ?2, 'followed up', ?3)",
                params![thread_id, to_secs(now), detail],
            )?;
            Ok(Some(f))
        })
    }

    /// Open follow-ups due at `now`, oldest first.
    pub fn due_follow_ups(&self, now: DateTime<Utc>) -> Result<Vec<FollowUp>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM follow_ups f INDEXED BY follow_ups_open
                 JOIN threads t ON t.id = f.thread_id
                 WHERE f.closed_at IS NULL AND f.due_at <= ?1
                 ORDER BY f.due_at, f.id"
            ))?
            .query_map([to_secs(now)], row)?
            .collect::<Result<_, _>>()?)
    }

    /// A thread's open follow-ups, due first.
    pub fn open_follow_ups(&self, thread_id: i64) -> Result<Vec<FollowUp>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM follow_ups f JOIN threads t ON t.id = f.thread_id
                 WHERE f.thread_id = ?1 AND f.closed_at IS NULL ORDER BY f.due_at, f.id"
            ))?
            .query_map([thread_id], row)?
            .collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn escalations_and_reminders_fall_due_and_close_with_an_outcome() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        // The demo escalated Bob Wilson's thread 49 h ago: its follow-up is due now.
        let demo_due = store.due_follow_ups(now).unwrap();
        assert_eq!(demo_due.len(), 1);
        assert_eq!(demo_due[0].buyer.as_deref(), Some("Bob Wilson"));
        let bob: i64 = store
            .conn()
            .query_row(
                "SELECT id FROM threads WHERE buyer_name = 'Karin Schulz'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        store
            .escalate(
                bob,
                EscalationChannel::SellerSupport,
                "  1234 5678 ",
                now + ESCALATION_FOLLOW_UP,
                now,
                Tz::UTC,
            )
            .unwrap();
        store
            .check_back(bob, now + CHECK_BACK, now, Tz::UTC)
            .unwrap();
        let mine = |at| -> Vec<FollowUp> {
            store
                .due_follow_ups(at)
                .unwrap()
                .into_iter()
                .filter(|f| f.thread_id == bob)
                .collect()
        };
        assert!(mine(now).is_empty());
        let due = mine(now + Duration::hours(48));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].describe(), "Seller Support case 1234 5678");
        assert_eq!(due[0].buyer.as_deref(), Some("Karin Schulz"));
        assert_eq!(mine(now + CHECK_BACK).len(), 2);

        let closed = store
            .close_follow_up(bob, "Refund granted by Amazon", now + Duration::hours(50))
            .unwrap()
            .unwrap();
        assert_eq!(closed.kind, FollowUpKind::Escalation);
        let open = store.open_follow_ups(bob).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].kind, FollowUpKind::CheckBack);
        store.close_follow_up(bob, "", now + CHECK_BACK).unwrap();
        assert!(store.close_follow_up(bob, "x", now).unwrap().is_none());

        let t = store.thread_detail(bob).unwrap().unwrap();
        let log: Vec<(&str, &str)> = t
            .timeline
            .iter()
            .filter(|e| ["escalated", "reminder", "followed up"].contains(&e.kind.as_str()))
            .map(|e| (e.kind.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            log,
            [
                (
                    "escalated",
                    "Seller Support case 1234 5678, follow up Tue 24 Nov 12:00 UTC"
                ),
                ("reminder", "check back Wed 25 Nov 12:00 UTC"),
                (
                    "followed up",
                    "Seller Support case 1234 5678: Refund granted by Amazon"
                ),
                ("followed up", "check back"),
            ]
        );
    }
}
