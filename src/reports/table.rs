//! The tab- and comma-separated reports: columns found by header name.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::dates::{self, DayOrder};
use super::{Record, ReportKind, RowError};
use crate::domain::account::{
    Cancellation, CancelledBy, Claim, ClaimKind, ClaimStatus, Feedback, FeedbackSource,
    FulfilmentChannel, Order, Refund, Shipment,
};
use crate::domain::identifiers::is_order_id;

/// One row with its columns by (lower-cased) header name.
struct Row<'a> {
    line: u64,
    fields: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    fn err(&self, column: &str, message: impl Into<String>) -> RowError {
        RowError {
            line: self.line,
            column: Some(column.to_string()),
            message: message.into(),
        }
    }

    /// The trimmed value, `None` when the column is missing or the cell empty.
    fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|&i| self.fields.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn required(&self, column: &str) -> Result<&str, RowError> {
        self.get(column).ok_or_else(|| self.err(column, "empty"))
    }

    fn order_id(&self, column: &str) -> Result<String, RowError> {
        let v = self.required(column)?;
        if is_order_id(v) {
            Ok(v.to_string())
        } else {
            Err(self.err(column, format!("`{v}` is not an order ID (3-7-7 digits)")))
        }
    }

    fn date(&self, column: &str, tz: Tz) -> Result<DateTime<Utc>, RowError> {
        let v = self.required(column)?;
        let at = dates::iso(v, tz)
            .ok_or_else(|| self.err(column, format!("`{v}` is not an ISO 8601 date")))?;
        dates::plausible(v, at).map_err(|m| self.err(column, m))
    }

    fn optional_date(&self, column: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, RowError> {
        match self.get(column) {
            None => Ok(None),
            Some(_) => self.date(column, tz).map(Some),
        }
    }

    fn int(&self, column: &str) -> Result<Option<i64>, RowError> {
        match self.get(column) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| self.err(column, format!("`{v}` is not a whole number"))),
        }
    }
}

/// `Amazon.com` → `amazon.com`; `Non-Amazon` and the like → none.
fn marketplace(sales_channel: Option<&str>) -> Option<String> {
    let s = sales_channel?.trim().to_ascii_lowercase();
    s.starts_with("amazon.").then_some(s)
}

/// Columns every row of `kind` must have.
fn required_columns(kind: ReportKind) -> &'static [&'static str] {
    match kind {
        ReportKind::AllOrders => &["amazon-order-id", "purchase-date"],
        ReportKind::ShipConfirm => &["order-id", "ship-date"],
        ReportKind::FeedbackReport => &["date", "rating"],
        ReportKind::FeedbackCsv => &["date", "rating"],
        ReportKind::ClaimsCsv => &["order_id", "kind", "opened", "status"],
        ReportKind::RefundsCsv => &["order_id", "refunded"],
        ReportKind::CancellationsCsv => &["order_id", "cancelled"],
        ReportKind::DeliveriesCsv => &["order_id", "delivered"],
        ReportKind::AhrCsv => &["date", "ahr"],
        ReportKind::OrdersApi | ReportKind::AccountHealth => &[],
    }
}

