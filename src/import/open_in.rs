//! Opening mail for reading on Linux: by name within an open folder (`openat`), and without
//! touching the file's access time (`O_NOATIME`, allowed only to the file's owner; anyone
//! else's files are opened as usual).

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// `O_NONBLOCK`: a FIFO put where a file was listed opens at once instead of waiting for a
/// writer (and is then refused, see [`regular`]); it changes nothing for a regular file.
const FLAGS: libc::c_int = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK;

/// The opened file, if it is a regular file: a FIFO, socket or device is never read as mail.
pub fn regular(file: File) -> io::Result<File> {
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device): not read",
        ))
    }
}

/// Opens `name` in `folder` for reading. Never through a symbolic link: the walk judged the
/// name a file, and a link put in its place since could lead anywhere.
pub fn open_in(folder: &File, name: &OsStr) -> io::Result<File> {
    let name = CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a file name"))?;
    let open = |flags| {
        // SAFETY: `folder` is an open descriptor and `name` a NUL-terminated string, both
        // alive for the call; the result is checked before it is used.
        let fd = unsafe { libc::openat(folder.as_raw_fd(), name.as_ptr(), flags) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            // SAFETY: a descriptor just opened and owned by nothing else.
            Ok(unsafe { File::from_raw_fd(fd) })
        }
    };
    let flags = FLAGS | libc::O_NOFOLLOW;
    regular(match open(flags | libc::O_NOATIME) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(flags),
        result => result,
    }?)
}

/// Opens the file at `path` for reading.
pub fn open_path(path: &Path) -> io::Result<File> {
    let open = |flags| OpenOptions::new().read(true).custom_flags(flags).open(path);
    let flags = libc::O_NOCTTY | libc::O_NONBLOCK;
    regular(match open(libc::O_NOATIME | flags) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(flags),
        result => result,
    }?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_open_by_name_in_their_folder_and_by_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a b.eml"), b"From: x@y\n\nhi\n").unwrap();
        let folder = File::open(dir.path()).unwrap();
        let read = |mut f: File| {
            let mut s = String::new();
            io::Read::read_to_string(&mut f, &mut s).unwrap();
            s
        };
        assert_eq!(
            read(open_in(&folder, OsStr::new("a b.eml")).unwrap()),
            "From: x@y\n\nhi\n"
        );
        assert_eq!(
            read(open_path(&dir.path().join("a b.eml")).unwrap()),
            "From: x@y\n\nhi\n"
        );
        let missing = open_in(&folder, OsStr::new("missing")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(open_in(&folder, OsStr::from_bytes(b"a\0b")).is_err());

        // A FIFO opens without waiting for a writer, and is refused; a link in a folder is
        // not followed.
        let fifo = dir.path().join("fifo");
        let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(open_in(&folder, OsStr::new("fifo")).is_err());
        assert!(open_path(&fifo).is_err());
        std::os::unix::fs::symlink(dir.path().join("a b.eml"), dir.path().join("link")).unwrap();
        assert!(open_in(&folder, OsStr::new("link")).is_err());
    }

    /// Reading mail leaves its access time alone (where the file system keeps one: with
    /// `relatime`, an access time older than the last change is updated by a plain read).
    #[test]
    fn reading_leaves_the_access_time_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(&path, b"From: x@y\n\nhi\n").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let file = File::options().write(true).open(&path).unwrap();
        file.set_times(
            std::fs::FileTimes::new()
                .set_accessed(old)
                .set_modified(old + std::time::Duration::from_secs(60)),
        )
        .unwrap();
        drop(file);
        let folder = File::open(dir.path()).unwrap();
        for mut f in [
            open_in(&folder, OsStr::new("m.eml")).unwrap(),
            open_path(&path).unwrap(),
        ] {
            io::Read::read_to_end(&mut f, &mut Vec::new()).unwrap();
        }
        let accessed = std::fs::metadata(&path).unwrap().accessed().unwrap();
        assert_eq!(accessed, old);
    }
}
