//! `sellerdesk demo`: the demo inbox with the demo's own settings — in a temporary database,
//! or with `--db PATH` in PATH, kept to come back to — the app on a terminal, the status
//! otherwise (or with `--json`).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

use super::status::{StatusReport, print};
use crate::demo::{build, demo_config, is_demo};
use crate::store::Store;

/// `db`: the `--db` given on the command line (never `SELLERDESK_DB` or the config's: the
/// demo does not touch the seller's own database).
pub fn run(now: DateTime<Utc>, json: bool, db: Option<&Path>) -> Result<u8> {
    let temporary;
    let (store, outbox, kept) = match db {
        Some(path) => (open_or_build(path, now)?, outbox_beside(path), Some(path)),
        None => {
            temporary = tempfile::Builder::new()
                .prefix("sellerdesk-demo-")
                .tempdir()?;
            let (store, _) = build(&temporary.path().join("demo.db"), now)?;
            (store, temporary.path().join("outbox"), None)
        }
    };
    let mut config = demo_config();
    // Replies sent in the demo go to its own outbox, never the seller's.
    config.outbox = Some(outbox);
    if !json && super::interactive() {
        crate::tui::run(store, config, now)?;
        return Ok(0);
    }
    let report = StatusReport::build(&store, &config, now, None)?;
    print(&report, &config, json)?;
    if !json {
        let threads = store.count(crate::store::health::Table::Threads)?;
        match kept {
            Some(path) => outln!(
                "\n(demo inbox: {threads} threads in {}, kept)",
                crate::text::safe_text::line(&path.display().to_string())
            ),
            None => {
                outln!("\n(demo inbox: {threads} threads in a temporary database, removed on exit)")
            }
        }
    }
    Ok(0)
}

/// The demo database at `path`: built when nothing is there, opened again when it holds the
/// demo, refused (untouched) when it holds anything else.
fn open_or_build(path: &Path, now: DateTime<Utc>) -> Result<Store> {
    if !path.exists() {
        return Ok(build(path, now)?.0);
    }
    let store = Store::open_existing(path)?;
    if !is_demo(&store)? {
        bail!(
            "{}: not a demo database; the demo never writes into another database (choose a new path)",
            path.display()
        );
    }
    Ok(store)
}

/// `PATH`'s outbox: a folder beside it, `<name>-outbox`.
fn outbox_beside(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo".into());
    path.with_file_name(format!("{stem}-outbox"))
}
