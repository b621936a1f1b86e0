//! Recognizing a bounce: Amazon's "your message could not be delivered" notice (the buyer
//! opted out, the message broke the messaging guidelines, it came from an address not
//! approved, ...) or a mail server's delivery-status report, for a reply the seller sent.
//!
//! Only mail from a system sender (Amazon's own addresses, mailer-daemon, postmaster, no-reply)
//! is considered: a buyer writing "the parcel could not be delivered" is a shipping complaint,
//! not a bounce.

use crate::domain::message::Bounce;

/// Local parts that never belong to a person.
const SYSTEM_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "donotreply",
    "do-not-reply",
    "no-reply",
    "noreply",
    "seller-notification",
    "seller-notifications",
    "bounce",
    "bounces",
];

/// How a bounce says so, lower-cased, in the marketplaces' languages.
const PHRASES: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "was not delivered",
    "wasn't delivered",
    "not been delivered",
    "message delivery failure",
    "delivery status notification (failure)",
    "undeliverable",
    "was not sent as it did not meet",
    "opted out from receiving",
    "konnte nicht zugestellt werden",
    "wurde nicht zugestellt",
    "unzustellbar",
    "n'a pas pu être remis",
    "n'a pas pu être délivré",
    "non distribuable",
    "no se ha podido entregar",
    "no pudo ser entregado",
    "no se pudo entregar",
    "non è stato possibile consegnare",
    "non recapitabile",
    "配信できませんでした",
    "配信されませんでした",
    "送信できませんでした",
];

/// Where a bounce states its reason, first match wins.
const REASON_MARKERS: &[&str] = &[
    "reason:",
    "grund:",
    "raison :",
    "raison:",
    "motivo:",
    "理由:",
    "理由：",
    "diagnostic-code:",
    "opted out",
    "guidelines",
    "not approved",
    "not authorized",
    "unapproved",
    "too large",
];

fn is_system_sender(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    let local = local.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    if SYSTEM_LOCAL_PARTS
        .iter()
        .any(|p| local == *p || local.starts_with(&format!("{p}+")))
    {
        return true;
    }
    // Amazon's own addresses (not a buyer's relay alias, which lives under marketplace.).
    let amazon = domain.starts_with("amazon.") || domain.contains(".amazon.");
    amazon && !domain.starts_with("marketplace.")
}

/// The message IDs a bounce quotes: the returned message's headers (a `message/rfc822` or
/// `text/rfc822-headers` part, or headers pasted into the text).
fn quoted_ids(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    // Past the bounce's own headers.
    let body_start = text
        .find("\r\n\r\n")
        .or_else(|| text.find("\n\n"))
        .unwrap_or(0);
    let mut ids = Vec::new();
    for line in text[body_start..].lines() {
        let lower = line.trim_start().to_ascii_lowercase();
        if !(lower.starts_with("message-id:")
            || lower.starts_with("in-reply-to:")
            || lower.starts_with("references:"))
        {
            continue;
        }
        let mut rest = line;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let id = rest[open + 1..open + close].trim();
            if id.contains('@') && !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
            rest = &rest[open + close + 1..];
        }
    }
    ids
}

/// The buyer address the bounced message was for, if the bounce names one.
fn recipient(body: &str) -> Option<String> {
    body.split(|c: char| c.is_whitespace() || "<>()[]\"',;".contains(c))
        .map(|w| w.trim_end_matches(['.', ':']))
        .find(|w| {
            w.rsplit_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.to_ascii_lowercase().starts_with("marketplace.amazon.")
            })
        })
        .map(str::to_ascii_lowercase)
}

