//! The account metrics of a database at `now`: its records read from the store, counted by the
//! pure functions of `domain::metrics`.

use chrono::{DateTime, Utc};

use chrono::Duration;

use crate::domain::metrics::{AccountMetrics, Records, account_metrics};
use crate::domain::response::LateResponseTally;
use crate::store::account::AccountRecords;
use crate::store::{Store, StoreError};

/// A metric's rate on each of the last days, oldest first (`None`: no data that day).
pub type Trend = Vec<Option<f64>>;

/// The metrics now, and each metric's daily trend over `trend_days` (keyed as in
/// `AccountMetrics::rows`).
pub struct WithTrends {
    pub now: AccountMetrics,
    pub trends: Vec<(&'static str, Trend)>,
}

/// Every metric, optionally for one marketplace (`amazon.de`). Late response counts every
/// buyer message: messages carry no marketplace filter yet.
pub fn compute(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
) -> Result<AccountMetrics, StoreError> {
    let records = store.account_records(now, marketplace, 0)?;
    let mut tallies = [7, 30, 90].map(|d| LateResponseTally::new(now, d));
    store.each_buyer_message_since(now, 90, |m| {
        for t in &mut tallies {
            t.add(&m);
        }
    })?;
    let late = tallies.map(|t| t.finish());
    let says = store.amazon_says()?;
    Ok(account_metrics(
        &records_of(&records),
        now,
        &late,
        says.ahr,
        says.ahr_status,
    ))
}

fn records_of(r: &AccountRecords) -> Records<'_> {
    Records {
        orders: &r.orders,
        feedback: &r.feedback,
        claims: &r.claims,
        refunds: &r.refunds,
        cancellations: &r.cancellations,
        shipments: &r.shipments,
        buyer_contacted: &r.buyer_contacted,
    }
}

/// The metrics now and as they stood at the end of each of the last `trend_days` days, from
/// one read of the records. `late` holds the late response rates (7, 30, 90 days) now.
pub fn compute_with_trends(
    store: &Store,
    now: DateTime<Utc>,
    late: &[crate::domain::response::LateResponseRate; 3],
    trend_days: u32,
) -> Result<WithTrends, StoreError> {
    let records = store.account_records(now, None, trend_days)?;
    let r = records_of(&records);
    let says = store.amazon_says()?;
    let current = account_metrics(&r, now, late, says.ahr, says.ahr_status.clone());
    let mut trends: Vec<(&'static str, Trend)> = current
        .rows()
        .into_iter()
        .filter(|(k, _, _)| !k.starts_with("late_response"))
        .map(|(k, _, _)| (k, Vec::with_capacity(trend_days as usize)))
        .collect();
    for d in (0..trend_days).rev() {
        let at = now - Duration::days(i64::from(d));
        let day = account_metrics(&r, at, late, None, None);
        for ((_, trend), (_, _, m)) in trends.iter_mut().zip(
            day.rows()
                .into_iter()
                .filter(|(k, _, _)| !k.starts_with("late_response")),
        ) {
            trend.push(m.rate);
        }
    }
    Ok(WithTrends {
        now: current,
        trends,
    })
}
