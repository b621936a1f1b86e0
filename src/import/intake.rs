//! Live intake: the Maildirs of `[[mailbox]]` watched (inotify, through `notify`), each message
//! delivered into `new/` or `cur/` imported on this module's thread with its own connection,
//! and each import's counts reported. `sellerdesk watch` prints them; the app reloads its inbox.
//!
//! Idle when no mail arrives: only deliveries wake it (a file created, moved in, or closed
//! after writing), never a read — its own reads raise inotify events too. A message is known by
//! its Maildir unique name (before the `:2,` info), so a mail client moving it from `new/` to
//! `cur/` or changing its flags is not a new message and is not read again. Every few minutes
//! (and when inotify says it lost events) the folders are listed and only names never seen are
//! read.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher};

use crate::config::Config;
use crate::import::{ImportReport, import_paths};
use crate::store::Store;

/// Files arriving together are imported together: the first event waits this long for more.
const SETTLE: Duration = Duration::from_millis(300);

/// How often the folders are listed in case a delivery raised no event.
pub const RESCAN_EVERY: Duration = Duration::from_secs(300);

/// After an import the database refused (the disk full, the file locked too long), the mail
/// waiting in the Maildirs is tried again after this, then twice as long each time up to
/// [`RETRY_AT_MOST`]: it is imported soon after there is room, with no new delivery needed.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_AT_MOST: Duration = Duration::from_secs(60);

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

/// The name a Maildir message keeps for life: its file name up to the info part (`:2,S`),
/// which clients change when they move it to `cur/` or set a flag.
pub fn unique_name(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    Some(name.split_once(':').map_or(name, |(unique, _)| unique))
}

/// Where a message moved to since `path` was named: the file in its Maildir's `cur/` or `new/`
/// with the same unique name.
pub fn moved(path: &Path) -> Option<PathBuf> {
    let unique = unique_name(path)?;
    let maildir = path.parent()?.parent()?;
    ["cur", "new"].iter().find_map(|sub| {
        std::fs::read_dir(maildir.join(sub))
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p != path && unique_name(p) == Some(unique) && delivered(p))
    })
}

/// The messages in the mailboxes' `new/` and `cur/`, listed without being read.
fn listed(boxes: &[PathBuf]) -> Vec<PathBuf> {
    boxes
        .iter()
        .flat_map(|b| [b.join("new"), b.join("cur")])
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|e| e.ok())
        // The directory entry's own type: no stat of each of (maybe) 100,000 files.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .map(|e| e.path())
        .collect()
}

