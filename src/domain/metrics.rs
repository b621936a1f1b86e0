//! The account metrics of docs/amazon-rules.md ("What sellerdesk computes"), each a pure function of the seller's records and `now`:
//! window, numerator, denominator, rate, target, status and headroom.
//!
//! Windows are `(now − N×24 h, now]`. Rates and targets are compared in whole numbers (targets
//! in basis points), so an order exactly on an edge or a rate exactly on a target is decided
//! the same way every time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::account::{
    Cancellation, Claim, ClaimKind, Feedback, FeedbackSource, FulfilmentChannel, Order, Refund,
    Shipment,
};
use super::response::LateResponseRate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Good,
    AtRisk,
    Bad,
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Good => "good",
            Status::AtRisk => "at_risk",
            Status::Bad => "bad",
            Status::NoData => "no_data",
        }
    }
}

/// Which way is good, and where the line is, in basis points (1% = 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The rate must stay under this (ODR < 1%).
    Below(u32),
    /// The rate must stay over this (VTR > 95%).
    Above(u32),
    /// The rate must be this or more (on-time delivery at least 90%).
    AtLeast(u32),
}

impl Target {
    pub fn as_fraction(self) -> f64 {
        match self {
            Target::Below(bp) | Target::Above(bp) | Target::AtLeast(bp) => f64::from(bp) / 10_000.0,
        }
    }
}

pub const ODR_TARGET: Target = Target::Below(100);
pub const PCR_TARGET: Target = Target::Below(250);
pub const LSR_TARGET: Target = Target::Below(400);
pub const VTR_TARGET: Target = Target::Above(9_500);
pub const FEEDBACK_TARGET: Target = Target::Above(9_500);
pub const POP_TARGET: Target = Target::Above(9_700);
pub const OTDR_TARGET: Target = Target::AtLeast(9_000);
pub const OTDR_DAYS: u32 = 14;
/// On-time delivery leaves out the promised dates of the last week.
pub const OTDR_LAG_DAYS: u32 = 7;

/// The promised dates on-time delivery counts at `now`.
pub fn otdr_span(now: DateTime<Utc>) -> Span {
    let hi = now - Duration::days(i64::from(OTDR_LAG_DAYS));
    Span::days(hi, OTDR_DAYS)
}
pub const LATE_RESPONSE_TARGET: Target = Target::Below(1_000);

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    /// `None`: lifetime.
    pub window_days: Option<u32>,
    /// Defects for a lower-is-better rate (late shipments, ...), the good ones for a
    /// higher-is-better one (valid tracking, positive feedback, perfect orders).
    pub numerator: u64,
    pub denominator: u64,
    /// `None` when the window holds nothing: "no data", never 0% or 100%.
    pub rate: Option<f64>,
    #[serde(serialize_with = "serialize_target")]
    pub target: Option<Target>,
    pub status: Status,
    /// How many more defects the records already in the window absorb and stay on target.
    pub headroom: Option<u64>,
    /// The Order Defect Rate's three parts (ODR only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<OdrParts>,
    /// Amazon's own figure from the latest account health report, with ours over exactly its
    /// reporting range (`None`: no report gives this metric).
    pub amazon: Option<AmazonCheck>,
}

/// Amazon's figure for a metric beside ours over the same range (docs/amazon-rules.md §9).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AmazonCheck {
    pub rate: Option<f64>,
    pub numerator: Option<u64>,
    pub denominator: Option<u64>,
    /// Amazon's status word (`GOOD`, `AT_RISK`, ...), as the report gives it.
    pub status: Option<String>,
    /// Amazon's reporting range, as the report gives it (none when it gives none).
    #[serde(serialize_with = "serialize_time")]
    pub from: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_time")]
    pub to: Option<DateTime<Utc>>,
    /// The marketplace the figure is for, as the report names it.
    pub marketplace_id: Option<String>,
    /// Amazon's ODR parts: (negative feedback, A-to-z claims, chargebacks) counts.
    #[serde(skip)]
    pub parts: Option<[Option<u64>; 3]>,
    /// Ours over `from`–`to` (none without a range).
    pub ours: Option<Part>,
    /// ODR only: our orders with negative feedback, A-to-z claims and chargebacks over
    /// `from`–`to`.
    #[serde(skip)]
    pub ours_parts: Option<[u64; 3]>,
    /// Our count equals Amazon's (numerator and denominator), where Amazon gives counts.
    pub agrees: Option<bool>,
}

