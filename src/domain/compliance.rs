//! What a message to a buyer may not contain (docs/amazon-rules.md §4 and §10, Amazon's communication guidelines): the
//! draft check the composer runs as the seller types and `sellerdesk check-draft` runs from the
//! shell. Each finding names its kind, its severity, the byte span of the offending text and a
//! one-line reason.
//!
//! Three layers, all driven by `assets/compliance.toml` (its header documents the rules):
//! patterns (links, addresses, HTML, phone numbers, emoji, placeholders, "[Important]"), literal
//! phrases (marketing, the classic review-incentive wordings), and rules over small classes of
//! words per language combined within one sentence ("an ask for a review and an incentive",
//! "a change verb a few words before a review term in a request", "a messenger named with a
//! contact verb", ...). A rule's finding spans its sentence.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::identifiers::find_order_id;
use super::template::PLACEHOLDER_PATTERN;

const PHRASES: &str = include_str!("../../assets/compliance.toml");

/// How long after order completion the seller may write first.
pub const PROACTIVE_DAYS: i64 = 30;

/// Words at most between a verb that asks for a review and the review ("leave us a great review").
const ASK_GAP: usize = 4;
/// Words at most between a change verb and the review it changes.
const CHANGE_GAP: usize = 6;
/// Words at most between "if" and "happy".
const CONDITION_GAP: usize = 6;
/// Words at most between a thanks phrase or an exchange phrase and the review it is about.
const NEAR_GAP: usize = 2;

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
    /// The buyer is asked to leave Amazon's messaging: a messenger, "write to us directly",
    /// the seller's own phone number.
    OffAmazon,
    /// A secure link that may be needed to complete the order (a carrier's tracking page,
    /// Amazon's order pages): allowed, but checked by hand.
    SecureLink,
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
            Kind::OffAmazon => "off_amazon",
            Kind::SecureLink => "secure_link",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Kind::PhoneNumber | Kind::Emoji | Kind::SecureLink => Severity::Warning,
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
            Kind::OffAmazon => {
                "keep the conversation on Amazon: no messengers, direct e-mail or the seller's phone"
            }
            Kind::SecureLink => {
                "a secure link only if needed to complete the order (tracking, Amazon's order pages): check it"
            }
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

// ----------------------------------------------------------------------------- the word lists

const LANGUAGES: [&str; 6] = ["en", "de", "fr", "es", "it", "ja"];

/// `assets/compliance.toml` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLists {
    phrases: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    terms: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    links: RawLinks,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLinks {
    secure_hosts: Vec<String>,
    amazon_promo_paths: Vec<String>,
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

/// A class of words the sentence rules combine (`[terms.*]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Review,
    Solicit,
    ReviewVerb,
    Incentive,
    NotIncentive,
    Exchange,
    Thanks,
    Positive,
    Neutral,
    If,
    Satisfied,
    Negation,
    Otherwise,
    Divert,
    Change,
    Request,
    ContactUs,
    ContactVerb,
    SelfRef,
    Channel,
    ChannelAmbiguous,
    ChannelPreposition,
    Outside,
    Direct,
    OnAmazon,
    ThirdParty,
}

const CLASSES: [(&str, Class); 26] = [
    ("review", Class::Review),
    ("solicit", Class::Solicit),
    ("review_verb", Class::ReviewVerb),
    ("incentive", Class::Incentive),
    ("not_incentive", Class::NotIncentive),
    ("exchange", Class::Exchange),
    ("thanks", Class::Thanks),
    ("positive", Class::Positive),
    ("neutral", Class::Neutral),
    ("if", Class::If),
    ("satisfied", Class::Satisfied),
    ("negation", Class::Negation),
    ("otherwise", Class::Otherwise),
    ("divert", Class::Divert),
    ("change", Class::Change),
    ("request", Class::Request),
    ("contact_us", Class::ContactUs),
    ("contact_verb", Class::ContactVerb),
    ("self", Class::SelfRef),
    ("channel", Class::Channel),
    ("channel_ambiguous", Class::ChannelAmbiguous),
    ("channel_preposition", Class::ChannelPreposition),
    ("outside", Class::Outside),
    ("direct", Class::Direct),
    ("on_amazon", Class::OnAmazon),
    ("third_party", Class::ThirdParty),
];

