//! Rows left `sending` by a crash, and what reconcile and the payout guard see.

use std::path::Path;
use std::process::Command;

use payout_console::api::state::LocalState;
use payout_console::journal::{EventKind, Journal};

use super::{new_exec, raw, reference};

/// Points a row at another writer, as a crashed or other process would have left it.
fn set_writer(dir: &Path, reference: &str, pid: u32, start: Option<&str>) {
    raw(dir)
        .execute(
            "UPDATE executions SET writer_pid = ?2, writer_start = ?3 WHERE reference_id = ?1",
            rusqlite::params![reference, pid, start],
        )
        .unwrap();
}

fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn sending_row_of_dead_writer_becomes_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let r = reference();
    Journal::open(tmp.path())
        .unwrap()
        .begin(&new_exec(&r, "18"))
        .unwrap();
    set_writer(tmp.path(), &r, dead_pid(), None);
    let j = Journal::open(tmp.path()).unwrap();
    let row = j.get(&r).unwrap().unwrap();
    assert_eq!(row.state, LocalState::Unknown);
    assert!(row.error.unwrap().contains("check its status"));
    let last = j.events(&r).unwrap().pop().unwrap();
    assert_eq!(last.kind, EventKind::Error);
    assert_eq!(j.recover_orphans().unwrap(), 0, "recovered once only");
    assert_eq!(j.unresolved().unwrap().len(), 1);
}

#[test]
fn sending_row_of_a_live_writer_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let sender = Journal::open(tmp.path()).unwrap();
    let r = reference();
    sender.begin(&new_exec(&r, "18")).unwrap();
    let other = Journal::open(tmp.path()).unwrap();
    assert_eq!(other.recover_orphans().unwrap(), 0);
    assert_eq!(other.get(&r).unwrap().unwrap().state, LocalState::Sending);
    assert!(
        other.unresolved().unwrap().is_empty(),
        "a live send is not for reconcile"
    );
    assert_eq!(
        other
            .unresolved_for_account("18", "http://127.0.0.1:8080")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn sending_row_of_a_reused_pid_becomes_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let r = reference();
    Journal::open(tmp.path())
        .unwrap()
        .begin(&new_exec(&r, "18"))
        .unwrap();
    if !Path::new("/proc/self/stat").exists() {
        return; // start times are read from /proc
    }
    // Our pid, but a process that started at another time: not the writer.
    set_writer(
        tmp.path(),
        &r,
        std::process::id(),
        Some("another-boot/12345"),
    );
    let j = Journal::open(tmp.path()).unwrap();
    assert_eq!(j.get(&r).unwrap().unwrap().state, LocalState::Unknown);
}

#[test]
fn unresolved_lists_open_states_and_the_account_guard_sees_them() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open(tmp.path()).unwrap();
    let states = [
        LocalState::Pending,
        LocalState::Processing,
        LocalState::ActionRequired,
        LocalState::Completed,
        LocalState::Failed,
        LocalState::Rejected,
        LocalState::Unknown,
    ];
    for s in states {
        let r = reference();
        j.begin(&new_exec(&r, "21")).unwrap();
        j.record_error(&r, EventKind::Note, None, s, "set").unwrap();
    }
    let mut open: Vec<_> = j.unresolved().unwrap().iter().map(|r| r.state).collect();
    open.sort_by_key(|s| s.as_str());
    assert_eq!(
        open,
        [
            LocalState::ActionRequired,
            LocalState::Pending,
            LocalState::Processing,
            LocalState::Unknown
        ]
    );
    let guard: Vec<_> = j
        .unresolved_for_account("21", "http://127.0.0.1:8080")
        .unwrap()
        .iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(guard.len(), 3);
    assert!(guard.iter().all(|s| s.is_unresolved()));
    assert!(
        j.unresolved_for_account("99", "http://127.0.0.1:8080")
            .unwrap()
            .is_empty()
    );
}
