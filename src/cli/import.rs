//! `sellerdesk import PATH...`

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Invocation;
use crate::import::{import_paths, import_paths_indexed};
use crate::text::safe_text;

pub fn run(inv: &Invocation, paths: &[PathBuf], json: bool, defer_index: bool) -> Result<u8> {
    let mut store = inv.create_store()?;
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} importing [{bar:30}] {binary_bytes}/{binary_total_bytes} · {binary_bytes_per_sec} · eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    // The search index is built alongside unless deferred (then `sellerdesk index` or the
    // app's worker catches up).
    let started = std::time::Instant::now();
    let (report, indexed) = if defer_index {
        (
            import_paths(&mut store, &inv.config, paths, inv.now, &progress)?,
            0,
        )
    } else {
        import_paths_indexed(&mut store, &inv.config, paths, inv.now, &progress)?
    };
    let index_time = started.elapsed();

    for p in &report.problems {
        errln!(
            "sellerdesk: {}: {}",
            safe_text::line(&p.path.display().to_string()),
            p.message
        );
    }
    if json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        outln!(
            "files {} · imported {} · duplicates {} · flagged {} · failed {}",
            report.files,
            report.imported,
            report.duplicates,
            report.flagged,
            report.failed
        );
        if report.skipped > 0 {
            outln!("skipped {} files that are not e-mail", report.skipped);
        }
        if indexed > 0 {
            outln!(
                "indexed for search: {indexed} messages (import and index together {:.2} s)",
                index_time.as_secs_f64()
            );
        }
        outln!("database: {}", safe_text::path(store.path()));
    }
    Ok(if report.failed > 0 { 1 } else { 0 })
}

/// `sellerdesk index`: the search index brought up to date; prints how many and how long.
pub fn index(inv: &Invocation) -> Result<u8> {
    let mut store = inv.open_store()?;
    let started = std::time::Instant::now();
    let n = store.index_all_messages()?;
    outln!(
        "indexed for search: {n} messages in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
