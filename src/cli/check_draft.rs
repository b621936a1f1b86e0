//! `sellerdesk check-draft FILE [--json] [--thread ID] [--subject TEXT]`: the composer's
//! compliance check from the shell. Exit 0 clean, 1 warnings only, 2 errors.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::Invocation;
use crate::domain::compliance::{self, Context, Finding, Severity};
use crate::text::safe_text;

#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// 1-based line and column (in characters) of `start`, in its field.
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    findings: Vec<FindingJson<'a>>,
    errors: usize,
    warnings: usize,
}

/// 1-based line and character column of byte `at` in `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn read(file: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => bail!(
            "{} is not UTF-8 text (byte {} is invalid): save the draft as UTF-8",
            file.display(),
            e.utf8_error().valid_up_to()
        ),
    }
}

pub fn run(
    inv: &Invocation,
    file: &Path,
    json: bool,
    thread: Option<i64>,
    subject: Option<&str>,
) -> Result<u8> {
    let body = read(file)?;
    let mut ctx = Context {
        subject: subject.map(str::to_string),
        now: Some(inv.now),
        ..Context::default()
    };
    if let Some(id) = thread {
        let store = inv.open_store()?;
        let facts = store
            .reply_facts(id)?
            .with_context(|| format!("there is no thread {id}"))?;
        ctx.subject
            .get_or_insert_with(|| crate::reply::outbox::reply_subject(&facts.subject));
    }
    let findings = compliance::check(&body, &ctx);
    let (errors, warnings) = compliance::tally(&findings);
    let text_of = |f: &Finding| -> &str {
        if f.field == "subject" {
            ctx.subject.as_deref().unwrap_or("")
        } else {
            &body
        }
    };
    let mut out = crate::cli::out::stdout();
    if json {
        let report = Report {
            file: file.display().to_string(),
            findings: findings
                .iter()
                .map(|f| {
                    let (line, column) = position(text_of(f), f.start);
                    FindingJson {
                        finding: f,
                        line,
                        column,
                    }
                })
                .collect(),
            errors,
            warnings,
        };
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&report)?))?;
    } else {
        for f in &findings {
            let (line, column) = position(text_of(f), f.start);
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let place = if f.field == "subject" {
                "subject".to_string()
            } else {
                format!("{}:{line}:{column}", file.display())
            };
            let quoted = if f.text.is_empty() {
                String::new()
            } else {
                format!(": “{}”", safe_text::line(&f.text))
            };
            writeln!(
                out,
                "{place}: {severity}[{}]: {}{quoted}",
                f.kind.key(),
                f.reason
            )?;
        }
        match (errors, warnings) {
            (0, 0) => writeln!(out, "clean: nothing Amazon's guidelines forbid")?,
            _ => writeln!(
                out,
                "{errors} error{}, {warnings} warning{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            )?,
        }
    }
    Ok(match (errors, warnings) {
        (0, 0) => 0,
        (0, _) => 1,
        _ => 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        assert_eq!(position("abc", 0), (1, 1));
        assert_eq!(position("ab\ncäd", 6), (2, 3));
        assert_eq!(position("x", 99), (1, 2));
    }
}
