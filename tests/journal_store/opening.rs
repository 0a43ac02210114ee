//! Opening files: a fresh schema, private modes, upgrades, and files refused untouched.

use std::fs;
use std::path::Path;

use payout_console::journal::{FILE_NAME, Journal, JournalError, SCHEMA_VERSION};
use rusqlite::Connection;

use super::{filter, new_exec, raw, reference};

#[test]
fn empty_data_dir_gets_the_current_schema_in_a_private_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let j = Journal::open(&dir).unwrap();
    assert_eq!(j.path(), dir.join(FILE_NAME));
    j.begin(&new_exec(&reference(), "18")).unwrap();
    let c = raw(&dir);
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{}{suffix}", dir.join(FILE_NAME).display());
            let m = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, 0o600, "{p}");
        }
        let d = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(d, 0o700);
    }
}

#[test]
fn a_loose_existing_file_is_tightened_to_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    drop(Journal::open(tmp.path()).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = tmp.path().join(FILE_NAME);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        drop(Journal::open(tmp.path()).unwrap());
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn an_older_unversioned_file_is_upgraded_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(FILE_NAME);
    {
        // Version 0: an SQLite file in rollback-journal mode with no schema yet.
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); DROP TABLE t;")
            .unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 0);
    }
    let j = Journal::open(tmp.path()).unwrap();
    j.begin(&new_exec(&reference(), "18")).unwrap();
    let c = raw(tmp.path());
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    // Reopening an up-to-date file changes nothing.
    drop(j);
    let j = Journal::open(tmp.path()).unwrap();
    assert_eq!(j.count(&filter()).unwrap(), 1);
}

fn assert_refused_untouched(dir: &Path, bytes: &[u8], want: impl Fn(&JournalError) -> bool) {
    let path = dir.join(FILE_NAME);
    fs::write(&path, bytes).unwrap();
    let err = Journal::open(dir).unwrap_err();
    assert!(want(&err), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "names the file: {msg}"
    );
    assert!(msg.contains("left untouched"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), bytes, "byte-identical");
}

#[test]
fn a_newer_schema_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("future.sqlite3");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE executions (x); PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let bytes = fs::read(&path).unwrap();
    assert_refused_untouched(
        tmp.path(),
        &bytes,
        |e| matches!(e, JournalError::NewerSchema { found, .. } if *found == SCHEMA_VERSION + 1),
    );
}

/// Deterministic noise, no extra crates.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn a_corrupt_file_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    assert_refused_untouched(tmp.path(), &noise(8192, 7), |e| {
        matches!(e, JournalError::NotADatabase { .. })
    });
    // The SQLite header, then garbage.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(noise(8192, 11));
    assert_refused_untouched(tmp.path(), &bytes, |e| {
        matches!(e, JournalError::NotADatabase { .. })
    });
}

#[test]
fn another_programs_database_is_refused_and_left_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("other.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
        .unwrap();
    let bytes = fs::read(&path).unwrap();
    assert_refused_untouched(tmp.path(), &bytes, |e| {
        matches!(e, JournalError::Foreign { .. })
    });
}
