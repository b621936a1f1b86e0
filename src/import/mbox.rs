//! mbox files, streamed: a 100k-message mailbox is never held in memory at once.
//!
//! Written here rather than taken from mail-parser's `mailbox::mbox`, which starts a new message
//! at every line beginning with "From " — including unescaped ones inside bodies. A separator
//! here must follow a blank line (or start the file) and carry a date, as mbox writers produce.

use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Calls `emit(bytes, delivered_at)` for each message in `reader` (each at most
/// [`MAX_MESSAGE_BYTES`](super::parse::MAX_MESSAGE_BYTES) long).
pub fn split<R: BufRead>(
    reader: R,
    mut emit: impl FnMut(Vec<u8>, Option<DateTime<Utc>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    split_capped(reader, super::parse::MAX_MESSAGE_BYTES, |bytes, at, _| {
        emit(bytes, at)
    })
}

/// Calls `emit(bytes, delivered_at, cut)` for each message in `reader`. A message longer than
/// `cap` bytes is handed on as its first `cap` bytes, with `cut` its whole length: one huge
/// message never fills the memory.
pub fn split_capped<R: BufRead>(
    mut reader: R,
    cap: u64,
    mut emit: impl FnMut(Vec<u8>, Option<DateTime<Utc>>, Option<u64>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    // The whole length of the message being read, kept or not.
    let mut whole = 0u64;
    let cut = |whole: u64, kept: usize| (whole > kept as u64).then_some(whole);
    let mut line = Vec::with_capacity(256);
    // One buffer for every message, each handed on as an exact-size copy: thousands of
    // messages wait in memory between reading and writing, and a buffer grown by doubling
    // holds up to twice its message.
    let mut message = Vec::with_capacity(64 * 1024);
    // Inside a message, and its delivery time from the separator.
    let mut current: Option<Option<DateTime<Utc>>> = None;
    let mut previous_blank = true;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if previous_blank && is_separator(&line) {
            if let Some(at) = current.take() {
                let kept = without_separator_blank(&message);
                emit(kept.to_vec(), at, cut(whole, message.len()))?;
            }
            message.clear();
            whole = 0;
            current = Some(separator_date(&line));
            previous_blank = false;
            continue;
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        let text = match current {
            Some(_) => unescape(&line),
            // Text before the first separator: not an mbox message; keep it as one anyway so
            // nothing is lost (it will be flagged if it does not parse).
            None if !previous_blank => {
                current = Some(None);
                &line[..]
            }
            None => continue,
        };
        whole += text.len() as u64;
        let room = cap.saturating_sub(message.len());
        message.extend_from_slice(&text[..text.len().min(room)]);
    }
    if let Some(at) = current.take() {
        let kept = without_separator_blank(&message);
        emit(kept.to_vec(), at, cut(whole, message.len()))?;
    }
    Ok(())
}

/// mboxrd: a body line `>From ` (any number of `>`) was escaped by one `>` on writing.
fn unescape(line: &[u8]) -> &[u8] {
    let gts = line.iter().take_while(|&&b| b == b'>').count();
    if gts > 0 && line[gts..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    }
}

/// The blank line mbox writers put before the next separator is not part of the message.
fn without_separator_blank(bytes: &[u8]) -> &[u8] {
    if bytes.ends_with(b"\r\n\r\n") {
        &bytes[..bytes.len() - 2]
    } else if bytes.ends_with(b"\n\n") {
        &bytes[..bytes.len() - 1]
    } else {
        bytes
    }
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ") && separator_has_date(line)
}

/// `From sender Sat Jan  3 01:05:34 1996`: the line ends in a time and a year.
fn separator_has_date(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let mut tokens = text.split_whitespace().rev();
    let has_year = tokens
        .clone()
        .take(2)
        .any(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()));
    let has_time = tokens.any(|t| {
        let b = t.as_bytes();
        b.len() >= 5 && b[2] == b':' && b[..2].iter().all(u8::is_ascii_digit)
    });
    has_year && has_time && text.split_whitespace().count() >= 6
}

fn separator_date(line: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(line).ok()?;
    let tokens: Vec<&str> = text.split_whitespace().collect();
    // Last four tokens: month, day, time, year. The weekday before them is ignored: writers
    // get it wrong often enough, and it adds nothing.
    let tail = tokens.get(tokens.len().checked_sub(4)?..)?.join(" ");
    NaiveDateTime::parse_from_str(&tail, "%b %d %H:%M:%S %Y")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(input: &[u8]) -> Vec<(String, Option<DateTime<Utc>>)> {
        let mut out = Vec::new();
        split(input, |b, at| {
            out.push((String::from_utf8(b).unwrap(), at));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn splits_on_separators_with_dates() {
        let m = messages(
            b"From a@x Sat Jan  3 01:05:34 1996\nSubject: one\n\nbody 1\n\nFrom b@y Tue Jul 23 19:39:23 2002\nSubject: two\n\nbody 2\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "Subject: one\n\nbody 1\n");
        assert_eq!(m[1].0, "Subject: two\n\nbody 2\n");
        assert_eq!(m[0].1.unwrap().to_rfc3339(), "1996-01-03T01:05:34+00:00");
    }

    #[test]
    fn unescaped_from_inside_a_body_is_not_a_separator() {
        let m = messages(
            b"From a@x Sat Jan  3 01:05:34 1996\nSubject: one\n\nI wrote:\nFrom now on, please ship faster\n\nFrom the team\nthanks\n",
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].0.contains("From now on"));
        assert!(m[0].0.contains("From the team"));
    }

    #[test]
    fn mboxrd_escapes_are_removed_one_level() {
        let m = messages(
            b"From a@x Sat Jan  3 01:05:34 1996\nS: x\n\n>From here\n>>From there\n> From not\n",
        );
        assert_eq!(m[0].0, "S: x\n\nFrom here\n>From there\n> From not\n");
    }

    #[test]
    fn crlf_mbox() {
        let m = messages(b"From a@x Sat Jan  3 01:05:34 1996\r\nS: 1\r\n\r\nb\r\n\r\nFrom a@x Sat Jan  3 01:05:35 1996\r\nS: 2\r\n\r\nc\r\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "S: 1\r\n\r\nb\r\n");
    }

    #[test]
    fn a_message_within_the_cap_is_not_cut() {
        let input = b"From a@x Sat Jan  3 01:05:34 1996\nS: 1\n\nbody\n\n\
                      From a@x Sat Jan  3 01:05:35 1996\r\nS: 2\r\n\r\nok\r\n\r\n";
        let mut cuts = Vec::new();
        split_capped(&input[..], 1 << 20, |_, _, cut| {
            cuts.push(cut);
            Ok(())
        })
        .unwrap();
        assert_eq!(cuts, [None, None]);
    }

    #[test]
    fn a_message_longer_than_the_cap_is_cut_and_says_how_long_it_was() {
        let input = b"From a@x Sat Jan  3 01:05:34 1996\nS: 1\n\n0123456789\n0123456789\n\n\
                      From a@x Sat Jan  3 01:05:35 1996\nS: 2\n\nok\n";
        let mut out = Vec::new();
        split_capped(&input[..], 12, |b, _, cut| {
            out.push((String::from_utf8(b).unwrap(), cut));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            out,
            [
                ("S: 1\n\n012345".to_string(), Some(29)),
                ("S: 2\n\nok\n".to_string(), None),
            ]
        );
    }

    #[test]
    fn empty_input_has_no_messages() {
        assert!(messages(b"").is_empty());
    }
}
