//! `sellerdesk demo`: the demo inbox in a temporary database with the demo's own settings —
//! the app on a terminal, the status otherwise (or with `--json`).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::status::{StatusReport, print};
use crate::demo::{build, demo_config};

pub fn run(now: DateTime<Utc>, json: bool) -> Result<u8> {
    let dir = tempfile::Builder::new()
        .prefix("sellerdesk-demo-")
        .tempdir()?;
    let (store, _) = build(&dir.path().join("demo.db"), now)?;
    let mut config = demo_config();
    // Replies sent in the demo go to its own temporary outbox, never the seller's.
    config.outbox = Some(dir.path().join("outbox"));
    if !json && super::interactive() {
        crate::tui::run(store, config, now)?;
        return Ok(0);
    }
    let report = StatusReport::build(&store, &config, now, None)?;
    print(&report, &config, json)?;
    if !json {
        outln!(
            "\n(demo inbox: {} threads in a temporary database, removed on exit)",
            store.count(crate::store::health::Table::Threads)?
        );
    }
    Ok(0)
}
