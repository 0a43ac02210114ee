//! Opening the file safely and versioned migrations (`PRAGMA user_version`).
//!
//! A file is checked before SQLite is allowed to write to it: one that is not an SQLite
//! database, belongs to another program, or comes from a newer schema is reported and left
//! byte-identical. Each migration runs in its own `BEGIN IMMEDIATE` transaction together with
//! its `user_version` bump, so a crash mid-upgrade leaves the previous version intact, and two
//! processes opening a fresh file at once migrate it once.

use std::fs;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::JournalError;

/// Marks the file as ours (`PRAGMA application_id`): "PCON".
pub const APPLICATION_ID: i64 = 0x5043_4F4E;

/// Waiting for another writer inside SQLite before our own retry loop takes over.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

/// Every migration in order; the last one's version is [`SCHEMA_VERSION`].
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: V1,
}];

pub const SCHEMA_VERSION: i64 = 1;

/// Version 1: executions (journal order in `seq`), the event trail, the listing indexes and the
/// search index.
///
/// Every secondary index ends, implicitly, with `seq`, so `state = ?`, `payout_account_id = ?`,
/// `(payout_account_id, state) = (?, ?)` and `profile = ?` all list newest first without a sort.
/// `created_at` grows with `seq`, so its index turns `--since` into a `seq` bound.
const V1: &str = r#"
CREATE TABLE executions (
    seq                     INTEGER PRIMARY KEY,
    reference_id            TEXT NOT NULL UNIQUE,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    state                   TEXT NOT NULL CHECK (state IN ('sending', 'pending', 'processing',
                                'action_required', 'completed', 'failed', 'rejected', 'unknown')),
    status                  TEXT,
    payer_amount            TEXT,
    payer_currency          TEXT,
    payee_amount            TEXT,
    payee_currency          TEXT,
    operation_type          TEXT,
    provider_transaction_id TEXT,
    gateway_message         TEXT,
    wallet_message          TEXT,
    client_secret_hint      TEXT,
    requires_action         INTEGER,
    session_id              TEXT NOT NULL,
    session_amount          TEXT,
    session_currency        TEXT,
    session_expires_at      TEXT,
    payout_account_id       TEXT NOT NULL,
    profile                 TEXT NOT NULL,
    base_url                TEXT NOT NULL,
    sandbox                 INTEGER NOT NULL,
    os_user                 TEXT NOT NULL,
    payee                   TEXT NOT NULL,
    attempts                INTEGER NOT NULL DEFAULT 0,
    http_status             INTEGER,
    error                   TEXT,
    writer_pid              INTEGER NOT NULL,
    writer_host             TEXT NOT NULL,
    writer_start            TEXT
);
CREATE INDEX executions_by_state ON executions (state);
CREATE INDEX executions_by_account ON executions (payout_account_id);
CREATE INDEX executions_by_account_state ON executions (payout_account_id, state);
CREATE INDEX executions_by_profile ON executions (profile);
CREATE INDEX executions_by_created ON executions (created_at);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    reference_id TEXT NOT NULL REFERENCES executions (reference_id),
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_reference ON events (reference_id);

CREATE VIRTUAL TABLE executions_search USING fts5 (
    reference_id, session_id, payout_account_id, provider_transaction_id,
    gateway_message, wallet_message, error, payee,
    content = 'executions', content_rowid = 'seq',
    tokenize = 'unicode61', prefix = '2 4'
);
CREATE TRIGGER executions_search_insert AFTER INSERT ON executions BEGIN
    INSERT INTO executions_search (rowid, reference_id, session_id, payout_account_id,
        provider_transaction_id, gateway_message, wallet_message, error, payee)
    VALUES (new.seq, new.reference_id, new.session_id, new.payout_account_id,
        new.provider_transaction_id, new.gateway_message, new.wallet_message, new.error,
        new.payee);
END;
CREATE TRIGGER executions_search_delete AFTER DELETE ON executions BEGIN
    INSERT INTO executions_search (executions_search, rowid, reference_id, session_id,
        payout_account_id, provider_transaction_id, gateway_message, wallet_message, error, payee)
    VALUES ('delete', old.seq, old.reference_id, old.session_id, old.payout_account_id,
        old.provider_transaction_id, old.gateway_message, old.wallet_message, old.error,
        old.payee);
