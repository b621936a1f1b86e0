//! The buyer's language, for the templates offered first: from what they wrote when it is
//! clear, else from the marketplace, else English.

/// Languages the shipped templates are written in.
pub const TEMPLATE_LANGUAGES: [&str; 6] = ["en", "de", "fr", "es", "it", "ja"];

/// The language a marketplace's buyers write by default (`amazon.de` → `de`).
pub fn of_marketplace(marketplace: &str) -> Option<&'static str> {
    let m = marketplace.to_ascii_lowercase();
    let tld = m.trim_start_matches("www.").trim_start_matches("amazon.");
    Some(match tld {
        "de" | "at" => "de",
        "fr" => "fr",
        "es" | "com.mx" => "es",
        "it" => "it",
        "co.jp" | "jp" => "ja",
        "com" | "co.uk" | "ca" | "com.au" | "in" | "sg" | "ie" => "en",
        _ => return None,
    })
}

/// Common short words of each language (lower case): a text using several is in it.
const MARKERS: [(&str, &[&str]); 5] = [
    (
        "en",
        &[
            "the", "and", "is", "my", "it", "not", "you", "have", "with", "please",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "ich", "sie", "mit", "bitte",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "est", "pas", "je", "vous", "avec", "merci",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "los", "y", "es", "no", "mi", "usted", "con", "gracias",
        ],
    ),
    (
        "it",
        &[
            "il", "la", "che", "e", "è", "non", "mi", "lei", "con", "grazie",
        ],
    ),
];

/// The language of `text` when it is clear: Japanese by its script, the others by their
/// common words (at least three, and more than any other language's).
pub fn detect(text: &str) -> Option<&'static str> {
    let kana = text
        .chars()
        .filter(|c| matches!(*c as u32, 0x3040..=0x30FF))
        .count();
    if kana >= 2 {
        return Some("ja");
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut scores: Vec<(&str, usize)> = MARKERS
        .iter()
        .map(|(lang, markers)| {
            (
                *lang,
                words
                    .iter()
                    .filter(|w| markers.contains(&w.as_str()))
                    .count(),
            )
        })
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    match scores.as_slice() {
        [(lang, best), (_, second), ..] if *best >= 3 && best > second => Some(lang),
        _ => None,
    }
}

/// The buyer's language: what `text` is written in, else the marketplace's, else English.
pub fn of_buyer(marketplace: Option<&str>, text: &str) -> &'static str {
    detect(text)
        .or_else(|| marketplace.and_then(of_marketplace))
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wins_over_the_marketplace_and_english_is_the_fallback() {
        assert_eq!(
            of_buyer(
                Some("amazon.de"),
                "Die Kaffeemühle mahlt nicht mehr, ich bin sehr enttäuscht und bitte um Ersatz"
            ),
            "de"
        );
        assert_eq!(
            of_buyer(
                Some("amazon.de"),
                "Hello, the lamp is broken and I would like a new one please"
            ),
            "en"
        );
        assert_eq!(of_buyer(Some("amazon.fr"), "ok"), "fr");
        assert_eq!(of_buyer(Some("amazon.co.jp"), ""), "ja");
        assert_eq!(
            of_buyer(None, "本日商品が届きましたが、箱が潰れていました"),
            "ja"
        );
        assert_eq!(
            of_buyer(
                Some("amazon.com"),
                "El paquete llegó mojado y la manta huele, no es aceptable, gracias"
            ),
            "es"
        );
        assert_eq!(
            of_buyer(
                None,
                "Il prodotto non funziona e la scatola è rotta, grazie"
            ),
            "it"
        );
        assert_eq!(of_buyer(Some("example.org"), "???"), "en");
    }
}
