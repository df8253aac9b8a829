//! The C allocator's thresholds, set once at start-up: keep freed memory for reuse instead of
//! returning it to the system after every large free.
//!
//! Reading a summary allocates and frees a few MiB per batch (decompressed pages, arrays, the
//! batch's rows). With glibc's defaults, a freed block at the top of the heap above 128 KiB
//! (`M_TRIM_THRESHOLD`, raised only a little by its dynamic rule) goes back to the system, and
//! the next batch faults its pages in again: at 6 × 1 M variants the read floor took 476,000
//! page faults and a fifth of its CPU time in them (issue 12). Keeping up to 64 MiB free at the
//! top of the heap, and serving blocks up to 32 MiB from the heap rather than from fresh
//! mappings, leaves 6,300 faults; peak RSS grows by the memory kept (198 → 228 MiB for that
//! merge).

/// Sets the thresholds (glibc only; elsewhere a no-op). Call once, before any thread starts.
// The one foreign call: glibc's `mallopt` has no safe wrapper in the dependencies.
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // From glibc's <malloc.h>.
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only sets allocator parameters; called before any other thread runs.
        // A failure (0) leaves the defaults, which are correct, only slower.
        unsafe {
            mallopt(M_TRIM_THRESHOLD, 64 << 20);
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
        }
    }
}
