//! The `dash` binary: the command line over the library's jobs ([`dash::run`]).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
