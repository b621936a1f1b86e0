//! Reply templates and their placeholders: `{{buyer_name}}` and friends are filled from the
//! thread; what cannot be filled stays as written, so the composer can highlight it and refuse
//! to send until the seller has replaced it.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// A reply template as the seller edits it (and as `templates export` writes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    /// A complaint kind (docs/amazon-rules.md §11), e.g. `shipping`, `quality`, `returns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// ISO 639-1 code of the language the template is written in.
    #[serde(default = "english")]
    pub language: String,
    /// A subject for messages the seller writes first; replies keep the thread's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
}

fn english() -> String {
    "en".into()
}

impl Template {
    /// Checks what a seller may get wrong in a template file; the message names the field.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(("name", "a template needs a name".into()));
        }
        if name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(("name", "a name is one line of at most 80 characters".into()));
        }
        let lang = &self.language;
        let ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !ok {
            return Err((
                "language",
                format!("`{lang}` is not an ISO 639 language code such as \"en\" or \"de\""),
            ));
        }
        if let Some(c) = &self.category
            && (c.is_empty() || c.chars().any(|c| c.is_control()))
        {
            return Err(("category", "a category is one non-empty line".into()));
        }
        if self.body.trim().is_empty() {
            return Err(("body", "the body is empty".into()));
        }
        Ok(())
    }
}

/// Every placeholder sellerdesk fills, with what it becomes (docs/commands.md lists the same).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "buyer_name",
        "the buyer's full name, as the marketplace gives it",
    ),
    ("buyer_first_name", "the buyer's first name"),
    ("order_id", "the thread's order ID (3-7-7 digits)"),
    ("asin", "the first ASIN the thread mentions"),
    ("product", "the product name, from the order or the message"),
    ("sku", "the seller SKU of the order's first item"),
    ("marketplace", "the marketplace, e.g. amazon.de"),
    (
        "seller_name",
        "your shop's name ([seller] name in the config)",
    ),
    ("purchase_date", "the order's purchase date"),
    (
        "ship_date",
        "the order's ship date (its shipment's, when the order report has none)",
    ),
    (
        "delivery_date",
        "the order's promised delivery date, from Amazon's order report",
    ),
    ("carrier", "the carrier of the order's shipment"),
    (
        "return_address",
        "where a buyer sends an item back ([seller] return_address in the config)",
    ),
    (
        "tracking_number",
        "the tracking number of the order's shipment",
    ),
    ("today", "today's date in the configured time zone"),
];

/// Promises a reply makes, filled from `[commitments]` (today plus the configured days): the
/// send confirmation lists them, so the seller sees what the reply commits to.
pub const COMMITMENTS: &[(&str, &str)] = &[
    (
        "replacement_arrival",
        "when a replacement sent today arrives: today plus [commitments] transit_days",
    ),
    (
        "refund_date",
        "when the refund is issued: today plus [commitments] refund_days",
    ),
    (
        "follow_up_date",
        "when you write to the buyer again: today plus [commitments] follow_up_days",
    ),
];

/// The days `[commitments]` promise from today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitments {
    /// A refund is issued within this many days.
    pub refund_days: u32,
    /// A replacement sent today arrives within this many days.
    pub transit_days: u32,
    /// The seller writes again within this many days.
    pub follow_up_days: u32,
}

impl Default for Commitments {
    fn default() -> Self {
        Commitments {
            refund_days: 2,
            transit_days: 4,
            follow_up_days: 2,
        }
    }
}

impl Commitments {
    /// The days commitment placeholder `name` promises from today.
    fn days(&self, name: &str) -> Option<u32> {
        match name {
            "replacement_arrival" => Some(self.transit_days),
            "refund_date" => Some(self.refund_days),
            "follow_up_date" => Some(self.follow_up_days),
            _ => None,
        }
    }
}

/// Placeholders no thread fills: the seller types the value (a remedy needs a real date).
pub const SELLER_FILLED: &[(&str, &str)] = &[
    ("status_update", "what has been done so far"),
    (
        "cancellation_outcome",
        "whether the order was cancelled or changed",
    ),
    ("answer", "your answer to the buyer's question"),
];

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}").expect("valid regex"));

/// The pattern the composer highlights: any placeholder left in the text.
pub const PLACEHOLDER_PATTERN: &str = r"\{\{\s*[A-Za-z0-9_]+\s*\}\}";

