//! The built-in demo inbox (`assets/demo/inbox.toml`): realistic buyer mail dated relative to
//! `now`, rendered as real RFC 5322 messages in their real charsets and imported through the
//! same importer as the seller's own mail, into a throwaway database with the demo's own
//! settings. Nothing here reads the user's config, database or outbox.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::config::Config;
use crate::import::{ImportReport, RawMail, import_raw};
use crate::store::Store;
use crate::store::marks::MarkKind;

mod account;

const INBOX: &str = include_str!("../../assets/demo/inbox.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    seller: DemoSeller,
    thread: Vec<DemoThread>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSeller {
    name: String,
    address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoThread {
    buyer: String,
    alias: String,
    marketplace: String,
    order: Option<String>,
    asin: Option<String>,
    product: Option<String>,
    /// The hand-labelled complaint kind (tests/it/categories.rs checks the phrases find it).
    #[allow(dead_code)]
    kind: String,
    #[serde(default = "english")]
    lang: String,
    #[serde(default = "utf8")]
    charset: String,
    attachment: Option<String>,
    no_response_needed_ago: Option<String>,
    escalation: Option<DemoEscalation>,
    message: Vec<DemoMessage>,
}

/// A case opened about the thread, `ago`, followed up `follow_up` after.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoEscalation {
    ago: String,
    channel: String,
    case_id: String,
    follow_up: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMessage {
    from: String,
    ago: String,
    subject: Option<String>,
    body: String,
}

fn english() -> String {
    "en".into()
}
fn utf8() -> String {
    "utf-8".into()
}

/// `50h`, `3d2h`, `49h58m`, `45m`.
fn parse_ago(s: &str) -> Result<Duration> {
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number
            .parse()
            .with_context(|| format!("bad duration `{s}`"))?;
        number.clear();
        total += match c {
            'd' => Duration::days(n),
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            _ => bail!("bad duration `{s}`"),
        };
    }
    if !number.is_empty() {
        bail!("bad duration `{s}`: a number needs a unit (d, h, m)");
    }
    Ok(total)
}

/// The settings the demo runs with: its own seller, UTC, default thresholds.
pub fn demo_config() -> Config {
    let file: DemoFile = toml::from_str(INBOX).expect("embedded demo inbox parses");
    Config {
        seller_name: file.seller.name,
        seller_addresses: vec![file.seller.address],
        ..Config::default()
    }
}

fn encoded_word(text: &str, charset: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let (label, bytes) = encode(text, charset);
    format!("=?{label}?B?{}?=", B64.encode(bytes))
}

/// The text in the thread's charset, and the label to declare.
fn encode(text: &str, charset: &str) -> (&'static str, Vec<u8>) {
    match charset {
        "iso-2022-jp" => (
            "ISO-2022-JP",
            encoding_rs::ISO_2022_JP.encode(text).0.into_owned(),
        ),
        "shift_jis" => (
            "Shift_JIS",
            encoding_rs::SHIFT_JIS.encode(text).0.into_owned(),
        ),
        _ => ("UTF-8", text.as_bytes().to_vec()),
    }
}

fn wrap_base64(bytes: &[u8]) -> String {
    let encoded = B64.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push_str("\r\n");
    }
    out
}

fn default_subject(t: &DemoThread) -> String {
    let order = t.order.as_deref().unwrap_or("");
    match t.lang.as_str() {
        "de" => format!("Anfrage von Amazon-Kunde {} (Bestellung: {order})", t.buyer),
        "es" => format!(
            "Consulta del cliente de Amazon {} (Pedido: {order})",
            t.buyer
        ),
        "ja" => format!(
            "Amazon.co.jp のお客様 {} からの問い合わせ (注文番号: {order})",
            t.buyer
        ),
        _ => format!("Inquiry from Amazon customer {} (Order: {order})", t.buyer),
    }
}

