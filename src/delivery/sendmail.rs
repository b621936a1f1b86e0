//! Delivery through a sendmail-compatible command (msmtp, sendmail, ...): the message on its
//! standard input, the recipient taken from the headers (`-t`) or the command line as the
//! seller configured it; success is exit status 0.

use std::io::Write;
use std::process::{Command, Stdio};

use super::{Attempt, clean_error};
use crate::config::delivery::Sendmail;
use crate::store::outbox::Job;

/// sysexits.h: "temporary failure, try again later".
const EX_TEMPFAIL: i32 = 75;

pub fn deliver(
    settings: &Sendmail,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
) -> Attempt {
    let Some((program, args)) = settings.command.split_first() else {
        return Attempt::Temporary("no sendmail command configured".into());
    };
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Attempt::Temporary(format!("`{program}` could not be started: {e}")),
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
        Err(e) => return Attempt::Unknown(format!("`{program}` could not be waited for: {e}")),
    };
    let said = clean_error(&String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) if written.is_ok() => Attempt::Sent(format!("`{program}` took it")),
        // It exited 0 without reading everything: it did not send what we gave it.
        Some(0) => Attempt::Temporary(format!("`{program}` did not read the whole message")),
        Some(EX_TEMPFAIL) => Attempt::Temporary(format!(
            "`{program}` exited {EX_TEMPFAIL} (try later): {said}"
        )),
        Some(code) => Attempt::Permanent(format!("`{program}` exited {code}: {said}")),
        None => Attempt::Unknown(format!("`{program}` was killed while sending: {said}")),
    }
}
