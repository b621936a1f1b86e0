//! `sellerdesk backup FILE` and `sellerdesk restore FILE`.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::Invocation;

pub fn backup(inv: &Invocation, target: &Path, json: bool) -> Result<u8> {
    let mut store = inv.open_store()?;
    let size = store.backup_to(target, inv.now)?;
    let mut out = crate::cli::out::stdout();
    if json {
        let doc = serde_json::json!({
            "path": std::path::absolute(target)?.display().to_string(),
            "size": size,
        });
        writeln!(
            out,
            "{}",
            crate::text::safe_text::json(serde_json::to_string(&doc)?)
        )?;
    } else {
        writeln!(
            out,
            "backed up to {} ({size} bytes)",
            crate::text::safe_text::path(target)
        )?;
    }
    Ok(0)
}

pub fn restore(inv: &Invocation, from: &Path) -> Result<u8> {
    let db = inv.db_path()?;
    let kept = crate::store::backup::restore(&db, from, inv.now)?;
    writeln!(
        crate::cli::out::stdout(),
        "restored {} from {}; the database as it was is kept as {}",
        crate::text::safe_text::path(&db),
        crate::text::safe_text::path(from),
        crate::text::safe_text::path(&kept)
    )?;
    Ok(0)
}