fn class(name: &str) -> Option<Class> {
    CLASSES.iter().find(|c| c.0 == name).map(|c| c.1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Phrase(PhraseKind),
    Term(Class),
}

/// One phrase or term, compiled.
#[derive(Clone, Debug)]
struct Pattern {
    what: What,
    /// Index into `LANGUAGES`.
    lang: usize,
    /// Its first character must start a word.
    word_start: bool,
    /// Its last character must end a word.
    word_end: bool,
}

/// The lists of `assets/compliance.toml`, compiled once.
struct Lists {
    /// Every phrase and term but the case-sensitive ones, lower-cased.
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    /// `[terms.channel_ambiguous]`, matched as written.
    exact: Vec<(String, Pattern)>,
    secure_hosts: Vec<String>,
    amazon_promo_paths: Vec<String>,
}

/// A term as written in the lists: `(text to match, must start a word, must end a word)`.
fn term_shape(term: &str, whole_words: bool) -> (String, bool, bool) {
    let lead = term.starts_with('*');
    let trail = term.ends_with('*') && term.len() > 1;
    let core = term.trim_start_matches('*').trim_end_matches('*');
    let first = core.chars().next().is_some_and(spaced_letter);
    let last = core.chars().next_back().is_some_and(spaced_letter);
    (
        core.to_string(),
        !lead && first,
        whole_words && !trail && last,
    )
}

fn compile(raw: RawLists) -> Lists {
    let mut lowered: Vec<String> = Vec::new();
    let mut patterns = Vec::new();
    let mut exact = Vec::new();
    let lang_index = |l: &str| LANGUAGES.iter().position(|x| *x == l).unwrap_or(0);
    for (name, languages) in raw.phrases {
        let Some(kind) = phrase_kind(&name) else {
            continue;
        };
        for (lang, list) in languages {
            for p in list {
                // Phrases keep their old reading: they must start a word, may end inside one.
                let (core, word_start, _) = term_shape(&p, false);
                if core.is_empty() {
                    continue;
                }
                lowered.push(normalize(&core));
                patterns.push(Pattern {
                    what: What::Phrase(kind),
                    lang: lang_index(&lang),
                    word_start,
                    word_end: false,
                });
            }
        }
    }
    for (name, languages) in raw.terms {
        let Some(class) = class(&name) else {
            continue;
        };
        for (lang, list) in languages {
            for t in list {
                let (core, word_start, word_end) = term_shape(&t, true);
                if core.is_empty() {
                    continue;
                }
                let pattern = Pattern {
                    what: What::Term(class),
                    lang: lang_index(&lang),
                    word_start,
                    word_end,
                };
                if class == Class::ChannelAmbiguous {
                    exact.push((core, pattern));
                } else {
                    lowered.push(normalize(&core));
                    patterns.push(pattern);
                }
            }
        }
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&lowered)
        .unwrap_or_else(|_| AhoCorasick::new(Vec::<&str>::new()).expect("empty automaton"));
    Lists {
        automaton,
        patterns,
        exact,
        secure_hosts: raw
            .links
            .secure_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        amazon_promo_paths: raw
            .links
            .amazon_promo_paths
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect(),
    }
}

static LISTS: LazyLock<Arc<Lists>> = LazyLock::new(|| {
    // Part of the binary and parsed by a test: it cannot fail at run time.
    let raw: RawLists = toml::from_str(PHRASES).unwrap_or_default();
    Arc::new(compile(raw))
});

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
// A link stops at white space and at Japanese text and punctuation run into it.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>\x{3000}-\x{30FF}\x{4E00}-\x{9FFF}\x{FF00}-\x{FFEF}]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|shop|store|online|site|io|co|me|ly|gl|de|uk|fr|es|it|jp|eu|nl|pl|se|ca|au|in|us)\b(?:/[^\s<>\x{3000}-\x{30FF}\x{4E00}-\x{9FFF}\x{FF00}-\x{FFEF}]*)?",
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
/// Dates and amounts inside a text: masked before looking for phone numbers.
static DATE_IN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}"));
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| regex(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}"));

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x231A..=0x23FF)
}

/// A letter of a script with spaces between words: phrases starting with one must start a word.
fn spaced_letter(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

/// Lower case, with the typographic apostrophe read as `'`.
fn normalize(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .collect()
}

// ----------------------------------------------------------------------------- matching

/// A phrase or term found in the text, as a byte range of it.
#[derive(Clone, Debug)]
struct Hit {
    what: What,
    lang: usize,
    start: usize,
    end: usize,
}

impl Hit {
    fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

fn starts_word(text: &str, at: usize) -> bool {
    !text[..at].chars().next_back().is_some_and(spaced_letter)
}

fn ends_word(text: &str, at: usize) -> bool {
    !text[at..].chars().next().is_some_and(spaced_letter)
}

/// Every phrase and term in `text`, in order of their starts (matching ignores case).
fn scan(text: &str) -> Vec<Hit> {
    let lists = LISTS.as_ref();
    // Lower-casing can change byte lengths (İ): match on a lowered copy whose offsets map back
    // char by char.
    let mut lowered = String::with_capacity(text.len());
    let mut origin: Vec<usize> = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        for l in c.to_lowercase() {
            let l = if l == '\u{2019}' { '\'' } else { l };
            let start = lowered.len();
            lowered.push(l);
            origin.extend(std::iter::repeat_n(i, lowered.len() - start));
        }
    }
    origin.push(text.len());
    let mut out = Vec::new();
    for m in lists.automaton.find_overlapping_iter(&lowered) {
        let p = &lists.patterns[m.pattern().as_usize()];
        let start = origin[m.start()];
        // The end: the original offset of the first byte after the match.
        let end = origin[m.end()];
        let end = if end <= start { text.len() } else { end };
        if (p.word_start && !starts_word(text, start)) || (p.word_end && !ends_word(text, end)) {
            continue;
        }
        out.push(Hit {
            what: p.what,
            lang: p.lang,
            start,
            end,
        });
    }
    for (term, p) in &lists.exact {
        for (start, _) in text.match_indices(term.as_str()) {
            let end = start + term.len();
            if (p.word_start && !starts_word(text, start)) || (p.word_end && !ends_word(text, end))
            {
                continue;
            }
            out.push(Hit {
                what: p.what,
                lang: p.lang,
                start,
                end,
            });
        }
    }
    out.sort_by_key(|h| (h.start, h.end));
    out
}

/// Phrase matches as byte ranges of `text`.
fn phrase_matches(hits: &[Hit]) -> impl Iterator<Item = (PhraseKind, Range<usize>)> + '_ {
    hits.iter().filter_map(|h| match h.what {
        What::Phrase(k) => Some((k, h.range())),
        What::Term(_) => None,
    })
}