END;
CREATE TRIGGER executions_search_update AFTER UPDATE OF reference_id, session_id,
    payout_account_id, provider_transaction_id, gateway_message, wallet_message, error, payee
    ON executions
    WHEN old.provider_transaction_id IS NOT new.provider_transaction_id
      OR old.gateway_message IS NOT new.gateway_message
      OR old.wallet_message IS NOT new.wallet_message
      OR old.error IS NOT new.error
      OR old.reference_id IS NOT new.reference_id
      OR old.session_id IS NOT new.session_id
      OR old.payout_account_id IS NOT new.payout_account_id
      OR old.payee IS NOT new.payee
BEGIN
    INSERT INTO executions_search (executions_search, rowid, reference_id, session_id,
        payout_account_id, provider_transaction_id, gateway_message, wallet_message, error, payee)
    VALUES ('delete', old.seq, old.reference_id, old.session_id, old.payout_account_id,
        old.provider_transaction_id, old.gateway_message, old.wallet_message, old.error,
        old.payee);
    INSERT INTO executions_search (rowid, reference_id, session_id, payout_account_id,
        provider_transaction_id, gateway_message, wallet_message, error, payee)
    VALUES (new.seq, new.reference_id, new.session_id, new.payout_account_id,
        new.provider_transaction_id, new.gateway_message, new.wallet_message, new.error,
        new.payee);
END;
"#;

/// Creates the data dir (mode 0700 for the parts we create).
pub fn create_private_dir(dir: &Path) -> Result<(), JournalError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| JournalError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Opens `path` as a history: checks, WAL, migrations, file modes. Several processes opening
/// (even creating) the same file at once is fine: a step that finds the file locked, which
/// SQLite reports without waiting while another process switches it to WAL, starts over.
pub fn open_connection(path: &Path) -> Result<Connection, JournalError> {
    prepare_file(path)?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match try_open(path) {
            Err(e) if locked(&e) && started.elapsed() < OPEN_BUDGET => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            Err(e) if locked(&e) => {
                return Err(JournalError::Busy {
                    path: path.to_path_buf(),
                    seconds: started.elapsed().as_secs(),
                });
            }
            other => return other,
        }
    }
}

/// Giving up on opening a file other processes keep locked.
const OPEN_BUDGET: Duration = Duration::from_secs(30);

