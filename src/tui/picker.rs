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

/// The templates whose name, kind or language hold every word of `query`, in list order (the
/// picker then ranks them for the thread: `domain::template_fit`).
pub fn filtered<'a>(rows: &'a [TemplateRow], query: &str) -> Vec<&'a TemplateRow> {
    rows.iter().filter(|r| matches(r, query)).collect()
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
        assert_eq!(filtered(&rows, "").len(), 3);
        assert_eq!(filtered(&rows, "SHIP").len(), 2);
        assert_eq!(filtered(&rows, "ship de").len(), 1);
        assert_eq!(
            filtered(&rows, "dam tran")[0].template.name,
            "Damaged in transit"
        );
        assert!(filtered(&rows, "zzz").is_empty());
    }
}
