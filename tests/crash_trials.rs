//! Runs `scripts/crash_trials.sh` (20 payouts, each `pay` SIGKILLed at a random moment, then
//! reconcile) against the built binary: no row lost, no reference executed twice.

use std::process::Command;

#[test]
fn twenty_killed_payouts_lose_nothing_and_never_execute_twice() {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/crash_trials.sh"
        ))
        .arg("20")
        .env("PAYOUT_CONSOLE_BIN", env!("CARGO_BIN_EXE_payout-console"))
        .output()
        .expect("bash runs the crash trials");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("rows lost: 0"), "{stdout}");
    assert!(stdout.contains("references executed twice: 0"), "{stdout}");
    assert!(stdout.contains("20 payouts killed"), "{stdout}");
}
