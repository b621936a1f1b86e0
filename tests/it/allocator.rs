//! The binary's allocator settings (`src/main.rs`), read back from mimalloc itself.

use assert_cmd::Command;

fn arena_eager_commit(env: Option<&str>) -> String {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::from_std(crate::support::bin::sellerdesk(home.path()));
    cmd.arg("--version").env("MIMALLOC_VERBOSE", "1");
    if let Some(v) = env {
        cmd.env("MIMALLOC_ARENA_EAGER_COMMIT", v);
    }
    let out = cmd.assert().success().get_output().stderr.clone();
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .find(|l| l.contains("option 'arena_eager_commit'"))
        .unwrap_or_else(|| panic!("mimalloc printed no options:\n{text}"))
        .trim()
        .to_string()
}

#[test]
fn arenas_are_committed_as_they_are_used() {
    // Set before the first arena is reserved; eager commit had cost 30 MiB of peak RSS.
    assert_eq!(arena_eager_commit(None), "option 'arena_eager_commit': 0");
}

#[test]
fn the_environment_still_overrides_the_default() {
    assert_eq!(
        arena_eager_commit(Some("1")),
        "option 'arena_eager_commit': 1"
    );
}
