//! The seller's order-side records, as the metrics read them (docs/amazon-rules.md, "What
//! sellerdesk computes"). Plain data: the importers fill them, the store keeps them, `metrics` counts them.
//! How records of one order from several files merge is decided here too ([`merge`]), so the
//! result never depends on the order the files were imported in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who ships the order: the seller (merchant-fulfilled, MFN) or Amazon (FBA, AFN). Amazon
/// reports the Order Defect Rate for each separately; shipping metrics (LSR, VTR, PCR, OTDR)
/// count only the seller's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentChannel {
    Merchant,
    Amazon,
}

impl FulfilmentChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            FulfilmentChannel::Merchant => "merchant",
            FulfilmentChannel::Amazon => "amazon",
        }
    }

    /// `Merchant`/`MFN`/`Seller` or `Amazon`/`AFN` as reports write it.
    pub fn parse(s: &str) -> Option<FulfilmentChannel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "merchant" | "mfn" | "seller" | "merchant-fulfilled" => {
                Some(FulfilmentChannel::Merchant)
            }
            "amazon" | "afn" | "amazon-fulfilled" | "fba" => Some(FulfilmentChannel::Amazon),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    pub marketplace: Option<String>,
    pub purchased_at: DateTime<Utc>,
    pub channel: FulfilmentChannel,
    /// As the report says: `Pending`, `Shipped`, `Cancelled`, ...
    pub status: Option<String>,
    pub latest_ship_at: Option<DateTime<Utc>>,
    /// The first ship confirmation.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When the carrier delivered it (deliveries CSV, or the All Orders `delivery-date`).
    pub delivered_at: Option<DateTime<Utc>>,
    /// The date Amazon promised the buyer: the end of the delivery window (the Orders API's
    /// `LatestDeliveryDate`). On-time delivery compares `delivered_at` with it.
    pub promised_delivery_at: Option<DateTime<Utc>>,
}

impl Order {
    /// Whether a report says the order was cancelled (`Cancelled`, or `Canceled` as the
    /// Orders API spells it).
    pub fn is_cancelled(&self) -> bool {
        self.status.as_deref().is_some_and(status_is_cancelled)
    }
}

/// When each field of a stored order was last stated: the `last-updated-date` of the record
/// that gave it (`None`: a record without one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamps {
    pub marketplace: Option<DateTime<Utc>>,
    pub purchased_at: Option<DateTime<Utc>>,
    pub status: Option<DateTime<Utc>>,
    pub channel: Option<DateTime<Utc>>,
    pub latest_ship_at: Option<DateTime<Utc>>,
    pub promised_delivery_at: Option<DateTime<Utc>>,
}

/// Takes `new` (stated as of `new_at`) over `stored` (as of `stored_at`) when it is newer, or
/// equally new and greater by `rank`; a missing value never erases one. The result is the
/// same whichever comes first: records merge like a maximum, so files can be imported in any
/// order, or twice.
fn pick<T: Clone, K: Ord>(
    stored: &mut Option<T>,
    stored_at: &mut Option<DateTime<Utc>>,
    new: &Option<T>,
    new_at: Option<DateTime<Utc>>,
    rank: impl Fn(&T) -> K,
) {
    let Some(v) = new else {
        return;
    };
    let take = match stored {
        None => true,
        Some(s) => (new_at, rank(v)) > (*stored_at, rank(s)),
    };
    if take {
        *stored = Some(v.clone());
        *stored_at = new_at;
    }
}

/// Orders statuses of one moment: a report that says cancelled outranks one that does not.
#[allow(clippy::ptr_arg)] // `pick` ranks the stored `String` itself.
fn status_rank(s: &String) -> (u8, String) {
    let known = match s.trim().to_ascii_lowercase().as_str() {
        "pending" | "pendingavailability" => 1,
        "unshipped" => 2,
        "partiallyshipped" => 3,
        "shipped" | "invoiceunconfirmed" => 4,
        "delivered" => 5,
        "cancelled" | "canceled" => 6,
        _ => 0,
    };
    (known, s.clone())
}

