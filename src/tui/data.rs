//! Where the app meets the store: performing effects and loading what the views show. Errors
//! become a notice on the status bar; the app keeps running.

use chrono::{DateTime, Utc};

use crate::reply;
use crate::store::Store;
use crate::store::marks::MarkKind;
use crate::store::search::SEARCH_LIMIT;
use crate::store::{StoreError, StoreError as E};

use super::composer::Composer;
use super::rates::{self, PanelRates};
use super::state::{App, Confirm, Effect, Focus, Modal};

/// Rows loaded around the selection: the visible page and one either side.
fn window(app: &App) -> (u64, u64) {
    let page = app.page_height.max(1);
    (app.selected.saturating_sub(page), page * 3)
}

/// The inbox list: its length and the rows around the selection.
fn load_page(app: &mut App, store: &Store) -> Result<(), StoreError> {
    let now = app.now;
    if let Some(q) = &app.search {
        app.rows = store.search_threads(app.filter, app.kind, q, now, SEARCH_LIMIT)?;
        app.total = app.rows.len() as u64;
        app.offset = 0;
        if app.selected >= app.total {
            app.selected = app.total.saturating_sub(1);
        }
    } else {
        app.total = store.inbox_count(app.filter, app.kind, now)?;
        if app.selected >= app.total {
            app.selected = app.total.saturating_sub(1);
        }
        let (offset, limit) = window(app);
        app.rows = store.inbox_page(app.filter, app.kind, now, offset, limit)?;
        app.offset = offset;
    }
    Ok(())
}

fn load(app: &mut App, store: &Store) -> Result<(), StoreError> {
    let now = app.now;
    let th = app.config.thresholds;
    load_page(app, store)?;
    app.metrics.counts = store.clock_counts(now, &th)?;
    app.alert_rows = store.urgent_threads(now, &th, Some(8))?;
    app.metrics.follow_ups = store.due_follow_ups(now)?;
    app.metrics.outbox = store.outbox_counts()?;
    app.metrics.purge_due = store.purge_due(now, crate::store::purge::DEFAULT_DAYS)?;
    app.takes = store.others_takes(&app.instance, now)?;
    if let Some(id) = app.thread.as_ref().map(|t| t.row.id) {
        app.thread = store.thread_detail(id)?;
        app.thread_draft = store.draft(id)?;
    }
    Ok(())
}

pub fn refresh(app: &mut App, store: &Store) {
    if let Err(e) = load(app, store) {
        app.notice = Some(format!("could not read the inbox: {e}"));
    }
}

/// Puts computed rates on the panel; a metric whose status changed says so.
pub fn apply_rates(app: &mut App, result: Result<PanelRates, String>) {
    match result {
        Ok(r) => {
            if let (Some(before), Some(after)) = (&app.metrics.account, &r.account)
                && let Some(change) = status_change(before, after)
            {
                app.notice = Some(change);
            }
            app.metrics.late = r.late;
            app.metrics.late_per_day = r.late_per_day;
            app.metrics.recurring = r.recurring.0;
            app.metrics.recurring_total = r.recurring.1;
            let first = app.metrics.account.is_none();
            app.metrics.account = r.account;
            // A refresh without history keeps the last one.
            if !r.trends.is_empty() {
                app.metrics.trends = r.trends;
            }
            // Metrics arrive after the first frame: a troubled one still makes the startup
            // alert, as long as the seller has not started working.
            if first && !app.started && app.modal.is_none() {
                app.open_startup_alert();
            }
        }
        Err(e) => app.notice = Some(format!("could not compute response rates: {e}")),
    }
}

/// "ODR is now at risk: 0.85%, 1 more defect before 1%" for the first metric whose status
/// changed.
fn status_change(
    before: &crate::domain::metrics::AccountMetrics,
    after: &crate::domain::metrics::AccountMetrics,
) -> Option<String> {
    before
        .rows()
        .into_iter()
        .zip(after.rows())
        .find(|((_, _, b), (_, _, a))| b.status != a.status)
        .map(|(_, (_, label, m))| {
            format!(
                "{label} is now {}: {}",
                m.status.as_str().replace('_', " "),
                crate::metrics::format::summary(m)
            )
        })
}