/// What the thread knows, for filling placeholders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplyContext {
    pub buyer_name: Option<String>,
    pub order_id: Option<String>,
    pub asin: Option<String>,
    pub product: Option<String>,
    pub sku: Option<String>,
    pub marketplace: Option<String>,
    pub seller_name: Option<String>,
    pub purchase_date: Option<DateTime<Utc>>,
    pub ship_date: Option<DateTime<Utc>>,
    /// The delivery date the marketplace promised the buyer for this order.
    pub delivery_date: Option<DateTime<Utc>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub return_address: Option<String>,
    /// The promises `[commitments]` allows; `None`: their placeholders stay for the seller.
    pub commitments: Option<Commitments>,
    /// The language the reply is written in (ISO 639-1): its dates follow it; English when
    /// unset or not one of the shipped languages.
    pub language: Option<String>,
}

/// A date as a reply in `language` writes it, the month by name so no reader takes the day for
/// the month: `22 November 2026`, `22. November 2026`, `22 de noviembre de 2026`, `2026年11月22日`.
fn date(t: DateTime<Utc>, tz: Tz, language: Option<&str>) -> String {
    use chrono::Locale;
    let (pattern, locale) = match language.unwrap_or("en") {
        "de" => ("%-d. %B %Y", Locale::de_DE),
        "fr" => ("%-d %B %Y", Locale::fr_FR),
        "es" => ("%-d de %B de %Y", Locale::es_ES),
        "it" => ("%-d %B %Y", Locale::it_IT),
        "ja" => ("%Y年%-m月%-d日", Locale::ja_JP),
        _ => ("%-d %B %Y", Locale::en_GB),
    };
    t.with_timezone(&tz)
        .format_localized(pattern, locale)
        .to_string()
}

/// A value put into an outgoing message: one line, no control characters.
fn clean(value: &str) -> Option<String> {
    let v: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!v.is_empty()).then_some(v)
}

impl ReplyContext {
    /// The value of placeholder `name`, if the thread knows it.
    pub fn value(&self, name: &str, now: DateTime<Utc>, tz: Tz) -> Option<String> {
        let text = |v: &Option<String>| v.as_deref().and_then(clean);
        let date = |t: DateTime<Utc>| date(t, tz, self.language.as_deref());
        match name {
            "buyer_name" => text(&self.buyer_name),
            "buyer_first_name" => {
                text(&self.buyer_name).and_then(|n| n.split_whitespace().next().map(str::to_string))
            }
            "order_id" => text(&self.order_id),
            "asin" => text(&self.asin),
            "product" => text(&self.product),
            "sku" => text(&self.sku),
            "return_address" => text(&self.return_address),
            "marketplace" => text(&self.marketplace),
            "seller_name" => text(&self.seller_name),
            "purchase_date" => self.purchase_date.map(date),
            "ship_date" => self.ship_date.map(date),
            "delivery_date" => self.delivery_date.map(date),
            "carrier" => text(&self.carrier),
            "tracking_number" => text(&self.tracking_number),
            "today" => Some(date(now)),
            _ => self
                .commitments
                .and_then(|c| c.days(name))
                .map(|d| date(now + chrono::Duration::days(i64::from(d)))),
        }
    }
}

/// A date for date placeholder `name` that the thread cannot fill, which the seller takes with
/// one key: a ship date falls back to today, a commitment to today plus its configured days,
/// any other `date`/`…_date`/`…_arrival` placeholder (a template's own) to the follow-up date.
/// `None` for a placeholder that is not a date, one the seller always writes, or a date of the
/// order only its records know (the purchase date, the promised delivery date). Matched as
/// `fill` matches names: exactly.
pub fn suggestion(name: &str, ctx: &ReplyContext, now: DateTime<Utc>, tz: Tz) -> Option<String> {
    if SELLER_FILLED.iter().any(|(n, _)| *n == name) {
        return None;
    }
    let c = ctx.commitments.unwrap_or_default();
    let days = match name {
        "purchase_date" | "delivery_date" => return ctx.value(name, now, tz),
        "ship_date" | "today" => 0,
        "replacement_arrival" => c.transit_days,
        "refund_date" => c.refund_days,
        "follow_up_date" => c.follow_up_days,
        n if n == "date" || n.ends_with("_date") || n.ends_with("_arrival") => c.follow_up_days,
        _ => return None,
    };
    ctx.value(name, now, tz).or_else(|| {
        Some(date(
            now + chrono::Duration::days(i64::from(days)),
            tz,
            ctx.language.as_deref(),
        ))
    })
}

/// `text` with every placeholder the context can fill replaced; the rest left as written.
pub fn fill(text: &str, ctx: &ReplyContext, now: DateTime<Utc>, tz: Tz) -> String {
    fill_with(text, ctx, &[], now, tz)
}