pub fn parse(kind: ReportKind, text: &str, tz: Tz, emit: &mut dyn FnMut(Result<Record, RowError>)) {
    let delimiter = match kind {
        ReportKind::AllOrders | ReportKind::ShipConfirm | ReportKind::FeedbackReport => b'\t',
        _ => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        // Amazon's tab files do not quote; a stray `"` in a product name is text.
        .quoting(delimiter == b',')
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return emit(Err(RowError {
                line: 1,
                column: None,
                message: e.to_string(),
            }));
        }
    };
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
        .collect();
    for c in required_columns(kind) {
        if !columns.contains_key(*c) {
            return emit(Err(RowError {
                line: 1,
                column: Some(c.to_string()),
                message: "missing from the header".into(),
            }));
        }
    }
    // Feedback reports write dates as their marketplace does: decided from all of the file's
    // dates first (a small file), then read.
    let feedback_order = (kind == ReportKind::FeedbackReport).then(|| {
        let i = columns["date"];
        let mut pre = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .quoting(false)
            .from_reader(text.as_bytes());
        let dates: Vec<String> = pre
            .records()
            .filter_map(|r| r.ok().and_then(|r| r.get(i).map(str::to_string)))
            .collect();
        dates::day_order(dates.iter().map(String::as_str))
    });
    let ends_with_newline = text.ends_with('\n');
    let mut versions = super::OrderVersions::default();
    // One record of lookahead: a last line cut short (no newline, fewer columns than the
    // header) is a truncated file, reported rather than read as a row with missing values.
    let mut records = reader.records();
    let mut next = records.next();
    while let Some(current) = next {
        next = records.next();
        let fields = match current {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                emit(Err(RowError {
                    line,
                    column: None,
                    message: e.to_string(),
                }));
                continue;
            }
        };
        let line = fields.position().map_or(0, |p| p.line());
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if next.is_none() && !ends_with_newline && fields.len() < header.len() {
            emit(Err(RowError {
                line,
                column: None,
                message: format!(
                    "the file is truncated: its last line has {} of {} columns and no line end",
                    fields.len(),
                    header.len()
                ),
            }));
            continue;
        }
        if fields.len() < header.len() {
            // Missing cells would read as empty: a row that lost its tail is not a row.
            emit(Err(RowError {
                line,
                column: None,
                message: format!(
                    "{} of the header's {} columns: a row cut short (nothing read from it)",
                    fields.len(),
                    header.len()
                ),
            }));
            continue;
        }
        let row = Row {
            line,
            fields: &fields,
            columns: &columns,
        };
        let result = match kind {
            ReportKind::AllOrders => {
                // An item row gives the order and the item: both, or the row's error alone.
                let mut order = None;
                let result = all_orders(&row, tz, &mut |r| order = Some(r));
                let checked = match (&order, &result) {
                    (
                        Some(Ok(Record::Order {
                            order,
                            last_updated_at,
                        })),
                        _,
                    )
                    | (
                        None,
                        Ok(Record::Order {
                            order,
                            last_updated_at,
                        }),
                    ) => versions.check(order, *last_updated_at, line),
                    _ => Ok(()),
                };
                match checked {
                    Err(message) => Err(RowError {
                        line,
                        column: None,
                        message,
                    }),
                    Ok(()) => {
                        if let Some(order) = order {
                            emit(order);
                        }
                        result
                    }
                }
            }
            ReportKind::ShipConfirm => ship_confirm(&row, tz),
            ReportKind::FeedbackReport => {
                feedback(&row, tz, feedback_order, FeedbackSource::AmazonReport)
            }
            ReportKind::FeedbackCsv => feedback(&row, tz, None, FeedbackSource::AllRatings),
            ReportKind::ClaimsCsv => claim(&row, tz),
            ReportKind::RefundsCsv => refund(&row, tz),
            ReportKind::CancellationsCsv => cancellation(&row, tz),
            ReportKind::DeliveriesCsv => delivery(&row, tz),
            ReportKind::AhrCsv => ahr(&row, tz),
            ReportKind::OrdersApi | ReportKind::AccountHealth => continue,
        };
        emit(result);
    }
}

