//! The layers point one way: each rule below names a part of `src/` and the top-level modules
//! its code (tests aside) may not name. A forbidden `crate::…` path fails here, with the file
//! and line, before it can creep in.

use std::path::{Path, PathBuf};

/// (the part, as a path under `src/`; modules it must not use)
const RULES: &[(&str, &[&str])] = &[
    // Pure rules: nothing of storage, reports, the terminal or settings.
    (
        "domain",
        &[
            "store", "reports", "tui", "config", "cli", "import", "reply", "delivery", "demo",
            "metrics", "testing",
        ],
    ),
    // Settings: checked at load time with the low key grammar (`keys`), never the app's.
    (
        "config",
        &[
            "tui", "store", "cli", "import", "reply", "delivery", "demo", "metrics", "reports",
        ],
    ),
    // Storage keeps records; reading reports is above it.
    ("store", &["reports", "tui", "cli", "testing"]),
    // The key grammar and text helpers are leaves.
    (
        "keys",
        &[
            "domain", "store", "reports", "tui", "config", "cli", "import", "reply", "delivery",
            "demo", "metrics",
        ],
    ),
    (
        "text",
        &[
            "domain", "store", "reports", "tui", "config", "cli", "import", "reply", "delivery",
            "demo", "metrics", "keys",
        ],
    ),
    // Only the command line and the app are on top.
    ("reports", &["store", "tui", "cli", "import"]),
    ("import", &["tui", "cli"]),
    ("reply", &["tui", "cli"]),
    ("delivery", &["tui", "cli"]),
    (
        "export",
        &[
            "tui", "cli", "import", "reply", "delivery", "reports", "demo",
        ],
    ),
    ("metrics", &["tui", "cli"]),
    ("tui", &["cli", "testing"]),
];

/// Inside the store, the mail batch uses the account records and the per-day counts, the
/// account records use the per-day counts: never back.
const STORE_ORDER: &[(&str, &[&str])] = &[
    ("store/metric_days.rs", &["ingest", "account"]),
    ("store/account.rs", &["ingest"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of a part: `src/<part>.rs` and everything under `src/<part>/`.
fn part(name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src().join(format!("{name}.rs"));
    if file.exists() {
        files.push(file);
    }
    let dir = src().join(name);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    }
    assert!(!files.is_empty(), "no part {name} in src/");
    files
}

/// The product code of a file: the lines before its test module (tests close every file).
fn product_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// Every `crate::<module>` a line names.
fn crate_modules(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .map(|(i, _)| {
            line[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Does `line` name `<prefix><module>` as a whole name (`account`, not `account_sql`)?
fn names_module(line: &str, prefix: &str, module: &str) -> bool {
    let path = format!("{prefix}{module}");
    line.match_indices(&path).any(|(i, _)| {
        line[i + path.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

#[test]
fn no_part_names_a_module_above_it() {
    let mut wrong = Vec::new();
    for (name, forbidden) in RULES {
        for file in part(name) {
            for (n, line) in product_lines(&file) {
                for module in crate_modules(&line) {
                    if forbidden.contains(&module.as_str()) {
                        wrong.push(format!(
                            "{}:{n}: {name} uses crate::{module}",
                            file.strip_prefix(src()).unwrap().display()
                        ));
                    }
                }
            }
        }
    }
    for (file, forbidden) in STORE_ORDER {
        for (n, line) in product_lines(&src().join(file)) {
            for module in *forbidden {
                if names_module(&line, "super::", module) || names_module(&line, "store::", module)
                {
                    wrong.push(format!("{file}:{n}: uses store::{module}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

/// The check itself sees a forbidden path.
#[test]
fn a_forbidden_path_is_seen() {
    assert_eq!(
        crate_modules("use crate::store::Store; x(crate::tui::a)"),
        ["store", "tui"]
    );
    assert!(names_module(
        "use super::account::{x};",
        "super::",
        "account"
    ));
    assert!(!names_module(
        "use super::account_sql::u;",
        "super::",
        "account"
    ));
}

/// Where a line of product code changes the app's state from outside `tui/state`: an
/// assignment to a field, a `&mut` borrow of one, a mutating call on one, or methods of its own.
fn writes_app(line: &str) -> bool {
    let writes = regex::Regex::new(
        r"\bapp\.[a-z_]+(\.[a-z_]+)*\s*(=[^=]|\+=|-=)|&mut\s+(self\.)?app\.|\bapp\.[a-z_]+\.(as_mut|get_mut|push|insert|clear|take|retain|extend)\(|impl\s+App\b",
    )
    .unwrap();
    writes.is_match(line)
}

/// `App::update` is the one place the app changes: the loop, the effect executor and the
/// views only read it. (The one cell the view fills, `body_layouts`, is a memo of how the open
/// thread's bodies wrap: a pure function of what `update` set, which `update` clears.)
#[test]
fn only_app_update_writes_the_app() {
    let mut wrong = Vec::new();
    for file in part("tui") {
        let inside = file.strip_prefix(src()).unwrap();
        if inside == Path::new("tui/state.rs") || inside.starts_with("tui/state") {
            continue;
        }
        for (n, line) in product_lines(&file) {
            if writes_app(&line) && !line.contains("app.body_layouts.borrow_mut()") {
                wrong.push(format!("{}:{n}: {}", inside.display(), line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the app written outside App::update:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_write_to_the_app_is_seen() {
    for line in [
        "app.notice = Some(x);",
        "app.metrics.counts = c;",
        "app.rates_asked += 1;",
        "if let Some(c) = app.composer.as_mut() {",
        "std::mem::take(&mut app.wake_sender)",
        "impl App {",
    ] {
        assert!(writes_app(line), "{line}");
    }
    for line in [
        "if app.notice == None {",
        "let rows = ui::inbox_rows(r, &app);",
        "app.update(msg, now)",
    ] {
        assert!(!writes_app(line), "{line}");
    }
}

/// Where a line of product code speaks SQL: a statement in a string, or a call that runs one.
fn speaks_sql(line: &str) -> bool {
    let sql = regex::Regex::new(
        r#""\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE|WITH|BEGIN|EXPLAIN)\s|\.(execute|execute_batch|query_row|query_map|prepare|prepare_cached|pragma_update|pragma_query_value|transaction|transaction_with_behavior)\("#,
    )
    .unwrap();
    sql.is_match(line)
}

/// The store owns SQL: every statement is behind one of its named methods.
#[test]
fn only_the_store_speaks_sql() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let inside = file.strip_prefix(src()).unwrap();
        if inside == Path::new("store.rs") || inside.starts_with("store") {
            continue;
        }
        for (n, line) in product_lines(&file) {
            if speaks_sql(&line) {
                wrong.push(format!("{}:{n}: {}", inside.display(), line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "SQL outside the store:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn sql_is_seen() {
    for line in [
        r#"let n: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?;"#,
        r#"    "INSERT INTO events (thread_id) VALUES (?1)","#,
        "tx.execute(&sql, [])?;",
        "let tx = conn.transaction()?;",
    ] {
        assert!(speaks_sql(line), "{line}");
    }
    for line in ["// Select the thread", "let selected = app.selected;"] {
        assert!(!speaks_sql(line), "{line}");
    }
}
