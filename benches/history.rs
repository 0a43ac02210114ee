//! History at scale: fills a 1,000,000-row journal once (one transaction, one prepared
//! statement, search index kept by its triggers), then times the queries `history`,
//! `history --search`, `history show` and the payout guard run, and prints peak memory.
//!
//! `cargo bench --bench history` (set `HISTORY_BENCH_ROWS` for another size). Targets: each
//! query under 50 ms, peak RSS under 64 MB while querying.

use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use payout_console::api::state::LocalState;
use payout_console::api::wire::ExecutionResponse;
use payout_console::journal::{EventKind, FILE_NAME, HistoryFilter, Journal, NewExecution, Page};
use rusqlite::{Connection, params};

const TARGET: Duration = Duration::from_millis(50);
const RUNS: usize = 15;
const FILL_ENV: &str = "HISTORY_BENCH_FILL";

fn main() {
    let rows: usize = std::env::var("HISTORY_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // The fill runs in a child process, so its memory never counts against the queries.
    if let Ok(path) = std::env::var(FILL_ENV) {
        let sample = fill(std::path::Path::new(&path), rows);
        println!("{sample}");
        eprintln!("peak RSS while filling: {} MB", peak_rss_mb());
        return;
    }
    // HISTORY_BENCH_DIR keeps the filled file for the next run; otherwise a temp dir.
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dir = std::env::var_os("HISTORY_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let marker = dir.join(format!("bench-{rows}.ref"));
    let some_ref = match std::fs::read_to_string(&marker) {
        Ok(sample) => {
            println!("reusing the {rows}-row history in {}", dir.display());
            sample.trim().to_string()
        }
        Err(_) => {
            drop(Journal::open(&dir).expect("a fresh journal"));
            let started = Instant::now();
            let child = std::process::Command::new(std::env::current_exe().expect("this bench"))
                .env(FILL_ENV, dir.join(FILE_NAME))
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("the fill process");
            assert!(child.status.success(), "the fill failed");
            let sample = String::from_utf8(child.stdout).expect("a reference");
            std::fs::write(&marker, &sample).expect("the marker");
            println!(
                "filled {rows} executions + {} events in {:.1} s",
                rows * 2,
                started.elapsed().as_secs_f64(),
            );
            sample.trim().to_string()
        }
    };
    let size = std::fs::metadata(dir.join(FILE_NAME)).map_or(0, |m| m.len());
    println!("history file: {} MB", size / 1_000_000);

    let t = Instant::now();
    let journal = Journal::open(&dir).expect("reopen");
    let j = &journal;
    println!(
        "{:<48} {:>8.2} ms",
        "open (migrations, orphan check)",
        ms(t.elapsed())
    );

    let mut failures = Vec::new();
    let mut time = |name: &str, f: &mut dyn FnMut() -> usize| {
        let n = f(); // warm the statement cache
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        times.sort();
        let (median, worst) = (times[RUNS / 2], times[RUNS - 1]);
        println!(
            "{name:<48} {:>8.2} ms median {:>8.2} ms worst  ({n} rows)",
            ms(median),
            ms(worst)
        );
        if median > TARGET {
            failures.push(name.to_string());
        }
    };
    let page = Page::first(50);
    let q = |f: HistoryFilter| move || j.query(&f, page).expect("query").len();
    let search = |text: &str| HistoryFilter {
        search: Some(text.into()),
        ..HistoryFilter::default()
    };
    time("history (newest 50)", &mut q(HistoryFilter::default()));
    time(
        "--search <reference prefix 8>",
        &mut q(search(&some_ref[..8])),
    );
    time("--search <whole reference>", &mut q(search(&some_ref)));
    time(
        "--search <reference prefix 4>",
        &mut q(search(&some_ref[..4])),
    );
    time(
        "--search insufficient (7% of rows)",
        &mut q(search("insufficient")),
    );
    time(
        "--search successful (90% of rows)",
        &mut q(search("successful")),
    );
    time(
        "--search PTX-000123 (provider id prefix)",
        &mut q(search("PTX-000123")),
    );
    time("--search nothing-matches", &mut q(search("zzzzqqq")));
    time(
        "--state failed",
        &mut q(HistoryFilter {
            states: vec![LocalState::Failed],
            ..HistoryFilter::default()
        }),
    );
    time(
        "--state pending,processing,unknown",
        &mut q(HistoryFilter {
            states: vec![
                LocalState::Pending,
                LocalState::Processing,
                LocalState::Unknown,
            ],
            ..HistoryFilter::default()
        }),
    );
    time(
        "--account 7 --state failed",
        &mut q(HistoryFilter {
            states: vec![LocalState::Failed],
            account: Some("7".into()),
            ..HistoryFilter::default()
        }),
    );
    time(
        "--profile prod --search declined",
        &mut q(HistoryFilter {
            profile: Some("prod".into()),
            search: Some("declined".into()),
            ..HistoryFilter::default()
        }),
    );
    time(
        "--since 24h",
        &mut q(HistoryFilter {
            since: Some(Utc::now() - chrono::Duration::hours(24)),
            ..HistoryFilter::default()
        }),
    );
    time("page 200 (keyset, 50 a page)", &mut || {
        let mut p = Page::first(50);
        let mut rows = Vec::new();
        for _ in 0..200 {
            rows = j.query(&HistoryFilter::default(), p).expect("page");
            p = Page::after(rows.last().expect("a full page"), 50);
        }
        rows.len()
    });
    time("history show (get + events)", &mut || {
        let row = j.get(&some_ref).expect("get").expect("the row");
        j.events(&row.reference_id).expect("events").len() + 1
    });
    time("count --state failed (capped)", &mut || {
        let f = HistoryFilter {
            states: vec![LocalState::Failed],
            ..HistoryFilter::default()
        };
        j.count(&f).expect("count") as usize
    });
    time("unresolved_for_account 7", &mut || {
        j.unresolved_for_account("7", "https://api.heydollr.app")
            .expect("guard")
            .len()
    });
    time("recent_accounts 10", &mut || {
        j.recent_accounts(10).expect("accounts").len()
    });
    time("unresolved (reconcile)", &mut || {
        j.unresolved().expect("unresolved").len()
    });
    let body: ExecutionResponse = serde_json::from_str(
        r#"{"status":"PROCESSING","payer_amount":12.50,"payer_currency":"USD"}"#,
    )
    .expect("an answer");
    time("begin + mark_sent + record_answer (3 commits)", &mut || {
        let reference = uuid::Uuid::new_v4().to_string();
        j.begin(&NewExecution {
            reference_id: reference.clone(),
            session_id: "42".into(),
            session_amount: None,
            session_currency: None,
            session_expires_at: None,
            payout_account_id: "7".into(),
            profile: "prod".into(),
            base_url: "https://api.heydollr.app".into(),
            sandbox: false,
            os_user: "ops".into(),
            payee: "2317•••4567".into(),
            guard_account: false,
        })
        .expect("begin");
        j.mark_sent(&reference, 1).expect("sent");
        j.record_answer(
            &reference,
            EventKind::Answered,
            200,
            &body,
            LocalState::Processing,
        )
        .expect("answer");
        3
    });
    println!("peak RSS while querying: {} MB", peak_rss_mb());
    if failures.is_empty() {
        println!("every query under {} ms", TARGET.as_millis());
    } else {
        println!("over {} ms: {}", TARGET.as_millis(), failures.join(", "));
    }
}

/// Writes `rows` executions with two events each, oldest first over the last year, in one
/// transaction. Returns the reference of the row a third of the way in.
fn fill(path: &std::path::Path, rows: usize) -> String {
    let mut c = Connection::open(path).expect("open for fill");
    c.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
        .expect("pragmas");
    let tx = c.transaction().expect("transaction");
    let mut sample = String::new();
    {
        let mut exec = tx
            .prepare(
                "INSERT INTO executions (reference_id, created_at, updated_at, state, status,
                    payer_amount, payer_currency, payee_amount, payee_currency, operation_type,
                    provider_transaction_id, gateway_message, session_id, session_amount,
                    session_currency, payout_account_id, profile, base_url, sandbox, os_user,
                    payee, attempts, http_status, writer_pid, writer_host)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, 'USD', ?6, ?7, 'PAYOUT', ?8, ?9, ?10, ?5, 'USD',
                    ?11, ?12, 'https://api.heydollr.app', ?13, 'ops', '2317•••4567', 1, 200, 1,
                    'bench')",
            )
            .expect("prepare");
        let mut event = tx
            .prepare("INSERT INTO events (reference_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        let start = Utc::now() - chrono::Duration::days(365);
        let step = 365.0 * 86_400.0 / rows as f64;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..rows {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let reference =
                uuid::Uuid::from_u64_pair(seed, seed.rotate_left(29) ^ i as u64).to_string();
            let at = (start + chrono::Duration::milliseconds((i as f64 * step * 1000.0) as i64))
                .to_rfc3339_opts(SecondsFormat::Micros, true);
            let roll = seed % 1000;
            let (state, status, message) = match roll {
                0..=899 => ("completed", "COMPLETED", "Payout successful"),
                900..=939 => ("failed", "FAILED", "insufficient wallet balance"),
                940..=969 => ("failed", "FAILED", "declined by the operator"),
                970..=979 => ("rejected", "", "reference_id: already used"),
                980..=989 => ("processing", "PROCESSING", "in progress"),
                990..=994 => ("pending", "PENDING", "queued"),
                995..=997 => ("unknown", "", "no answer"),
                _ => ("action_required", "PROCESSING", "card needs 3-D Secure"),
            };
            let account = (seed >> 20) % 200;
            let lrd = !account.is_multiple_of(3);
            let amount = format!("{}.{:02}", 1 + (seed >> 32) % 5000, (seed >> 8) % 100);
            let (payee_amount, payee_currency) = if lrd {
                let a = payout_console::money::Amount::parse(&amount).expect("amount");
                (
                    (a.0 * rust_decimal::Decimal::new(1865, 1)).to_string(),
                    "LRD",
                )
            } else {
                (amount.clone(), "USD")
            };
            let profile = ["prod", "staging", "local"][(seed >> 40) as usize % 3];
            exec.execute(params![
                reference,
                at,
                state,
                (!status.is_empty()).then_some(status),
                amount,
                payee_amount,
                payee_currency,
                format!("PTX-{i:08}"),
                message,
                (i + 1000).to_string(),
                account.to_string(),
                profile,
                profile != "prod",
            ])
            .expect("insert execution");
            event
                .execute(params![
                    reference,
                    at,
                    "journaled",
                    "by ops (pid 1 on bench), profile prod"
                ])
                .expect("insert event");
            event
                .execute(params![
                    reference,
                    at,
                    "answered",
                    format!("HTTP 200 {status}")
                ])
                .expect("insert event");
            if i == rows / 3 {
                sample = reference;
            }
        }
    }
    tx.commit().expect("commit");
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    sample
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// VmHWM from /proc/self/status, in MB (0 where there is no /proc).
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
