//! Which template fits a thread best: the one the picker offers first and `sellerdesk reply
//! --best` takes. A template for the thread's complaint kind in the buyer's language first, then
//! a general answer in that language, then the kind in another language (English before the
//! rest); the others after. Among equals, the one that speaks most of what the buyer wrote (its
//! name or text holds more of the kind's phrases the buyer used: "tracking", "delivery date"),
//! then one that leaves fewer placeholders for the seller, then the list's own order.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::template::{ReplyContext, Template, fill, unfilled};

/// What a thread tells about the template it needs.
#[derive(Clone, Debug)]
pub struct Thread<'a> {
    /// Its complaint kind (`shipping`), if classified.
    pub kind: Option<&'a str>,
    /// The phrases of its kind the buyer wrote, lowercase (`Classifier::phrases_in`).
    pub buyer_phrases: &'a [String],
    /// The buyer's language (ISO 639-1).
    pub language: &'a str,
    pub context: &'a ReplyContext,
    pub now: DateTime<Utc>,
    pub tz: Tz,
}

/// The kind of a general answer: it fits any thread.
const GENERAL: &str = "other";

impl Thread<'_> {
    /// Lower is better: (tier, the buyer's phrases it does not hold, placeholders left).
    fn score(&self, t: &Template) -> (u8, usize, usize) {
        let kind = t.category.as_deref();
        let own_kind = kind.is_some() && kind == self.kind;
        let own_language = t.language == self.language;
        let english = t.language == "en";
        let tier = match (own_kind, kind == Some(GENERAL), own_language, english) {
            (true, _, true, _) => 0,
            (false, true, true, _) => 1,
            (true, _, false, true) => 2,
            (true, _, false, false) => 3,
            (false, _, true, _) => 4,
            (false, true, false, true) => 5,
            (false, _, false, true) => 6,
            _ => 7,
        };
        // A placeholder speaks too: {{delivery_date}} answers "delivery date".
        let own = format!("{} {}", t.name, t.body)
            .to_lowercase()
            .replace('_', " ");
        let missed = self
            .buyer_phrases
            .iter()
            .filter(|p| !own.contains(p.as_str()))
            .count();
        let left = unfilled(&fill(&t.body, self.context, self.now, self.tz)).len();
        (tier, missed, left)
    }

    /// `items` best first; `template` reads each item's template.
    pub fn rank<'a, T>(&self, items: Vec<&'a T>, template: impl Fn(&T) -> &Template) -> Vec<&'a T> {
        let mut scored: Vec<((u8, usize, usize), &'a T)> = items
            .into_iter()
            .map(|item| (self.score(template(item)), item))
            .collect();
        // Stable: equals keep the list's order.
        scored.sort_by_key(|(score, _)| *score);
        scored.into_iter().map(|(_, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(name: &str, kind: &str, lang: &str, body: &str) -> Template {
        Template {
            name: name.into(),
            category: Some(kind.into()),
            language: lang.into(),
            subject: None,
            body: body.into(),
        }
    }

    fn names(thread: &Thread<'_>, all: &[Template]) -> Vec<String> {
        thread
            .rank(all.iter().collect(), |t| t)
            .into_iter()
            .map(|t| t.name.clone())
            .collect()
    }

    fn all() -> Vec<Template> {
        vec![
            t("General", "other", "en", "Hello {{answer}}"),
            t(
                "Late",
                "shipping",
                "en",
                "Not arrived yet, {{tracking_number}}",
            ),
            t("Damaged", "shipping", "en", "It arrived damaged, sorry"),
            t("Allgemein", "other", "de", "Guten Tag {{answer}}"),
            t(
                "Verspätet",
                "shipping",
                "de",
                "verspätet {{tracking_number}}",
            ),
            t("Beschädigt", "shipping", "de", "beschädigt angekommen"),
            t("Retard", "shipping", "fr", "en retard"),
            t("Defekt", "quality", "de", "defekt"),
            t("Refund", "returns", "en", "refund"),
        ]
    }

    fn thread<'a>(
        kind: Option<&'a str>,
        buyer_phrases: &'a [String],
        lang: &'a str,
        ctx: &'a ReplyContext,
    ) -> Thread<'a> {
        Thread {
            kind,
            buyer_phrases,
            language: lang,
            context: ctx,
            now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
            tz: Tz::UTC,
        }
    }

    /// The kind in the buyer's language, a general answer in it, the kind in English, the kind
    /// in another language, then the rest.
    #[test]
    fn kind_and_language_first_then_general_then_the_kind_elsewhere() {
        let ctx = ReplyContext::default();
        let de = names(&thread(Some("shipping"), &[], "de", &ctx), &all());
        assert_eq!(
            de[..6],
            [
                "Beschädigt",
                "Verspätet",
                "Allgemein",
                "Damaged",
                "Late",
                "Retard"
            ],
            "{de:?}"
        );
        assert_eq!(de[6], "Defekt", "the buyer's language before the rest");
        let ja = names(&thread(Some("quality"), &[], "ja", &ctx), &all());
        assert_eq!(ja[0], "Defekt", "no Japanese: the kind in another language");
        assert_eq!(ja[1], "General", "then English, a general answer first");
        let none = names(&thread(None, &[], "en", &ctx), &all());
        assert_eq!(
            none[0], "General",
            "an unclassified thread: a general answer"
        );
    }

    /// Among the same kind and language, the one that speaks of what the buyer wrote, then the
    /// one the thread's data fills best.
    #[test]
    fn the_buyers_own_words_then_fewer_placeholders_break_ties() {
        let ctx = ReplyContext::default();
        let said = |p: &[&str]| p.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        let damaged = said(&["arrived damaged"]);
        let damaged = names(&thread(Some("shipping"), &damaged, "en", &ctx), &all());
        assert_eq!(damaged[..2], ["Damaged", "Late"]);
        let late = said(&["not arrived", "tracking"]);
        let late = names(&thread(Some("shipping"), &late, "en", &ctx), &all());
        assert_eq!(late[..2], ["Late", "Damaged"]);
        let by_placeholder = said(&["tracking number"]);
        let by_placeholder = names(
            &thread(Some("shipping"), &by_placeholder, "en", &ctx),
            &all(),
        );
        assert_eq!(
            by_placeholder[0], "Late",
            "{{{{tracking_number}}}} speaks of it"
        );
        // No phrase: the one the data fills wholly comes first...
        let plain = names(&thread(Some("shipping"), &[], "en", &ctx), &all());
        assert_eq!(plain[..2], ["Damaged", "Late"]);
        // ... and with the tracking number known both are whole: the list's order stays.
        let known = ReplyContext {
            tracking_number: Some("1Z999AA10123456784".into()),
            ..ReplyContext::default()
        };
        let plain = names(&thread(Some("shipping"), &[], "en", &known), &all());
        assert_eq!(plain[..2], ["Late", "Damaged"]);
    }
}
