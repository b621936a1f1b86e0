//! Importing buyer mail: sources on disk → raw messages → parsed and classified mail → the
//! store, in batches of one transaction each.
//!
//! Reading and parsing run on a worker thread while this thread writes to SQLite, so the two
//! cores of a small machine are both busy; a bounded channel keeps memory flat.

pub mod bounce;
pub mod mbox;
pub mod parse;
pub mod sources;

use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::message::{IncomingMail, flags};
use crate::store::ingest::{Added, Batch, Memo};
use crate::store::{Store, StoreError};
pub use parse::{RawMail, parse_mail};
pub use sources::Problem;

/// Messages per transaction: large enough to amortize commits, small enough that an
/// interrupted import loses little work (it is idempotent, so a rerun finishes it).
pub const BATCH_SIZE: usize = 10_000;

/// Report records per transaction: small rows whose inserts land all over the indexes, so
/// fewer, larger commits write each index page to the WAL fewer times.
pub const RECORD_BATCH_SIZE: usize = 100_000;

/// Items handed from the reader to the writer at once: one wake-up per message cost a third of
/// the import's time in futex calls.
const CHUNK: usize = 256;

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

enum Item {
    Mail(Box<IncomingMail>, u64),
    /// One record of a report, and the report's path.
    Record(Box<crate::reports::Record>, std::sync::Arc<PathBuf>),
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

/// Imports everything under `paths`. Only a store error stops it; unreadable or foreign files
/// are counted and listed in the report.
pub fn import_paths(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    progress.set_length(0);
    let (found_tx, found_rx) = std::sync::mpsc::channel::<Result<sources::Source, Problem>>();
    let (tx, rx) = sync_channel::<Vec<Item>>(16);
    store.with_bulk_mode(|store, committed| {
        std::thread::scope(|scope| -> Result<(), StoreError> {
            // Walking runs ahead of reading, so the progress bar learns the total early while
            // the first files are already being imported.
            scope.spawn(move || {
                sources::walk(paths, |item| {
                    if let Ok(source) = &item {
                        progress.inc_length(source.len);
                    }
                    found_tx.send(item).is_ok()
                });
            });
            scope.spawn(move || {
                let mut chunk = Vec::with_capacity(CHUNK);
                // A closed channel means the writer stopped on an error: stop quietly.
                let push = |chunk: &mut Vec<Item>, item: Item| -> bool {
                    chunk.push(item);
                    chunk.len() < CHUNK
                        || tx
                            .send(std::mem::replace(chunk, Vec::with_capacity(CHUNK)))
                            .is_ok()
                };
                for found in found_rx {
                    let source = match found {
                        Ok(source) => source,
                        Err(problem) => {
                            if !push(&mut chunk, Item::Unreachable(problem)) {
                                return;
                            }
                            continue;
                        }
                    };
                    let source = &source;
                    let mut sent = 0u64;
                    let mut open = true;
                    let result = sources::read(source, |raw| {
                        let len = raw.bytes.len() as u64;
                        sent += len;
                        if open {
                            let mail = parse_mail(raw, config, now);
                            open = push(&mut chunk, Item::Mail(Box::new(mail), len));
                        }
                    });
                    if !open {
                        return;
                    }
                    let rest = source.len.saturating_sub(sent);
                    let item = match result {
                        Ok(sources::Outcome::Mail(_)) => Item::FileDone,
                        Ok(sources::Outcome::Report(kind, bytes)) => {
                            let path = std::sync::Arc::new(source.path.clone());
                            let mut open = true;
                            crate::reports::parse(kind, &bytes, config.timezone, now, &mut |r| {
                                let item = match r {
                                    Ok(record) => {
                                        Item::Record(Box::new(record), std::sync::Arc::clone(&path))
                                    }
                                    Err(e) => Item::BadRow(Problem {
                                        path: source.path.clone(),
                                        message: format!("{} {e}", kind.label()),
                                    }),
                                };
                                open = open && push(&mut chunk, item);
                            });
                            if !open {
                                return;
                            }
                            Item::ReportDone(bytes.len() as u64)
                        }
                        Ok(sources::Outcome::NotMail) if !source.explicit => Item::Skipped(rest),
                        Ok(sources::Outcome::NotMail) => Item::Failed(
                            Problem {
                                path: source.path.clone(),
                                message: "not recognized as e-mail (.eml, mbox or Maildir)".into(),
                            },
                            rest,
                        ),
                        Err(e) => Item::Failed(
                            Problem {
                                path: source.path.clone(),
                                message: e.to_string(),
                            },
                            rest,
                        ),
                    };
                    if !push(&mut chunk, item) {
                        return;
                    }
                }
                let _ = tx.send(chunk);
            });

            let mut memo = Memo::default();
            let mut batch = Batch::new(store.begin()?, &mut memo, now)?;
            // A batch is full at BATCH_SIZE messages or RECORD_BATCH_SIZE report records.
            const MESSAGE_WEIGHT: usize = RECORD_BATCH_SIZE / BATCH_SIZE;
            let mut in_batch = 0usize;
            for item in rx.into_iter().flatten() {
                let weight = match item {
                    Item::Mail(mail, len) => {
                        add_counted(&mut batch, mail, &mut report)?;
                        progress.inc(len);
                        MESSAGE_WEIGHT
                    }
                    Item::ReportDone(len) => {
                        report.files += 1;
                        progress.inc(len);
                        0
                    }
                    Item::Record(record, path) => {
                        match batch.write_record(&record) {
                            Ok(crate::store::account::Written::Stored) => report.imported += 1,
                            Ok(crate::store::account::Written::Unchanged) => report.duplicates += 1,
                            Err(crate::store::account::WriteError::Rejected(message)) => {
                                report.failed += 1;
                                report.problems.push(Problem {
                                    path: path.to_path_buf(),
                                    message,
                                });
                            }
                            Err(crate::store::account::WriteError::Sqlite(e)) => {
                                return Err(e.into());
                            }
                        }
                        1
                    }
                    Item::BadRow(problem) => {
                        report.failed += 1;
                        report.problems.push(problem);
                        0
                    }
                    Item::FileDone => {
                        report.files += 1;
                        0
                    }
                    Item::Unreachable(problem) => {
                        report.failed += 1;
                        report.problems.push(problem);
                        0
                    }
                    Item::Failed(problem, rest) => {
                        report.files += 1;
                        report.failed += 1;
                        report.problems.push(problem);
                        progress.inc(rest);
                        0
                    }
                    Item::Skipped(rest) => {
                        report.skipped += 1;
                        progress.inc(rest);
                        0
                    }
                };
                in_batch += weight;
                if in_batch >= RECORD_BATCH_SIZE {
                    batch.commit()?;
                    committed();
                    batch = Batch::new(store.begin()?, &mut memo, now)?;
                    in_batch = 0;
                }
            }
            batch.commit()?;
            // The days this run changed, recounted once (reports are imported in batches
            // that often share days).
            store.write(crate::store::metric_days::refresh)?;
            Ok(())
        })
    })?;
    progress.finish_and_clear();
    Ok(report)
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
    let mut batch = Batch::new(store.begin()?, &mut memo, now)?;
    for raw in mails {
        add_counted(
            &mut batch,
            Box::new(parse_mail(raw, config, now)),
            &mut report,
        )?;
    }
    batch.commit()?;
    store.write(crate::store::metric_days::refresh)?;
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
