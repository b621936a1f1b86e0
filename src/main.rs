// Measured on the import benchmark: with mimalloc, parsing (allocation-heavy mail-parser work
// on the reader thread) runs twice as fast as with glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sellerdesk::cli::main()
}