// ----------------------------------------------------------------------------- sentences

/// Abbreviations whose full stop ends no sentence.
const ABBREVIATIONS: [&str; 16] = [
    "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "nr", "no", "ca", "bzw", "usw", "vs", "approx",
    "st", "inkl",
];

/// The sentences of `text` as byte ranges, white space trimmed: they end at . ! ? ; before
/// white space or the end, at 。！？；, at a blank line, or at a line break after anything but a
/// letter, a comma or a colon (a line wrapped inside a sentence goes on).
fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut cuts = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (n, &(i, c)) in chars.iter().enumerate() {
        let after = i + c.len_utf8();
        let next = chars.get(n + 1).map(|x| x.1);
        let cut = match c {
            '。' | '！' | '？' | '；' => true,
            '!' | '?' | ';' => next.is_none_or(char::is_whitespace),
            '.' => {
                next.is_none_or(char::is_whitespace) && {
                    let word: String = text[..i]
                        .chars()
                        .rev()
                        .take_while(|c| c.is_alphanumeric() || *c == '.')
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                        .to_lowercase();
                    !(ABBREVIATIONS.contains(&word.as_str())
                        || word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
                }
            }
            '\n' => {
                let before = text[..i].trim_end_matches([' ', '\t', '\r']);
                next == Some('\n')
                    || before.is_empty()
                    || !before
                        .chars()
                        .next_back()
                        .is_some_and(|b| b.is_alphabetic() || b == ',' || b == ':')
            }
            _ => false,
        };
        if cut {
            cuts.push(after);
        }
    }
    let mut out = Vec::new();
    let mut from = 0;
    for to in cuts.into_iter().chain(std::iter::once(text.len())) {
        if to <= from {
            continue;
        }
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            out.push(from + lead..from + lead + trimmed.len());
        }
        from = to;
    }
    out
}

/// Words between two places of a text: runs of letters or digits of spaced scripts (an
/// apostrophe or hyphen inside one joins it), and one per two Japanese characters.
fn words_between(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let (mut words, mut wide, mut in_word) = (0, 0, false);
    for (i, &c) in chars.iter().enumerate() {
        if spaced_letter(c) {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else if c.is_alphanumeric() {
            wide += 1;
            in_word = false;
        } else if !(in_word
            && matches!(c, '\'' | '-' | '\u{2019}')
            && chars.get(i + 1).is_some_and(|n| spaced_letter(*n)))
        {
            in_word = false;
        }
    }
    words + (wide as usize).div_ceil(2)
}

/// Words from the end of `a` to the start of `b` (0 when they touch or overlap).
fn gap(text: &str, a: &Hit, b: &Hit) -> usize {
    if b.start <= a.end {
        0
    } else {
        words_between(&text[a.end..b.start])
    }
}

/// A verb and its noun close enough, in an order the verb's language allows: the verb first in
/// English and the Romance languages, the noun first in Japanese, either in German.
fn verb_noun(text: &str, verb: &Hit, noun: &Hit, max: usize) -> bool {
    let verb_first = verb.start < noun.start;
    let allowed = match LANGUAGES[verb.lang] {
        "de" => true,
        "ja" => !verb_first,
        _ => verb_first,
    };
    let words = if verb_first {
        gap(text, verb, noun)
    } else {
        gap(text, noun, verb)
    };
    allowed && words <= max
}

/// The phrases and terms of one sentence.
struct Sentence<'a> {
    text: &'a str,
    range: Range<usize>,
    hits: Vec<&'a Hit>,
}

