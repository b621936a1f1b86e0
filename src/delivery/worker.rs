//! The app's sender: delivers the outbox on a thread of its own (its own connection), so a
//! slow or unreachable server never holds up a frame. It runs when woken (a reply was just
//! queued, the seller asked for a retry) and when the next retry falls due.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender as Channel, channel};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Sender, Summary};
use crate::config::Config;
use crate::store::Store;

/// What one run of the worker did, or why it could not run.
pub type Report = Result<Summary, String>;

/// Longest sleep between looks at the outbox: replies queued by another terminal or by
/// `sellerdesk send`'s failures are picked up within this.
const IDLE: Duration = Duration::from_secs(5);

pub struct Worker {
    wake: Channel<()>,
    pub reports: Receiver<Report>,
}

impl Worker {
    pub fn spawn(
        db: &Path,
        config: &Config,
        clock: impl Fn() -> DateTime<Utc> + Send + 'static,
    ) -> Result<Worker, String> {
        let mut store = Store::open(db).map_err(|e| e.to_string())?;
        let config = config.clone();
        let (wake, woken) = channel::<()>();
        let (report, reports) = channel::<Report>();
        std::thread::Builder::new()
            .name("sellerdesk-sender".into())
            .spawn(move || {
                let sender = Sender::new(&config, &clock);
                // What a sender that died left half-done is the seller's to decide.
                let first = sender.recover(&mut store).map_err(|e| e.to_string());
                let unknown = first.as_ref().copied().unwrap_or_default();
                let mut carried = Summary {
                    unknown,
                    ..Summary::default()
                };
                if let Err(e) = first
                    && report.send(Err(e)).is_err()
                {
                    return;
                }
                loop {
                    let run = sender
                        .deliver_due(&mut store, &|| false)
                        .map_err(|e| e.to_string());
                    let run = run.map(|mut s| {
                        s.unknown += std::mem::take(&mut carried.unknown);
                        s
                    });
                    let worth_telling = !matches!(&run, Ok(s) if *s == Summary::default());
                    if worth_telling && report.send(run).is_err() {
                        return;
                    }
                    let wait = store
                        .outbox_next_due()
                        .ok()
                        .flatten()
                        .and_then(|at| (at - clock()).to_std().ok())
                        .map_or(IDLE, |d| d.min(IDLE));
                    match woken.recv_timeout(wait) {
                        Ok(()) => while woken.try_recv().is_ok() {},
                        Err(RecvTimeoutError::Timeout) => {}
                        // The app is gone.
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Worker { wake, reports })
    }

    /// Look at the outbox now.
    pub fn wake(&self) {
        let _ = self.wake.send(());
    }
}
