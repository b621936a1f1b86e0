//! Text in columns by display width, not characters: a CJK character or an emoji takes two
//! cells, a combining mark none, so `format!("{:<16}")` misaligns every table that shows a
//! Japanese buyer's name.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// At most `max` cells of `s`, cut with `…` when it is longer.
pub fn fit(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if width + w + 1 > max {
            break;
        }
        width += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` in exactly `width` cells: cut with `…`, or padded with spaces.
pub fn pad(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let fill = width.saturating_sub(s.width());
    s + &" ".repeat(fill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_cells_not_characters() {
        assert_eq!(pad("山田 太郎", 10), "山田 太郎 ");
        assert_eq!(pad("山田 太郎", 10).width(), 10);
        assert_eq!(pad("Bob", 5), "Bob  ");
        assert_eq!(
            pad("Zoë\u{301}", 5).width(),
            5,
            "a combining mark takes no cell"
        );
        assert_eq!(pad("👩‍👩‍👧 Family", 6).width(), 6);
        assert_eq!(fit("Karin Schulz", 6), "Karin…");
        assert_eq!(fit("佐藤 花子さま", 6), "佐藤 …");
        assert_eq!(fit("short", 10), "short");
    }
}
