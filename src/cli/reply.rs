//! `sellerdesk reply TARGET (--template NAME | --body-file FILE) [--set KEY=VALUE]... [--edit]
//! [--force] [--json]`: answering a buyer without the full-screen app — from a shell, a script,
//! or a mail client piping the message it shows (`sellerdesk reply -`).
//!
//! The reply is filled, checked and queued as the app's send does (the thread's draft is left
//! alone); `sellerdesk send` delivers it. Exit 0 queued; 1 refused for warnings (`--force`
//! sends anyway); 2 refused for errors, which nothing overrides here; 3 a target, template or
//! file that cannot be used.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::Invocation;
use crate::domain::compliance::{self, Finding, Severity};
use crate::domain::template::fill_with;
use crate::import::{RawMail, import_raw};
use crate::reply::{Draft, SendError, prepare_text, queue};
use crate::store::Store;
use crate::store::templates::TemplateRow;
use crate::text::safe_text;

/// Where the reply's text comes from.
pub enum Body<'a> {
    Template(&'a str),
    File(&'a Path),
    /// The template the app's picker offers first for the thread.
    Best,
}

pub struct Options<'a> {
    pub target: &'a str,
    pub body: Body<'a>,
    /// `KEY=VALUE`, as given.
    pub set: &'a [String],
    pub edit: bool,
    pub force: bool,
    pub json: bool,
}

#[derive(Serialize)]
struct Queued<'a> {
    outbox_id: i64,
    thread: i64,
    warnings: &'a [Finding],
}

#[derive(Serialize)]
struct Refused<'a> {
    thread: i64,
    errors: Vec<&'a Finding>,
    warnings: Vec<&'a Finding>,
}

pub fn run(inv: &Invocation, opts: &Options<'_>) -> Result<u8> {
    let values = parse_set(opts.set)?;
    if opts.target.trim() == "-" && matches!(opts.body, Body::File(p) if p == Path::new("-")) {
        bail!(
            "standard input cannot hold both the buyer's message and the reply: give the reply \
             with --template or --body-file FILE"
        );
    }
    let mut store = inv.open_store()?;
    let thread = resolve_target(&mut store, inv, opts.target)?;
    let facts = store
        .reply_facts(thread)?
        .with_context(|| format!("there is no thread {thread}"))?;
    let mut context = facts.context.clone();
    inv.config.sign(&mut context);
    // A template's dates follow its language; a file's the buyer's.
    context.language = Some(facts.language.to_string());
    let text = match opts.body {
        Body::Template(name) => {
            let t = find_template(&store, name)?.template;
            context.language = Some(t.language);
            t.body
        }
        Body::File(path) => read_text(path)?,
        Body::Best => {
            let rows = store.templates()?;
            let buyer_phrases = facts
                .kind
                .as_deref()
                .and_then(crate::domain::category::Category::parse)
                .map(|k| inv.config.classifier.phrases_in(k, &facts.buyer_text))
                .unwrap_or_default();
            let fit = crate::domain::template_fit::Thread {
                kind: facts.kind.as_deref(),
                buyer_phrases: &buyer_phrases,
                language: facts.language,
                context: &context,
                now: inv.now,
                tz: inv.config.timezone,
            };
            let best = fit
                .rank(rows.iter().collect(), |r| &r.template)
                .first()
                .map(|r| r.template.clone())
                .context("there are no templates: add one with `sellerdesk templates import`")?;
            // On standard error, also with --json: the JSON on standard output stays the same.
            errln!(
                "sellerdesk: using template {:?} ({}, {})",
                safe_text::line(&best.name),
                safe_text::line(best.category.as_deref().unwrap_or("any kind")),
                safe_text::line(&best.language)
            );
            context.language = Some(best.language);
            best.body
        }
    };
    let mut body = fill_with(&text, &context, &values, inv.now, inv.config.timezone);
    if opts.edit {
        let editor = crate::tui::effects::editor::editor_command();
        body = crate::tui::effects::editor::edit(&editor, &body, ".txt", &mut NoHandoff)
            .map_err(anyhow::Error::msg)?;
    }

    let (reply, unfilled) = match prepare_text(&store, &inv.config, thread, &body, inv.now) {
        Ok(r) => (Some(r), None),
        // Placeholders left are an error of the draft check, reported with the others below.
        Err(e @ SendError::Unfilled(_)) => (None, Some(e.to_string())),
        Err(e) => bail!("{e}"),
    };
    let subject = reply
        .as_ref()
        .map(|r| r.subject.clone())
        .unwrap_or_else(|| crate::reply::outbox::reply_subject(&facts.subject));
    let findings = compliance::check(
        &body,
        &compliance::Context {
            subject: Some(subject),
            now: Some(inv.now),
            ..compliance::Context::default()
        },
    );
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let warnings: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .collect();
    let refuse = if !errors.is_empty() {
        Some(2)
    } else if !warnings.is_empty() && !opts.force {
        Some(1)
    } else {
        None
    };
    let mut out = crate::cli::out::stdout();
    if let Some(code) = refuse {
        if opts.json {
            let doc = Refused {
                thread,
                errors,
                warnings,
            };
            writeln!(out, "{}", safe_text::json(serde_json::to_string(&doc)?))?;
        } else {
            let what = if code == 2 {
                "against Amazon's messaging rules (nothing overrides these here)"
            } else {
                "with warnings: check them, then add --force to send anyway"
            };
            errln!("sellerdesk: reply to thread {thread} not queued, {what}:");
            for f in errors.iter().chain(&warnings) {
                errln!("  {}", describe(f));
            }
        }
        return Ok(code);
    }
    let Some(reply) = reply else {
        // The draft check names every placeholder as an error; this is only a second guard.
        errln!(
            "sellerdesk: reply to thread {thread} not queued: {}",
            unfilled.unwrap_or_default()
        );
        return Ok(2);
    };
    // Every error refused above: nothing is overridden.
    let sent = queue(
        &mut store,
        &inv.config,
        thread,
        &reply,
        inv.now,
        &[],
        None,
        Draft::Keep,
    )?;
    if opts.json {
        let doc = Queued {
            outbox_id: sent.outbox_id,
            thread,
            warnings: &findings,
        };
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&doc)?))?;
    } else {
        let delivery = match &sent.delivered {
            Some(attempt) => attempt.describe(),
            None => "`sellerdesk send` delivers it".into(),
        };
        writeln!(
            out,
            "queued reply {} on thread {thread} to {}: {delivery}",
            sent.outbox_id,
            safe_text::line(&reply.to_addr)
        )?;
        for f in &findings {
            writeln!(out, "  sent despite {}", describe(f))?;
        }
    }
    Ok(0)
}

