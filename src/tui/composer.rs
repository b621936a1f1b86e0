//! The reply being written: its text (a `ratatui-textarea` editor), what its placeholders are
//! filled with, and when it was last saved. Autosave runs on the loop's clock: at least every
//! two seconds while the seller types, and at every pause.

use chrono::{DateTime, Duration, Utc};
use ratatui_textarea::{TextArea, WrapMode};

use super::theme;
use crate::domain::compliance::{self, Finding, Kind};
use crate::domain::template::{PLACEHOLDER_PATTERN, ReplyContext, unfilled};
use crate::text::safe_text;

/// Longest a typed change waits before it is saved.
pub const AUTOSAVE_EVERY: Duration = Duration::seconds(2);
/// A pause this long saves at once.
pub const AUTOSAVE_PAUSE: Duration = Duration::milliseconds(700);

pub struct Composer {
    pub thread_id: i64,
    pub text: TextArea<'static>,
    /// Values for the placeholders of inserted templates.
    pub context: ReplyContext,
    /// `Bob Wilson <t2bb…@marketplace.amazon.com>`, for the title.
    pub to: String,
    pub subject: String,
    /// The first change not yet saved.
    pub unsaved_since: Option<DateTime<Utc>>,
    pub last_edit: Option<DateTime<Utc>>,
    pub saved_at: Option<DateTime<Utc>>,
    /// The compliance check of the text as it is now (placeholders included).
    pub findings: Vec<Finding>,
    /// The offending texts highlighted besides placeholders.
    highlighted: Vec<String>,
    /// The buyer's language: the picker offers its templates first.
    pub language: &'static str,
    /// The thread's complaint kind and the phrases of it the buyer wrote: the picker offers
    /// the templates for it first.
    pub kind: Option<String>,
    pub buyer_phrases: Vec<String>,
    /// A message the seller starts, not a reply: its reason and the facts its rules need.
    pub proactive: Option<(compliance::Reason, compliance::Proactive)>,
    /// Files going with the reply, as shown: `invoice.pdf (120 KB)`.
    pub attachments: Vec<String>,
    /// The thread has a buyer address to answer.
    pub recipient_known: bool,
    /// Dates filled in for the seller (placeholder, value): commitments its templates filled
    /// and suggestions taken; the send confirmation lists those still in the text.
    pub commitments: Vec<(String, String)>,
}

fn editor(body: &str) -> TextArea<'static> {
    let lines: Vec<String> = safe_text::editable(body)
        .split('\n')
        .map(str::to_string)
        .collect();
    let mut text = TextArea::new(lines);
    text.set_wrap_mode(WrapMode::WordOrGlyph);
    text.set_cursor_line_style(ratatui::style::Style::default());
    // Unfilled placeholders stay highlighted for as long as they are in the text.
    let _ = text.set_search_pattern(PLACEHOLDER_PATTERN);
    text.set_search_style(theme::placeholder());
    // The placeholder Tab selected stands out from the others: typing replaces it.
    text.set_selection_style(theme::selection());
    text
}

impl Composer {
    pub fn new(
        thread_id: i64,
        to: String,
        subject: String,
        context: ReplyContext,
        draft: Option<(&str, DateTime<Utc>)>,
    ) -> Composer {
        let mut text = editor(draft.map(|(b, _)| b).unwrap_or(""));
        text.move_cursor(ratatui_textarea::CursorMove::Bottom);
        text.move_cursor(ratatui_textarea::CursorMove::End);
        let mut c = Composer {
            thread_id,
            text,
            context,
            to,
            subject,
            unsaved_since: None,
            last_edit: None,
            saved_at: draft.map(|(_, at)| at),
            findings: Vec::new(),
            highlighted: Vec::new(),
            language: "en",
            kind: None,
            buyer_phrases: Vec::new(),
            proactive: None,
            attachments: Vec::new(),
            recipient_known: true,
            commitments: Vec::new(),
        };
        c.recheck();
        c
    }

    /// Makes this a message the seller starts for `reason` (checked by those rules).
    pub fn start_proactive(
        &mut self,
        reason: compliance::Reason,
        facts: compliance::Proactive,
        subject: String,
        now: DateTime<Utc>,
    ) {
        self.subject = subject;
        self.proactive = Some((reason, facts));
        self.last_edit = Some(now);
        self.recheck();
    }