fn serialize_time<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}

fn serialize_target<S: serde::Serializer>(t: &Option<Target>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.as_fraction()),
        None => s.serialize_none(),
    }
}

/// The largest `m` with `m × 10000 < bp × den`: how many failures stay under the line.
fn under_line(bp: u32, den: u64) -> Option<u64> {
    let limit = u128::from(bp) * u128::from(den);
    (limit > 0).then(|| ((limit - 1) / 10_000) as u64)
}

/// Status and headroom of `numerator` out of `denominator` against `target`.
pub fn evaluate(
    numerator: u64,
    denominator: u64,
    window_days: Option<u32>,
    target: Option<Target>,
) -> Metric {
    let mut m = Metric {
        window_days,
        numerator,
        denominator,
        rate: None,
        target,
        status: Status::NoData,
        headroom: None,
        parts: None,
        amazon: None,
    };
    if denominator == 0 {
        return m;
    }
    m.rate = Some(numerator as f64 / denominator as f64);
    let Some(target) = target else {
        m.status = Status::Good;
        return m;
    };
    // Failures against the share of failures allowed: defects for a "below" target, the
    // rest for an "above" one.
    let (failures, allowed_bp) = match target {
        Target::Below(bp) => (numerator, bp),
        Target::Above(bp) | Target::AtLeast(bp) => (
            denominator.saturating_sub(numerator),
            10_000 - bp.min(10_000),
        ),
    };
    // "At least": failures exactly on the allowed share still meet it.
    let inclusive = matches!(target, Target::AtLeast(_));
    let f = u128::from(failures) * 10_000;
    let allowed = u128::from(allowed_bp) * u128::from(denominator);
    m.status = if f > allowed || (f == allowed && !inclusive) {
        Status::Bad
    } else if f * 5 >= allowed * 4 {
        // 80% of the allowed share used.
        Status::AtRisk
    } else {
        Status::Good
    };
    let most = if inclusive {
        Some((allowed / 10_000) as u64)
    } else {
        under_line(allowed_bp, denominator)
    };
    m.headroom = Some(match most {
        Some(max) => max.saturating_sub(failures),
        None => 0,
    });
    if m.status == Status::Bad {
        m.headroom = Some(0);
    }
    m
}

/// What puts an off-target metric back on target, either way: this many fewer failures in the
/// same orders, or this many more orders without one (`None` when no number of good orders
/// is enough: a target of 0% failures). `None` for a metric on target or without data.
pub fn recovery(m: &Metric) -> Option<(u64, Option<u64>)> {
    let target = m.target?;
    if m.status != Status::Bad || m.denominator == 0 {
        return None;
    }
    let (failures, allowed_bp) = match target {
        Target::Below(bp) => (m.numerator, bp),
        Target::Above(bp) | Target::AtLeast(bp) => (
            m.denominator.saturating_sub(m.numerator),
            10_000 - bp.min(10_000),
        ),
    };
    let inclusive = matches!(target, Target::AtLeast(_));
    let d = u128::from(m.denominator);
    let f = u128::from(failures);
    let a = u128::from(allowed_bp);
    // Failures the same orders allow: under the share, or up to it for "at least".
    let most = if inclusive {
        a * d / 10_000
    } else {
        under_line(allowed_bp, m.denominator).map_or(0, u128::from)
    };
    let fewer = f.saturating_sub(most) as u64;
    // Orders without a failure that bring the share down: f / (d + j) under (or at) a.
    let more = (a > 0).then(|| {
        let needed = if inclusive {
            (f * 10_000).div_ceil(a)
        } else {
            f * 10_000 / a + 1
        };
        needed.saturating_sub(d) as u64
    });
    Some((fewer, more))
}