/// Merges what one record says about an order (as of its `last-updated-date`, `new_at`) into
/// the stored order, field by field (docs/amazon-rules.md §8). `shipped_at`
/// keeps the earliest confirmation, `delivered_at` the latest delivery date.
pub fn merge_order(
    stored: &mut Order,
    stamps: &mut Stamps,
    new: &Order,
    new_at: Option<DateTime<Utc>>,
) {
    pick(
        &mut stored.marketplace,
        &mut stamps.marketplace,
        &new.marketplace,
        new_at,
        Clone::clone,
    );
    let mut purchased = Some(stored.purchased_at);
    pick(
        &mut purchased,
        &mut stamps.purchased_at,
        &Some(new.purchased_at),
        new_at,
        |t| *t,
    );
    stored.purchased_at = purchased.unwrap_or(stored.purchased_at);
    pick(
        &mut stored.status,
        &mut stamps.status,
        &new.status,
        new_at,
        status_rank,
    );
    let mut channel = Some(stored.channel);
    pick(
        &mut channel,
        &mut stamps.channel,
        &Some(new.channel),
        new_at,
        |c| *c,
    );
    stored.channel = channel.unwrap_or(stored.channel);
    pick(
        &mut stored.latest_ship_at,
        &mut stamps.latest_ship_at,
        &new.latest_ship_at,
        new_at,
        |t| *t,
    );
    pick(
        &mut stored.promised_delivery_at,
        &mut stamps.promised_delivery_at,
        &new.promised_delivery_at,
        new_at,
        |t| *t,
    );
    stored.shipped_at = match (stored.shipped_at, new.shipped_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    stored.delivered_at = stored.delivered_at.max(new.delivered_at);
}

/// A new order as its first record states it, with that record's stamps.
pub fn first_stamps(at: Option<DateTime<Utc>>, o: &Order) -> Stamps {
    let when = |present: bool| if present { at } else { None };
    Stamps {
        marketplace: when(o.marketplace.is_some()),
        purchased_at: at,
        status: when(o.status.is_some()),
        channel: at,
        latest_ship_at: when(o.latest_ship_at.is_some()),
        promised_delivery_at: when(o.promised_delivery_at.is_some()),
    }
}

/// The marketplace a report's `marketplaceId` stands for, as sales channels name it
/// (`amazon.de`); SP-API's published IDs.
pub fn marketplace_domain(id: &str) -> Option<&'static str> {
    Some(match id.trim() {
        "ATVPDKIKX0DER" => "amazon.com",
        "A2EUQ1WTGCTBG2" => "amazon.ca",
        "A1AM78C64UM0Y8" => "amazon.com.mx",
        "A2Q3Y263D00KWC" => "amazon.com.br",
        "A1PA6795UKMFR9" => "amazon.de",
        "A1F83G8C2ARO7P" => "amazon.co.uk",
        "A13V1IB3VIYZZH" => "amazon.fr",
        "A1RKKUPIHCS9HS" => "amazon.es",
        "APJ6JRA9NG5V4" => "amazon.it",
        "A1805IZSGTT6HS" => "amazon.nl",
        "A2NODRKZP88ZB9" => "amazon.se",
        "A1C3SOZRARQ6R3" => "amazon.pl",
        "AMEN7PMS3EDWL" => "amazon.com.be",
        "A33AVAJ2PDY3EV" => "amazon.com.tr",
        "A2VIGQ35RCS4UG" => "amazon.ae",
        "A17E79C6D8DWNP" => "amazon.sa",
        "ARBP9OOSHTCHU" => "amazon.eg",
        "A21TJRUUN4KGV" => "amazon.in",
        "A1VC38T7YXB528" => "amazon.co.jp",
        "A39IBJ37TRP1C6" => "amazon.com.au",
        "A19VAU5U5O7RUS" => "amazon.sg",
        _ => return None,
    })
}

pub fn status_is_cancelled(status: &str) -> bool {
    let s = status.trim();
    s.eq_ignore_ascii_case("cancelled") || s.eq_ignore_ascii_case("canceled")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    #[serde(rename = "a-to-z")]
    AToZ,
    /// A service chargeback: the buyer disputed the charge with the card issuer over the
    /// order itself (not received, not as described, ...).
    Chargeback,
    /// A chargeback for an unauthorized (stolen-card) purchase: Amazon handles it, and it is
    /// not part of the Order Defect Rate.
    FraudChargeback,
}

impl ClaimKind {
    pub fn key(self) -> &'static str {
        match self {
            ClaimKind::AToZ => "a-to-z",
            ClaimKind::Chargeback => "chargeback",
            ClaimKind::FraudChargeback => "fraud-chargeback",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimKind> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "a-to-z" | "atoz" | "a-to-z guarantee" | "a-z" => Some(ClaimKind::AToZ),
            "chargeback" | "service-chargeback" | "service chargeback" => {
                Some(ClaimKind::Chargeback)
            }
            "fraud-chargeback" | "fraud chargeback" => Some(ClaimKind::FraudChargeback),
            _ => None,
        }
    }
}

