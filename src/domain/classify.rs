//! Putting a buyer's thread in a complaint kind by phrases (`assets/categories.toml`, each kind
//! overridable in the config), with the phrase that decided it as the reason.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::domain::category::Category;

const DEFAULTS: &str = include_str!("../../assets/categories.toml");

/// Kinds in the order they are tried: the cause of a complaint before the remedy asked for
/// (a parcel that arrived broken is "shipping" even when the buyer wants a refund; an item
/// broken in a box without padding is "packaging").
pub const PRIORITY: [Category; 9] = [
    Category::Fraud,
    Category::Cancellation,
    Category::Shipping,
    Category::NotAsDescribed,
    Category::Packaging,
    Category::Quality,
    Category::Returns,
    Category::CustomerService,
    Category::Question,
];

/// A kind and the phrase that decided it (`None` for "other": nothing matched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub category: Category,
    pub phrase: Option<String>,
}

/// The phrases of each kind, compiled into one automaton when first used: compiling takes
/// about 33 million instructions (10 ms), and most commands that load the config (`status`,
/// `metrics`, a migration with no threads to classify) never classify anything.
#[derive(Clone)]
pub struct Classifier {
    phrases: BTreeMap<Category, Vec<String>>,
    compiled: Arc<OnceLock<Compiled>>,
}

struct Compiled {
    automaton: AhoCorasick,
    /// For each pattern of the automaton: its kind's rank in `PRIORITY` and its phrase.
    patterns: Vec<(usize, String)>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("phrases", &self.phrases)
            .finish()
    }
}

impl PartialEq for Classifier {
    fn eq(&self, other: &Self) -> bool {
        self.phrases == other.phrases
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(default_phrases())
    }
}

/// The shipped phrases, every language of a kind together.
pub fn default_phrases() -> BTreeMap<Category, Vec<String>> {
    // The file is part of the binary and a test parses it: it cannot fail at run time.
    let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        toml::from_str(DEFAULTS).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (kind, languages) in raw {
        if let Some(category) = Category::parse(&kind) {
            out.insert(
                category,
                languages.into_values().flatten().collect::<Vec<String>>(),
            );
        }
    }
    out
}

/// A letter of a script that writes spaces between words: a phrase starting with one must
/// start a word ("late" is not in "chocolate"). CJK text has no spaces to check.
fn spaced_letter(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

impl Classifier {
    pub fn new(phrases: BTreeMap<Category, Vec<String>>) -> Classifier {
        Classifier {
            phrases,
            compiled: Arc::default(),
        }
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled::new(&self.phrases))
    }
}

impl Compiled {
    fn new(phrases: &BTreeMap<Category, Vec<String>>) -> Compiled {
        let mut patterns = Vec::new();
        for (rank, category) in PRIORITY.iter().enumerate() {
            for p in phrases.get(category).into_iter().flatten() {
                let p = p.trim().to_lowercase();
                if !p.is_empty() {
                    patterns.push((rank, p));
                }
            }
        }
        // A DFA: classification runs on every imported buyer message, and the overlapping
        // search of the default (NFA) automaton was a tenth of an import's CPU time (a DFA
        // halves it; a non-overlapping search was no faster on mail full of complaint words).
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(patterns.iter().map(|p| p.1.as_str()))
            .unwrap_or_else(|_| AhoCorasick::new(Vec::<&str>::new()).expect("empty automaton"));
        Compiled {
            automaton,
            patterns,
        }
    }
}

impl Classifier {
    /// The defaults with each kind named in `overrides` replaced.
    pub fn with_overrides(overrides: &BTreeMap<Category, Vec<String>>) -> Classifier {
        let mut phrases = default_phrases();
        for (k, v) in overrides {
            phrases.insert(*k, v.clone());
        }
        Classifier::new(phrases)
    }

