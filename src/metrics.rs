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

/// Every metric, optionally for one marketplace (`amazon.de`; late responses by their
/// thread's marketplace).
pub fn compute(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
) -> Result<AccountMetrics, StoreError> {
    let records = store.account_records(now, marketplace)?;
    let mut tallies = [7, 30, 90].map(|d| LateResponseTally::new(now, d));
    store.each_buyer_message_in(now, 90, marketplace, |m| {
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

/// Every metric from aggregate queries over covering indexes: the same figures as `compute`
/// (tests hold them equal), without reading the records themselves.
pub fn compute_fast(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
) -> Result<AccountMetrics, StoreError> {
    compute_fast_with(store, now, marketplace, true)
}

/// `compute_fast`; without `with_late` the late response rates are left as no data (the
/// trends read them from elsewhere).
fn compute_fast_with(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
    with_late: bool,
) -> Result<AccountMetrics, StoreError> {
    use crate::domain::metrics::*;
    let c = store.metric_counts(now, marketplace, with_late)?;
    let says = store.amazon_says()?;
    let m = |(n, d): (u64, u64), days, target| evaluate(n, d, Some(days), target);
    let fb = |i: usize, days: Option<u32>| {
        let (pos, all, _) = c.feedback[i];
        evaluate(pos, all, days, Some(FEEDBACK_TARGET))
    };
    let late = |i: usize, days: u32| {
        let (late, counted, _, _) = c.late_response[i];
        evaluate(late, counted, Some(days), Some(LATE_RESPONSE_TARGET))
    };
    Ok(AccountMetrics {
        odr: m(c.odr, 60, Some(ODR_TARGET)),
        lsr_10: m(c.lsr_10, 10, Some(LSR_TARGET)),
        lsr_30: m(c.lsr_30, 30, Some(LSR_TARGET)),
        pcr: m(c.pcr, 7, Some(PCR_TARGET)),
        vtr: m(c.vtr, 30, Some(VTR_TARGET)),
        feedback_30: fb(0, Some(30)),
        feedback_90: fb(1, Some(90)),
        feedback_365: fb(2, Some(365)),
        feedback_lifetime: fb(3, None),
        refund_rate: m(c.refunds, 30, None),
        pop: m(c.pop, 90, Some(POP_TARGET)),
        late_response_7: late(0, 7),
        late_response_30: late(1, 30),
        late_response_90: late(2, 90),
        ahr: Ahr {
            value: says.ahr,
            status: ahr_status(says.ahr),
            amazon_status: says.ahr_status,
        },
    })
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

/// The metrics now and as they stood at the end of each of the last `trend_days` days, each
/// from the aggregate queries (nothing held in memory, however many orders). `late` holds the
/// late response rates (7, 30, 90 days) now.
pub fn compute_with_trends(
    store: &Store,
    now: DateTime<Utc>,
    late: &[crate::domain::response::LateResponseRate; 3],
    trend_days: u32,
) -> Result<WithTrends, StoreError> {
    use crate::domain::metrics::late_response;
    let mut current = compute_fast_with(store, now, None, false)?;
    current.late_response_7 = late_response(&late[0]);
    current.late_response_30 = late_response(&late[1]);
    current.late_response_90 = late_response(&late[2]);
    let mut trends: Vec<(&'static str, Trend)> = current
        .rows()
        .into_iter()
        .filter(|(k, _, _)| !k.starts_with("late_response"))
        .map(|(k, _, _)| (k, Vec::with_capacity(trend_days as usize)))
        .collect();
    for d in (0..trend_days).rev() {
        let at = now - Duration::days(i64::from(d));
        let day = compute_fast_with(store, at, None, false)?;
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
