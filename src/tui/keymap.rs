//! Keys to actions, as one table per context. The status bar's hints and the help screen are
//! generated from the same table, so they can never disagree with what a key does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where the keyboard is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Inbox,
    Thread,
    /// A modal is open: only its keys apply.
    Modal,
}

impl Context {
    pub fn label(self) -> &'static str {
        match self {
            Context::Inbox => "Inbox",
            Context::Thread => "Thread",
            Context::Modal => "Dialogs",
        }
    }
}

/// A key as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub const fn plain(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: false,
        }
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }
    pub const fn code(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        // Shifted letters arrive upper-case with SHIFT set; the table lists them upper-case
        // and ignores SHIFT.
        Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

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
        bindings.extend([
            b(Inbox, Key::plain('j'), Down, true),
            b(Inbox, Key::code(KeyCode::Down), Down, false),
            b(Inbox, Key::plain('k'), Up, true),
            b(Inbox, Key::code(KeyCode::Up), Up, false),
            b(Inbox, Key::plain('g'), Top, false),
            b(Inbox, Key::code(KeyCode::Home), Top, false),
            b(Inbox, Key::plain('G'), Bottom, false),
            b(Inbox, Key::code(KeyCode::End), Bottom, false),
            b(Inbox, Key::ctrl('d'), PageDown, false),
            b(Inbox, Key::code(KeyCode::PageDown), PageDown, false),
            b(Inbox, Key::ctrl('u'), PageUp, false),
            b(Inbox, Key::code(KeyCode::PageUp), PageUp, false),
            b(Inbox, Key::code(KeyCode::Enter), Open, true),
            b(Thread, Key::plain('j'), ScrollDown, true),
            b(Thread, Key::code(KeyCode::Down), ScrollDown, false),
            b(Thread, Key::plain('k'), ScrollUp, true),
            b(Thread, Key::code(KeyCode::Up), ScrollUp, false),
            b(Thread, Key::code(KeyCode::Esc), Back, true),
            b(Modal, Key::code(KeyCode::Enter), Confirm, true),
            b(Modal, Key::plain('y'), Confirm, false),
            b(Modal, Key::code(KeyCode::Esc), Back, true),
            b(Modal, Key::plain('n'), Back, false),
            b(Modal, Key::plain('q'), Back, false),
            b(Modal, Key::ctrl('c'), Quit, false),
        ]);
        for ctx in [Inbox, Thread] {
            bindings.extend([
                b(ctx, Key::plain('q'), Quit, true),
                b(ctx, Key::ctrl('c'), Quit, false),
                b(ctx, Key::plain('?'), Help, true),
                b(ctx, Key::code(KeyCode::Tab), NextPane, false),
                b(ctx, Key::plain('x'), MarkNoResponse, true),
                b(ctx, Key::plain('u'), UndoMark, false),
                b(ctx, Key::plain('m'), TogglePanel, false),
                b(ctx, Key::plain('f'), CycleFilter, true),
            ]);
        }
        Keymap { bindings }
    }
}

impl Keymap {
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

    /// Every binding, grouped by context, for the help screen.
    pub fn all(&self) -> &[Binding] {
        &self.bindings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn resolves_by_context() {
        let km = Keymap::default();
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.resolve(&j, Context::Inbox), Some(Action::Down));
        assert_eq!(km.resolve(&j, Context::Thread), Some(Action::ScrollDown));
        assert_eq!(km.resolve(&j, Context::Modal), None);
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