/// A delivery, not a read: a file created, moved in, or closed after being written. `None`
/// when inotify lost events and the folders must be listed.
fn delivery_paths(event: notify::Event) -> Option<Vec<PathBuf>> {
    if event.need_rescan() {
        return None;
    }
    let delivery = matches!(
        event.kind,
        EventKind::Create(CreateKind::File | CreateKind::Any)
            | EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any
            ))
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    );
    Some(if delivery { event.paths } else { Vec::new() })
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
        Intake::spawn_with(db, config, clock, RESCAN_EVERY)
    }

    /// The same, listing the folders every `rescan` in case a delivery raised no event.
    pub fn spawn_with(
        db: &Path,
        config: &Config,
        clock: impl Fn() -> DateTime<Utc> + Send + 'static,
        rescan: Duration,
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
                // Listed before the first import reads them: a name seen here is read by it,
                // and anything delivered later raises an event (watching has started).
                let mut intake = Loop {
                    store: &mut store,
                    config: &config,
                    boxes: &boxes,
                    seen: listed(&boxes)
                        .iter()
                        .filter_map(|p| unique_name(p).map(str::to_string))
                        .collect(),
                    retried: HashSet::new(),
                    report: &report,
                    clock: &clock,
                    rescan,
                    retry: None,
                };
                // What arrived while nothing was watching first (imports are idempotent).
                let at = clock();
                let first = import(intake.store, intake.config, &boxes, at);
                if first.is_err() {
                    // Nothing listed counts as read: the retry reads them all again.
                    intake.seen.clear();
                    intake.retry_later();
                }
                let sent = report.send(Arrival {
                    at,
                    catch_up: true,
                    report: first,
                });
                if sent.is_ok() {
                    intake.run(&deliveries);
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
        .map_err(|e| refused(store.path(), &e))
}

/// Why the database took no mail, said so a seller knows nothing is lost.
fn refused(db: &Path, e: &crate::store::StoreError) -> String {
    let full = matches!(
        e,
        crate::store::StoreError::Sqlite(sql)
            if sql.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
    );
    if full {
        format!(
            "no room on the disk for the database ({}): the new mail waits in the Maildir and \
             is imported once there is room",
            db.display()
        )
    } else {
        format!("{e} (the new mail waits in the Maildir; tried again shortly)")
    }
}

/// Imports `files`; one a mail client moved between the event and the read (from `new/` to
/// `cur/`, or a flag changed) is followed to where it is now, not counted as failed.
fn import_followed(
    store: &mut Store,
    config: &Config,
    files: &[PathBuf],
    at: DateTime<Utc>,
) -> Result<ImportReport, String> {
    let mut report = import(store, config, files, at)?;
    let mut followed = Vec::new();
    report.problems.retain(|p| {
        if p.path.exists() {
            return true;
        }
        match moved(&p.path) {
            Some(now_at) => {
                followed.push(now_at);
                false
            }
            None => true,
        }
    });
    if !followed.is_empty() {
        report.failed = report.failed.saturating_sub(followed.len() as u64);
        let again = import(store, config, &followed, at)?;
        report.files += again.files;
        report.imported += again.imported;
        report.duplicates += again.duplicates;
        report.flagged += again.flagged;
        report.failed += again.failed;
        report.problems.extend(again.problems);
    }
    Ok(report)
}

/// Adds what `event` delivered to `paths`; notes when events were lost.
fn take(event: notify::Result<notify::Event>, paths: &mut BTreeSet<PathBuf>, lost: &mut bool) {
    match event.map(delivery_paths) {
        Ok(Some(p)) => paths.extend(p),
        Ok(None) | Err(_) => *lost = true,
    }
}

struct Loop<'a> {
    store: &'a mut Store,
    config: &'a Config,
    boxes: &'a [PathBuf],
    /// Unique names of the messages read (or listed before the first import).
    seen: HashSet<String>,
    /// Names that could not be read once and were let through to be read again.
    retried: HashSet<String>,
    report: &'a Sender<Arrival>,
    clock: &'a dyn Fn() -> DateTime<Utc>,
    rescan: Duration,
    /// After a refused import: when to try again, and the wait after that.
    retry: Option<(Instant, Duration)>,
}

