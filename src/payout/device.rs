//! The `passcode.device` block: who is sending, filled in so the operator never types it.

use std::net::{ToSocketAddrs, UdpSocket};

use crate::api::wire::Device;

/// The device block for this machine. `client_ip`, when not configured, is the local address
/// the OS would use to reach the API host (found with a UDP "connect", which sends nothing).
pub fn default_device(
    name: Option<&str>,
    kind: &str,
    platform: &str,
    client_ip: Option<&str>,
    api_base: &str,
) -> Device {
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
    let client_ip = client_ip
        .map(str::to_string)
        .or_else(|| detect_local_ip(api_base))
        .unwrap_or_else(|| "127.0.0.1".to_string());
    Device {
        name,
        kind: kind.to_string(),
        platform: platform.to_string(),
        user_agent: format!("payout-console/{}", env!("CARGO_PKG_VERSION")),
        client_ip,
    }
}

fn detect_local_ip(api_base: &str) -> Option<String> {
    let url = url::Url::parse(api_base).ok()?;
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    let target = (host, port).to_socket_addrs().ok()?.next()?;
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect(target).ok()?;
    Some(sock.local_addr().ok()?.ip().to_string())
}

/// The OS user running the console, for the history: `$USER`, else the passwd entry of this
/// process's uid (services and tmux sessions often run without `$USER`).
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".to_string())
}

fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut parts = line.split(':');
        let name = parts.next()?;
        let id: u32 = parts.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_block_is_complete_without_configuration() {
        let d = default_device(None, "SERVER", "LINUX", None, "http://127.0.0.1:9/v1");
        assert!(!d.name.is_empty());
        assert_eq!(d.client_ip, "127.0.0.1");
        assert!(d.user_agent.starts_with("payout-console/"));
        let d = default_device(Some("ops-1"), "SERVER", "LINUX", Some("10.0.0.5"), "x");
        assert_eq!(
            (d.name.as_str(), d.client_ip.as_str()),
            ("ops-1", "10.0.0.5")
        );
    }
}
