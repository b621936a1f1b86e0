//! The seller's own editor ($VISUAL, $EDITOR, else vi) for a reply or a template: the terminal
//! is handed over and taken back, the text goes through a private temporary file.

use std::io::Write;
use std::process::Command;

use crate::domain::template::{PLACEHOLDERS, SELLER_FILLED, Template};
use crate::reply::templates;
use crate::store::Store;
use crate::store::StoreError;

use chrono::{DateTime, Utc};

use super::Terminal;
use crate::tui::state::{Effect, Failure, Outcome, TemplateChange};

/// Gives the terminal to another program and takes it back.
pub trait Handoff {
    fn suspend(&mut self) -> std::io::Result<()>;
    fn resume(&mut self) -> std::io::Result<()>;
}

/// `$VISUAL`, then `$EDITOR`, then `vi`; may carry arguments (`code --wait`).
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// Runs `editor` (a shell command) on `text`; the text as the editor left it.
pub fn edit(
    editor: &str,
    text: &str,
    suffix: &str,
    handoff: &mut dyn Handoff,
) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("sellerdesk-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| format!("cannot create a file to edit: {e}"))?;
    // A text file ends with a newline (editors add one); it is taken off again below.
    let text = if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    };
    file.write_all(text.as_bytes())
        .and_then(|_| file.flush())
        .map_err(|e| format!("cannot write the file to edit: {e}"))?;
    handoff
        .suspend()
        .map_err(|e| format!("cannot hand over the terminal: {e}"))?;
    crate::tui::EDITOR_RUNNING.store(true, std::sync::atomic::Ordering::SeqCst);
    // Through the shell, so that an editor set with arguments works as it does in git.
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path());
    // Run from a pipe (a mail client piping a message to `sellerdesk reply -`, output captured
    // by a script), the editor still gets the terminal.
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal()
        && let Ok(tty) = std::fs::File::open("/dev/tty")
    {
        command.stdin(tty);
    }
    if !std::io::stdout().is_terminal()
        && let Ok(tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty")
    {
        command.stdout(tty);
    }
    let status = command.status();
    crate::tui::EDITOR_RUNNING.store(false, std::sync::atomic::Ordering::SeqCst);
    handoff
        .resume()
        .map_err(|e| format!("cannot take the terminal back: {e}"))?;
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(format!("`{editor}` exited with {s}; nothing changed")),
        Err(e) => return Err(format!("cannot run `{editor}`: {e}")),
    }
    // Read by path: many editors save by writing a new file and renaming it over the old.
    let bytes = std::fs::read(file.path()).map_err(|e| format!("cannot read the edit: {e}"))?;
    let mut edited = String::from_utf8(bytes)
        .map_err(|_| "the edited text is not UTF-8; nothing changed".to_string())?;
    if edited.ends_with('\n') {
        edited.pop();
    }
    Ok(edited)
}

/// The comment block on top of a template being edited.
fn template_help() -> String {
    let mut s = String::from(
        "# A reply template. Save and quit to keep it; quit without saving to cancel.\n\
         # Placeholders filled from the thread:\n",
    );
    for (name, what) in PLACEHOLDERS {
        s.push_str(&format!("#   {{{{{name}}}}}  {what}\n"));
    }
    s.push_str("# Commitments, filled from [commitments] in the config:\n");
    for (name, what) in crate::domain::template::COMMITMENTS {
        s.push_str(&format!("#   {{{{{name}}}}}  {what}\n"));
    }
    s.push_str("# Placeholders you fill in before sending (sending is blocked until then):\n");
    for (name, what) in SELLER_FILLED {
        s.push_str(&format!("#   {{{{{name}}}}}  {what}\n"));
    }
    s.push('\n');
    s
}

fn new_template_text() -> String {
    template_help()
        + &templates::to_toml(&Template {
            name: "New template".into(),
            category: Some("other".into()),
            language: "en".into(),
            subject: None,
            body: "Hello {{buyer_first_name}},\n\n\n\nKind regards,\n{{seller_name}}\n".into(),
        })
}