/// `warning off_amazon: “call me”: why`, for the seller.
fn describe(f: &Finding) -> String {
    let severity = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let quoted = if f.text.is_empty() {
        String::new()
    } else {
        format!(" “{}”", safe_text::line(&f.text))
    };
    format!("{severity} {}{quoted}: {}", f.kind.key(), f.reason)
}

/// The editor runs in the terminal sellerdesk was started in: nothing to hand over.
struct NoHandoff;

impl crate::tui::effects::editor::Handoff for NoHandoff {
    fn suspend(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn resume(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn parse_set(set: &[String]) -> Result<Vec<(String, String)>> {
    set.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().trim_matches(['{', '}']).to_string(), v.to_string()))
            }
            _ => bail!("--set {kv}: write it as KEY=VALUE, e.g. --set delivery_date=\"Friday\""),
        })
        .collect()
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {} is invalid): save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// A thread ID, an order ID (its open thread), or `-` (the buyer message on standard input).
fn resolve_target(store: &mut Store, inv: &Invocation, target: &str) -> Result<i64> {
    let target = target.trim();
    if target == "-" {
        return thread_of_piped_message(store, inv);
    }
    if let Ok(id) = target.trim_start_matches('#').parse::<i64>() {
        if !store.thread_exists(id)? {
            bail!("there is no thread {id} (see `sellerdesk status` or the app)");
        }
        return Ok(id);
    }
    if crate::domain::identifiers::is_order_id(target) {
        return thread_of_order(store, target);
    }
    bail!("`{target}` is neither a thread ID, an order ID (3-7-7 digits) nor `-`");
}