impl<'a> Sentence<'a> {
    fn of(&self, class: Class) -> impl Iterator<Item = &'a Hit> + '_ {
        self.hits
            .iter()
            .copied()
            .filter(move |h| h.what == What::Term(class))
    }

    fn has(&self, class: Class) -> bool {
        self.of(class).next().is_some()
    }

    /// A review term just after a thanks phrase is thanked for.
    fn thanked(&self, review: &Hit) -> bool {
        self.of(Class::Thanks)
            .any(|t| t.start <= review.start && gap(self.text, t, review) <= NEAR_GAP + 1)
    }

    /// Where the sentence asks for a review: a soliciting verb with its review term, or a verb
    /// that is an ask by itself.
    fn asks(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for r in self.of(Class::Review) {
            if self.thanked(r) {
                continue;
            }
            for s in self.of(Class::Solicit) {
                if verb_noun(self.text, s, r, ASK_GAP) {
                    out.push(s.start.min(r.start)..s.end.max(r.end));
                }
            }
        }
        out.extend(self.of(Class::ReviewVerb).map(Hit::range));
        out
    }

    /// Incentive terms, less look-alikes ("feel free").
    fn incentives(&self) -> impl Iterator<Item = &'a Hit> + '_ {
        self.of(Class::Incentive).filter(|i| {
            !self
                .of(Class::NotIncentive)
                .any(|n| n.start < i.end && i.start < n.end)
        })
    }

    /// "If you are happy": a condition and a satisfied word close together, no negation between.
    fn if_satisfied(&self) -> bool {
        self.of(Class::If).any(|c| {
            self.of(Class::Satisfied).any(|s| {
                let (a, b) = if c.start <= s.start { (c, s) } else { (s, c) };
                b.start >= a.end
                    && gap(self.text, a, b) <= CONDITION_GAP
                    && !self
                        .of(Class::Negation)
                        .any(|n| n.start >= a.end && n.start < b.start)
            })
        })
    }

    /// Why the sentence buys or steers a review, if it does.
    fn steers_review(&self) -> bool {
        let asks = self.asks();
        // An ask and an incentive.
        if !asks.is_empty() && self.incentives().next().is_some() {
            return true;
        }
        // "A gift for your review."
        let traded = self.of(Class::Exchange).any(|e| {
            !self
                .of(Class::Thanks)
                .any(|t| t.start <= e.start && e.start <= t.end)
                && self
                    .of(Class::Review)
                    .any(|r| r.start >= e.end && gap(self.text, e, r) <= NEAR_GAP)
        });
        if traded && self.incentives().next().is_some() {
            return true;
        }
        // An ask for a good review.
        if !self.has(Class::Neutral)
            && asks.iter().any(|a| {
                self.of(Class::Positive).any(|p| {
                    (p.start < a.end && a.start < p.end)
                        || (p.end <= a.start && words_between(&self.text[p.end..a.start]) <= 1)
                })
            })
        {
            return true;
        }
        // Steering unhappy buyers away from reviewing.
        if self.has(Class::Divert) && self.has(Class::Review) {
            return true;
        }
        self.asks_only_happy()
    }

    /// "If you are happy with it, please leave a review."
    fn asks_only_happy(&self) -> bool {
        self.if_satisfied() && (self.has(Class::Review) || self.has(Class::ReviewVerb))
    }

    /// A request to remove or change a review.
    fn changes_review(&self) -> bool {
        self.has(Class::Request)
            && self.of(Class::Change).any(|c| {
                self.of(Class::Review)
                    .any(|r| c.start != r.start && verb_noun(self.text, c, r, CHANGE_GAP))
            })
    }

    /// The buyer asked to contact the seller.
    fn contact(&self) -> bool {
        self.has(Class::ContactUs) || (self.has(Class::ContactVerb) && self.has(Class::SelfRef))
    }

    /// Why the sentence moves the buyer off Amazon, if it does; `phone`: it holds a phone number.
    fn off_amazon(&self, phone: bool) -> bool {
        let reached = self.contact() || self.has(Class::ContactVerb) || self.has(Class::SelfRef);
        let named = self.has(Class::Channel)
            || self.of(Class::ChannelAmbiguous).any(|a| {
                self.of(Class::ChannelPreposition)
                    .any(|p| p.end < a.start && self.text[p.end..a.start].trim().is_empty())
            });
        (named && (reached || phone))
            || (self.has(Class::Outside) && (self.contact() || self.has(Class::ContactVerb)))
            || (self.has(Class::Direct) && self.has(Class::ContactUs) && !self.has(Class::OnAmazon))
            || (phone && self.contact() && !self.has(Class::ThirdParty))
    }
}

/// The sentences of `text` with their hits.
fn analyse<'a>(text: &'a str, hits: &'a [Hit]) -> Vec<Sentence<'a>> {
    sentences(text)
        .into_iter()
        .map(|range| Sentence {
            text,
            hits: hits
                .iter()
                .filter(|h| h.start >= range.start && h.end <= range.end)
                .collect(),
            range,
        })
        .collect()
}