/// Performs the effects that need the terminal, `EditReply` and `EditTemplate`, with the
/// terminal's editor.
pub fn perform(
    store: &mut Store,
    effect: Effect,
    now: DateTime<Utc>,
    terminal: &mut Terminal,
) -> Vec<Outcome> {
    let Terminal { handoff, editor } = terminal;
    let done = match effect {
        Effect::EditReply { thread, body } => {
            edit_reply(store, thread, body, now, editor, *handoff)
        }
        Effect::EditTemplate { id, text } => edit_template(store, id, text, now, editor, *handoff),
        _ => return Vec::new(),
    };
    vec![done.unwrap_or_else(Outcome::Failed)]
}

fn edit_reply(
    store: &mut Store,
    thread: i64,
    body: String,
    now: DateTime<Utc>,
    editor: &str,
    handoff: &mut dyn Handoff,
) -> Result<Outcome, Failure> {
    // Saved first: whatever happens in the editor, the draft is safe.
    store
        .save_draft(thread, &body, now)
        .map_err(|e| Failure::Other(format!("draft not saved: {e}")))?;
    let after = edit(editor, &body, ".txt", handoff).map_err(Failure::Other)?;
    Ok(Outcome::ReplyEdited {
        thread,
        before: body,
        after,
    })
}

