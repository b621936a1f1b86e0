//! The command line: global options, subcommands, exit codes.
//!
//! Exit codes follow the Nagios convention so `status` can drive monitoring: 0 OK, 1 warning,
//! 2 critical, and 3 (UNKNOWN) for every usage or operational error — clap's own 2 is remapped.

/// A line on standard output; a reader that went away (`| head`) ends the output quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($crate::cli::out::stdout(), $($arg)*);
    }};
}

/// A line on standard error, never a panic when stderr is a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod attachments;
mod backup;
mod check;
mod check_draft;
mod demo;
mod export_thread;
mod feedback;
mod import;
mod metrics;
pub mod out;
mod purge;
mod reply;
mod report;
mod send;
mod status;
mod templates;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::store::Store;

pub const EXIT_ERROR: u8 = 3;

/// The database this command works on, so that SQLite finding it damaged deep inside a query
/// is reported with the file's name and the way back.
static DATABASE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

#[derive(Parser, Debug)]
#[command(
    name = "sellerdesk",
    version,
    about = "Triage marketplace buyer messages against Amazon's 24-hour response clock",
    long_about = None,
)]
pub struct Cli {
    /// Config file (default: the platform config folder's sellerdesk/config.toml).
    #[arg(long, global = true, value_name = "PATH", env = "SELLERDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database file (default: [store] db in the config, else the platform data folder).
    #[arg(long, global = true, value_name = "PATH", env = "SELLERDESK_DB")]
    pub db: Option<PathBuf>,
    /// The instant every decision uses, RFC 3339 (default: the system clock).
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import buyer mail: .eml files, mbox files, Maildir folders, directories of mail.
    Import {
        /// Files or folders to import; the format is recognized by content.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print the counts as one JSON object.
        #[arg(long)]
        json: bool,
        /// Leave the search index for later (`sellerdesk index`, the next import or the app):
        /// for a bulk load of many files in a row.
        #[arg(long)]
        defer_index: bool,
    },
    /// Bring the full-text search index up to date (imports and the app do it by themselves).
    Index,
    /// Import mail as it arrives in the config's [[mailbox]] Maildirs, without the app (for a
    /// server or a tmux pane); runs until interrupted.
    Watch,
    /// List threads that are critical, overdue or due soon. Exit 0: nothing due soon,
    /// 1: something due soon, 2: something overdue or critical.
    Status {
        #[arg(long)]
        json: bool,
        /// List at most this many threads (the counts are always complete).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        limit: Option<u64>,
    },
    /// Account metrics (ODR, LSR, PCR, VTR, feedback, refunds, POP, late responses, AHR) with
    /// windows, targets and headroom. Exit 0: all on target, 1: something at risk, 2: off target.
    Metrics {
        #[arg(long)]
        json: bool,
        /// Only orders of this marketplace, by domain (e.g. amazon.de).
        #[arg(long, value_name = "DOMAIN")]
        marketplace: Option<String>,
    },
    /// Reply templates: list them, or export/import them as TOML files (one per template).
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Recurring issues: ASINs with several complaints of one kind in a short window (default
    /// 3 in 14 days, `[recurring]` in the config). Exit 0: none, 1: at least one.
    Report {
        #[arg(long)]
        json: bool,
        /// The window, in days (1-365, as `[recurring] days`).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=365))]
        days: Option<u32>,
        /// Complaints of one kind on one ASIN that make an issue (2-1000).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=1000))]
        min: Option<u32>,
    },
    /// Check a draft against Amazon's messaging guidelines (links, e-mail addresses, HTML,
    /// review incentives, marketing, ...). Exit 0: clean, 1: warnings, 2: errors.
    CheckDraft {
        /// The draft as UTF-8 text; `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print the findings as JSON (kind, severity, byte span, line, column, reason).
        #[arg(long)]
        json: bool,
        /// The thread the draft answers: its reply subject is checked too.
        #[arg(long, value_name = "ID")]
        thread: Option<i64>,
        /// A subject to check as well (e.g. one starting with "[Important]").
        #[arg(long, value_name = "TEXT")]
        subject: Option<String>,
    },
    /// Deliver the outbox now, by the config's [delivery] transport (for cron; the app does it
    /// by itself). Exit 0: nothing left undelivered, 1: replies wait for a retry, 2: some were
    /// refused for good or have an unknown delivery.
    Send {
        /// Print what happened as one JSON object.
        #[arg(long)]
        json: bool,
        /// Send this failed outbox message again (see `sellerdesk outbox`); repeatable. One whose
        /// delivery is unknown is skipped unless --even-if-unknown is given too.
        #[arg(long, value_name = "ID")]
        retry: Vec<i64>,
        /// With --retry: send again even a reply whose delivery is unknown. The server may
        /// already have taken it, so the buyer may get it twice.
        #[arg(long, requires = "retry")]
        even_if_unknown: bool,
    },
    /// List the outbox: replies waiting, retrying, delivered, refused or with an unknown
    /// delivery; those needing you first. Exit codes as `send`.
    Outbox {
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        /// At most this many messages (1-100000).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
    },
    /// Write a thread out as evidence for an A-to-z claim or a Seller Support case: buyer and
    /// order, every message with its time, the timeline with your notes, follow-ups and the
    /// delivery of each reply. To standard output, or into a new file (never over one).
    ExportThread {
        /// The thread's ID (as `status --json` and `outbox` give it).
        thread: i64,
        /// md (Markdown) or txt.
        #[arg(long, value_enum, default_value = "md")]
        format: crate::export::Format,
        /// A new file to write (an existing file is never overwritten).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// List the files buyers sent on a thread, or save them into a folder (created if missing;
    /// an existing file is never overwritten).
    Attachments {
        /// The thread's ID (as `status --json` and `outbox` give it).
        thread: i64,
        /// Save them into this folder.
        #[arg(long, value_name = "DIR")]
        save: Option<PathBuf>,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy the database to FILE while it is in use (SQLite's online backup: one consistent
    /// instant; FILE is never overwritten, 0600).
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print path and size as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the database with a backup (checked first; the current database is kept beside
    /// it). Refused while another process has the database open.
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Answer a buyer without the app: fill a template (or a file), check it against Amazon's
    /// messaging rules, and queue it as the app's send does (`sellerdesk send` delivers it).
    /// Exit 0 queued, 1 refused for warnings (see --force), 2 refused for rule errors
    /// (unfilled placeholders included), 3 a target or template that cannot be used.
    #[command(group(clap::ArgGroup::new("text").required(true).args(["template", "body_file", "best"])))]
    Reply {
        /// A thread ID, an order ID (its thread waiting for a reply), or `-`: a buyer's message
        /// on standard input (from a mail client), matched to its thread by Message-ID.
        #[arg(value_name = "TARGET", allow_hyphen_values = true)]
        target: String,
        /// The template, by its name or its export file name (case-insensitive).
        #[arg(long, value_name = "NAME")]
        template: Option<String>,
        /// The template the app's picker offers first for this thread: its complaint kind in
        /// the buyer's language, else a general answer in it, else the kind in English.
        #[arg(long)]
        best: bool,
        /// The reply's text from a UTF-8 file (`-`: standard input); placeholders are filled.
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        /// Fill (or override) placeholder KEY with VALUE, e.g. --set delivery_date="4 December";
        /// repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Open $VISUAL/$EDITOR on the filled text before it is checked.
        #[arg(long)]
        edit: bool,
        /// Queue it despite warnings (errors are never overridden here).
        #[arg(long)]
        force: bool,
        /// Print {"outbox_id", "thread", "warnings"} (or the refusal) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the database: integrity, foreign keys, settings, file permissions, backup age.
    /// Exit 0 healthy, 1 warnings, 2 damaged.
    Check {
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Redact buyer names, addresses and message text of threads past the limit (default 30
    /// days after the last message and the order's delivery): raw mail, subjects, bodies, the
    /// search index, drafts, notes, outbox files. What the metrics need stays.
    PurgePii {
        /// The limit, e.g. 30d or 6w.
        #[arg(long, value_name = "DAYS", default_value = "30d")]
        older_than: String,
        /// Print what was purged as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Feedback Amazon removed (or the buyer did): it stops counting in the ODR and the
    /// feedback rating from its removal. `restore` undoes a removal marked by mistake.
    Feedback {
        #[command(subcommand)]
        action: FeedbackAction,
    },
    /// Open a realistic demo inbox in a temporary database (never your own data or settings);
    /// with --db PATH, in PATH, kept to come back to.
    Demo {
        /// Print the demo inbox's status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `sellerdesk man > sellerdesk.1`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum FeedbackAction {
    /// Mark the feedback on ORDER_ID removed (now, or at --at).
    Remove {
        #[arg(value_name = "ORDER_ID")]
        order_id: String,
        /// When it was removed: an RFC 3339 time or a date (in the config's time zone).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
    },
    /// Count the feedback on ORDER_ID again.
    Restore {
        #[arg(value_name = "ORDER_ID")]
        order_id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TemplatesAction {
    /// Name, category and language of every template.
    List,
    /// Write every template to DIR/<name>.toml (DIR is created if missing).
    Export {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Read every DIR/*.toml; a template of the same name is replaced. Files are never changed.
    Import {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-11-22T09:30:00Z"))
}

/// Parses arguments and runs; the process exit code.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, db_typed(&m))));
    let (cli, db_typed) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version: our own text.
                let _ = e.print();
                return ExitCode::from(0);
            }
            // It may quote what was typed (a path, a value): no control reaches the terminal.
            errln!(
                "{}",
                crate::text::safe_text::block(e.to_string().trim_end())
            );
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match run(cli, db_typed) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut text = format!("{e:#}");
            if crate::store::damage::in_chain(e.as_ref())
                && let Some(db) = DATABASE.get()
            {
                text = format!(
                    "{}: the database is damaged ({text}); {}",
                    db.display(),
                    crate::store::damage::advice(db)
                );
            }
            // Errors name paths and values from the command line and config: made safe to show.
            errln!(
                "sellerdesk: error: {}",
                crate::text::safe_text::block(&text)
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The loaded settings and the instant a command runs at.
pub struct Invocation {
    pub config: Config,
    pub now: DateTime<Utc>,
    db: Option<PathBuf>,
}

impl Invocation {
    fn load(cli: &Cli) -> Result<Self> {
        let config = match &cli.config {
            Some(path) => Config::load(path, true)?,
            None => match Config::default_path() {
                Some(path) => Config::load(&path, false)?,
                None => Config::default(),
            },
        };
        Ok(Invocation {
            now: cli.now.unwrap_or_else(Utc::now),
            db: cli.db.clone(),
            config,
        })
    }

    pub fn db_path(&self) -> Result<PathBuf> {
        let path = self
            .db
            .clone()
            .or_else(|| self.config.db.clone())
            .or_else(Store::default_path)
            .context("no database path: pass --db PATH (no home folder to put a default in)")?;
        let _ = DATABASE.set(path.clone());
        Ok(path)
    }

    /// The database, which must exist (every command that only reads or acts on what is there).
    pub fn open_store(&self) -> Result<Store> {
        Ok(Store::open_existing(&self.db_path()?)?)
    }

    /// The database, created when missing: only for the commands that bring data (import,
    /// watch, the app on a terminal).
    pub fn create_store(&self) -> Result<Store> {
        Ok(Store::open(&self.db_path()?)?)
    }
}

/// Both ends are a terminal: the full-screen app can run.
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// Whether `--db` was typed on the command line (not taken from `SELLERDESK_DB`).
fn db_typed(m: &clap::ArgMatches) -> bool {
    use clap::parser::ValueSource;
    let typed = |m: &clap::ArgMatches| m.value_source("db") == Some(ValueSource::CommandLine);
    typed(m) || m.subcommand().is_some_and(|(_, sub)| typed(sub))
}

fn run(cli: Cli, db_typed: bool) -> Result<u8> {
    match &cli.command {
        // The demo never reads the user's config or database: only a `--db` typed for it.
        Some(Command::Demo { json }) => demo::run(
            cli.now.unwrap_or_else(Utc::now),
            *json,
            cli.db.as_deref().filter(|_| db_typed),
        ),
        // Both describe the command line itself: no config, no database.
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut out = crate::cli::out::stdout();
            clap_complete::generate(*shell, &mut Cli::command(), "sellerdesk", &mut out);
            Ok(0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            use std::io::Write;
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            crate::cli::out::stdout().write_all(&page)?;
            Ok(0)
        }
        Some(Command::Import {
            paths,
            json,
            defer_index,
        }) => import::run(&Invocation::load(&cli)?, paths, *json, *defer_index),
        Some(Command::Index) => import::index(&Invocation::load(&cli)?),
        Some(Command::Watch) => watch::run(&Invocation::load(&cli)?),
        Some(Command::Status { json, limit }) => {
            status::run(&Invocation::load(&cli)?, *json, *limit)
        }
        Some(Command::Metrics { json, marketplace }) => metrics::run(
            &Invocation::load(&cli)?,
            *json,
            marketplace.as_deref().map(str::trim),
        ),
        Some(Command::Report { json, days, min }) => {
            report::run(&Invocation::load(&cli)?, *json, *days, *min)
        }
        Some(Command::CheckDraft {
            file,
            json,
            thread,
            subject,
        }) => check_draft::run(
            &Invocation::load(&cli)?,
            file,
            *json,
            *thread,
            subject.as_deref(),
        ),
        Some(Command::Attachments { thread, save, json }) => {
            attachments::run(&Invocation::load(&cli)?, *thread, save.as_deref(), *json)
        }
        Some(Command::Backup { file, json }) => {
            backup::backup(&Invocation::load(&cli)?, file, *json)
        }
        Some(Command::Restore { file }) => backup::restore(&Invocation::load(&cli)?, file),
        Some(Command::PurgePii { older_than, json }) => {
            purge::run(&Invocation::load(&cli)?, older_than, *json)
        }
        Some(Command::Check { json }) => check::run(&Invocation::load(&cli)?, *json),
        Some(Command::Reply {
            target,
            template,
            best,
            body_file,
            set,
            edit,
            force,
            json,
        }) => {
            let body = match (template, body_file) {
                (Some(name), _) => reply::Body::Template(name),
                (None, Some(file)) => reply::Body::File(file),
                (None, None) if *best => reply::Body::Best,
                (None, None) => unreachable!("clap requires one"),
            };
            reply::run(
                &Invocation::load(&cli)?,
                &reply::Options {
                    target,
                    body,
                    set,
                    edit: *edit,
                    force: *force,
                    json: *json,
                },
            )
        }
        Some(Command::Send {
            json,
            retry,
            even_if_unknown,
        }) => send::send(&Invocation::load(&cli)?, *json, retry, *even_if_unknown),
        Some(Command::Outbox { json, limit }) => {
            send::list(&Invocation::load(&cli)?, *json, *limit as usize)
        }
        Some(Command::ExportThread {
            thread,
            format,
            out,
        }) => export_thread::run(&Invocation::load(&cli)?, *thread, *format, out.as_deref()),
        Some(Command::Feedback { action }) => {
            let inv = Invocation::load(&cli)?;
            match action {
                FeedbackAction::Remove { order_id, at } => {
                    feedback::remove(&inv, order_id, at.as_deref())
                }
                FeedbackAction::Restore { order_id } => feedback::restore(&inv, order_id),
            }
        }
        Some(Command::Templates { action }) => {
            let inv = Invocation::load(&cli)?;
            match action {
                TemplatesAction::List => templates::list(&inv),
                TemplatesAction::Export { dir } => templates::export(&inv, dir),
                TemplatesAction::Import { dir } => templates::import(&inv, dir),
            }
        }
        // On a terminal the app; piped or from cron, the status.
        None => {
            let inv = Invocation::load(&cli)?;
            if interactive() {
                crate::tui::run(inv.create_store()?, inv.config.clone(), inv.now)?;
                Ok(0)
            } else {
                status::run(&inv, false, None)
            }
        }
    }
}
