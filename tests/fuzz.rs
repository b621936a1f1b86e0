//! Every parser that reads a seller's files, fed arbitrary bytes and mutations of real inputs
//! (proptest): e-mail, mbox, the reports (TSV, CSV, JSON), the config and templates. None may
//! panic; a bad input is an error or a flagged message, never a crash.
//!
//! The normal run tries a few hundred inputs per parser; `PROPTEST_CASES=100000 cargo test
//! --release --test fuzz` is the longer run (CONTRIBUTING.md).

use std::path::Path;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use sellerdesk::config::Config;
use sellerdesk::import::RawMail;
use sellerdesk::import::parse::parse_mail;
use sellerdesk::reports::ReportKind;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

/// Real inputs with bytes flipped, cut, or spliced in: closer to the parsers' edge cases than
/// pure noise.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        any::<prop::sample::Index>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(move |(flips, cut, splice)| {
            let mut b = seed.clone();
            for (at, byte) in flips {
                if !b.is_empty() {
                    let i = at.index(b.len());
                    b[i] = byte;
                }
            }
            if !b.is_empty() {
                let i = cut.index(b.len());
                b.splice(i..i, splice);
            }
            b
        })
}

fn bytes_or(seed: &str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        mutated(fixture(seed)),
    ]
}

/// Built once: the classifier's automaton takes a while to build.
fn config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(Config::default)
}

fn mail(bytes: Vec<u8>) {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let m = parse_mail(
        RawMail {
            bytes: bytes.clone(),
            delivered_at: None,
            source: "fuzz".into(),
            cut: None,
        },
        config(),
        now,
    );
    // Whatever came in is kept whole.
    assert_eq!(m.raw, bytes);
    let _ = sellerdesk::reply::attachments::inbound(&bytes);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn email_never_panics(bytes in prop_oneof![
        bytes_or("mail/buyer_inquiry.eml"),
        mutated(fixture("mail/attachment.eml")),
        mutated(fixture("mail/iso_2022_jp.eml")),
        mutated(fixture("mail/hostile.eml")),
    ]) {
        mail(bytes);
    }

    #[test]
    fn mbox_never_panics(bytes in bytes_or("mail/mbox/mixed.mbox")) {
        let mut n = 0;
        sellerdesk::import::mbox::split(&bytes[..], |raw, _| {
            n += raw.len();
            mail(raw);
            Ok(())
        })
        .unwrap();
        prop_assert!(n <= bytes.len());
    }

    #[test]
    fn reports_never_panic(bytes in prop_oneof![
        bytes_or("reports/all_orders.tsv"),
        mutated(fixture("reports/feedback.csv")),
        mutated(fixture("reports/shipping.tsv")),
        mutated(fixture("reports/feedback_report.tsv")),
        mutated(fixture("reports/orders_api.json")),
        mutated(fixture("reports/account_health.json")),
    ], kind in 0usize..ReportKind::ALL.len()) {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let _ = sellerdesk::reports::sniff(&bytes);
        let mut rows = 0;
        sellerdesk::reports::parse(ReportKind::ALL[kind], &bytes, chrono_tz::UTC, now, &mut |_| rows += 1);
    }

    #[test]
    fn config_and_templates_never_panic(bytes in prop_oneof![
        bytes_or("../../config.example.toml"),
        proptest::collection::vec(any::<u8>(), 0..512),
    ]) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Config::parse(&text, Path::new("fuzz.toml"));
        let _ = sellerdesk::reply::templates::parse(&text, Path::new("fuzz.toml"));
    }
}
