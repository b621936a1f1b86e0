//! The seller's order-side records, as the metrics read them (SPEC.md "Seller metrics").
//! Plain data: the importers fill them, the store keeps them, `metrics` counts them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who ships the order: the seller (merchant-fulfilled, MFN) or Amazon (FBA, AFN). Shipping
/// metrics (LSR, VTR, PCR) count only the seller's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Merchant,
    Amazon,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Merchant => "merchant",
            Channel::Amazon => "amazon",
        }
    }

    /// `Merchant`/`MFN`/`Seller` or `Amazon`/`AFN` as reports write it.
    pub fn parse(s: &str) -> Option<Channel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "merchant" | "mfn" | "seller" | "merchant-fulfilled" => Some(Channel::Merchant),
            "amazon" | "afn" | "amazon-fulfilled" | "fba" => Some(Channel::Amazon),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    pub marketplace: Option<String>,
    pub purchased_at: DateTime<Utc>,
    pub channel: Channel,
    /// As the report says: `Pending`, `Shipped`, `Cancelled`, ...
    pub status: Option<String>,
    pub latest_ship_at: Option<DateTime<Utc>>,
    /// The first ship confirmation.
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    #[serde(rename = "a-to-z")]
    AToZ,
    Chargeback,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    Open,
    Granted,
    Denied,
    Withdrawn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub order_id: String,
    pub kind: ClaimKind,
    pub opened_at: DateTime<Utc>,
    pub status: ClaimStatus,
}

impl Claim {
    /// SPEC: an A-to-z claim not denied, or any chargeback, is a defect.
    pub fn is_defect(&self) -> bool {
        match self.kind {
            ClaimKind::AToZ => self.status != ClaimStatus::Denied,
            ClaimKind::Chargeback => true,
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
}

impl Feedback {
    pub fn is_negative(&self) -> bool {
        self.rating <= 2
    }
    pub fn is_positive(&self) -> bool {
        self.rating >= 4
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelledBy {
    Seller,
    Buyer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation {
    pub order_id: String,
    pub cancelled_at: DateTime<Utc>,
    pub by: CancelledBy,
    pub reason: Option<String>,
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
        assert!(c(ClaimKind::AToZ, ClaimStatus::Open).is_defect());
        assert!(c(ClaimKind::AToZ, ClaimStatus::Granted).is_defect());
        assert!(!c(ClaimKind::AToZ, ClaimStatus::Denied).is_defect());
        assert!(c(ClaimKind::Chargeback, ClaimStatus::Denied).is_defect());
    }
}
