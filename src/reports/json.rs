//! The JSON reports: the Orders API (`payload.Orders[]`) and the account health report.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::dates;
use super::{Record, RowError};
use crate::domain::account::{Channel, Order};
use crate::domain::identifiers::is_order_id;

/// The whole document, or one error where it stops (a truncated file is not half-read).
fn document(text: &str, emit: &mut dyn FnMut(Result<Record, RowError>)) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let message = if e.is_eof() {
                format!("the file is truncated: {e}")
            } else {
                format!("not valid JSON: {e}")
            };
            emit(Err(RowError {
                line: e.line() as u64,
                column: None,
                message,
            }));
            None
        }
    }
}

/// 1-based line of the `n`th occurrence of `needle`, for pointing at an order in the file.
fn line_of_nth(text: &str, needle: &str, n: usize) -> u64 {
    text.match_indices(needle)
        .nth(n)
        .map(|(i, _)| text[..i].matches('\n').count() as u64 + 1)
        .unwrap_or(1)
}

pub fn orders_api(text: &str, tz: Tz, emit: &mut dyn FnMut(Result<Record, RowError>)) {
    let Some(doc) = document(text, emit) else {
        return;
    };
    let orders = doc
        .pointer("/payload/Orders")
        .or_else(|| doc.get("Orders"))
        .and_then(Value::as_array);
    let Some(orders) = orders else {
        return emit(Err(RowError {
            line: 1,
            column: Some("payload.Orders".into()),
            message: "missing".into(),
        }));
    };
    for (i, o) in orders.iter().enumerate() {
        let line = line_of_nth(text, "\"AmazonOrderId\"", i);
        let err = |column: &str, message: String| RowError {
            line,
            column: Some(format!("Orders[{i}].{column}")),
            message,
        };
        let text_of = |k: &str| o.get(k).and_then(Value::as_str).map(str::trim);
        let date_of = |k: &str| -> Result<Option<DateTime<Utc>>, RowError> {
            match text_of(k) {
                None | Some("") => Ok(None),
                Some(v) => dates::iso(v, tz)
                    .map(Some)
                    .ok_or_else(|| err(k, format!("`{v}` is not an ISO 8601 date"))),
            }
        };
        let record = (|| {
            let id = text_of("AmazonOrderId").unwrap_or("");
            if !is_order_id(id) {
                return Err(err("AmazonOrderId", format!("`{id}` is not an order ID")));
            }
            let purchased_at =
                date_of("PurchaseDate")?.ok_or_else(|| err("PurchaseDate", "missing".into()))?;
            let channel = match text_of("FulfillmentChannel") {
                None => Channel::Merchant,
                Some(c) => Channel::parse(c).ok_or_else(|| {
                    err(
                        "FulfillmentChannel",
                        format!("`{c}` is neither MFN nor AFN"),
                    )
                })?,
            };
            let marketplace = text_of("SalesChannel")
                .map(str::to_ascii_lowercase)
                .filter(|s| s.starts_with("amazon."));
            Ok(Record::Order {
                order: Order {
                    order_id: id.to_string(),
                    marketplace,
                    purchased_at,
                    channel,
                    status: text_of("OrderStatus").map(str::to_string),
                    latest_ship_at: date_of("LatestShipDate")?,
                    shipped_at: None,
                    delivered_at: date_of("LatestDeliveryDate")
                        .ok()
                        .flatten()
                        .filter(|_| text_of("OrderStatus") == Some("Delivered")),
                },
                last_updated_at: date_of("LastUpdateDate")?,
            })
        })();
        emit(record);
    }
}

/// The account health report's metric names, as the report and the metrics command call them.
const AMAZON_METRICS: &[(&str, &str)] = &[
    ("orderDefectRate", "odr"),
    ("lateShipmentRate", "lsr_10"),
    ("preFulfillmentCancellationRate", "pcr"),
    ("validTrackingRate", "vtr"),
];

/// The first number or string found at any of `keys`, searching nested objects.
fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|child| find(child, key))),
        Value::Array(items) => items.iter().find_map(|child| find(child, key)),
        _ => None,
    }
}

