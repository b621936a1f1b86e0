//! The template picker: type to filter, Enter inserts the selected template at the cursor.

use ratatui_textarea::TextArea;

use crate::store::templates::TemplateRow;

pub struct Picker {
    pub query: TextArea<'static>,
    pub selected: usize,
}

impl Default for Picker {
    fn default() -> Self {
        let mut query = TextArea::default();
        query.set_cursor_line_style(ratatui::style::Style::default());
        Picker { query, selected: 0 }
    }
}

impl Picker {
    pub fn query_text(&self) -> String {
        self.query.lines().concat()
    }
}

/// Every word of `query` appears in the template's name, category or language.
pub fn matches(row: &TemplateRow, query: &str) -> bool {
    let t = &row.template;
    let hay = format!(
        "{} {} {}",
        t.name,
        t.category.as_deref().unwrap_or(""),
        t.language
    )
    .to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|w| hay.contains(w))
}

/// The templates the picker shows for `query`: the buyer's `language` first, then English,
/// then the rest, each in list order.
pub fn filtered<'a>(rows: &'a [TemplateRow], query: &str, language: &str) -> Vec<&'a TemplateRow> {
    let mut out: Vec<&TemplateRow> = rows.iter().filter(|r| matches(r, query)).collect();
    out.sort_by_key(|r| {
        let l = r.template.language.as_str();
        if l == language {
            0
        } else if l == "en" {
            1
        } else {
            2
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::Template;

    fn row(name: &str, cat: &str, lang: &str) -> TemplateRow {
        TemplateRow {
            id: 1,
            template: Template {
                name: name.into(),
                category: Some(cat.into()),
                language: lang.into(),
                subject: None,
                body: "x".into(),
            },
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn filters_on_every_word_in_name_category_and_language() {
        let rows = [
            row("Damaged in transit", "shipping", "en"),
            row("Beschädigt", "shipping", "de"),
            row("Refund", "returns", "en"),
        ];
        assert_eq!(filtered(&rows, "", "en").len(), 3);
        assert_eq!(filtered(&rows, "SHIP", "en").len(), 2);
        assert_eq!(filtered(&rows, "ship de", "en").len(), 1);
        assert_eq!(
            filtered(&rows, "dam tran", "en")[0].template.name,
            "Damaged in transit"
        );
        assert!(filtered(&rows, "zzz", "en").is_empty());
    }

    #[test]
    fn the_buyers_language_comes_first_then_english() {
        let rows = [
            row("Refund", "returns", "en"),
            row("Rimborso", "returns", "it"),
            row("Beschädigt", "shipping", "de"),
            row("Damaged", "shipping", "en"),
        ];
        let names = |lang| -> Vec<String> {
            filtered(&rows, "", lang)
                .iter()
                .map(|r| r.template.name.clone())
                .collect()
        };
        assert_eq!(names("de"), ["Beschädigt", "Refund", "Damaged", "Rimborso"]);
        assert_eq!(names("ja"), ["Refund", "Damaged", "Rimborso", "Beschädigt"]);
    }
}