/// Everything the metrics read.
#[derive(Clone, Copy, Debug)]
pub struct Records<'a> {
    pub orders: &'a [Order],
    pub feedback: &'a [Feedback],
    pub claims: &'a [Claim],
    pub refunds: &'a [Refund],
    pub cancellations: &'a [Cancellation],
    pub shipments: &'a [Shipment],
    /// Orders a buyer-initiated message is about (a thread the buyer started): they are not
    /// "perfect". A thread the seller started (proactive) does not count.
    pub buyer_contacted: &'a HashSet<String>,
}

/// `(now − days×24 h, now]`.
pub fn in_window(t: DateTime<Utc>, now: DateTime<Utc>, days: u32) -> bool {
    Span::days(now, days).has(t)
}

/// A reporting period `(lo, hi]`: the last `days` before `now`, or a range Amazon reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub lo: DateTime<Utc>,
    pub hi: DateTime<Utc>,
}

impl Span {
    pub fn days(now: DateTime<Utc>, days: u32) -> Span {
        Span {
            lo: now - Duration::days(i64::from(days)),
            hi: now,
        }
    }

    pub fn has(&self, t: DateTime<Utc>) -> bool {
        t > self.lo && t <= self.hi
    }
}

/// One part of a rate: `numerator / denominator` (`rate` none without a denominator).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Part {
    pub rate: Option<f64>,
    pub numerator: u64,
    pub denominator: u64,
}

impl Part {
    pub fn of(numerator: u64, denominator: u64) -> Part {
        Part {
            rate: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            numerator,
            denominator,
        }
    }
}

/// The three kinds of defect the Order Defect Rate is made of, each over the same orders (an
/// order with two kinds counts once in the rate, once in each part).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OdrParts {
    pub negative_feedback: Part,
    pub a_to_z: Part,
    pub chargebacks: Part,
}

/// What is known against each order at the end of a period, looked up once.
struct Facts<'a> {
    /// Negative feedback still counting.
    negative: HashSet<&'a str>,
    a_to_z: HashSet<&'a str>,
    chargeback: HashSet<&'a str>,
    any_claim: HashSet<&'a str>,
    refunded: HashSet<&'a str>,
    cancelled: HashMap<&'a str, &'a Cancellation>,
    /// Orders a report calls cancelled, with or without a cancellation record.
    cancelled_status: HashSet<&'a str>,
}

impl<'a> Facts<'a> {
    fn of(r: &Records<'a>, at: DateTime<Utc>) -> Facts<'a> {
        let defect = |kind: ClaimKind| -> HashSet<&'a str> {
            r.claims
                .iter()
                .filter(|c| c.kind == kind && c.is_defect())
                .map(|c| c.order_id.as_str())
                .collect()
        };
        Facts {
            negative: r
                .feedback
                .iter()
                .filter(|f| f.is_negative() && f.counts_at(at))
                .filter_map(|f| f.order_id.as_deref())
                .collect(),
            a_to_z: defect(ClaimKind::AToZ),
            chargeback: defect(ClaimKind::Chargeback),
            any_claim: r.claims.iter().map(|c| c.order_id.as_str()).collect(),
            refunded: r.refunds.iter().map(|x| x.order_id.as_str()).collect(),
            cancelled: r
                .cancellations
                .iter()
                .map(|c| (c.order_id.as_str(), c))
                .collect(),
            cancelled_status: r
                .orders
                .iter()
                .filter(|o| o.is_cancelled())
                .map(|o| o.order_id.as_str())
                .collect(),
        }
    }

    fn is_cancelled(&self, id: &str) -> bool {
        self.cancelled.contains_key(id) || self.cancelled_status.contains(id)
    }

    /// A cancellation PCR counts: by the seller (or by nobody named), before the order
    /// shipped. A report's `Cancelled` without a record is one of unknown initiator and time.
    fn seller_cancelled_before_shipping(&self, o: &Order) -> bool {
        match self.cancelled.get(o.order_id.as_str()) {
            Some(c) => c.by.is_sellers() && o.shipped_at.is_none_or(|s| c.cancelled_at <= s),
            None => self.cancelled_status.contains(o.order_id.as_str()),
        }
    }
}

