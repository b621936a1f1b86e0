//! The JSON reports: the Orders API (`payload.Orders[]`) and the account health report.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::dates;
use super::{Record, RowError};
use crate::domain::account::{AmazonFigure, FulfilmentChannel, Order};
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
    let mut versions = super::OrderVersions::default();
    for (i, o) in orders.iter().enumerate() {
        let line = line_of_nth(text, "\"AmazonOrderId\"", i);
        let err = |column: &str, message: String| RowError {
            line,
            column: Some(format!("Orders[{i}].{column}")),
            message,
        };
        // A field of the wrong type is named, not read as missing.
        let text_of = |k: &str| -> Result<Option<&str>, RowError> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(v)) => Ok(Some(v.trim())),
                Some(other) => Err(err(
                    k,
                    format!("is {}, not text: {}", kind_of(other), short(other)),
                )),
            }
        };
        let date_of = |k: &str| -> Result<Option<DateTime<Utc>>, RowError> {
            match text_of(k)? {
                None | Some("") => Ok(None),
                Some(v) => dates::iso(v, tz)
                    .ok_or_else(|| err(k, format!("`{v}` is not an ISO 8601 date")))
                    .and_then(|at| dates::plausible(v, at).map_err(|m| err(k, m)))
                    .map(Some),
            }
        };
        let record = (|| {
            if !o.is_object() {
                return Err(RowError {
                    line,
                    column: Some(format!("Orders[{i}]")),
                    message: format!("is {}, not an order object", kind_of(o)),
                });
            }
            let id = text_of("AmazonOrderId")?.unwrap_or("");
            if !is_order_id(id) {
                return Err(err("AmazonOrderId", format!("`{id}` is not an order ID")));
            }
            let purchased_at =
                date_of("PurchaseDate")?.ok_or_else(|| err("PurchaseDate", "missing".into()))?;
            let channel = match text_of("FulfillmentChannel")? {
                None => FulfilmentChannel::Merchant,
                Some(c) => FulfilmentChannel::parse(c).ok_or_else(|| {
                    err(
                        "FulfillmentChannel",
                        format!("`{c}` is neither MFN nor AFN"),
                    )
                })?,
            };
            let marketplace = text_of("SalesChannel")?
                .map(str::to_ascii_lowercase)
                .filter(|s| s.starts_with("amazon."));
            Ok(Record::Order {
                order: Order {
                    order_id: id.to_string(),
                    marketplace,
                    purchased_at,
                    channel,
                    status: text_of("OrderStatus")?.map(str::to_string),
                    latest_ship_at: date_of("LatestShipDate")?,
                    shipped_at: None,
                    // The Orders API gives the delivery window promised to the buyer, not
                    // when the parcel arrived (that comes from the deliveries CSV or the All
                    // Orders `delivery-date`).
                    delivered_at: None,
                    promised_delivery_at: date_of("LatestDeliveryDate")?,
                },
                last_updated_at: date_of("LastUpdateDate")?,
            })
        })();
        let record = match record {
            Ok(Record::Order {
                order,
                last_updated_at,
            }) => match versions.check(&order, last_updated_at, line) {
                Ok(()) => Ok(Record::Order {
                    order,
                    last_updated_at,
                }),
                Err(message) => Err(RowError {
                    line,
                    column: Some(format!("Orders[{i}]")),
                    message,
                }),
            },
            other => other,
        };
        emit(record);
    }
}

/// What a JSON value is, for a message.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value as written, cut short for a message.
fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// The account health report's metrics (SP-API `GET_V2_SELLER_PERFORMANCE_REPORT`): the
/// report's name, sellerdesk's key, and the report's fields holding the numerator and the
/// denominator (docs/amazon-rules.md §5). The ODR is split by
/// fulfilment channel (`mfn`, `afn`) inside its object.
const AMAZON_METRICS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "lateShipmentRate",
        "lsr",
        &["lateShipmentCount"],
        &["orderCount"],
    ),
    (
        "preFulfillmentCancellationRate",
        "pcr",
        &["cancellationCount"],
        &["orderCount"],
    ),
    (
        "prefulfillmentCancelRate",
        "pcr",
        &["cancellationCount"],
        &["orderCount"],
    ),
    (
        "validTrackingRate",
        "vtr",
        &["validTrackingCount"],
        &["shipmentCount"],
    ),
    (
        "onTimeDeliveryRate",
        "otdr",
        &["onTimeDeliveryCount"],
        &["shipmentCountWithValidTracking", "shipmentCount"],
    ),
];

