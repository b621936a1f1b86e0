//! A thread written out as evidence for an A-to-z claim or a Seller Support case: its buyer and
//! order (dates, product, what counts against the account), every message with its time and
//! sender, the timeline with the seller's notes, follow-ups and the delivery of each reply.
//! Buyer text is made safe (no control reaches a terminal or a viewer); a file is written new,
//! never over another.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::store::thread::ThreadDetail;
use crate::text::safe_text::{block, line};
use crate::text::time_fmt::local;

/// How the thread is written: Markdown (headings, quoted messages) or plain text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[value(name = "md")]
    Markdown,
    #[value(name = "txt")]
    Text,
}

/// The thread as a document, exported at `now`.
pub fn thread(t: &ThreadDetail, format: Format, tz: Tz, now: DateTime<Utc>) -> String {
    let md = format == Format::Markdown;
    let mut out = String::new();
    let heading = |out: &mut String, level: usize, text: &str| {
        if md {
            out.push_str(&format!("{} {text}\n\n", "#".repeat(level)));
        } else {
            let rule = match level {
                1 => "=",
                2 => "-",
                _ => "",
            };
            let width = unicode_width::UnicodeWidthStr::width(text).min(72);
            out.push_str(&format!("{text}\n{}\n", rule.repeat(width)));
            if !rule.is_empty() {
                out.push('\n');
            }
        }
    };
    let item = |out: &mut String, label: &str, value: &str| {
        if md {
            out.push_str(&format!("- **{label}:** {value}\n"));
        } else {
            out.push_str(&format!("{label}: {value}\n"));
        }
    };
    heading(
        &mut out,
        1,
        &format!("Thread {}: {}", t.row.id, line(&t.row.subject)),
    );
    let buyer = match (&t.row.buyer_name, &t.row.buyer_alias) {
        (Some(n), Some(a)) => format!("{} ({})", line(n), line(a)),
        (Some(n), None) => line(n).into_owned(),
        (None, Some(a)) => line(a).into_owned(),
        (None, None) => "unknown".into(),
    };
    item(&mut out, "Buyer", &buyer);
    item(
        &mut out,
        "Order",
        &t.row
            .order_id
            .as_deref()
            .map(|o| line(o).into_owned())
            .unwrap_or_else(|| "none named".into()),
    );
    if let Some(m) = &t.marketplace {
        item(&mut out, "Marketplace", &line(m));
    }
    if !t.asins.is_empty() {
        item(&mut out, "ASIN", &line(&t.asins.join(", ")));
    }
    if let Some(o) = &t.order {
        if let Some(p) = &o.product {
            item(&mut out, "Product", &line(p));
        }
        if let Some(d) = o.purchased_at {
            item(&mut out, "Purchased", &local(d, tz));
        }
        if let Some(d) = o.latest_ship_at {
            item(&mut out, "Ship by", &local(d, tz));
        }
        if let Some(d) = o.shipped_at {
            item(&mut out, "Shipped", &local(d, tz));
        }
        item(
            &mut out,
            "Fulfilled by",
            if o.merchant { "the seller" } else { "Amazon" },
        );
        if !o.defects.is_empty() {
            item(
                &mut out,
                "Counts against the account",
                &line(&o.defects.join("; ")),
            );
        }
    }
    if let Some(c) = &t.category {
        item(&mut out, "Complaint kind", c.category.label());
    }
    let clock = match t.row.clock_start {
        Some(start) => format!(
            "running since {} ({})",
            local(start, tz),
            crate::text::time_fmt::countdown(crate::domain::clock::Clock { start }.remaining(now))
        ),
        None => "no reply owed".into(),
    };
    item(&mut out, "Response clock", &clock);
    out.push('\n');

    heading(&mut out, 2, &format!("Messages ({})", t.messages.len()));
    for m in &t.messages {
        let who = match m.role.as_str() {
            "buyer" => "Buyer",
            "seller" => "Seller",
            "auto" => "Automatic reply",
            "amazon" => "Amazon",
            _ if m.direction == "out" => "Seller",
            _ => "Message",
        };
        let from = match (&m.from_name, &m.from_addr) {
            (Some(n), Some(a)) => format!("{} <{}>", line(n), line(a)),
            (None, Some(a)) => line(a).into_owned(),
            (Some(n), None) => line(n).into_owned(),
            (None, None) => String::new(),
        };
        let title = format!(
            "{} · {who}{}",
            local(m.sent_at, tz),
            if from.is_empty() {
                String::new()
            } else {
                format!(" · {from}")
            }
        );
        heading(&mut out, 3, &title);
        item(&mut out, "Subject", &line(&m.subject));
        if !m.attachments.is_empty() {
            item(&mut out, "Attachments", &line(&m.attachments.join(", ")));
        }
        out.push('\n');
        for text in block(m.body.trim_end()).lines() {
            if md {
                out.push_str("> ");
            } else {
                out.push_str("    ");
            }
            out.push_str(text);
            out.push('\n');
        }
        out.push('\n');
    }

    heading(&mut out, 2, "Timeline");
    for e in &t.timeline {
        let detail = if e.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", line(&e.detail))
        };
        let entry = format!("{} · {}{detail}", local(e.at, tz), line(&e.kind));
        if md {
            out.push_str(&format!("- {entry}\n"));
        } else {
            out.push_str(&format!("{entry}\n"));
        }
    }
    out.push('\n');
    if !t.follow_ups.is_empty() {
        heading(&mut out, 2, "Follow-ups");
        for f in &t.follow_ups {
            let entry = format!("{}, due {}", line(&f.describe()), local(f.due_at, tz));
            out.push_str(&if md {
                format!("- {entry}\n")
            } else {
                format!("{entry}\n")
            });
        }
        out.push('\n');
    }
    if !t.outbox.is_empty() {
        heading(&mut out, 2, "Replies' delivery");
        for o in &t.outbox {
            let when = o
                .sent_at
                .map(|s| format!(", delivered {}", local(s, tz)))
                .unwrap_or_default();
            let entry = format!(
                "queued {} · {}{when}{}",
                local(o.queued_at, tz),
                o.state.key(),
                o.last_error
                    .as_deref()
                    .map(|e| format!(" · {}", line(e)))
                    .unwrap_or_default()
            );
            out.push_str(&if md {
                format!("- {entry}\n")
            } else {
                format!("{entry}\n")
            });
        }
        out.push('\n');
    }
    out.push_str(&format!("Exported by sellerdesk {}.\n", local(now, tz)));
    out
}

/// Writes `text` to a new file at `path` (owner-only), never over an existing one.
pub fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
