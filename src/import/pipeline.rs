//! Reading and parsing for an import, off the writer's thread.
//!
//! A walker finds the files, a reader splits them into raw messages (and parses reports, which
//! are small), and a pool of parsers turns chunks of raw messages into mail. The writer gets
//! the chunks in the order they were read, so an import stores the same rows in the same order
//! however the parsers were scheduled. Parsing is most of the reading side's work: with one
//! parser the writer waited for mail (measured: a fifth of a 100k import); with one per core
//! it finds a full chunk whenever it is ready for one.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

use chrono::{DateTime, Utc};

use super::parse::{RawMail, parse_mail};
use super::sources::{self, Problem};
use crate::config::Config;
use crate::domain::message::IncomingMail;

/// Items handed over at once: one wake-up per message cost a third of the import's time in
/// futex calls.
const CHUNK: usize = 256;

/// Chunks read but not yet written: a batch's worth and a little more, so parsing runs ahead
/// while the writer commits, and memory stays flat. Less than a batch's worth made the writer
/// wait for each batch (measured: 10% slower).
const IN_FLIGHT: usize = 32;
const _: () = assert!(IN_FLIGHT * CHUNK >= super::BATCH_SIZE);

/// What the writer receives, in source order.
pub enum Item {
    Mail(Box<IncomingMail>, u64),
    /// One record of a report, and the report's path.
    Record(Box<crate::reports::Record>, Arc<PathBuf>),
    /// A report read to its end, and its size.
    ReportDone(u64),
    /// A report row that could not be read.
    BadRow(Problem),
    /// A named path that does not exist or a folder that cannot be listed.
    Unreachable(Problem),
    Failed(Problem, u64),
    Skipped(u64),
    FileDone,
}

/// The reader's output before parsing: raw mail for the parsers, a Maildir file for them to
/// read, anything else as it is.
enum Work {
    Raw(RawMail),
    File(sources::Source),
    Ready(Item),
}

/// A parser's part: `work` turned into items, appended to `items`.
fn parse_work(work: Work, config: &Config, now: DateTime<Utc>, items: &mut Vec<Item>) {
    match work {
        Work::Raw(raw) => {
            let len = raw.bytes.len() as u64;
            items.push(Item::Mail(Box::new(parse_mail(raw, config, now)), len));
        }
        Work::File(source) => {
            read_source(&source, config, now, &mut |w| {
                parse_work(w, config, now, items);
                true
            });
        }
        Work::Ready(item) => items.push(item),
    }
}

/// A chunk for a parser and where to hand the parsed chunk back.
type Job = (Vec<Work>, SyncSender<Vec<Item>>);

/// Something the writer is done with, for a parser to free.
type Spent = Box<dyn Send>;

/// Where the writer leaves what it is done with. The mail it stored was allocated on the
/// parsers' threads; freeing it there, while they wait for work, takes the frees off the
/// writer's thread, the import's critical path.
pub struct Discard(Sender<Spent>);

impl Discard {
    pub fn discard(&self, spent: impl Send + 'static) {
        // The parsers gone (an error stopped them): freed here, as it would be anyway.
        let _ = self.0.send(Box::new(spent));
    }
}

