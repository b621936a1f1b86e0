//! sellerdesk: a keyboard-driven terminal inbox for marketplace sellers.
//!
//! The modules, roughly from the bottom up. `tests/it/layers.rs` holds the rules that keep them so:
//! `text` and `keys` use no other module; `domain` nothing of storage, reports, the terminal or
//! settings; `config` neither the app nor the store; `store` never `reports`; only `tui` and
//! `cli` use the app, only `cli` the command line; only `store` speaks SQL; only `App::update`
//! changes the app's state.
//!
//! - `text`: buyer-written text made safe for a terminal, times for people, TOML files read
//!   with errors that name line and key.
//! - `keys`: the key-binding grammar (contexts, keys, actions) the config and the app share.
//! - `domain`: the seller's rules as pure functions of data and an injected `now`: the 24-hour
//!   response clock, identifiers, account metrics, complaint kinds and their classifier,
//!   compliance of a draft, template placeholders.
//! - `config`: the settings file, checked at load time.
//! - `store`: everything in one SQLite file; each thread's derived clock is stored so urgency is
//!   an indexed query; migrations, backups, purging.
//! - `reports`: Amazon's reports and the project's CSVs read into account records.
//! - `import`: mail and reports on disk into the store, on worker threads, and live intake of
//!   watched Maildirs.
//! - `metrics`: the account metrics of a database at `now`, and how each is written for people.
//! - `reply`: replies and messages written first: templates, the checks, the `.eml` built and
//!   queued, attachments.
//! - `delivery`: the outbox delivered by SMTP, a sendmail-like program, or a folder.
//! - `export`: a thread written out as evidence (A-to-z claims, Seller Support cases).
//! - `demo`: the demo inbox.
//! - `tui`: the full-screen app: its state and the one `update` that changes it (`state`), the
//!   effects run against the store (`effects`), pure drawing (`ui`).
//! - `cli`: the command line, on top of everything.
//! - `testing`: not the product; synthetic mail for benchmarks and volume tests.

pub mod cli;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod export;
pub mod import;
pub mod keys;
pub mod metrics;
pub mod reply;
pub mod reports;
pub mod store;
pub mod testing;
pub mod text;
pub mod tui;
