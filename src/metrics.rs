//! The account metrics of a database at `now`: its records read from the store, counted by the
//! pure functions of `domain::metrics`.

use chrono::{DateTime, Utc};

use crate::domain::metrics::{AccountMetrics, Records, account_metrics};
use crate::domain::response::LateResponseTally;
use crate::store::{Store, StoreError};

/// Every metric, optionally for one marketplace (`amazon.de`). Late response counts every
/// buyer message: messages carry no marketplace filter yet.
pub fn compute(
    store: &Store,
    now: DateTime<Utc>,
    marketplace: Option<&str>,
) -> Result<AccountMetrics, StoreError> {
    let records = store.account_records(now, marketplace)?;
    let mut tallies = [7, 30, 90].map(|d| LateResponseTally::new(now, d));
    store.each_buyer_message_since(now, 90, |m| {
        for t in &mut tallies {
            t.add(&m);
        }
    })?;
    let late = tallies.map(|t| t.finish());
    let says = store.amazon_says()?;
    let r = Records {
        orders: &records.orders,
        feedback: &records.feedback,
        claims: &records.claims,
        refunds: &records.refunds,
        cancellations: &records.cancellations,
        shipments: &records.shipments,
        buyer_contacted: &records.buyer_contacted,
    };
    Ok(account_metrics(&r, now, &late, says.ahr, says.ahr_status))
}
