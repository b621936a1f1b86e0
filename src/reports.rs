//! Amazon's reports and the project's own CSVs, turned into account records. Each format is
//! recognized from its header, columns are found by name (extra ones ignored, optional ones
//! may be missing), and every bad row is reported with its line and column.

pub mod dates;
mod json;
mod table;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::account::Order;

/// The report formats `import` recognizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// Amazon's All Orders report (tab-separated, one row per item).
    AllOrders,
    /// Orders API JSON (`payload.Orders[]`).
    OrdersApi,
    /// The shipping confirmation file sellers upload to Amazon.
    ShipConfirm,
    /// Amazon's Feedback report (neutral and negative only).
    FeedbackReport,
    /// The account health report JSON (V2 seller performance).
    AccountHealth,
    /// The project's CSVs.
    FeedbackCsv,
    ClaimsCsv,
    RefundsCsv,
    CancellationsCsv,
    DeliveriesCsv,
    AhrCsv,
}

impl ReportKind {
    /// Every kind of report sellerdesk reads.
    pub const ALL: [ReportKind; 11] = [
        ReportKind::AllOrders,
        ReportKind::OrdersApi,
        ReportKind::ShipConfirm,
        ReportKind::FeedbackReport,
        ReportKind::AccountHealth,
        ReportKind::FeedbackCsv,
        ReportKind::ClaimsCsv,
        ReportKind::RefundsCsv,
        ReportKind::CancellationsCsv,
        ReportKind::DeliveriesCsv,
        ReportKind::AhrCsv,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::AllOrders => "All Orders report",
            ReportKind::OrdersApi => "Orders API JSON",
            ReportKind::ShipConfirm => "shipping confirmation file",
            ReportKind::FeedbackReport => "Feedback report",
            ReportKind::AccountHealth => "account health report",
            ReportKind::FeedbackCsv => "feedback CSV",
            ReportKind::ClaimsCsv => "claims CSV",
            ReportKind::RefundsCsv => "refunds CSV",
            ReportKind::CancellationsCsv => "cancellations CSV",
            ReportKind::DeliveriesCsv => "deliveries CSV",
            ReportKind::AhrCsv => "AHR CSV",
        }
    }
}

pub use crate::domain::account::Record;

/// The orders one file has given so far, by ID, to find two rows that say different things
/// about one order as of the same moment: which is right cannot be known, so the later row is
/// reported instead of one silently winning. Rows of different moments are versions, merged
/// by the account rules (the latest wins).
#[derive(Default)]
pub(crate) struct OrderVersions {
    seen: std::collections::HashMap<String, OrderVersion>,
}

struct OrderVersion {
    last_updated_at: Option<DateTime<Utc>>,
    status: Option<String>,
    channel: crate::domain::account::FulfilmentChannel,
    marketplace: Option<String>,
    line: u64,
}

impl OrderVersions {
    pub(crate) fn check(
        &mut self,
        order: &Order,
        last_updated_at: Option<DateTime<Utc>>,
        line: u64,
    ) -> Result<(), String> {
        let this = OrderVersion {
            last_updated_at,
            status: order.status.clone(),
            channel: order.channel,
            marketplace: order.marketplace.clone(),
            line,
        };
        let Some(before) = self.seen.get(&order.order_id) else {
            self.seen.insert(order.order_id.clone(), this);
            return Ok(());
        };
        if before.last_updated_at != this.last_updated_at {
            if this.last_updated_at > before.last_updated_at {
                self.seen.insert(order.order_id.clone(), this);
            }
            return Ok(());
        }
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        let mut differ = Vec::new();
        if before.status != this.status {
            differ.push(format!(
                "status {} there, {} here",
                show(&before.status),
                show(&this.status)
            ));
        }
        if before.channel != this.channel {
            differ.push(format!(
                "fulfilment {:?} there, {:?} here",
                before.channel, this.channel
            ));
        }
        if before.marketplace != this.marketplace {
            differ.push(format!(
                "marketplace {} there, {} here",
                show(&before.marketplace),
                show(&this.marketplace)
            ));
        }
        if differ.is_empty() {
            return Ok(());
        }
        Err(format!(
            "order {} conflicts with line {} ({}), both last updated {}: not read — \
             correct the file or import the newer report",
            order.order_id,
            before.line,
            differ.join("; "),
            this.last_updated_at
                .map_or("(no last-updated-date)".into(), |t| t.to_rfc3339())
        ))
    }
}