/// Starts the walker, the reader and the parsers in `scope`. The returned receiver yields one
/// receiver per chunk, in order; dropping it stops them all, once the [`Discard`] is dropped
/// too. Fails only when the system cannot start a thread.
pub fn start<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    paths: &'env [PathBuf],
    config: &'env Config,
    now: DateTime<Utc>,
    progress: &'env indicatif::ProgressBar,
) -> std::io::Result<(Receiver<Receiver<Vec<Item>>>, Discard)> {
    let (found_tx, found_rx) = channel::<Result<sources::Source, Problem>>();
    // Walking runs ahead of reading, so the progress bar learns the total early while the
    // first files are already being imported.
    spawn(scope, "import-walk", move || {
        super::walk::walk(paths, !progress.is_hidden(), |item| {
            if let Ok(source) = &item {
                progress.inc_length(source.len);
            }
            found_tx.send(item).is_ok()
        });
    })?;

    let parsers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let (job_tx, job_rx) = sync_channel::<Job>(parsers * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (spent_tx, spent_rx) = channel::<Spent>();
    let spent_rx = Arc::new(Mutex::new(spent_rx));
    for _ in 0..parsers {
        let job_rx = Arc::clone(&job_rx);
        let spent_rx = Arc::clone(&spent_rx);
        spawn(scope, "import-parse", move || {
            yield_to_the_writer();
            loop {
                // Between chunks (the lock is only tried: the other parser may be freeing).
                if let Ok(spent) = spent_rx.try_lock() {
                    spent.try_iter().for_each(drop);
                }
                // The lock is held only to take a job, never while parsing.
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((work, done)) = job else { break };
                let mut items = Vec::with_capacity(work.len() * 2);
                for w in work {
                    parse_work(w, config, now, &mut items);
                }
                // The writer gone (it stopped on an error): nothing to do but stop too.
                if done.send(items).is_err() {
                    break;
                }
            }
            // Everything is parsed, but the writer still has its last batches to commit: free
            // them here too, until it drops its `Discard`.
            if let Ok(spent) = spent_rx.lock() {
                spent.iter().for_each(drop);
            }
        })?;
    }

    let (ordered_tx, ordered_rx) = sync_channel::<Receiver<Vec<Item>>>(IN_FLIGHT);
    spawn(scope, "import-read", move || {
        yield_to_the_writer();
        read(found_rx, &Handover { ordered_tx, job_tx }, config, now);
    })?;
    Ok((ordered_rx, Discard(spent_tx)))
}

/// Lowers the calling thread's priority. The writer is the import's critical path and the
/// parsers run ahead of it by a batch: on two cores, with the parsers at the same priority the
/// scheduler often gave them the writer's core (measured on 100k messages: 2.3 s at equal
/// priority, 2.0 s with the parsers at nice 15). Idle cores still go to them.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread; a failure leaves its priority as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 15);
    }
}

/// A named thread (names show in `top -H` and profiles).
fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    name: &str,
    f: impl FnOnce() + Send + 'scope,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
        .map(drop)
}

/// Hands chunks to the parsers and their places in line to the writer.
struct Handover {
    ordered_tx: SyncSender<Receiver<Vec<Item>>>,
    job_tx: SyncSender<Job>,
}

impl Handover {
    /// `false` when the writer stopped.
    fn send(&self, work: Vec<Work>) -> bool {
        let (done_tx, done_rx) = sync_channel(1);
        self.ordered_tx.send(done_rx).is_ok() && self.job_tx.send((work, done_tx)).is_ok()
    }
}

/// Collects work into chunks; `push` answers `false` once the writer has stopped.
struct Chunker<'h> {
    chunk: Vec<Work>,
    handover: &'h Handover,
}

impl Chunker<'_> {
    fn push(&mut self, work: Work) -> bool {
        self.chunk.push(work);
        self.chunk.len() < CHUNK || self.flush()
    }

    fn flush(&mut self) -> bool {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        chunk.is_empty() || self.handover.send(chunk)
    }
}

fn read(
    found_rx: Receiver<Result<sources::Source, Problem>>,
    handover: &Handover,
    config: &Config,
    now: DateTime<Utc>,
) {
    let mut out = Chunker {
        chunk: Vec::with_capacity(CHUNK),
        handover,
    };
    for found in found_rx {
        let open = match found {
            Err(problem) => out.push(Work::Ready(Item::Unreachable(problem))),
            // One message per file: opening and reading it is most of the work, done by the
            // parsers, in parallel (a 100k Maildir is 100k opens).
            Ok(source) if source.in_maildir => out.push(Work::File(source)),
            Ok(source) => read_source(&source, config, now, &mut |w| out.push(w)),
        };
        if !open {
            return;
        }
    }
    out.flush();
}

