//! Several threads at once: `Space` picks the selected thread, `*` every thread on screen; with
//! threads picked, "no response needed", a complaint kind or a snooze acts on all of them after
//! one confirmation that says how many and which.

use super::{App, Confirm, Effect, Focus, KindChoice, Modal, Prompt, PromptPurpose};
use crate::tui::action::Action;

/// Names listed in a confirmation before "and N more".
const NAMED: usize = 6;

impl App {
    /// The picked threads, oldest pick order aside: as the list shows them.
    pub fn picked_threads(&self) -> Vec<i64> {
        self.picked.iter().copied().collect()
    }

    /// "3 threads: Karin Schulz · order …; Bob Wilson · order …": how many and which.
    pub fn picked_label(&self) -> String {
        let ids = self.picked_threads();
        let mut names: Vec<String> = ids
            .iter()
            .take(NAMED)
            .map(|&id| self.thread_label(id))
            .collect();
        if ids.len() > NAMED {
            names.push(format!("and {} more", ids.len() - NAMED));
        }
        format!(
            "{} thread{}: {}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            names.join("; ")
        )
    }

    /// The rows the list shows now (the window the view draws).
    fn visible_ids(&self) -> Vec<i64> {
        let height = self.page_height.max(1);
        let first = self
            .selected
            .saturating_sub(height.saturating_sub(1))
            .max(self.offset);
        self.rows
            .iter()
            .skip(first.saturating_sub(self.offset) as usize)
            .take(height as usize)
            .map(|r| r.id)
            .collect()
    }

    /// Handles the list's actions on picked threads; `None` when `action` is not one of them
    /// (the caller goes on as usual).
    pub(super) fn act_on_picks(&mut self, action: Action) -> Option<Option<Effect>> {
        if self.focus != Focus::Inbox {
            return None;
        }
        match action {
            Action::Pick => {
                let id = self.selected_row()?.id;
                if !self.picked.remove(&id) {
                    self.picked.insert(id);
                }
                // On to the next, as a mail client does.
                let last = self.total.saturating_sub(1);
                self.selected = (self.selected + 1).min(last);
                Some(self.needs_page().then_some(Effect::Page))
            }
            Action::PickVisible => {
                let visible = self.visible_ids();
                if visible.iter().all(|id| self.picked.contains(id)) {
                    for id in &visible {
                        self.picked.remove(id);
                    }
                } else {
                    self.picked.extend(visible);
                }
                Some(None)
            }
            _ if self.picked.is_empty() => None,
            Action::Back => {
                self.picked.clear();
                Some(None)
            }
            Action::MarkNoResponse => {
                let threads = self.picked_threads();
                self.modal = Some(Modal::Confirm(Confirm {
                    title: "No response needed".into(),
                    question: format!(
                        "{}\n\nMark them \"no response needed\"? Their clocks stop and their messages leave the late-response rate.",
                        self.picked_label()
                    ),
                    on_yes: Effect::MarkMany(threads),
                }));
                Some(None)
            }
            Action::SetCategory => {
                self.modal = Some(Modal::Kinds(KindChoice {
                    thread: None,
                    picked: true,
                    selected: 0,
                }));
                Some(None)
            }
            Action::Snooze => {
                self.prompt = Some(Prompt::new(PromptPurpose::SnoozePicked, "4h"));
                Some(None)
            }
            _ => None,
        }
    }
}
