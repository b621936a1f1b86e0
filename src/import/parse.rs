//! One raw message in, one classified [`IncomingMail`] out. Pure: no IO, `now` injected.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::domain::identifiers::{
    buyer_name_from_display, buyer_name_from_subject, domain_of, find_asins, find_order_id,
    is_buyer_domain, is_no_reply_local_part, marketplace_of, subject_key,
};
use crate::domain::message::{Attachment, Direction, IncomingMail, Role, flags};

/// A message's bytes as a source yielded them, with what the source knows about its delivery.
#[derive(Clone, Debug)]
pub struct RawMail {
    pub bytes: Vec<u8>,
    /// From the mbox `From ` line, the Maildir file name, or the file's mtime.
    pub delivered_at: Option<DateTime<Utc>>,
    pub source: String,
    /// Set when the message was larger than sellerdesk reads ([`MAX_MESSAGE_BYTES`]): its
    /// whole size. `bytes` then holds only its beginning; the whole one stays at `source`.
    pub cut: Option<u64>,
}

/// The most of one message that is read and kept: more than any marketplace allows (Amazon's
/// messaging takes attachments up to 10 MB), and a bound on the import's memory whatever a
/// file holds.
pub const MAX_MESSAGE_BYTES: u64 = 50 << 20;

/// The most of a message's text that is kept as its body (shown, searched): a buyer's
/// message is a few kilobytes; a megabyte is already a book.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Dates before this are absurd for marketplace mail.
const EARLIEST_PLAUSIBLE: i64 = 946_684_800; // 2000-01-01
/// Only so much body is searched for identifiers: they sit near the top of Amazon's mail.
const IDENTIFIER_SCAN_BYTES: usize = 16 * 1024;
/// Text kept from a message that could not be parsed (the raw bytes are kept whole).
const UNPARSEABLE_TEXT_BYTES: usize = 64 * 1024;

pub fn parse_mail(raw: RawMail, config: &Config, now: DateTime<Utc>) -> IncomingMail {
    let mail = MessageParser::default()
        .parse(&raw.bytes)
        .filter(looks_like_mail)
        .map(|message| from_message(&message, &raw, config, now));
    let cut = raw.cut;
    let (mut mail, left_out) = match mail {
        Some((mut mail, left_out)) => {
            mail.raw = raw.bytes;
            mail.source = raw.source;
            (mail, left_out)
        }
        None => (unparseable(raw, now), 0),
    };
    keep_within_limits(&mut mail, cut, left_out);
    mail
}