/// Order Defect Rate of one fulfilment channel: its orders with a negative feedback, an
/// A-to-z claim or a service chargeback that counts (each order once) / its orders, by
/// purchase date, 60 days, < 1%, with the three parts.
pub fn odr(r: &Records<'_>, now: DateTime<Utc>, channel: FulfilmentChannel) -> Metric {
    let mut m = odr_in(r, Span::days(now, 60), channel);
    m.window_days = Some(60);
    m
}

/// [`odr`] over any period.
pub fn odr_in(r: &Records<'_>, span: Span, channel: FulfilmentChannel) -> Metric {
    let facts = Facts::of(r, span.hi);
    let (mut n, mut d) = (0, 0);
    let (mut neg, mut atoz, mut cb) = (0, 0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| o.channel == channel && span.has(o.purchased_at))
    {
        d += 1;
        let id = o.order_id.as_str();
        let parts = [
            facts.negative.contains(id),
            facts.a_to_z.contains(id),
            facts.chargeback.contains(id),
        ];
        neg += u64::from(parts[0]);
        atoz += u64::from(parts[1]);
        cb += u64::from(parts[2]);
        if parts.iter().any(|p| *p) {
            n += 1;
        }
    }
    let mut m = evaluate(n, d, None, Some(ODR_TARGET));
    m.parts = Some(OdrParts {
        negative_feedback: Part::of(neg, d),
        a_to_z: Part::of(atoz, d),
        chargebacks: Part::of(cb, d),
    });
    m
}

/// Pre-fulfilment Cancel Rate: seller-fulfilled orders the seller cancelled before shipping /
/// seller-fulfilled orders, by purchase date, 7 days, < 2.5%. Cancellations the buyer asked
/// for are not the seller's; one with no initiator named is.
pub fn pcr(r: &Records<'_>, now: DateTime<Utc>) -> Metric {
    let mut m = pcr_in(r, Span::days(now, 7));
    m.window_days = Some(7);
    m
}

pub fn pcr_in(r: &Records<'_>, span: Span) -> Metric {
    let facts = Facts::of(r, span.hi);
    let (mut n, mut d) = (0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| o.channel == FulfilmentChannel::Merchant && span.has(o.purchased_at))
    {
        d += 1;
        if facts.seller_cancelled_before_shipping(o) {
            n += 1;
        }
    }
    evaluate(n, d, None, Some(PCR_TARGET))
}

/// Whether a seller-fulfilled order shipped late at `now`: confirmed after its latest ship
/// date, or still unconfirmed past it.
pub fn shipped_late(o: &Order, now: DateTime<Utc>) -> bool {
    match (o.latest_ship_at, o.shipped_at) {
        (Some(due), Some(shipped)) => shipped > due,
        (Some(due), None) => now > due,
        (None, _) => false,
    }
}

/// Late Shipment Rate: seller-fulfilled orders confirmed after their latest ship date, or
/// still unconfirmed past it / seller-fulfilled orders due to ship, by latest ship date,
/// `days` (10 or 30), < 4%. Cancelled orders (a cancellation, or a report's `Cancelled`)
/// never ship and are not counted.
pub fn lsr(r: &Records<'_>, now: DateTime<Utc>, days: u32) -> Metric {
    let mut m = lsr_in(r, Span::days(now, days));
    m.window_days = Some(days);
    m
}

pub fn lsr_in(r: &Records<'_>, span: Span) -> Metric {
    let facts = Facts::of(r, span.hi);
    let (mut n, mut d) = (0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| o.channel == FulfilmentChannel::Merchant)
    {
        let Some(due) = o.latest_ship_at else {
            continue;
        };
        if !span.has(due) || facts.is_cancelled(o.order_id.as_str()) {
            continue;
        }
        d += 1;
        if shipped_late(o, span.hi) {
            n += 1;
        }
    }
    evaluate(n, d, None, Some(LSR_TARGET))
}

