//! What a message to a buyer may not contain (SPEC.md, Amazon's communication guidelines): the
//! draft check the composer runs as the seller types and `sellerdesk check-draft` runs from the
//! shell. Each finding names its kind, its severity, the byte span of the offending text and a
//! one-line reason.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde::Serialize;

use super::identifiers::find_order_id;
use super::template::PLACEHOLDER_PATTERN;

const PHRASES: &str = include_str!("../../assets/compliance.toml");

/// How long after order completion the seller may write first.
pub const PROACTIVE_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An unfilled `{{placeholder}}`: never sent, never overridden.
    Placeholder,
    Link,
    EmailAddress,
    Html,
    ReviewIncentive,
    ReviewChange,
    Marketing,
    /// "[Important]" outside a message critical to completing the order.
    Important,
    /// A proactive message more than 30 days after the order was completed.
    ProactiveTooLate,
    /// A proactive message without the order's 17-digit ID.
    ProactiveNoOrderId,
    /// A second review request for one order.
    RepeatedReviewRequest,
    PhoneNumber,
    Emoji,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Placeholder => "placeholder",
            Kind::Link => "link",
            Kind::EmailAddress => "email_address",
            Kind::Html => "html",
            Kind::ReviewIncentive => "review_incentive",
            Kind::ReviewChange => "review_change",
            Kind::Marketing => "marketing",
            Kind::Important => "important",
            Kind::ProactiveTooLate => "proactive_too_late",
            Kind::ProactiveNoOrderId => "proactive_no_order_id",
            Kind::RepeatedReviewRequest => "repeated_review_request",
            Kind::PhoneNumber => "phone_number",
            Kind::Emoji => "emoji",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Kind::PhoneNumber | Kind::Emoji => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// Whether the seller may send anyway, on an explicit confirmation that is recorded.
    /// Placeholders and the rules of messages the seller starts are never overridden.
    pub fn overridable(self) -> bool {
        !matches!(
            self,
            Kind::Placeholder
                | Kind::ProactiveTooLate
                | Kind::ProactiveNoOrderId
                | Kind::RepeatedReviewRequest
        )
    }

    fn reason(self) -> &'static str {
        match self {
            Kind::Placeholder => "placeholder not filled: replace it before sending",
            Kind::Link => "links are not allowed in messages to buyers",
            Kind::EmailAddress => "e-mail addresses are not allowed: buyers answer through Amazon",
            Kind::Html => "HTML is not allowed: messages are plain text",
            Kind::ReviewIncentive => {
                "reviews and feedback may not be bought or steered (no gifts, refunds or only-positive asks)"
            }
            Kind::ReviewChange => "never ask a buyer to remove or change a review or feedback",
            Kind::Marketing => "no marketing or promotion (coupons, other products, follow us)",
            Kind::Important => "\"[Important]\" only for messages critical to completing the order",
            Kind::ProactiveTooLate => {
                "a message the seller starts must be sent within 30 days of order completion"
            }
            Kind::ProactiveNoOrderId => {
                "a message the seller starts must name the 17-digit order ID"
            }
            Kind::RepeatedReviewRequest => "only one review request per order",
            Kind::PhoneNumber => {
                "phone numbers only for warranty, carrier or manufacturer contact (check it is one)"
            }
            Kind::Emoji => "emoji are discouraged in messages to buyers",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    /// Byte offsets into the checked text (the subject's findings point into the subject).
    pub start: usize,
    pub end: usize,
    /// `body` or `subject`.
    pub field: &'static str,
    /// The offending text.
    pub text: String,
    pub reason: &'static str,
}

impl Finding {
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Why a seller may write first (Amazon's permitted reasons for unsolicited messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    FulfilmentIssue,
    OrderInformation,
    ReviewRequest,
    CustomDesign,
    DeliverySchedule,
    Invoice,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::FulfilmentIssue,
        Reason::OrderInformation,
        Reason::ReviewRequest,
        Reason::CustomDesign,
        Reason::DeliverySchedule,
        Reason::Invoice,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Reason::FulfilmentIssue => "fulfilment_issue",
            Reason::OrderInformation => "order_information",
            Reason::ReviewRequest => "review_request",
            Reason::CustomDesign => "custom_design",
            Reason::DeliverySchedule => "delivery_schedule",
            Reason::Invoice => "invoice",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::FulfilmentIssue => "Resolve a problem with fulfilling the order",
            Reason::OrderInformation => "Ask for information needed to complete the order",
            Reason::ReviewRequest => "Ask for a product review or seller feedback",
            Reason::CustomDesign => "Confirm a custom design or a product option",
            Reason::DeliverySchedule => "Schedule the delivery of a large item",
            Reason::Invoice => "Send an invoice",
        }
    }
}

