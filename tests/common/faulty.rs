//! A tiny raw TCP server for answers the sandbox cannot give: bodies that are not JSON, cut off
//! mid-body, never coming. It answers the token and session calls properly so the fault lands on
//! the call under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does when a request's path starts with `fault_path`.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Send these exact bytes (status line, headers and body) and close.
    Raw(String),
    /// Send headers promising `promised` bytes, then only `sent`, then close.
    CutOff { promised: usize, sent: String },
    /// Read the request and never answer (until the client gives up).
    Silence,
    /// Close the connection right after reading the request.
    Drop,
}

pub struct Faulty {
    pub base_url: String,
    /// How many requests hit the fault path.
    pub fault_hits: Arc<AtomicUsize>,
    /// The request bodies that hit the fault path, in order.
    pub bodies: Arc<std::sync::Mutex<Vec<String>>>,
}

pub fn http(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

pub async fn start(fault_path: &'static str, fault: Fault) -> Faulty {
    start_seq(fault_path, vec![fault]).await
}

/// The n-th request to `fault_path` gets `faults[n]`; the last one repeats.
pub async fn start_seq(fault_path: &'static str, faults: Vec<Fault>) -> Faulty {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let (counter, seen) = (hits.clone(), bodies.clone());
    let faults = Arc::new(faults);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (faults, counter, seen) = (faults.clone(), counter.clone(), seen.clone());
            tokio::spawn(async move { serve(sock, fault_path, &faults, counter, seen).await });
        }
    });
    Faulty {
        base_url: format!("http://{addr}"),
        fault_hits: hits,
        bodies,
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(text);
            }
        }
    }
}

async fn serve(
    mut sock: TcpStream,
    fault_path: &str,
    faults: &[Fault],
    hits: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
    if path.contains("/jwt/client/obtain/token") && !fault_path.contains("/jwt/") {
        let body = r#"{"access_token":"raw-token","expires_in":30}"#;
        let _ = sock
            .write_all(http("200 OK", "application/json", body).as_bytes())
            .await;
        return;
    }
    if path.contains("/sessions/payout") && !fault_path.contains("/sessions/payout") {
        let body = r#"{"id":42,"expires_at":"2099-01-01T00:00:00Z","wallet_id":7}"#;
        let _ = sock
            .write_all(http("200 OK", "application/json", body).as_bytes())
            .await;
        return;
    }
    if !path.contains(fault_path) {
        let body = r#"{"detail":"Execution not found"}"#;
        let _ = sock
            .write_all(http("404 Not Found", "application/json", body).as_bytes())
            .await;
        return;
    }
    let n = hits.fetch_add(1, Ordering::SeqCst);
    if let Some((_, body)) = req.split_once("\r\n\r\n") {
        bodies.lock().unwrap().push(body.to_string());
    }
    match faults[n.min(faults.len() - 1)].clone() {
        Fault::Raw(bytes) => {
            let _ = sock.write_all(bytes.as_bytes()).await;
        }
        Fault::CutOff { promised, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {promised}\r\n\r\n{sent}"
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.flush().await;
        }
        Fault::Silence => {
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        Fault::Drop => {}
    }
    let _ = sock.shutdown().await;
}