/// Valid Tracking Rate: shipments (one per order ID + tracking number) with a valid tracking
/// number / shipments, by ship date, 30 days, > 95%. Shipments of Amazon-fulfilled orders are
/// Amazon's.
pub fn vtr(r: &Records<'_>, now: DateTime<Utc>) -> Metric {
    let mut m = vtr_in(r, Span::days(now, 30));
    m.window_days = Some(30);
    m
}

pub fn vtr_in(r: &Records<'_>, span: Span) -> Metric {
    let amazon: HashSet<&str> = r
        .orders
        .iter()
        .filter(|o| o.channel == FulfilmentChannel::Amazon)
        .map(|o| o.order_id.as_str())
        .collect();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let (mut n, mut d) = (0, 0);
    for s in r.shipments.iter().filter(|s| span.has(s.shipped_at)) {
        if amazon.contains(s.order_id.as_str())
            || !seen.insert((s.order_id.as_str(), s.tracking.as_deref().unwrap_or("")))
        {
            continue;
        }
        d += 1;
        if s.has_valid_tracking() {
            n += 1;
        }
    }
    evaluate(n, d, None, Some(VTR_TARGET))
}

/// On-Time Delivery Rate: seller-fulfilled orders delivered by the date promised to the buyer
/// / seller-fulfilled orders with both a promised and an actual delivery date, by promised
/// date, over the 14 days that end 7 days before `now` (Amazon leaves a week for deliveries
/// to be scanned), > 90%. Orders without both dates are not counted; cancelled orders neither.
pub fn otdr(r: &Records<'_>, now: DateTime<Utc>) -> Metric {
    let mut m = otdr_in(r, otdr_span(now));
    m.window_days = Some(OTDR_DAYS);
    m
}

pub fn otdr_in(r: &Records<'_>, span: Span) -> Metric {
    let facts = Facts::of(r, span.hi);
    let (mut n, mut d) = (0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| o.channel == FulfilmentChannel::Merchant)
    {
        let (Some(promised), Some(delivered)) = (o.promised_delivery_at, o.delivered_at) else {
            continue;
        };
        if !span.has(promised) || facts.is_cancelled(o.order_id.as_str()) {
            continue;
        }
        d += 1;
        if delivered <= promised {
            n += 1;
        }
    }
    evaluate(n, d, None, Some(OTDR_TARGET))
}

/// Feedback rating: positive (4–5 stars) / all feedback, by feedback date, over `days`
/// (`None`: lifetime), > 95%. Amazon's report lists no positives: a window with no record from
/// a source of every rating has no data, never 0%. Removed feedback stops counting from its
/// removal.
pub fn feedback_rating(r: &Records<'_>, now: DateTime<Utc>, days: Option<u32>) -> Metric {
    let in_range = |f: &&Feedback| {
        f.counts_at(now)
            && match days {
                Some(d) => in_window(f.rated_at, now, d),
                None => f.rated_at <= now,
            }
    };
    let window: Vec<&Feedback> = r.feedback.iter().filter(in_range).collect();
    if !window
        .iter()
        .any(|f| f.source == FeedbackSource::AllRatings)
    {
        return evaluate(0, 0, days, Some(FEEDBACK_TARGET));
    }
    let positive = window.iter().filter(|f| f.is_positive()).count() as u64;
    evaluate(positive, window.len() as u64, days, Some(FEEDBACK_TARGET))
}

/// Refund rate: refunded orders / orders, by purchase date, 30 days; shown without a target.
pub fn refund_rate(r: &Records<'_>, now: DateTime<Utc>) -> Metric {
    let facts = Facts::of(r, now);
    let (mut n, mut d) = (0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| in_window(o.purchased_at, now, 30))
    {
        d += 1;
        if facts.refunded.contains(o.order_id.as_str()) {
            n += 1;
        }
    }
    evaluate(n, d, Some(30), None)
}

