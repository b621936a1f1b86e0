//! Delivery into the `.eml` outbox folder, for another program to send: the file appears
//! whole (written hidden, synced, then renamed) or not at all.

use std::path::Path;

use super::Attempt;
use crate::reply::outbox;
use crate::store::outbox::Job;

pub fn deliver(
    dir: &Path,
    job: &Job,
    before_final: &mut dyn FnMut() -> Result<bool, String>,
) -> Attempt {
    let stem = format!(
        "{}-t{}-m{}",
        job.queued_at.format("%Y%m%dT%H%M%SZ"),
        job.thread_id,
        job.message_id
    );
    let pending = match outbox::stage(dir, &stem, &job.raw) {
        Ok(p) => p,
        Err(e) => return Attempt::Temporary(e.to_string()),
    };
    match before_final() {
        Ok(true) => {}
        Ok(false) => return Attempt::Lost,
        Err(e) => return Attempt::Temporary(e),
    }
    match pending.publish() {
        Ok(path) => Attempt::Sent(format!("written to {}", path.display())),
        // The rename did not happen: the file is not there (the temporary one is removed).
        Err(e) => Attempt::Temporary(e.to_string()),
    }
}
