//! The draft check against a table of drafts (tests/fixtures/compliance/drafts.toml): what
//! Amazon's Communication Guidelines forbid, reworded and in six languages, and clean
//! look-alikes. Prints precision and recall per kind; fails on any row judged wrong.
//!
//! `cargo test --test compliance_table -- --nocapture` shows the table; with
//! `COMPLIANCE_TABLE_MD=path` set it is also written there as markdown.

use std::collections::{BTreeMap, BTreeSet};

use sellerdesk::domain::compliance::{Context, Kind, Severity, check};
use serde::Deserialize;

const TABLE: &str = include_str!("../fixtures/compliance/drafts.toml");
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

/// What the check said about one draft: `(kind key, severity)` per finding.
fn judge(text: &str) -> Vec<(&'static str, Severity)> {
    let findings = check(text, &Context::default());
    for f in &findings {
        assert_eq!(
            &text[f.span()],
            f.text,
            "a finding's span is its text: {text}"
        );
    }
    findings
        .iter()
        .map(|f| {
            let k: Kind = f.kind;
            (k.key(), f.severity)
        })
        .collect()
}

/// Why a row is judged wrong, if it is.
fn wrong(row: &Row, found: &[(&str, Severity)]) -> Option<String> {
    let errors: Vec<&str> = found
        .iter()
        .filter(|f| f.1 == Severity::Error)
        .map(|f| f.0)
        .collect();
    let ok = match row.expect.as_str() {
        "error" => errors.contains(&row.kind.as_str()),
        "warning" => {
            errors.is_empty()
                && found
                    .iter()
                    .any(|f| f.0 == row.kind && f.1 == Severity::Warning)
        }
        "clean" => found.is_empty(),
        other => panic!("unknown expect {other:?}: {}", row.text),
    };
    (!ok).then(|| format!("expected {} {}, found {:?}", row.expect, row.kind, found))
}

#[derive(Default)]
struct Count {
    rows: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

#[test]
fn the_draft_table_is_judged_right() {
    let table: Table = toml::from_str(TABLE).expect("drafts.toml parses");
    assert!(table.draft.len() >= 80, "at least 80 drafts");
    let mut per_kind: BTreeMap<String, Count> = BTreeMap::new();
    let mut per_lang: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in &table.draft {
        assert!(
            LANGUAGES.contains(&row.lang.as_str()),
            "language {}",
            row.lang
        );
        assert!(!row.source.trim().is_empty(), "a source: {}", row.text);
        assert_eq!(
            row.expect == "clean",
            row.kind == "clean",
            "kind and expect agree: {}",
            row.text
        );
        let found = judge(&row.text);
        let predicted: BTreeSet<&str> = found.iter().map(|f| f.0).collect();
        if row.kind != "clean" {
            let c = per_kind.entry(row.kind.clone()).or_default();
            c.rows += 1;
            let hit = match row.expect.as_str() {
                "error" => found
                    .iter()
                    .any(|f| f.0 == row.kind && f.1 == Severity::Error),
                _ => found
                    .iter()
                    .any(|f| f.0 == row.kind && f.1 == Severity::Warning),
            };
            if hit {
                c.tp += 1;
            } else {
                c.fn_ += 1;
            }
        }
        for k in predicted {
            if k != row.kind {
                per_kind.entry(k.to_string()).or_default().fp += 1;
            }
        }
        let l = per_lang
            .entry(LANGUAGES.iter().find(|l| **l == row.lang).unwrap())
            .or_default();
        l.0 += 1;
        if let Some(why) = wrong(row, &found) {
            failures.push(format!(
                "[{}] {}\n    {why}\n    ({})",
                row.lang, row.text, row.source
            ));
        } else {
            l.1 += 1;
        }
    }
    let mut md = String::from(
        "| kind | rows | true pos. | false pos. | false neg. | precision | recall |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (k, c) in &per_kind {
        md.push_str(&format!(
            "| {k} | {} | {} | {} | {} | {} | {} |\n",
            c.rows,
            c.tp,
            c.fp,
            c.fn_,
            ratio(c.tp, c.tp + c.fp),
            ratio(c.tp, c.tp + c.fn_)
        ));
    }
    let clean = table.draft.iter().filter(|r| r.kind == "clean").count();
    md.push_str(&format!(
        "\n{} drafts, {clean} of them clean look-alikes; judged right per language: {}\n",
        table.draft.len(),
        per_lang
            .iter()
            .map(|(l, (n, ok))| format!("{l} {ok}/{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    println!("{md}");
    if let Ok(path) = std::env::var("COMPLIANCE_TABLE_MD") {
        std::fs::write(path, &md).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} of {} drafts judged wrong:\n{}",
        failures.len(),
        table.draft.len(),
        failures.join("\n")
    );
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
