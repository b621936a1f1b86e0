//! A copy of each sent reply in a Sent Maildir, delivered the Maildir way: written under
//! `tmp/`, synced, then renamed into `cur/` marked seen, so a mail client never sees half a file.

use std::fs::DirBuilder;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use chrono::{DateTime, Utc};

pub fn store(maildir: &Path, raw: &[u8], now: DateTime<Utc>) -> std::io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(maildir.join(sub))?;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace(['/', ':'], "_"))
        .unwrap_or_else(|_| "localhost".into());
    let unique = format!(
        "{}.M{}P{}Q{}.{host}",
        now.timestamp(),
        now.timestamp_subsec_micros(),
        std::process::id(),
        next_sequence()
    );
    let tmp = maildir.join("tmp").join(&unique);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    let written = file.write_all(raw).and_then(|_| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, maildir.join("cur").join(format!("{unique}:2,S")))
}

fn next_sequence() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_copy_lands_in_cur_marked_seen_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let sent = dir.path().join("Sent");
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc();
        store(&sent, b"Subject: hi\r\n\r\nbody\r\n", now).unwrap();
        store(&sent, b"Subject: again\r\n\r\nbody\r\n", now).unwrap();
        let files: Vec<_> = std::fs::read_dir(sent.join("cur"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 2);
        for f in &files {
            assert!(f.to_string_lossy().ends_with(":2,S"), "{f:?}");
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(std::fs::read_dir(sent.join("tmp")).unwrap().count(), 0);
    }
}