/// Reads one source, handing on its messages, or its records, then how it ended. `false` when
/// the writer stopped.
fn read_source(
    source: &sources::Source,
    config: &Config,
    now: DateTime<Utc>,
    out: &mut dyn FnMut(Work) -> bool,
) -> bool {
    let mut sent = 0u64;
    let mut open = true;
    let result = sources::read(source, |raw| {
        sent += raw.bytes.len() as u64;
        open = open && out(Work::Raw(raw));
    });
    if !open {
        return false;
    }
    let rest = source.len.saturating_sub(sent);
    let item = match result {
        Ok(sources::Outcome::Mail(_)) => Item::FileDone,
        Ok(sources::Outcome::Report(kind, bytes)) => {
            let path = Arc::new(source.path.clone());
            let mut open = true;
            crate::reports::parse(kind, &bytes, config.timezone, now, &mut |r| {
                let item = match r {
                    Ok(record) => Item::Record(Box::new(record), Arc::clone(&path)),
                    Err(e) => Item::BadRow(Problem {
                        path: source.path.clone(),
                        message: format!("{} {e}", kind.label()),
                        skipped: false,
                    }),
                };
                open = open && out(Work::Ready(item));
            });
            if !open {
                return false;
            }
            Item::ReportDone(bytes.len() as u64)
        }
        // Found in a folder too: a report that lost a column is worth saying so.
        Ok(sources::Outcome::NearlyReport(kind, missing)) => Item::Failed(
            Problem {
                path: source.path.clone(),
                message: format!(
                    "looks like {} {} but has no {} column{}: nothing read",
                    article(kind.label()),
                    kind.label(),
                    missing.join(", "),
                    if missing.len() > 1 { "s" } else { "" }
                ),
                skipped: false,
            },
            rest,
        ),
        Ok(sources::Outcome::NotMail) if !source.explicit => Item::Skipped(rest),
        Ok(sources::Outcome::NotMail) => Item::Failed(
            Problem {
                path: source.path.clone(),
                message: "not recognized as e-mail (.eml, mbox or Maildir)".into(),
                skipped: false,
            },
            rest,
        ),
        Err(e) => Item::Failed(
            Problem {
                path: source.path.clone(),
                message: e.to_string(),
                skipped: false,
            },
            rest,
        ),
    };
    out(Work::Ready(item))
}

/// The items of every chunk, in order, as the parsers finish them.
pub fn in_order(chunks: Receiver<Receiver<Vec<Item>>>) -> impl Iterator<Item = Item> {
    // A parser that died (a panic, which the scope re-raises) leaves its chunk's receiver
    // closed: stop there, never skip past lost mail.
    chunks.into_iter().map_while(|c| c.recv().ok()).flatten()
}

/// "a" or "an" before a report's label.
fn article(label: &str) -> &'static str {
    if label.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the name of the thread that drops it.
    struct Witness(std::sync::mpsc::Sender<Option<String>>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let _ = self
                .0
                .send(std::thread::current().name().map(str::to_string));
        }
    }

    #[test]
    fn what_the_writer_discards_is_freed_on_a_parser_thread() {
        let config = Config::default();
        let progress = indicatif::ProgressBar::hidden();
        let (tx, rx) = channel();
        std::thread::scope(|scope| {
            let (chunks, discard) = start(scope, &[], &config, Utc::now(), &progress).unwrap();
            assert_eq!(in_order(chunks).count(), 0);
            // After the input ran out, as the last batches are.
            discard.discard(Witness(tx.clone()));
            discard.discard(Witness(tx));
        });
        let names: Vec<_> = rx.iter().collect();
        assert_eq!(names, vec![Some("import-parse".to_string()); 2]);
    }
}