fn edit_template(
    store: &mut Store,
    id: Option<i64>,
    text: Option<String>,
    now: DateTime<Utc>,
    editor: &str,
    handoff: &mut dyn Handoff,
) -> Result<Outcome, Failure> {
    let failed = |e: StoreError| Failure::Other(e.to_string());
    let start = match (text, id) {
        (Some(t), _) => t,
        (None, Some(id)) => match store.template(id).map_err(failed)? {
            Some(row) => template_help() + &templates::to_toml(&row.template),
            None => return Err(Failure::Other(format!("there is no template {id}"))),
        },
        (None, None) => new_template_text(),
    };
    let edited = edit(editor, &start, ".toml", handoff).map_err(Failure::Other)?;
    if id.is_none() && edited.trim_end() == new_template_text().trim_end() {
        return Ok(Outcome::TemplateNotCreated);
    }
    let broken = |problem: String, text: String| Outcome::TemplateEditBroken { id, text, problem };
    let template = match templates::parse(&edited, std::path::Path::new("(edited)")) {
        Ok(t) => t,
        Err(e) => return Ok(broken(e.to_string(), edited)),
    };
    let saved = match id {
        Some(id) => store.update_template(id, &template, now).map(|_| id),
        None => store.create_template(&template, now),
    };
    match saved {
        Ok(saved_id) => super::templates::load(
            store,
            Some(saved_id),
            Some(TemplateChange::Saved(template.name)),
        ),
        Err(e @ (StoreError::NameTaken(_) | StoreError::Invalid(_))) => {
            Ok(broken(e.to_string(), edited))
        }
        Err(e) => Err(failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::tui::composer::Composer;
    use crate::tui::state::{App, Focus, Modal};
    use chrono::TimeZone;

    #[derive(Default)]
    struct FakeTerminal {
        suspended: u32,
        resumed: u32,
    }

    impl Handoff for FakeTerminal {
        fn suspend(&mut self) -> std::io::Result<()> {
            self.suspended += 1;
            Ok(())
        }
        fn resume(&mut self) -> std::io::Result<()> {
            self.resumed += 1;
            Ok(())
        }
    }

    struct Fixture {
        now: DateTime<Utc>,
        dir: tempfile::TempDir,
        store: Store,
        app: App,
        terminal: FakeTerminal,
    }

    fn fixture() -> Fixture {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        Fixture {
            now,
            dir,
            store,
            app: App::new(Config::default(), now),
            terminal: FakeTerminal::default(),
        }
    }

    /// An "editor": a shell script run on the file.
    fn editor(f: &Fixture, name: &str, script: &str) -> String {
        let path = f.dir.path().join(name);
        std::fs::write(&path, script).unwrap();
        format!("sh {}", path.display())
    }

    /// Runs `effect` with `editor` as the loop does: performed, its outcomes applied.
    fn perform(f: &mut Fixture, effect: Effect, editor: &str) {
        let mut terminal = Terminal {
            handoff: &mut f.terminal,
            editor: editor.into(),
        };
        crate::tui::effects::follow(
            &mut f.app,
            &mut f.store,
            Some(effect),
            f.now,
            Some(&mut terminal),
        );
    }

    #[test]
    fn a_new_template_is_created_from_the_editor() {
        let mut f = fixture();
        let ed = editor(
            &f,
            "new.sh",
            "sed -i 's/^name = .*/name = \"Late parcel\"/' \"$1\"",
        );
        perform(
            &mut f,
            Effect::EditTemplate {
                id: None,
                text: None,
            },
            &ed,
        );
        assert_eq!((f.terminal.suspended, f.terminal.resumed), (1, 1));
        assert_eq!(f.app.notice.as_deref(), Some("Saved \"Late parcel\""));
        let row = f.app.selected_template().unwrap();
        assert_eq!(row.template.name, "Late parcel");
        assert!(row.template.body.contains("{{seller_name}}"));
        // Leaving the skeleton as it is creates nothing.
        let before = f.store.templates().unwrap().len();
        perform(
            &mut f,
            Effect::EditTemplate {
                id: None,
                text: None,
            },
            "true",
        );
        assert_eq!(f.app.notice.as_deref(), Some("No template created"));
        assert_eq!(f.store.templates().unwrap().len(), before);
    }

    #[test]
    fn a_broken_edit_is_offered_again_and_then_saved() {
        let mut f = fixture();
        let id = f.store.templates().unwrap()[0].id;
        let breaks = editor(&f, "break.sh", "echo 'language = 7' >> \"$1\"");
        perform(
            &mut f,
            Effect::EditTemplate {
                id: Some(id),
                text: None,
            },
            &breaks,
        );
        let Some(Modal::Confirm(c)) = f.app.modal.clone() else {
            panic!("asks to edit again: {:?}", f.app.notice);
        };
        assert!(c.question.contains("line"), "{}", c.question);
        let Effect::EditTemplate {
            text: Some(text), ..
        } = c.on_yes.clone()
        else {
            panic!("{:?}", c.on_yes);
        };
        assert!(text.contains("language = 7"), "the edit is kept");
        // The seller fixes it on the second round.
        let fixes = editor(
            &f,
            "fix.sh",
            "sed -i '/^language = 7$/d; s/^body = \"\"\"$/body = \"\"\"\\nFixed./' \"$1\"",
        );
        f.app.modal = None;
        perform(&mut f, c.on_yes, &fixes);
        assert!(f.app.modal.is_none(), "{:?}", f.app.modal);
        let saved = f.store.template(id).unwrap().unwrap();
        assert!(
            saved.template.body.starts_with("Fixed."),
            "{}",
            saved.template.body
        );
    }

    #[test]
    fn the_reply_goes_through_the_editor_and_a_failing_editor_changes_nothing() {
        let mut f = fixture();
        f.app.composer = Some(Composer::new(
            1,
            "Bob".into(),
            "Re".into(),
            Default::default(),
            None,
        ));
        f.app.focus = Focus::Composer;
        let ed = editor(&f, "reply.sh", "printf 'P.S. thanks\\n' >> \"$1\"");
        perform(
            &mut f,
            Effect::EditReply {
                thread: 1,
                body: "Hello".into(),
            },
            &ed,
        );
        assert_eq!(
            f.app.composer.as_ref().unwrap().body(),
            "Hello\nP.S. thanks"
        );
        // Saved before the editor ran.
        assert_eq!(f.store.draft(1).unwrap().unwrap().body, "Hello");
        perform(
            &mut f,
            Effect::EditReply {
                thread: 1,
                body: "Other".into(),
            },
            "false",
        );
        assert!(
            f.app.notice.as_deref().unwrap().contains("exited"),
            "{:?}",
            f.app.notice
        );
        assert_eq!(
            f.app.composer.as_ref().unwrap().body(),
            "Hello\nP.S. thanks"
        );
        assert_eq!(f.terminal.suspended, f.terminal.resumed);
    }
}
