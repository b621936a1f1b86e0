//! `sellerdesk export-thread ID [--format md|txt] [--out PATH]`: a thread as evidence, printed or
//! written into a new file.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Invocation;
use crate::export::{Format, thread, write_new};

pub fn run(inv: &Invocation, id: i64, format: Format, out: Option<&Path>) -> Result<u8> {
    let store = inv.open_store()?;
    let Some(detail) = store.thread_detail(id)? else {
        bail!("there is no thread {id} (see `sellerdesk status` or the app)");
    };
    let text = thread(&detail, format, inv.config.timezone, inv.now);
    match out {
        None => {
            outln!("{}", text.trim_end());
        }
        Some(path) => {
            write_new(path, &text).with_context(|| {
                format!(
                    "cannot write {} (an existing file is never overwritten)",
                    crate::text::safe_text::path(path)
                )
            })?;
            outln!(
                "thread {id} written to {}",
                crate::text::safe_text::path(path)
            );
        }
    }
    Ok(0)
}