/// A count Amazon gives as a number or as `{"count": n}`.
fn count(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .or_else(|| count(v.get("count")))
}

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `reportingDateRange.{reportingDateFrom, reportingDateTo}` of a metric object.
fn range(m: &Value) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let r = m.get("reportingDateRange");
    let at = |k: &str| {
        r.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .and_then(|s| dates::iso(s, Tz::UTC))
    };
    (at("reportingDateFrom"), at("reportingDateTo"))
}

/// One figure from a metric object (`m`), with its counts found under any of the names given.
fn figure(
    m: &Value,
    marketplace_id: &str,
    metric: &str,
    numerators: &[&str],
    denominators: &[&str],
) -> AmazonFigure {
    let (from, to) = range(m);
    let numerator = numerators.iter().find_map(|k| count(m.get(*k)));
    let denominator = denominators.iter().find_map(|k| count(m.get(*k)));
    AmazonFigure {
        // Set by the caller once every range is known.
        reported_at: DateTime::UNIX_EPOCH,
        marketplace_id: marketplace_id.to_string(),
        metric: metric.to_string(),
        status: text(m.get("status")),
        rate: number(m.get("rate")).or_else(|| match (numerator, denominator) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
            _ => None,
        }),
        numerator,
        denominator,
        target: number(m.get("targetValue")),
        from,
        to,
        parts: None,
    }
}

/// Every figure of one `performanceMetrics[]` entry (one marketplace).
fn figures_of(entry: &Value, out: &mut Vec<AmazonFigure>) {
    let marketplace_id = text(entry.get("marketplaceId")).unwrap_or_default();
    if let Some(odr) = entry.get("orderDefectRate") {
        for (channel, key) in [("mfn", "odr"), ("afn", "odr_fba")] {
            let Some(m) = odr.get(channel).filter(|m| m.is_object()) else {
                continue;
            };
            let mut f = figure(
                m,
                &marketplace_id,
                key,
                &["orderWithDefects"],
                &["orderCount"],
            );
            if f.rate.is_none() {
                f.rate = number(m.get("orderWithDefects").and_then(|d| d.get("rate")));
            }
            let parts = [
                count(m.get("negativeFeedback")),
                count(m.get("claims")),
                count(m.get("chargebacks")),
            ];
            f.parts = parts.iter().any(Option::is_some).then_some(parts);
            out.push(f);
        }
    }
    for (name, key, numerators, denominators) in AMAZON_METRICS {
        let Some(m) = entry.get(*name).filter(|m| m.is_object()) else {
            continue;
        };
        let mut f = figure(m, &marketplace_id, key, numerators, denominators);
        if *key == "lsr" {
            // Amazon's late shipment rate covers 10 or 30 days; its range says which.
            let days = match (f.from, f.to) {
                (Some(a), Some(b)) => (b - a).num_hours() as f64 / 24.0,
                _ => 10.0,
            };
            f.metric = if days <= 11.0 { "lsr_10" } else { "lsr_30" }.into();
        }
        if !out
            .iter()
            .any(|o| o.metric == f.metric && o.marketplace_id == f.marketplace_id)
        {
            out.push(f);
        }
    }
    // Some reports also list each late shipment window.
    if let Some(list) = entry.get("lateShipmentRateList").and_then(Value::as_array) {
        for m in list {
            let mut f = figure(
                m,
                &marketplace_id,
                "lsr",
                &["lateShipmentCount"],
                &["orderCount"],
            );
            let days = match (f.from, f.to) {
                (Some(a), Some(b)) => (b - a).num_hours() as f64 / 24.0,
                _ => continue,
            };
            f.metric = if days <= 11.0 { "lsr_10" } else { "lsr_30" }.into();
            if !out
                .iter()
                .any(|o| o.metric == f.metric && o.marketplace_id == f.marketplace_id)
            {
                out.push(f);
            }
        }
    }
}