/// A message the seller starts (not a reply): the rules of proactive messages apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proactive {
    /// The order it is about.
    pub order_id: Option<String>,
    /// When the order was completed (delivered, else shipped, else bought).
    pub completed_at: Option<DateTime<Utc>>,
    /// Review requests already sent for this order.
    pub review_requests_before: u32,
    /// Its reason is a review request, whatever the words.
    pub asks_review: bool,
}

/// What the check knows besides the text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub subject: Option<String>,
    pub proactive: Option<Proactive>,
    pub now: Option<DateTime<Utc>>,
}

/// The phrase lists of `assets/compliance.toml`, compiled once.
struct Phrases {
    automaton: AhoCorasick,
    patterns: Vec<(PhraseKind, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PhraseKind {
    Found(Kind),
    ReviewRequest,
}

fn phrase_kind(name: &str) -> Option<PhraseKind> {
    Some(match name {
        "review_incentive" => PhraseKind::Found(Kind::ReviewIncentive),
        "review_change" => PhraseKind::Found(Kind::ReviewChange),
        "marketing" => PhraseKind::Found(Kind::Marketing),
        "review_request" => PhraseKind::ReviewRequest,
        _ => return None,
    })
}

static PHRASE_SET: LazyLock<Arc<Phrases>> = LazyLock::new(|| {
    // Part of the binary and parsed by a test: it cannot fail at run time.
    let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        toml::from_str(PHRASES).unwrap_or_default();
    let mut patterns = Vec::new();
    for (name, languages) in raw {
        if let Some(kind) = phrase_kind(&name) {
            for p in languages.into_values().flatten() {
                patterns.push((kind, p.to_lowercase()));
            }
        }
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(patterns.iter().map(|p| p.1.as_str()))
        .unwrap_or_else(|_| AhoCorasick::new(Vec::<&str>::new()).expect("empty automaton"));
    Arc::new(Phrases {
        automaton,
        patterns,
    })
});

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|shop|store|online|site|io|co|me|ly|gl|de|uk|fr|es|it|jp|eu|nl|pl|se|ca|au|in|us)\b(?:/[^\s<>]*)?",
    )
});
static HTML: LazyLock<Regex> =
    LazyLock::new(|| regex(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:nbsp|amp|lt|gt|quot);"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:\+|\b)\d[\d ().\-/]{6,}\d\b"));
static IMPORTANT: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\[\s*important\s*\]"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| regex(PLACEHOLDER_PATTERN));
static ORDER_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"\d{3}-\d{7}-\d{7}"));
static DATE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$"));

/// Marketplace names a seller may mention ("your order on amazon.de") without linking.
fn is_amazon_domain(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    let host = t.split('/').next().unwrap_or("");
    host.starts_with("amazon.") || host.contains(".amazon.")
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x231A..=0x23FF)
}

/// A letter of a script with spaces between words: phrases starting with one must start a word.
fn spaced_letter(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

/// Every finding in `body` (and the context's subject), in text order, overlapping spans
/// reported once (an address is not also a link).
pub fn check(body: &str, ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    check_text(body, "body", &mut out);
    if let Some(subject) = &ctx.subject {
        check_text(subject, "subject", &mut out);
    }
    if let Some(p) = &ctx.proactive {
        let whole = 0..body.len().min(1);
        let at = |kind: Kind| Finding {
            kind,
            severity: kind.severity(),
            start: whole.start,
            end: whole.end,
            field: "body",
            text: String::new(),
            reason: kind.reason(),
        };
        if let (Some(done), Some(now)) = (p.completed_at, ctx.now)
            && now - done > Duration::days(PROACTIVE_DAYS)
        {
            out.push(at(Kind::ProactiveTooLate));
        }
        let names_order = match &p.order_id {
            Some(id) => body.contains(id.as_str()),
            None => find_order_id(body).is_some() || ORDER_ID.is_match(body),
        };
        if !names_order {
            out.push(at(Kind::ProactiveNoOrderId));
        }
        if p.review_requests_before > 0
            && let Some(m) = review_request(body).or(p.asks_review.then_some(0..0))
        {
            out.push(Finding {
                kind: Kind::RepeatedReviewRequest,
                severity: Severity::Error,
                start: m.start,
                end: m.end,
                field: "body",
                text: body[m.clone()].to_string(),
                reason: Kind::RepeatedReviewRequest.reason(),
            });
        }
    }
    out.sort_by_key(|f| (f.field != "body", f.start, f.kind));
    out
}

/// Where `body` asks for a review, if it does.
pub fn review_request(body: &str) -> Option<Range<usize>> {
    phrase_matches(body)
        .into_iter()
        .find(|(k, _)| *k == PhraseKind::ReviewRequest)
        .map(|(_, r)| r)
}

/// Phrase matches as byte ranges of `text` (matching ignores case).
fn phrase_matches(text: &str) -> Vec<(PhraseKind, Range<usize>)> {
    let set = PHRASE_SET.as_ref();
    // Lower-casing can change byte lengths (İ): match on a lowered copy whose offsets map back
    // char by char.
    let mut lowered = String::with_capacity(text.len());
    let mut origin: Vec<usize> = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        for l in c.to_lowercase() {
            let start = lowered.len();
            lowered.push(l);
            origin.extend(std::iter::repeat_n(i, lowered.len() - start));
        }
    }
    origin.push(text.len());
    let mut out = Vec::new();
    for m in set.automaton.find_overlapping_iter(&lowered) {
        let (kind, phrase) = &set.patterns[m.pattern().as_usize()];
        let start = origin[m.start()];
        let starts_word = !phrase.chars().next().is_some_and(spaced_letter)
            || !text[..start].chars().next_back().is_some_and(spaced_letter);
        if !starts_word {
            continue;
        }
        // The end: the original offset of the first byte after the match.
        let end = origin[m.end()];
        let end = if end <= start { text.len() } else { end };
        out.push((*kind, start..end));
    }
    out
}

