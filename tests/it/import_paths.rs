//! `import` never reads outside what it was given: a symbolic link inside a named folder that
//! leads out of it is skipped and reported (never stored, never searchable), one that stays
//! inside is followed, and a FIFO, socket or device named on the command line is refused at
//! once instead of blocking the import.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn mail(subject: &str, id: &str) -> String {
    format!(
        "From: \"Ann - Amazon Marketplace\" <ann@marketplace.amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: {subject}\r\n\
         Message-ID: <{id}@amazon.test>\r\n\
         Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
         Order 111-0000000-0000001, where is it?\r\n"
    )
}

/// Runs the binary, killing it after 20 s: a FIFO opened for reading would block for ever.
fn import(home: &Path, args: &[&Path]) -> Output {
    let mut child =
        crate::support::bin::on(home, None, &home.join("inbox.db"), crate::support::bin::NOW)
            .args(["import", "--json"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("import {args:?} blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stored(home: &Path, needle: &str) -> bool {
    ["", "-wal"].iter().any(|suffix| {
        let bytes = std::fs::read(format!("{}{suffix}", home.join("inbox.db").display()))
            .unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn links_out_of_an_imported_folder_are_skipped_and_reported_links_inside_are_followed() {
    let home = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.eml"),
        mail("SECRET-FILE-OUTSIDE", "secret"),
    )
    .unwrap();
    std::fs::create_dir(outside.path().join("private")).unwrap();
    std::fs::write(
        outside.path().join("private/other.eml"),
        mail("SECRET-FOLDER-OUTSIDE", "other"),
    )
    .unwrap();

    let folder = home.path().join("mail");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::write(folder.join("a.eml"), mail("Where is my order", "a")).unwrap();
    std::fs::write(folder.join("sub/b.eml"), mail("Damaged item", "b")).unwrap();
    let link = |to: &Path, name: &str| std::os::unix::fs::symlink(to, folder.join(name)).unwrap();
    link(&outside.path().join("secret.eml"), "to-secret.eml");
    link(&outside.path().join("private"), "to-private");
    link(Path::new("/etc"), "etc");
    link(&folder.join("sub"), "inside-folder");
    // A relative link that climbs out and back in stays inside.
    link(Path::new("../mail/a.eml"), "relative.eml");
    mkfifo(&folder.join("pipe.eml"));

    let out = import(home.path(), &[&folder]);
    let err = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report} {err}");
    assert_eq!(report["imported"], 2, "a.eml and sub/b.eml: {report} {err}");
    for name in ["to-secret.eml", "to-private", "etc"] {
        assert!(
            err.lines()
                .any(|l| l.contains(name)
                    && l.contains("outside the folder being imported: skipped")),
            "{name} reported: {err}"
        );
    }
    assert!(!err.contains("inside-folder"), "{err}");
    for secret in ["SECRET-FILE-OUTSIDE", "SECRET-FOLDER-OUTSIDE", "root:x:0:0"] {
        assert!(!stored(home.path(), secret), "{secret} was stored");
    }
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_fifo_socket_or_device_named_on_the_command_line_is_refused_without_blocking() {
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join("incoming.eml");
    mkfifo(&fifo);
    let socket_path = home.path().join("sock.eml");
    let _socket = std::os::unix::net::UnixListener::bind(&socket_path).unwrap();
    let good = home.path().join("good.eml");
    std::fs::write(&good, mail("Where is my order", "good")).unwrap();

    let out = import(
        home.path(),
        &[&fifo, &socket_path, Path::new("/dev/zero"), &good],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 1, "{report} {err}");
    assert_eq!(report["failed"], 3, "{report} {err}");
    assert!(
        err.contains("a FIFO (named pipe), not a mail file"),
        "{err}"
    );
    assert!(err.contains("a socket, not a mail file"), "{err}");
    assert!(
        err.contains("/dev/zero: a device, not a mail file"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1));
}
