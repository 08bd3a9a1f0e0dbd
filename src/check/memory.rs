//! The process's resident memory, the default limit on it, and sizes as
//! `--max-memory` takes them.
//!
//! A search that outgrows the machine ends in an allocation failure (Rust's
//! `memory allocation failed` abort, exit 134, with no result at all) or in
//! the kernel's OOM killer (SIGKILL, nothing printed). A search that stops
//! at a limit below that keeps what it found: its counterexamples and how far
//! it got. Linux only: elsewhere the resident size is unknown and no limit is
//! enforced.

/// The resident set size of this process in bytes (`/proc/self/statm`'s
/// second field, in pages), or `None` where it cannot be read.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

/// The default `--max-memory`: three quarters of the memory this process
/// may use, the smaller of the machine's RAM (`MemTotal` of
/// `/proc/meminfo`) and its cgroup's `memory.max` (a CI container's limit,
/// where the OOM killer strikes first).
///
/// A limit changes only the runs that would otherwise die: a check that fits
/// gives the same verdicts with or without it, so the default costs no
/// reproducibility, while a check that does not fit stops with a partial
/// result instead of taking the machine (and its other jobs) down with it.
/// Derived from the machine's size rather than from what is free at the
/// start, so the same machine always gets the same limit. The quarter left
/// is for the rest of the machine and for the allocator's slack: the search
/// stops at the limit, polled twenty times a second.
pub fn default_limit() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| mem_total(&m));
    let cgroup =
        std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|s| s.trim().parse().ok());
    let usable = match (total, cgroup) {
        (Some(a), Some(b)) => Some(u64::min(a, b)),
        (a, b) => a.or(b),
    };
    usable.map(|bytes| bytes / 4 * 3)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `--max-memory`: a size, or `none` (no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

impl Limit {
    pub fn parse(text: &str) -> Result<Limit, String> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(Limit(None));
        }
        parse_size(text).map(|bytes| Limit(Some(bytes)))
    }
}

/// A size as `--max-memory` takes it: a number of bytes with an optional
/// binary suffix, `K`, `M`, `G` or `T` (as Java's `-Xmx` and `ulimit` count:
/// `1G` is 1024³ bytes), an optional `B` or `iB` after it (`512MiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a size (e.g. 512M, 1G, 1.5G)");
    let upper = text.trim().to_ascii_uppercase();
    let unit = upper.strip_suffix("IB").or_else(|| upper.strip_suffix('B')).unwrap_or(&upper);
    let (number, shift) = match unit.chars().last() {
        Some('K') => (&unit[..unit.len() - 1], 10),
        Some('M') => (&unit[..unit.len() - 1], 20),
        Some('G') => (&unit[..unit.len() - 1], 30),
        Some('T') => (&unit[..unit.len() - 1], 40),
        _ => (unit, 0),
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let bytes = value * (1u64 << shift) as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` must be a positive size (e.g. 512M, 1G)"));
    }
    Ok(bytes as u64)
}

/// A size for people: `1 GiB`, `512 MiB`, `1.5 GiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = format!("{value:.1}");
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {}", UNITS[unit])
}

/// Gives the heap's free pages back to the system after a search's states
/// are dropped, so that the resident size the next search is measured by
/// counts what it uses, not what the allocator keeps for later (the states
/// of a search are millions of small blocks). The binary allocates with
/// mimalloc (`src/main.rs`), which purges freed pages on its own after a
/// delay; `mi_collect` does it now. glibc's heap is trimmed too: C libraries
/// and programs that use this crate with the system allocator allocate there.
pub fn release_freed() {
    // SAFETY: mi_collect only frees what mimalloc holds unused; on a heap
    // mimalloc never allocated from it does nothing.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of glibc's heap to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("2000000"), Ok(2_000_000));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("0").unwrap_err().contains("positive"));
        assert!(parse_size("-1G").unwrap_err().contains("positive"));
        assert_eq!(Limit::parse("none"), Ok(Limit(None)));
        assert_eq!(Limit::parse("2G"), Ok(Limit(Some(2 << 30))));
        assert_eq!(format_size(1 << 30), "1 GiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_size(300), "300 B");
    }

    #[test]
    fn the_resident_size_and_the_machine_are_read_on_linux() {
        if cfg!(target_os = "linux") {
            let resident = resident_bytes().unwrap();
            assert!(resident > 1 << 20, "a test process holds more than a MiB: {resident}");
            let limit = default_limit().unwrap();
            assert!(limit > resident, "{limit} <= {resident}");
        }
        assert_eq!(mem_total("MemTotal:       24683520 kB\nMemFree: 1 kB\n"), Some(24683520 * 1024));
    }
}
