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

/// What one run saw: inputs, their bytes, and how many the parser took as sound.
#[derive(Default)]
struct Figures {
    inputs: std::cell::Cell<u64>,
    bytes: std::cell::Cell<u64>,
    sound: std::cell::Cell<u64>,
    /// Messages, rows, ... the inputs held.
    items: std::cell::Cell<u64>,
}

impl Figures {
    fn saw(&self, bytes: usize, sound: bool, items: u64) {
        self.inputs.set(self.inputs.get() + 1);
        self.bytes.set(self.bytes.get() + bytes as u64);
        self.sound.set(self.sound.get() + u64::from(sound));
        self.items.set(self.items.get() + items);
    }
}

/// Runs `test` on inputs drawn from `strategy` (PROPTEST_CASES of them, 256 by default) and
/// prints what the run saw.
fn fuzz<S: Strategy>(
    name: &str,
    items: &str,
    strategy: S,
    test: impl Fn(S::Value, &Figures) -> Result<(), TestCaseError>,
) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let figures = Figures::default();
    let started = std::time::Instant::now();
    if let Err(e) = runner.run(&strategy, |value| test(value, &figures)) {
        panic!("{name}: {e}");
    }
    println!(
        "{name}: {} inputs ({} KiB) in {:.2} s, {} read as sound, {} {items}; no panic",
        figures.inputs.get(),
        figures.bytes.get() / 1024,
        started.elapsed().as_secs_f64(),
        figures.sound.get(),
        figures.items.get(),
    );
}

/// Parses `bytes` as one message: kept whole, whatever came in; `true` when not flagged.
fn mail(bytes: Vec<u8>) -> bool {
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
    m.flags == 0
}

#[test]
fn email_never_panics() {
    let strategy = prop_oneof![
        bytes_or("mail/buyer_inquiry.eml"),
        mutated(fixture("mail/attachment.eml")),
        mutated(fixture("mail/iso_2022_jp.eml")),
        mutated(fixture("mail/hostile.eml")),
    ];
    fuzz("e-mail", "messages", strategy, |bytes, f| {
        let len = bytes.len();
        let sound = mail(bytes);
        f.saw(len, sound, 1);
        Ok(())
    });
}

#[test]
fn mbox_never_panics() {
    fuzz(
        "mbox",
        "messages split out",
        bytes_or("mail/mbox/mixed.mbox"),
        |bytes, f| {
            let (mut n, mut messages, mut sound) = (0, 0, true);
            sellerdesk::import::mbox::split(&bytes[..], |raw, _| {
                n += raw.len();
                messages += 1;
                sound &= mail(raw);
                Ok(())
            })
            .unwrap();
            prop_assert!(n <= bytes.len());
            f.saw(bytes.len(), sound, messages);
            Ok(())
        },
    );
}

#[test]
fn reports_never_panic() {
    let strategy = (
        prop_oneof![
            bytes_or("reports/all_orders.tsv"),
            mutated(fixture("reports/feedback.csv")),
            mutated(fixture("reports/shipping.tsv")),
            mutated(fixture("reports/feedback_report.tsv")),
            mutated(fixture("reports/orders_api.json")),
            mutated(fixture("reports/account_health.json")),
        ],
        0usize..ReportKind::ALL.len(),
    );
    fuzz("reports", "rows read", strategy, |(bytes, kind), f| {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let sniffed = sellerdesk::reports::sniff(&bytes).is_some();
        let mut rows = 0;
        sellerdesk::reports::parse(
            ReportKind::ALL[kind],
            &bytes,
            chrono_tz::UTC,
            now,
            &mut |_| rows += 1,
        );
        f.saw(bytes.len(), sniffed, rows);
        Ok(())
    });
}

#[test]
fn config_and_templates_never_panic() {
    let strategy = prop_oneof![
        bytes_or("../../config.example.toml"),
        proptest::collection::vec(any::<u8>(), 0..512),
    ];
    fuzz(
        "config and templates",
        "templates read",
        strategy,
        |bytes, f| {
            let text = String::from_utf8_lossy(&bytes);
            let config = Config::parse(&text, Path::new("fuzz.toml")).is_ok();
            let template =
                sellerdesk::reply::templates::parse(&text, Path::new("fuzz.toml")).is_ok();
            f.saw(bytes.len(), config, u64::from(template));
            Ok(())
        },
    );
}