/// [`fill`], with `values` (placeholder name → text, as `--set` gives them) filling or
/// overriding placeholders first; each value made one clean line.
pub fn fill_with(
    text: &str,
    ctx: &ReplyContext,
    values: &[(String, String)],
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    PLACEHOLDER
        .replace_all(text, |caps: &regex::Captures<'_>| {
            values
                .iter()
                .rev()
                .find(|(name, _)| name.eq_ignore_ascii_case(&caps[1]))
                .and_then(|(_, v)| clean(v))
                .or_else(|| ctx.value(&caps[1], now, tz))
                .unwrap_or_else(|| caps[0].to_string())
        })
        .into_owned()
}

/// The commitments `template` makes, with the values `ctx` fills them with ("refund_date",
/// "24 November 2026"): what the send confirmation shows.
pub fn commitments_in(
    template: &str,
    ctx: &ReplyContext,
    now: DateTime<Utc>,
    tz: Tz,
) -> Vec<(&'static str, String)> {
    COMMITMENTS
        .iter()
        .filter(|(name, _)| {
            PLACEHOLDER
                .captures_iter(template)
                .any(|c| c[1].eq_ignore_ascii_case(name))
        })
        .filter_map(|(name, _)| ctx.value(name, now, tz).map(|v| (*name, v)))
        .collect()
}

/// Where each placeholder of one line is: (start, end) in characters.
pub fn placeholder_spans(line: &str) -> Vec<(usize, usize)> {
    PLACEHOLDER
        .find_iter(line)
        .map(|m| {
            (
                line[..m.start()].chars().count(),
                line[..m.end()].chars().count(),
            )
        })
        .collect()
}