// ----------------------------------------------------------------------------- links

/// A host of Amazon's own ("amazon.de", "www.amazon.co.jp", "track.amazon.com").
fn is_amazon_host(host: &str) -> bool {
    host.starts_with("amazon.") || host.contains(".amazon.")
}

fn host_listed(host: &str, entry: &str) -> bool {
    let host = host.strip_prefix("www.").unwrap_or(host);
    match entry.strip_suffix(".*") {
        Some(name) => host.starts_with(&format!("{name}.")) || host.contains(&format!(".{name}.")),
        None => host == entry || host.ends_with(&format!(".{entry}")),
    }
}

/// What a link found by `URL` is: `None` for a marketplace merely named ("your order on
/// amazon.de"). Amazon's own pages are judged alike with or without `https://` (Amazon serves
/// only https): a secure link, unless they promote (a product, a store) or say `http://`.
fn link_kind(url: &str) -> Option<Kind> {
    let lists = LISTS.as_ref();
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = match lower.split_once("://") {
        Some((s, r)) => (s, r),
        None => ("", lower.as_str()),
    };
    let host_end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    if is_amazon_host(host) {
        if scheme.is_empty() && path.trim_end_matches('/').is_empty() {
            return None;
        }
        if scheme == "http" || scheme == "ftp" {
            return Some(Kind::Link);
        }
        let promotes = lists
            .amazon_promo_paths
            .iter()
            .any(|p| path.contains(p.as_str()));
        return Some(if promotes {
            Kind::Link
        } else {
            Kind::SecureLink
        });
    }
    let secure = scheme == "https" && lists.secure_hosts.iter().any(|e| host_listed(host, e));
    Some(if secure { Kind::SecureLink } else { Kind::Link })
}

/// A link found by `URL` less the punctuation that closes the sentence around it.
fn trim_link(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let t = s.trim_end_matches([
        '.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '»', '”', '’', '>',
    ]);
    r.start..r.start + t.len()
}

// ----------------------------------------------------------------------------- the check

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

/// Where `body` asks for a review, if it does: a listed request phrase, else the first ask of
/// the sentence rules ("post a review", "bewerten Sie").
pub fn review_request(body: &str) -> Option<Range<usize>> {
    let hits = scan(body);
    if let Some((_, r)) = phrase_matches(&hits).find(|(k, _)| *k == PhraseKind::ReviewRequest) {
        return Some(r);
    }
    analyse(body, &hits)
        .iter()
        .find_map(|s| s.asks().into_iter().min_by_key(|a| a.start))
}

/// The findings of one text, its overlapping pattern findings reported once.
struct Findings<'a, 'o> {
    text: &'a str,
    field: &'static str,
    /// Spans of pattern and phrase findings: a later one overlapping is dropped.
    taken: Vec<Range<usize>>,
    out: &'o mut Vec<Finding>,
    /// Index of this text's first finding in `out`.
    first: usize,
}

impl Findings<'_, '_> {
    fn finding(&self, kind: Kind, r: Range<usize>) -> Finding {
        Finding {
            kind,
            severity: kind.severity(),
            start: r.start,
            end: r.end,
            field: self.field,
            text: self.text[r].to_string(),
            reason: kind.reason(),
        }
    }

    fn overlaps_taken(&self, r: &Range<usize>) -> bool {
        self.taken
            .iter()
            .any(|t| t.start < r.end && r.start < t.end)
    }

    /// A pattern or phrase finding, unless it overlaps one already found.
    fn exclusive(&mut self, kind: Kind, r: Range<usize>) {
        if r.is_empty() || self.overlaps_taken(&r) {
            return;
        }
        self.taken.push(r.clone());
        let f = self.finding(kind, r);
        self.out.push(f);
    }

    /// A sentence rule's finding, unless a finding of its kind already covers part of it.
    fn sentence(&mut self, kind: Kind, r: Range<usize>) {
        let covered = self.out[self.first..]
            .iter()
            .any(|f| f.kind == kind && f.start < r.end && r.start < f.end);
        if !covered {
            let f = self.finding(kind, r);
            self.out.push(f);
        }
    }

    fn has_in(&self, kind: Kind, r: &Range<usize>) -> bool {
        self.out[self.first..]
            .iter()
            .any(|f| f.kind == kind && f.start < r.end && r.start < f.end)
    }
}

