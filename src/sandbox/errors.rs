//! The vendor's error bodies, FastAPI style: `{"detail": "text"}` for most errors and
//! `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` for validation (422).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// One FastAPI validation item. `input` and `ctx` are only given where they hold nothing secret.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl Invalid {
    /// An item whose `loc` starts with `body` and goes on with `path`.
    pub fn body(path: &[&str], kind: &str, msg: impl Into<String>) -> Self {
        let mut loc = vec![Value::from("body")];
        loc.extend(path.iter().map(|p| Value::from(*p)));
        Invalid {
            loc,
            msg: msg.into(),
            kind: kind.to_string(),
            input: None,
            ctx: None,
        }
    }

    pub fn missing(path: &[&str]) -> Self {
        Invalid::body(path, "missing", "Field required")
    }

    pub fn with_input(mut self, input: Value) -> Self {
        self.input = Some(input);
        self
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// Every way a sandbox call can be refused, each with the status and body the vendor uses.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 401 without a bearer token.
    NotAuthenticated,
    /// 401 with an unknown or expired token.
    BadToken,
    /// 401 on the token call with wrong client credentials.
    BadClient,
    /// 403 on a wrong merchant passcode.
    BadPasscode,
    /// 404 with its detail text.
    NotFound(&'static str),
    /// 404 for a version segment other than `v1`.
    UnknownVersion(String),
    /// 405 on a known path with the wrong method.
    MethodNotAllowed,
    /// 409 with its detail text.
    Conflict(&'static str),
    /// 413 for a body over the size limit.
    TooLarge,
    /// 422 with its items.
    Invalid(Vec<Invalid>),
    /// 429 with `Retry-After` in seconds.
    TooManyRequests { retry_after_secs: u64 },
    /// 500, as an unhandled error in the vendor's server looks.
    Internal,
}

impl ApiError {
    pub fn invalid(item: Invalid) -> Self {
        ApiError::Invalid(vec![item])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotAuthenticated | ApiError::BadToken | ApiError::BadClient => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::BadPasscode => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::UnknownVersion(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self) -> Value {
        match self {
            ApiError::NotAuthenticated => "Not authenticated".into(),
            ApiError::BadToken => "Could not validate credentials".into(),
            ApiError::BadClient => "Invalid client credentials".into(),
            ApiError::BadPasscode => "Invalid merchant passcode".into(),
            ApiError::NotFound(text) | ApiError::Conflict(text) => (*text).into(),
            ApiError::UnknownVersion(v) => {
                format!("Unknown API version '{v}'; this API serves v1").into()
            }
            ApiError::MethodNotAllowed => "Method Not Allowed".into(),
            ApiError::TooLarge => "Request body too large".into(),
            ApiError::Invalid(items) => serde_json::to_value(items).unwrap_or(Value::Null),
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("Too many requests; retry after {retry_after_secs} seconds").into()
            }
            ApiError::Internal => "Internal Server Error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut headers = HeaderMap::new();
        match &self {
            ApiError::NotAuthenticated | ApiError::BadToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        (status, headers, Json(json!({ "detail": self.detail() }))).into_response()
    }
}

/// A JSON request body read the way FastAPI reads one: a body that is not JSON, or not sent as
/// JSON, is a 422 item on `body`, never axum's plain-text rejection. The bytes are kept so that
/// amounts can be read from their exact JSON text.
pub(crate) struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("").to_ascii_lowercase());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::invalid(Invalid::body(&[], "missing", "Field required"))
            }
        })?;
        check_json_body(content_type.as_deref(), &bytes)?;
        Ok(JsonBody(bytes))
    }
}

/// The pure part of [`JsonBody`]: the body must be sent as JSON and be well-formed JSON.
pub(crate) fn check_json_body(content_type: Option<&str>, bytes: &[u8]) -> Result<(), ApiError> {
    let json_type = match content_type {
        None => true,
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim();
            essence == "application/json" || essence.ends_with("+json")
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(Invalid::missing(&[])));
    }
    if !json_type {
        return Err(ApiError::invalid(Invalid::body(
            &[],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )));
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map(drop)
        .map_err(|e| {
            let mut item = Invalid::body(&[], "json_invalid", "JSON decode error")
                .with_ctx(json!({ "error": e.to_string() }));
            item.loc.push(Value::from(e.column()));
            ApiError::invalid(item)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(err: ApiError) -> Vec<Invalid> {
        match err {
            ApiError::Invalid(items) => items,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn broken_json_is_a_fastapi_json_invalid_item() {
        let err = check_json_body(Some("application/json"), b"{\"a\":").unwrap_err();
        let items = items(err);
        assert_eq!(items[0].kind, "json_invalid");
        assert_eq!(items[0].loc[0], "body");
    }

    #[test]
    fn empty_body_is_a_missing_body_item() {
        let items = items(check_json_body(Some("application/json"), b"  ").unwrap_err());
        assert_eq!(items[0].loc, vec![Value::from("body")]);
        assert_eq!(items[0].kind, "missing");
    }

    #[test]
    fn non_json_content_type_is_refused_and_json_variants_are_taken() {
        let items = items(check_json_body(Some("text/plain"), b"{}").unwrap_err());
        assert_eq!(items[0].kind, "model_attributes_type");
        assert!(check_json_body(Some("application/json; charset=utf-8"), b"{}").is_ok());
        assert!(check_json_body(Some("application/vnd.api+json"), b"{}").is_ok());
        assert!(check_json_body(None, b"{}").is_ok());
    }

    #[test]
    fn error_bodies_carry_fastapi_detail_shapes() {
        let d = ApiError::invalid(Invalid::missing(&["passcode", "device", "client_ip"])).detail();
        assert_eq!(
            d,
            json!([{"loc":["body","passcode","device","client_ip"],"msg":"Field required","type":"missing"}])
        );
        assert_eq!(
            ApiError::BadToken.detail(),
            "Could not validate credentials"
        );
        assert_eq!(
            ApiError::Internal.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