/// The placeholders still in `text`, in order of appearance, each once: sending is blocked
/// while there is any.
pub fn unfilled(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for caps in PLACEHOLDER.captures_iter(text) {
        let p = format!("{{{{{}}}}}", &caps[1]);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap()
    }

    fn ctx() -> ReplyContext {
        ReplyContext {
            buyer_name: Some("Bob  Wilson".into()),
            order_id: Some("111-4827163-0028371".into()),
            asin: Some("B0FIXT0001".into()),
            product: Some("Brass lamp".into()),
            marketplace: Some("amazon.com".into()),
            seller_name: Some("Example Shop".into()),
            purchase_date: Some(Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()),
            ship_date: None,
            delivery_date: None,
            carrier: None,
            tracking_number: None,
            sku: None,
            return_address: None,
            commitments: None,
            language: None,
        }
    }

    /// Commitments fill from `[commitments]` (today plus its days) and are listed with their
    /// values; without commitments allowed they stay for the seller.
    #[test]
    fn commitments_fill_from_the_configured_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let text = "A new one arrives by {{replacement_arrival}}, a refund by {{refund_date}}.";
        assert_eq!(
            fill(text, &ctx(), now, Tz::UTC),
            text,
            "not configured: left"
        );
        let c = ReplyContext {
            commitments: Some(Commitments {
                refund_days: 2,
                transit_days: 4,
                follow_up_days: 3,
            }),
            ..ctx()
        };
        assert_eq!(
            fill(text, &c, now, Tz::UTC),
            "A new one arrives by 26 November 2026, a refund by 24 November 2026."
        );
        assert_eq!(
            commitments_in(text, &c, now, Tz::UTC),
            vec![
                ("replacement_arrival", "26 November 2026".to_string()),
                ("refund_date", "24 November 2026".to_string())
            ]
        );
        assert!(commitments_in("Hello {{buyer_name}}", &c, now, Tz::UTC).is_empty());
    }

    #[test]
    fn fills_what_the_thread_knows_and_leaves_the_rest() {
        let out = fill(
            "Hello {{buyer_first_name}}, order {{ order_id }} ({{product}}) from {{purchase_date}}. \
             Arrives by {{delivery_date}}; shipped {{ship_date}}. {{seller_name}}, {{today}}",
            &ctx(),
            now(),
            Tz::UTC,
        );
        assert_eq!(
            out,
            "Hello Bob, order 111-4827163-0028371 (Brass lamp) from 2 November 2026. \
             Arrives by {{delivery_date}}; shipped {{ship_date}}. Example Shop, 22 November 2026"
        );
        assert_eq!(unfilled(&out), vec!["{{delivery_date}}", "{{ship_date}}"]);
    }

    /// The order's promised delivery date, carrier and tracking fill from the order; what is
    /// not known stays.
    #[test]
    fn the_orders_delivery_date_and_tracking_fill_from_data() {
        let c = ReplyContext {
            delivery_date: Some(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999AA10123456784".into()),
            ..ctx()
        };
        assert_eq!(
            fill(
                "Due {{delivery_date}}, {{carrier}} {{tracking_number}}.",
                &c,
                now(),
                Tz::UTC
            ),
            "Due 20 November 2026, UPS 1Z999AA10123456784."
        );
        assert_eq!(
            fill("{{carrier}} {{tracking_number}}", &ctx(), now(), Tz::UTC),
            "{{carrier}} {{tracking_number}}"
        );
    }

    /// A date placeholder the thread cannot fill gets a suggestion; other placeholders none.
    #[test]
    fn a_date_placeholder_left_has_a_suggestion() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let s = |name| suggestion(name, &ctx(), now, Tz::UTC);
        assert_eq!(
            s("replacement_arrival").as_deref(),
            Some("26 November 2026")
        );
        assert_eq!(s("ship_date").as_deref(), Some("22 November 2026"));
        assert_eq!(s("pickup_date").as_deref(), Some("24 November 2026"));
        assert_eq!(s("purchase_date").as_deref(), Some("2 November 2026"));
        // The order's promised date is a fact of its records, never a guess.
        assert_eq!(s("delivery_date"), None);
        // Words the seller writes, even when their name ends like a date.
        assert_eq!(s("status_update"), None);
        assert_eq!(s("answer"), None);
        assert_eq!(s("tracking_number"), None);
        assert_eq!(s("candidate"), None);
        // In the reply's language.
        let de = ReplyContext {
            language: Some("de".into()),
            ..ctx()
        };
        assert_eq!(
            suggestion("pickup_date", &de, now, Tz::UTC).as_deref(),
            Some("24. November 2026")
        );
    }

    /// A reply's dates are written in its language, the month by name.
    #[test]
    fn dates_are_written_in_the_replys_language() {
        let at = |lang: &str| {
            let c = ReplyContext {
                language: Some(lang.into()),
                ..ctx()
            };
            fill("{{purchase_date}}", &c, now(), Tz::UTC)
        };
        assert_eq!(at("en"), "2 November 2026");
        assert_eq!(at("de"), "2. November 2026");
        assert_eq!(at("fr"), "2 novembre 2026");
        assert_eq!(at("es"), "2 de noviembre de 2026");
        assert_eq!(at("it"), "2 novembre 2026");
        assert_eq!(at("ja"), "2026年11月2日");
        assert_eq!(at("pt"), "2 November 2026", "another language: English");
    }

    #[test]
    fn dates_follow_the_configured_zone() {
        let out = fill("{{today}}", &ctx(), now(), chrono_tz::Asia::Tokyo);
        assert_eq!(out, "23 November 2026");
    }

    #[test]
    fn buyer_controlled_values_cannot_smuggle_controls_or_lines() {
        let mut c = ctx();
        c.buyer_name = Some("Eve\u{1b}]52;c;AAAA\u{7}\nBcc: x@y".into());
        let out = fill("{{buyer_name}}", &c, now(), Tz::UTC);
        assert!(!out.chars().any(char::is_control), "{out:?}");
        c.buyer_name = Some(" \u{1b} ".into());
        assert_eq!(fill("{{buyer_name}}", &c, now(), Tz::UTC), "{{buyer_name}}");
    }

    #[test]
    fn unfilled_lists_each_once_and_nothing_when_done() {
        assert_eq!(unfilled("{{a}} {{ a }} {{b}}"), vec!["{{a}}", "{{b}}"]);
        assert!(unfilled("Hello Bob, {braces} and {{ not closed").is_empty());
    }

    #[test]
    fn the_highlight_pattern_matches_what_blocks_sending() {
        let re = Regex::new(PLACEHOLDER_PATTERN).unwrap();
        for s in ["{{x}}", "{{ order_id }}", "{{a1_b}}"] {
            assert!(re.is_match(s) && !unfilled(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn every_documented_placeholder_is_filled_from_a_full_context() {
        let mut c = ctx();
        c.ship_date = c.purchase_date;
        c.delivery_date = c.purchase_date;
        c.carrier = Some("UPS".into());
        c.tracking_number = Some("1Z999AA10123456784".into());
        c.sku = Some("LAMP-1".into());
        c.return_address = Some("Example Shop, Lagerstraße 1, 10115 Berlin".into());
        for (name, _) in PLACEHOLDERS {
            assert!(c.value(name, now(), Tz::UTC).is_some(), "{name}");
        }
        for (name, _) in SELLER_FILLED {
            assert!(c.value(name, now(), Tz::UTC).is_none(), "{name}");
        }
    }
}