pub fn account_health(
    text_in: &str,
    now: DateTime<Utc>,
    emit: &mut dyn FnMut(Result<Record, RowError>),
) {
    let Some(doc) = document(text_in, emit) else {
        return;
    };
    let entries: Vec<&Value> = match doc.get("performanceMetrics") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => vec![&doc],
    };
    let mut figures = Vec::new();
    for e in &entries {
        figures_of(e, &mut figures);
    }
    // The report's date: the end of its latest reporting range (a report read twice gets the
    // same date), else now.
    let reported_at = entries
        .iter()
        .flat_map(|e| e.get("accountHealthRating").map(range).into_iter())
        .filter_map(|(_, to)| to)
        .chain(figures.iter().filter_map(|f| f.to))
        .max()
        .unwrap_or(now);
    for e in &entries {
        let Some(ahr) = e.get("accountHealthRating") else {
            continue;
        };
        let score = ahr
            .get("ahrScore")
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64)));
        let status = text(ahr.get("ahrStatus"));
        if score.is_some() || status.is_some() {
            emit(Ok(Record::AccountHealth {
                reported_at,
                ahr: score.filter(|s| (0..=1000).contains(s)),
                status,
                source: "account health report",
            }));
        }
    }
    for mut f in figures {
        f.reported_at = reported_at;
        emit(Ok(Record::AmazonMetric(f)));
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
        assert_eq!(order.channel, FulfilmentChannel::Amazon);
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
    fn account_health_report_per_marketplace_and_channel() {
        // The shape of SP-API's accountHealthReport-2020-11-18 schema, two marketplaces.
        let text = r#"{"accountStatuses": [{"marketplaceId": "ATVPDKIKX0DER", "status": "NORMAL"}],
          "performanceMetrics": [{
            "marketplaceId": "ATVPDKIKX0DER",
            "accountHealthRating": {"ahrStatus": "GREAT", "ahrScore": 245,
                "reportingDateRange": {"reportingDateFrom": "2026-05-25T07:00:00Z",
                                       "reportingDateTo": "2026-11-21T07:59:59Z"}},
            "orderDefectRate": {
              "afn": {"reportingDateRange": {"reportingDateFrom": "2026-09-08T07:00:00Z",
                                             "reportingDateTo": "2026-11-07T07:59:59Z"},
                      "status": "GOOD", "targetValue": 0.01, "orderCount": 160, "rate": 0.0,
                      "orderWithDefects": {"count": 0}, "claims": {"count": 0},
                      "chargebacks": {"count": 0}, "negativeFeedback": {"count": 0}},
              "mfn": {"reportingDateRange": {"reportingDateFrom": "2026-09-08T07:00:00Z",
                                             "reportingDateTo": "2026-11-07T07:59:59Z"},
                      "status": "BAD", "targetValue": 0.01, "orderCount": 40, "rate": 0.025,
                      "orderWithDefects": {"count": 1, "status": "BAD"}, "claims": {"count": 0},
                      "chargebacks": {"count": 0}, "negativeFeedback": {"count": 1}}},
            "lateShipmentRate": {"reportingDateRange": {"reportingDateFrom": "2026-11-11T08:00:00Z",
                                                        "reportingDateTo": "2026-11-21T07:59:59Z"},
                                 "status": "GOOD", "targetValue": 0.04, "orderCount": 20,
                                 "lateShipmentCount": 0, "rate": 0.0}
          }, {
            "marketplaceId": "A1PA6795UKMFR9",
            "preFulfillmentCancellationRate": {"reportingDateRange": {
                "reportingDateFrom": "2026-11-14T08:00:00Z", "reportingDateTo": "2026-11-21T07:59:59Z"},
                "status": "GOOD", "orderCount": 50, "cancellationCount": 1, "rate": 0.02}
          }]}"#;
        let now = DateTime::UNIX_EPOCH;
        let mut out = Vec::new();
        account_health(text, now, &mut |r| out.push(r.unwrap()));
        assert!(matches!(&out[0],
            Record::AccountHealth { status: Some(s), ahr: Some(245), .. } if s == "GREAT"));
        let figures: Vec<&AmazonFigure> = out
            .iter()
            .filter_map(|r| match r {
                Record::AmazonMetric(f) => Some(f),
                _ => None,
            })
            .collect();
        let find = |mp: &str, k: &str| {
            *figures
                .iter()
                .find(|f| f.marketplace_id == mp && f.metric == k)
                .unwrap_or_else(|| panic!("{mp} {k}: {figures:?}"))
        };
        let mfn = find("ATVPDKIKX0DER", "odr");
        assert_eq!((mfn.numerator, mfn.denominator), (Some(1), Some(40)));
        assert_eq!(mfn.parts, Some([Some(1), Some(0), Some(0)]));
        assert_eq!(mfn.rate, Some(0.025));
        assert_eq!(
            mfn.from.map(|t| t.to_rfc3339()),
            Some("2026-09-08T07:00:00+00:00".into())
        );
        let afn = find("ATVPDKIKX0DER", "odr_fba");
        assert_eq!((afn.numerator, afn.denominator), (Some(0), Some(160)));
        assert_eq!(find("ATVPDKIKX0DER", "lsr_10").denominator, Some(20));
        let pcr = find("A1PA6795UKMFR9", "pcr");
        assert_eq!((pcr.numerator, pcr.denominator), (Some(1), Some(50)));
        // The report's date is its latest range end, the same however often it is read.
        assert!(
            figures
                .iter()
                .all(|f| f.reported_at.to_rfc3339() == "2026-11-21T07:59:59+00:00")
        );
    }
}
