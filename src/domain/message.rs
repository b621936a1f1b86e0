//! A buyer or seller message as sellerdesk stores it.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// What a message means for the response clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Inbound from a buyer alias: needs a reply within 24 h.
    Buyer,
    /// The seller's own reply: stops the clock.
    Seller,
    /// An auto-reply, either way: never stops (or starts) the clock.
    Auto,
    /// Anything else (Amazon's notices, newsletters): no clock unless the seller opens one.
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Auto => "auto",
            Role::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "buyer" => Role::Buyer,
            "seller" => Role::Seller,
            "auto" => Role::Auto,
            "other" => Role::Other,
            _ => return None,
        })
    }
}

/// Problems found on import, kept as bits on the message.
pub mod flags {
    /// Not parseable as e-mail: stored raw, shown as such.
    pub const UNPARSEABLE: u32 = 1;
    /// Missing or absurd Date: the delivery time was used instead.
    pub const DATE_FALLBACK: u32 = 1 << 1;
    /// A charset could not be decoded: text may contain U+FFFD; the raw bytes are intact.
    pub const CHARSET_UNKNOWN: u32 = 1 << 2;
    /// Informational: only an HTML part, turned into text.
    pub const HTML_ONLY: u32 = 1 << 3;
    /// Informational: no Message-ID, keyed by the SHA-256 of its bytes.
    pub const NO_MESSAGE_ID: u32 = 1 << 4;
    /// A reply the buyer did not get (refused for good, or bounced): it answers nothing, so
    /// the clock of the message it answered runs again.
    pub const UNDELIVERED: u32 = 1 << 5;
    /// A bounce: the notice that a reply of the seller's did not reach the buyer.
    pub const BOUNCE: u32 = 1 << 6;

    /// Larger than sellerdesk keeps: only its beginning was stored (the raw bytes past
    /// `MAX_MESSAGE_BYTES`, or the text past `MAX_BODY_BYTES`); the whole message stays where
    /// it was imported from.
    pub const TRUNCATED: u32 = 1 << 7;

    /// The bits that make a message count as "flagged" in import reports.
    pub const PROBLEMS: u32 = UNPARSEABLE | DATE_FALLBACK | CHARSET_UNKNOWN | TRUNCATED;

    pub fn describe(bits: u32) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (bit, name) in [
            (UNPARSEABLE, "unparseable"),
            (DATE_FALLBACK, "date from delivery time"),
            (CHARSET_UNKNOWN, "unknown charset"),
            (HTML_ONLY, "html only"),
            (NO_MESSAGE_ID, "no message-id"),
            (UNDELIVERED, "not delivered"),
            (BOUNCE, "bounce"),
            (TRUNCATED, "too large: only its beginning kept"),
        ] {
            if bits & bit != 0 {
                out.push(name);
            }
        }
        out
    }
}

/// What a bounce says about the reply it returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounce {
    /// Why, as the bounce puts it (one line).
    pub reason: String,
    /// Message IDs it quotes: the returned reply's among them, when it says.
    pub refers_to: Vec<String>,
    /// The buyer address the returned reply was for, when it names one.
    pub recipient: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: u64,
}

/// A message parsed and classified, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingMail {
    /// Message-ID without angle brackets, or `sha256:<hex>` of the raw bytes.
    pub key: String,
    /// In-Reply-To first, then References (newest first): where this message may belong.
    pub refs: Vec<String>,
    pub direction: Direction,
    pub role: Role,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub to_addr: Option<String>,
    /// The buyer's stable alias (sender of inbound, recipient of outbound mail).
    pub buyer_alias: Option<String>,
    pub buyer_name: Option<String>,
    /// `amazon.de` for a `marketplace.amazon.de` alias.
    pub marketplace: Option<String>,
    pub subject: String,
    /// The subject without reply prefixes, lower-cased (`identifiers::subject_key`).
    pub subject_key: String,
    pub sent_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub body: String,
    pub order_id: Option<String>,
    pub asins: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// A buyer's message: its complaint kind and the phrase that decided it.
    pub category: Option<crate::domain::classify::Classified>,
    /// A bounce of one of the seller's replies.
    pub bounce: Option<Bounce>,
    pub flags: u32,
    pub raw: Vec<u8>,
    /// Where it came from: a file, or `mbox-file#n`.
    pub source: String,
}
