//! `sellerdesk demo`
use anyhow::Result;
use chrono::{DateTime, Utc};
pub fn run(_now: DateTime<Utc>, _json: bool) -> Result<u8> {
    Ok(0)
}
