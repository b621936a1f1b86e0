//! Amazon identifiers found in buyer mail: order IDs, ASINs, marketplaces, buyer names.

use regex::Regex;
use std::sync::LazyLock;

/// Names Amazon puts in subjects: "Inquiry from Amazon customer Bob W. (Order: ...)",
/// "Anfrage von Amazon-Kunde ...", "Consulta del cliente de Amazon ...", "Amazon.co.jp のお客様 ...".
static NAME_IN_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:amazon customer|amazon-kunden?|amazon-kundin|cliente de amazon|client amazon|cliente amazon|お客様)\s*[:：]?\s*(?P<name>[^()（）:\r\n]+?)\s*(?:[(（]|からの|$)",
    )
    .unwrap()
});
/// Display-name decorations added by Amazon's relay.
static NAME_DECORATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*[-–—]?\s*(?:via\s+)?(?:amazon(?:\.[a-z.]+)?\s+marketplace|marketplace|amazon)\s*$",
    )
    .unwrap()
});
static REPLY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:(?:re|aw|fw|fwd|wg|sv|vs|antw|rv|r|tr|res|ré|返信|転送)\s*(?:\[\d+\])?\s*[:：]\s*)+")
        .unwrap()
});

/// The first 3-7-7 order ID in `text`, not part of a longer run of digits and dashes.
// Byte scans rather than regexes: they run over every imported message, and capturing regexes
// with boundaries took a tenth of the parser thread.
pub fn find_order_id(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let joins = |c: u8| c.is_ascii_digit() || c == b'-';
    (0..b.len().saturating_sub(18))
        .find(|&i| {
            (i == 0 || !joins(b[i - 1]))
                && order_id_bytes(&b[i..i + 19])
                && b.get(i + 19).is_none_or(|&c| !joins(c))
        })
        // The 19 bytes are ASCII, so both ends are character boundaries.
        .map(|i| &text[i..i + 19])
}

fn order_id_bytes(b: &[u8]) -> bool {
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            3 | 11 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

pub fn is_order_id(text: &str) -> bool {
    order_id_bytes(text.as_bytes())
}

/// The product named on a `Product:` line, as Amazon's relay writes one above the buyer's text.
pub fn find_product_line(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let l = l.trim();
        l.get(..8)
            .filter(|p| p.eq_ignore_ascii_case("product:"))
            .map(|_| l[8..].trim())
            .filter(|p| !p.is_empty())
    })
}

/// Every distinct ASIN (`B0` + 8 upper-case letters or digits, standing alone) in `text`, in
/// order of appearance.
pub fn find_asins(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric();
    let mut out: Vec<String> = Vec::new();
    // Jumping from "B0" to "B0" (memchr's vectorized substring search) rather than testing
    // every byte: this runs over every imported message, and std's `match_indices` (Two-Way)
    // was 4% of the parsers' time.
    let mut next = 0;
    for i in memchr::memmem::find_iter(b, b"B0") {
        if i < next || i + 10 > b.len() {
            continue;
        }
        let hit = (i == 0 || !word(b[i - 1]))
            && b[i + 2..i + 10]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b.get(i + 10).is_none_or(|&c| !word(c));
        if hit {
            let asin = &text[i..i + 10];
            if !out.iter().any(|a| a == asin) {
                out.push(asin.to_string());
            }
            next = i + 10;
        }
    }
    out
}

/// `true` when `domain` is a marketplace buyer-alias domain (`marketplace.amazon.com`,
/// `marketplace.amazon.co.uk`, ...) or one of the extra `buyer_domains`.
pub fn is_buyer_domain(domain: &str, extra: &[String]) -> bool {
    let d = domain.to_ascii_lowercase();
    d.starts_with("marketplace.amazon.") || extra.iter().any(|x| x.eq_ignore_ascii_case(&d))
}

/// `amazon.de` for `...@marketplace.amazon.de`; the bare domain for other buyer domains.
pub fn marketplace_of(domain: &str) -> String {
    let d = domain.to_ascii_lowercase();
    d.strip_prefix("marketplace.")
        .map(str::to_string)
        .unwrap_or(d)
}

pub fn domain_of(address: &str) -> Option<&str> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// Relay mailboxes that are never a buyer (`donotreply@...`).
pub fn is_no_reply_local_part(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("").to_ascii_lowercase();
    [
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "mailer-daemon",
        "postmaster",
    ]
    .iter()
    .any(|p| local.starts_with(p))
}

/// The buyer's name from the sender's display name ("Bob W. - Amazon Marketplace").
pub fn buyer_name_from_display(display: &str) -> Option<String> {
    let trimmed = NAME_DECORATION.replace(display.trim(), "");
    let name = trimmed.trim().trim_matches('"').trim();
    (!name.is_empty() && !name.contains('@')).then(|| name.to_string())
}

/// The buyer's name from an Amazon-style subject.
pub fn buyer_name_from_subject(subject: &str) -> Option<String> {
    NAME_IN_SUBJECT
        .captures(subject)
        .and_then(|c| c.name("name"))
        .map(|m| m.as_str().trim().to_string())
        .filter(|n| !n.is_empty())
}

