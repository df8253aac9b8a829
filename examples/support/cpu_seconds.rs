//! CPU seconds of this process, for the floor examples (`write_floor`, `format_floor`,
//! `merge_floors`, `gemm_floor`): they time one part of a run without what is set up before it.

/// CPU seconds (user + system) of this process so far, from `/proc/self/stat` (Linux; 0 where
/// it cannot be read).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    // Clock ticks are 1/100 s on Linux (USER_HZ).
    ticks as f64 / 100.0
}
