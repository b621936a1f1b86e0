//! The seller's own editor ($VISUAL, $EDITOR, else vi) for a reply or a template: the terminal
//! is handed over and taken back, the text goes through a private temporary file.

use std::io::Write;
use std::process::Command;

use crate::domain::template::{PLACEHOLDERS, SELLER_FILLED, Template};
use crate::store::Store;
use crate::store::StoreError;
use crate::templates;

use super::state::{App, Confirm, Effect, Modal};

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

/// Runs the editor on `text`; the text as the editor left it.
pub fn edit(text: &str, suffix: &str, handoff: &mut dyn Handoff) -> Result<String, String> {
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
    let editor = editor_command();
    handoff
        .suspend()
        .map_err(|e| format!("cannot hand over the terminal: {e}"))?;
    super::EDITOR_RUNNING.store(true, std::sync::atomic::Ordering::SeqCst);
    // Through the shell, so that an editor set with arguments works as it does in git.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status();
    super::EDITOR_RUNNING.store(false, std::sync::atomic::Ordering::SeqCst);
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

/// Performs the effects that need the terminal: `EditReply` and `EditTemplate`.
pub fn perform(app: &mut App, store: &mut Store, effect: Effect, handoff: &mut dyn Handoff) {
    let now = app.now;
    match effect {
        Effect::EditReply { thread, body } => {
            // Saved first: whatever happens in the editor, the draft is safe.
            if let Err(e) = store.save_draft(thread, &body, now) {
                app.notice = Some(format!("draft not saved: {e}"));
                return;
            }
            match edit(&body, ".txt", handoff) {
                Ok(text) => {
                    if let Some(c) = app.composer.as_mut().filter(|c| c.thread_id == thread) {
                        if text != body {
                            c.replace(&text, now);
                        }
                        c.saved_at = Some(now);
                    }
                }
                Err(e) => app.notice = Some(e),
            }
        }
        Effect::EditTemplate { id, text } => {
            let start = match (&text, id) {
                (Some(t), _) => t.clone(),
                (None, Some(id)) => match store.template(id) {
                    Ok(Some(row)) => template_help() + &templates::to_toml(&row.template),
                    Ok(None) => return,
                    Err(e) => {
                        app.notice = Some(e.to_string());
                        return;
                    }
                },
                (None, None) => new_template_text(),
            };
            let edited = match edit(&start, ".toml", handoff) {
                Ok(t) => t,
                Err(e) => {
                    app.notice = Some(e);
                    return;
                }
            };
            if id.is_none() && edited == new_template_text() {
                app.notice = Some("No template created".into());
                return;
            }
            let retry = |app: &mut App, message: String| {
                app.modal = Some(Modal::Confirm(Confirm {
                    title: "Template not saved".into(),
                    question: format!("{message}\n\nEdit it again? (Esc drops the edit)"),
                    on_yes: Effect::EditTemplate {
                        id,
                        text: Some(edited.clone()),
                    },
                }));
            };
            let template = match templates::parse(&edited, std::path::Path::new("(edited)")) {
                Ok(t) => t,
                Err(e) => return retry(app, e.to_string()),
            };
            let saved = match id {
                Some(id) => store.update_template(id, &template, now).map(|_| id),
                None => store.create_template(&template, now),
            };
            match saved {
                Ok(saved_id) => {
                    app.templates = store.templates().unwrap_or_default();
                    if let Some(i) = app.templates.iter().position(|t| t.id == saved_id) {
                        app.template_selected = i;
                    }
                    app.notice = Some(format!(
                        "Saved \"{}\"",
                        crate::safe_text::line(&template.name)
                    ));
                }
                Err(e @ (StoreError::NameTaken(_) | StoreError::Invalid(_))) => {
                    retry(app, e.to_string())
                }
                Err(e) => app.notice = Some(e.to_string()),
            }
        }
        _ => {}
    }
}
