//! Finding mail on disk: `.eml` files, mbox files, Maildir folders and directories of mail,
//! recognized by content. Sources are only ever opened for reading.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use super::mbox;
use super::parse::RawMail;

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Mbox,
    Eml,
    Unknown,
}

/// A file to read, found from the paths the user named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub len: u64,
    /// Named on the command line (an unrecognized one is an error, not skipped).
    pub explicit: bool,
    /// Inside a Maildir's `cur/` or `new/`: the file name carries the delivery time.
    pub in_maildir: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
}

pub fn sniff(head: &[u8]) -> Sniffed {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if first_line.starts_with(b"From ") {
        return Sniffed::Mbox;
    }
    // A header field name as mail software writes them (RFC 5322 allows more, nobody uses it).
    let name_len = first_line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        .count();
    if name_len > 0 && first_line.get(name_len) == Some(&b':') {
        return Sniffed::Eml;
    }
    Sniffed::Unknown
}

pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn in_maildir(file: &Path) -> bool {
    let Some(parent) = file.parent() else {
        return false;
    };
    matches!(
        parent.file_name().and_then(|n| n.to_str()),
        Some("cur" | "new")
    ) && parent.parent().is_some_and(is_maildir)
}

/// Expands the named paths into files, in a stable order, handing each to `found` as it is
/// found (a 100k-file Maildir starts importing at once). Missing paths become problems.
/// `found` returns `false` to stop.
pub fn walk(paths: &[PathBuf], mut found: impl FnMut(Result<Source, Problem>) -> bool) {
    let mut out = Found(&mut found, false);
    for path in paths {
        if out.stopped() {
            return;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.push(Problem {
                    path: path.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        if meta.is_file() {
            out.push(Source {
                path: path.clone(),
                len: meta.len(),
                explicit: true,
                in_maildir: in_maildir(path),
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            // A Maildir's tmp/ holds deliveries still being written.
            .filter_entry(|e| {
                !(e.file_type().is_dir()
                    && e.file_name() == "tmp"
                    && e.path().parent().is_some_and(is_maildir))
            });
        // Whether a folder is a Maildir's cur/ or new/, asked once per folder, not per file.
        let mut last_parent: Option<(PathBuf, bool)> = None;
        for entry in walker {
            if out.stopped() {
                return;
            }
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let parent = e.path().parent().map(Path::to_path_buf).unwrap_or_default();
                    let in_maildir = match &last_parent {
                        Some((p, answer)) if *p == parent => *answer,
                        _ => {
                            let answer = in_maildir(e.path());
                            last_parent = Some((parent, answer));
                            answer
                        }
                    };
                    out.push(Source {
                        len: e.metadata().map(|m| m.len()).unwrap_or(0),
                        in_maildir,
                        path: e.into_path(),
                        explicit: false,
                    })
                }
                Ok(_) => {}
                Err(e) => out.push(Problem {
                    path: e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| path.clone()),
                    message: e.to_string(),
                }),
            }
        }
    }
}

/// Adapts `walk`'s callback to push-style calls and remembers a request to stop.
struct Found<'a, F: FnMut(Result<Source, Problem>) -> bool>(&'a mut F, bool);

impl<F: FnMut(Result<Source, Problem>) -> bool> Found<'_, F> {
    fn push<T: Into<Result<Source, Problem>>>(&mut self, item: T) {
        if !self.1 && !(self.0)(item.into()) {
            self.1 = true;
        }
    }

    fn stopped(&self) -> bool {
        self.1
    }
}

impl From<Source> for Result<Source, Problem> {
    fn from(s: Source) -> Self {
        Ok(s)
    }
}

impl From<Problem> for Result<Source, Problem> {
    fn from(p: Problem) -> Self {
        Err(p)
    }
}

/// The delivery time a Maildir file name starts with (`1700000000.M1P2.host:2,S`).
pub fn maildir_time(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.file_name()?.to_str()?;
    let secs: i64 = name.split('.').next()?.parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

fn mtime(file: &File) -> Option<DateTime<Utc>> {
    let modified = file.metadata().ok()?.modified().ok()?;
    Some(DateTime::<Utc>::from(modified))
}

/// What reading one source gave.
pub enum Outcome {
    /// It held this many messages.
    Mail(usize),
    /// A report (orders, shipments, feedback, ...), read whole.
    Report(crate::reports::ReportKind, Vec<u8>),
    /// Not e-mail (skipped when found in a directory).
    NotMail,
}

/// Bytes read first to recognize a file.
const SNIFF_BYTES: usize = 4096;
/// Files up to this size are read whole at once; only an mbox is ever streamed.
const WHOLE_FILE_LIMIT: u64 = 8 << 20;

/// Reads one source, calling `emit` for each message in it.
pub fn read(source: &Source, mut emit: impl FnMut(RawMail)) -> std::io::Result<Outcome> {
    let mut file = File::open(&source.path)?;
    let mut head = Vec::with_capacity(if source.len > 0 && source.len <= WHOLE_FILE_LIMIT {
        source.len as usize + 1
    } else {
        SNIFF_BYTES
    });
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    // Reports are recognized from their header; never inside a Maildir.
    if !source.in_maildir
        && let Some(report) = crate::reports::sniff(&head)
    {
        let mut bytes = head;
        file.read_to_end(&mut bytes)?;
        return Ok(Outcome::Report(report, bytes));
    }
    let kind = sniff(&head);
    let name = source.path.display().to_string();
    let eml_by_name = source
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("eml"));
    match kind {
        Sniffed::Mbox if !source.in_maildir => {
            let mut n = 0usize;
            let reader =
                BufReader::with_capacity(64 * 1024, std::io::Cursor::new(head).chain(file));
            mbox::split(reader, |bytes, delivered_at| {
                n += 1;
                emit(RawMail {
                    bytes,
                    delivered_at,
                    source: format!("{name}#{n}"),
                });
                Ok(())
            })?;
            Ok(Outcome::Mail(n))
        }
        // A file in a Maildir is one message whatever it looks like; a `.eml` that does not
        // parse is still kept (raw, flagged).
        _ if kind != Sniffed::Unknown || source.in_maildir || eml_by_name => {
            let mut bytes = head;
            file.read_to_end(&mut bytes)?;
            if bytes.is_empty() {
                return Ok(Outcome::NotMail);
            }
            // A Maildir file name says when it was delivered; otherwise the file's time.
            let delivered_at = source
                .in_maildir
                .then(|| maildir_time(&source.path))
                .flatten()
                .or_else(|| mtime(&file));
            emit(RawMail {
                bytes,
                delivered_at,
                source: name,
            });
            Ok(Outcome::Mail(1))
        }
        _ => Ok(Outcome::NotMail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"From a@b Sat Jan  3 01:05:34 1996\n"), Sniffed::Mbox);
        assert_eq!(sniff(b"From: a@b\nTo: c@d\n"), Sniffed::Eml);
        assert_eq!(sniff(b"Return-Path: <a@b>\n"), Sniffed::Eml);
        assert_eq!(sniff(b"\xEF\xBB\xBFMessage-ID: <x@y>\n"), Sniffed::Eml);
        assert_eq!(sniff(b"amazon-order-id\tpurchase-date\n"), Sniffed::Unknown);
        assert_eq!(sniff(b"{\"payload\":{}}"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
        assert_eq!(sniff(b"hello world: nope"), Sniffed::Unknown);
    }

    #[test]
    fn maildir_names_carry_delivery_time() {
        assert_eq!(
            maildir_time(Path::new("/m/cur/1700000000.M1P2.host:2,S")).map(|t| t.timestamp()),
            Some(1_700_000_000)
        );
        assert_eq!(maildir_time(Path::new("/m/cur/abc")), None);
    }
}
