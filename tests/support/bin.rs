//! The real binary as the behaviour tests run it: one way to start it — a private home (never
//! the developer's own config, database or editor), UTC, nothing of the caller's environment
//! but `PATH` — and one way to read its JSON. `pty.rs` starts it the same way in a terminal.

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_sellerdesk");

/// The time the behaviour tests run at, unless one says otherwise.
pub const NOW: &str = "2026-11-22T12:00:00Z";

/// `sellerdesk` with `home` as its home: `HOME` and the XDG folders inside it, `TZ=UTC`.
pub fn sellerdesk(home: &Path) -> Command {
    let mut c = Command::new(BIN);
    private(&mut c, home);
    c
}

/// The same through `sh` under `umask 000` (the shell then becomes the app).
pub fn sellerdesk_loose_umask(home: &Path) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "umask 000; exec \"$0\" \"$@\"", BIN]);
    private(&mut c, home);
    c
}

fn private(c: &mut Command, home: &Path) {
    c.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TZ", "UTC")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
}

/// `sellerdesk [--config CONFIG] --db DB --now NOW` in `home`, for the caller's arguments.
pub fn on(home: &Path, config: Option<&Path>, db: &Path, now: &str) -> Command {
    let mut c = sellerdesk(home);
    if let Some(config) = config {
        c.arg("--config").arg(config);
    }
    c.arg("--db").arg(db).args(["--now", now]);
    c
}

/// Its standard output as JSON; what it printed (both streams) when it is not.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
