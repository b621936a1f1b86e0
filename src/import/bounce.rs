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

/// What RFC 3463's status codes mean, for a report without a Diagnostic-Code.
fn status_meaning(status: &str) -> Option<&'static str> {
    let detail = status.split_once('.')?.1;
    Some(match detail {
        "1.1" => "no such mailbox",
        "1.2" => "no such domain",
        "1.3" => "bad address syntax",
        "1.6" => "mailbox has moved",
        "2.1" => "mailbox disabled",
        "2.2" => "mailbox full",
        "2.3" => "message too large for the mailbox",
        "3.4" => "message too big for the system",
        "4.1" | "4.4" => "no answer from the host",
        "4.7" => "delivery time expired",
        "7.1" => "delivery not authorized, message refused",
        _ => return None,
    })
}

/// What a delivery-status report (RFC 3464) in a message says.
#[derive(Debug, PartialEq, Eq)]
enum Report {
    /// A recipient failed: the `Status` code and the `Diagnostic-Code` text, e.g. "5.1.1 user
    /// unknown".
    Failed(String),
    /// Only delays, relays or deliveries: the message is still on its way (or arrived).
    NotFailed,
    /// No report the message carries could be read.
    None,
}

/// The reason a delivery-status report gives for its first failed recipient.
#[cfg(test)]
fn dsn_reason(raw: &[u8]) -> Option<String> {
    match dsn(raw) {
        Report::Failed(reason) => Some(reason),
        _ => None,
    }
}

fn dsn(raw: &[u8]) -> Report {
    let text = String::from_utf8_lossy(raw);
    let body = text
        .find("\r\n\r\n")
        .or_else(|| text.find("\n\n"))
        .map_or(&text[..], |i| &text[i..]);
    // Fields unfolded (a line starting with blanks continues the one before); a blank line
    // ends a block — the per-message one, then one per recipient.
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in body.lines() {
        let block = blocks.last_mut().expect("one block at least");
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(Vec::new());
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = block.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            block.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        } else {
            block.clear();
        }
    }
    let field = |block: &[(String, String)], name: &str| {
        block
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let is_status = |s: &str| {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let with_status: Vec<&Vec<(String, String)>> = blocks
        .iter()
        .filter(|b| {
            field(b, "status").is_some_and(|s| is_status(s.split_whitespace().next().unwrap_or("")))
        })
        .collect();
    if with_status.is_empty() {
        return Report::None;
    }
    // A recipient failed when its report says so; without an Action, a 5.x.x status is final.
    let failed = |b: &&&Vec<(String, String)>| match field(b, "action") {
        Some(action) => action.eq_ignore_ascii_case("failed"),
        None => field(b, "status").is_some_and(|s| s.starts_with('5')),
    };
    let Some(block) = with_status.iter().find(failed) else {
        return Report::NotFailed;
    };
    let Some(status) =
        field(block, "status").and_then(|s| s.split_whitespace().next().map(str::to_string))
    else {
        return Report::None;
    };
    let reason = match field(block, "diagnostic-code") {
        Some(diagnostic) => {
            // "smtp; 550 5.1.1 <bob@x>: user unknown": the type, the reply code and a repeat of
            // the status say nothing the status does not.
            let text = diagnostic
                .split_once(';')
                .map_or(&diagnostic[..], |(_, t)| t)
                .trim();
            let text = text
                .strip_prefix(|c: char| c.is_ascii_digit())
                .filter(|_| text.len() > 3 && text.as_bytes()[..3].iter().all(u8::is_ascii_digit))
                .map_or(text, |_| text[3..].trim_start_matches(['-', ' ']));
            let text = text.strip_prefix(status.as_str()).unwrap_or(text).trim();
            if text.is_empty() {
                status.clone()
            } else {
                format!("{status} {text}")
            }
        }
        None => match status_meaning(&status) {
            Some(meaning) => format!("{status} {meaning}"),
            None => status.clone(),
        },
    };
    Report::Failed(
        reason
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect(),
    )
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
    let reason = match dsn(raw) {
        Report::Failed(reason) => reason,
        // "Delayed", "relayed", "delivered": not a bounce, whatever its prose says.
        Report::NotFailed => return None,
        Report::None => reason(body),
    };
    Some(Bounce {
        reason,
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

    /// A Postfix bounce: prose first, then the report, then the returned message.
    const POSTFIX: &str = "From: MAILER-DAEMON@mail.example-shop.test (Mail Delivery System)\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\n\
This is the mail system at host mail.example-shop.test.\r\n\r\n\
I'm sorry to have to inform you that your message could not\r\n\
be delivered to one or more recipients.\r\n\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mail.example-shop.test\r\n\
Arrival-Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n\r\n\
Final-Recipient: rfc822; t2bb@marketplace.amazon.com\r\n\
Original-Recipient: rfc822;t2bb@marketplace.amazon.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; inbound.amazon.test\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <t2bb@marketplace.amazon.com>: Recipient address\r\n\t\
    rejected: User unknown\r\n\r\n\
--B\r\nContent-Type: message/rfc822\r\n\r\n\
Message-ID: <sellerdesk.1.abc@example-shop.test>\r\nSubject: Re: x\r\n\r\nHello\r\n--B--\r\n";

    #[test]
    fn a_delivery_status_report_gives_its_status_and_diagnostic() {
        let b = detect(
            Some("MAILER-DAEMON@mail.example-shop.test"),
            "Undelivered Mail Returned to Sender",
            "This is the mail system at host mail.example-shop.test.\n\nI'm sorry to have to \
             inform you that your message could not\nbe delivered to one or more recipients.",
            POSTFIX.as_bytes(),
            true,
        )
        .unwrap();
        assert_eq!(
            b.reason,
            "5.1.1 <t2bb@marketplace.amazon.com>: Recipient address rejected: User unknown"
        );
        assert_eq!(b.refers_to, vec!["sellerdesk.1.abc@example-shop.test"]);
        // Exim's style, and a report without a diagnostic.
        let exim = "Subject: x\n\nReporting-MTA: dns; mx\n\nAction: failed\nFinal-Recipient: \
                    rfc822;b@x\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 mailbox unavailable\n";
        assert_eq!(
            dsn_reason(exim.as_bytes()).unwrap(),
            "5.0.0 mailbox unavailable"
        );
        // Only delayed: the reply is still on its way, not bounced.
        let delayed = "From: MAILER-DAEMON@mx.example-shop.test\r\n\
            Subject: Delayed Mail (still being retried)\r\n\r\n\
            Your message could not be delivered yet; retrying.\r\n\r\n\
            Reporting-MTA: dns; mx\r\n\r\n\
            Final-Recipient: rfc822;t2bb@marketplace.amazon.com\r\n\
            Action: delayed\r\nStatus: 4.4.1\r\n";
        assert_eq!(dsn(delayed.as_bytes()), Report::NotFailed);
        assert!(
            detect(
                Some("MAILER-DAEMON@mx.example-shop.test"),
                "Delayed Mail (still being retried)",
                "Your message could not be delivered yet; retrying.",
                delayed.as_bytes(),
                true,
            )
            .is_none()
        );
        let delayed_then_failed = "Subject: x\n\nReporting-MTA: dns; mx\n\n\
            Final-Recipient: rfc822;a@x\nAction: delayed\nStatus: 4.4.1\n\n\
            Final-Recipient: rfc822;b@x\nAction: failed\nStatus: 5.2.2\n";
        assert_eq!(
            dsn_reason(delayed_then_failed.as_bytes()).unwrap(),
            "5.2.2 mailbox full"
        );
        assert_eq!(dsn_reason(AMAZON.as_bytes()), None);
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