/// The order's thread waiting for a reply (most urgent first); without one, its latest thread.
fn thread_of_order(store: &Store, order: &str) -> Result<i64> {
    let threads = store.threads_of_order(order)?;
    let open: Vec<_> = threads.iter().filter(|t| t.waiting).collect();
    match (open.len(), threads.first()) {
        (_, None) => bail!("no thread is about order {order}"),
        (0 | 1, Some(first)) => Ok(first.id),
        _ => {
            let list: Vec<String> = open
                .iter()
                .map(|t| {
                    format!(
                        "  {}  {}  {}",
                        t.id,
                        safe_text::line(t.buyer.as_deref().unwrap_or("(unknown buyer)")),
                        safe_text::line(&t.subject)
                    )
                })
                .collect();
            bail!(
                "order {order} has {} threads waiting for a reply; give the thread ID:\n{}",
                open.len(),
                list.join("\n")
            )
        }
    }
}

/// The thread of the message on standard input, by its Message-ID; a message not in the inbox
/// yet is imported first (as `sellerdesk import` would).
fn thread_of_piped_message(store: &mut Store, inv: &Invocation) -> Result<i64> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read the message on standard input")?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        bail!("no message on standard input: pipe a buyer's message to `sellerdesk reply -`");
    }
    let raw = || RawMail {
        bytes: bytes.clone(),
        delivered_at: None,
        source: "reply -".into(),
        cut: None,
    };
    let key = crate::import::parse::parse_mail(raw(), &inv.config, inv.now).key;
    let find = |store: &Store| -> Result<Option<i64>> { Ok(store.thread_of_message(&key)?) };
    if let Some(thread) = find(store)? {
        return Ok(thread);
    }
    import_raw(store, &inv.config, [raw()], inv.now)?;
    find(store)?.context("the message on standard input could not be stored")
}

/// The template whose display name or export file name (`damaged-in-transit.toml`, with or
/// without `.toml`) is `name`, case-insensitive.
fn find_template(store: &Store, name: &str) -> Result<TemplateRow> {
    let wanted = name.trim().to_lowercase();
    let wanted_file = wanted.trim_end_matches(".toml");
    let rows = store.templates()?;
    // File names as `sellerdesk templates export` gives them (same order, same suffixes).
    let mut taken = HashSet::new();
    let files: Vec<String> = rows
        .iter()
        .map(|r| crate::reply::templates::file_name(&r.template.name, &mut taken))
        .collect();
    let matches: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            rows[i].template.name.trim().to_lowercase() == wanted
                || files[i].trim_end_matches(".toml") == wanted_file
        })
        .collect();
    let list = |ids: &[usize]| -> String {
        ids.iter()
            .map(|&i| {
                format!(
                    "  {} ({})",
                    safe_text::line(&rows[i].template.name),
                    files[i]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    match matches.as_slice() {
        [one] => Ok(rows[*one].clone()),
        [] => {
            let near: Vec<usize> = (0..rows.len())
                .filter(|&i| {
                    rows[i].template.name.to_lowercase().contains(&wanted)
                        || files[i].contains(wanted_file)
                })
                .collect();
            let candidates = if near.is_empty() {
                (0..rows.len()).collect()
            } else {
                near
            };
            bail!(
                "no template is called `{}`; the templates{}:\n{}",
                safe_text::line(name),
                if candidates.len() < rows.len() {
                    " with that in their name"
                } else {
                    ""
                },
                list(&candidates)
            )
        }
        many => bail!(
            "`{}` names {} templates; give the file name:\n{}",
            safe_text::line(name),
            many.len(),
            list(many)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_takes_key_value_pairs() {
        assert_eq!(
            parse_set(&[
                "delivery_date=Friday, 4 December".into(),
                "{{x}}=a=b".into()
            ])
            .unwrap(),
            vec![
                ("delivery_date".into(), "Friday, 4 December".into()),
                ("x".into(), "a=b".into())
            ]
        );
        assert!(parse_set(&["nothing".into()]).is_err());
        assert!(parse_set(&["=x".into()]).is_err());
    }

    #[test]
    fn a_path_is_not_needed_to_describe_a_finding() {
        let f = compliance::check("Please leave us a 5-star review!", &Default::default());
        assert!(!f.is_empty());
        assert!(describe(&f[0]).starts_with("error"), "{}", describe(&f[0]));
    }
}
