//! Synthetic buyer mail for benchmarks: N realistic messages (1–6 per thread, buyers on
//! marketplace aliases, seller replies with In-Reply-To), in delivery order, written as mbox or
//! Maildir. Deterministic for a given seed; never used for real data.
//!
//! Two styles: [`Style::Plain`], about 1.2 KB of a 42-word vocabulary (cheap to parse and
//! index), and [`Style::Relay`], mail as Amazon's relay delivers it: the Begin/End message
//! block and footer lines, 1–10 paragraphs over a vocabulary of tens of thousands of words with
//! a natural (Zipf) spread, tracking numbers, ASINs and order IDs, the earlier message quoted
//! in replies, about 30% with an HTML alternative part, non-ASCII names; about 1.3 KB on
//! average and far more distinct words for the search index.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

/// What the mail looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Relay,
}

pub struct SynthOptions {
    pub messages: usize,
    pub style: Style,
    pub seed: u64,
    /// The newest message is just before this.
    pub end: DateTime<Utc>,
    /// Threads start over this many days before `end`.
    pub span_days: i64,
    pub seller_address: String,
}

impl SynthOptions {
    pub fn new(messages: usize, end: DateTime<Utc>) -> Self {
        SynthOptions {
            messages,
            style: Style::Plain,
            seed: 0x5e11_e2de_5c00_0001,
            end,
            span_days: 90,
            seller_address: "support@example-shop.test".into(),
        }
    }
}

/// xorshift64*: small, fast, deterministic; quality is plenty for fake mail.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "order",
    "parcel",
    "arrived",
    "broken",
    "refund",
    "replacement",
    "tracking",
    "delivery",
    "please",
    "thank",
    "you",
    "size",
    "colour",
    "listing",
    "return",
    "label",
    "damaged",
    "box",
    "week",
    "still",
    "waiting",
    "item",
    "missing",
    "part",
    "quality",
    "works",
    "not",
    "the",
    "a",
    "my",
    "is",
    "was",
    "and",
    "but",
    "when",
    "will",
    "it",
    "can",
    "I",
    "get",
    "help",
    "today",
];
const NAMES: &[&str] = &[
    "Bob Wilson",
    "Alice Moore",
    "Karin Schulz",
    "Hal Kim",
    "Gina Torres",
    "Carol Dunn",
    "Lucía Fernández",
    "Ivan Petrov",
    "Frank Price",
    "Eve Russo",
    "Dana White",
    "Jonas Becker",
];
const MARKETS: &[&str] = &[
    "amazon.com",
    "amazon.co.uk",
    "amazon.de",
    "amazon.es",
    "amazon.fr",
];

/// Buyers of the relay style: accents, a Japanese and a Greek name among them.
const RELAY_NAMES: &[&str] = &[
    "Bob Wilson",
    "Alice Moore",
    "Karin Schulz",
    "Jürgen Weiß",
    "Lucía Fernández",
    "François Lefèvre",
    "Søren Kierkegård",
    "Zoë Brontë",
    "山田 太郎",
    "佐藤 花子",
    "Νίκος Παπαδόπουλος",
    "Ivan Petrov",
    "Chloé Dubois",
    "Giulia Rossi",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "tor", "sa", "ven", "ri", "du", "pel", "an", "gro", "stu", "fa", "be",
    "lin", "mar", "co", "tis", "hel", "wen", "dra", "ku", "po", "zel", "rest", "ing", "er", "on",
    "ly", "ment", "ble", "ful", "ver", "ab", "un",
];

/// A lexicon of `n` distinct made-up words, most frequent first: the relay style's vocabulary.
fn lexicon(n: usize, rng: &mut Rng) -> Vec<String> {
    let common = [
        "the",
        "a",
        "and",
        "my",
        "is",
        "was",
        "it",
        "not",
        "order",
        "please",
        "thank",
        "you",
        "parcel",
        "arrived",
        "refund",
        "tracking",
        "delivery",
        "item",
        "box",
        "week",
        "still",
        "waiting",
        "broken",
        "damaged",
        "return",
        "replacement",
        "size",
        "colour",
        "quality",
    ];
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = common.iter().map(|w| w.to_string()).collect();
    seen.extend(out.iter().cloned());
    while out.len() < n {
        let parts = 2 + rng.below(3);
        let w: String = (0..parts)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize])
            .collect();
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

/// A word by Zipf's law: rank r about as likely as 1/r.
fn zipf<'a>(words: &'a [String], rng: &mut Rng) -> &'a str {
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let rank = ((words.len() as f64).powf(u) as usize).clamp(1, words.len());
    &words[rank - 1]
}