impl Loop<'_> {
    fn run(&mut self, deliveries: &Receiver<notify::Result<notify::Event>>) {
        let mut next_rescan = Instant::now() + self.rescan;
        loop {
            let due = match self.retry {
                Some((at, _)) => at.min(next_rescan),
                None => next_rescan,
            };
            let wait = due.saturating_duration_since(Instant::now());
            let first = match deliveries.recv_timeout(wait) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => {
                    if self.retry.is_none_or(|(at, _)| at > Instant::now()) {
                        next_rescan = Instant::now() + self.rescan;
                    }
                    if !self.import_new(listed(self.boxes)) {
                        return;
                    }
                    continue;
                }
                // The watcher was dropped: the owner is gone.
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
            let mut lost_events = false;
            take(first, &mut paths, &mut lost_events);
            if paths.is_empty() && !lost_events {
                // A read or a removal: nothing arrived, nothing to wait for.
                continue;
            }
            let settle = Instant::now() + SETTLE;
            while let Some(left) = settle.checked_duration_since(Instant::now()) {
                match deliveries.recv_timeout(left) {
                    Ok(e) => take(e, &mut paths, &mut lost_events),
                    Err(_) => break,
                }
            }
            let mut files: Vec<PathBuf> = paths.into_iter().filter(|p| delivered(p)).collect();
            if lost_events {
                next_rescan = Instant::now() + self.rescan;
                files.extend(listed(self.boxes));
            }
            if !self.import_new(files) {
                return;
            }
        }
    }

    /// Schedules the next try after a refused import, each wait twice the last.
    fn retry_later(&mut self) {
        let wait = match self.retry {
            Some((_, wait)) => wait,
            None => RETRY_FIRST,
        };
        self.retry = Some((Instant::now() + wait, (wait * 2).min(RETRY_AT_MOST)));
    }

    /// Imports the files whose unique name was never seen; `false` once nobody listens.
    fn import_new(&mut self, files: Vec<PathBuf>) -> bool {
        let mut fresh = Vec::new();
        for f in files {
            if let Some(name) = unique_name(&f)
                && self.seen.insert(name.to_string())
            {
                fresh.push(f);
            }
        }
        if fresh.is_empty() {
            return true;
        }
        let at = (self.clock)();
        let report = import_followed(self.store, self.config, &fresh, at);
        // What could not be read is read again at the next delivery or rescan — once: a file
        // written straight into new/ may have been read half-written; one that fails twice is
        // reported and left.
        match &report {
            Ok(r) => {
                self.retry = None;
                for name in r.problems.iter().filter_map(|p| unique_name(&p.path)) {
                    if self.retried.insert(name.to_string()) {
                        self.seen.remove(name);
                    }
                }
            }
            // The database refused them all (the disk full): none of them is at fault, every
            // one is read again at the retry, as often as it takes.
            Err(_) => {
                for name in fresh.iter().filter_map(|p| unique_name(p)) {
                    self.seen.remove(name);
                }
                self.retry_later();
            }
        }
        self.report
            .send(Arrival {
                at,
                catch_up: false,
                report,
            })
            .is_ok()
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

    #[test]
    fn a_message_moved_between_the_event_and_the_read_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let mail = "From: b@marketplace.amazon.com\r\nTo: s@example.test\r\n\
                    Message-ID: <moved@x>\r\nSubject: Hello\r\n\r\nWhere is it?\r\n";
        std::fs::write(dir.path().join("cur/1.host:2,S"), mail).unwrap();
        std::fs::write(dir.path().join("cur/2.host:2,S"), mail).unwrap();
        assert_eq!(unique_name(Path::new("cur/1.host:2,RS")), Some("1.host"));
        assert_eq!(
            moved(&dir.path().join("new/1.host")),
            Some(dir.path().join("cur/1.host:2,S"))
        );
        assert_eq!(moved(&dir.path().join("new/3.host")), None);

        let mut store = Store::open(&dir.path().join("x.db")).unwrap();
        let config = Config::default();
        let gone = [dir.path().join("new/1.host")];
        let report = import_followed(&mut store, &config, &gone, Utc::now()).unwrap();
        assert_eq!((report.imported, report.failed), (1, 0), "{report:?}");
        assert!(report.problems.is_empty());
        // Gone for good: still a failure, said so.
        let gone = [dir.path().join("new/3.host")];
        let report = import_followed(&mut store, &config, &gone, Utc::now()).unwrap();
        assert_eq!(report.failed, 1);
    }

    #[test]
    fn only_deliveries_wake_the_watcher() {
        use notify::event::{DataChange, ModifyKind as M};
        let event = |kind| notify::Event::new(kind).add_path("new/1.host".into());
        let woke = |kind| delivery_paths(event(kind)).map(|p| !p.is_empty());
        assert_eq!(woke(EventKind::Create(CreateKind::File)), Some(true));
        assert_eq!(woke(EventKind::Modify(M::Name(RenameMode::To))), Some(true));
        assert_eq!(
            woke(EventKind::Access(AccessKind::Close(AccessMode::Write))),
            Some(true)
        );
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Modify(M::Name(RenameMode::From)),
            EventKind::Modify(M::Data(DataChange::Any)),
            EventKind::Remove(notify::event::RemoveKind::File),
        ] {
            assert_eq!(woke(kind), Some(false), "{kind:?}");
        }
        let lost = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert_eq!(delivery_paths(lost), None);
    }
}
