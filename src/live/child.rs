//! Child processes that do not outlive the harness.
//!
//! Every broker and consumer a live run starts is stopped by its pid when
//! the run ends. If the harness itself dies first (Ctrl-C, a CI timeout's
//! SIGTERM, a panic), Linux's parent-death signal kills them too, so that no
//! broker keeps its port and no consumer keeps its group membership.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes the command's process receive SIGKILL when the thread that spawned
/// it exits (PR_SET_PDEATHSIG); live runs spawn from the main thread.
pub fn dies_with_harness(cmd: &mut Command) -> &mut Command {
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only prctl and getppid, both async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The harness may have died before prctl took effect.
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
            Ok(())
        })
    }
}
