//! Sent replies as standard `.eml` files in the outbox folder: plain-text UTF-8, From the
//! seller, To the buyer's relay address, threaded with In-Reply-To and References. Delivery
//! picks them up from there; a file appears whole or not at all.

use std::fs::DirBuilder;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

/// One reply, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub from_name: String,
    pub from_addr: String,
    pub to_name: Option<String>,
    pub to_addr: String,
    pub subject: String,
    /// Message-IDs without angle brackets.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub body: String,
    pub date: DateTime<Utc>,
    /// Files going with it (a `multipart/mixed` message when there are any).
    pub attachments: Vec<crate::reply::attachments::Outgoing>,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("`{0}` is not a usable e-mail address")]
    Address(String),
    #[error("the reply could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// `Re: subject`, unless it already is a reply.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("re:") {
        s.to_string()
    } else if s.is_empty() {
        "Re: your message".into()
    } else {
        format!("Re: {s}")
    }
}

/// A Message-ID unique to this reply, in the seller's domain.
pub fn new_message_id(from_addr: &str, thread_id: i64, now: DateTime<Utc>) -> String {
    let domain = from_addr.rsplit('@').next().unwrap_or("sellerdesk.invalid");
    let mut h = Sha256::new();
    h.update(thread_id.to_le_bytes());
    h.update(now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes(),
    );
    let digest = h.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("sellerdesk.{}.{hex}@{domain}", now.timestamp())
}

fn mailbox(name: Option<&str>, addr: &str) -> Result<Mailbox, OutboxError> {
    let email = addr
        .parse()
        .map_err(|_| OutboxError::Address(addr.to_string()))?;
    // One line of text: a name with a line break would forge headers.
    let name = name
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|n| !n.trim().is_empty());
    Ok(Mailbox::new(name, email))
}

/// The reply as RFC 5322 bytes, with `message_id` (no angle brackets).
pub fn build(reply: &Reply, message_id: &str) -> Result<Vec<u8>, OutboxError> {
    let mut b = Message::builder()
        .from(mailbox(Some(&reply.from_name), &reply.from_addr)?)
        .to(mailbox(reply.to_name.as_deref(), &reply.to_addr)?)
        .subject(reply.subject.replace(['\r', '\n'], " "))
        .date(reply.date.into())
        .message_id(Some(format!("<{message_id}>")));
    if let Some(parent) = &reply.in_reply_to {
        b = b.in_reply_to(format!("<{parent}>"));
    }
    if !reply.references.is_empty() {
        let refs: Vec<String> = reply.references.iter().map(|r| format!("<{r}>")).collect();
        b = b.references(refs.join(" "));
    }
    let body = reply.body.replace("\r\n", "\n");
    if reply.attachments.is_empty() {
        // lettre adds MIME-Version to multipart messages only; every reader expects it.
        let message = b
            .header(lettre::message::header::MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        return Ok(message.formatted());
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
    for a in &reply.attachments {
        let content_type = ContentType::parse(&with_charset(&a.content_type, &a.bytes))
            .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("valid"));
        parts = parts.singlepart(
            Attachment::new(a.filename.replace(['\r', '\n'], " "))
                .body(a.bytes.clone(), content_type),
        );
    }
    Ok(b.multipart(parts)?.formatted())
}

/// A text attachment's content type with the charset its bytes are in (UTF-8, or the legacy
/// encoding they look like), so that no reader has to guess; other types as they are.
fn with_charset(content_type: &str, bytes: &[u8]) -> String {
    let lower = content_type.to_ascii_lowercase();
    if !lower.starts_with("text/") || lower.contains("charset=") {
        return content_type.to_string();
    }
    let charset = if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        // UTF-16 with its byte-order mark (Excel's and Notepad's "Unicode text"), or UTF-8's.
        encoding.name()
    } else if std::str::from_utf8(bytes).is_ok() {
        "utf-8"
    } else {
        use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
        let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
        detector.feed(bytes, true);
        detector.guess(None, Utf8Detection::Allow).name()
    };
    format!("{content_type}; charset={}", charset.to_ascii_lowercase())
}

/// Creates the outbox folder (0700) if needed.
pub fn ensure_dir(dir: &Path) -> Result<(), OutboxError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| OutboxError::Io {
            path: dir.to_path_buf(),
            error: source,
        })
}

/// A reply written but not yet released to delivery: `publish` makes it `NAME.eml`, dropping
/// it removes it.
pub struct Pending {
    file: tempfile::NamedTempFile,
    target: PathBuf,
}

impl Pending {
    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn publish(self) -> Result<PathBuf, OutboxError> {
        let target = self.target;
        self.file
            .persist_noclobber(&target)
            .map_err(|e| OutboxError::Io {
                path: target.clone(),
                error: e.error,
            })?;
        Ok(target)
    }
}

