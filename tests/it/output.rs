//! What the commands write: a reader that goes away (`sellerdesk status | head -1`) ends the
//! output quietly with the normal exit code — no "Broken pipe" error, and no panic when stderr
//! is that same closed pipe (`2>&1 | head -1`; the pipe's read end is closed before the command
//! writes, so every write meets it) — and a path or value from the command line holding
//! escape sequences reaches the terminal only as visible stand-ins.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;

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
        let mut c = crate::support::bin::sellerdesk(home.path());
        c.arg("--db")
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

#[test]
fn paths_and_values_from_the_command_line_never_write_escape_sequences() {
    let home = tempfile::tempdir().unwrap();
    // OSC 52 sets the clipboard; CSI moves the cursor; BEL ends the OSC.
    let evil = "x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m";
    let config = home.path().join(format!("{evil}.toml"));
    let db = home.path().join(format!("{evil}.db"));
    let mail = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/buyer_inquiry.eml");
    let backup = home.path().join(format!("{evil}.backup"));
    let run = |args: &[&std::ffi::OsStr]| {
        crate::support::bin::sellerdesk(home.path())
            .args(["--now", NOW])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        // A config that is not there, a database that is not there.
        vec![os("--config"), config.clone().into(), os("status")],
        vec![os("--db"), db.clone().into(), os("status")],
        // A value clap refuses, quoting it.
        vec![os("status"), os("--limit"), os(evil)],
        vec![os(evil)],
        // Paths in normal output.
        vec![
            os("--db"),
            db.clone().into(),
            os("import"),
            mail.clone().into(),
        ],
        vec![
            os("--db"),
            db.clone().into(),
            os("backup"),
            backup.clone().into(),
        ],
        vec![
            os("--db"),
            db.clone().into(),
            os("restore"),
            backup.clone().into(),
        ],
    ];
    for args in cases {
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let out = run(&refs);
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
                "{args:?} {stream}: {text:?}"
            );
        }
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // A path is still named, made visible (clap drops escape sequences from the values it
        // quotes by itself).
        if args.iter().any(|a| a == "--db" || a == "--config") {
            assert!(all.contains("␛]52"), "{args:?}: {all}");
        }
    }
}
