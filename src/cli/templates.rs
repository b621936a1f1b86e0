//! `sellerdesk templates list | export DIR | import DIR`: reply templates as TOML files, for
//! backups, sharing between shops and editing in bulk.

use std::path::Path;

use anyhow::{Context, Result};

use super::Invocation;
use crate::store::templates::Upserted;
use crate::text::columns::pad;
use crate::text::safe_text;

pub fn list(inv: &Invocation) -> Result<u8> {
    let store = inv.open_store()?;
    for row in store.templates()? {
        let t = &row.template;
        outln!(
            "{} {} {}",
            pad(&safe_text::line(&t.name), 36),
            pad(&safe_text::line(t.category.as_deref().unwrap_or("-")), 18),
            safe_text::line(&t.language)
        );
    }
    Ok(0)
}

pub fn export(inv: &Invocation, dir: &Path) -> Result<u8> {
    let store = inv.open_store()?;
    let templates: Vec<_> = store.templates()?.into_iter().map(|r| r.template).collect();
    let files = crate::reply::templates::export(&templates, dir)
        .with_context(|| format!("cannot export to {}", dir.display()))?;
    outln!(
        "exported {} templates to {}",
        files.len(),
        crate::text::safe_text::path(dir)
    );
    Ok(0)
}

/// Imports every `*.toml` file of `dir`; a template of the same name is replaced. Bad files are
/// named with their line and key and skipped (exit 3); the good ones still come in.
pub fn import(inv: &Invocation, dir: &Path) -> Result<u8> {
    let parsed = crate::reply::templates::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let mut store = inv.open_store()?;
    let (mut created, mut updated, mut unchanged, mut failed) = (0, 0, 0, 0);
    for result in parsed {
        match result {
            Ok(t) => match store.upsert_template(&t, inv.now)? {
                Upserted::Created => created += 1,
                Upserted::Updated => updated += 1,
                Upserted::Unchanged => unchanged += 1,
            },
            Err(e) => {
                failed += 1;
                errln!("sellerdesk: {}", safe_text::line(&e.to_string()));
            }
        }
    }
    outln!("created {created} · updated {updated} · unchanged {unchanged} · failed {failed}");
    Ok(if failed > 0 { super::EXIT_ERROR } else { 0 })
}
