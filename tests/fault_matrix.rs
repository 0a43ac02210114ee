//! The fault matrix: every way the network or the API can misbehave, for the execute call and
//! for the status call, in one table. Each row checks the recorded local state, the error kind,
//! that the message says what to do, and that no reference was sent as two payments.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::faulty::{self, Fault, http};
use common::*;
use payout_console::api::{ErrorKind, LocalState};
use payout_console::journal::EventKind;
use payout_console::payout::Resolution;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Where the faulty API lives.
#[derive(Clone)]
enum Target {
    /// The raw server, faulting on the call under test with these answers in order.
    Script(Vec<Fault>),
    /// Nothing listens on the port.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// A plain TCP server behind an https URL.
    Tls,
}

struct Row {
    name: &'static str,
    target: Target,
    timeout: Duration,
    /// Execute: the local state and error kind recorded, and how many requests reached the API.
    exec_state: LocalState,
    exec_kind: Option<ErrorKind>,
    exec_hits: usize,
    /// Status (via reconcile on an `unknown` row): what it concludes.
    status: StatusExpect,
}

#[derive(Debug, PartialEq)]
enum StatusExpect {
    Known(LocalState),
    NotFoundYet,
    Unreachable,
}

fn json(status: &str, body: &str) -> Fault {
    Fault::Raw(http(status, "application/json", body))
}