/// Writes `bytes` into `dir` as a hidden temporary file (0600), to be published as
/// `<stem>.eml`.
pub fn stage(dir: &Path, stem: &str, bytes: &[u8]) -> Result<Pending, OutboxError> {
    ensure_dir(dir)?;
    let io = |source| OutboxError::Io {
        path: dir.to_path_buf(),
        error: source,
    };
    let mut file = tempfile::Builder::new()
        .prefix(".sending-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.as_file().sync_all().map_err(io)?;
    Ok(Pending {
        file,
        target: dir.join(format!("{stem}.eml")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn reply() -> Reply {
        Reply {
            from_name: "Example Shop".into(),
            from_addr: "support@example-shop.test".into(),
            to_name: Some("Bob Wilson".into()),
            to_addr: "t2bb@marketplace.amazon.com".into(),
            subject: "Lamp arrived broken".into(),
            in_reply_to: Some("m2@mail.test".into()),
            references: vec!["m1@mail.test".into(), "m2@mail.test".into()],
            body: "Hello Bob,\n\nSorry — a replacement will arrive by Friday.\n".into(),
            date: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn attachments_make_a_multipart_message_the_importer_reads_back() {
        let mut r = reply();
        r.attachments = vec![crate::reply::attachments::Outgoing {
            filename: "label\r\nBcc: x@y.test.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 return label".to_vec(),
        }];
        let bytes = build(&r, "id2@example-shop.test").unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        assert!(
            parsed
                .body_text(0)
                .unwrap()
                .contains("replacement will arrive")
        );
        assert!(parsed.bcc().is_none(), "a file name cannot add headers");
        let back = crate::reply::attachments::inbound(&bytes);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].bytes, b"%PDF-1.4 return label");
        assert_eq!(back[0].content_type.as_deref(), Some("application/pdf"));
        assert_eq!(
            back[0].filename.as_deref(),
            Some("label  Bcc: x@y.test.pdf")
        );
    }

    #[test]
    fn builds_a_threaded_plain_text_utf8_reply() {
        let bytes = build(&reply(), "id1@example-shop.test").unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.message_id(), Some("id1@example-shop.test"));
        assert_eq!(
            parsed.in_reply_to().as_text_list().unwrap_or_default(),
            vec!["m2@mail.test"]
        );
        assert_eq!(
            parsed.references().as_text_list().unwrap_or_default(),
            vec!["m1@mail.test", "m2@mail.test"]
        );
        assert_eq!(
            parsed.from().unwrap().first().unwrap().address(),
            Some("support@example-shop.test")
        );
        assert_eq!(
            parsed.to().unwrap().first().unwrap().address(),
            Some("t2bb@marketplace.amazon.com")
        );
        assert_eq!(parsed.subject(), Some("Lamp arrived broken"));
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(
            text.contains("content-type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert_eq!(
            parsed.body_text(0).unwrap().replace("\r\n", "\n"),
            reply().body
        );
        // Every message, single part or not, says it is MIME.
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(head.matches("mime-version: 1.0").count(), 1, "{head}");
        let mut with_file = reply();
        with_file.attachments = vec![crate::reply::attachments::Outgoing {
            filename: "a.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF".to_vec(),
        }];
        let text = String::from_utf8_lossy(&build(&with_file, "id2@x").unwrap()).to_lowercase();
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(head.matches("mime-version: 1.0").count(), 1, "{head}");
    }

    #[test]
    fn text_attachments_say_their_charset() {
        assert_eq!(
            with_charset("text/plain", "Grüße".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            with_charset("text/csv", b"sku;qty\n"),
            "text/csv; charset=utf-8"
        );
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Größe: Très élégant, façade");
        assert_eq!(
            with_charset("text/plain", &latin1),
            "text/plain; charset=windows-1252"
        );
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("ご注文ありがとうございます。返品の手順です。");
        assert_eq!(
            with_charset("text/plain", &sjis),
            "text/plain; charset=shift_jis"
        );
        assert_eq!(
            with_charset("text/plain; charset=iso-8859-2", b"x"),
            "text/plain; charset=iso-8859-2"
        );
        assert_eq!(with_charset("application/pdf", b"%PDF"), "application/pdf");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("sku\tqty".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            with_charset("text/plain", &utf16),
            "text/plain; charset=utf-16le"
        );
        // And so does the message built.
        let mut r = reply();
        r.attachments = vec![crate::reply::attachments::Outgoing {
            filename: "steps.txt".into(),
            content_type: "text/plain".into(),
            bytes: "1. Unplug — 2. Wait".as_bytes().to_vec(),
        }];
        let bytes = build(&r, "id3@x").unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        let part = parsed.attachment(0).unwrap();
        use mail_parser::MimeHeaders;
        assert_eq!(
            part.content_type().unwrap().attribute("charset"),
            Some("utf-8")
        );
    }

    #[test]
    fn a_name_with_a_line_break_cannot_add_headers() {
        let mut r = reply();
        r.to_name = Some("Bob\r\nBcc: evil@x.test".into());
        let bytes = build(&r, "id@x").unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.lines().any(|l| l.starts_with("Bcc:")), "{text}");
    }

    #[test]
    fn reply_subjects() {
        assert_eq!(reply_subject("Lamp"), "Re: Lamp");
        assert_eq!(reply_subject("RE: Lamp"), "RE: Lamp");
        assert_eq!(reply_subject(" "), "Re: your message");
    }

    #[test]
    fn staged_files_appear_only_when_published() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("outbox");
        let pending = stage(&out, "a", b"x").unwrap();
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        drop(pending);
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        let path = stage(&out, "a", b"x").unwrap().publish().unwrap();
        assert_eq!(path, out.join("a.eml"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
    }
}
