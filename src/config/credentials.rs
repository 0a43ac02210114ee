//! Finding the credentials of a profile: bearer token, client secret from the environment, a
//! command, or a file. Secrets live in [`SecretString`] from the moment they are read.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{ConfigError, ENV_CLIENT_SECRET, ENV_TOKEN, Env, Profile, env_value};

/// How long `client_secret_command` may take, prompts of a password manager included.
const SECRET_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How the console authenticates. Sources, first that is set:
/// 1. `PAYOUT_CONSOLE_TOKEN`: a ready bearer token.
/// 2. `client_id` with the client secret from `PAYOUT_CONSOLE_CLIENT_SECRET`, else
///    `client_secret_command`, else `client_secret_file`.
///
/// The built-in sandbox profile always uses the sandbox's own `sandbox` / `sandbox`.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Sent as `Authorization: Bearer ...` as is.
    Bearer(SecretString),
    /// Exchanged for a token at `POST /v1/jwt/client/obtain/token`.
    Client {
        client_id: String,
        client_secret: SecretString,
    },
}

pub(super) fn resolve(profile: &Profile, env: Env<'_>) -> Result<Credentials, ConfigError> {
    if profile.sandbox {
        return Ok(Credentials::Client {
            client_id: "sandbox".to_owned(),
            client_secret: SecretString::from("sandbox"),
        });
    }
    if let Some(token) = env_value(env, ENV_TOKEN) {
        return Ok(Credentials::Bearer(SecretString::from(token)));
    }
    let client_id = profile
        .client_id
        .clone()
        .ok_or_else(|| ConfigError::NoClientId {
            profile: profile.name.clone(),
            file: profile.origin.clone(),
        })?;
    let client_secret = if let Some(secret) = env_value(env, ENV_CLIENT_SECRET) {
        SecretString::from(secret)
    } else if let Some(command) = &profile.client_secret_command {
        run_secret_command(command, SECRET_COMMAND_TIMEOUT).map_err(|message| {
            ConfigError::SecretCommand {
                key: profile.key("client_secret_command"),
                file: profile.origin.clone(),
                message,
            }
        })?
    } else if let Some(file) = &profile.client_secret_file {
        read_secret_file(file).map_err(|message| ConfigError::SecretFile {
            secret_file: file.clone(),
            key: profile.key("client_secret_file"),
            file: profile.origin.clone(),
            message,
        })?
    } else {
        return Err(ConfigError::NoClientSecret {
            profile: profile.name.clone(),
            file: profile.origin.clone(),
        });
    };
    Ok(Credentials::Client {
        client_id,
        client_secret,
    })
}

/// Runs `command` through `sh -c` with no stdin; its trimmed stdout is the secret. The error
/// describes the failure (exit status and the first line of stderr) and what to do.
fn run_secret_command(command: &str, timeout: Duration) -> Result<SecretString, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("could not be started with `sh -c` ({e}): check that sh is installed")
        })?;
    // Read both pipes on their own threads so a chatty command cannot block on a full pipe.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::with_capacity(4096));
        if let Some(pipe) = stdout.as_mut() {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    });
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = pipe.take(64 * 1024).read_to_end(&mut buf);
        }
        buf
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                // The reader threads end when the pipes close; do not wait for them.
                return Err(format!(
                    "did not finish within {} seconds and was stopped: run it by hand to see \
                     whether it waits for input",
                    timeout.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("could not be waited for ({e})")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();

    if !status.success() {
        let how = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(format!(
            "failed: {how}{}; run it by hand to see why",
            first_line(&stderr)
        ));
    }
    let text = std::str::from_utf8(&stdout).map_err(|_| {
        "printed something that is not UTF-8 text: it must print the client secret only".to_owned()
    })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!(
            "printed nothing{}: it must print the client secret on stdout",
            first_line(&stderr)
        ));
    }
    Ok(SecretString::from(secret))
}

/// `: "first line of stderr"`, or nothing when stderr was empty.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().map(str::trim).find(|line| !line.is_empty()) {
        Some(line) => {
            let line: String = line.chars().take(200).collect();
            format!(" (stderr: {line})")
        }
        None => " (nothing on stderr)".to_owned(),
    }
}

/// Reads the secret from `path`, refusing a file other users could read.
fn read_secret_file(path: &Path) -> Result<SecretString, String> {
    check_secret_file(path)?;
    let text = Zeroizing::new(
        std::fs::read(path).map_err(|e| format!("cannot be read ({e}): check its owner"))?,
    );
    let text = std::str::from_utf8(&text)
        .map_err(|_| "is not UTF-8 text: write only the client secret in it".to_owned())?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err("is empty: write the client secret in it".to_owned());
    }
    Ok(SecretString::from(secret))
}

/// Whether the secret file exists, is a regular file, is not empty and is readable by its
/// owner only (mode 0600 or 0400). The error completes "the file ...".
pub(super) fn check_secret_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!("cannot be read ({e}): create it holding the client secret, with `chmod 600`, or fix the path")
    })?;
    if !meta.is_file() {
        return Err(
            "is not a regular file: point client_secret_file at the file holding the client secret"
                .to_owned(),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode != 0o600 && mode != 0o400 {
            return Err(format!(
                "has mode {mode:04o}, which lets others read or change it: run `chmod 600 {}`",
                path.display()
            ));
        }
    }
    if meta.len() == 0 {
        return Err("is empty: write the client secret in it".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn secret_command_output_is_trimmed() {
        let secret = run_secret_command("printf '  s3cret\\n'", Duration::from_secs(10)).unwrap();
        assert_eq!(secret.expose_secret(), "s3cret");
    }

    #[test]
    fn failing_secret_command_reports_status_and_first_stderr_line() {
        let message = run_secret_command(
            "echo 'vault is locked' >&2; echo second >&2; exit 3",
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(message.contains("status 3"), "{message}");
        assert!(message.contains("vault is locked"), "{message}");
        assert!(!message.contains("second"), "{message}");
    }

    #[test]
    fn secret_command_printing_nothing_is_refused() {
        let message = run_secret_command("true", Duration::from_secs(10)).unwrap_err();
        assert!(message.contains("printed nothing"), "{message}");
    }

    #[test]
    fn slow_secret_command_is_stopped_at_the_timeout() {
        let started = Instant::now();
        let message = run_secret_command("exec sleep 5", Duration::from_millis(200)).unwrap_err();
        assert!(message.contains("did not finish"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn failing_command_never_echoes_its_stdout() {
        let message =
            run_secret_command("printf s3cret; exit 1", Duration::from_secs(10)).unwrap_err();
        assert!(!message.contains("s3cret"), "{message}");
    }
}
