//! The behaviour tests: one crate (one binary to build and link), its modules by area, sharing
//! `tests/support` (the pty harness, the SMTP server, seeded homes).

#[path = "../support/mod.rs"]
mod support;

mod account_rules;
mod allocator;
mod backup;
mod categories;
mod cli;
mod compliance_table;
mod concurrency;
mod crash;
mod db_paths;
mod delivery;
mod disk_full;
mod e2e_pty;
mod fuzz;
mod import_mail;
mod import_paths;
mod layers;
mod mail_tools;
mod metrics;
mod migrations;
mod output;
mod purge;
mod reply;
mod reply_cli;
mod report_rows;
mod screens;
mod security;
mod store_clock;
mod watch;
