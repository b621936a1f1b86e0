//! sellerdesk: a keyboard-driven terminal inbox for marketplace sellers.
//!
//! Architecture: `domain` holds the seller's rules as pure functions of data and an injected
//! `now` (the 24-hour response clock, identifiers, response metrics); `store` keeps everything
//! in one SQLite file and stores each thread's derived clock so urgency is an indexed query;
//! `import` turns mail on disk into classified messages on a worker thread while the store
//! writes them in batches; `cli` is the command line. Buyer-written text only reaches a
//! terminal through `safe_text`.

pub mod attachments;
pub mod classify;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod import;
pub mod intake;
pub mod metric_fmt;
pub mod metrics;
pub mod outbox;
pub mod reply;
pub mod reports;
pub mod safe_text;
pub mod store;
pub mod synth;
pub mod templates;
pub mod time_fmt;
pub mod toml_file;
pub mod tui;