/// The subject without reply/forward prefixes, lower-cased, whitespace collapsed: the key for
/// grouping a buyer's mail when no header links it.
pub fn subject_key(subject: &str) -> String {
    let stripped = REPLY_PREFIX.replace(subject, "");
    stripped
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scans agree with the regexes they replaced, on any text.
    mod same_as_the_regexes {
        use super::*;
        use proptest::prelude::*;

        fn regex_order(t: &str) -> Option<&str> {
            static R: LazyLock<Regex> = LazyLock::new(|| {
                Regex::new(r"(?:^|[^\d-])(\d{3}-\d{7}-\d{7})(?:$|[^\d-])").unwrap()
            });
            R.captures(t).and_then(|c| c.get(1)).map(|m| m.as_str())
        }

        fn regex_asins(t: &str) -> Vec<String> {
            static R: LazyLock<Regex> = LazyLock::new(|| {
                Regex::new(r"(?:^|[^0-9A-Za-z])(B0[0-9A-Z]{8})(?:$|[^0-9A-Za-z])").unwrap()
            });
            let mut out: Vec<String> = Vec::new();
            let mut pos = 0;
            while let Some(c) = R.captures_at(t, pos) {
                let m = c.get(1).unwrap();
                if !out.iter().any(|a| a == m.as_str()) {
                    out.push(m.as_str().to_string());
                }
                pos = m.end();
            }
            out
        }

        proptest! {
            #[test]
            fn order_ids(t in "([0-9-]{0,4}|[a-zé ]{0,3}|123-4567890-1234567){0,6}") {
                prop_assert_eq!(find_order_id(&t), regex_order(&t));
            }

            #[test]
            fn asins(t in "(B0[0-9A-Z]{6,9}|[a-zA-Z0-9 ü]{0,3}|B0ABCDEFGH){0,6}") {
                prop_assert_eq!(find_asins(&t), regex_asins(&t));
            }

            #[test]
            fn never_panic(t in any::<String>()) {
                let _ = (find_order_id(&t), find_asins(&t));
            }
        }
    }

    #[test]
    fn product_lines() {
        assert_eq!(
            find_product_line("Order ID: 1\nproduct:  Brass lamp \n\nHi"),
            Some("Brass lamp")
        );
        assert_eq!(find_product_line("Product:\nProducts: x\nLäm"), None);
    }
    use proptest::prelude::*;

    #[test]
    fn finds_order_ids_only_in_3_7_7_form() {
        assert_eq!(
            find_order_id("Order: 111-0000002-0000002)"),
            Some("111-0000002-0000002")
        );
        assert_eq!(find_order_id("id 1111-0000002-0000002"), None);
        assert_eq!(find_order_id("id 111-0000002-00000021"), None);
        assert_eq!(
            find_order_id("Bestellnummer:302-1234567-7654321."),
            Some("302-1234567-7654321")
        );
        assert!(is_order_id("111-0000002-0000002"));
        assert!(!is_order_id("111-000002-00000002"));
    }

    #[test]
    fn finds_distinct_asins() {
        assert_eq!(
            find_asins("ASIN: B0FIXT0001, also B0FIXT0002 and B0FIXT0001; not XB0FIXT0003"),
            vec!["B0FIXT0001", "B0FIXT0002"]
        );
        assert!(find_asins("b0fixt0001").is_empty());
    }

    #[test]
    fn recognizes_marketplace_aliases() {
        assert!(is_buyer_domain("marketplace.amazon.co.uk", &[]));
        assert!(is_buyer_domain("Marketplace.Amazon.DE", &[]));
        assert!(!is_buyer_domain("amazon.com", &[]));
        assert!(is_buyer_domain(
            "buyers.example",
            &["buyers.example".into()]
        ));
        assert_eq!(marketplace_of("marketplace.amazon.co.jp"), "amazon.co.jp");
    }

    #[test]
    fn buyer_names_from_display_and_subject() {
        assert_eq!(
            buyer_name_from_display("Bob Wilson - Amazon Marketplace").as_deref(),
            Some("Bob Wilson")
        );
        assert_eq!(
            buyer_name_from_display("\"Jürgen Müller\" - Marketplace").as_deref(),
            Some("Jürgen Müller")
        );
        assert_eq!(buyer_name_from_display("Amazon Marketplace"), None);
        assert_eq!(
            buyer_name_from_subject(
                "Inquiry from Amazon customer Bob W. (Order: 111-0000002-0000002)"
            )
            .as_deref(),
            Some("Bob W.")
        );
        assert_eq!(
            buyer_name_from_subject(
                "Anfrage von Amazon-Kunde Jürgen Müller (Bestellung: 302-1234567-7654321)"
            )
            .as_deref(),
            Some("Jürgen Müller")
        );
        assert_eq!(buyer_name_from_subject("Where is my parcel?"), None);
    }

    #[test]
    fn subject_keys_ignore_reply_prefixes() {
        assert_eq!(
            subject_key("RE: AW:  Where is   my order"),
            "where is my order"
        );
        assert_eq!(subject_key("Where is my order"), "where is my order");
        assert_eq!(subject_key("Fwd: Re[2]: Hello"), "hello");
    }

    proptest! {
        #[test]
        fn extractors_never_panic(s in "\\PC*") {
            let _ = find_order_id(&s);
            let _ = find_asins(&s);
            let _ = buyer_name_from_subject(&s);
            let _ = buyer_name_from_display(&s);
            let _ = subject_key(&s);
        }

        #[test]
        fn every_generated_order_id_is_found(a in 0u32..1000, b in 0u32..10_000_000, c in 0u32..10_000_000) {
            let id = format!("{a:03}-{b:07}-{c:07}");
            prop_assert!(is_order_id(&id));
            let text = format!("Your order {id} has shipped");
            prop_assert_eq!(find_order_id(&text), Some(id.as_str()));
        }
    }
}