fn locked(e: &JournalError) -> bool {
    let source = match e {
        JournalError::Sqlite { source, .. } | JournalError::Migration { source, .. } => source,
        _ => return false,
    };
    matches!(
        source.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn try_open(path: &Path) -> Result<Connection, JournalError> {
    let sql = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_a_db(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    let version = check_ownership(&conn, path, MIGRATIONS)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| not_a_db(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Invalid {
            what: format!(
                "{} cannot use write-ahead logging (journal mode stays {mode}); keep the data dir on a local disk",
                path.display()
            ),
        });
    }
    // FULL: a journaled row survives a power cut, not only a crash. Payouts are few; the fsync
    // per commit is cheap next to a network round trip.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(sql)?;
    if version < SCHEMA_VERSION {
        migrate(&conn, path, MIGRATIONS)?;
    }
    restrict_modes(path)?;
    // No ANALYZE / PRAGMA optimize: statistics taken while the history is small go stale as it
    // grows (a stale "2 rows" on the search index's shadow table made inserts 4x slower), and
    // every query here is shaped so that the planner's defaults pick the intended index.
    Ok(conn)
}

/// A missing file is created empty with mode 0600 (so SQLite never creates it with the umask's
/// mode); an existing one must start with the SQLite header or be empty.
fn prepare_file(path: &Path) -> Result<(), JournalError> {
    let io = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let meta = fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(JournalError::NotADatabase {
            path: path.to_path_buf(),
            detail: "it is not a regular file".into(),
        });
    }
    let mut header = [0u8; 16];
    let mut file = fs::File::open(path).map_err(io)?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
    }
    if read == 0 {
        return Ok(());
    }
    if read < header.len() || &header != b"SQLite format 3\0" {
        return Err(JournalError::NotADatabase {
            path: path.to_path_buf(),
            detail: "it does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

fn not_a_db(path: &Path, e: rusqlite::Error) -> JournalError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => JournalError::NotADatabase {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => JournalError::Sqlite {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// Read-only checks that the file is ours and not from the future. Returns its schema version.
fn check_ownership(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<i64, JournalError> {
    // One statement, so all three come from one snapshot: read one by one, another process's
    // migration could commit between the version (0) and the table count (> 0), and a fresh
    // history would be refused as another program's.
    let (version, app_id, tables) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT application_id FROM pragma_application_id),
                    (SELECT count(*) FROM sqlite_schema)",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .map_err(|e| not_a_db(path, e))?;
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(JournalError::Foreign {
            path: path.to_path_buf(),
            detail: format!("application id {app_id:#x}"),
        });
    }
    if version == 0 && tables > 0 {
        return Err(JournalError::Foreign {
            path: path.to_path_buf(),
            detail: format!("{tables} tables and no payout-console schema version"),
        });
    }
    let supported = migrations.last().map_or(0, |m| m.version);
    if version > supported {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported,
        });
    }
    Ok(version)
}

/// Applies every migration newer than the file, each in its own immediate transaction.
/// Returns the version the file ends at.
pub fn migrate(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<i64, JournalError> {
    let sql = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let mut at = user_version(conn).map_err(sql)?;
    for m in migrations {
        if m.version <= at {
            continue;
        }
        let failed = |source| JournalError::Migration {
            path: path.to_path_buf(),
            version: m.version,
            source,
        };
        conn.execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
        let step = (|| {
            // Another process may have upgraded while we waited for the lock.
            let now = user_version(conn)?;
            if now >= m.version {
                return Ok(now);
            }
            conn.execute_batch(m.sql)?;
            // PRAGMA takes no bound parameters; both values are integers from this file.
            conn.execute_batch(&format!(
                "PRAGMA user_version = {}; PRAGMA application_id = {APPLICATION_ID};",
                m.version
            ))?;
            Ok(m.version)
        })();
        match step {
            Ok(v) => {
                conn.execute_batch("COMMIT").map_err(failed)?;
                at = v;
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(failed(e));
            }
        }
    }
    Ok(at)
}

pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// The file and its WAL companions readable by the owner only.
fn restrict_modes(path: &Path) -> Result<(), JournalError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for p in [path.as_os_str(), &wal, &shm] {
            let p = Path::new(p);
            match fs::metadata(p) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    fs::set_permissions(p, fs::Permissions::from_mode(0o600)).map_err(
                        |source| JournalError::Io {
                            path: p.to_path_buf(),
                            source,
                        },
                    )?;
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(JournalError::Io {
                        path: p.to_path_buf(),
                        source,
                    });
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_STEPS: &[Migration] = &[
        Migration {
            version: 1,
            sql: "CREATE TABLE a (x TEXT);",
        },
        Migration {
            version: 2,
            sql: "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a VALUES ('old', 'new');",
        },
    ];

    #[test]
    fn migrations_apply_only_the_missing_steps_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");
        let conn = Connection::open(&path).unwrap();
        assert_eq!(migrate(&conn, &path, &TEST_STEPS[..1]).unwrap(), 1);
        conn.execute("INSERT INTO a VALUES ('kept')", []).unwrap();
        assert_eq!(migrate(&conn, &path, TEST_STEPS).unwrap(), 2);
        assert_eq!(migrate(&conn, &path, TEST_STEPS).unwrap(), 2);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");
        let conn = Connection::open(&path).unwrap();
        let broken = [
            Migration {
                version: 1,
                sql: "CREATE TABLE a (x TEXT);",
            },
            Migration {
                version: 2,
                sql: "CREATE TABLE b (x TEXT); THIS IS NOT SQL;",
            },
        ];
        let err = migrate(&conn, &path, &broken).unwrap_err();
        assert!(matches!(err, JournalError::Migration { version: 2, .. }));
        assert_eq!(user_version(&conn).unwrap(), 1);
        let b: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(b, 0, "the half-applied step was rolled back");
    }

    #[test]
    fn schema_version_is_the_last_migration() {
        assert_eq!(MIGRATIONS.last().unwrap().version, SCHEMA_VERSION);
    }
}
