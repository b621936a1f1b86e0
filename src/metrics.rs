//! The account metrics of a database at `now`: its records read from the store, counted by the
//! pure functions of `domain::metrics`; and how each is written for people (`format`).

pub mod format;

use chrono::{DateTime, Utc};

use chrono::Duration;

use crate::domain::account::{AmazonFigure, marketplace_domain};
use crate::domain::metrics::{AccountMetrics, AmazonCheck, Part, Records, account_metrics};
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
    let mut m = account_metrics(
        &records_of(&records),
        now,
        &late,
        says.ahr,
        says.ahr_status.clone(),
    );
    attach_amazon(store, &mut m, &says.figures, marketplace)?;
    Ok(m)
}

/// The figures of the latest account health report imported (older reports' figures are kept
/// in the store, not shown).
pub fn latest_report(figures: &[AmazonFigure]) -> Vec<&AmazonFigure> {
    let latest = figures.iter().map(|f| f.reported_at).max();
    figures
        .iter()
        .filter(|f| Some(f.reported_at) == latest)
        .collect()
}

/// The marketplaces a report's figures are for.
pub fn marketplace_ids<'a>(figures: &[&'a AmazonFigure]) -> std::collections::BTreeSet<&'a str> {
    figures.iter().map(|f| f.marketplace_id.as_str()).collect()
}

/// Puts Amazon's latest figures beside ours: each metric Amazon's report gives (for the
/// marketplace asked for, or the report's only marketplace) gains Amazon's rate and counts and
/// ours over exactly Amazon's reporting range. Both computation paths share this step.
pub fn attach_amazon(
    store: &Store,
    m: &mut AccountMetrics,
    figures: &[AmazonFigure],
    marketplace: Option<&str>,
) -> Result<(), StoreError> {
    let figures = latest_report(figures);
    let ids = marketplace_ids(&figures);
    let chosen: Vec<&AmazonFigure> = match marketplace {
        Some(want) => figures
            .into_iter()
            .filter(|f| marketplace_domain(&f.marketplace_id) == Some(want))
            .collect(),
        // Without a filter, only a report of one marketplace compares with the whole account.
        None if ids.len() == 1 => figures,
        None => Vec::new(),
    };
    for f in chosen {
        let Some(metric) = m.get_mut(&f.metric) else {
            continue;
        };
        let (ours, ours_parts) = match (f.from, f.to) {
            (Some(from), Some(to)) if from <= to => {
                let market = marketplace.or_else(|| marketplace_domain(&f.marketplace_id));
                // Amazon's range includes its first second.
                let (n, d, parts) =
                    store.counts_between(&f.metric, market, from - Duration::seconds(1), to)?;
                (Some(Part::of(n, d)), parts)
            }
            _ => (None, None),
        };
        let agrees = match (ours, f.numerator, f.denominator) {
            (Some(o), Some(n), Some(d)) => Some(o.numerator == n && o.denominator == d),
            _ => None,
        };
        metric.amazon = Some(AmazonCheck {
            rate: f.rate,
            numerator: f.numerator,
            denominator: f.denominator,
            status: f.status.clone(),
            from: f.from,
            to: f.to,
            marketplace_id: (!f.marketplace_id.is_empty()).then(|| f.marketplace_id.clone()),
            parts: f.parts,
            ours,
            ours_parts,
            agrees,
        });
    }
    Ok(())
}

/// Every metric from aggregate queries over covering indexes: the same figures as `compute`
/// (tests hold them equal), without reading the records themselves.
pub fn compute_fast(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
) -> Result<AccountMetrics, StoreError> {
    compute_fast_with(store, now, marketplace, true, true)
}

/// `compute_fast`; without `with_late` the late response rates are left as no data (the
/// trends read them from elsewhere); without `with_amazon` Amazon's figures are not attached.
fn compute_fast_with(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
    with_late: bool,
    with_amazon: bool,
) -> Result<AccountMetrics, StoreError> {
    use crate::domain::metrics::*;
    let c = store.metric_counts(now, marketplace, with_late)?;
    let says = store.amazon_says()?;
    let m = |(n, d): (u64, u64), days, target| evaluate(n, d, Some(days), target);
    let odr = |o: &crate::store::account_sql::OdrCounts| {
        let mut x = evaluate(o.defects, o.orders, Some(60), Some(ODR_TARGET));
        x.parts = Some(OdrParts {
            negative_feedback: Part::of(o.negative, o.orders),
            a_to_z: Part::of(o.a_to_z, o.orders),
            chargebacks: Part::of(o.chargebacks, o.orders),
        });
        x
    };
    let fb = |i: usize, days: Option<u32>| {
        let (pos, all, _) = c.feedback[i];
        evaluate(pos, all, days, Some(FEEDBACK_TARGET))
    };
    let late = |i: usize, days: u32| {
        let (late, counted, _, _) = c.late_response[i];
        evaluate(late, counted, Some(days), Some(LATE_RESPONSE_TARGET))
    };
    let mut out = AccountMetrics {
        odr: odr(&c.odr[0]),
        odr_fba: odr(&c.odr[1]),
        lsr_10: m(c.lsr_10, 10, Some(LSR_TARGET)),
        lsr_30: m(c.lsr_30, 30, Some(LSR_TARGET)),
        pcr: m(c.pcr, 7, Some(PCR_TARGET)),
        vtr: m(c.vtr, 30, Some(VTR_TARGET)),
        otdr: m(c.otdr, OTDR_DAYS, Some(OTDR_TARGET)),
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
            amazon_status: says.ahr_status.clone(),
        },
    };
    if with_amazon {
        attach_amazon(store, &mut out, &says.figures, marketplace)?;
    }
    Ok(out)
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
    let mut current = compute_fast_with(store, now, None, false, true)?;
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
        // A past day's figures need no comparison with Amazon's latest report.
        let day = compute_fast_with(store, at, None, false, false)?;
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
