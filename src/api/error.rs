//! Typed API errors. Each says what happened and what the operator should do, and tells apart
//! "nothing was sent" from "sent, but we do not know what happened".

use std::time::Duration;

use super::wire::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request never left: connection refused, DNS, TLS handshake, bad URL.
    #[error(
        "could not reach the API ({reason}); nothing was sent. Check the profile's base_url and the network, then try again"
    )]
    NotSent { reason: String },
    /// The request left but no complete answer came back: timeout, reset, cut-off body.
    #[error(
        "the request was sent but no answer arrived ({reason}); the payout may have executed: check its status before trying again"
    )]
    NoAnswer { reason: String },
    #[error(
        "the API refused the credentials (401: {detail}); check client_id and the client secret or token"
    )]
    Unauthorized { detail: String },
    #[error(
        "the API refused this (403: {detail}); nothing executed. Check the merchant passcode and that the merchant is verified"
    )]
    Forbidden { detail: String },
    #[error("not found (404: {detail}); check the ID")]
    NotFound { detail: String },
    #[error(
        "the API rejected the request (422: {detail}); nothing executed. Fix the fields named and try again"
    )]
    Validation {
        detail: String,
        items: Vec<FieldError>,
    },
    #[error("the API is limiting requests (429: {detail}); nothing executed. Wait{} and try again", retry_hint(.retry_after))]
    RateLimited {
        detail: String,
        retry_after: Option<Duration>,
    },
    #[error(
        "the API failed ({status}: {detail}); the payout may or may not have executed: check its status before trying again"
    )]
    Server {
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    #[error("the API answered {status} ({detail}); nothing executed")]
    OtherStatus { status: u16, detail: String },
    /// A 2xx whose body is not what the API documents.
    #[error(
        "the API answered {status} but the body is not what was expected ({reason}); check the status before trying again"
    )]
    BadBody {
        status: u16,
        reason: String,
        snippet: String,
    },
}

fn retry_hint(d: &Option<Duration>) -> String {
    match d {
        Some(d) => format!(" {} s", d.as_secs().max(1)),
        None => String::new(),
    }
}

/// The kind of an error, for tests, exit codes and the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotSent,
    NoAnswer,
    Unauthorized,
    Forbidden,
    NotFound,
    Validation,
    RateLimited,
    Server,
    OtherStatus,
    BadBody,
}

impl ApiError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::NotSent { .. } => ErrorKind::NotSent,
            ApiError::NoAnswer { .. } => ErrorKind::NoAnswer,
            ApiError::Unauthorized { .. } => ErrorKind::Unauthorized,
            ApiError::Forbidden { .. } => ErrorKind::Forbidden,
            ApiError::NotFound { .. } => ErrorKind::NotFound,
            ApiError::Validation { .. } => ErrorKind::Validation,
            ApiError::RateLimited { .. } => ErrorKind::RateLimited,
            ApiError::Server { .. } => ErrorKind::Server,
            ApiError::OtherStatus { .. } => ErrorKind::OtherStatus,
            ApiError::BadBody { .. } => ErrorKind::BadBody,
        }
    }

    /// The HTTP status, when an answer arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ApiError::NotSent { .. } | ApiError::NoAnswer { .. } => None,
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Validation { .. } => Some(422),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Server { status, .. }
            | ApiError::OtherStatus { status, .. }
            | ApiError::BadBody { status, .. } => Some(*status),
        }
    }

    /// True when the API certainly did not execute anything for this request.
    pub fn nothing_executed(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::NotSent
                | ErrorKind::Unauthorized
                | ErrorKind::Forbidden
                | ErrorKind::NotFound
                | ErrorKind::Validation
                | ErrorKind::RateLimited
                | ErrorKind::OtherStatus
        )
    }

    /// How long the API asked us to wait before the same request may be sent again. Only set
    /// where the API said nothing executed (429) or that it is unavailable (503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after, .. } => *retry_after,
            ApiError::Server {
                status: 503,
                retry_after,
                ..
            } => *retry_after,
            _ => None,
        }
    }

    /// The 422 items, per field.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Validation { items, .. } => items,
            _ => &[],
        }
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn ambiguous_failures_are_not_called_safe() {
        let lost = ApiError::NoAnswer {
            reason: "timeout".into(),
        };
        assert!(!lost.nothing_executed());
        assert!(lost.to_string().contains("check its status"));
        let s500 = ApiError::Server {
            status: 500,
            detail: "x".into(),
            retry_after: None,
        };
        assert!(!s500.nothing_executed());
        let body = ApiError::BadBody {
            status: 200,
            reason: "x".into(),
            snippet: String::new(),
        };
        assert!(!body.nothing_executed());
        let refused = ApiError::NotSent {
            reason: "connection refused".into(),
        };
        assert!(refused.nothing_executed());
        assert!(refused.to_string().contains("nothing was sent"));
    }
}