/// A message larger than sellerdesk keeps is flagged, and its text says what was left out and
/// where the whole message is.
fn keep_within_limits(mail: &mut IncomingMail, cut: Option<u64>, mut left_out: usize) {
    let mut notes = Vec::new();
    if mail.body.len() > MAX_BODY_BYTES {
        let end = floor_char_boundary(&mail.body, MAX_BODY_BYTES);
        left_out += mail.body.len() - end;
        mail.body.truncate(end);
        mail.body.shrink_to_fit();
    }
    if left_out > 0 {
        notes.push(format!(
            "{} more of this text not shown",
            megabytes(left_out as u64)
        ));
    }
    if let Some(whole) = cut {
        notes.push(format!(
            "the message is {}; its first {} were read",
            megabytes(whole),
            megabytes(MAX_MESSAGE_BYTES)
        ));
    }
    if notes.is_empty() {
        return;
    }
    mail.flags |= flags::TRUNCATED;
    mail.body.push_str(&format!(
        "\n\n[sellerdesk: {}; the whole message stays in {}]",
        notes.join("; "),
        mail.source
    ));
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// mail-parser reads headers out of almost anything; without a single header that every
/// e-mail has, the bytes are not a message.
fn looks_like_mail(m: &mail_parser::Message<'_>) -> bool {
    m.from().is_some()
        || m.to().is_some()
        || m.date().is_some()
        || m.subject().is_some()
        || m.message_id().is_some()
}

/// The key of a message without a Message-ID: `sha256:` and the SHA-256 of its bytes with
/// line ends made one (CRLF and a lone CR read as LF). The same message saved by one tool with
/// CRLF (an mbox from Windows, an `.eml` download) and by another with LF (a Maildir) is one
/// message, imported once.
pub fn content_key(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' {
            hasher.update(&bytes[start..i]);
            hasher.update(b"\n");
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    hasher.update(&bytes[start..]);
    let digest = hasher.finalize();
    let mut key = String::with_capacity(7 + 64);
    key.push_str("sha256:");
    for b in digest {
        key.push_str(&format!("{b:02x}"));
    }
    key
}

fn plausible(t: i64, now: DateTime<Utc>) -> bool {
    t >= EARLIEST_PLAUSIBLE && t <= (now + Duration::days(1)).timestamp()
}

fn utc(t: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(t, 0).single()
}

fn unparseable(raw: RawMail, now: DateTime<Utc>) -> IncomingMail {
    let end = raw.bytes.len().min(UNPARSEABLE_TEXT_BYTES);
    let text = String::from_utf8_lossy(&raw.bytes[..end]).into_owned();
    let sent_at = raw
        .delivered_at
        .filter(|d| plausible(d.timestamp(), now))
        .unwrap_or(now);
    IncomingMail {
        key: content_key(&raw.bytes),
        refs: Vec::new(),
        direction: Direction::In,
        role: Role::Other,
        from_addr: None,
        from_name: None,
        to_addr: None,
        buyer_alias: None,
        buyer_name: None,
        marketplace: None,
        subject: "(unparseable message)".into(),
        subject_key: String::new(),
        sent_at,
        delivered_at: raw.delivered_at,
        body: text,
        order_id: None,
        asins: Vec::new(),
        attachments: Vec::new(),
        category: None,
        bounce: None,
        flags: flags::UNPARSEABLE | flags::DATE_FALLBACK | flags::NO_MESSAGE_ID,
        raw: raw.bytes,
        source: raw.source,
    }
}

fn first_addr<'a>(a: Option<&'a Address<'a>>) -> Option<(Option<&'a str>, String)> {
    a?.iter().find_map(|x| {
        x.address()
            .map(|addr| (x.name(), addr.trim().to_ascii_lowercase()))
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let clean = |s: &str| {
        s.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim()
            .to_string()
    };
    match value {
        HeaderValue::Text(t) => vec![clean(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

/// Auto-Submitted (RFC 3834) and the de-facto headers and subjects of auto-responders.
fn is_auto_reply(message: &mail_parser::Message<'_>, subject: &str) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return true;
    }
    if ["X-Autoreply", "X-Autorespond", "X-Autogenerated"]
        .iter()
        .any(|h| header(h).is_some())
    {
        return true;
    }
    if ["Precedence", "X-Precedence"]
        .iter()
        .any(|h| header(h).as_deref() == Some("auto_reply"))
    {
        return true;
    }
    let s = subject.trim_start().to_lowercase();
    [
        "auto:",
        "automatic reply",
        "autoreply",
        "auto-reply",
        "out of office",
        "abwesenheitsnotiz",
        "automatische antwort",
        "respuesta automática",
        "réponse automatique",
        "risposta automatica",
        "自動返信",
        "不在",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

fn from_message(
    message: &mail_parser::Message<'_>,
    raw: &RawMail,
    config: &Config,
    now: DateTime<Utc>,
) -> (IncomingMail, usize) {
    let mut bits = 0u32;
    let subject = message.subject().unwrap_or("").trim().to_string();

    let key = match message
        .message_id()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => id.trim_start_matches('<').trim_end_matches('>').to_string(),
        None => {
            bits |= flags::NO_MESSAGE_ID;
            content_key(&raw.bytes)
        }
    };
    let mut refs = ids(message.in_reply_to());
    let mut references = ids(message.references());
    references.reverse(); // the nearest ancestor last in the header, first here
    for r in references {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    refs.retain(|r| *r != key);

    let delivered_at = raw.delivered_at.or_else(|| {
        message
            .received()
            .and_then(|r| r.date.as_ref())
            .filter(|d| d.is_valid())
            .and_then(|d| utc(d.to_timestamp()))
    });
    let header_date = message
        .date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp())
        .filter(|t| plausible(*t, now))
        .and_then(utc);
    let sent_at = match header_date {
        Some(d) => d,
        None => {
            bits |= flags::DATE_FALLBACK;
            delivered_at
                .filter(|d| plausible(d.timestamp(), now))
                .unwrap_or(now)
        }
    };

    // Kept up to the limit as it is gathered: a huge text is never copied whole.
    let mut body = String::new();
    let mut left_out = 0usize;
    for i in 0..message.text_body_count().max(1) {
        if let Some(text) = message.body_text(i) {
            let text = text.trim_end();
            let separator = if body.is_empty() { "" } else { "\n\n" };
            let room = MAX_BODY_BYTES.saturating_sub(body.len() + separator.len());
            let kept = floor_char_boundary(text, room.min(text.len()));
            if kept > 0 {
                body.push_str(separator);
                body.push_str(&text[..kept]);
            }
            left_out += text.len() - kept;
        }
    }
    if message.html_body_count() > 0 && message.text_bodies().all(|p| p.is_text_html()) {
        bits |= flags::HTML_ONLY;
    }
    if (body.contains('\u{FFFD}') || subject.contains('\u{FFFD}'))
        && !raw.bytes.windows(3).any(|w| w == [0xEF, 0xBF, 0xBD])
    {
        bits |= flags::CHARSET_UNKNOWN;
    }

    let from = first_addr(message.from());
    let to = first_addr(message.to());
    let buyer_recipient = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(|a| a.trim().to_ascii_lowercase())
        .find(|a| domain_of(a).is_some_and(|d| is_buyer_domain(d, &config.buyer_domains)));
    let is_buyer_addr = |a: &str| {
        domain_of(a).is_some_and(|d| is_buyer_domain(d, &config.buyer_domains))
            && !is_no_reply_local_part(a)
    };
    let auto = is_auto_reply(message, &subject);
    let from_addr = from.as_ref().map(|(_, a)| a.clone());
    let from_name = from
        .as_ref()
        .and_then(|(n, _)| n.map(|n| n.trim().to_string()));

    let outbound = from_addr
        .as_deref()
        .is_some_and(|a| config.is_seller_address(a));
    let (direction, mut role, buyer_alias) = if outbound {
        let alias = buyer_recipient.or_else(|| to.as_ref().map(|(_, a)| a.clone()));
        (
            Direction::Out,
            if auto { Role::Auto } else { Role::Seller },
            alias,
        )
    } else {
        let alias = from_addr.clone().filter(|a| is_buyer_addr(a));
        let role = match (auto, alias.is_some()) {
            (true, _) => Role::Auto,
            (false, true) => Role::Buyer,
            (false, false) => Role::Other,
        };
        (Direction::In, role, alias)
    };

    let marketplace = buyer_alias
        .as_deref()
        .and_then(domain_of)
        .filter(|d| is_buyer_domain(d, &config.buyer_domains))
        .map(marketplace_of);
    let buyer_name = match direction {
        Direction::In if buyer_alias.is_some() => {
            from_name.as_deref().and_then(buyer_name_from_display)
        }
        Direction::Out => to
            .as_ref()
            .and_then(|(n, _)| n.and_then(buyer_name_from_display)),
        Direction::In => None,
    }
    .or_else(|| {
        buyer_alias
            .as_ref()
            .and_then(|_| buyer_name_from_subject(&subject))
    });

    let scan = &body[..floor_char_boundary(&body, IDENTIFIER_SCAN_BYTES)];
    let order_id = find_order_id(&subject)
        .or_else(|| find_order_id(scan))
        .map(str::to_string);
    let mut asins = find_asins(&subject);
    for a in find_asins(scan) {
        if !asins.contains(&a) {
            asins.push(a);
        }
    }

    let attachments = message
        .attachments()
        .map(|part| Attachment {
            filename: part.attachment_name().map(str::to_string),
            content_type: part.content_type().map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            }),
            size: part.len() as u64,
        })
        .collect();

    let category = (role == Role::Buyer).then(|| config.classifier.classify(&subject, scan));
    // Cheap for everything else: only a system sender's inbound mail is looked at.
    let bounce = match (direction, role) {
        (Direction::In, Role::Other | Role::Auto) => {
            let report = message.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("multipart")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            });
            super::bounce::detect(from_addr.as_deref(), &subject, &body, &raw.bytes, report)
        }
        _ => None,
    };
    if bounce.is_some() {
        bits |= flags::BOUNCE;
        // A notice about the seller's reply, not an auto-reply to the buyer's message.
        role = Role::Other;
    }

    (
        IncomingMail {
            key,
            refs,
            direction,
            role,
            from_addr,
            from_name,
            to_addr: to.map(|(_, a)| a),
            buyer_alias,
            buyer_name,
            marketplace,
            subject_key: subject_key(&subject),
            subject,
            sent_at,
            delivered_at,
            body,
            order_id,
            asins,
            attachments,
            category,
            bounce,
            flags: bits,
            // Moved in by `parse_mail` once the parsed view of the bytes is dropped.
            raw: Vec::new(),
            source: String::new(),
        },
        left_out,
    )
}

fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    let mut i = at;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