/// A row that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The file's text: UTF-8 (a BOM dropped; borrowed, not copied), else Shift_JIS (old
/// Japanese reports, told apart by their kana: Latin-1 or Windows-1252 bytes often happen to
/// be valid Shift_JIS too, and would be read as nonsense kanji). Anything else is an error on
/// the line holding the first byte that is not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Err(e) => {
            let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
            let kana = text.chars().any(|c| ('\u{3041}'..='\u{30FF}').contains(&c));
            if !bad && kana {
                return Ok(std::borrow::Cow::Owned(text.into_owned()));
            }
            let at = e.valid_up_to();
            let line_start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            Err(RowError {
                line: bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1,
                column: None,
                message: format!(
                    "byte 0x{:02X} at character {} is not UTF-8 (Latin-1 or Windows-1252 \
                     text?): save the file as UTF-8 and import it again; nothing was read",
                    bytes[at],
                    String::from_utf8_lossy(&bytes[line_start..at])
                        .chars()
                        .count()
                        + 1
                ),
            })
        }
    }
}

/// The largest file of a kind that is read (reports are read whole): JSON is a page of the
/// Orders API (100 orders) or one account health report, a few hundred kilobytes; the tab and
/// comma files of a large seller's year stay well under the other limit.
pub fn size_limit(kind: ReportKind) -> u64 {
    match kind {
        ReportKind::OrdersApi | ReportKind::AccountHealth => 64 << 20,
        _ => 512 << 20,
    }
}

/// Which report `head` (the first bytes of a file) starts, if any.
pub fn sniff(head: &[u8]) -> Option<ReportKind> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().position(|&b| !b.is_ascii_whitespace())?;
    if head[first] == b'{' || head[first] == b'[' {
        let text = String::from_utf8_lossy(&head[first..head.len().min(first + 4096)]);
        if text.contains("\"payload\"") || text.contains("\"Orders\"") {
            return Some(ReportKind::OrdersApi);
        }
        if text.contains("performanceMetrics") || text.contains("accountHealthRating") {
            return Some(ReportKind::AccountHealth);
        }
        return None;
    }
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end]).to_ascii_lowercase();
    let line = line.trim_end_matches('\r');
    let tabs: Vec<&str> = line.split('\t').map(str::trim).collect();
    let commas: Vec<&str> = line.split(',').map(str::trim).collect();
    let has = |cols: &[&str], want: &[&str]| want.iter().all(|w| cols.contains(w));
    if has(&tabs, &["amazon-order-id", "purchase-date"]) {
        Some(ReportKind::AllOrders)
    } else if has(&tabs, &["order-id", "ship-date"])
        && (has(&tabs, &["tracking-number"]) || has(&tabs, &["carrier-code"]))
    {
        Some(ReportKind::ShipConfirm)
    } else if has(&tabs, &["date", "rating", "order id"]) {
        Some(ReportKind::FeedbackReport)
    } else if has(&commas, &["order_id", "kind", "opened", "status"]) {
        Some(ReportKind::ClaimsCsv)
    } else if has(&commas, &["order_id", "refunded"]) {
        Some(ReportKind::RefundsCsv)
    } else if has(&commas, &["order_id", "cancelled"]) {
        Some(ReportKind::CancellationsCsv)
    } else if has(&commas, &["order_id", "delivered"]) {
        Some(ReportKind::DeliveriesCsv)
    } else if has(&commas, &["date", "ahr"]) {
        Some(ReportKind::AhrCsv)
    } else if has(&commas, &["order_id", "date", "rating"]) {
        Some(ReportKind::FeedbackCsv)
    } else {
        None
    }
}

/// A report, its delimiter, the columns it needs (each: any of these) and others it has.
type Signature = (
    ReportKind,
    u8,
    &'static [&'static [&'static str]],
    &'static [&'static str],
);

