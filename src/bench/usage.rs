//! What a process used: CPU seconds (getrusage) and resident memory (`/proc/<pid>/status`).
//! Linux only, like the load harness that reads them.

use std::time::Duration;

/// CPU time (user + system) of this process, or of its waited-for children.
pub fn cpu(children: bool) -> Duration {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    // SAFETY: getrusage only writes the struct it is given; a zeroed rusage is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`, `VmHWM`); `None` when the process is
/// gone or the field is missing.
pub fn status_bytes(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    field_bytes(&status, field)
}

/// A field of a `/proc/<pid>/status` text in bytes.
fn field_bytes(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let spin: u64 = (0..2_000_000u64).map(std::hint::black_box).sum();
        assert!(spin > 0);
        assert!(cpu(false) > Duration::ZERO);
        assert!(status_bytes(None, "VmRSS").unwrap() > 0);
        // Both from one read: the kernel reports VmHWM as at least that moment's VmRSS
        // (fs/proc/task_mmu.c `task_mem`), but its stored high-water mark is not updated on
        // every change, so with two reads other test threads may free memory in between and
        // the second read's VmHWM come out below the first read's VmRSS (seen once in CI).
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let rss = field_bytes(&status, "VmRSS").unwrap();
        let hwm = field_bytes(&status, "VmHWM").unwrap();
        assert!(rss > 0 && hwm >= rss);
        assert_eq!(status_bytes(Some(u32::MAX), "VmRSS"), None);
    }
}