/// Where a claim or chargeback stands. The outcomes are those Amazon's Order Defect Rate page
/// distinguishes (docs/amazon-rules.md §1b, D5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Filed, not decided yet (pending).
    Open,
    /// Withdrawn by the buyer before Amazon decided and before the seller refunded.
    Withdrawn,
    /// Decided in the seller's favour.
    Denied,
    /// Granted on a not-received claim for an order shipped with Amazon's Buy Shipping
    /// (Merchant Shipping Service) on time: Amazon keeps it off the seller's ODR.
    BuyShippingProtected,
    /// Decided for the buyer (also when Amazon paid it).
    Granted,
    /// The seller refunded after the claim was filed.
    Refunded,
    /// Withdrawn only after it was granted or after the seller's refund.
    WithdrawnAfterDecision,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 7] = [
        ClaimStatus::Open,
        ClaimStatus::Withdrawn,
        ClaimStatus::Denied,
        ClaimStatus::BuyShippingProtected,
        ClaimStatus::Granted,
        ClaimStatus::Refunded,
        ClaimStatus::WithdrawnAfterDecision,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ClaimStatus::Open => "open",
            ClaimStatus::Withdrawn => "withdrawn",
            ClaimStatus::Denied => "denied",
            ClaimStatus::BuyShippingProtected => "buy_shipping_protected",
            ClaimStatus::Granted => "granted",
            ClaimStatus::Refunded => "refunded",
            ClaimStatus::WithdrawnAfterDecision => "withdrawn_after_decision",
        }
    }

    /// The CSV's words: the keys, with `-` or spaces for `_`, and `pending` for open.
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if k == "pending" {
            return Some(ClaimStatus::Open);
        }
        ClaimStatus::ALL.into_iter().find(|c| c.key() == k)
    }

    /// Whether a file saying this has decided the claim: a decided outcome never returns to
    /// open, whichever file is imported last.
    pub fn is_decided(self) -> bool {
        self != ClaimStatus::Open
    }

    /// Two files disagreeing on one claim, without dates to tell which is newer: the outcome
    /// further along wins (the order of the variants: open, withdrawn, denied, protected,
    /// granted, refunded, withdrawn after a decision). A claim a file calls granted stays a
    /// defect until a file says it was withdrawn after that; the result is the same in any
    /// import order.
    pub fn merge(self, other: ClaimStatus) -> ClaimStatus {
        self.max(other)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub order_id: String,
    pub kind: ClaimKind,
    pub opened_at: DateTime<Utc>,
    pub status: ClaimStatus,
}

impl Claim {
    /// Whether the claim is an Order Defect Rate defect (docs/amazon-rules.md §1b
    /// and §1c). An A-to-z claim counts when pending, granted,
    /// refunded after filing, or withdrawn only after a decision or refund; not when denied,
    /// withdrawn before a decision, or protected by Buy Shipping. A service chargeback counts
    /// whatever its outcome: Amazon counts the orders that *received* one, so one decided in
    /// the seller's favour still counts. A fraud chargeback is Amazon's liability, not a defect.
    pub fn is_defect(&self) -> bool {
        match self.kind {
            ClaimKind::AToZ => matches!(
                self.status,
                ClaimStatus::Open
                    | ClaimStatus::Granted
                    | ClaimStatus::Refunded
                    | ClaimStatus::WithdrawnAfterDecision
            ),
            ClaimKind::Chargeback => true,
            ClaimKind::FraudChargeback => false,
        }
    }
}

/// Where a feedback record comes from: Amazon's report lists only neutral and negative
/// feedback, so a rating can only be computed from sources that list every rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedbackSource {
    /// Amazon's Feedback report: ratings 1–3 only.
    AmazonReport,
    /// The project's feedback CSV: every rating.
    AllRatings,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub order_id: Option<String>,
    pub rated_at: DateTime<Utc>,
    /// 1–5 stars.
    pub rating: u8,
    pub source: FeedbackSource,
    /// When Amazon removed it (or the buyer did): it stops counting from then on.
    pub removed_at: Option<DateTime<Utc>>,
}