/// 1–10 paragraphs of sentences from `words`, tracking numbers and ASINs among them.
fn relay_text(rng: &mut Rng, words: &[String], asin: &str) -> String {
    let mut out = String::with_capacity(1024);
    // Mostly one to three paragraphs, now and then up to ten.
    let paragraphs = 1 + (rng.below(100) * rng.below(100) / 2_000).min(9);
    for p in 0..paragraphs {
        if p > 0 {
            out.push_str("\r\n");
        }
        let mut line = 0;
        let sentences = 1 + rng.below(2);
        for _ in 0..sentences {
            let n = 5 + rng.below(10);
            for k in 0..n {
                let w: String = match rng.below(60) {
                    0 => format!("1Z{:016X}", rng.next()),
                    1 => asin.to_string(),
                    _ => zipf(words, rng).to_string(),
                };
                let w = if k == 0 {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                } else {
                    w
                };
                let w = if k + 1 == n { w + "." } else { w };
                push_word(&mut out, &mut line, &w);
            }
        }
        out.push_str("\r\n");
    }
    out
}

const RELAY_FOOTER: &str = "To respond to this customer, reply to this e-mail or visit your \
Seller Central account.\r\n\r\nWas this email helpful?\r\n\r\nCopyright 2026 Amazon, Inc. or \
its affiliates. All rights reserved.\r\n";

/// Threads whose last buyer message is older than this are answered.
const RECENT_SECS: i64 = 3 * 86_400;

struct ThreadPlan {
    index: u64,
    buyer: String,
    alias: String,
    order: String,
    asin: String,
    remaining: u32,
    sent: u32,
    last_id: Option<String>,
    next_at: i64,
    next_from_buyer: bool,
}

fn messages_in_thread(rng: &mut Rng) -> u32 {
    // Mean about 2.6: most buyers write once or twice.
    match rng.below(100) {
        0..30 => 1,
        30..55 => 2,
        55..75 => 3,
        75..87 => 4,
        87..95 => 5,
        _ => 6,
    }
}

/// Appends `w` and a space, or a line break once the line passes 70 bytes.
fn push_word(out: &mut String, line: &mut usize, w: &str) {
    out.push_str(w);
    *line += w.len() + 1;
    if *line > 70 {
        out.push_str("\r\n");
        *line = 0;
    } else {
        out.push(' ');
    }
}

fn body(rng: &mut Rng, target: usize) -> String {
    let mut out = String::with_capacity(target + 80);
    let mut line = 0;
    while out.len() < target {
        let w = WORDS[rng.below(WORDS.len() as u64) as usize];
        push_word(&mut out, &mut line, w);
    }
    out.push_str("\r\n");
    out
}

