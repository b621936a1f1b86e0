//! The panel's response rates (one pass over 90 days of buyer messages), account metrics and
//! recurring issues, on a worker thread with its own connection, so a large inbox never holds
//! up a key press.

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use chrono::{DateTime, Utc};

use crate::domain::metrics::AccountMetrics;
use crate::domain::response::{LateResponseRate, LateResponseTally, Outcome, outcome};
use crate::metrics::Trend;
use crate::store::recurring::{RecurringIssue, RecurringRule};
use crate::store::{Store, StoreError};

/// The windows the panel shows, in days.
pub const WINDOWS: [u32; 3] = [7, 30, 90];
/// Days in the sparkline of late responses.
pub const SPARK_DAYS: u32 = 14;

/// Days of history the dashboard draws.
pub const TREND_DAYS: u32 = 90;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanelRates {
    /// One per window of `WINDOWS`.
    pub late: Vec<LateResponseRate>,
    /// Late responses per day, the last `SPARK_DAYS` days, oldest first.
    pub late_per_day: Vec<u64>,
    /// The account metrics now.
    pub account: Option<AccountMetrics>,
    /// Each account metric's rate at the end of each of the last `TREND_DAYS` days.
    pub trends: Vec<(&'static str, Trend)>,
    /// The first recurring issues (most complaints first) and how many there are.
    pub recurring: (Vec<RecurringIssue>, usize),
}

/// Recurring issues the panel lists.
pub const RECURRING_SHOWN: usize = 3;

/// How often the daily trends are recomputed: they read every order of 180 days, and a day's
/// history does not change by the minute.
pub const TRENDS_EVERY: chrono::Duration = chrono::Duration::minutes(15);

/// Reads each buyer message of the longest window once; the account metrics from their
/// aggregates; with `trends`, also every metric's daily history (`trends` empty otherwise).
pub fn compute(
    store: &Store,
    now: DateTime<Utc>,
    trends: bool,
    recurring: RecurringRule,
) -> Result<PanelRates, StoreError> {
    let mut tallies: Vec<LateResponseTally> = WINDOWS
        .iter()
        .map(|&d| LateResponseTally::new(now, d))
        .collect();
    let mut per_day = vec![0u64; SPARK_DAYS as usize];
    let mut longest = WINDOWS.iter().copied().max().unwrap_or(90);
    // The dashboard's late-response chart: each day's 30-day rate, so 30 days more. Each
    // day is tallied as the messages stream by (keeping a million messages to go over again
    // took 30 MiB).
    let mut trend_days: Vec<LateResponseTally> = Vec::new();
    if trends {
        longest = longest.max(TREND_DAYS + LATE_TREND_WINDOW);
        trend_days = late_trend_days(now);
    }
    store.each_buyer_message_since(now, longest, |m| {
        for t in &mut tallies {
            t.add(&m);
        }
        for t in &mut trend_days {
            t.add(&m);
        }
        let age = (now - m.at).num_days();
        if (0..i64::from(SPARK_DAYS)).contains(&age)
            && matches!(outcome(&m, now), Outcome::Late(_) | Outcome::NoResponseYet)
        {
            per_day[SPARK_DAYS as usize - 1 - age as usize] += 1;
        }
    })?;
    let late: Vec<LateResponseRate> = tallies.iter().map(LateResponseTally::finish).collect();
    let (account, trends) = if trends {
        let late3 = [late[0], late[1], late[2]];
        let t = crate::metrics::compute_with_trends(store, now, &late3, TREND_DAYS)?;
        let late_trend = trend_days.iter().map(|t| t.finish().rate).collect();
        let mut trends = vec![(LATE_TREND_KEY, late_trend)];
        trends.extend(t.trends);
        (t.now, trends)
    } else {
        (crate::metrics::compute_fast(store, now, None)?, Vec::new())
    };
    Ok(PanelRates {
        late,
        late_per_day: per_day,
        account: Some(account),
        trends,
        recurring: store.recurring_issues(now, recurring, Some(RECURRING_SHOWN))?,
    })
}

/// The late-response chart's window and the metric row it draws.
const LATE_TREND_WINDOW: u32 = 30;
const LATE_TREND_KEY: &str = "late_response_30";

/// A tally of the 30-day late-response rate at the end of each of the last `TREND_DAYS` days,
/// oldest first: each message judged as it stood that day (a reply sent later had not been
/// sent).
fn late_trend_days(now: DateTime<Utc>) -> Vec<LateResponseTally> {
    (0..TREND_DAYS)
        .rev()
        .map(|d| {
            LateResponseTally::new(
                now - chrono::Duration::days(i64::from(d)),
                LATE_TREND_WINDOW,
            )
        })
        .collect()
}

/// Computes rates on its own thread and connection; the loop asks and later picks them up.
pub struct RatesWorker {
    requests: Sender<(DateTime<Utc>, bool)>,
    results: Receiver<Result<PanelRates, String>>,
    pending: bool,
}

impl RatesWorker {
    /// A worker reading `db`; `None` when its connection cannot be opened (the caller then
    /// computes on its own thread).
    pub fn spawn(db: &Path, recurring: RecurringRule) -> Option<RatesWorker> {
        let store = Store::open(db).ok()?;
        let (requests, inbox) = channel::<(DateTime<Utc>, bool)>();
        let (outbox, results) = channel();
        std::thread::Builder::new()
            .name("sellerdesk-rates".into())
            .spawn(move || {
                while let Ok((mut now, mut trends)) = inbox.recv() {
                    // Only the latest request matters (with trends if any asked for them).
                    while let Ok((later, t)) = inbox.try_recv() {
                        now = later;
                        trends |= t;
                    }
                    let r = compute(&store, now, trends, recurring).map_err(|e| e.to_string());
                    if outbox.send(r).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(RatesWorker {
            requests,
            results,
            pending: false,
        })
    }

    pub fn request(&mut self, now: DateTime<Utc>, trends: bool) {
        if self.requests.send((now, trends)).is_ok() {
            self.pending = true;
        }
    }

    /// The newest result, if one arrived.
    pub fn poll(&mut self) -> Option<Result<PanelRates, String>> {
        if !self.pending {
            return None;
        }
        let mut last = None;
        loop {
            match self.results.try_recv() {
                Ok(r) => last = Some(r),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.pending = false;
                    return Some(Err("the rates worker stopped".into()));
                }
            }
        }
        if last.is_some() {
            self.pending = false;
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::response::late_response_rate;
    use chrono::TimeZone;

    #[test]
    fn one_pass_gives_what_each_window_gives_alone_and_the_worker_agrees() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let (store, _) = crate::demo::build(&path, now).unwrap();
        let rates = compute(&store, now, true, RecurringRule::default()).unwrap();
        let all = store.buyer_messages_since(now, 90).unwrap();
        for (i, d) in WINDOWS.iter().enumerate() {
            assert_eq!(rates.late[i], late_response_rate(&all, now, *d));
        }
        let late_14: u64 = rates.late_per_day.iter().sum();
        let in_14 = late_response_rate(&all, now, 14).late();
        assert!(late_14 >= in_14 && late_14 > 0, "{late_14} vs {in_14}");
        // The dashboard's late-response chart: first, a value a day, today's the panel's
        // 30-day figure, a past day's as the messages stood then.
        let (key, trend) = &rates.trends[0];
        assert_eq!(*key, "late_response_30");
        assert_eq!(trend.len(), TREND_DAYS as usize);
        assert_eq!(trend.last().copied().flatten(), rates.late[1].rate);
        let ten_days_ago = now - chrono::Duration::days(10);
        let then = store.buyer_messages_since(now, 120).unwrap();
        assert_eq!(
            trend[TREND_DAYS as usize - 11],
            late_response_rate(&then, ten_days_ago, 30).rate
        );

        let mut worker = RatesWorker::spawn(&path, RecurringRule::default()).unwrap();
        assert!(worker.poll().is_none(), "nothing asked");
        worker.request(now, true);
        let got = loop {
            if let Some(r) = worker.poll() {
                break r.unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(got, rates);
    }
}