fn check_text(text: &str, field: &'static str, out: &mut Vec<Finding>) {
    let mut taken: Vec<Range<usize>> = Vec::new();
    let mut push = |kind: Kind, r: Range<usize>, out: &mut Vec<Finding>| {
        if taken.iter().any(|t| t.start < r.end && r.start < t.end) {
            return;
        }
        taken.push(r.clone());
        out.push(Finding {
            kind,
            severity: kind.severity(),
            start: r.start,
            end: r.end,
            field,
            text: text[r].to_string(),
            reason: kind.reason(),
        });
    };
    for m in PLACEHOLDER.find_iter(text) {
        push(Kind::Placeholder, m.range(), out);
    }
    for m in EMAIL.find_iter(text) {
        push(Kind::EmailAddress, m.range(), out);
    }
    for m in URL.find_iter(text) {
        if !is_amazon_domain(m.as_str()) {
            push(Kind::Link, m.range(), out);
        }
    }
    for m in HTML.find_iter(text) {
        push(Kind::Html, m.range(), out);
    }
    for m in IMPORTANT.find_iter(text) {
        push(Kind::Important, m.range(), out);
    }
    for (kind, r) in phrase_matches(text) {
        if let PhraseKind::Found(kind) = kind {
            push(kind, r, out);
        }
    }
    for m in PHONE.find_iter(text) {
        let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
        // Order IDs (3-7-7), dates and amounts are not phone numbers.
        if (8..=15).contains(&digits)
            && !ORDER_ID.is_match(m.as_str())
            && !DATE.is_match(m.as_str().trim())
        {
            push(Kind::PhoneNumber, m.range(), out);
        }
    }
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_emoji(c) {
            // One finding for a whole sequence (ZWJ families, skin tones, variation selectors).
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if is_emoji(n) || matches!(n as u32, 0x200D | 0xFE0F | 0x1F3FB..=0x1F3FF) {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            push(Kind::Emoji, i..end, out);
        }
    }
}

