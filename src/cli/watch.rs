//! `sellerdesk watch`: imports mail as it arrives in the configured Maildirs (`[[mailbox]]`),
//! without the app — for a server or a tmux pane. Runs until SIGINT or SIGTERM.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use notify::{RecursiveMode, Watcher};

use super::Invocation;
use crate::import::import_paths;
use crate::safe_text;

/// Files arriving together are imported together: the first event waits this long for more.
const SETTLE: Duration = Duration::from_millis(300);

/// A message file delivered into a Maildir (`new/` or `cur/`; `tmp/` holds deliveries in
/// progress and dot files are not mail).
fn delivered(path: &Path) -> bool {
    let in_box = path
        .parent()
        .and_then(|d| d.file_name())
        .is_some_and(|d| d == "new" || d == "cur");
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    in_box && !hidden && path.is_file()
}

pub fn run(inv: &Invocation) -> Result<u8> {
    let boxes = &inv.config.mailboxes;
    if boxes.is_empty() {
        bail!("no mailbox to watch: add a [[mailbox]] with the path of a Maildir to the config");
    }
    for b in boxes {
        if !b.join("new").is_dir() || !b.join("cur").is_dir() {
            bail!(
                "{} is not a Maildir (it needs new/ and cur/ folders)",
                b.display()
            );
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let mut store = inv.open_store()?;
    let (events, arrivals) = channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(events)?;
    for b in boxes {
        for sub in ["new", "cur"] {
            watcher
                .watch(&b.join(sub), RecursiveMode::NonRecursive)
                .with_context(|| format!("cannot watch {}", b.join(sub).display()))?;
        }
    }
    // What arrived while nothing was watching first (imports are idempotent).
    let report = import_paths(
        &mut store,
        &inv.config,
        boxes,
        inv.now,
        &indicatif::ProgressBar::hidden(),
    )?;
    store.index_all_messages()?;
    println!(
        "watching {} mailbox{} · caught up: imported {} · duplicates {}",
        boxes.len(),
        if boxes.len() == 1 { "" } else { "es" },
        report.imported,
        report.duplicates
    );
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let first = match arrivals.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
        let mut add = |e: notify::Result<notify::Event>| {
            if let Ok(e) = e {
                paths.extend(e.paths.into_iter().filter(|p| delivered(p)));
            }
        };
        add(first);
        let settle = Instant::now() + SETTLE;
        while let Some(left) = settle.checked_duration_since(Instant::now()) {
            match arrivals.recv_timeout(left) {
                Ok(e) => add(e),
                Err(_) => break,
            }
        }
        if paths.is_empty() {
            continue;
        }
        let files: Vec<PathBuf> = paths.into_iter().collect();
        // Time runs on from --now, as in the app.
        let now = inv.now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let report = import_paths(
            &mut store,
            &inv.config,
            &files,
            now,
            &indicatif::ProgressBar::hidden(),
        )?;
        store.index_all_messages()?;
        for p in &report.problems {
            eprintln!(
                "sellerdesk: {}: {}",
                safe_text::line(&p.path.display().to_string()),
                p.message
            );
        }
        if report.imported > 0 || report.failed > 0 {
            println!(
                "{} · imported {} · duplicates {} · flagged {} · failed {}",
                crate::time_fmt::local(now, inv.config.timezone),
                report.imported,
                report.duplicates,
                report.flagged,
                report.failed
            );
        }
    }
    drop(watcher);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_delivered_messages_count() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
            std::fs::write(dir.path().join(sub).join("1.host"), "x").unwrap();
        }
        std::fs::write(dir.path().join("new/.hidden"), "x").unwrap();
        assert!(delivered(&dir.path().join("new/1.host")));
        assert!(delivered(&dir.path().join("cur/1.host")));
        assert!(!delivered(&dir.path().join("tmp/1.host")));
        assert!(!delivered(&dir.path().join("new/.hidden")));
        assert!(!delivered(&dir.path().join("new/gone")));
    }
}