/// Calls `emit(raw, delivered_at)` for each message, oldest first.
pub fn generate(
    opts: &SynthOptions,
    mut emit: impl FnMut(&[u8], DateTime<Utc>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut rng = Rng(opts.seed | 1);
    let words = match opts.style {
        Style::Plain => Vec::new(),
        Style::Relay => lexicon(40_000, &mut rng),
    };
    let names = match opts.style {
        Style::Plain => NAMES,
        Style::Relay => RELAY_NAMES,
    };
    // The earlier message of each conversation, quoted in the next one (relay style).
    let mut quoted: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
    let span = opts.span_days * 86_400;
    let start = opts.end.timestamp() - span;
    let last = opts.end.timestamp() - 60;
    // At most one new conversation per message written: every round makes progress.
    let mut may_start = true;
    let mut emitted = 0usize;
    let mut started = 0u64;
    let mut active: BinaryHeap<Reverse<(i64, u64)>> = BinaryHeap::new();
    let mut plans: std::collections::HashMap<u64, ThreadPlan> = std::collections::HashMap::new();
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    while emitted < opts.messages {
        // Conversations start at the pace mail is written, so the span fills up to `end`.
        let next_start = (start + (emitted as i64 * span) / opts.messages.max(1) as i64).min(last);
        let take_new = may_start
            && match active.peek() {
                Some(Reverse((at, _))) => next_start < *at,
                None => true,
            };
        if take_new {
            let i = started;
            started += 1;
            let market = MARKETS[rng.below(MARKETS.len() as u64) as usize];
            plans.insert(
                i,
                ThreadPlan {
                    index: i,
                    buyer: names[rng.below(names.len() as u64) as usize].to_string(),
                    alias: format!("b{:013x}@marketplace.{market}", rng.next() >> 12),
                    order: format!(
                        "{:03}-{:07}-{:07}",
                        100 + rng.below(900),
                        rng.below(10_000_000),
                        rng.below(10_000_000)
                    ),
                    asin: format!("B0{:08X}", rng.below(0xFFFF_FFFF)),
                    remaining: messages_in_thread(&mut rng),
                    sent: 0,
                    last_id: None,
                    next_at: (next_start + rng.below(3_600) as i64).min(last),
                    next_from_buyer: true,
                },
            );
            active.push(Reverse((plans[&i].next_at, i)));
            may_start = false;
            continue;
        }
        may_start = true;
        let Reverse((_, i)) = active.pop().expect("peeked");
        let plan = plans.get_mut(&i).expect("active plan");
        if plan.next_at > last {
            // The rest of this conversation would happen after `end`.
            plans.remove(&i);
            continue;
        }
        let at = plan.next_at;
        let date = DateTime::from_timestamp(at, 0).unwrap_or(opts.end);
        let id = format!("synth-{}-{}@sellerdesk.bench", plan.index, plan.sent);
        buf.clear();
        let (from, to) = if plan.next_from_buyer {
            (
                format!("\"{} - Amazon Marketplace\" <{}>", plan.buyer, plan.alias),
                opts.seller_address.clone(),
            )
        } else {
            (
                format!("Example Shop <{}>", opts.seller_address),
                format!("<{}>", plan.alias),
            )
        };
        let subject = if plan.sent == 0 {
            format!(
                "Inquiry from Amazon customer {} (Order: {})",
                plan.buyer, plan.order
            )
        } else {
            format!(
                "RE: Inquiry from Amazon customer {} (Order: {})",
                plan.buyer, plan.order
            )
        };
        write!(
            buf,
            "Return-Path: <bounce@marketplace.amazon.com>\r\nFrom: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{id}>\r\n",
            date.to_rfc2822()
        )?;
        if let Some(parent) = &plan.last_id {
            write!(buf, "In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n")?;
        }
        match opts.style {
            Style::Plain => {
                buf.extend_from_slice(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
                let len = 400 + rng.below(400) as usize;
                let text = body(&mut rng, len);
                write!(
                    buf,
                    "------------- Begin message -------------\r\n\r\n{text}\r\n------------- End message -------------\r\n\r\nOrder ID: {}\r\nASIN: {}\r\n",
                    plan.order, plan.asin
                )?;
            }
            Style::Relay => {
                let own = relay_text(&mut rng, &words, &plan.asin);
                let mut text = format!(
                    "------------- Begin message -------------\r\n\r\n{own}\r\n------------- End message -------------\r\n\r\nOrder ID: {}\r\nASIN: {}\r\n",
                    plan.order, plan.asin
                );
                if let Some(earlier) = quoted.get(&i) {
                    text.push_str("\r\n-----Original message-----\r\n");
                    for l in earlier.lines().take(4) {
                        text.push_str("> ");
                        text.push_str(l.trim_end_matches('\r'));
                        text.push_str("\r\n");
                    }
                }
                text.push_str("\r\n");
                text.push_str(RELAY_FOOTER);
                quoted.insert(i, own);
                if rng.below(10) < 3 {
                    let boundary = format!("=_sd{:x}", rng.next());
                    let html: String = text
                        .split("\r\n\r\n")
                        .map(|p| format!("<p>{}</p>", p.replace('&', "&amp;").replace('<', "&lt;")))
                        .collect::<Vec<_>>()
                        .join("\r\n");
                    write!(
                        buf,
                        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n--{boundary}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<html><body>{html}</body></html>\r\n--{boundary}--\r\n"
                    )?;
                } else {
                    write!(
                        buf,
                        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
                    )?;
                }
            }
        }
        emit(&buf, date)?;
        emitted += 1;
        plan.sent += 1;
        plan.remaining -= 1;
        plan.last_id = Some(id);
        // Sellers answer: a conversation that went quiet days ago ends with their reply. Only
        // the last few days hold unanswered buyers, as in a real inbox.
        if plan.remaining == 0 && plan.next_from_buyer && at < opts.end.timestamp() - RECENT_SECS {
            plan.remaining = 1;
            plan.next_at = at + 600 + rng.below(20 * 3_600) as i64;
            plan.next_from_buyer = false;
            active.push(Reverse((plan.next_at, i)));
            continue;
        }
        if plan.remaining == 0 {
            plans.remove(&i);
            quoted.remove(&i);
        } else {
            plan.next_at = at + 600 + rng.below(40 * 3_600) as i64;
            // Sellers answer most messages; some buyers write twice in a row.
            plan.next_from_buyer = !plan.next_from_buyer || rng.below(4) == 0;
            active.push(Reverse((plan.next_at, i)));
        }
    }
    Ok(())
}

/// Writes an mboxrd file; returns its size in bytes.
pub fn write_mbox(opts: &SynthOptions, path: &Path) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut size = 0u64;
    generate(opts, |raw, at| {
        let sep = format!(
            "From bounce@marketplace.amazon.com {}\n",
            at.format("%a %b %e %H:%M:%S %Y")
        );
        out.write_all(sep.as_bytes())?;
        out.write_all(raw)?;
        out.write_all(b"\n")?;
        size += (sep.len() + raw.len() + 1) as u64;
        Ok(())
    })?;
    out.flush()?;
    Ok(size)
}

/// Writes a Maildir (`cur/`, `new/`, `tmp/`), one file per message.
pub fn write_maildir(opts: &SynthOptions, dir: &Path) -> std::io::Result<u64> {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let mut n = 0u64;
    let mut size = 0u64;
    generate(opts, |raw, at| {
        n += 1;
        let name = format!("{}.M{n}P1.bench:2,S", at.timestamp());
        std::fs::write(dir.join("cur").join(name), raw)?;
        size += raw.len() as u64;
        Ok(())
    })?;
    Ok(size)
}

/// The seller address the synthetic mail is written to and from.
pub fn seller_config(opts: &SynthOptions) -> crate::config::Config {
    crate::config::Config {
        seller_addresses: vec![opts.seller_address.clone()],
        ..crate::config::Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Every message `opts` generates, as the importer receives it, with its delivery time.
    fn generated(opts: &SynthOptions) -> Vec<(crate::import::RawMail, DateTime<Utc>)> {
        let mut out = Vec::new();
        generate(opts, |raw, at| {
            let mail = crate::import::RawMail {
                bytes: raw.to_vec(),
                delivered_at: Some(at),
                source: "synth".into(),
                cut: None,
            };
            out.push((mail, at));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn any_count_is_generated_exactly_and_fills_the_span() {
        let end = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        for n in [1usize, 2, 7, 50, 3_000] {
            let mut count = 0;
            let mut newest = DateTime::<Utc>::MIN_UTC;
            generate(&SynthOptions::new(n, end), |_, at| {
                count += 1;
                newest = newest.max(at);
                Ok(())
            })
            .unwrap();
            assert_eq!(count, n);
            if n >= 3_000 {
                assert!(end - newest < chrono::Duration::days(2), "newest {newest}");
            }
        }
    }

    /// Relay-style mail: Amazon's blocks and footer, a vocabulary far past the plain one's,
    /// HTML alternatives on about 30%, about 1.3 KB on average, and it imports cleanly.
    #[test]
    fn relay_style_looks_like_relay_mail_and_imports_cleanly() {
        let end = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        let opts = SynthOptions {
            style: Style::Relay,
            ..SynthOptions::new(2_000, end)
        };
        let raws: Vec<_> = generated(&opts).into_iter().map(|(raw, _)| raw).collect();
        let text = |r: &crate::import::RawMail| String::from_utf8_lossy(&r.bytes).into_owned();
        let avg = raws.iter().map(|r| r.bytes.len()).sum::<usize>() / raws.len();
        assert!((1150..1450).contains(&avg), "about 1.3 KB each, got {avg}");
        let html = raws
            .iter()
            .filter(|r| text(r).contains("text/html"))
            .count();
        assert!((450..750).contains(&html), "about 30% with HTML: {html}");
        assert!(
            raws.iter().all(|r| text(r).contains("Begin message")
                && text(r).contains("Was this email helpful?"))
        );
        assert!(raws.iter().any(|r| text(r).contains("> ")), "replies quote");
        let distinct: std::collections::HashSet<&str> = raws
            .iter()
            .flat_map(|r| std::str::from_utf8(&r.bytes).unwrap().split_whitespace())
            .collect();
        assert!(distinct.len() > 10_000, "{} distinct words", distinct.len());
        let mut store = crate::store::Store::open_in_memory().unwrap();
        let report =
            crate::import::import_raw(&mut store, &seller_config(&opts), raws, end).unwrap();
        assert_eq!((report.imported, report.flagged), (2_000, 0));
    }

    #[test]
    fn generates_the_requested_number_in_time_order_and_imports_cleanly() {
        let end = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        let opts = SynthOptions::new(500, end);
        let mut raws = Vec::new();
        let mut last = DateTime::<Utc>::MIN_UTC;
        for (raw, at) in generated(&opts) {
            assert!(at >= last && at < end);
            last = at;
            raws.push(raw);
        }
        assert_eq!(raws.len(), 500);
        let avg = raws.iter().map(|r| r.bytes.len()).sum::<usize>() / raws.len();
        assert!((1000..1400).contains(&avg), "about 1.2 KB each, got {avg}");
        let mut store = crate::store::Store::open_in_memory().unwrap();
        let report =
            crate::import::import_raw(&mut store, &seller_config(&opts), raws, end).unwrap();
        assert_eq!((report.imported, report.flagged), (500, 0));
        let threads = store.count(crate::store::health::Table::Threads).unwrap();
        assert!(
            (150..260).contains(&threads),
            "1-6 messages a thread: {threads} threads"
        );
    }
}
