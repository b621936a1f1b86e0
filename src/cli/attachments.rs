//! `sellerdesk attachments THREAD [--save DIR] [--json]`: the files buyers sent on a thread,
//! listed, or saved into a folder (never over an existing file).

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Invocation;
use crate::text::safe_text;

#[derive(Serialize)]
struct FileJson {
    filename: Option<String>,
    content_type: Option<String>,
    size: usize,
    saved_to: Option<String>,
}

pub fn run(inv: &Invocation, thread: i64, save: Option<&Path>, json: bool) -> Result<u8> {
    let store = inv.open_store()?;
    if store.thread_detail(thread)?.is_none() {
        bail!("there is no thread {thread}");
    }
    let files = store.thread_attachments(thread)?;
    let saved = match save {
        Some(dir) => crate::reply::attachments::save_all(&files, dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?,
        None => Vec::new(),
    };
    let mut out = crate::cli::out::stdout();
    if json {
        let rows: Vec<FileJson> = files
            .iter()
            .enumerate()
            .map(|(i, f)| FileJson {
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                size: f.bytes.len(),
                saved_to: saved.get(i).map(|p| p.display().to_string()),
            })
            .collect();
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&rows)?))?;
        return Ok(0);
    }
    if files.is_empty() {
        writeln!(out, "thread {thread} has no attachments")?;
    }
    for (i, f) in files.iter().enumerate() {
        write!(
            out,
            "{}  {}  {} bytes",
            safe_text::line(f.filename.as_deref().unwrap_or("(unnamed)")),
            safe_text::line(f.content_type.as_deref().unwrap_or("unknown type")),
            f.bytes.len()
        )?;
        match saved.get(i) {
            Some(p) => writeln!(out, "  → {}", safe_text::line(&p.display().to_string()))?,
            None => writeln!(out)?,
        }
    }
    Ok(0)
}