/// Perfect Order Percentage: orders with none of negative feedback, an A-to-z claim, a
/// chargeback, a cancellation, a late shipment, a refund or a buyer-initiated message /
/// orders, by purchase date, 90 days, > 97%.
pub fn pop(r: &Records<'_>, now: DateTime<Utc>) -> Metric {
    let facts = Facts::of(r, now);
    let (mut n, mut d) = (0, 0);
    for o in r
        .orders
        .iter()
        .filter(|o| in_window(o.purchased_at, now, 90))
    {
        d += 1;
        let id = o.order_id.as_str();
        let imperfect = facts.negative.contains(id)
            || facts.any_claim.contains(id)
            || facts.is_cancelled(id)
            || facts.refunded.contains(id)
            || r.buyer_contacted.contains(id)
            || (o.channel == FulfilmentChannel::Merchant && shipped_late(o, now));
        if !imperfect {
            n += 1;
        }
    }
    evaluate(n, d, Some(90), Some(POP_TARGET))
}

/// The late response rate (domain::response) as a metric.
pub fn late_response(rate: &LateResponseRate) -> Metric {
    evaluate(
        rate.late(),
        rate.counted,
        Some(rate.window_days),
        Some(LATE_RESPONSE_TARGET),
    )
}

/// Account Health Rating as Amazon states it: ≥ 200 healthy, 100–199 at risk, < 100 bad.
pub fn ahr_status(value: Option<i64>) -> Status {
    match value {
        None => Status::NoData,
        Some(v) if v >= 200 => Status::Good,
        Some(v) if v >= 100 => Status::AtRisk,
        Some(_) => Status::Bad,
    }
}

/// The Account Health Rating: the seller's number, its band, and Amazon's own status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ahr {
    pub value: Option<i64>,
    pub status: Status,
    pub amazon_status: Option<String>,
}

/// Every metric, as `sellerdesk metrics --json` prints them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountMetrics {
    /// Seller-fulfilled orders (Amazon shows and enforces each channel's ODR on its own).
    pub odr: Metric,
    /// Amazon-fulfilled (FBA) orders.
    pub odr_fba: Metric,
    pub lsr_10: Metric,
    pub lsr_30: Metric,
    pub pcr: Metric,
    pub vtr: Metric,
    pub otdr: Metric,
    pub feedback_30: Metric,
    pub feedback_90: Metric,
    pub feedback_365: Metric,
    pub feedback_lifetime: Metric,
    pub refund_rate: Metric,
    pub pop: Metric,
    pub late_response_7: Metric,
    pub late_response_30: Metric,
    pub late_response_90: Metric,
    pub ahr: Ahr,
}

impl AccountMetrics {
    /// `(key, label, metric)` in display order.
    pub fn rows(&self) -> Vec<(&'static str, &'static str, &Metric)> {
        vec![
            ("odr", "Order defects (seller)", &self.odr),
            ("odr_fba", "Order defects (FBA)", &self.odr_fba),
            ("lsr_10", "Late shipment (10d)", &self.lsr_10),
            ("lsr_30", "Late shipment (30d)", &self.lsr_30),
            ("pcr", "Pre-fulfil. cancel", &self.pcr),
            ("vtr", "Valid tracking", &self.vtr),
            ("otdr", "On-time delivery", &self.otdr),
            ("feedback_30", "Feedback (30d)", &self.feedback_30),
            ("feedback_90", "Feedback (90d)", &self.feedback_90),
            ("feedback_365", "Feedback (365d)", &self.feedback_365),
            (
                "feedback_lifetime",
                "Feedback (lifetime)",
                &self.feedback_lifetime,
            ),
            ("refund_rate", "Refund rate", &self.refund_rate),
            ("pop", "Perfect orders", &self.pop),
            (
                "late_response_7",
                "Late response (7d)",
                &self.late_response_7,
            ),
            (
                "late_response_30",
                "Late response (30d)",
                &self.late_response_30,
            ),
            (
                "late_response_90",
                "Late response (90d)",
                &self.late_response_90,
            ),
        ]
    }