/// The response rates, computed here and now (the app asks its worker thread instead: they
/// read every buyer message of 90 days).
pub fn refresh_rates(app: &mut App, store: &Store) {
    let r = rates::compute(store, app.now, true, app.config.recurring).map_err(|e| e.to_string());
    apply_rates(app, r);
}

/// Every second: countdowns move on their own; counts follow, and a thread crossing into
/// due soon or overdue says so.
pub fn tick(app: &mut App, store: &Store) {
    let before = app.metrics.counts;
    match store.clock_counts(app.now, &app.config.thresholds) {
        Ok(counts) => {
            if counts.overdue > before.overdue {
                let n = counts.overdue - before.overdue;
                app.notice = Some(format!(
                    "{n} thread{} just became overdue",
                    if n == 1 { "" } else { "s" }
                ));
                refresh(app, store);
            } else if counts.due_soon > before.due_soon {
                app.notice = Some("A thread is now due within the next hours".into());
                refresh(app, store);
            }
            app.metrics.counts = counts;
        }
        Err(e) => app.notice = Some(format!("could not read the inbox: {e}")),
    }
}

fn open_thread(app: &mut App, store: &mut Store, id: i64) -> Result<(), StoreError> {
    store.mark_read(id)?;
    app.thread = store.thread_detail(id)?;
    app.thread_draft = store.draft(id)?;
    app.thread_scroll = 0;
    // Layouts of this thread's bodies stay (back to the inbox and in again); others go.
    let ids: Vec<i64> = app
        .thread
        .iter()
        .flat_map(|t| t.messages.iter().map(|m| m.id))
        .collect();
    app.body_layouts.get_mut().retain(|id, _| ids.contains(id));
    Ok(())
}

fn open_composer(app: &mut App, store: &mut Store, id: i64) -> Result<(), StoreError> {
    if app.thread.as_ref().map(|t| t.row.id) != Some(id) {
        open_thread(app, store, id)?;
    }
    let facts = store
        .reply_facts(id)?
        .ok_or_else(|| E::Invalid(format!("there is no thread {id}")))?;
    let mut context = facts.context;
    context.seller_name = Some(app.config.seller_name.clone());
    let to = match (&facts.to_name, &facts.to_addr) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.clone(),
        (Some(n), None) => format!("{n} (no address)"),
        (None, None) => "(no buyer address)".into(),
    };
    let draft = store.draft(id)?;
    // What the buyer wrote says their language best; the marketplace otherwise.
    let written: String = app
        .thread
        .iter()
        .flat_map(|t| t.messages.iter())
        .filter(|m| m.role == "buyer")
        .map(|m| m.body.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let language = crate::domain::language::of_buyer(context.marketplace.as_deref(), &written);
    let mut composer = Composer::new(
        id,
        to,
        crate::reply::outbox::reply_subject(&facts.subject),
        context,
        draft.as_ref().map(|d| (d.body.as_str(), d.updated_at)),
    );
    composer.language = language;
    composer.attachments = attachment_labels(store, id)?;
    app.composer = Some(composer);
    app.focus = Focus::Composer;
    Ok(())
}

