//! A command whose reader goes away (`sellerdesk status | head -1`) ends quietly with its
//! normal exit code: no "Broken pipe" error, and no panic when stderr is that same closed pipe
//! (`2>&1 | head -1`). The pipe's read end is closed before the command writes, so every write
//! meets a closed pipe.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

const NOW: &str = "2026-11-22T12:00:00Z";

/// The write end of a pipe nobody reads any more.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just made by pipe(2) and are owned here.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    write
}

#[test]
fn a_closed_stdout_ends_each_command_quietly_with_its_own_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("inbox.db");
    let mail = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    let sd = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sellerdesk"));
        c.env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env_remove("SELLERDESK_CONFIG")
            .env_remove("SELLERDESK_DB")
            .arg("--db")
            .arg(&db)
            .args(["--now", NOW])
            .args(args)
            .stdin(Stdio::null());
        c
    };
    let imported = sd(&["import", mail.to_str().unwrap()]).output().unwrap();
    assert!(
        imported.status.code().is_some_and(|c| c < 3),
        "{imported:?}"
    );
    for args in [
        &["status"][..],
        &["status", "--json"][..],
        &["metrics"][..],
        &["report"][..],
        &["outbox"][..],
        &["templates", "list"][..],
        &["import", mail.to_str().unwrap()][..],
    ] {
        // What it exits with when someone reads everything.
        let normal = sd(args).output().unwrap();
        assert!(!normal.stdout.is_empty(), "{args:?}");
        // `| head -1`: stdout closed, stderr read.
        let out = sd(args)
            .stdout(Stdio::from(closed_pipe()))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), normal.status.code(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!said.contains("Broken pipe"), "{args:?}: {said}");
        // `2>&1 | head -1`: both closed.
        let pipe = closed_pipe();
        let out = sd(args)
            .stdout(Stdio::from(pipe.try_clone().unwrap()))
            .stderr(Stdio::from(pipe))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            normal.status.code(),
            "{args:?}: no panic (101)"
        );
    }
}
