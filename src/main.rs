//! The `dash` binary: the command line over the library's jobs ([`dash::run`]).

mod cli;

fn main() {
    dash::malloc_tuning::keep_freed_memory();
    std::process::exit(cli::main());
}
