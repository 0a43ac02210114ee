//! End to end in a real terminal: tmux runs the built binary with `--sandbox`; keys go in with
//! send-keys and the screen comes back with capture-pane. One payout on account 18 goes live to
//! COMPLETED, one on account 20 to requires_action and, after the sandbox's 3-D Secure stand-in,
//! to COMPLETED; both are found in the history pane; `q` quits and the terminal is restored.

use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_payout-console");

struct Tmux {
    session: String,
}

impl Tmux {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", &self.session, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// A left click at a 0-based cell, as the terminal reports it with SGR mouse mode on:
    /// the raw bytes go to the console's input, as a real terminal's would.
    fn click(&self, x: usize, y: usize) {
        for end in ['M', 'm'] {
            let seq = format!("\x1b[<0;{};{}{end}", x + 1, y + 1);
            let hex: Vec<String> = seq.bytes().map(|b| format!("{b:02x}")).collect();
            let mut args = vec!["send-keys", "-t", &self.session, "-H"];
            args.extend(hex.iter().map(String::as_str));
            self.tmux(&args);
        }
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    fn wait_for(&self, what: &str, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                started.elapsed() < timeout,
                "waited {timeout:?} for {what:?}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn wait_gone(&self, what: &str, timeout: Duration) {
        let started = Instant::now();
        while self.screen().contains(what) {
            assert!(
                started.elapsed() < timeout,
                "{what:?} never went away:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

fn sandbox_url(screen: &str) -> String {
    let at = screen
        .find("http://127.0.0.1:")
        .expect("the header shows the API host");
    let rest = &screen[at..];
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    rest[..end].to_string()
}

fn executions(base: &str) -> Vec<serde_json::Value> {
    let out = Command::new("curl")
        .args(["-fsS", &format!("{base}/_sandbox/executions")])
        .output()
        .expect("curl");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["executions"].as_array().cloned().unwrap_or_default()
}

/// Runs one payout from the account list to the review and sends it.
fn pay(t: &Tmux, amount: &str) {
    t.text(amount);
    t.keys(&["Enter", "Enter"]);
    t.wait_for("✓ session", Duration::from_secs(20));
    t.text("000000");
    t.keys(&["Enter"]);
    t.wait_for("Enter = send", Duration::from_secs(10));
    t.keys(&["Enter"]);
}

#[test]
fn an_operator_runs_two_sandbox_payouts_finds_them_in_history_and_quits_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let t = Tmux {
        session: format!("payout-e2e-{}", std::process::id()),
    };
    let cmd = format!(
        "env PAYOUT_CONSOLE_DATA_DIR={} TERM=xterm-256color {BIN} --sandbox; echo EXITED:$?; sleep 60",
        data.path().display()
    );
    t.tmux(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        "140",
        "-y",
        "45",
        &cmd,
    ]);
    // Applications may set tmux's clipboard (its paste buffers) with OSC 52.
    t.tmux(&["set-option", "-s", "set-clipboard", "on"]);
    let first = t.wait_for("SANDBOX", Duration::from_secs(20));
    let base = sandbox_url(&first);
    assert_eq!(
        t.tmux(&["display", "-p", "-t", &t.session, "#{alternate_on}"])
            .trim(),
        "1"
    );

    // A 20x5 terminal gets a message, not a panic; the screen comes back when it grows again.
    t.tmux(&["resize-window", "-t", &t.session, "-x", "20", "-y", "5"]);
    t.wait_for("too small", Duration::from_secs(10));
    t.tmux(&["resize-window", "-t", &t.session, "-x", "140", "-y", "45"]);
    t.wait_for("Payout account", Duration::from_secs(10));

    // Account 18, highlighted first: live to COMPLETED.
    t.keys(&["Enter"]);
    pay(&t, "250");
    t.wait_for("COMPLETED", Duration::from_secs(30));
    let first_ref = executions(&base)[0]["reference_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Account 20: requires_action, then the 3-D Secure stand-in, then COMPLETED.
    t.keys(&["n", "/"]);
    t.text("20");
    t.keys(&["Enter"]);
    pay(&t, "250");
    let action = t.wait_for("ACTION REQUIRED", Duration::from_secs(20));
    assert!(action.contains("3-D Secure"), "{action}");
    let second_ref = executions(&base)
        .iter()
        .find(|e| e["payout_account_id"] == "20")
        .map(|e| e["reference_id"].as_str().unwrap().to_string())
        .expect("account 20 executed");
    // The client_secret is masked until the operator asks to reveal it.
    assert!(!action.contains("_secret_"), "{action}");
    let confirm = Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "POST",
            &format!("{base}/_sandbox/confirm/{second_ref}"),
        ])
        .output()
        .unwrap();
    assert!(confirm.status.success());
    t.wait_gone("ACTION REQUIRED", Duration::from_secs(45));
    let done = t.wait_for("COMPLETED", Duration::from_secs(45));

    // Both are in the history pane, completed.
    let history = t.wait_for(&second_ref[..8], Duration::from_secs(20));
    assert!(history.contains(&first_ref[..8]), "{history}");
    assert!(
        history.matches("completed").count() >= 2,
        "{history}\n{done}"
    );
    for e in executions(&base) {
        assert_eq!(e["executions"], 1, "{e}");
    }

    // The mouse: a click on the older payout's row (not the newest, selected first) focuses
    // the history and selects that row; Enter opens its detail.
    let (row, col) = history
        .lines()
        .enumerate()
        .find_map(|(y, line)| {
            line.find(&first_ref[..8])
                .map(|x| (y, line[..x].chars().count()))
        })
        .expect("the first payout's row is on screen");
    t.click(col + 2, row);
    t.keys(&["Enter"]);
    let detail = t.wait_for(&format!("Execution {first_ref}"), Duration::from_secs(10));
    assert!(
        !detail.contains(&format!("Execution {second_ref}")),
        "{detail}"
    );

    // `b` writes the support bundle and copies it with OSC 52; tmux, told to accept OSC 52,
    // is the clipboard here: its newest paste buffer must be the bundle, byte for byte.
    let bundle = data
        .path()
        .join("support")
        .join(format!("support-{first_ref}.txt"));
    t.keys(&["b"]);
    t.wait_for("copied", Duration::from_secs(10));
    let written = std::fs::read_to_string(&bundle).expect("the bundle file is written");
    assert!(written.contains(&first_ref), "{written}");
    assert_eq!(t.tmux(&["show-buffer"]), written);
    t.keys(&["Escape"]);
    t.wait_gone(&format!("Execution {first_ref}"), Duration::from_secs(10));

    // Quit: the process exits 0 and the terminal leaves the alternate screen.
    t.keys(&["q"]);
    let after = t.wait_for("EXITED:", Duration::from_secs(10));
    assert!(after.contains("EXITED:0"), "{after}");
    assert_eq!(
        t.tmux(&["display", "-p", "-t", &t.session, "#{alternate_on}"])
            .trim(),
        "0"
    );
    assert_eq!(
        t.tmux(&["display", "-p", "-t", &t.session, "#{mouse_any_flag}"])
            .trim(),
        "0"
    );
    assert!(
        !after.contains("Payout account"),
        "no UI left on the restored screen:\n{after}"
    );
}

#[test]
fn a_broken_config_costs_the_sandbox_demo_its_keys_not_its_start() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("broken.toml");
    std::fs::write(&config, "default_profile = \"p\"\n[profiles.p\n").unwrap();
    let t = Tmux {
        session: format!("payout-e2e-cfg-{}", std::process::id()),
    };
    let cmd = format!(
        "env PAYOUT_CONSOLE_DATA_DIR={} PAYOUT_CONSOLE_CONFIG={} TERM=xterm-256color {BIN} --sandbox; echo EXITED:$?; sleep 60",
        data.path().display(),
        config.display()
    );
    t.tmux(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        "140",
        "-y",
        "45",
        &cmd,
    ]);
    let screen = t.wait_for("SANDBOX", Duration::from_secs(20));
    assert!(screen.contains("default keys"), "{screen}");
    t.keys(&["q"]);
    let after = t.wait_for("EXITED:", Duration::from_secs(10));
    assert!(after.contains("EXITED:0"), "{after}");
}
