//! The draft check against a table of drafts (tests/fixtures/compliance/drafts.toml): what
//! Amazon's Communication Guidelines forbid, reworded and in six languages, and clean
//! look-alikes.
//!
//! `cargo test --test compliance_table -- --nocapture` shows the table; with
//! `COMPLIANCE_TABLE_MD=path` set it is also written there as markdown.

use serde::Deserialize;

const TABLE: &str = include_str!("fixtures/compliance/drafts.toml");
const LANGUAGES: [&str; 6] = ["en", "de", "fr", "es", "it", "ja"];

#[derive(Deserialize)]
struct Table {
    draft: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    lang: String,
    kind: String,
    expect: String,
    text: String,
    source: String,
}

/// The table covers every kind a draft can break, in each of the six languages, with clean
/// look-alikes in each.
#[test]
fn the_table_covers_every_kind_in_every_language() {
    let table: Table = toml::from_str(TABLE).expect("drafts.toml parses");
    assert!(table.draft.len() >= 80, "at least 80 drafts");
    for kind in [
        "review_incentive",
        "review_change",
        "off_amazon",
        "marketing",
        "link",
        "secure_link",
        "phone_number",
        "email_address",
        "clean",
    ] {
        for lang in LANGUAGES {
            assert!(
                table.draft.iter().any(|r| r.kind == kind && r.lang == lang),
                "no {kind} draft in {lang}"
            );
        }
    }
    for row in &table.draft {
        assert!(
            ["error", "warning", "clean"].contains(&row.expect.as_str()),
            "{}",
            row.text
        );
        assert!(!row.source.trim().is_empty(), "a source: {}", row.text);
    }
}
