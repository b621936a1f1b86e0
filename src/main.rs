fn main() -> std::process::ExitCode {
    sellerdesk::cli::main()
}