/// Columns that make each report recognizable (all of them needed; an inner list is "any
/// of these"), and other columns it is known to have: a header with enough of these but not
/// all that is needed is that report with a column missing, not "not e-mail".
const SIGNATURES: &[Signature] = &[
    (
        ReportKind::AllOrders,
        b'\t',
        &[&["amazon-order-id"], &["purchase-date"]],
        &[
            "merchant-order-id",
            "last-updated-date",
            "order-status",
            "fulfillment-channel",
            "sales-channel",
            "product-name",
            "sku",
            "asin",
            "item-status",
            "quantity",
            "latest-ship-date",
            "order-item-id",
        ],
    ),
    (
        ReportKind::ShipConfirm,
        b'\t',
        &[
            &["order-id"],
            &["ship-date"],
            &["tracking-number", "carrier-code"],
        ],
        &["order-item-id", "quantity", "carrier-name", "ship-method"],
    ),
    (
        ReportKind::FeedbackReport,
        b'\t',
        &[&["date"], &["rating"], &["order id"]],
        &["comments", "response", "rater email"],
    ),
    (
        ReportKind::ClaimsCsv,
        b',',
        &[&["order_id"], &["kind"], &["opened"], &["status"]],
        &[],
    ),
    (
        ReportKind::RefundsCsv,
        b',',
        &[&["order_id"], &["refunded"]],
        &["amount"],
    ),
    (
        ReportKind::CancellationsCsv,
        b',',
        &[&["order_id"], &["cancelled"]],
        &["by", "reason"],
    ),
    (
        ReportKind::DeliveriesCsv,
        b',',
        &[&["order_id"], &["delivered"]],
        &[],
    ),
    (ReportKind::AhrCsv, b',', &[&["date"], &["ahr"]], &[]),
    (
        ReportKind::FeedbackCsv,
        b',',
        &[&["order_id"], &["date"], &["rating"]],
        &["comments", "removed"],
    ),
];

/// A header that is nearly a known report: which one, and the columns it lacks (each as
/// `a` or `a (or b)`). Two known columns at least, so a line of prose is never one.
pub fn near_miss(head: &[u8]) -> Option<(ReportKind, Vec<String>)> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end]).to_ascii_lowercase();
    let line = line.trim_end_matches('\r');
    let mut best: Option<(usize, ReportKind, Vec<String>)> = None;
    for (kind, delimiter, needed, known) in SIGNATURES {
        let columns: Vec<&str> = line
            .split(char::from(*delimiter))
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let has = |c: &&str| columns.contains(c);
        let missing: Vec<String> = needed
            .iter()
            .filter(|any| !any.iter().any(has))
            .map(|any| match any {
                [one] => format!("`{one}`"),
                [one, rest @ ..] => format!("`{one}` (or `{}`)", rest.join("`, `")),
                [] => String::new(),
            })
            .collect();
        let score = needed.iter().filter(|any| any.iter().any(has)).count()
            + known.iter().filter(|c| has(c)).count();
        if missing.is_empty() || score < 2 {
            continue;
        }
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, *kind, missing));
        }
    }
    best.map(|(_, kind, missing)| (kind, missing))
}