pub fn account_health(
    text: &str,
    now: DateTime<Utc>,
    emit: &mut dyn FnMut(Result<Record, RowError>),
) {
    let Some(doc) = document(text, emit) else {
        return;
    };
    let status = find(&doc, "ahrStatus").and_then(Value::as_str);
    let reported_at = find(&doc, "reportingDateRange")
        .and_then(|r| r.get("reportingDateTo"))
        .and_then(Value::as_str)
        .and_then(|s| dates::iso(s, Tz::UTC))
        .unwrap_or(now);
    emit(Ok(Record::AccountHealth {
        reported_at,
        ahr: find(&doc, "ahr").and_then(Value::as_i64),
        status: status.map(str::to_string),
        source: "account health report",
    }));
    for (name, metric) in AMAZON_METRICS {
        let Some(m) = find(&doc, name) else {
            continue;
        };
        let rate = m
            .get("rate")
            .and_then(Value::as_f64)
            .or_else(|| find(m, "rate").and_then(Value::as_f64));
        emit(Ok(Record::AmazonMetric {
            reported_at,
            metric: metric.to_string(),
            status: find(m, "status")
                .and_then(Value::as_str)
                .map(str::to_string),
            rate,
            target: find(m, "targetValue").and_then(Value::as_f64),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_orders(text: &str) -> Vec<Result<Record, RowError>> {
        let mut out = Vec::new();
        orders_api(text, Tz::UTC, &mut |r| out.push(r));
        out
    }

    #[test]
    fn orders_api_json() {
        let text = r#"{"payload": {"Orders": [
            {"AmazonOrderId": "111-0000001-0000001", "PurchaseDate": "2026-11-01T10:00:00Z",
             "LastUpdateDate": "2026-11-02T10:00:00Z", "OrderStatus": "Shipped",
             "FulfillmentChannel": "AFN", "SalesChannel": "Amazon.de",
             "LatestShipDate": "2026-11-03T10:00:00Z"},
            {"AmazonOrderId": "bad", "PurchaseDate": "2026-11-01T10:00:00Z"}
        ]}}"#;
        let out = read_orders(text);
        let Ok(Record::Order {
            order,
            last_updated_at,
        }) = &out[0]
        else {
            panic!("{out:?}")
        };
        assert_eq!(order.channel, Channel::Amazon);
        assert_eq!(order.marketplace.as_deref(), Some("amazon.de"));
        assert!(order.latest_ship_at.is_some() && last_updated_at.is_some());
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (6, Some("Orders[1].AmazonOrderId"))
        );
    }

    #[test]
    fn truncated_json_is_one_error_and_nothing_else() {
        let out = read_orders(
            "{\"payload\": {\"Orders\": [\n{\"AmazonOrderId\": \"111-0000001-0000001\",",
        );
        assert_eq!(out.len(), 1);
        let e = out[0].as_ref().unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn account_health_report() {
        let text = r#"{"performanceMetrics": [{
            "accountHealthRating": {"ahrStatus": "GREAT"},
            "orderDefectRate": {"mfn": {"status": "GOOD", "targetValue": 0.01,
                                        "orderWithDefects": {"count": 1, "rate": 0.004}}},
            "lateShipmentRate": {"status": "AT_RISK", "rate": 0.035, "targetValue": 0.04}
        }]}"#;
        let now = DateTime::UNIX_EPOCH;
        let mut out = Vec::new();
        account_health(text, now, &mut |r| out.push(r.unwrap()));
        assert!(
            matches!(&out[0], Record::AccountHealth { status: Some(s), ahr: None, .. } if s == "GREAT")
        );
        assert!(out.iter().any(
            |r| matches!(r, Record::AmazonMetric { metric, status: Some(s), rate: Some(rate), .. }
            if metric == "odr" && s == "GOOD" && (*rate - 0.004).abs() < 1e-9)
        ));
        assert!(out.iter().any(
            |r| matches!(r, Record::AmazonMetric { metric, rate: Some(rate), target: Some(t), .. }
            if metric == "lsr_10" && (*rate - 0.035).abs() < 1e-9 && (*t - 0.04).abs() < 1e-9)
        ));
    }
}
