//! How many worker threads fit the memory the process may use. Each thread holds up to one
//! file-scan buffer (`--max-file-size`), one line buffer that grows to the longest line kept
//! (`lines::MAX_LINE`) and, with glibc, a malloc arena that reserves address space of its own.
//! Under an address-space limit (`ulimit -v`, a container's cap) too many threads made an
//! allocation fail and the process abort with no report; the count is lowered instead, and the
//! report says so.

/// Address space the rest of the process needs besides the workers (rules, plan, findings;
/// measured: a scan of the shipped example with one thread runs under a 250 MB limit).
const BASE: u64 = 192 << 20;
/// What one worker may hold besides its file buffer: the line buffer at its largest, a block,
/// its stack and a malloc arena's reserve.
const PER_THREAD_EXTRA: u64 =
    (crate::sources::lines::MAX_LINE as u64) + (1 << 20) + (8 << 20) + (64 << 20);

/// The worker count to use, and a note when it is lower than asked.
pub fn fit_threads(requested: usize, max_file_size: u64) -> (usize, Option<String>) {
    let Some(limit) = address_space_limit() else {
        return (requested, None);
    };
    // glibc reserves address space per arena; with a limit, a few arenas for all threads
    limit_arenas();
    let per = per_thread(max_file_size);
    let fit = threads_for(limit, max_file_size);
    if fit >= requested {
        return (requested, None);
    }
    (
        fit,
        Some(format!(
            "worker threads lowered from {requested} to {fit}: the address space is limited to {} (ulimit -v or a container limit) and each thread may hold up to {} (--max-file-size {} plus line and read buffers); raise the limit for more threads",
            crate::model::show_size(limit),
            crate::model::show_size(per),
            crate::model::show_size(max_file_size)
        )),
    )
}

fn per_thread(max_file_size: u64) -> u64 {
    max_file_size.saturating_add(PER_THREAD_EXTRA)
}

/// Threads that fit in `limit` bytes of address space (at least one).
fn threads_for(limit: u64, max_file_size: u64) -> usize {
    usize::try_from(limit.saturating_sub(BASE) / per_thread(max_file_size))
        .unwrap_or(usize::MAX)
        .max(1)
}

#[cfg(unix)]
fn address_space_limit() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid rlimit the call writes into; the result is checked.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } != 0 || r.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(r.rlim_cur)
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<u64> {
    None
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_arenas() {
    // SAFETY: mallopt only changes an allocator setting; called before the workers start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_arenas() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_fit_the_limit() {
        // 600 MiB, 32 MiB files: (600 - 192) / (32 + 16 + 1 + 8 + 64) = 3
        assert_eq!(threads_for(600 << 20, 32 << 20), 3);
        assert_eq!(threads_for(100 << 20, 32 << 20), 1, "never none");
        assert_eq!(threads_for(64 << 30, 32 << 20), 540);
        assert!(threads_for(u64::MAX, u64::MAX) >= 1);
    }

    #[test]
    fn without_a_limit_the_request_stands() {
        if address_space_limit().is_none() {
            assert_eq!(fit_threads(16, 32 << 20), (16, None));
        }
    }
}