/// One item row: the order (as of its last update) and the item.
fn all_orders(
    row: &Row<'_>,
    tz: Tz,
    emit: &mut dyn FnMut(Result<Record, RowError>),
) -> Result<Record, RowError> {
    let order_id = row.order_id("amazon-order-id")?;
    let channel = match row.get("fulfillment-channel") {
        None => FulfilmentChannel::Merchant,
        Some(v) => FulfilmentChannel::parse(v).ok_or_else(|| {
            row.err(
                "fulfillment-channel",
                format!("`{v}` is neither Amazon nor Merchant"),
            )
        })?,
    };
    let order = Order {
        order_id: order_id.clone(),
        marketplace: marketplace(row.get("sales-channel")),
        purchased_at: row.date("purchase-date", tz)?,
        channel,
        status: row.text("order-status"),
        latest_ship_at: row.optional_date("latest-ship-date", tz)?,
        shipped_at: row.optional_date("ship-date", tz)?,
        delivered_at: match row.optional_date("delivery-date", tz)? {
            Some(d) => Some(d),
            None => row.optional_date("delivered-date", tz)?,
        },
        promised_delivery_at: match row.optional_date("latest-delivery-date", tz)? {
            Some(d) => Some(d),
            None => row.optional_date("promise-date", tz)?,
        },
    };
    let last_updated_at = row.optional_date("last-updated-date", tz)?;
    let item_key = row
        .text("order-item-id")
        .or_else(|| row.text("sku"))
        .or_else(|| row.text("asin"));
    if let Some(item_key) = item_key {
        let quantity = row.int("quantity")?;
        // Amazon writes 0 for an item of a cancelled order; anything else below 1 is wrong.
        let cancelled = [row.get("order-status"), row.get("item-status")]
            .iter()
            .flatten()
            .any(|s| s.eq_ignore_ascii_case("cancelled") || s.eq_ignore_ascii_case("canceled"));
        if let Some(q) = quantity
            && (q < 0 || (q == 0 && !cancelled))
        {
            return Err(row.err(
                "quantity",
                format!("`{q}` is not a quantity (1 or more; 0 only for a cancelled order)"),
            ));
        }
        emit(Ok(Record::Order {
            order,
            last_updated_at,
        }));
        return Ok(Record::Item {
            order_id,
            item_key,
            asin: row.text("asin"),
            sku: row.text("sku"),
            product_name: row.text("product-name"),
            quantity,
        });
    }
    Ok(Record::Order {
        order,
        last_updated_at,
    })
}

fn ship_confirm(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    Ok(Record::Shipment {
        shipment: Shipment {
            order_id: row.order_id("order-id")?,
            shipped_at: row.date("ship-date", tz)?,
            carrier: row
                .text("carrier-name")
                .or_else(|| row.text("carrier-code")),
            tracking: row.text("tracking-number"),
        },
        ship_method: row.text("ship-method"),
    })
}

fn feedback(
    row: &Row<'_>,
    tz: Tz,
    order: Option<DayOrder>,
    source: FeedbackSource,
) -> Result<Record, RowError> {
    let v = row.required("date")?;
    let rated_at = match order {
        Some(o) => dates::feedback_date(v, o, tz),
        None => dates::iso(v, tz),
    }
    .ok_or_else(|| row.err("date", format!("`{v}` is not a date")))
    .and_then(|at| dates::plausible(v, at).map_err(|m| row.err("date", m)))?;
    let r = row.required("rating")?;
    let rating: u8 = r
        .parse()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| row.err("rating", format!("`{r}` is not a rating from 1 to 5")))?;
    let order_column = if source == FeedbackSource::AmazonReport {
        "order id"
    } else {
        "order_id"
    };
    let order_id = match row.get(order_column) {
        Some(_) => Some(row.order_id(order_column)?),
        None => None,
    };
    // The project's CSV may say when Amazon removed the feedback.
    let removed_at = match row.get("removed") {
        None => None,
        Some(v) => Some(
            match order {
                Some(o) => dates::feedback_date(v, o, tz),
                None => dates::iso(v, tz),
            }
            .ok_or_else(|| row.err("removed", format!("`{v}` is not a date")))
            .and_then(|at| dates::plausible(v, at).map_err(|m| row.err("removed", m)))?,
        ),
    };
    Ok(Record::Feedback {
        feedback: Feedback {
            order_id,
            rated_at,
            rating,
            source,
            removed_at,
        },
        comments: row.text("comments"),
        response: row.text("response"),
        rater_email: row.text("rater email"),
    })
}

