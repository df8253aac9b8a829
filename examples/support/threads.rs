//! The THREADS argument of the floor examples (`write_floor`, `format_floor`).

/// The threads `arg` asks for, or every core when it is absent; panics on a non-number.
pub fn threads(arg: Option<&String>) -> usize {
    match arg {
        Some(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("THREADS '{n}' is not a number")),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    }
}