    /// Each metric by key, to attach Amazon's figures.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Metric> {
        Some(match key {
            "odr" => &mut self.odr,
            "odr_fba" => &mut self.odr_fba,
            "lsr_10" => &mut self.lsr_10,
            "lsr_30" => &mut self.lsr_30,
            "pcr" => &mut self.pcr,
            "vtr" => &mut self.vtr,
            "otdr" => &mut self.otdr,
            _ => return None,
        })
    }

    /// Metrics at risk or bad, for the startup alert and notices: the first of each kind
    /// (late response over 7 days stands for 30 and 90).
    pub fn troubled(&self) -> Vec<(&'static str, &'static str, &Metric)> {
        let family = |k: &str| {
            k.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
                .to_string()
        };
        let mut seen: Vec<String> = Vec::new();
        self.rows()
            .into_iter()
            .filter(|(_, _, m)| matches!(m.status, Status::AtRisk | Status::Bad))
            .filter(|(k, _, _)| {
                let f = family(k).trim_end_matches("_lifetime").to_string();
                !seen.contains(&f) && {
                    seen.push(f);
                    true
                }
            })
            .collect()
    }
}

/// Every metric at `now`. `late` holds the late response rates over 7, 30 and 90 days.
pub fn account_metrics(
    r: &Records<'_>,
    now: DateTime<Utc>,
    late: &[LateResponseRate; 3],
    ahr: Option<i64>,
    amazon_status: Option<String>,
) -> AccountMetrics {
    AccountMetrics {
        odr: odr(r, now, FulfilmentChannel::Merchant),
        odr_fba: odr(r, now, FulfilmentChannel::Amazon),
        lsr_10: lsr(r, now, 10),
        lsr_30: lsr(r, now, 30),
        pcr: pcr(r, now),
        vtr: vtr(r, now),
        otdr: otdr(r, now),
        feedback_30: feedback_rating(r, now, Some(30)),
        feedback_90: feedback_rating(r, now, Some(90)),
        feedback_365: feedback_rating(r, now, Some(365)),
        feedback_lifetime: feedback_rating(r, now, None),
        refund_rate: refund_rate(r, now),
        pop: pop(r, now),
        late_response_7: late_response(&late[0]),
        late_response_30: late_response(&late[1]),
        late_response_90: late_response(&late[2]),
        ahr: Ahr {
            value: ahr,
            status: ahr_status(ahr),
            amazon_status,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Off target: how many fewer failures, or how many more good orders, put it back; each
    /// figure exactly enough (one less is not).
    #[test]
    fn recovery_is_exactly_enough_either_way() {
        // 3 of 150 against < 1%: 2 fewer (1/150 = 0.67%) or 151 more (3/301 = 0.997%).
        let m = evaluate(3, 150, Some(60), Some(ODR_TARGET));
        assert_eq!(recovery(&m), Some((2, Some(151))));
        assert_eq!(
            evaluate(1, 150, None, Some(ODR_TARGET)).status,
            Status::Good
        );
        assert_eq!(evaluate(3, 300, None, Some(ODR_TARGET)).status, Status::Bad);
        assert_eq!(
            evaluate(3, 301, None, Some(ODR_TARGET)).status,
            Status::AtRisk
        );
        // 90 good of 100 against > 95%: 6 fewer failures (96/100) or 101 more good
        // (191/201 = 95.02%; 190/200 is exactly 95%, not over it).
        let m = evaluate(90, 100, None, Some(VTR_TARGET));
        assert_eq!(recovery(&m), Some((6, Some(101))));
        assert_eq!(
            evaluate(190, 200, None, Some(VTR_TARGET)).status,
            Status::Bad
        );
        assert_ne!(
            evaluate(191, 201, None, Some(VTR_TARGET)).status,
            Status::Bad
        );
        // At least 90%: 85 of 100 needs 5 fewer or 50 more (135/150 is exactly 90%).
        let m = evaluate(85, 100, None, Some(OTDR_TARGET));
        assert_eq!(recovery(&m), Some((5, Some(50))));
        assert_ne!(
            evaluate(135, 150, None, Some(OTDR_TARGET)).status,
            Status::Bad
        );
        // On target, or no data: nothing to recover.
        assert_eq!(recovery(&evaluate(0, 150, None, Some(ODR_TARGET))), None);
        assert_eq!(recovery(&evaluate(0, 0, None, Some(ODR_TARGET))), None);
    }

    #[test]
    fn status_and_headroom_below_a_target() {
        // 0 of 250 against < 1%: 2 more defects stay under (2/250 = 0.8%), the third is 1.2%.
        let m = evaluate(0, 250, Some(60), Some(ODR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::Good, Some(2)));
        // 2 of 250 = 0.8%: 80% of the allowed 1% used.
        let m = evaluate(2, 250, Some(60), Some(ODR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::AtRisk, Some(0)));
        // Exactly on the target is not under it.
        let m = evaluate(1, 100, Some(60), Some(ODR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::Bad, Some(0)));
        let m = evaluate(0, 100, Some(60), Some(ODR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::Good, Some(0)));
        let m = evaluate(0, 101, Some(60), Some(ODR_TARGET));
        assert_eq!(m.headroom, Some(1));
    }

    #[test]
    fn status_and_headroom_above_a_target() {
        // 100 of 100 valid against > 95%: 4 invalid keep it at 96%.
        let m = evaluate(100, 100, Some(30), Some(VTR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::Good, Some(4)));
        // 96%: 4 of the allowed 5% used = 80%.
        let m = evaluate(96, 100, Some(30), Some(VTR_TARGET));
        assert_eq!(m.status, Status::AtRisk);
        let m = evaluate(95, 100, Some(30), Some(VTR_TARGET));
        assert_eq!(m.status, Status::Bad);
    }

    #[test]
    fn at_least_a_target_meets_it_exactly_on_the_line() {
        // 9 of 10 on time against at least 90%: met, and no room for another late one.
        let m = evaluate(9, 10, Some(14), Some(OTDR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::AtRisk, Some(0)));
        let m = evaluate(8, 10, Some(14), Some(OTDR_TARGET));
        assert_eq!(m.status, Status::Bad);
        let m = evaluate(20, 20, Some(14), Some(OTDR_TARGET));
        assert_eq!((m.status, m.headroom), (Status::Good, Some(2)));
    }

    #[test]
    fn an_empty_window_has_no_data_and_no_target_has_no_status_but_good() {
        let m = evaluate(0, 0, Some(7), Some(PCR_TARGET));
        assert_eq!((m.rate, m.status, m.headroom), (None, Status::NoData, None));
        let m = evaluate(3, 10, Some(30), None);
        assert_eq!(
            (m.rate, m.status, m.headroom),
            (Some(0.3), Status::Good, None)
        );
    }

    #[test]
    fn windows_are_open_at_the_start_and_closed_at_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(!in_window(now - Duration::days(60), now, 60));
        assert!(in_window(
            now - Duration::days(60) + Duration::seconds(1),
            now,
            60
        ));
        assert!(in_window(now, now, 60));
        assert!(!in_window(now + Duration::seconds(1), now, 60));
    }

    #[test]
    fn feedback_from_amazons_report_alone_has_no_rating() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let fb = |rating, source| Feedback {
            order_id: None,
            rated_at: now - Duration::days(1),
            rating,
            source,
            removed_at: None,
        };
        let only_report = [
            fb(1, FeedbackSource::AmazonReport),
            fb(3, FeedbackSource::AmazonReport),
        ];
        let none = HashSet::new();
        let r = Records {
            orders: &[],
            feedback: &only_report,
            claims: &[],
            refunds: &[],
            cancellations: &[],
            shipments: &[],
            buyer_contacted: &none,
        };
        let m = feedback_rating(&r, now, Some(30));
        assert_eq!((m.status, m.rate), (Status::NoData, None));
        let with_all = [
            fb(1, FeedbackSource::AmazonReport),
            fb(5, FeedbackSource::AllRatings),
        ];
        let r = Records {
            feedback: &with_all,
            ..r
        };
        let m = feedback_rating(&r, now, Some(30));
        assert_eq!((m.numerator, m.denominator), (1, 2));
    }

    #[test]
    fn ahr_bands() {
        assert_eq!(ahr_status(Some(200)), Status::Good);
        assert_eq!(ahr_status(Some(199)), Status::AtRisk);
        assert_eq!(ahr_status(Some(99)), Status::Bad);
        assert_eq!(ahr_status(None), Status::NoData);
    }
}
