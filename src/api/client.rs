//! The async Dollr client: token exchange and refresh, payout sessions, execute and status.
//!
//! It retries only one thing by itself: a request answered 401 is sent once more after a fresh
//! token exchange (a 401 means the API looked at nothing else, so nothing executed). Every other
//! retry decision belongs to `crate::payout`, which journals each attempt.

use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::error::{ApiError, parse_retry_after};
use super::lenient::unwrap_data;
use super::wire::{
    CreateSessionRequest, ExecuteRequest, ExecutionResponse, PayoutSession, TokenRequest,
    TokenResponse, parse_error_body,
};

/// The most of an answer the client will read. Real answers are a few hundred bytes; anything
/// near this is not an answer we can trust, and must not exhaust memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Refresh a token before fewer than this remain (vendor guidance).
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// When the token answer has no lifetime, assume a short one.
const DEFAULT_TOKEN_MINUTES: f64 = 10.0;

pub enum Auth {
    /// A ready bearer token (`PAYOUT_CONSOLE_TOKEN`): used as is, never refreshed.
    Bearer(SecretString),
    /// client_id + client secret, exchanged for tokens as needed.
    Client {
        client_id: String,
        client_secret: SecretString,
    },
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// `{base_url}/{api_version}`, no trailing slash.
    pub api_base: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
}

/// An answer that arrived and parsed: its HTTP status, the parsed body and the raw text (for
/// support bundles).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub http_status: u16,
    pub body: T,
    pub raw: String,
}

struct CachedToken {
    token: SecretString,
    refresh_at: Instant,
}

/// Whether the client holds a usable token, for the console's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    None,
    Valid { refresh_in: Duration },
    Stale,
    Fixed,
}

/// Makes `ring` the process's TLS crypto provider; every reqwest client needs one installed
/// first. `ring` rather than rustls's default aws-lc: aws-lc runs CPU-feature probes in a static
/// constructor and carries ~9,000 relocations, which every start of every command paid for
/// (0.2 ms of a 2.4 ms `history`).
pub fn use_ring_for_tls() {
    // Fails only when a provider is installed already; it is then this one.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub struct ApiClient {
    http: reqwest::Client,
    opts: ClientOptions,
    auth: Auth,
    // One refresh at a time: callers wait on this lock while a token exchange is out.
    token: Mutex<Option<CachedToken>>,
}

impl ApiClient {
    pub fn new(opts: ClientOptions, auth: Auth) -> Result<Self, ApiError> {
        use_ring_for_tls();
        let http = reqwest::Client::builder()
            // Never follow: a 307/308 would re-post the passcode and the full phone to wherever
            // Location points, past the rule that plain http is for loopback only.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(opts.timeout)
            .connect_timeout(opts.connect_timeout)
            .user_agent(opts.user_agent.clone())
            .build()
            .map_err(|e| ApiError::NotSent {
                reason: format!("could not set up HTTP: {e}"),
            })?;
        Ok(ApiClient {
            http,
            opts,
            auth,
            token: Mutex::new(None),
        })
    }

    pub fn api_base(&self) -> &str {
        &self.opts.api_base
    }

    pub fn timeout(&self) -> Duration {
        self.opts.timeout
    }

    pub async fn token_state(&self) -> TokenState {
        if matches!(self.auth, Auth::Bearer(_)) {
            return TokenState::Fixed;
        }
        match &*self.token.lock().await {
            None => TokenState::None,
            Some(t) => match t.refresh_at.checked_duration_since(Instant::now()) {
                Some(d) => TokenState::Valid { refresh_in: d },
                None => TokenState::Stale,
            },
        }
    }

    /// `POST /{v}/sessions/payout`
    pub async fn create_session(
        &self,
        req: &CreateSessionRequest,
    ) -> Result<Answer<PayoutSession>, ApiError> {
        self.call(Method::POST, "/sessions/payout", Some(req)).await
    }

    /// `POST /{v}/executions/payout`
    pub async fn execute(
        &self,
        req: &ExecuteRequest,
    ) -> Result<Answer<ExecutionResponse>, ApiError> {
        let answer = self
            .call(Method::POST, "/executions/payout", Some(req))
            .await?;
        about(answer, &req.reference_id.to_string())
    }

    /// `GET /{v}/status/payout/{reference_id}`
    pub async fn status(&self, reference_id: &str) -> Result<Answer<ExecutionResponse>, ApiError> {
        let path = format!("/status/payout/{}", urlencode(reference_id));
        let answer = self.call::<(), _>(Method::GET, &path, None).await?;
        about(answer, reference_id)
    }