/// Errors and warnings counted: `(errors, warnings)`.
pub fn tally(findings: &[Finding]) -> (usize, usize) {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    (errors, findings.len() - errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(body: &str) -> Vec<(Kind, String)> {
        check(body, &Context::default())
            .into_iter()
            .map(|f| (f.kind, f.text))
            .collect()
    }

    #[test]
    fn the_phrase_file_parses_and_names_known_kinds_in_every_language() {
        let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> = toml::from_str(PHRASES).unwrap();
        assert_eq!(raw.len(), 4);
        for (name, langs) in &raw {
            assert!(phrase_kind(name).is_some(), "{name}");
            let mut l: Vec<&str> = langs.keys().map(String::as_str).collect();
            l.sort();
            assert_eq!(l, ["de", "en", "es", "fr", "it", "ja"], "{name}");
        }
    }

    #[test]
    fn a_good_reply_is_clean() {
        let body = "Hello Bob,\n\nI am sorry the lamp from order 111-4827163-0028371 arrived \
                    damaged. A replacement will arrive by 25 November, or we refund you in full \
                    today: which would you like? Your order on amazon.com shows it.\n\nKind \
                    regards, Example Shop";
        assert_eq!(kinds(body), vec![]);
    }

    #[test]
    fn each_rule_finds_its_text_with_the_right_span() {
        let body = "See https://shop.example/x or www.example.net, write to me@shop.example, \
                    <b>bold</b>, {{delivery_date}}, call +49 30 1234567 😀";
        let f = check(body, &Context::default());
        for x in &f {
            assert_eq!(&body[x.span()], x.text);
        }
        let k: Vec<Kind> = f.iter().map(|x| x.kind).collect();
        assert_eq!(
            k,
            vec![
                Kind::Link,
                Kind::Link,
                Kind::EmailAddress,
                Kind::Html,
                Kind::Html,
                Kind::Placeholder,
                Kind::PhoneNumber,
                Kind::Emoji
            ]
        );
        assert_eq!(f[2].text, "me@shop.example");
        assert_eq!(f[6].severity, Severity::Warning);
        assert_eq!(tally(&f), (6, 2));
    }

    #[test]
    fn reviews_and_marketing_in_every_language() {
        for (text, kind) in [
            ("We send a gift for your review.", Kind::ReviewIncentive),
            ("Please leave a 5-star review!", Kind::ReviewIncentive),
            ("Could you remove your review?", Kind::ReviewChange),
            ("Use coupon SAVE10 next time", Kind::Marketing),
            ("Check out our other products", Kind::Marketing),
            ("Könnten Sie die Bewertung ändern?", Kind::ReviewChange),
            ("Mit dem Rabattcode sparen Sie", Kind::Marketing),
            ("Pouvez-vous modifier votre avis ?", Kind::ReviewChange),
            ("¿Podría eliminar su reseña?", Kind::ReviewChange),
            ("Può rimuovere la recensione?", Kind::ReviewChange),
            ("レビューを削除していただけますか", Kind::ReviewChange),
            ("高評価をお願いします", Kind::ReviewIncentive),
        ] {
            let f = kinds(text);
            assert_eq!(f.first().map(|x| x.0), Some(kind), "{text}: {f:?}");
        }
        // Thanking a buyer for feedback is fine; a neutral request is not flagged in a reply.
        assert_eq!(kinds("Thank you for your positive feedback!"), vec![]);
        assert_eq!(kinds("If you have a moment, leave a review."), vec![]);
    }

    #[test]
    fn order_ids_dates_and_amazon_are_not_flagged() {
        assert_eq!(
            kinds("Order 302-5518236-4471920 of 2026-11-20, 19.99 EUR, on amazon.co.jp"),
            vec![]
        );
    }

    #[test]
    fn important_in_the_subject_and_proactive_rules() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ctx = Context {
            subject: Some("[Important] about your order".into()),
            proactive: Some(Proactive {
                order_id: Some("111-4827163-0028371".into()),
                completed_at: Some(now - Duration::days(31)),
                review_requests_before: 1,
                asks_review: false,
            }),
            now: Some(now),
        };
        let f = check("Hello, please leave a review.", &ctx);
        let k: Vec<Kind> = f.iter().map(|x| x.kind).collect();
        assert_eq!(
            k,
            vec![
                Kind::ProactiveTooLate,
                Kind::ProactiveNoOrderId,
                Kind::RepeatedReviewRequest,
                Kind::Important
            ]
        );
        assert_eq!(f[3].field, "subject");
        let ok = Context {
            proactive: Some(Proactive {
                order_id: Some("111-4827163-0028371".into()),
                completed_at: Some(now - Duration::days(29)),
                review_requests_before: 0,
                asks_review: false,
            }),
            now: Some(now),
            ..Context::default()
        };
        assert_eq!(
            check("Order 111-4827163-0028371: please leave a review.", &ok),
            vec![]
        );
    }

    #[test]
    fn spans_stay_on_char_boundaries_with_case_folding_and_emoji_sequences() {
        let body = "İstanbul: COUPON 👩‍👩‍👧 ok";
        let f = check(body, &Context::default());
        for x in &f {
            assert_eq!(&body[x.span()], x.text);
        }
        assert_eq!(f[0].text, "COUPON");
        assert_eq!(f[1].kind, Kind::Emoji);
        assert_eq!(f[1].text, "👩‍👩‍👧");
    }

    #[test]
    fn the_shipped_templates_are_clean_once_filled() {
        for t in crate::templates::defaults().unwrap() {
            let filled = PLACEHOLDER.replace_all(&t.body, "x");
            assert_eq!(kinds(&filled), vec![], "{}", t.name);
        }
    }

    #[test]
    fn only_placeholders_can_never_be_overridden() {
        assert!(!Kind::Placeholder.overridable());
        assert!(Kind::Link.overridable());
    }
}
