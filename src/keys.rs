//! The key-binding grammar the config and the app share: where the keyboard is (`Context`), a
//! key as the config writes it (`Key`), the actions (`action`), and one `[keys.*]` line
//! (`Rebinding`). Low in the tree: `config` checks a bad `[keys]` entry with this at load time
//! (file, line and key), and `tui` builds its key table from it.

pub mod action;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use action::Action;

/// Where the keyboard is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    Inbox,
    Thread,
    /// Writing a reply: keys not bound here are typed.
    Composer,
    /// The template picker: keys not bound here filter the list.
    Picker,
    /// A one-line question (search, rename): keys not bound here are typed.
    Prompt,
    /// The template manager.
    Templates,
    /// The dashboard of metric trends.
    Dashboard,
    /// A dialog is open: only its keys apply.
    Modal,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::Inbox,
        Context::Thread,
        Context::Composer,
        Context::Picker,
        Context::Prompt,
        Context::Templates,
        Context::Dashboard,
        Context::Modal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Context::Inbox => "Inbox",
            Context::Thread => "Thread",
            Context::Composer => "Reply",
            Context::Picker => "Template picker",
            Context::Prompt => "Search and prompts",
            Context::Templates => "Template manager",
            Context::Dashboard => "Dashboard",
            Context::Modal => "Dialogs",
        }
    }

    /// The table name in the config: `[keys.inbox]`.
    pub fn config_name(self) -> &'static str {
        match self {
            Context::Inbox => "inbox",
            Context::Thread => "thread",
            Context::Composer => "composer",
            Context::Picker => "picker",
            Context::Prompt => "prompt",
            Context::Templates => "templates",
            Context::Dashboard => "dashboard",
            Context::Modal => "dialogs",
        }
    }

    pub fn from_config_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.config_name() == name)
    }

    /// Keys this context does not bind are text for its input field.
    pub fn takes_text(self) -> bool {
        matches!(self, Context::Composer | Context::Picker | Context::Prompt)
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

    /// Parses a key as the config writes it: `j`, `G`, `ctrl-s`, `enter`, `esc`, `tab`,
    /// `backtab`, `space`, `up`, `down`, `left`, `right`, `pgup`, `pgdn`, `home`, `end`,
    /// `backspace`, `delete`, `f1`..`f12`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let (ctrl, rest) = match s.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("ctrl-") && s.len() > 5 => (true, &s[5..]),
            _ => (false, s),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "`{s}` is not a key: use a character, ctrl-<char>, enter, esc, tab, space, up, down, pgup, pgdn, home, end, f1-f12, ..."
                    ));
                }
            },
        };
        Ok(Key { code, ctrl })
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
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }
}

/// One line of the config's `[keys.*]` tables: `action` `None` unbinds the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebinding {
    pub context: Context,
    pub key: Key,
    pub action: Option<Action>,
}

impl Rebinding {
    /// `context`, `key` and `action` as the config writes them; the error says which is wrong.
    pub fn parse(context: &str, key: &str, action: &str) -> Result<Rebinding, String> {
        let context = Context::from_config_name(context).ok_or_else(|| {
            let names: Vec<&str> = Context::ALL.iter().map(|c| c.config_name()).collect();
            format!(
                "`{context}` is not a key context: one of {}",
                names.join(", ")
            )
        })?;
        let key = Key::parse(key)?;
        let action = match action {
            "none" => None,
            name => Some(Action::from_name(name).ok_or_else(|| {
                format!(
                    "`{name}` is not an action (see `?` in the app or docs/config.md; \"none\" unbinds)"
                )
            })?),
        };
        Ok(Rebinding {
            context,
            key,
            action,
        })
    }
}