    /// The phrases of `category` that `text` holds, lowercase, each starting a word as
    /// `classify` finds them (for choosing among templates of one kind the one that speaks of
    /// what the buyer wrote).
    pub fn phrases_in(&self, category: Category, text: &str) -> Vec<String> {
        let text = text.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        for p in self.phrases.get(&category).into_iter().flatten() {
            let p = p.trim().to_lowercase();
            let starts_word = |at: usize| {
                !p.chars().next().is_some_and(spaced_letter)
                    || !text[..at].chars().next_back().is_some_and(spaced_letter)
            };
            let found = !p.is_empty()
                && text
                    .match_indices(p.as_str())
                    .any(|(at, _)| starts_word(at));
            if found && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The kind of a buyer's message: the highest-priority kind with a phrase in the subject
    /// or the text, else "other".
    pub fn classify(&self, subject: &str, body: &str) -> Classified {
        let Compiled {
            automaton,
            patterns,
        } = self.compiled();
        let mut best: Option<(usize, usize)> = None;
        for text in [subject, body] {
            let text = text.to_lowercase();
            for m in automaton.find_overlapping_iter(&text) {
                let (rank, phrase) = &patterns[m.pattern().as_usize()];
                let starts_word = !phrase.chars().next().is_some_and(spaced_letter)
                    || !text[..m.start()]
                        .chars()
                        .next_back()
                        .is_some_and(spaced_letter);
                if starts_word && best.is_none_or(|(r, _)| *rank < r) {
                    best = Some((*rank, m.pattern().as_usize()));
                    if *rank == 0 {
                        break;
                    }
                }
            }
        }
        match best {
            Some((rank, pattern)) => Classified {
                category: PRIORITY[rank],
                phrase: Some(patterns[pattern].1.clone()),
            },
            None => Classified {
                category: Category::Other,
                phrase: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> (Category, Option<String>) {
        let c = Classifier::default().classify("", text);
        (c.category, c.phrase)
    }

    /// The phrases a buyer used start words, as classification finds them.
    #[test]
    fn phrases_in_finds_what_classification_would() {
        let c = Classifier::default();
        let found = c.phrases_in(
            Category::Shipping,
            "Where is my parcel? Tracking says nothing, chocolate was late-ish.",
        );
        assert!(
            found.contains(&"where is my parcel".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"tracking".to_string()), "{found:?}");
        assert!(
            c.phrases_in(Category::Shipping, "I love chocolate")
                .is_empty()
        );
        assert_eq!(
            c.phrases_in(Category::Shipping, "荷物が届かないです"),
            vec!["届かない".to_string()]
        );
    }

    #[test]
    fn the_shipped_file_parses_with_every_kind_but_other() {
        let raw: BTreeMap<String, BTreeMap<String, Vec<String>>> =
            toml::from_str(DEFAULTS).unwrap();
        for (k, langs) in &raw {
            assert!(Category::parse(k).is_some(), "unknown kind {k}");
            for lang in langs.keys() {
                assert!(
                    ["en", "de", "fr", "es", "it", "ja"].contains(&lang.as_str()),
                    "{k}.{lang}"
                );
            }
        }
        for c in PRIORITY {
            let langs = &raw[c.key()];
            assert_eq!(langs.len(), 6, "{c:?} has every language");
        }
    }

    #[test]
    fn the_cause_wins_over_the_remedy_and_the_reason_is_the_phrase() {
        assert_eq!(
            kind("The lamp arrived damaged. I want a refund."),
            (Category::Shipping, Some("arrived damaged".into()))
        );
        assert_eq!(
            kind("I want to return it, it stopped working"),
            (Category::Quality, Some("stopped working".into()))
        );
        assert_eq!(kind("I would like a refund please").0, Category::Returns);
        assert_eq!(kind("Thanks a lot!").0, Category::Other);
        assert_eq!(kind("Thanks a lot!").1, None);
    }

    #[test]
    fn phrases_start_words_in_spaced_scripts_only() {
        // "late" would be inside "chocolate"; "return" starts "returned".
        assert_eq!(kind("The chocolate was fine").0, Category::Other);
        assert_eq!(kind("I returned it").0, Category::Returns);
        // Japanese has no spaces: a phrase is found inside a sentence.
        assert_eq!(kind("商品がまだ届いていないのですが").0, Category::Shipping);
    }

    #[test]
    fn every_language_is_recognized() {
        assert_eq!(kind("Das Gerät ist defekt").0, Category::Quality);
        assert_eq!(kind("Le produit est défectueux").0, Category::Quality);
        assert_eq!(kind("El producto no funciona").0, Category::Quality);
        assert_eq!(kind("Il prodotto è difettoso").0, Category::Quality);
        assert_eq!(kind("返品したいです").0, Category::Returns);
        assert_eq!(kind("ICH MÖCHTE STORNIEREN").0, Category::Cancellation);
    }

    #[test]
    fn an_override_replaces_one_kind() {
        let mut o = BTreeMap::new();
        o.insert(Category::Packaging, vec!["Bubble Wrap".to_string()]);
        let c = Classifier::with_overrides(&o);
        assert_eq!(
            c.classify("", "not enough bubble wrap").category,
            Category::Packaging
        );
        assert_eq!(
            c.classify("", "the packaging was torn").category,
            Category::Other
        );
        assert_eq!(
            c.classify("", "it is defective").category,
            Category::Quality
        );
    }
}
