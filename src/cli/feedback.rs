//! `sellerdesk feedback remove ORDER_ID [--at DATE]` and `feedback restore ORDER_ID`: feedback
//! Amazon removed stops counting from its removal (docs/amazon-rules.md §1a).

use std::io::Write;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

use super::Invocation;
use crate::domain::identifiers::is_order_id;

fn order(order_id: &str) -> Result<&str> {
    let id = order_id.trim();
    if !is_order_id(id) {
        bail!(
            "`{}` is not an order ID (3-7-7 digits)",
            crate::text::safe_text::line(id)
        );
    }
    Ok(id)
}

/// An RFC 3339 time, or a date or time as reports write them, in the config's time zone.
fn when(inv: &Invocation, text: Option<&str>) -> Result<DateTime<Utc>> {
    let Some(t) = text else {
        return Ok(inv.now);
    };
    crate::reports::dates::iso(t.trim(), inv.config.timezone).ok_or_else(|| {
        anyhow::anyhow!(
            "--at `{}` is not a date: use e.g. 2026-11-20 or 2026-11-20T09:00:00Z",
            crate::text::safe_text::line(t)
        )
    })
}

pub fn remove(inv: &Invocation, order_id: &str, at: Option<&str>) -> Result<u8> {
    let id = order(order_id)?;
    let at = when(inv, at)?;
    let mut store = inv.open_store()?;
    let Some((rating, _, _)) = store.feedback_of(id)? else {
        bail!("no feedback is stored for order {id}: import the feedback report first");
    };
    store.set_feedback_removed(id, Some(at))?;
    writeln!(
        crate::cli::out::stdout(),
        "feedback on {id} ({rating}★) removed as of {}: it no longer counts from then on",
        crate::text::time_fmt::local(at, inv.config.timezone)
    )?;
    Ok(0)
}

pub fn restore(inv: &Invocation, order_id: &str) -> Result<u8> {
    let id = order(order_id)?;
    let mut store = inv.open_store()?;
    let Some((rating, _, removed)) = store.feedback_of(id)? else {
        bail!("no feedback is stored for order {id}");
    };
    if removed.is_none() {
        writeln!(
            crate::cli::out::stdout(),
            "feedback on {id} ({rating}★) was not marked removed"
        )?;
        return Ok(0);
    }
    store.set_feedback_removed(id, None)?;
    writeln!(
        crate::cli::out::stdout(),
        "feedback on {id} ({rating}★) counts again"
    )?;
    Ok(0)
}
