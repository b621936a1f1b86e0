//! Importing buyer mail: sources on disk → raw messages → parsed and classified mail → the
//! store, in batches of one transaction each.
//!
//! Reading and parsing run on other threads ([`pipeline`]) while this thread writes to SQLite,
//! so every core of a small machine is busy; a bounded hand-over keeps memory flat.

pub mod bounce;
mod index_alongside;
pub mod intake;
pub mod mbox;
#[cfg(target_os = "linux")]
mod open_in;
pub mod parse;
mod pipeline;
pub mod sources;
mod walk;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::message::{IncomingMail, flags};
use crate::store::ingest::{Added, Batch, Memo};
use crate::store::{Store, StoreError};
pub use parse::{RawMail, parse_mail};
use pipeline::Item;
pub use sources::Problem;

/// Messages per transaction: large enough to amortize commits, small enough that an
/// interrupted import loses little work (it is idempotent, so a rerun finishes it). With the
/// mail read ahead meanwhile (`pipeline::IN_FLIGHT`), two batches' worth of parsed mail is
/// most of an import's memory: 8,000 kept peak RSS about 15 MB lower than 10,000 at the same
/// speed (measured on 100k messages, 8 runs each).
pub const BATCH_SIZE: usize = 8_000;

/// Report records per transaction: small rows whose inserts land all over the indexes, so
/// fewer, larger commits write each index page to the WAL fewer times.
pub const RECORD_BATCH_SIZE: usize = 96_000;

/// What an import did. The five counts are the `--json` output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files read (each `.eml`, mbox, Maildir message file and report), including failed ones.
    pub files: u64,
    /// New messages, and report records stored or changed.
    pub imported: u64,
    pub duplicates: u64,
    /// Imported, but with a problem noted (unparseable, date from delivery time, unknown charset).
    pub flagged: u64,
    /// Paths that could not be read or are not mail or a report, and report rows that could
    /// not be read or stored.
    pub failed: u64,
    #[serde(skip)]
    pub problems: Vec<Problem>,
    /// Files in named directories that are not mail, skipped.
    #[serde(skip)]
    pub skipped: u64,
}

/// Imports everything under `paths`. Only a store error stops it; unreadable or foreign files
/// are counted and listed in the report. The search index is left to catch up afterwards.
pub fn import_paths(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
) -> Result<ImportReport, StoreError> {
    run(store, config, paths, now, progress, false).map(|(report, _)| report)
}

/// [`import_paths`] with the search index built alongside, on the other core: the report and
/// how many messages were indexed (all of them when it returns).
pub fn import_paths_indexed(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
) -> Result<(ImportReport, usize), StoreError> {
    let (report, indexed) = run(store, config, paths, now, progress, true)?;
    // What the indexer left (all of it for an in-memory store, which has no second
    // connection, or when the indexer stopped on an error: then it is met again here).
    let rest = store.index_all_messages()?;
    Ok((report, indexed.unwrap_or(0) + rest))
}

fn run(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
    index: bool,
) -> Result<(ImportReport, Result<usize, StoreError>), StoreError> {
    let mut report = ImportReport::default();
    progress.set_length(0);
    let alongside = index_alongside::Alongside::default();
    let db = store.path().to_path_buf();
    let indexed = store.with_bulk_mode(|store, checkpoints| {
        std::thread::scope(|scope| -> Result<Result<usize, StoreError>, StoreError> {
            let indexer = (index && db != std::path::Path::new(":memory:")).then(|| {
                let (alongside, db) = (&alongside, &db);
                std::thread::Builder::new()
                    .name("import-index".into())
                    .spawn_scoped(scope, move || alongside.index(db, checkpoints))
            });
            let indexer = indexer.transpose().map_err(|error| StoreError::Io {
                path: db.clone(),
                error,
            })?;
            let stored = store_all(
                store,
                config,
                paths,
                now,
                progress,
                &mut report,
                checkpoints,
                &alongside,
            );
            alongside.finish();
            let indexed = match indexer {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => Ok(0),
            };
            stored?;
            Ok(indexed)
        })
    })?;
    progress.finish_and_clear();
    Ok((report, indexed))
}

