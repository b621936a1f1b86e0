//! Live intake: the Maildirs of `[[mailbox]]` watched (inotify, through `notify`), each message
//! delivered into `new/` or `cur/` imported on this module's thread with its own connection,
//! and each import's counts reported. `sellerdesk watch` prints them; the app reloads its inbox.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use notify::{RecursiveMode, Watcher};

use crate::config::Config;
use crate::import::{ImportReport, import_paths};
use crate::store::Store;

/// Files arriving together are imported together: the first event waits this long for more.
const SETTLE: Duration = Duration::from_millis(300);

/// What one import did (or why it failed).
#[derive(Debug)]
pub struct Arrival {
    pub at: DateTime<Utc>,
    /// The first import: what was in the mailboxes already.
    pub catch_up: bool,
    pub report: Result<ImportReport, String>,
}

/// A message file delivered into a Maildir (`new/` or `cur/`; `tmp/` holds deliveries in
/// progress and dot files are not mail).
pub fn delivered(path: &Path) -> bool {
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

/// The configured mailboxes, each checked to be a Maildir.
pub fn check_mailboxes(config: &Config) -> Result<&[PathBuf], String> {
    let boxes = &config.mailboxes;
    if boxes.is_empty() {
        return Err(
            "no mailbox to watch: add a [[mailbox]] with the path of a Maildir to the config"
                .into(),
        );
    }
    for b in boxes {
        if !b.join("new").is_dir() || !b.join("cur").is_dir() {
            return Err(format!(
                "{} is not a Maildir (it needs new/ and cur/ folders)",
                b.display()
            ));
        }
    }
    Ok(boxes)
}

/// Watching and importing, on a thread of its own. Dropping it stops the thread.
pub struct Intake {
    pub arrivals: Receiver<Arrival>,
    _watcher: notify::RecommendedWatcher,
}

impl Intake {
    /// Starts watching `config`'s mailboxes and importing into `db`; `clock` gives the time
    /// each import runs at. Errors when a mailbox cannot be watched.
    pub fn spawn(
        db: &Path,
        config: &Config,
        clock: impl Fn() -> DateTime<Utc> + Send + 'static,
    ) -> Result<Intake, String> {
        let boxes = check_mailboxes(config)?.to_vec();
        let (events, deliveries) = channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(events).map_err(|e| e.to_string())?;
        for b in &boxes {
            for sub in ["new", "cur"] {
                watcher
                    .watch(&b.join(sub), RecursiveMode::NonRecursive)
                    .map_err(|e| format!("cannot watch {}: {e}", b.join(sub).display()))?;
            }
        }
        let mut store = Store::open(db).map_err(|e| e.to_string())?;
        let config = config.clone();
        let (report, arrivals) = channel::<Arrival>();
        std::thread::Builder::new()
            .name("sellerdesk-intake".into())
            .spawn(move || {
                // What arrived while nothing was watching first (imports are idempotent);
                // watching had started, so nothing delivered meanwhile is missed.
                let at = clock();
                let first = import(&mut store, &config, &boxes, at);
                let sent = report.send(Arrival {
                    at,
                    catch_up: true,
                    report: first,
                });
                if sent.is_ok() {
                    intake_loop(&mut store, &config, &deliveries, &report, &clock);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Intake {
            arrivals,
            _watcher: watcher,
        })
    }
}

fn import(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    at: DateTime<Utc>,
) -> Result<ImportReport, String> {
    import_paths(store, config, paths, at, &indicatif::ProgressBar::hidden())
        .and_then(|r| store.index_all_messages().map(|_| r))
        .map_err(|e| e.to_string())
}

fn intake_loop(
    store: &mut Store,
    config: &Config,
    deliveries: &Receiver<notify::Result<notify::Event>>,
    report: &Sender<Arrival>,
    clock: &dyn Fn() -> DateTime<Utc>,
) {
    loop {
        let first = match deliveries.recv_timeout(Duration::from_millis(500)) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => continue,
            // The watcher was dropped: the owner is gone.
            Err(RecvTimeoutError::Disconnected) => return,
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
            match deliveries.recv_timeout(left) {
                Ok(e) => add(e),
                Err(_) => break,
            }
        }
        if paths.is_empty() {
            continue;
        }
        let files: Vec<PathBuf> = paths.into_iter().collect();
        let at = clock();
        let arrival = Arrival {
            at,
            catch_up: false,
            report: import(store, config, &files, at),
        };
        if report.send(arrival).is_err() {
            return;
        }
    }
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