fn claim(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    let k = row.required("kind")?;
    let kind = ClaimKind::parse(k).ok_or_else(|| {
        row.err(
            "kind",
            format!("`{k}` is not a-to-z, chargeback or fraud-chargeback"),
        )
    })?;
    let v = row.required("status")?;
    let status = ClaimStatus::parse(v).ok_or_else(|| {
        let known: Vec<&str> = ClaimStatus::ALL.iter().map(|s| s.key()).collect();
        row.err(
            "status",
            format!("`{v}` is not a claim outcome ({})", known.join(", ")),
        )
    })?;
    Ok(Record::Claim(Claim {
        order_id: row.order_id("order_id")?,
        kind,
        opened_at: row.date("opened", tz)?,
        status,
    }))
}

fn refund(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    Ok(Record::Refund {
        refund: Refund {
            order_id: row.order_id("order_id")?,
            refunded_at: row.date("refunded", tz)?,
        },
        amount: match row.get("amount") {
            None => None,
            Some(v) => Some(amount(v).map_err(|m| row.err("amount", m))?),
        },
    })
}

/// A refunded amount as written (`12.50`, `€12,50`, `12.50 EUR`): it must hold a number, and
/// not a negative one (a refund is given as what the buyer got back).
fn amount(v: &str) -> Result<String, String> {
    let negative = v.starts_with('-')
        || v.starts_with('(')
        || v.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '-')
            .starts_with('-');
    if negative {
        return Err(format!(
            "`{v}` is negative: give the amount refunded, as a positive number"
        ));
    }
    if !v.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!("`{v}` is not an amount"));
    }
    Ok(v.to_string())
}

fn cancellation(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    let by = match row.get("by").map(str::to_ascii_lowercase).as_deref() {
        Some("seller") => CancelledBy::Seller,
        Some("buyer") => CancelledBy::Buyer,
        None | Some("unknown") => CancelledBy::Unknown,
        Some(other) => {
            return Err(row.err("by", format!("`{other}` is not seller, buyer or unknown")));
        }
    };
    Ok(Record::Cancellation(Cancellation {
        order_id: row.order_id("order_id")?,
        cancelled_at: row.date("cancelled", tz)?,
        by,
        reason: row.text("reason"),
    }))
}

fn delivery(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    Ok(Record::Delivery {
        order_id: row.order_id("order_id")?,
        delivered_at: row.date("delivered", tz)?,
    })
}

