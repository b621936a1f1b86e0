//! Buyer-controlled text is untrusted: before it reaches a terminal every control character,
//! C1 control and bidi override is replaced by a visible stand-in, so no byte a buyer wrote can
//! move the cursor, set the clipboard (OSC 52), make links (OSC 8) or reorder what is shown.

use std::borrow::Cow;

fn needs_replacing(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        _ => is_invisible_format(c),
    }
}

/// Bidi embeddings/overrides/isolates and marks that can disguise text. ZWJ (U+200D) stays:
/// emoji sequences need it.
pub fn is_bidi_control(c: char) -> bool {
    is_invisible_format(c)
}

fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        // U+2400 block: ␀ ␁ ... ␛ ... ␟, and ␡ for DEL.
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
        '\u{7f}' => out.push('\u{2421}'),
        _ => {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        }
    }
}

fn sanitize(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_replacing(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_replacing(c, keep_newlines) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of untrusted text (a name, a subject): every control made visible, newlines too.
pub fn line(s: &str) -> Cow<'_, str> {
    sanitize(s, false)
}

/// A path from the command line, the config or a folder listing, as one safe line: a file
/// name may hold any byte but `/` and NUL.
pub fn path(p: &std::path::Path) -> String {
    line(&p.display().to_string()).into_owned()
}

/// A block of untrusted text (a message body): newlines and tabs kept, other controls visible.
pub fn block(s: &str) -> Cow<'_, str> {
    let s = if s.contains('\r') {
        Cow::Owned(s.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(s)
    };
    match sanitize(&s, true) {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// Text the seller edits and sends (a draft back from the database or the editor, a template):
/// lines and tabs kept, every other control and bidi override removed — in a message they
/// would be invisible garbage, on screen an attack.
pub fn editable(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|&c| !needs_replacing(c, true))
        .collect()
}

/// JSON is escaped by serde for C0 controls; C1 controls and bidi marks pass through as UTF-8,
/// which some terminals still act on. Escape them too (`\u009b`): outside strings JSON is ASCII,
/// so this rewrite only ever touches string contents and the document means the same.
pub fn json(serialized: String) -> String {
    if !serialized
        .chars()
        .any(|c| matches!(c, '\u{7f}'..='\u{9f}') || is_invisible_format(c))
    {
        return serialized;
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}') || is_invisible_format(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(line("A\x1b[2JB"), "A␛[2JB");
        assert_eq!(line("bell\x07"), "bell␇");
        assert_eq!(line("a\nb\tc"), "a␊b␉c");
        assert_eq!(line("csi\u{9b}31m"), "csi⟨U+009B⟩31m");
        assert_eq!(line("evil\u{202e}txt.exe"), "evil⟨U+202E⟩txt.exe");
    }

    #[test]
    fn blocks_keep_lines() {
        assert_eq!(block("a\r\nb\x1b]52;c;AAAA\x07"), "a\nb␛]52;c;AAAA␇");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(line("Jürgen 山田 👩‍👩‍👧"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_c1_and_bidi() {
        let v = serde_json::to_string(&"x\u{9b}y\u{202e}z\x1b").unwrap();
        let safe = json(v);
        assert!(!safe.chars().any(|c| c.is_control()));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "x\u{9b}y\u{202e}z\x1b");
    }

    #[test]
    fn editable_text_loses_controls_and_keeps_lines() {
        assert_eq!(
            editable("Hi\r\n\x1b[2Jthere\u{202e}\tok"),
            "Hi\n[2Jthere\tok"
        );
    }

    proptest! {
        #[test]
        fn output_has_no_control_characters(s in any::<String>()) {
            prop_assert!(!editable(&s).chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible_format(c)));
            prop_assert!(!line(&s).chars().any(|c| c.is_control() || is_invisible_format(c)));
            prop_assert!(!block(&s).chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible_format(c)));
        }
    }
}