/// Phone numbers in `text`: digit runs of 8 to 15 digits that are no order ID, date or amount.
fn phone_numbers(text: &str) -> Vec<Range<usize>> {
    // Order IDs, dates and amounts are masked (same length, no digits) so that a number next to
    // one is not read as part of it.
    let mut masked = text.as_bytes().to_vec();
    let b = text.as_bytes();
    let joined =
        |i: Option<usize>| -> bool { i.and_then(|i| b.get(i)).is_some_and(|c| c.is_ascii_digit()) };
    let mut mask = |r: Range<usize>| masked[r].iter_mut().for_each(|c| *c = b'x');
    for m in ORDER_ID.find_iter(text) {
        mask(m.range());
    }
    for re in [&*DATE_IN, &*AMOUNT] {
        for m in re.find_iter(text) {
            // Not part of a longer run of digits and separators (01.23.45.67.89 is a number).
            let before = m.start().checked_sub(1);
            let sep_before = before.is_some_and(|i| b".,-/".contains(&b[i]))
                && joined(before.and_then(|i| i.checked_sub(1)));
            let sep_after =
                b.get(m.end()).is_some_and(|c| b".,-/".contains(c)) && joined(Some(m.end() + 1));
            if !joined(before) && !joined(Some(m.end())) && !sep_before && !sep_after {
                mask(m.range());
            }
        }
    }
    // The masked bytes are ASCII in place of ASCII: still UTF-8, same offsets.
    let masked = String::from_utf8(masked).unwrap_or_else(|_| text.to_string());
    PHONE
        .find_iter(&masked)
        .map(|m| m.range())
        .filter(|r| {
            let s = &text[r.clone()];
            let digits = s.chars().filter(char::is_ascii_digit).count();
            (8..=15).contains(&digits) && !ORDER_ID.is_match(s) && !DATE.is_match(s.trim())
        })
        .collect()
}

