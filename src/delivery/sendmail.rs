//! Delivery through a sendmail-compatible command (msmtp, sendmail, exim, ...): the message on
//! its standard input, the recipient taken from the headers (`-t`) or the command line as the
//! seller configured it.
//!
//! What the exit status means, after sysexits.h and what msmtp does with it:
//!
//! | exit                  | meaning                                             | outcome    |
//! |-----------------------|-----------------------------------------------------|------------|
//! | 0                     | taken                                               | delivered  |
//! | 75 `EX_TEMPFAIL`      | try again later                                     | retried    |
//! | 69 `EX_UNAVAILABLE`   | the server or a service is unavailable              | retried    |
//! | 77 `EX_NOPERM`        | msmtp: the login was refused                        | retried    |
//! | 74 `EX_IOERR`         | msmtp: timeout or I/O error, maybe after the dot    | unknown    |
//! | 76 `EX_PROTOCOL`      | msmtp: the connection broke, maybe after the dot    | unknown    |
//! | killed by a signal    | it may have handed the message on                   | unknown    |
//! | anything else         | refused (67 no such user, 65 bad data, 78 config …) | failed     |
//!
//! An `unknown` reply is never sent again without the seller's say-so: the server may have it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Attempt, clean_error};
use crate::config::delivery::Sendmail;
use crate::store::outbox::Job;

const EX_UNAVAILABLE: i32 = 69;
const EX_IOERR: i32 = 74;
const EX_TEMPFAIL: i32 = 75;
const EX_PROTOCOL: i32 = 76;
const EX_NOPERM: i32 = 77;

/// A bare name is looked up on `PATH` (so the error can say so); a path is used as given.
fn program(name: &str) -> Result<PathBuf, String> {
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    which::which(name).map_err(|_| {
        format!(
            "`{name}` was not found on PATH ({}): install it or give its full path in \
             [delivery.sendmail] command",
            std::env::var("PATH").unwrap_or_default()
        )
    })
}

/// The outcome of a command that ran to its end: `code` is `None` when a signal killed it.
fn outcome(name: &str, code: Option<i32>, read_all: bool, said: &str) -> Attempt {
    match code {
        Some(0) if read_all => Attempt::Sent(format!("`{name}` took it")),
        // It stopped reading and still said yes: whatever it queued is not the whole reply, and
        // it may have gone out — sending again could give the buyer two (partial) copies.
        Some(0) => Attempt::Unknown(format!(
            "`{name}` exited 0 without reading the whole message: part of it may have been sent"
        )),
        Some(EX_TEMPFAIL) => Attempt::Temporary(format!(
            "`{name}` exited {EX_TEMPFAIL} (try again later): {said}"
        )),
        Some(EX_UNAVAILABLE) => Attempt::Temporary(format!(
            "`{name}` exited {EX_UNAVAILABLE} (service unavailable): {said}"
        )),
        Some(EX_NOPERM) => Attempt::Temporary(super::login_refused(&format!(
            "`{name}` exited {EX_NOPERM}: {said}"
        ))),
        Some(code @ (EX_IOERR | EX_PROTOCOL)) => Attempt::Unknown(format!(
            "`{name}` exited {code} (the connection failed, perhaps after the server took the \
             message): {said}"
        )),
        Some(code) => Attempt::Permanent(format!("`{name}` exited {code}: {said}")),
        None => Attempt::Unknown(format!("`{name}` was killed while sending: {said}")),
    }
}

pub fn deliver(
    settings: &Sendmail,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
) -> Attempt {
    let Some((name, args)) = settings.command.split_first() else {
        return Attempt::Temporary("no sendmail command configured".into());
    };
    let path = match program(name) {
        Ok(p) => p,
        Err(e) => return Attempt::Temporary(e),
    };
    let mut child = match Command::new(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Attempt::Temporary(format!("`{name}` could not be started: {e}")),
    };
    match before_final() {
        Ok(true) => {}
        outcome => {
            let _ = child.kill();
            let _ = child.wait();
            return match outcome {
                Err(e) => Attempt::Temporary(e),
                _ => Attempt::Lost,
            };
        }
    }
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(&job.raw))
        .unwrap_or(Ok(()));
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return Attempt::Unknown(format!("`{name}` could not be waited for: {e}")),
    };
    let said = clean_error(&String::from_utf8_lossy(&out.stderr));
    outcome(name, out.status.code(), written.is_ok(), &said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_exit_status_has_its_outcome() {
        let kind = |code, read_all| match outcome("msmtp", code, read_all, "x") {
            Attempt::Sent(_) => "sent",
            Attempt::Temporary(_) => "retry",
            Attempt::Permanent(_) => "failed",
            Attempt::Unknown(_) => "unknown",
            Attempt::Lost => "lost",
        };
        for (code, expected) in [
            (Some(0), "sent"),
            (Some(75), "retry"),
            (Some(69), "retry"),
            (Some(77), "retry"),
            (Some(74), "unknown"),
            (Some(76), "unknown"),
            (None, "unknown"),
            (Some(1), "failed"),
            (Some(65), "failed"),
            (Some(67), "failed"),
            (Some(78), "failed"),
        ] {
            assert_eq!(kind(code, true), expected, "{code:?}");
        }
        assert_eq!(kind(Some(0), false), "unknown");
    }

    #[test]
    fn a_bare_name_is_found_on_path_and_a_missing_one_says_so() {
        assert!(program("sh").unwrap().is_absolute());
        let e = program("no-such-sendmail-here").unwrap_err();
        assert!(e.contains("not found on PATH"), "{e}");
        assert_eq!(program("./x").unwrap(), PathBuf::from("./x"));
    }
}