/// Amazon's relay wraps what the buyer wrote and appends the order's details.
fn relay_body(t: &DemoThread, text: &str) -> String {
    let mut body = format!(
        "------------- Begin message -------------\n\n{}\n\n------------- End message -------------\n\n",
        text.trim_end()
    );
    if let Some(o) = &t.order {
        body.push_str(&format!("Order ID: {o}\n"));
    }
    if let Some(a) = &t.asin {
        body.push_str(&format!("ASIN: {a}\n"));
    }
    if let Some(p) = &t.product {
        body.push_str(&format!("Product: {p}\n"));
    }
    body
}

fn message_id(thread: usize, message: usize) -> String {
    format!("demo-{thread:03}-{message:02}@sellerdesk.demo")
}

/// Renders the demo inbox as raw e-mail, dated relative to `now`.
fn render(file: &DemoFile, now: DateTime<Utc>) -> Result<Vec<RawMail>> {
    let mut out = Vec::new();
    for (ti, t) in file.thread.iter().enumerate() {
        let alias = format!("{}@marketplace.{}", t.alias, t.marketplace);
        let first_subject = t
            .message
            .first()
            .and_then(|m| m.subject.clone())
            .unwrap_or_else(|| default_subject(t));
        let mut ids: Vec<String> = Vec::new();
        for (mi, m) in t.message.iter().enumerate() {
            let at = now - parse_ago(&m.ago)?;
            let (from, to, auto, body) = match m.from.as_str() {
                "buyer" => (
                    format!(
                        "{} - Amazon Marketplace <{alias}>",
                        encoded_word(&t.buyer, &t.charset)
                    ),
                    format!("{} <{}>", file.seller.name, file.seller.address),
                    false,
                    relay_body(t, &m.body),
                ),
                "seller" | "auto" => (
                    format!("{} <{}>", file.seller.name, file.seller.address),
                    format!("{} <{alias}>", encoded_word(&t.buyer, &t.charset)),
                    m.from == "auto",
                    m.body.clone(),
                ),
                "amazon" => (
                    format!("Amazon Seller Central <{}@amazon.com>", t.alias),
                    format!("{} <{}>", file.seller.name, file.seller.address),
                    false,
                    m.body.clone(),
                ),
                // Amazon returning the reply before it (its In-Reply-To names that reply).
                "amazon-bounce" => (
                    "Amazon Seller Notification <donotreply@amazon.com>".to_string(),
                    format!("{} <{}>", file.seller.name, file.seller.address),
                    false,
                    m.body.clone(),
                ),
                other => bail!("demo thread {}: unknown sender `{other}`", ti + 1),
            };
            let subject = match (&m.subject, m.from.as_str(), mi) {
                (Some(s), _, _) => s.clone(),
                (None, "seller", _) => format!("RE: {first_subject}"),
                (None, "amazon-bounce", _) => "Message Delivery Failure".to_string(),
                (None, _, _) => first_subject.clone(),
            };
            let id = message_id(ti, mi);
            let mut raw = format!(
                "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n",
                encoded_word(&subject, &t.charset),
                at.to_rfc2822(),
            );
            if let Some(parent) = ids.last() {
                raw.push_str(&format!("In-Reply-To: <{parent}>\r\n"));
                let refs: Vec<String> = ids.iter().map(|i| format!("<{i}>")).collect();
                raw.push_str(&format!("References: {}\r\n", refs.join(" ")));
            }
            if auto {
                raw.push_str("Auto-Submitted: auto-replied\r\n");
            }
            let (label, text) = encode(&body.replace('\n', "\r\n"), &t.charset);
            let text_part_headers = if label == "ISO-2022-JP" {
                format!(
                    "Content-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: 7bit\r\n"
                )
            } else {
                format!(
                    "Content-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: base64\r\n"
                )
            };
            let text_body = if label == "ISO-2022-JP" {
                String::from_utf8(text).expect("ISO-2022-JP is 7-bit")
            } else {
                wrap_base64(&text)
            };
            match (&t.attachment, m.from.as_str(), mi) {
                (Some(name), "buyer", 0) => {
                    let boundary = format!("=_demo_{ti}_{mi}");
                    raw.push_str(&format!(
                        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
                    ));
                    raw.push_str(&format!(
                        "--{boundary}\r\n{text_part_headers}\r\n{text_body}\r\n"
                    ));
                    raw.push_str(&format!(
                        "--{boundary}\r\nContent-Type: image/jpeg; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                        wrap_base64(&demo_jpeg())
                    ));
                }
                _ => {
                    raw.push_str(&text_part_headers);
                    raw.push_str("\r\n");
                    raw.push_str(&text_body);
                }
            }
            out.push(RawMail {
                bytes: raw.into_bytes(),
                delivered_at: Some(at),
                source: format!("demo:{}", id),
                cut: None,
            });
            ids.push(id);
        }
    }
    Ok(out)
}