/// The writer: every item of `paths` stored in batches, taking turns with the indexer.
#[allow(clippy::too_many_arguments)]
fn store_all(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
    report: &mut ImportReport,
    checkpoints: &crate::store::checkpointer::Checkpoints,
    alongside: &index_alongside::Alongside,
) -> Result<(), StoreError> {
    std::thread::scope(|scope| -> Result<(), StoreError> {
        let (chunks, discard) =
            pipeline::start(scope, paths, config, now, progress).map_err(|source| {
                StoreError::Io {
                    path: store.path().to_path_buf(),
                    error: source,
                }
            })?;
        let mut memo = Memo::default();
        // A batch is collected before its transaction begins: the write lock is held only
        // while writing, and the checkpoint of the last batch and the index of the batch
        // before run meanwhile.
        let mut pending: Vec<Item> = Vec::with_capacity(BATCH_SIZE);
        let mut weight = 0usize;
        let mut items = pipeline::in_order(chunks).peekable();
        while let Some(item) = items.next() {
            weight += item_weight(&item);
            pending.push(item);
            if weight < RECORD_BATCH_SIZE && items.peek().is_some() {
                continue;
            }
            checkpoints.before_write(MAX_BATCHES_IN_WAL);
            let turn = alongside.turn();
            // Mail batches check their foreign keys at once (`Batch`); report records have
            // SQLite check theirs row by row.
            store.set_foreign_keys_per_row(
                pending.iter().any(|item| matches!(item, Item::Record(..))),
            )?;
            let mut batch = store.batch(&mut memo, now)?;
            batch.prefetch(pending.iter().filter_map(|item| match item {
                Item::Mail(mail, _) => Some(&**mail),
                _ => None,
            }))?;
            for item in pending.drain(..) {
                write_item(&mut batch, item, report, progress)?;
            }
            discard.discard(batch.commit_keeping_mail()?);
            checkpoints.committed();
            drop(turn);
            alongside.committed();
            weight = 0;
        }
        // The days this run changed, recounted once (reports are imported in batches
        // that often share days).
        let _turn = alongside.turn();
        store.refresh_metric_days()?;
        Ok(())
    })
}

/// A batch is full at BATCH_SIZE messages or RECORD_BATCH_SIZE report records.
const MESSAGE_WEIGHT: usize = RECORD_BATCH_SIZE / BATCH_SIZE;
const _: () = assert!(RECORD_BATCH_SIZE.is_multiple_of(BATCH_SIZE));

/// Batches the WAL may hold before the writer waits for the checkpoint helper to catch up
/// (see `store::checkpointer`). Each time the helper has caught up, or the writer waited for
/// it, the next transaction starts the WAL over, so its file is rewritten in place instead of
/// growing into fresh pages. On this machine's VM a fresh page costs far more than a rewrite:
/// measured on 100k messages, alternating binaries, waiting every 2nd batch against every
/// 10th: Maildir 2.09 s against 2.48 s (median of 6), mbox 1.86 against 1.98 s, 0.3 s less
/// CPU. Waiting after every batch keeps the writer idle too often (2.50 s).
const MAX_BATCHES_IN_WAL: u64 = 2;

fn item_weight(item: &Item) -> usize {
    match item {
        Item::Mail(..) => MESSAGE_WEIGHT,
        Item::Record(..) => 1,
        _ => 0,
    }
}

/// Stores one item in the open batch and counts it in the report.
fn write_item(
    batch: &mut Batch<'_, '_>,
    item: Item,
    report: &mut ImportReport,
    progress: &indicatif::ProgressBar,
) -> Result<(), StoreError> {
    match item {
        Item::Mail(mail, len) => {
            add_counted(batch, mail, report)?;
            progress.inc(len);
        }
        Item::ReportDone(len) => {
            report.files += 1;
            progress.inc(len);
        }
        Item::Record(record, path) => match batch.write_record(&record) {
            Ok(crate::store::account::Written::Stored) => report.imported += 1,
            Ok(crate::store::account::Written::Unchanged) => report.duplicates += 1,
            Err(crate::store::account::WriteError::Rejected(message)) => {
                report.failed += 1;
                report.problems.push(Problem {
                    path: path.to_path_buf(),
                    message,
                    skipped: false,
                });
            }
            Err(crate::store::account::WriteError::Sqlite(e)) => return Err(e.into()),
        },
        Item::BadRow(problem) | Item::Unreachable(problem) => {
            if problem.skipped {
                report.skipped += 1;
            } else {
                report.failed += 1;
            }
            report.problems.push(problem);
        }
        Item::FileDone => report.files += 1,
        Item::Failed(problem, rest) => {
            report.files += 1;
            report.failed += 1;
            report.problems.push(problem);
            progress.inc(rest);
        }
        Item::Skipped(rest) => {
            report.skipped += 1;
            progress.inc(rest);
        }
    }
    Ok(())
}

/// Imports messages already in memory (the demo inbox, tests), in one transaction.
pub fn import_raw(
    store: &mut Store,
    config: &Config,
    mails: impl IntoIterator<Item = RawMail>,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut memo = Memo::default();
    let mails: Vec<Box<IncomingMail>> = mails
        .into_iter()
        .map(|raw| Box::new(parse_mail(raw, config, now)))
        .collect();
    let mut batch = store.batch(&mut memo, now)?;
    batch.prefetch(mails.iter().map(|m| &**m))?;
    for mail in mails {
        add_counted(&mut batch, mail, &mut report)?;
    }
    batch.commit()?;
    store.refresh_metric_days()?;
    Ok(report)
}

fn add_counted(
    batch: &mut Batch<'_, '_>,
    mail: Box<IncomingMail>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let problem = mail.flags & flags::PROBLEMS != 0;
    match batch.add(mail)? {
        Added::New { .. } => {
            report.imported += 1;
            report.flagged += u64::from(problem);
        }
        Added::Duplicate => report.duplicates += 1,
    }
    Ok(())
}
