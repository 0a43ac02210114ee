//! Who is writing a row, and whether that process is still running: how a `sending` row left by
//! a crash is told apart from one that another console is sending right now.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

/// A `sending` row from another host cannot be checked; after this long without a change its
/// request has surely timed out, so it is treated as orphaned.
pub const FOREIGN_HOST_GRACE: Duration = Duration::hours(24);

/// The identity of a writing process: pid, host name and (on Linux) boot id + start time, so a
/// reused pid is not mistaken for the original writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub pid: u32,
    pub host: String,
    pub start: Option<String>,
}

impl Writer {
    /// This process.
    pub fn current() -> Writer {
        static ME: OnceLock<Writer> = OnceLock::new();
        ME.get_or_init(|| {
            let pid = std::process::id();
            Writer {
                pid,
                host: this_host(),
                start: start_token(pid),
            }
        })
        .clone()
    }
}

pub fn this_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// `boot_id/starttime` of a process on Linux; `None` where that cannot be read.
pub fn start_token(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    // Fields from 3 (state) on; start time is field 22.
    let start = after.split_whitespace().nth(22 - 3)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(format!("{}/{start}", boot.trim()))
}

/// Whether the process recorded as a row's writer may still be running. When it cannot be told
/// (another host, recently), the answer is yes: a live send is never declared lost.
pub fn writer_alive(
    pid: u32,
    host: &str,
    start: Option<&str>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    if host != this_host() {
        return now - updated_at < FOREIGN_HOST_GRACE;
    }
    if pid == std::process::id() {
        return start.is_none() || start == Writer::current().start.as_deref();
    }
    match process_exists(pid) {
        Some(false) => false,
        Some(true) => match (start, start_token(pid)) {
            (Some(stored), Some(now)) => stored == now,
            _ => true,
        },
        None => true,
    }
}

fn process_exists(pid: u32) -> Option<bool> {
    if pid == 0 || pid > i32::MAX as u32 {
        return Some(false);
    }
    if std::path::Path::new("/proc/self/stat").exists() {
        return Some(std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
    #[cfg(unix)]
    {
        // Signal 0 checks existence only. EPERM: it exists but is someone else's.
        // SAFETY: kill with signal 0 sends nothing; pid is a positive i32, never a group.
        let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
        if rc == 0 {
            return Some(true);
        }
        let errno = std::io::Error::last_os_error().raw_os_error();
        Some(errno != Some(libc::ESRCH))
    }
    #[cfg(not(unix))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        let me = Writer::current();
        let now = Utc::now();
        assert!(writer_alive(
            me.pid,
            &me.host,
            me.start.as_deref(),
            now,
            now
        ));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!writer_alive(pid, &me.host, None, now, now));
    }

    #[test]
    fn a_reused_pid_with_another_start_time_is_not_the_writer() {
        let me = Writer::current();
        let now = Utc::now();
        if me.start.is_some() {
            assert!(!writer_alive(
                me.pid,
                &me.host,
                Some("other-boot/1"),
                now,
                now
            ));
        }
    }

    #[test]
    fn another_hosts_row_is_alive_until_the_grace_passes() {
        let now = Utc::now();
        assert!(writer_alive(1, "elsewhere.invalid", None, now, now));
        let old = now - FOREIGN_HOST_GRACE - Duration::seconds(1);
        assert!(!writer_alive(1, "elsewhere.invalid", None, old, now));
    }
}
