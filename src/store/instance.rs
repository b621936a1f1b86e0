//! Which process on which host is working: how one sellerdesk process names itself to the
//! others sharing its database, and tells whether one of them is gone.

/// `host:pid`.
pub fn name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// `true` when the process named `other` (see `name`) is known to be gone: same host, no such
/// process. Another host's process is never known to be gone: only the age of what it wrote
/// can tell.
pub fn gone(other: &str, me: &str) -> bool {
    if other == me {
        return false;
    }
    let (host, pid) = other.rsplit_once(':').unwrap_or((other, ""));
    let (my_host, _) = me.rsplit_once(':').unwrap_or((me, ""));
    if host != my_host {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_lives_a_finished_one_is_gone_another_host_is_unknown() {
        let me = name();
        assert!(!gone(&me, &me));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let (host, _) = me.rsplit_once(':').unwrap();
        assert!(gone(&format!("{host}:{pid}"), &me));
        assert!(!gone(&format!("elsewhere:{pid}"), &me));
        assert!(gone(&format!("{host}:garbage"), &me));
    }
}
