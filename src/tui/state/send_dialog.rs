//! The confirmation before a reply goes: recipient and subject, warnings to check, another
//! terminal writing on the thread, and rule errors (sending then needs this second, explicit
//! yes, recorded). Rules that cannot be overridden refuse at once.

use chrono::{DateTime, Utc};

use super::outcome::SendCheck;
use super::{App, Confirm, Effect, Modal};
use crate::config::delivery::Transport;
use crate::domain::compliance::{self, Severity};
use crate::reply;
use crate::text::safe_text::line;

impl App {
    /// Opens the confirmation for `check`; `Err`: the reason it cannot be sent at all.
    pub(super) fn ask_to_send(
        &mut self,
        check: SendCheck,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let SendCheck {
            thread,
            body,
            reply,
            ..
        } = check;
        let proactive = self
            .composer
            .as_ref()
            .and_then(|c| c.proactive.as_ref())
            .map(|p| p.1.clone());
        let errors = reply::rule_errors(&reply, proactive.as_ref(), now);
        let refused: Vec<&str> = errors
            .iter()
            .filter(|f| !f.kind.overridable())
            .map(|f| f.reason)
            .collect();
        if !refused.is_empty() {
            return Err(format!("not sent: {}", refused.join("; ")));
        }
        let warnings: Vec<_> = compliance::check(&body, &compliance::Context::default())
            .into_iter()
            .filter(|f| f.severity == Severity::Warning)
            .collect();
        let to = match &reply.to_name {
            Some(n) => format!("{} <{}>", n, reply.to_addr),
            None => reply.to_addr.clone(),
        };
        let mut question = format!(
            "{}\nTo: {}\nSubject: {}\n\n",
            self.thread_label(thread),
            line(&to),
            line(&reply.subject)
        );
        if !warnings.is_empty() {
            question.push_str(&format!("Check: {}.\n", reply::describe(&warnings)));
        }
        // What the reply promises, filled in for the seller: said before it goes.
        let promised: Vec<String> = self
            .composer
            .iter()
            .flat_map(|c| c.commitments.iter())
            .filter(|(_, value)| body.contains(value.as_str()))
            .map(|(name, value)| format!("{} {value}", name.replace('_', " ")))
            .collect();
        if !promised.is_empty() {
            question.push_str(&format!(
                "★ It promises: {} (dates sellerdesk filled in: check them).\n",
                promised.join(" · ")
            ));
        }
        let taken = self.taken_by(thread).map(|t| {
            (
                line(&t.agent).into_owned(),
                crate::text::time_fmt::local(t.since, self.config.timezone),
            )
        });
        if let Some((agent, since)) = &taken {
            question.push_str(&format!(
                "⚠ {agent} is writing a reply to this thread too (composer open since {since}).\n"
            ));
        }
        let title = if errors.is_empty() {
            question.push_str(&format!(
                "Send this reply? It is queued, {}, and the thread's clock stops.",
                self.how_it_leaves()
            ));
            if taken.is_some() {
                "Taken by someone else: send anyway?"
            } else {
                "Send reply"
            }
        } else {
            question.push_str(&format!(
                "Against Amazon's messaging rules: {}.\nSend anyway? The override is recorded on the thread's timeline.",
                reply::describe(&errors),
            ));
            "Send despite the rules?"
        };
        self.modal = Some(Modal::Confirm(Confirm {
            title: title.into(),
            question,
            on_yes: Effect::Send {
                thread,
                body,
                overridden: errors.iter().map(|f| f.kind).collect(),
            },
        }));
        Ok(())
    }

    /// "it goes to the outbox folder (…)", "it is sent by SMTP via …", ...
    fn how_it_leaves(&self) -> String {
        match &self.config.delivery.transport {
            Transport::Folder => format!(
                "it goes to the outbox folder ({})",
                self.config
                    .outbox_dir()
                    .map(|d| line(&d.display().to_string()).into_owned())
                    .unwrap_or_default()
            ),
            Transport::Smtp(s) => format!("it is sent by SMTP via {}", line(&s.host)),
            Transport::Sendmail(s) => format!("it is handed to `{}`", line(&s.command.join(" "))),
        }
    }
}
