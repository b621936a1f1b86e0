//! The status-bar lines the seller reads after an effect: said here, once, from the outcome.

use crate::domain::metrics::AccountMetrics;
use crate::store::marks::MarkKind;
use crate::text::safe_text;

use super::outcome::{AttachmentCheck, TemplateChange};

pub fn marked(kind: MarkKind) -> String {
    match kind {
        MarkKind::NoResponseNeeded => {
            "Marked \"no response needed\" · u undoes · b: check back later".into()
        }
        other => format!("Marked {}", other.as_str().replace('_', " ")),
    }
}

pub fn undone(kind: Option<MarkKind>) -> String {
    match kind {
        Some(kind) => format!("Undid {}", kind.as_str().replace('_', " ")),
        None => "Nothing to undo on this thread".into(),
    }
}

/// `now_removed`: the feedback's rating and whether it is now marked removed.
pub fn feedback(order: &str, now_removed: Option<(u8, bool)>) -> String {
    match now_removed {
        None => format!("No feedback stored for order {order}: import the feedback report first"),
        Some((rating, true)) => format!(
            "Feedback on {order} ({rating}★) marked removed: it no longer counts · F counts it again"
        ),
        Some((rating, false)) => format!("Feedback on {order} ({rating}★) counts again"),
    }
}

pub fn template(change: &TemplateChange) -> String {
    match change {
        TemplateChange::Duplicated => "Duplicated · R renames it".into(),
        TemplateChange::Deleted => "Template deleted".into(),
        TemplateChange::Saved(name) => format!("Saved \"{}\"", safe_text::line(name)),
    }
}

pub fn requeued(queued: usize, skipped: usize) -> String {
    if queued == 0 && skipped > 0 {
        "Not sent again: its delivery is unknown (open the thread, then R, to send it anyway)"
            .into()
    } else if queued == 0 {
        "Nothing to send again: no failed or unknown reply here".into()
    } else {
        let unknown = if skipped > 0 {
            format!(" ({skipped} with an unknown delivery left alone: open the thread, then R)")
        } else {
            String::new()
        };
        format!(
            "{queued} repl{} queued again{unknown}",
            if queued == 1 { "y" } else { "ies" }
        )
    }
}

/// "ODR is now at risk: 0.85%, 1 more defect before 1%" for the first metric whose status
/// changed.
pub fn status_change(before: &AccountMetrics, after: &AccountMetrics) -> Option<String> {
    before
        .rows()
        .into_iter()
        .zip(after.rows())
        .find(|((_, _, b), (_, _, a))| b.status != a.status)
        .map(|(_, (_, label, m))| {
            format!(
                "{label} is now {}: {}",
                m.status.as_str().replace('_', " "),
                crate::metrics::format::summary(m)
            )
        })
}

/// What the seller reads after the sender ran.
pub fn delivered(s: &crate::delivery::Summary) -> String {
    let mut parts = Vec::new();
    let plural = |n: u32| if n == 1 { "y" } else { "ies" };
    if s.sent > 0 {
        parts.push(format!("{} repl{} delivered", s.sent, plural(s.sent)));
    }
    if s.retry_later > 0 {
        parts.push(format!(
            "{} not delivered yet (retried automatically)",
            s.retry_later
        ));
    }
    if s.failed > 0 {
        parts.push(format!("{} refused: the clock runs again", s.failed));
    }
    if s.unknown > 0 {
        parts.push(format!(
            "{} with unknown delivery: R sends again",
            s.unknown
        ));
    }
    parts.join(" · ")
}

/// What the seller reads after pressing send.
pub fn sent(sent: &crate::reply::Sent) -> String {
    use crate::delivery::Attempt;
    match (&sent.delivered, sent.path()) {
        (Some(Attempt::Sent(_)), Some(path)) => format!(
            "Reply written to the outbox: {} · b: check back later",
            path.file_name()
                .map(|f| safe_text::line(&f.to_string_lossy()).into_owned())
                .unwrap_or_default()
        ),
        (Some(Attempt::Sent(_)), None) => "Reply sent · b: check back later".into(),
        (Some(other), _) => format!("Reply recorded · {}", other.describe()),
        (None, _) => "Reply queued: sending in the background · b: check back later".into(),
    }
}

/// A reply's file as the composer lists it; a file gone or grown too big says so.
pub fn attachment((name, size): &AttachmentCheck) -> String {
    let name = safe_text::line(name);
    match size {
        Ok(size) => format!("{name} ({})", human_size(*size)),
        Err(e) => format!("{name} ✗ {e}"),
    }
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{} KB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}