    /// Runs the compliance check again and highlights what it found, placeholders always.
    fn recheck(&mut self) {
        let ctx = compliance::Context {
            subject: Some(self.subject.clone()),
            proactive: self.proactive.as_ref().map(|p| p.1.clone()),
            now: self.last_edit.or(self.saved_at),
        };
        self.findings = compliance::check(&self.body(), &ctx);
        let mut texts: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.field == "body" && f.kind != Kind::Placeholder && !f.text.is_empty())
            .map(|f| f.text.clone())
            .collect();
        texts.sort();
        texts.dedup();
        if texts != self.highlighted {
            let mut pattern = PLACEHOLDER_PATTERN.to_string();
            for t in &texts {
                pattern.push('|');
                pattern.push_str(&regex::escape(t));
            }
            let _ = self.text.set_search_pattern(pattern);
            self.highlighted = texts;
        }
    }

    /// The finding the bottom line shows: errors before warnings, in text order.
    pub fn headline(&self) -> Option<(&Finding, usize)> {
        let worst = self
            .findings
            .iter()
            .filter(|f| f.kind != Kind::Placeholder)
            .max_by_key(|f| (f.severity, std::cmp::Reverse(f.start)))?;
        let others = self
            .findings
            .iter()
            .filter(|f| f.kind != Kind::Placeholder)
            .count()
            - 1;
        Some((worst, others))
    }

    pub fn body(&self) -> String {
        self.text.lines().join("\n")
    }

    /// The text changed at `now`.
    pub fn edited(&mut self, now: DateTime<Utc>) {
        self.unsaved_since.get_or_insert(now);
        self.last_edit = Some(now);
        self.recheck();
    }

    /// Inserts `text` at the cursor.
    pub fn insert(&mut self, text: &str, now: DateTime<Utc>) {
        self.text.insert_str(safe_text::editable(text));
        self.edited(now);
    }

    /// Replaces the whole text (back from the external editor).
    pub fn replace(&mut self, body: &str, now: DateTime<Utc>) {
        let ratatui_textarea::DataCursor(row, col) = self.text.cursor();
        self.text = editor(body);
        // The new editor highlights placeholders only: set the rest again.
        self.highlighted.clear();
        self.text.move_cursor(ratatui_textarea::CursorMove::Jump(
            row.min(u16::MAX as usize) as u16,
            col.min(u16::MAX as usize) as u16,
        ));
        self.edited(now);
    }

    /// Unsaved changes that are due: two seconds old, or the seller paused.
    pub fn autosave_due(&self, now: DateTime<Utc>) -> bool {
        match (self.unsaved_since, self.last_edit) {
            (Some(first), Some(last)) => {
                now - first >= AUTOSAVE_EVERY || now - last >= AUTOSAVE_PAUSE
            }
            _ => false,
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.unsaved_since.is_some()
    }

    /// What stops a send before the rules are even asked (placeholders aside): an empty reply,
    /// no address to send from or to, no outbox folder, an attachment that cannot go. The
    /// composer shows it instead of "ready", and `Ctrl-S` says it.
    pub fn blocker(&self, config: &crate::config::Config) -> Option<String> {
        if self.body().trim().is_empty() {
            return Some("the reply is empty".into());
        }
        if config.seller_addresses.is_empty() {
            return Some(
                "no seller address to send from: set [seller] addresses in the config".into(),
            );
        }
        if !self.recipient_known {
            return Some("no buyer address is known for this thread".into());
        }
        if config.delivery.transport == crate::config::delivery::Transport::Folder
            && config.outbox_dir().is_none()
        {
            return Some("no outbox folder: set [store] outbox in the config".into());
        }
        self.attachments
            .iter()
            .find(|a| a.contains(" ✗ "))
            .map(|a| format!("attachment {a}"))
    }

    /// Selects the next placeholder after the cursor (`forward`) or the one before the current
    /// one: typing then replaces it. `false` when the text holds none.
    pub fn select_placeholder(&mut self, forward: bool) -> bool {
        let spans: Vec<(usize, usize, usize)> = self
            .text
            .lines()
            .iter()
            .enumerate()
            .flat_map(|(row, line)| {
                crate::domain::template::placeholder_spans(line)
                    .into_iter()
                    .map(move |(start, end)| (row, start, end))
            })
            .collect();
        if spans.is_empty() {
            return false;
        }
        // From where the cursor is, or where the current selection starts.
        let here = match self.text.selection_range() {
            Some((start, _)) => start,
            None => {
                let ratatui_textarea::DataCursor(row, col) = self.text.cursor();
                (row, col)
            }
        };
        let pick = if forward {
            let at = self.text.selection_range().map_or(here, |(_, end)| end);
            spans
                .iter()
                .find(|(r, s, _)| (*r, *s) >= at)
                .or_else(|| spans.first())
        } else {
            spans
                .iter()
                .rev()
                .find(|(r, s, _)| (*r, *s) < here)
                .or_else(|| spans.last())
        };
        let &(row, start, end) = pick.expect("not empty");
        let jump = |col: usize| {
            ratatui_textarea::CursorMove::Jump(
                row.min(u16::MAX as usize) as u16,
                col.min(u16::MAX as usize) as u16,
            )
        };
        self.text.cancel_selection();
        self.text.move_cursor(jump(start));
        self.text.start_selection();
        self.text.move_cursor(jump(end));
        true
    }

    /// The placeholder the selection covers exactly (`delivery_date`), as Tab selects one.
    pub fn selected_placeholder(&self) -> Option<String> {
        let ((r0, c0), (r1, c1)) = self.text.selection_range()?;
        let line = self.text.lines().get(r0).filter(|_| r0 == r1)?;
        let chosen: String = line.chars().skip(c0).take(c1.saturating_sub(c0)).collect();
        let whole = [(0, chosen.chars().count())];
        if crate::domain::template::placeholder_spans(&chosen) != whole {
            return None;
        }
        let name = unfilled(&chosen).pop()?;
        Some(name.trim_matches(['{', '}']).to_string())
    }

    /// The date the selected placeholder would take with one key, if it is a date.
    pub fn suggestion(&self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<(String, String)> {
        let name = self.selected_placeholder()?;
        let value = crate::domain::template::suggestion(&name, &self.context, now, tz)?;
        Some((name, value))
    }

    /// Puts the suggested date in place of the selected placeholder; `false` when there is
    /// none to take.
    pub fn take_suggestion(&mut self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> bool {
        let Some((name, value)) = self.suggestion(now, tz) else {
            return false;
        };
        // Typing over a selection replaces it; so does this.
        self.text.insert_str(&value);
        let made = (name, value);
        if !self.commitments.contains(&made) {
            self.commitments.push(made);
        }
        self.edited(now);
        true
    }

    /// Placeholders still in the text: each blocks sending.
    pub fn unfilled(&self) -> Vec<String> {
        unfilled(&self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap() + Duration::milliseconds(ms)
    }

    fn composer(draft: Option<&str>) -> Composer {
        Composer::new(
            1,
            "Bob".into(),
            "Re: x".into(),
            ReplyContext::default(),
            draft.map(|d| (d, t(0))),
        )
    }

    #[test]
    fn autosave_every_two_seconds_while_typing_and_at_a_pause() {
        let mut c = composer(None);
        assert!(!c.autosave_due(t(10_000)));
        // Typing steadily every 300 ms: due two seconds after the first unsaved key.
        for ms in (0..=1800).step_by(300) {
            c.edited(t(ms));
            assert!(!c.autosave_due(t(ms + 100)), "{ms}");
        }
        assert!(c.autosave_due(t(2000)));
        c.unsaved_since = None;
        c.edited(t(3000));
        assert!(!c.autosave_due(t(3500)));
        assert!(c.autosave_due(t(3700)), "a pause saves");
    }

    #[test]
    fn a_draft_comes_back_with_the_cursor_at_its_end_and_controls_removed() {
        let c = composer(Some("Hello Bob,\n\x1b[31mthanks"));
        assert_eq!(c.body(), "Hello Bob,\n[31mthanks");
        assert_eq!(c.text.cursor(), (1, 10));
        assert!(!c.is_dirty());
    }

    #[test]
    fn the_check_runs_as_the_text_changes_and_the_worst_finding_leads() {
        let mut c = composer(Some("Hello"));
        assert!(c.headline().is_none());
        c.insert(" 😀 see www.example.net", t(1));
        let (f, others) = c.headline().unwrap();
        assert_eq!(
            (f.kind, f.text.as_str(), others),
            (Kind::Link, "www.example.net", 1)
        );
        assert_eq!(c.highlighted, vec!["www.example.net", "😀"]);
        c.replace("Hello", t(2));
        assert!(c.headline().is_none());
        assert!(c.highlighted.is_empty());
    }

    #[test]
    fn inserting_marks_dirty_and_placeholders_are_listed() {
        let mut c = composer(Some("Hi "));
        c.insert("by {{delivery_date}}\u{7}", t(5));
        assert_eq!(c.body(), "Hi by {{delivery_date}}");
        assert!(c.is_dirty());
        assert_eq!(c.unfilled(), vec!["{{delivery_date}}"]);
    }
}
