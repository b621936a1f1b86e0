//! Keys to actions, as one table per context. The status bar's hints and the help screen are
//! generated from the same table, so they can never disagree with what a key does.

use crossterm::event::{KeyCode, KeyEvent};

use super::action::Action;
pub use crate::keys::{Context, Key, Rebinding};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    pub action: Action,
    /// Shown in the status bar (the rest only in help).
    pub hint: bool,
}

pub struct Keymap {
    bindings: Vec<Binding>,
}

const fn b(context: Context, key: Key, action: Action, hint: bool) -> Binding {
    Binding {
        context,
        key,
        action,
        hint,
    }
}

impl Default for Keymap {
    /// Vim-like defaults.
    fn default() -> Self {
        use Action::*;
        use Context::*;
        let mut bindings = Vec::new();
        // Context keys first: the status bar shows hints in this order.
        for ctx in [Inbox, Templates] {
            bindings.extend([
                b(ctx, Key::plain('j'), Down, ctx == Inbox),
                b(ctx, Key::code(KeyCode::Down), Down, false),
                b(ctx, Key::plain('k'), Up, ctx == Inbox),
                b(ctx, Key::code(KeyCode::Up), Up, false),
                b(ctx, Key::plain('g'), Top, false),
                b(ctx, Key::code(KeyCode::Home), Top, false),
                b(ctx, Key::plain('G'), Bottom, false),
                b(ctx, Key::code(KeyCode::End), Bottom, false),
                b(ctx, Key::ctrl('d'), PageDown, false),
                b(ctx, Key::code(KeyCode::PageDown), PageDown, false),
                b(ctx, Key::ctrl('u'), PageUp, false),
                b(ctx, Key::code(KeyCode::PageUp), PageUp, false),
            ]);
        }
        bindings.extend([
            b(Inbox, Key::code(KeyCode::Enter), Open, true),
            b(Inbox, Key::plain('r'), Reply, true),
            b(Inbox, Key::plain('/'), Search, true),
            b(Inbox, Key::code(KeyCode::Esc), Back, false),
            b(Inbox, Key::plain('T'), ManageTemplates, false),
            b(Inbox, Key::plain(' '), Pick, false),
            b(Inbox, Key::plain('*'), PickVisible, false),
            b(Thread, Key::plain('j'), ScrollDown, true),
            b(Thread, Key::code(KeyCode::Down), ScrollDown, false),
            b(Thread, Key::plain('k'), ScrollUp, true),
            b(Thread, Key::code(KeyCode::Up), ScrollUp, false),
            b(Thread, Key::plain('r'), Reply, true),
            b(Thread, Key::code(KeyCode::Esc), Back, true),
            b(Thread, Key::plain('T'), ManageTemplates, false),
            b(Inbox, Key::plain('D'), OpenDashboard, true),
            b(Thread, Key::plain('D'), OpenDashboard, false),
            b(Dashboard, Key::code(KeyCode::Esc), Back, true),
            b(Dashboard, Key::plain('j'), ScrollDown, true),
            b(Dashboard, Key::code(KeyCode::Down), ScrollDown, false),
            b(Dashboard, Key::plain('k'), ScrollUp, true),
            b(Dashboard, Key::code(KeyCode::Up), ScrollUp, false),
            b(Composer, Key::ctrl('s'), Send, true),
            b(Composer, Key::ctrl('t'), InsertTemplate, true),
            b(Composer, Key::ctrl('e'), ExternalEditor, true),
            b(Composer, Key::ctrl('o'), AttachFile, false),
            b(Composer, Key::code(KeyCode::Esc), Back, true),
            b(Composer, Key::code(KeyCode::Tab), NextPlaceholder, false),
            b(
                Composer,
                Key::code(KeyCode::BackTab),
                PrevPlaceholder,
                false,
            ),
            b(Composer, Key::ctrl('g'), TakeSuggestion, false),
            b(Picker, Key::code(KeyCode::Enter), Confirm, true),
            b(Picker, Key::code(KeyCode::Down), Down, true),
            b(Picker, Key::ctrl('n'), Down, false),
            b(Picker, Key::code(KeyCode::Up), Up, true),
            b(Picker, Key::ctrl('p'), Up, false),
            b(Picker, Key::code(KeyCode::Esc), Back, true),
            b(Prompt, Key::code(KeyCode::Enter), Confirm, true),
            b(Prompt, Key::code(KeyCode::Esc), Back, true),
            b(Prompt, Key::ctrl('u'), ClearPrompt, true),
            b(Templates, Key::code(KeyCode::Enter), EditTemplate, false),
            b(Templates, Key::plain('e'), EditTemplate, true),
            b(Templates, Key::plain('n'), NewTemplate, true),
            b(Templates, Key::plain('R'), RenameTemplate, true),
            b(Templates, Key::plain('c'), DuplicateTemplate, true),
            b(Templates, Key::plain('d'), DeleteTemplate, true),
            b(Templates, Key::code(KeyCode::Esc), Back, true),
            b(Modal, Key::code(KeyCode::Enter), Confirm, true),
            b(Modal, Key::plain('y'), Confirm, false),
            b(Modal, Key::code(KeyCode::Esc), Back, true),
            b(Modal, Key::plain('n'), Back, false),
            b(Modal, Key::plain('q'), Back, false),
            b(Modal, Key::ctrl('c'), Quit, false),
            b(Modal, Key::plain('j'), Down, false),
            b(Modal, Key::code(KeyCode::Down), Down, false),
            b(Modal, Key::plain('k'), Up, false),
            b(Modal, Key::code(KeyCode::Up), Up, false),
            b(Modal, Key::code(KeyCode::PageDown), PageDown, false),
            b(Modal, Key::code(KeyCode::PageUp), PageUp, false),
        ]);
        for ctx in [Inbox, Thread] {
            bindings.extend([
                b(ctx, Key::plain('x'), MarkNoResponse, true),
                b(ctx, Key::plain('u'), UndoMark, false),
                b(ctx, Key::plain('c'), SetCategory, ctx == Thread),
                b(ctx, Key::plain('C'), FilterCategory, false),
                b(ctx, Key::plain('n'), AddNote, ctx == Thread),
                b(ctx, Key::plain('E'), Escalate, false),
                b(ctx, Key::plain('b'), CheckBack, false),
                b(ctx, Key::plain('o'), FollowUpOutcome, false),
                b(ctx, Key::plain('z'), Snooze, false),
                b(ctx, Key::plain('W'), WriteFirst, false),
                b(ctx, Key::plain('R'), RetryDelivery, false),
                b(ctx, Key::plain('F'), FeedbackRemoved, false),
                b(ctx, Key::plain('a'), SaveAttachments, false),
                b(ctx, Key::plain('X'), ExportThread, false),
                b(ctx, Key::plain('f'), CycleFilter, true),
                b(ctx, Key::code(KeyCode::Tab), NextPane, false),
            ]);
        }
        for ctx in [Inbox, Thread, Templates, Dashboard] {
            // The dashboard has no panel beside it: it draws the same metrics large.
            if ctx != Dashboard {
                bindings.push(b(ctx, Key::plain('m'), TogglePanel, false));
            }
            bindings.extend([
                b(ctx, Key::plain('?'), Help, true),
                b(ctx, Key::plain('q'), Quit, true),
            ]);
        }
        for ctx in [
            Inbox, Thread, Templates, Dashboard, Composer, Picker, Prompt,
        ] {
            bindings.push(b(ctx, Key::ctrl('c'), Quit, false));
        }
        bindings.push(b(Composer, Key::code(KeyCode::F(1)), Help, false));
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's rebindings applied in order: a key bound anew replaces
    /// what it did in that context; `none` leaves it unbound.
    pub fn with(rebindings: &[Rebinding]) -> Keymap {
        let mut km = Keymap::default();
        for r in rebindings {
            let hint = km
                .bindings
                .iter()
                .any(|b| b.context == r.context && Some(b.action) == r.action && b.hint);
            km.bindings
                .retain(|b| !(b.context == r.context && b.key == r.key));
            if let Some(action) = r.action {
                km.bindings.push(Binding {
                    context: r.context,
                    key: r.key,
                    action,
                    hint,
                });
            }
        }
        km
    }

    pub fn resolve(&self, key: &KeyEvent, context: Context) -> Option<Action> {
        let k = Key::from_event(key);
        self.bindings
            .iter()
            .find(|b| b.context == context && b.key == k)
            .map(|b| b.action)
    }

    /// `j/k move  Enter open thread  ...` for the status bar.
    pub fn hints(&self, context: Context) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for bnd in self
            .bindings
            .iter()
            .filter(|b| b.context == context && b.hint)
        {
            match out.iter_mut().find(|(_, d)| *d == bnd.action.description()) {
                Some((keys, _)) => {
                    keys.push('/');
                    keys.push_str(&bnd.key.label());
                }
                None => out.push((bnd.key.label(), bnd.action.description())),
            }
        }
        out
    }

