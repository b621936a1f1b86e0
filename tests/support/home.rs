//! A seller's home for one test: a config with a time zone and the seller's address, a
//! database in a temporary folder, and the real binary run against them at a fixed `now`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    /// A home whose config reads dates in `timezone`.
    pub fn new(timezone: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "timezone = \"{timezone}\"\n[seller]\naddresses = [\"support@example-shop.test\"]\n"
            ),
        )
        .unwrap();
        Home { dir }
    }

    /// `sellerdesk --config … --db … --now NOW`, with nothing of the caller's environment but
    /// `PATH`.
    pub fn sd(&self, now: &str) -> Command {
        Command::from_std(super::bin::on(
            self.dir.path(),
            Some(&self.dir.path().join("config.toml")),
            &self.db(),
            now,
        ))
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("x.db")
    }

    /// Writes `text` to a file of the home and gives its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `import --json` of `paths`, which must succeed; its report.
    pub fn import_ok(&self, now: &str, paths: &[&Path]) -> serde_json::Value {
        let out = self
            .sd(now)
            .args(["import", "--json"])
            .args(paths)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `metrics --json` at `now`: exit 0, 1 or 2 by the worst status, as the text table.
    pub fn metrics(&self, now: &str, extra: &[&str]) -> serde_json::Value {
        let out = self
            .sd(now)
            .args(["metrics", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