fn with_header(status: &str, header: &str, body: &str) -> Fault {
    Fault::Raw(format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{header}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
}

const OK: &str = r#"{"status":"PENDING","payer_amount":250.00,"payer_currency":"USD"}"#;
const DONE: &str = r#"{"status":"COMPLETED"}"#;

fn table() -> Vec<Row> {
    use ErrorKind::*;
    use LocalState as S;
    use StatusExpect as X;
    let t = Duration::from_secs(5);
    let row = |name, faults: Vec<Fault>, exec_state, exec_kind, exec_hits, status| Row {
        name,
        target: Target::Script(faults),
        timeout: t,
        exec_state,
        exec_kind,
        exec_hits,
        status,
    };
    let big = format!(
        "{{\"status\":\"COMPLETED\",\"pad\":\"{}\"}}",
        "x".repeat(10 * 1024 * 1024)
    );
    vec![
        Row {
            name: "connection refused",
            target: Target::Refused,
            timeout: t,
            exec_state: S::Rejected,
            exec_kind: Some(NotSent),
            exec_hits: 0,
            status: X::Unreachable,
        },
        Row {
            name: "dns failure",
            target: Target::Dns,
            timeout: t,
            exec_state: S::Rejected,
            exec_kind: Some(NotSent),
            exec_hits: 0,
            status: X::Unreachable,
        },
        Row {
            name: "tls failure",
            target: Target::Tls,
            timeout: t,
            exec_state: S::Rejected,
            exec_kind: Some(NotSent),
            exec_hits: 0,
            status: X::Unreachable,
        },
        Row {
            name: "timeout before headers",
            target: Target::Script(vec![Fault::Silence]),
            timeout: Duration::from_millis(700),
            exec_state: S::Unknown,
            exec_kind: Some(NoAnswer),
            exec_hits: 1,
            status: X::Unreachable,
        },
        row(
            "reset mid-body",
            vec![Fault::CutOff {
                promised: 500,
                sent: r#"{"status":"COMPL"#.into(),
            }],
            S::Unknown,
            Some(NoAnswer),
            1,
            X::Unreachable,
        ),
        row(
            "connection dropped",
            vec![Fault::Drop],
            S::Unknown,
            Some(NoAnswer),
            1,
            X::Unreachable,
        ),
        row(
            "401 then a fresh token works",
            vec![
                json(
                    "401 Unauthorized",
                    r#"{"detail":"Could not validate credentials"}"#,
                ),
                json("200 OK", OK),
            ],
            S::Pending,
            None,
            2,
            X::Known(S::Pending),
        ),
        row(
            "401 every time",
            vec![json(
                "401 Unauthorized",
                r#"{"detail":"Not authenticated"}"#,
            )],
            S::Rejected,
            Some(Unauthorized),
            2,
            X::Unreachable,
        ),
        row(
            "403 bad passcode",
            vec![json(
                "403 Forbidden",
                r#"{"detail":"Invalid merchant passcode"}"#,
            )],
            S::Rejected,
            Some(Forbidden),
            1,
            X::Unreachable,
        ),
        row(
            "404 unknown",
            vec![json("404 Not Found", r#"{"detail":"Not Found"}"#)],
            S::Rejected,
            Some(NotFound),
            1,
            X::NotFoundYet,
        ),
        row(
            "422 expired session",
            vec![json(
                "422 Unprocessable Entity",
                r#"{"detail":[{"loc":["body","session_id"],"msg":"Payout session has expired","type":"value_error"}]}"#,
            )],
            S::Rejected,
            Some(Validation),
            1,
            X::Unreachable,
        ),
        row(
            "422 reused reference",
            vec![json(
                "422 Unprocessable Entity",
                r#"{"detail":[{"loc":["body","reference_id"],"msg":"reference_id already used","type":"value_error"}]}"#,
            )],
            S::Rejected,
            Some(Validation),
            1,
            X::Unreachable,
        ),
        row(
            "422 missing field, new spelling",
            vec![json(
                "422 Unprocessable Entity",
                r#"{"detail":[{"loc":["body","passcode","token",0],"msg":"Field required","type":"missing","input":{},"ctx":{}}]}"#,
            )],
            S::Rejected,
            Some(Validation),
            1,
            X::Unreachable,
        ),
        row(
            "422 missing field, old spelling",
            vec![json(
                "422 Unprocessable Entity",
                r#"{"detail":[{"loc":["body","payout_account_id"],"msg":"field required","type":"value_error.missing"}]}"#,
            )],
            S::Rejected,
            Some(Validation),
            1,
            X::Unreachable,
        ),
        row(
            "429 with Retry-After then ok",
            vec![
                with_header(
                    "429 Too Many Requests",
                    "retry-after: 1",
                    r#"{"detail":"slow down"}"#,
                ),
                json("200 OK", OK),
            ],
            S::Pending,
            None,
            2,
            X::Unreachable,
        ),
        row(
            "429 without Retry-After",
            vec![json("429 Too Many Requests", r#"{"detail":"slow down"}"#)],
            S::Rejected,
            Some(RateLimited),
            3,
            X::Unreachable,
        ),
        row(
            "500",
            vec![json(
                "500 Internal Server Error",
                r#"{"detail":"Internal Server Error"}"#,
            )],
            S::Unknown,
            Some(Server),
            1,
            X::Unreachable,
        ),
        row(
            "502 html",
            vec![Fault::Raw(http(
                "502 Bad Gateway",
                "text/html",
                "<html>bad gateway</html>",
            ))],
            S::Unknown,
            Some(Server),
            1,
            X::Unreachable,
        ),
        row(
            "503 with Retry-After then ok",
            vec![
                with_header("503 Service Unavailable", "retry-after: 1", "{}"),
                json("200 OK", OK),
            ],
            S::Pending,
            None,
            2,
            X::Unreachable,
        ),
        row(
            "503 without Retry-After",
            vec![json("503 Service Unavailable", "{}")],
            S::Unknown,
            Some(Server),
            1,
            X::Unreachable,
        ),
        row(
            "2xx html",
            vec![Fault::Raw(http("200 OK", "text/html", "<html>ok</html>"))],
            S::Unknown,
            Some(BadBody),
            1,
            X::Unreachable,
        ),
        row(
            "2xx invalid json",
            vec![json("200 OK", r#"{"status": "COMPLETED",,}"#)],
            S::Unknown,
            Some(BadBody),
            1,
            X::Unreachable,
        ),
        row(
            "2xx 10 MB body",
            vec![json("200 OK", &big)],
            S::Unknown,
            Some(BadBody),
            1,
            X::Unreachable,
        ),
        row(
            "2xx missing status",
            vec![json("200 OK", r#"{"operation_type":"PAYOUT"}"#)],
            S::Unknown,
            None,
            1,
            X::Known(S::Unknown),
        ),
        row(
            "2xx unknown status word",
            vec![json("200 OK", r#"{"status":"SUCCEEDED"}"#)],
            S::Unknown,
            None,
            1,
            X::Known(S::Unknown),
        ),
        row(
            "2xx completed, wrapped in data",
            vec![json("200 OK", &format!(r#"{{"data":{DONE}}}"#))],
            S::Completed,
            None,
            1,
            X::Known(S::Completed),
        ),
    ]
}

/// A server that answers every connection with plain HTTP, so a TLS handshake fails.
async fn plain_tcp_server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    format!("https://{addr}")
}

async fn base_url(target: &Target, path: &'static str) -> (String, Option<faulty::Faulty>) {
    match target {
        Target::Script(faults) => {
            let f = faulty::start_seq(path, faults.clone()).await;
            (f.base_url.clone(), Some(f))
        }
        Target::Refused => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            (format!("http://127.0.0.1:{port}"), None)
        }
        Target::Dns => ("http://payout-console-test.invalid".into(), None),
        Target::Tls => (plain_tcp_server().await, None),
    }
}

fn says_what_to_do(msg: &str) -> bool {
    let m = msg.to_lowercase();
    ["check", "try again", "wait", "fix", "ask again"]
        .iter()
        .any(|w| m.contains(w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_execute_is_recorded_safely() {
    for row in table() {
        let (base, server) = base_url(&row.target, "/executions/payout").await;
        let rig = rig(&base, row.timeout, sandbox_auth());
        let reference = Uuid::new_v4();
        let out = rig
            .engine
            .execute(
                plan("18", "42", "000000", reference),
                &CancellationToken::new(),
                &quiet(),
            )
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", row.name));
        let r = out.reference.clone();
        let journaled = rig
            .engine
            .store
            .run(move |j| j.get(&r))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            out.state, row.exec_state,
            "{}: state ({:?})",
            row.name, out.error
        );
        assert_eq!(
            journaled.state, row.exec_state,
            "{}: journaled state",
            row.name
        );
        assert_eq!(
            out.error_kind, row.exec_kind,
            "{}: kind ({:?})",
            row.name, out.error
        );
        if let Some(msg) = &out.error {
            assert!(
                says_what_to_do(msg),
                "{}: message says what to do: {msg}",
                row.name
            );
            assert!(journaled.error.is_some(), "{}: error journaled", row.name);
        }
        if row.exec_kind == Some(ErrorKind::Validation) {
            assert!(
                !out.field_errors.is_empty() && !out.field_errors[0].msg.is_empty(),
                "{}",
                row.name
            );
        }
        if let Some(server) = server {
            assert_eq!(
                server.fault_hits.load(Ordering::SeqCst),
                row.exec_hits,
                "{}: requests sent",
                row.name
            );
            // Every request for this execution carried the same reference: one payment at most.
            for body in server.bodies.lock().unwrap().iter() {
                let v: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(v["reference_id"], reference.to_string(), "{}", row.name);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_status_leaves_the_row_unknown_or_resolves_it() {
    for row in table() {
        let (base, server) = base_url(&row.target, "/status/payout/").await;
        let rig = rig(&base, row.timeout, sandbox_auth());
        let reference = Uuid::new_v4().to_string();
        let new = new_execution(&reference, "42", &base);
        let r = reference.clone();
        rig.engine
            .store
            .run(move |j| {
                j.begin(&new)?;
                j.record_error(
                    &r,
                    EventKind::Error,
                    None,
                    LocalState::Unknown,
                    "answer lost",
                )
            })
            .await
            .unwrap();
        let r = reference.clone();
        let before = rig
            .engine
            .store
            .run(move |j| j.get(&r))
            .await
            .unwrap()
            .unwrap();
        let res = rig.engine.reconcile_row(&before).await.unwrap();
        let r = reference.clone();
        let after = rig
            .engine
            .store
            .run(move |j| j.get(&r))
            .await
            .unwrap()
            .unwrap();
        let got = match &res {
            Resolution::Known(s) => StatusExpect::Known(*s),
            Resolution::NotFoundYet { .. } => StatusExpect::NotFoundYet,
            Resolution::Unreachable(msg) => {
                assert!(says_what_to_do(msg), "{}: {msg}", row.name);
                StatusExpect::Unreachable
            }
            Resolution::DidNotLand => {
                panic!("{}: one poll can never conclude 'did not land'", row.name)
            }
        };
        assert_eq!(got, row.status, "{}: {res:?}", row.name);
        match row.status {
            StatusExpect::Known(s) => assert_eq!(after.state, s, "{}", row.name),
            _ => assert_eq!(after.state, LocalState::Unknown, "{}: unchanged", row.name),
        }
        if let Some(server) = server {
            let hits = server.fault_hits.load(Ordering::SeqCst);
            assert!(
                hits >= usize::from(!matches!(row.target, Target::Refused)),
                "{}",
                row.name
            );
        }
    }
}
