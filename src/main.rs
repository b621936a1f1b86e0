// Measured on the import benchmark: with mimalloc, parsing (allocation-heavy mail-parser work
// on the reader thread) runs twice as fast as with glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `arena_eager_commit` (v3's option 4) defaults to committing whole arenas on
/// Linux; off, pages are committed as they are used and the 100k-message import peaks about
/// 20-30 MiB lower at the same speed (without it the Maildir import peaked at 192 MiB, 201 MB:
/// over the 200 MB target). An option only reaches the first arena if it is set before the first
/// allocation, so this runs as a constructor (the `ctor` crate) of priority 100: ahead of
/// mimalloc's own process init (unprioritized with gcc, 101 with clang);
/// `MIMALLOC_ARENA_EAGER_COMMIT` still overrides it. `tests/it/allocator.rs` reads the setting
/// back from mimalloc.
#[cfg(target_os = "linux")]
#[ctor::ctor(unsafe, priority = 100)]
fn allocator_defaults() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: only stores an option value; called once, before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0) }
}

fn main() -> std::process::ExitCode {
    sellerdesk::cli::main()
}
