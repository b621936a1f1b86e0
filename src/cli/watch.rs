//! `sellerdesk watch`: imports mail as it arrives in the configured Maildirs (`[[mailbox]]`),
//! without the app — for a server or a tmux pane. Runs until SIGINT or SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

use super::Invocation;
use crate::import::intake::{Intake, check_mailboxes};
use crate::text::safe_text;

pub fn run(inv: &Invocation) -> Result<u8> {
    let boxes = check_mailboxes(&inv.config).map_err(|e| anyhow!(e))?.len();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let db = inv.db_path()?;
    // Opened here first: a database that must be refused is refused before any thread starts.
    drop(inv.create_store()?);
    // Time runs on from --now, as in the app.
    let (start, opened) = (inv.now, Instant::now());
    let intake = Intake::spawn(&db, &inv.config, move || {
        start + chrono::Duration::from_std(opened.elapsed()).unwrap_or_default()
    })
    .map_err(|e| anyhow!(e))?;
    while !stop.load(Ordering::Relaxed) {
        let arrival = match intake.arrivals.recv_timeout(Duration::from_millis(200)) {
            Ok(arrival) => arrival,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let report = match arrival.report {
            Ok(report) => report,
            Err(e) => {
                errln!("sellerdesk: import failed: {e}");
                continue;
            }
        };
        for p in &report.problems {
            errln!(
                "sellerdesk: {}: {}",
                safe_text::line(&p.path.display().to_string()),
                p.message
            );
        }
        if arrival.catch_up {
            outln!(
                "watching {boxes} mailbox{} · caught up: imported {} · duplicates {}",
                if boxes == 1 { "" } else { "es" },
                report.imported,
                report.duplicates
            );
        } else if report.imported > 0 || report.failed > 0 {
            outln!(
                "{} · imported {} · duplicates {} · flagged {} · failed {}",
                crate::text::time_fmt::local(arrival.at, inv.config.timezone),
                report.imported,
                report.duplicates,
                report.flagged,
                report.failed
            );
        }
    }
    Ok(0)
}