    /// Makes sure a token is held, exchanging credentials if needed.
    pub async fn authenticate(&self) -> Result<(), ApiError> {
        self.bearer().await.map(|_| ())
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer<T>, ApiError> {
        let mut refreshed = false;
        loop {
            let token = self.bearer().await.map_err(token_failed)?;
            match self.send(method.clone(), path, body, Some(&token)).await {
                Err(ApiError::Unauthorized { .. })
                    if !refreshed && matches!(self.auth, Auth::Client { .. }) =>
                {
                    tracing::info!(path, "401: exchanging credentials for a new token once");
                    self.forget(&token).await;
                    refreshed = true;
                }
                other => return other,
            }
        }
    }

    async fn bearer(&self) -> Result<SecretString, ApiError> {
        let (client_id, client_secret) = match &self.auth {
            Auth::Bearer(t) => return Ok(t.clone()),
            Auth::Client {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.token.clone());
        }
        let req = TokenRequest {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        };
        let answer: Answer<TokenResponse> = self
            .send(Method::POST, "/jwt/client/obtain/token", Some(&req), None)
            .await?;
        if answer.body.access_token.expose_secret().is_empty() {
            return Err(ApiError::BadBody {
                status: answer.http_status,
                reason: "the token answer has an empty access_token".into(),
                snippet: String::new(),
            });
        }
        let minutes = answer
            .body
            .expires_in
            .filter(|m| m.is_finite() && *m > 0.0)
            .unwrap_or(DEFAULT_TOKEN_MINUTES);
        let lifetime = Duration::from_secs_f64((minutes * 60.0).min(30.0 * 24.0 * 3600.0));
        // Short-lived tokens (sandbox tests) are refreshed at half-life instead.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        let token = answer.body.access_token;
        *cached = Some(CachedToken {
            token: token.clone(),
            refresh_at: Instant::now() + (lifetime - margin),
        });
        tracing::info!(minutes, "obtained an API token");
        Ok(token)
    }

    /// Drops the cached token after a 401, unless another caller already replaced it.
    async fn forget(&self, used: &SecretString) {
        let mut cached = self.token.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.token.expose_secret() == used.expose_secret())
        {
            *cached = None;
        }
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        token: Option<&SecretString>,
    ) -> Result<Answer<T>, ApiError> {
        let url = format!("{}{}", self.opts.api_base, path);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t.expose_secret());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let started = Instant::now();
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let raw = read_capped(&mut resp, status.as_u16()).await?;
        tracing::debug!(%method, path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "answer");
        interpret(status, retry_after, raw)
    }
}

/// A failed token exchange means the call itself never left: whatever went wrong (a timeout,
/// a 5xx, a 404 from a base_url with the version in it), nothing was executed, and it must not
/// read as the payout's own lost answer (which would hold the account as unresolved) or as the
/// payout's "not found" (which would count towards "did not land"). Refused credentials keep
/// their own message.
fn token_failed(e: ApiError) -> ApiError {
    match e {
        ApiError::NotSent { .. } | ApiError::Unauthorized { .. } | ApiError::Forbidden { .. } => e,
        ApiError::NoAnswer { reason } => ApiError::NotSent {
            reason: format!("the token request got no answer: {reason}"),
        },
        ApiError::BadBody { status, reason, .. } => ApiError::NotSent {
            reason: format!("the token answer ({status}) was unreadable: {reason}"),
        },
        other => ApiError::NotSent {
            reason: format!(
                "the token request was answered {}; is base_url the API's root, without /v1?",
                other
                    .http_status()
                    .map_or("with an error".to_string(), |c| c.to_string())
            ),
        },
    }
}