    /// The first key bound to `action` in `context` (`Ctrl-G`), for a hint that names it.
    pub fn key_for(&self, context: Context, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b.context == context && b.action == action)
            .map(|b| b.key.label())
    }

    /// Every binding, grouped by context, for the help screen.
    pub fn all(&self) -> &[Binding] {
        &self.bindings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    /// The example config lists every action by the name a `[keys.*]` table takes.
    #[test]
    fn the_example_config_names_every_action() {
        let text = include_str!("../../config.example.toml");
        let start = text.find("in snake case\n# (").expect("the list") + "in snake case\n# (".len();
        let list = &text[start..start + text[start..].find(')').unwrap()];
        let names: Vec<&str> = list
            .split(',')
            .map(|n| n.trim().trim_start_matches('#').trim())
            .collect();
        for name in &names {
            Rebinding::parse("inbox", "j", name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_eq!(names.len(), Action::all().count(), "{names:?}");
    }

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn resolves_by_context() {
        let km = Keymap::default();
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.resolve(&j, Context::Inbox), Some(Action::Down));
        assert_eq!(km.resolve(&j, Context::Thread), Some(Action::ScrollDown));
        assert_eq!(km.resolve(&j, Context::Composer), None);
        assert_eq!(km.resolve(&j, Context::Picker), None);
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.resolve(&ctrl_c, Context::Inbox), Some(Action::Quit));
        let shift_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.resolve(&shift_g, Context::Inbox), Some(Action::Bottom));
    }

    #[test]
    fn hints_come_from_the_table() {
        let km = Keymap::default();
        let hints = km.hints(Context::Inbox);
        assert!(
            hints
                .iter()
                .any(|(k, d)| k == "Enter" && *d == "open thread")
        );
        assert!(hints.iter().any(|(k, d)| k == "q" && *d == "quit"));
    }

    #[test]
    fn keys_parse_as_the_config_writes_them() {
        assert_eq!(Key::parse("j"), Ok(Key::plain('j')));
        assert_eq!(Key::parse("G"), Ok(Key::plain('G')));
        assert_eq!(Key::parse("ctrl-S"), Ok(Key::ctrl('s')));
        assert_eq!(Key::parse("Enter"), Ok(Key::code(KeyCode::Enter)));
        assert_eq!(Key::parse("space"), Ok(Key::plain(' ')));
        assert_eq!(Key::parse("f5"), Ok(Key::code(KeyCode::F(5))));
        assert_eq!(Key::parse("-"), Ok(Key::plain('-')));
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f13").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn rebinding_replaces_unbinds_and_keeps_hints() {
        let km = Keymap::with(&[
            Rebinding::parse("inbox", "n", "down").unwrap(),
            Rebinding::parse("inbox", "j", "none").unwrap(),
            Rebinding::parse("composer", "ctrl-x", "send").unwrap(),
        ]);
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.resolve(&n, Context::Inbox), Some(Action::Down));
        assert_eq!(km.resolve(&j, Context::Inbox), None);
        assert_eq!(km.resolve(&j, Context::Thread), Some(Action::ScrollDown));
        let ctrl_x = key(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(km.resolve(&ctrl_x, Context::Composer), Some(Action::Send));
        assert!(km.hints(Context::Inbox).iter().any(|(k, _)| k == "n"));
    }

    #[test]
    fn rebinding_errors_say_what_is_wrong() {
        assert!(
            Rebinding::parse("inbx", "j", "down")
                .unwrap_err()
                .contains("inbox")
        );
        assert!(
            Rebinding::parse("inbox", "j", "dwn")
                .unwrap_err()
                .contains("not an action")
        );
        assert!(
            Rebinding::parse("inbox", "jj", "down")
                .unwrap_err()
                .contains("not a key")
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        let km = Keymap::default();
        for (i, a) in km.all().iter().enumerate() {
            for b in &km.all()[i + 1..] {
                assert!(
                    !(a.context == b.context && a.key == b.key),
                    "{:?} twice",
                    a.key
                );
            }
        }
    }
}
