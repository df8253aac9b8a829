fn main() {
    std::process::exit(dash::cli::main());
}