/// An answer that names another reference says nothing about this one (a caching proxy, a
/// vendor bug): it is an unreadable answer, never this reference's state. An answer that names
/// none is taken as the answer to the request it came back on.
fn about(
    answer: Answer<ExecutionResponse>,
    reference: &str,
) -> Result<Answer<ExecutionResponse>, ApiError> {
    let Some(named) = answer.body.reference_id.as_deref() else {
        return Ok(answer);
    };
    let same = match (
        Uuid::parse_str(named.trim()),
        Uuid::parse_str(reference.trim()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => named.trim() == reference.trim(),
    };
    if same {
        return Ok(answer);
    }
    Err(ApiError::BadBody {
        status: answer.http_status,
        reason: format!("the answer is about reference {named}, not {reference}"),
        snippet: snippet(&answer.raw),
    })
}

fn interpret<T: DeserializeOwned>(
    status: StatusCode,
    retry_after: Option<Duration>,
    raw: String,
) -> Result<Answer<T>, ApiError> {
    let code = status.as_u16();
    if status.is_success() {
        let inner = unwrap_data(&raw);
        if !inner.trim_start().starts_with('{') {
            // serde would read a struct from an array field by field: `[null,"COMPLETED"]`
            // must never become a completed payout.
            return Err(ApiError::BadBody {
                status: code,
                reason: if raw.trim().is_empty() {
                    "the body is empty".into()
                } else {
                    "the body is not a JSON object".into()
                },
                snippet: snippet(&raw),
            });
        }
        return match serde_json::from_str::<T>(inner) {
            Ok(body) => Ok(Answer {
                http_status: code,
                body,
                raw,
            }),
            Err(e) => Err(ApiError::BadBody {
                status: code,
                reason: if raw.trim().is_empty() {
                    "the body is empty".into()
                } else {
                    format!("not the JSON expected: {e}")
                },
                snippet: snippet(&raw),
            }),
        };
    }
    let (text, items) = parse_error_body(&raw);
    let detail = text.unwrap_or_else(|| {
        let s = snippet(&raw);
        if s.is_empty() {
            status.canonical_reason().unwrap_or("no detail").to_string()
        } else {
            s
        }
    });
    Err(match code {
        401 => ApiError::Unauthorized { detail },
        403 => ApiError::Forbidden { detail },
        404 => ApiError::NotFound { detail },
        422 => ApiError::Validation { detail, items },
        429 => ApiError::RateLimited {
            detail,
            retry_after,
        },
        // A redirect is not followed. The request did reach a server (a 303 even says it was
        // processed), so it may have executed: the caller treats it as a lost answer.
        300..=399 => ApiError::Server {
            status: code,
            detail: format!(
                "a redirect, not followed: requests are never sent on to another address; check the profile's base_url ({detail})"
            ),
            retry_after: None,
        },
        500..=599 => ApiError::Server {
            status: code,
            detail,
            retry_after,
        },
        _ => ApiError::OtherStatus {
            status: code,
            detail,
        },
    })
}

async fn read_capped(resp: &mut reqwest::Response, status: u16) -> Result<String, ApiError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::BadBody {
                        status,
                        reason: format!("the answer is larger than {} KiB", MAX_BODY_BYTES / 1024),
                        snippet: snippet(&String::from_utf8_lossy(&buf)),
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::NoAnswer {
                    reason: format!(
                        "the answer was cut off after {} bytes: {}",
                        buf.len(),
                        root_cause(&e)
                    ),
                });
            }
        }
    }
    String::from_utf8(buf).map_err(|_| ApiError::BadBody {
        status,
        reason: "the body is not UTF-8 text".into(),
        snippet: String::new(),
    })
}

fn classify(e: reqwest::Error) -> ApiError {
    let reason = root_cause(&e);
    if e.is_builder() || e.is_connect() {
        ApiError::NotSent { reason }
    } else if e.is_timeout() {
        ApiError::NoAnswer {
            reason: format!("timed out waiting for the answer ({reason})"),
        }
    } else {
        ApiError::NoAnswer { reason }
    }
}

/// reqwest's top-level message is generic ("error sending request"); the cause says what broke.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    let joined = parts.join(": ");
    // URLs can carry nothing secret here, but keep the line short.
    joined.chars().take(300).collect()
}

fn snippet(raw: &str) -> String {
    let one_line: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = one_line.chars().take(160).collect();
    if one_line.chars().count() > 160 {
        s.push('…');
    }
    s
}

fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interp(code: u16, body: &str) -> Result<Answer<ExecutionResponse>, ApiError> {
        interpret(StatusCode::from_u16(code).unwrap(), None, body.to_string())
    }

    #[test]
    fn error_statuses_map_to_their_kinds() {
        use super::super::error::ErrorKind::*;
        let cases = [
            (401, Unauthorized),
            (403, Forbidden),
            (404, NotFound),
            (422, Validation),
            (429, RateLimited),
            (500, Server),
            (502, Server),
            (409, OtherStatus),
        ];
        for (code, kind) in cases {
            assert_eq!(
                interp(code, r#"{"detail":"x"}"#).unwrap_err().kind(),
                kind,
                "{code}"
            );
        }
    }

    #[test]
    fn a_2xx_that_is_not_json_is_a_bad_body_not_a_success() {
        let e = interp(200, "<html>oops</html>").unwrap_err();
        assert!(matches!(e, ApiError::BadBody { status: 200, .. }));
        let e = interp(200, "").unwrap_err();
        assert!(e.to_string().contains("empty"));
    }

    #[test]
    fn a_json_array_is_never_read_as_an_execution() {
        for body in [
            r#"[null,"COMPLETED"]"#,
            r#"[{"status":"COMPLETED"}]"#,
            r#"{"data":[1]}"#,
        ] {
            match interp(200, body) {
                Err(ApiError::BadBody { .. }) => {}
                Ok(a) => assert_ne!(a.body.status.as_deref(), Some("COMPLETED"), "{body}"),
                Err(e) => panic!("{body}: {e}"),
            }
        }
    }

    #[test]
    fn wrapped_and_bare_bodies_both_parse() {
        let a = interp(200, r#"{"data":{"status":"PENDING"}}"#).unwrap();
        assert_eq!(a.body.status.as_deref(), Some("PENDING"));
        let a = interp(200, r#"{"status":"FAILED"}"#).unwrap();
        assert_eq!(a.body.status.as_deref(), Some("FAILED"));
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(urlencode("a/b c"), "a%2Fb%20c");
        assert_eq!(urlencode("550e8400-e29b"), "550e8400-e29b");
    }
}
