//! `sellerdesk check [--json]`: is the database whole and safe? Integrity and foreign keys,
//! its settings, who can read its files, how old the newest backup is. Exit 0 healthy, 1
//! warnings, 2 damaged.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::Invocation;
use crate::store::{Store, StoreError};
use crate::text::safe_text;

/// A backup older than this is worth a warning.
const BACKUP_MAX_AGE_DAYS: i64 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
enum Level {
    Ok,
    Warning,
    Damaged,
}

#[derive(Serialize)]
struct Finding {
    level: Level,
    check: &'static str,
    detail: String,
}

fn mode_finding(check: &'static str, path: &Path, want: u32, findings: &mut Vec<Finding>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    findings.push(if mode & 0o077 != 0 {
        Finding {
            level: Level::Warning,
            check,
            detail: format!(
                "{} is {mode:03o}: others can read it (buyers' data); chmod {want:03o} it",
                path.display()
            ),
        }
    } else {
        Finding {
            level: Level::Ok,
            check,
            detail: format!("{} is {mode:03o}", path.display()),
        }
    });
}

pub fn run(inv: &Invocation, json: bool) -> Result<u8> {
    let path = inv.db_path()?;
    let mut findings = Vec::new();
    // Before opening: opening makes the database file private by itself.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        mode_finding("folder permissions", dir, 0o700, &mut findings);
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        mode_finding("file permissions", &file, 0o600, &mut findings);
    }
    match Store::open_existing(&path) {
        Ok(store) => {
            if let Err(e) = database_findings(inv, &store, &mut findings) {
                damaged(e.or_damaged(&path), &mut findings)?;
            }
        }
        Err(e) => damaged(e, &mut findings)?,
    }
    let worst = findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok);
    let mut out = crate::cli::out::stdout();
    if json {
        let doc = serde_json::json!({ "status": worst, "findings": findings });
        writeln!(out, "{}", safe_text::json(serde_json::to_string(&doc)?))?;
    } else {
        for f in &findings {
            let mark = match f.level {
                Level::Ok => "ok     ",
                Level::Warning => "WARNING",
                Level::Damaged => "DAMAGED",
            };
            writeln!(out, "{mark} {:<17} {}", f.check, safe_text::line(&f.detail))?;
        }
    }
    Ok(match worst {
        Level::Ok => 0,
        Level::Warning => 1,
        Level::Damaged => 2,
    })
}

/// The journal as the file was before this run opened it: opening sets WAL again, so a
/// program that switched it off (and took crash safety with it) is only seen here.
fn settings_finding(store: &Store) -> Finding {
    match store.found() {
        None => Finding {
            level: Level::Ok,
            check: "settings",
            detail: "created now, in WAL mode".into(),
        },
        Some(found) if found.wal => Finding {
            level: Level::Ok,
            check: "settings",
            detail: "journal_mode=wal".into(),
        },
        Some(_) => Finding {
            level: Level::Warning,
            check: "settings",
            detail:
                "it was not in WAL mode: another program changed its journal (WAL is set again)"
                    .into(),
        },
    }
}

/// What the open database says about itself. An error here may be SQLite finding the file
/// damaged part-way through.
fn database_findings(
    inv: &Invocation,
    store: &Store,
    findings: &mut Vec<Finding>,
) -> Result<(), StoreError> {
    let integrity = store.integrity()?;
    let whole = integrity == ["ok"];
    findings.push(if whole {
        Finding {
            level: Level::Ok,
            check: "integrity",
            detail: "ok".into(),
        }
    } else {
        Finding {
            level: Level::Damaged,
            check: "integrity",
            detail: format!("{}: {}", store.path().display(), integrity.join("; ")),
        }
    });
    if !whole {
        findings.push(Finding {
            level: Level::Damaged,
            check: "restore",
            detail: crate::store::damage::advice(store.path()),
        });
    }
    let fk = store.dangling_references()?;
    findings.push(if fk.is_empty() {
        Finding {
            level: Level::Ok,
            check: "foreign keys",
            detail: "every reference holds".into(),
        }
    } else {
        Finding {
            level: Level::Damaged,
            check: "foreign keys",
            detail: format!(
                "{} rows refer to nothing (first: {} row {})",
                fk.len(),
                fk[0].0,
                fk[0].1
            ),
        }
    });
    findings.push(settings_finding(store));
    let backups = store.backups()?;
    findings.push(match backups.first() {
        None => Finding {
            level: Level::Warning,
            check: "backup",
            detail: "no backup made yet: `sellerdesk backup FILE`".into(),
        },
        Some(b) if !Path::new(&b.path).exists() => Finding {
            level: Level::Warning,
            check: "backup",
            detail: format!("the newest backup, {}, is gone", b.path),
        },
        Some(b) if (inv.now - b.made_at).num_days() >= BACKUP_MAX_AGE_DAYS => Finding {
            level: Level::Warning,
            check: "backup",
            detail: format!(
                "the newest backup is {} days old ({})",
                (inv.now - b.made_at).num_days(),
                b.path
            ),
        },
        Some(b) => Finding {
            level: Level::Ok,
            check: "backup",
            detail: format!(
                "newest {} ({})",
                b.made_at.format("%Y-%m-%d %H:%M UTC"),
                b.path
            ),
        },
    });
    findings.push(
        if store.purge_due(inv.now, crate::store::purge::DEFAULT_DAYS)? {
            Finding {
                level: Level::Warning,
                check: "buyer data",
                detail: format!(
                    "threads hold buyer data past {} days: `sellerdesk purge-pii`",
                    crate::store::purge::DEFAULT_DAYS
                ),
            }
        } else {
            Finding {
                level: Level::Ok,
                check: "buyer data",
                detail: "none past its 30 days".into(),
            }
        },
    );
    text_findings(store, findings)?;
    Ok(())
}

/// Stored text that is not UTF-8 is shown with U+FFFD; the rows are named so they can be
/// fixed or restored.
fn text_findings(store: &Store, findings: &mut Vec<Finding>) -> Result<(), StoreError> {
    const NAMED: usize = 5;
    let (total, rows) = store.text_not_utf8(NAMED)?;
    findings.push(if total == 0 {
        Finding {
            level: Level::Ok,
            check: "text",
            detail: "all stored text is UTF-8".into(),
        }
    } else {
        let named: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {} {}", r.table, r.row, r.column))
            .collect();
        Finding {
            level: Level::Warning,
            check: "text",
            detail: format!(
                "{total} stored {} not UTF-8 (shown with �): {}{}",
                if total == 1 { "value is" } else { "values are" },
                named.join(", "),
                if total as usize > rows.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
        }
    });
    Ok(())
}

/// A database SQLite finds damaged is a finding, with the way back; any other error stops.
fn damaged(e: StoreError, findings: &mut Vec<Finding>) -> Result<()> {
    match e {
        StoreError::Damaged {
            path,
            detail,
            advice,
        } => {
            findings.push(Finding {
                level: Level::Damaged,
                check: "integrity",
                detail: format!("{}: {detail}", path.display()),
            });
            findings.push(Finding {
                level: Level::Damaged,
                check: "restore",
                detail: advice,
            });
            Ok(())
        }
        other => Err(other.into()),
    }
}
