//! Files that travel with mail: inbound attachments, read back out of the stored raw message
//! and saved where the seller asks; outbound ones, read from disk when a reply is queued.

use std::fs::DirBuilder;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use mail_parser::MimeHeaders;

/// Largest file a reply may carry (Amazon's relay refuses larger ones).
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// A file going out with a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A file that came with a buyer's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// As the sender named it (untrusted: see `safe_filename`).
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// What the seller reads when a file cannot go out.
pub fn check(path: &Path) -> Result<u64, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} is {:.1} MB: attachments are limited to 10 MB each",
            path.display(),
            meta.len() as f64 / 1_048_576.0
        ));
    }
    Ok(meta.len())
}

/// Reads `path` for sending, checking its size first (and again after reading: it may have
/// grown since it was attached).
pub fn read(path: &Path) -> Result<Outgoing, String> {
    check(path)?;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{} grew past 10 MB since it was attached",
            path.display()
        ));
    }
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    let content_type = mime_guess::from_path(path)
        .first_or_octet_stream()
        .essence_str()
        .to_string();
    Ok(Outgoing {
        filename,
        content_type,
        bytes,
    })
}

/// The attachments in a raw message, with their decoded bytes.
pub fn inbound(raw: &[u8]) -> Vec<Inbound> {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    message
        .attachments()
        .map(|part| Inbound {
            filename: part.attachment_name().map(str::to_string),
            content_type: part.content_type().map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            }),
            bytes: part.contents().to_vec(),
        })
        .collect()
}

/// A file name from a buyer's mail made harmless: no folders, no hidden or special names, no
/// control or bidi characters, not empty, not too long.
pub fn safe_filename(name: Option<&str>, fallback: &str) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' => '_',
            c if c.is_control() || crate::text::safe_text::is_bidi_control(c) => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name: String = if trimmed.is_empty() {
        fallback.to_string()
    } else {
        trimmed.chars().take(120).collect()
    };
    name
}

/// Writes each attachment into `dir` (created 0700 if missing) as a new 0600 file, never over
/// an existing one (`name (2).pdf`). Returns the paths written.
pub fn save_all(attachments: &[Inbound], dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let mut written = Vec::new();
    for (i, a) in attachments.iter().enumerate() {
        let name = safe_filename(a.filename.as_deref(), &format!("attachment-{}", i + 1));
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        let mut n = 1;
        let (path, mut file) = loop {
            let candidate = if n == 1 {
                dir.join(&name)
            } else {
                dir.join(format!("{stem} ({n}){ext}"))
            };
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&candidate)
            {
                Ok(f) => break (candidate, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(e),
            }
        };
        file.write_all(&a.bytes)?;
        file.sync_all()?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn hostile_names_become_plain_files_in_the_folder() {
        assert_eq!(
            safe_filename(Some("../../etc/passwd"), "x"),
            "_.._etc_passwd"
        );
        assert_eq!(safe_filename(Some(".bashrc"), "x"), "bashrc");
        assert_eq!(
            safe_filename(Some("photo\u{202e}gpj.exe"), "x"),
            "photo_gpj.exe"
        );
        assert_eq!(safe_filename(Some("a\x1b[2Jb.png"), "x"), "a_[2Jb.png");
        assert_eq!(safe_filename(Some("  "), "attachment-1"), "attachment-1");
        assert_eq!(safe_filename(None, "attachment-2"), "attachment-2");
    }

    #[test]
    fn saving_never_overwrites_and_keeps_files_private() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("saved");
        let a = Inbound {
            filename: Some("photo.jpg".into()),
            content_type: Some("image/jpeg".into()),
            bytes: b"first".to_vec(),
        };
        let b = Inbound {
            bytes: b"second".to_vec(),
            ..a.clone()
        };
        let paths = save_all(&[a, b], &out).unwrap();
        assert_eq!(
            paths,
            vec![out.join("photo.jpg"), out.join("photo (2).jpg")]
        );
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"second");
        for p in &paths {
            assert_eq!(
                std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn the_size_limit_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("invoice.pdf");
        std::fs::write(&small, b"%PDF-1.4").unwrap();
        let out = read(&small).unwrap();
        assert_eq!(
            (out.filename.as_str(), out.content_type.as_str()),
            ("invoice.pdf", "application/pdf")
        );
        let big = dir.path().join("video.mp4");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BYTES + 1).unwrap();
        let e = read(&big).unwrap_err();
        assert!(e.contains("limited to 10 MB"), "{e}");
        assert!(check(dir.path()).unwrap_err().contains("not a file"));
        assert!(check(&dir.path().join("gone.txt")).is_err());
    }
}
