// The importer hands parsed mail from a reader thread to the writer thread; glibc's malloc
// serializes those cross-thread frees on an arena lock (a tenth of import time when measured).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sellerdesk::cli::main()
}