/// A small, valid-looking JPEG (SOI, JFIF header, EOI) standing in for a buyer's photo.
fn demo_jpeg() -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ];
    bytes.extend(std::iter::repeat_n(0u8, 2048));
    bytes.extend([0xFF, 0xD9]);
    bytes
}

/// Whether `store` holds the demo inbox (its first message is there): `demo --db PATH` opens
/// such a database again and refuses any other.
pub fn is_demo(store: &Store) -> Result<bool> {
    Ok(store.thread_of_message(&message_id(0, 0))?.is_some())
}

/// Builds the demo inbox in a fresh database at `path`.
pub fn build(path: &Path, now: DateTime<Utc>) -> Result<(Store, ImportReport)> {
    let file: DemoFile = toml::from_str(INBOX).context("embedded demo inbox")?;
    let config = demo_config();
    let mut store = Store::open(path)?;
    let report = import_raw(&mut store, &config, render(&file, now)?, now)?;
    for (ti, t) in file.thread.iter().enumerate() {
        if let Some(ago) = &t.no_response_needed_ago {
            let thread_id: i64 = store
                .thread_of_message(&message_id(ti, 0))?
                .context("demo thread")?;
            store.mark(thread_id, MarkKind::NoResponseNeeded, now - parse_ago(ago)?)?;
        }
        if let Some(e) = &t.escalation {
            let thread_id: i64 = store
                .thread_of_message(&message_id(ti, 0))?
                .context("demo thread")?;
            let channel = crate::store::follow_ups::EscalationChannel::ALL
                .into_iter()
                .find(|c| c.key() == e.channel)
                .with_context(|| format!("demo escalation channel {}", e.channel))?;
            let at = now - parse_ago(&e.ago)?;
            store.escalate(
                thread_id,
                channel,
                &e.case_id,
                at + parse_ago(&e.follow_up)?,
                at,
                config.timezone,
            )?;
        }
    }
    // The order side: the threads' orders, bought four days before their buyer first wrote.
    let mut orders = Vec::new();
    for t in &file.thread {
        let (Some(order_id), Some(first)) = (t.order.as_deref(), t.message.first()) else {
            continue;
        };
        // Amazon's notices about an order are not the order: its buyer's thread says more.
        if orders
            .iter()
            .any(|o: &account::ThreadOrder<'_>| o.order_id == order_id)
        {
            continue;
        }
        orders.push(account::ThreadOrder {
            order_id,
            marketplace: &t.marketplace,
            product: t.product.as_deref(),
            asin: t.asin.as_deref(),
            bought: parse_ago(&first.ago)? + Duration::days(4),
        });
    }
    for outcome in store.write_records(&account::records(now, &orders))? {
        if let Err(e) = outcome {
            bail!("demo order records: {e}");
        }
    }
    store.index_all_messages()?;
    Ok((store, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_ago("50h").unwrap(), Duration::hours(50));
        assert_eq!(parse_ago("3d2h").unwrap(), Duration::hours(74));
        assert_eq!(
            parse_ago("49h58m").unwrap(),
            Duration::minutes(49 * 60 + 58)
        );
        assert!(parse_ago("5").is_err());
        assert!(parse_ago("5x").is_err());
    }
}