fn check_text(text: &str, field: &'static str, out: &mut Vec<Finding>) {
    let first = out.len();
    let mut f = Findings {
        text,
        field,
        taken: Vec::new(),
        out,
        first,
    };
    for m in PLACEHOLDER.find_iter(text) {
        f.exclusive(Kind::Placeholder, m.range());
    }
    for m in EMAIL.find_iter(text) {
        f.exclusive(Kind::EmailAddress, m.range());
    }
    for m in URL.find_iter(text) {
        let r = trim_link(text, m.range());
        if let Some(kind) = link_kind(&text[r.clone()]) {
            f.exclusive(kind, r);
        }
    }
    for m in HTML.find_iter(text) {
        f.exclusive(Kind::Html, m.range());
    }
    for m in IMPORTANT.find_iter(text) {
        f.exclusive(Kind::Important, m.range());
    }
    let hits = scan(text);
    for (kind, r) in phrase_matches(&hits) {
        if let PhraseKind::Found(kind) = kind {
            f.exclusive(kind, r);
        }
    }
    let phones: Vec<Range<usize>> = phone_numbers(text)
        .into_iter()
        .filter(|r| !f.overlaps_taken(r))
        .collect();
    let sentences = analyse(text, &hits);
    let mut only_happy = false;
    for s in &sentences {
        let r = s.range.clone();
        if s.steers_review() {
            f.sentence(Kind::ReviewIncentive, r.clone());
        } else if only_happy
            && s.has(Class::Otherwise)
            && (s.contact() || s.has(Class::ContactVerb))
        {
            // "... if you are happy, leave a review. If not, contact us first."
            f.sentence(Kind::ReviewIncentive, r.clone());
        }
        only_happy |= s.asks_only_happy();
        if s.changes_review() {
            f.sentence(Kind::ReviewChange, r.clone());
        }
        let phone = phones.iter().any(|p| p.start >= r.start && p.end <= r.end);
        // An address is its own finding: the sentence around it is not also off Amazon.
        if !f.has_in(Kind::EmailAddress, &r) && s.off_amazon(phone) {
            f.sentence(Kind::OffAmazon, r);
        }
    }
    for p in phones {
        if !f.has_in(Kind::OffAmazon, &p) {
            f.exclusive(Kind::PhoneNumber, p);
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
            f.exclusive(Kind::Emoji, i..end);
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
        // The file now has phrase tables, term classes and link lists (was: four phrase tables).
        let raw: RawLists = toml::from_str(PHRASES).unwrap();
        assert_eq!(raw.phrases.len(), 4);
        for (name, langs) in &raw.phrases {
            assert!(phrase_kind(name).is_some(), "{name}");
            let mut l: Vec<&str> = langs.keys().map(String::as_str).collect();
            l.sort();
            assert_eq!(l, ["de", "en", "es", "fr", "it", "ja"], "{name}");
        }
        assert_eq!(raw.terms.len(), CLASSES.len());
        for (name, langs) in &raw.terms {
            assert!(class(name).is_some(), "unknown class {name}");
            let mut l: Vec<&str> = langs.keys().map(String::as_str).collect();
            l.sort();
            assert_eq!(l, ["de", "en", "es", "fr", "it", "ja"], "{name}");
            for t in langs.values().flatten() {
                assert!(
                    !t.trim_matches('*').is_empty() && t.trim() == t,
                    "{name}: {t:?}"
                );
            }
        }
        assert!(!raw.links.secure_hosts.is_empty() && !raw.links.amazon_promo_paths.is_empty());
        assert!(LISTS.patterns.len() + LISTS.exact.len() > 500);
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
        for t in crate::reply::templates::defaults().unwrap() {
            let filled = PLACEHOLDER.replace_all(&t.body, "x");
            assert_eq!(kinds(&filled), vec![], "{}", t.name);
        }
    }

    #[test]
    fn only_placeholders_can_never_be_overridden() {
        assert!(!Kind::Placeholder.overridable());
        assert!(Kind::Link.overridable());
        assert!(Kind::OffAmazon.overridable() && Kind::SecureLink.overridable());
    }

    fn with_severity(body: &str) -> Vec<(Kind, Severity, String)> {
        let f = check(body, &Context::default());
        for x in &f {
            assert_eq!(&body[x.span()], x.text, "{body}");
            assert_eq!(x.severity, x.kind.severity());
        }
        f.into_iter()
            .map(|x| (x.kind, x.severity, x.text))
            .collect()
    }

    #[test]
    fn new_kinds_have_keys_and_severities() {
        assert_eq!(Kind::OffAmazon.key(), "off_amazon");
        assert_eq!(Kind::OffAmazon.severity(), Severity::Error);
        assert_eq!(Kind::SecureLink.key(), "secure_link");
        assert_eq!(Kind::SecureLink.severity(), Severity::Warning);
    }

    /// What the CLI, composer, reply and screen tests of the crate rely on.
    #[test]
    fn findings_other_tests_rely_on_stay_as_they_were() {
        let text = "Hi Bob,\nleave a 5-star review and get a coupon: https://x.example\n";
        let f = check(text, &Context::default());
        let k: Vec<&str> = f.iter().map(|x| x.kind.key()).collect();
        assert_eq!(k, ["review_incentive", "marketing", "link"]);
        assert_eq!(f[2].text, "https://x.example");
        let warned = check(
            "Thanks Bob 😀 call the carrier at +1 800 555 0199\n",
            &Context::default(),
        );
        assert_eq!(tally(&warned), (0, 2));
        let k: Vec<(Kind, String)> = kinds("Hello 😀 see www.example.net");
        assert_eq!(k[1], (Kind::Link, "www.example.net".to_string()));
        let body =
            "Hello, a new one ships today. Use coupon SAVE10 on https://shop.example next time.";
        let k: Vec<Kind> = check(body, &Context::default())
            .iter()
            .map(|x| x.kind)
            .collect();
        assert_eq!(k, vec![Kind::Marketing, Kind::Link]);
        let body = "Hello Karin, a new one ships today. Use coupon SAVE10 on www.example-shop.test";
        assert_eq!(
            kinds(body),
            vec![
                (Kind::Marketing, "coupon".to_string()),
                (Kind::Link, "www.example-shop.test".to_string())
            ]
        );
    }

    #[test]
    fn reworded_review_incentives_and_changes_are_errors() {
        for (text, kind) in [
            (
                "Leave a review and get a free phone case.",
                Kind::ReviewIncentive,
            ),
            (
                "Post a review and we'll send you a second cable.",
                Kind::ReviewIncentive,
            ),
            (
                "If you give us 5 stars we refund the shipping.",
                Kind::ReviewIncentive,
            ),
            (
                "If you are happy with the product, please leave a review.",
                Kind::ReviewIncentive,
            ),
            (
                "Wenn Sie uns 5 Sterne geben, erstatten wir die Versandkosten.",
                Kind::ReviewIncentive,
            ),
            (
                "商品にご満足いただけましたら、ぜひレビューをお願いいたします。",
                Kind::ReviewIncentive,
            ),
            (
                "Could you please remove the negative feedback you left?",
                Kind::ReviewChange,
            ),
            (
                "Would you consider changing your 2-star rating?",
                Kind::ReviewChange,
            ),
        ] {
            let f = with_severity(text);
            assert!(
                f.iter().any(|x| x.0 == kind && x.1 == Severity::Error),
                "{text}: {f:?}"
            );
            // A rule's finding spans its sentence (a listed phrase found first spans the phrase).
            assert!(
                f.iter().any(|x| x.0 == kind && text.contains(x.2.as_str())),
                "{f:?}"
            );
        }
        let text = "If you are happy, please leave a review. If not, contact us first.";
        let f = with_severity(text);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[1].2, "If not, contact us first.");
    }

    #[test]
    fn contact_off_amazon_is_an_error_and_a_carrier_number_a_warning() {
        for text in [
            "Message us on WhatsApp.",
            "Send us a message on Signal.",
            "Write to us directly.",
            "Please contact us outside Amazon.",
            "E-mail us directly, it is faster.",
            "Call us at +1 555 123 4567.",
            "お急ぎの場合は、LINEでご連絡ください。",
        ] {
            let f = with_severity(text);
            assert!(f.iter().any(|x| x.0 == Kind::OffAmazon), "{text}: {f:?}");
            // The number is inside the sentence's finding, not a warning of its own.
            assert!(!f.iter().any(|x| x.0 == Kind::PhoneNumber), "{text}: {f:?}");
        }
        for text in [
            "The manufacturer's warranty line is 0800 123 4567.",
            "DHL customer service: 0228 4333112.",
            "0228 4333112",
        ] {
            assert_eq!(
                with_severity(text),
                vec![(
                    Kind::PhoneNumber,
                    Severity::Warning,
                    text.trim_end_matches('.')
                        .split(": ")
                        .last()
                        .unwrap()
                        .rsplit(" is ")
                        .next()
                        .unwrap()
                        .to_string()
                )],
                "{text}"
            );
        }
        for text in [
            "The signal light turns green; please contact us if it stays red.",
            "Please contact us directly through Amazon's messages.",
            "Our new product line ships on Monday.",
        ] {
            assert_eq!(kinds(text), vec![], "{text}");
        }
    }

    #[test]
    fn amazon_pages_are_judged_alike_with_or_without_https() {
        for text in [
            "https://www.amazon.com/gp/css/order-history",
            "www.amazon.com/gp/css/order-history",
            "https://www.amazon.de/gp/css/returns",
            "www.amazon.de/gp/css/returns",
            "amazon.de/gp/css/returns",
            "https://www.dhl.de/de/privatkunden/verfolgen.html?piececode=1",
        ] {
            let f = with_severity(&format!("See {text} please."));
            assert_eq!(
                f,
                vec![(Kind::SecureLink, Severity::Warning, text.to_string())]
            );
        }
        for text in [
            "https://www.amazon.de/dp/B0C1234567",
            "www.amazon.de/stores/Lampshop/page/1",
            "http://www.amazon.de/gp/css/returns",
            "http://www.dhl.de/verfolgen",
            "https://shop.example/track",
            "www.dhl.de/verfolgen",
        ] {
            let f = with_severity(&format!("See {text}."));
            assert_eq!(f, vec![(Kind::Link, Severity::Error, text.to_string())]);
        }
        // A marketplace named is no link.
        assert_eq!(
            kinds("Your order on Amazon.de and www.amazon.co.jp"),
            vec![]
        );
    }

    #[test]
    fn japanese_sentences_split_and_spans_stay_on_char_boundaries() {
        let body = "ご注文ありがとうございます。星5の評価をいただけましたら、送料を返金いたします！よろしくお願いいたします。";
        let f = check(body, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].text,
            "星5の評価をいただけましたら、送料を返金いたします！"
        );
        assert_eq!(
            sentences(body)
                .iter()
                .map(|r| &body[r.clone()])
                .collect::<Vec<_>>(),
            [
                "ご注文ありがとうございます。",
                "星5の評価をいただけましたら、送料を返金いたします！",
                "よろしくお願いいたします。"
            ]
        );
        assert_eq!(
            sentences("z. B. eine Lampe. Und dann\nweiter.\n\nGruß").len(),
            3
        );
        // Every prefix of a mixed text: no panic, every span on char boundaries.
        let mixed = "İstanbul: leave a review and get a gift 🎁! Wenn Sie zufrieden sind, bitte \
                     eine Bewertung. 評価を削除していただけますか？ Call us at +1 555 123 4567; \
                     https://www.amazon.de/gp/css/returns «Sterne» 2026-11-20 19,99 €";
        for (i, _) in mixed.char_indices() {
            let t = &mixed[..i];
            for x in check(t, &Context::default()) {
                assert_eq!(&t[x.span()], x.text);
            }
        }
    }

    #[test]
    fn clean_look_alikes_stay_clean() {
        for text in [
            "Thank you for your feedback, we will refund you today.",
            "I am sorry you were not happy; a replacement ships today.",
            "The review of your case is complete.",
            "Ihr Wandtattoo „Sterne“ wird heute versandt.",
            "Order 111-4827163-0028371 of 2026-11-20 (29.99 USD), 01.12.2026.",
            "Feel free to leave a review once you have tried it.",
            "If you have a moment, please leave an honest review.",
            "Appelez le 01.23.45.67.89 ? Non : répondez à ce message.",
        ] {
            let k = kinds(text);
            assert!(
                k.is_empty()
                    || text.starts_with("Appelez")
                        && k == vec![(Kind::PhoneNumber, "01.23.45.67.89".to_string())],
                "{text}: {k:?}"
            );
        }
    }

    #[test]
    fn a_review_request_is_found_reworded() {
        assert!(review_request("Please leave a review.").is_some());
        let body = "Hi, could you post a short review of the lamp?";
        let r = review_request(body).unwrap();
        assert_eq!(&body[r], "post a short review");
        assert!(review_request("Thank you for your review.").is_none());
        assert!(review_request("The review of your case is complete.").is_none());
    }
}