/// The confirmation before sending `r`: recipient and subject, warnings to check, and rule
/// errors (sending then needs this second, explicit yes, recorded). Rules that cannot be
/// overridden refuse at once.
fn ask_to_send(
    app: &mut App,
    thread: i64,
    body: String,
    r: &crate::reply::outbox::Reply,
    proactive: Option<crate::domain::compliance::Proactive>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    use crate::domain::compliance::{self, Severity};
    let errors = reply::rule_errors(r, proactive.as_ref(), now);
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
    let to = match &r.to_name {
        Some(n) => format!("{} <{}>", n, r.to_addr),
        None => r.to_addr.clone(),
    };
    let mut question = format!(
        "To: {}\nSubject: {}\n\n",
        crate::text::safe_text::line(&to),
        crate::text::safe_text::line(&r.subject),
    );
    if !warnings.is_empty() {
        question.push_str(&format!("Check: {}.\n", reply::describe(&warnings)));
    }
    let taken = app.taken_by(thread).map(|t| {
        (
            crate::text::safe_text::line(&t.agent).into_owned(),
            crate::text::time_fmt::local(t.since, app.config.timezone),
        )
    });
    if let Some((agent, since)) = &taken {
        question.push_str(&format!(
            "⚠ {agent} is writing a reply to this thread too (composer open since {since}).\n"
        ));
    }
    let title = if errors.is_empty() {
        let how = match &app.config.delivery.transport {
            crate::config::delivery::Transport::Folder => format!(
                "it goes to the outbox folder ({})",
                app.config
                    .outbox_dir()
                    .map(|d| crate::text::safe_text::line(&d.display().to_string()).into_owned())
                    .unwrap_or_default()
            ),
            crate::config::delivery::Transport::Smtp(s) => {
                format!(
                    "it is sent by SMTP via {}",
                    crate::text::safe_text::line(&s.host)
                )
            }
            crate::config::delivery::Transport::Sendmail(s) => format!(
                "it is handed to `{}`",
                crate::text::safe_text::line(&s.command.join(" "))
            ),
        };
        question.push_str(&format!(
            "Send this reply? It is queued, {how}, and the thread's clock stops.",
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
    app.modal = Some(Modal::Confirm(Confirm {
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

fn load_templates(app: &mut App, store: &Store) -> Result<(), StoreError> {
    app.templates = store.templates()?;
    app.template_selected = app
        .template_selected
        .min(app.templates.len().saturating_sub(1));
    Ok(())
}

fn select_template(app: &mut App, id: i64) {
    if let Some(i) = app.templates.iter().position(|t| t.id == id) {
        app.template_selected = i;
    }
}

/// Performs `effect`. Only what it changed is reloaded: an autosave touches nothing on screen.
pub fn perform(app: &mut App, store: &mut Store, effect: Effect) {
    let now = app.now;
    let mut reload = false;
    let mut rates = false;
    let result: Result<(), String> = match effect {
        Effect::Page => load_page(app, store).map_err(|e| format!("could not read the inbox: {e}")),
        Effect::Reload => {
            reload = true;
            Ok(())
        }
        Effect::OpenThread(id) => {
            reload = true;
            let r = open_thread(app, store, id);
            if r.is_ok() && app.focus != Focus::Composer {
                app.focus = Focus::Thread;
            }
            r.map_err(|e| e.to_string())
        }
        Effect::MarkNoResponse(id) => {
            (reload, rates) = (true, true);
            store
                .mark(id, MarkKind::NoResponseNeeded, now)
                .map(|_| {
                    app.notice = Some(
                        "Marked \"no response needed\" · u undoes · b: check back later".into(),
                    )
                })
                .map_err(|e| e.to_string())
        }
        Effect::ToggleFeedbackRemoved(order) => {
            (reload, rates) = (true, true);
            (|| -> Result<String, crate::store::StoreError> {
                let Some((rating, _, removed)) = store.feedback_of(&order)? else {
                    return Ok(format!(
                        "No feedback stored for order {order}: import the feedback report first"
                    ));
                };
                let to = if removed.is_some() { None } else { Some(now) };
                store.set_feedback_removed(&order, to)?;
                Ok(match to {
                    Some(_) => format!(
                        "Feedback on {order} ({rating}★) marked removed: it no longer counts · F counts it again"
                    ),
                    None => format!("Feedback on {order} ({rating}★) counts again"),
                })
            })()
            .map(|text| app.notice = Some(text))
            .map_err(|e| e.to_string())
        }
        Effect::UndoMark(id) => {
            (reload, rates) = (true, true);
            store
                .undo_last_mark(id, now)
                .map(|undone| {
                    app.notice = Some(match undone {
                        Some(kind) => format!("Undid {}", kind.as_str().replace('_', " ")),
                        None => "Nothing to undo on this thread".into(),
                    })
                })
                .map_err(|e| e.to_string())
        }
        Effect::OpenComposer(id) => open_composer(app, store, id).map_err(|e| e.to_string()),
        Effect::SaveDraft { thread, body } => match store.save_draft(thread, &body, now) {
            Ok(()) => {
                if let Some(c) = app.composer.as_mut().filter(|c| c.thread_id == thread) {
                    c.saved_at = Some(now);
                }
                if app.thread.as_ref().is_some_and(|t| t.row.id == thread) {
                    app.thread_draft = store.draft(thread).ok().flatten();
                }
                Ok(())
            }
            Err(e) => {
                // Try again at the next pause.
                if let Some(c) = app.composer.as_mut().filter(|c| c.thread_id == thread) {
                    c.edited(now);
                }
                Err(format!("draft not saved: {e}"))
            }
        },
        Effect::PrepareSend { thread, body } => {
            // Who else writes here, as of now (not as of the last reload).
            if let Ok(takes) = store.others_takes(&app.instance, now) {
                app.takes = takes;
            }
            let proactive = app.composer.as_ref().and_then(|c| c.proactive.clone());
            reply::prepare_message(
                store,
                &app.config,
                thread,
                &body,
                now,
                proactive.as_ref().map(|p| p.0),
            )
            .map_err(|e| e.to_string())
            .and_then(|r| ask_to_send(app, thread, body, &r, proactive.map(|p| p.1), now))
        }
        Effect::Send {
            thread,
            body,
            overridden,
        } => {
            let reason = app
                .composer
                .as_ref()
                .and_then(|c| c.proactive.as_ref())
                .map(|p| p.0);
            let sent = reply::prepare_message(store, &app.config, thread, &body, now, reason)
                .and_then(|r| {
                    reply::send(store, &app.config, thread, &r, now, &overridden, reason)
                });
            match sent {
                Ok(sent) => {
                    (reload, rates) = (true, true);
                    app.composer = None;
                    app.focus = Focus::Thread;
                    app.notice = Some(sent_notice(&sent));
                    if sent.delivered.is_none() {
                        app.wake_sender = true;
                    }
                    Ok(())
                }
                Err(e) => Err(format!("not sent: {e}")),
            }
        }
        Effect::LoadTemplates => load_templates(app, store).map_err(|e| e.to_string()),
        Effect::RenameTemplate { id, name } => store
            .rename_template(id, &name, now)
            .and_then(|_| load_templates(app, store))
            .map(|_| select_template(app, id))
            .map_err(|e| e.to_string()),
        Effect::DuplicateTemplate(id) => store
            .duplicate_template(id, now)
            .and_then(|copy| load_templates(app, store).map(|_| copy))
            .map(|copy| {
                select_template(app, copy);
                app.notice = Some("Duplicated · R renames it".into());
            })
            .map_err(|e| e.to_string()),
        Effect::DeleteTemplate(id) => store
            .delete_template(id)
            .and_then(|_| load_templates(app, store))
            .map(|_| app.notice = Some("Template deleted".into()))
            .map_err(|e| e.to_string()),
        // The loop hands these to the external editor (editor.rs).
        Effect::SetCategory { thread, category } => {
            reload = true;
            store
                .set_category(thread, category, now)
                .map(|_| app.notice = Some(format!("Kind: {}", category.label())))
                .map_err(|e| e.to_string())
        }
        Effect::AddNote { thread, text } => {
            reload = true;
            store
                .add_note(thread, &text, now)
                .map(|_| app.notice = Some("Note added to the timeline".into()))
                .map_err(|e| e.to_string())
        }
        Effect::Escalate {
            thread,
            channel,
            case_id,
            follow_up_at,
        } => {
            reload = true;
            let tz = app.config.timezone;
            store
                .escalate(thread, channel, &case_id, follow_up_at, now, tz)
                .map(|_| {
                    app.notice = Some(format!(
                        "Escalated ({}): follow up {}",
                        channel.label(),
                        crate::text::time_fmt::local(follow_up_at, tz)
                    ))
                })
                .map_err(|e| e.to_string())
        }
        Effect::Attach { thread, path } => attach(app, store, thread, path, now),
        Effect::SaveAttachments { thread, dir } => save_attachments(app, store, thread, &dir),
        Effect::RetryDelivery {
            thread,
            even_if_unknown,
        } => {
            reload = true;
            retry_delivery(app, store, thread, even_if_unknown, now)
        }
        Effect::CheckBack { thread, due_at } => {
            reload = true;
            let tz = app.config.timezone;
            store
                .check_back(thread, due_at, now, tz)
                .map(|_| {
                    app.notice = Some(format!(
                        "Reminder set: check back {}",
                        crate::text::time_fmt::local(due_at, tz)
                    ))
                })
                .map_err(|e| e.to_string())
        }
        Effect::CloseFollowUp { thread, outcome } => {
            reload = true;
            store
                .close_follow_up(thread, &outcome, now)
                .map(|closed| {
                    app.notice = Some(match closed {
                        Some(f) => format!("Closed: {}", f.describe()),
                        None => "No open escalation or reminder on this thread".into(),
                    })
                })
                .map_err(|e| e.to_string())
        }
        Effect::Snooze { thread, until } => {
            reload = true;
            let tz = app.config.timezone;
            match until {
                Some(until) => store.snooze(thread, until, now, tz).map(|_| {
                    app.notice = Some(format!(
                        "Snoozed until {} (the clock keeps running: it still alerts when due)",
                        crate::text::time_fmt::local(until, tz)
                    ))
                }),
                None => store.wake(thread, now).map(|woken| {
                    app.notice = Some(if woken {
                        "Back in the inbox".into()
                    } else {
                        "Not snoozed".into()
                    })
                }),
            }
            .map_err(|e| e.to_string())
        }
        Effect::WriteFirst { thread, reason } => {
            match reply::proactive_start(store, thread, reason) {
                Ok((subject, facts)) => open_composer(app, store, thread)
                    .map(|()| {
                        if let Some(c) = app.composer.as_mut() {
                            // A fresh message naming the order (a rule of its own).
                            let order = facts.order_id.clone().unwrap_or_default();
                            c.replace(&format!("Hello {{{{buyer_first_name}}}},\n\nabout your order {order}: \n\nKind regards,\n{{{{seller_name}}}}"), now);
                            let filled = crate::domain::template::fill(
                                &c.body(),
                                &c.context,
                                now,
                                app.config.timezone,
                            );
                            c.replace(&filled, now);
                            c.start_proactive(reason, facts, subject, now);
                        }
                        app.notice = Some(format!("Writing first: {}", reason.label()));
                    })
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        }
        Effect::EditReply { .. } | Effect::EditTemplate { .. } => Ok(()),
    };
    let notice = app.notice.take();
    if reload {
        refresh(app, store);
    }
    if rates {
        app.rates_due = true;
    }
    app.notice = match result {
        Err(e) => Some(e),
        Ok(()) => app.notice.take().or(notice),
    };
}

/// Queues the thread's failed replies again (and unknown ones when the seller accepted the
/// risk of a duplicate), for the sender to deliver.
fn retry_delivery(
    app: &mut App,
    store: &mut Store,
    thread: i64,
    even_if_unknown: bool,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let entries = store.outbox_of_thread(thread).map_err(|e| e.to_string())?;
    let mut queued = 0;
    let mut skipped = 0;
    for e in entries.iter().filter(|e| e.needs_attention()) {
        if store
            .outbox_retry(e.id, now, even_if_unknown)
            .map_err(|e| e.to_string())?
        {
            queued += 1;
        } else if e.state == crate::store::outbox::State::Unknown {
            skipped += 1;
        }
    }
    if queued == 0 && skipped > 0 {
        app.notice = Some(
            "Not sent again: its delivery is unknown (open the thread, then R, to send it anyway)"
                .into(),
        );
    } else if queued == 0 {
        app.notice = Some("Nothing to send again: no failed or unknown reply here".into());
    } else {
        app.wake_sender = true;
        app.rates_due = true;
        let unknown = if skipped > 0 {
            format!(" ({skipped} with an unknown delivery left alone: open the thread, then R)")
        } else {
            String::new()
        };
        app.notice = Some(format!(
            "{queued} repl{} queued again{unknown}",
            if queued == 1 { "y" } else { "ies" }
        ));
    }
    Ok(())
}

/// The reply's files as the composer lists them; a file gone or grown too big says so.
fn attachment_labels(store: &Store, thread: i64) -> Result<Vec<String>, StoreError> {
    Ok(store
        .draft_attachments(thread)?
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match crate::reply::attachments::check(p) {
                Ok(size) => format!("{name} ({})", human_size(size)),
                Err(e) => format!("{name} ✗ {e}"),
            }
        })
        .collect())
}

fn human_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{} KB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// Attaches a file to the thread's reply after checking it (a file, ≤ 10 MB), or with no
/// path takes the last one off.
fn attach(
    app: &mut App,
    store: &mut Store,
    thread: i64,
    path: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match path {
        Some(p) => {
            let path = crate::config::expand_home(p.trim());
            let path = std::path::absolute(&path).unwrap_or(path);
            let size = crate::reply::attachments::check(&path)?;
            store
                .attach(thread, &path, now)
                .map_err(|e| e.to_string())?;
            app.notice = Some(format!(
                "Attached {} ({})",
                crate::text::safe_text::line(&path.display().to_string()),
                human_size(size)
            ));
        }
        None => {
            let gone = store.detach_last(thread).map_err(|e| e.to_string())?;
            app.notice = Some(match gone {
                Some(p) => format!(
                    "Took {} off the reply",
                    crate::text::safe_text::line(&p.display().to_string())
                ),
                None => "No file attached".into(),
            });
        }
    }
    let labels = attachment_labels(store, thread).map_err(|e| e.to_string())?;
    if let Some(c) = app.composer.as_mut().filter(|c| c.thread_id == thread) {
        c.attachments = labels;
    }
    Ok(())
}

/// Writes every attachment of the thread's messages into `dir`.
fn save_attachments(app: &mut App, store: &Store, thread: i64, dir: &str) -> Result<(), String> {
    let dir = crate::config::expand_home(dir.trim());
    let files = store
        .thread_attachments(thread)
        .map_err(|e| e.to_string())?;
    if files.is_empty() {
        app.notice = Some("This thread has no attachments".into());
        return Ok(());
    }
    let written = crate::reply::attachments::save_all(&files, &dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    app.notice = Some(format!(
        "Saved {} file{} to {}",
        written.len(),
        if written.len() == 1 { "" } else { "s" },
        crate::text::safe_text::line(&dir.display().to_string())
    ));
    Ok(())
}

/// What the seller reads after the sender ran.
pub fn delivery_notice(s: &crate::delivery::Summary) -> String {
    let mut parts = Vec::new();
    let plural = |n: u32| if n == 1 { "y" } else { "ies" };
    if s.sent > 0 {
        parts.push(format!("{} repl{} delivered", s.sent, plural(s.sent)));
    }
    if s.retry_later > 0 {
        parts.push(format!(
            "{} not delivered yet (retried automatically)",
            s.retry_later
        ));
    }
    if s.failed > 0 {
        parts.push(format!("{} refused: the clock runs again", s.failed));
    }
    if s.unknown > 0 {
        parts.push(format!(
            "{} with unknown delivery: R sends again",
            s.unknown
        ));
    }
    parts.join(" · ")
}

/// What the seller reads after pressing send.
fn sent_notice(sent: &reply::Sent) -> String {
    use crate::delivery::Attempt;
    match (&sent.delivered, sent.path()) {
        (Some(Attempt::Sent(_)), Some(path)) => format!(
            "Reply written to the outbox: {} · b: check back later",
            path.file_name()
                .map(|f| crate::text::safe_text::line(&f.to_string_lossy()).into_owned())
                .unwrap_or_default()
        ),
        (Some(Attempt::Sent(_)), None) => "Reply sent · b: check back later".into(),
        (Some(other), _) => format!("Reply recorded · {}", other.describe()),
        (None, _) => "Reply queued: sending in the background · b: check back later".into(),
    }
}