/// The sentence or line saying why, else the line saying it bounced.
fn reason(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let lower: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    let pick = REASON_MARKERS
        .iter()
        .find_map(|m| lower.iter().position(|l| l.contains(m)))
        .or_else(|| {
            PHRASES
                .iter()
                .find_map(|p| lower.iter().position(|l| l.contains(p)))
        });
    let text = match pick {
        Some(i) => {
            let line = lines[i];
            // "Reason:" alone on its line: the reason is the next one.
            if line.ends_with(':') && i + 1 < lines.len() {
                format!("{line} {}", lines[i + 1])
            } else {
                line.to_string()
            }
        }
        None => "the message could not be delivered".to_string(),
    };
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// A bounce, if this inbound message is one.
pub fn detect(
    from_addr: Option<&str>,
    subject: &str,
    body: &str,
    raw: &[u8],
    is_delivery_report: bool,
) -> Option<Bounce> {
    if !from_addr.is_some_and(is_system_sender) {
        return None;
    }
    let head: String = body.chars().take(4000).collect::<String>().to_lowercase();
    let subject = subject.to_lowercase();
    let says_so = PHRASES
        .iter()
        .any(|p| subject.contains(p) || head.contains(p));
    if !says_so && !is_delivery_report {
        return None;
    }
    Some(Bounce {
        reason: reason(body),
        refers_to: quoted_ids(raw),
        recipient: recipient(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAZON: &str = "Subject: Message Delivery Failure\r\n\
From: Amazon Seller Notification <donotreply@amazon.com>\r\n\r\n\
We're sorry. Your message to t2bb@marketplace.amazon.com could not be delivered.\r\n\r\n\
Reason:\r\n\
This message was not sent as it did not meet the Buyer-Seller Messaging guidelines.\r\n\r\n\
----- Original message -----\r\n\
Message-ID: <sellerdesk.1795000000.abc@example-shop.test>\r\n\
Subject: Re: Inquiry from Amazon customer Bob Wilson\r\n";

    fn body(raw: &str) -> &str {
        raw.split_once("\r\n\r\n").unwrap().1
    }

    #[test]
    fn amazons_notice_with_its_reason_recipient_and_the_quoted_id() {
        let b = detect(
            Some("donotreply@amazon.com"),
            "Message Delivery Failure",
            body(AMAZON),
            AMAZON.as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(
            b.reason,
            "Reason: This message was not sent as it did not meet the Buyer-Seller Messaging guidelines."
        );
        assert_eq!(
            b.refers_to,
            vec!["sellerdesk.1795000000.abc@example-shop.test"]
        );
        assert_eq!(b.recipient.as_deref(), Some("t2bb@marketplace.amazon.com"));
    }

    #[test]
    fn a_buyer_saying_could_not_be_delivered_is_not_a_bounce() {
        assert!(
            detect(
                Some("t2bb@marketplace.amazon.com"),
                "Parcel could not be delivered",
                "The parcel could not be delivered, please help.",
                b"",
                false,
            )
            .is_none()
        );
        assert!(
            detect(Some("news@example.test"), "Undeliverable", "x", b"", true).is_none(),
            "an unknown sender, whatever it says"
        );
    }

    #[test]
    fn other_languages_and_mailer_daemons() {
        let b = detect(
            Some("mailer-daemon@mail.example-shop.test"),
            "Unzustellbar: Ihre Nachricht",
            "Ihre Nachricht an kunde@marketplace.amazon.de konnte nicht zugestellt werden.\n\
             Diagnostic-Code: smtp; 550 5.1.1 user unknown",
            b"",
            false,
        )
        .unwrap();
        assert_eq!(b.reason, "Diagnostic-Code: smtp; 550 5.1.1 user unknown");
        assert_eq!(b.recipient.as_deref(), Some("kunde@marketplace.amazon.de"));
        let b = detect(
            Some("donotreply@amazon.co.jp"),
            "メッセージを配信できませんでした",
            "購入者はメッセージの受信を停止しています。",
            b"",
            false,
        );
        assert!(b.is_some());
        // A delivery-status report counts even in words we do not know.
        assert!(detect(Some("postmaster@example.test"), "Returned", "…", b"", true).is_some());
    }
}