impl Feedback {
    /// Whether it still counts at `now`: not removed, or removed only after `now`.
    pub fn counts_at(&self, now: DateTime<Utc>) -> bool {
        self.removed_at.is_none_or(|r| r > now)
    }

    pub fn is_negative(&self) -> bool {
        self.rating <= 2
    }
    pub fn is_positive(&self) -> bool {
        self.rating >= 4
    }
}

/// Who cancelled an order. Amazon's Pre-fulfilment Cancel Rate leaves out cancellations the
/// buyer requested through Amazon; one whose initiator no file names counts as the seller's
/// (docs/amazon-rules.md §7, D1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelledBy {
    Unknown,
    Buyer,
    Seller,
}

impl CancelledBy {
    pub fn key(self) -> &'static str {
        match self {
            CancelledBy::Seller => "seller",
            CancelledBy::Buyer => "buyer",
            CancelledBy::Unknown => "unknown",
        }
    }

    /// Counted against the seller in PCR.
    pub fn is_sellers(self) -> bool {
        self != CancelledBy::Buyer
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation {
    pub order_id: String,
    pub cancelled_at: DateTime<Utc>,
    pub by: CancelledBy,
    pub reason: Option<String>,
}

/// One of Amazon's own figures from the account health report (SP-API
/// `GET_V2_SELLER_PERFORMANCE_REPORT`), for one marketplace and metric.
#[derive(Clone, Debug, PartialEq)]
pub struct AmazonFigure {
    pub reported_at: DateTime<Utc>,
    /// The report's `marketplaceId` (`ATVPDKIKX0DER`, ...); empty when it names none.
    pub marketplace_id: String,
    /// sellerdesk's key: `odr` (seller-fulfilled), `odr_fba`, `lsr_10`, `lsr_30`, `pcr`, `vtr`,
    /// `otdr`.
    pub metric: String,
    pub status: Option<String>,
    pub rate: Option<f64>,
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
    pub target: Option<f64>,
    /// Amazon's reporting range, as the report gives it.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// ODR only: orders with negative feedback, A-to-z claims and chargebacks, as Amazon
    /// counts them.
    pub parts: Option<[Option<u64>; 3]>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub order_id: String,
    pub refunded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    pub order_id: String,
    pub shipped_at: DateTime<Utc>,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
}

impl Shipment {
    pub fn has_valid_tracking(&self) -> bool {
        self.tracking
            .as_deref()
            .is_some_and(|t| valid_tracking(self.carrier.as_deref(), t))
    }
}

/// A tracking number well-formed for its carrier; for a carrier not known here, a plausible
/// code (8–40 letters, digits and dashes with at least 6 digits).
pub fn valid_tracking(carrier: Option<&str>, tracking: &str) -> bool {
    let t: String = tracking
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return false;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let n = t.len();
    let carrier = carrier.unwrap_or("").to_ascii_lowercase();
    let upu = |suffix: &str| {
        // S10 international: two letters, nine digits, two letters.
        n == 13
            && t[..2].bytes().all(|b| b.is_ascii_alphabetic())
            && digits(&t[2..11])
            && t.ends_with(suffix)
    };
    if carrier.contains("ups") {
        (n == 18 && t.starts_with("1Z"))
            || (n == 11 && t.starts_with('T'))
            || (n == 9 && digits(&t))
    } else if carrier.contains("usps") || carrier.contains("postal service") {
        ((20..=22).contains(&n) && digits(&t)) || upu("US") || (n == 13 && t.starts_with('9'))
    } else if carrier.contains("fedex") {
        matches!(n, 12 | 15 | 20 | 22) && digits(&t)
    } else if carrier.contains("dhl") {
        ((10..=11).contains(&n) && digits(&t))
            || ((12..=20).contains(&n) && digits(&t))
            || (n >= 12 && (t.starts_with("JJD") || t.starts_with("JVGL") || upu("DE")))
    } else if carrier.contains("amazon") || carrier.contains("amzl") {
        n == 15 && t.starts_with("TBA") && digits(&t[3..])
    } else if carrier.contains("royal mail") {
        upu("GB") || (n == 16 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
    } else if carrier.contains("japan post")
        || carrier.contains("yamato")
        || carrier.contains("sagawa")
    {
        (10..=13).contains(&n) && digits(&t)
    } else {
        (8..=40).contains(&n) && t.bytes().filter(u8::is_ascii_digit).count() >= 6
    }
}

/// One thing a report says (read by `reports`, stored by `store::account`).
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// An order as of `last_updated_at`; a later one replaces an earlier one.
    Order {
        order: Order,
        last_updated_at: Option<DateTime<Utc>>,
    },
    Item {
        order_id: String,
        item_key: String,
        asin: Option<String>,
        sku: Option<String>,
        product_name: Option<String>,
        quantity: Option<i64>,
    },
    Shipment {
        shipment: Shipment,
        ship_method: Option<String>,
    },
    Feedback {
        feedback: Feedback,
        comments: Option<String>,
        response: Option<String>,
        rater_email: Option<String>,
    },
    Claim(Claim),
    Refund {
        refund: Refund,
        amount: Option<String>,
    },
    Cancellation(Cancellation),
    Delivery {
        order_id: String,
        delivered_at: DateTime<Utc>,
    },
    /// The Account Health Rating (a number the seller reads, or Amazon's status).
    AccountHealth {
        reported_at: DateTime<Utc>,
        ahr: Option<i64>,
        status: Option<String>,
        source: &'static str,
    },
    /// One of Amazon's own figures from the account health report.
    AmazonMetric(AmazonFigure),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_by_carrier() {
        assert!(valid_tracking(Some("UPS"), "1Z999AA10123456784"));
        assert!(!valid_tracking(Some("UPS"), "1Z999AA1012345678"));
        assert!(valid_tracking(Some("USPS"), "9400111899223197428490"));
        assert!(valid_tracking(Some("USPS"), "EA123456789US"));
        assert!(valid_tracking(Some("FedEx"), "449044304137821"));
        assert!(!valid_tracking(Some("FedEx"), "44904430413"));
        assert!(valid_tracking(Some("DHL"), "1234567890"));
        assert!(valid_tracking(Some("Amazon Logistics"), "TBA123456789012"));
        assert!(valid_tracking(Some("Royal Mail"), "AB123456789GB"));
        assert!(valid_tracking(Some("Japan Post"), "123456789012"));
        assert!(valid_tracking(Some("Hermes"), "H1234567890123"));
        assert!(valid_tracking(None, "ab 1234 5678"));
        assert!(!valid_tracking(Some("Hermes"), "n/a"));
        assert!(!valid_tracking(Some("UPS"), ""));
        assert!(!valid_tracking(None, "shipped!"));
    }

    #[test]
    fn claims_that_are_defects() {
        let c = |kind, status| Claim {
            order_id: "1".into(),
            kind,
            opened_at: DateTime::UNIX_EPOCH,
            status,
        };
        // G200285170: pending, granted, refunded after filing, withdrawn after a decision.
        assert!(c(ClaimKind::AToZ, ClaimStatus::Open).is_defect());
        assert!(c(ClaimKind::AToZ, ClaimStatus::Granted).is_defect());
        assert!(c(ClaimKind::AToZ, ClaimStatus::Refunded).is_defect());
        assert!(c(ClaimKind::AToZ, ClaimStatus::WithdrawnAfterDecision).is_defect());
        // Denied, withdrawn before a decision, Buy Shipping protection: not defects.
        assert!(!c(ClaimKind::AToZ, ClaimStatus::Denied).is_defect());
        assert!(!c(ClaimKind::AToZ, ClaimStatus::Withdrawn).is_defect());
        assert!(!c(ClaimKind::AToZ, ClaimStatus::BuyShippingProtected).is_defect());
        // An order that received a chargeback counts, also when the seller won it.
        assert!(c(ClaimKind::Chargeback, ClaimStatus::Denied).is_defect());
        assert!(c(ClaimKind::Chargeback, ClaimStatus::Open).is_defect());
        assert!(!c(ClaimKind::FraudChargeback, ClaimStatus::Granted).is_defect());
    }

    #[test]
    fn claim_outcomes_merge_the_same_in_any_order_and_never_reopen() {
        for a in ClaimStatus::ALL {
            for b in ClaimStatus::ALL {
                assert_eq!(a.merge(b), b.merge(a));
                if a.is_decided() {
                    assert!(a.merge(b).is_decided());
                }
            }
            assert_eq!(ClaimStatus::parse(a.key()), Some(a));
        }
        assert_eq!(
            ClaimStatus::parse("Withdrawn after decision"),
            Some(ClaimStatus::WithdrawnAfterDecision)
        );
        assert_eq!(ClaimStatus::parse("pending"), Some(ClaimStatus::Open));
    }
}