fn ahr(row: &Row<'_>, tz: Tz) -> Result<Record, RowError> {
    let v = row.required("ahr")?;
    let value: i64 = v
        .parse()
        .ok()
        .filter(|n| (0..=1000).contains(n))
        .ok_or_else(|| {
            row.err(
                "ahr",
                format!("`{v}` is not an Account Health Rating (0-1000)"),
            )
        })?;
    Ok(Record::AccountHealth {
        reported_at: row.date("date", tz)?,
        ahr: Some(value),
        status: None,
        source: "seller",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: ReportKind, text: &str) -> Vec<Result<Record, RowError>> {
        let mut out = Vec::new();
        parse(kind, text, Tz::UTC, &mut |r| out.push(r));
        out
    }

    #[test]
    fn all_orders_by_header_name_with_extra_and_missing_columns() {
        let text = "amazon-order-id\tpurchase-date\textra\tfulfillment-channel\tsales-channel\tsku\tasin\tquantity\tproduct-name\r\n\
                    111-0000001-0000001\t2026-11-01T10:00:00+09:00\tx\tMerchant\tAmazon.co.jp\tSKU1\tB0AAAAAAAA\t2\tLamp \"big\"\r\n";
        let out = read(ReportKind::AllOrders, text);
        assert_eq!(out.len(), 2, "{out:?}");
        let Ok(Record::Order {
            order,
            last_updated_at,
        }) = &out[0]
        else {
            panic!("{out:?}")
        };
        assert_eq!(order.order_id, "111-0000001-0000001");
        assert_eq!(order.purchased_at.to_rfc3339(), "2026-11-01T01:00:00+00:00");
        assert_eq!(order.channel, FulfilmentChannel::Merchant);
        assert_eq!(order.marketplace.as_deref(), Some("amazon.co.jp"));
        assert_eq!(*last_updated_at, None);
        let Ok(Record::Item {
            item_key,
            quantity,
            product_name,
            ..
        }) = &out[1]
        else {
            panic!("{out:?}")
        };
        assert_eq!((item_key.as_str(), *quantity), ("SKU1", Some(2)));
        assert_eq!(product_name.as_deref(), Some("Lamp \"big\""));
    }

    #[test]
    fn bad_rows_name_line_and_column_and_the_rest_still_come() {
        let text = "amazon-order-id\tpurchase-date\tfulfillment-channel\n\
                    111-0000001-0000001\t2026-11-01T10:00:00Z\tAmazon\n\
                    12345\t2026-11-01T10:00:00Z\tAmazon\n\
                    111-0000001-0000003\tyesterday\tAmazon\n\
                    111-0000001-0000004\t2026-11-01T10:00:00Z\tDrone\n\
                    111-0000001-0000005\t2026-11-01T10:00:00Z\tMerchant\n";
        let out = read(ReportKind::AllOrders, text);
        let errors: Vec<String> = out
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
            .collect();
        assert_eq!(
            errors,
            vec![
                "line 3, column `amazon-order-id`: `12345` is not an order ID (3-7-7 digits)",
                "line 4, column `purchase-date`: `yesterday` is not an ISO 8601 date",
                "line 5, column `fulfillment-channel`: `Drone` is neither Amazon nor Merchant",
            ]
        );
        assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 2);
    }

    #[test]
    fn a_truncated_file_is_reported() {
        let text = "amazon-order-id\tpurchase-date\tfulfillment-channel\tsku\n\
                    111-0000001-0000001\t2026-11-01T10:00:00Z\tAmazon\tA\n\
                    111-0000001-0000002\t2026-11-0";
        let out = read(ReportKind::AllOrders, text);
        let last = out.last().unwrap().as_ref().unwrap_err();
        assert_eq!(last.line, 3);
        assert!(last.message.contains("truncated"), "{last}");
        assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 2);
        // A header without a required column: one error, nothing read.
        let out = read(
            ReportKind::AllOrders,
            "amazon-order-id\tsku\n111-0000001-0000001\tA\n",
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].as_ref().unwrap_err().column.as_deref(),
            Some("purchase-date")
        );
    }

    #[test]
    fn feedback_report_dates_follow_the_file() {
        let text = "Date\tRating\tComments\tResponse\tOrder ID\tRater Email\n\
                    01/02/26\t1\tBroken\t\t111-0000001-0000001\ta@b.c\n\
                    25/03/26\t3\tOk\t\t111-0000001-0000002\t\n";
        let out = read(ReportKind::FeedbackReport, text);
        let Ok(Record::Feedback { feedback, .. }) = &out[0] else {
            panic!("{out:?}")
        };
        // Day first: the file has a 25th.
        assert_eq!(feedback.rated_at.to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert_eq!(feedback.source, FeedbackSource::AmazonReport);
    }

    #[test]
    fn project_csvs() {
        let out = read(
            ReportKind::ClaimsCsv,
            "order_id,kind,opened,status\n111-0000001-0000001,a-to-z,2026-11-01,denied\n111-0000001-0000002,refund,2026-11-01,open\n",
        );
        assert!(matches!(&out[0], Ok(Record::Claim(c)) if c.status == ClaimStatus::Denied));
        assert_eq!(out[1].as_ref().unwrap_err().column.as_deref(), Some("kind"));
        let out = read(
            ReportKind::CancellationsCsv,
            "order_id,cancelled,by,reason\n111-0000001-0000001,2026-11-01,buyer,\"changed mind, sorry\"\n",
        );
        assert!(
            matches!(&out[0], Ok(Record::Cancellation(c)) if c.by == CancelledBy::Buyer && c.reason.as_deref() == Some("changed mind, sorry"))
        );
        let out = read(
            ReportKind::AhrCsv,
            "date,ahr\n2026-11-20,230\n2026-11-21,x\n",
        );
        assert!(matches!(
            &out[0],
            Ok(Record::AccountHealth { ahr: Some(230), .. })
        ));
        assert_eq!(out[1].as_ref().unwrap_err().line, 3);
    }
}