/// Reads a whole report: each record or row error, in file order. A file-level problem (not
/// text, truncated JSON) is one error on the line where it was found.
pub fn parse(
    kind: ReportKind,
    bytes: &[u8],
    tz: Tz,
    now: DateTime<Utc>,
    emit: &mut dyn FnMut(Result<Record, RowError>),
) {
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(e) => return emit(Err(e)),
    };
    match kind {
        ReportKind::OrdersApi => json::orders_api(&text, tz, emit),
        ReportKind::AccountHealth => json::account_health(&text, now, emit),
        _ => table::parse(kind, &text, tz, emit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_each_format_from_its_header() {
        let cases: &[(&[u8], Option<ReportKind>)] = &[
            (
                b"\xEF\xBB\xBFamazon-order-id\tmerchant-order-id\tpurchase-date\r\n",
                Some(ReportKind::AllOrders),
            ),
            (
                b"order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n",
                Some(ReportKind::ShipConfirm),
            ),
            (
                b"Date\tRating\tComments\tResponse\tOrder ID\tRater Email\n",
                Some(ReportKind::FeedbackReport),
            ),
            (b"{\"payload\": {\"Orders\": []}}", Some(ReportKind::OrdersApi)),
            (
                b"  {\"performanceMetrics\": []}",
                Some(ReportKind::AccountHealth),
            ),
            (b"order_id,kind,opened,status\n", Some(ReportKind::ClaimsCsv)),
            (b"order_id,refunded,amount\n", Some(ReportKind::RefundsCsv)),
            (b"order_id,cancelled,by,reason\n", Some(ReportKind::CancellationsCsv)),
            (b"order_id,delivered\n", Some(ReportKind::DeliveriesCsv)),
            (b"date,ahr\n", Some(ReportKind::AhrCsv)),
            (b"order_id,date,rating,comments\n", Some(ReportKind::FeedbackCsv)),
            (b"From: a@b\n", None),
            (b"{\"other\": 1}", None),
        ];
        for (head, want) in cases {
            assert_eq!(sniff(head), *want, "{}", String::from_utf8_lossy(head));
        }
    }

    use proptest::prelude::*;

    const KINDS: [ReportKind; 11] = ReportKind::ALL;

    proptest! {
        /// Whatever a file holds, reading it never panics: bad rows become errors.
        #[test]
        fn any_bytes_under_any_header_never_panic(
            kind in 0..KINDS.len(),
            body in proptest::collection::vec(any::<u8>(), 0..400),
            text in "[\\PC\t,\n\r\"{}\\[\\]:0-9/.-]{0,300}",
        ) {
            let headers = [
                "amazon-order-id\tpurchase-date\tfulfillment-channel\tsku\tquantity\tlatest-ship-date\n",
                "{\"payload\": {\"Orders\": [",
                "order-id\tship-date\ttracking-number\tcarrier-name\n",
                "Date\tRating\tComments\tResponse\tOrder ID\tRater Email\n",
                "{\"performanceMetrics\": [",
                "order_id,date,rating,comments\n",
                "order_id,kind,opened,status\n",
                "order_id,refunded,amount\n",
                "order_id,cancelled,by,reason\n",
                "order_id,delivered\n",
                "date,ahr\n",
            ];
            let now = DateTime::<Utc>::UNIX_EPOCH;
            for content in [text.as_bytes().to_vec(), body.clone()] {
                let mut bytes = headers[kind].as_bytes().to_vec();
                bytes.extend(&content);
                let _ = sniff(&bytes);
                parse(KINDS[kind], &bytes, Tz::UTC, now, &mut |_| {});
                parse(KINDS[kind], &content, Tz::Asia__Tokyo, now, &mut |_| {});
            }
        }
    }

    #[test]
    fn a_header_missing_a_column_is_named_as_the_report_it_nearly_is() {
        let cases: &[(&[u8], ReportKind, &[&str])] = &[
            (
                b"amazon-order-id\tsku\tquantity\n111",
                ReportKind::AllOrders,
                &["`purchase-date`"],
            ),
            (
                b"order_id,amount\n",
                ReportKind::RefundsCsv,
                &["`refunded`"],
            ),
            (
                b"order_id,kind,opened\r\n",
                ReportKind::ClaimsCsv,
                &["`status`"],
            ),
            (
                b"order-id\tship-date\tship-method\n",
                ReportKind::ShipConfirm,
                &["`tracking-number` (or `carrier-code`)"],
            ),
        ];
        for (head, kind, missing) in cases {
            assert_eq!(sniff(head), None);
            let (k, m) = near_miss(head).expect("nearly a report");
            assert_eq!(
                (k, m.iter().map(String::as_str).collect::<Vec<_>>()),
                (*kind, missing.to_vec())
            );
        }
        for not_one in [
            &b"From: ann@example.com\n"[..],
            b"Note: order_id later\n",
            b"order_id\n",
            b"Hello, world, date\n",
        ] {
            assert_eq!(
                near_miss(not_one),
                None,
                "{}",
                String::from_utf8_lossy(not_one)
            );
        }
    }

    #[test]
    fn shift_jis_is_decoded() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("注文番号\tコーヒー");
        assert_eq!(decode(&bytes).unwrap(), "注文番号\tコーヒー");
        assert!(decode(b"\x81\x20\x81").is_err());
        // Latin-1: an error naming the line and the byte, not nonsense kanji.
        let latin1 = b"order_id,refunded,amount\n111-0000001-0000001,2026-11-01,12\n\
                       111-0000001-0000002,2026-11-02,5 \xe9t\xe9\n";
        let e = decode(latin1).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(
            e.to_string()
                .starts_with("line 3: byte 0xE9 at character 34"),
            "{e}"
        );
    }
}
