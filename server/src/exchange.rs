//! One request's way through an injected fault and into the log: shared by the auth endpoint and
//! the Bearer endpoints.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::Notify;

use crate::faults::{self, Fault, Scope};
use crate::state::{AppState, LogEntry};

/// Put into every request by the accept loop: notifying it closes the request's connection
/// without an answer (the `drop` fault).
#[derive(Clone)]
pub struct ConnectionKill(pub Arc<Notify>);

/// The `Host` of a request, for URLs that point back at this server (pagination links,
/// `socket_url`).
pub fn host(headers: &axum::http::HeaderMap) -> &str {
    headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost")
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

/// A JSON error answer `{"detail": "..."}`, the shape of the real service's errors.
pub fn error(status: StatusCode, detail: &str) -> Response {
    json(status, &serde_json::json!({ "detail": detail }))
}

/// A request in progress: its log entry, and the fault it drew.
pub struct Exchange {
    state: AppState,
    org: Option<String>,
    pub entry: LogEntry,
    fault: Option<Fault>,
}

/// What the fault decided before the request is handled.
pub enum Before {
    /// Handle the request; rewrite its answer with [`Exchange::finish`].
    Handle(Box<Exchange>),
    /// The fault answered (or dropped the connection): send this.
    Done(Response),
}

impl Exchange {
    /// Starts an exchange: counts the request for `org` (if known) and draws its fault.
    pub fn start(state: &AppState, org: Option<&str>, scope: Scope, method: &str, path: &str) -> Self {
        let fault = org.and_then(|org| {
            let mut inner = state.lock();
            let o = inner.org(org);
            match scope {
                Scope::Api => o.api_requests += 1,
                _ => o.auth_requests += 1,
            }
            faults::take(&mut o.faults, scope)
        });
        let entry = LogEntry {
            at_ms: state.started.elapsed().as_millis() as u64,
            kind: if scope == Scope::Api { "api" } else { "auth" },
            method: method.to_owned(),
            path: path.to_owned(),
            status: None,
            secret_sent: false,
            secret_known: false,
            visitor_id: None,
            visitor_global_id: None,
            fault: fault.as_ref().map(Fault::describe),
        };
        Self { state: state.clone(), org: org.map(str::to_owned), entry, fault }
    }

    /// Applies the fault's delay, drop, status or body. A dropped connection never returns.
    pub async fn before(mut self, kill: Option<&ConnectionKill>) -> Before {
        let Some(fault) = self.fault.clone() else { return Before::Handle(Box::new(self)) };
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if fault.drop {
            self.record(None);
            if let Some(kill) = kill {
                kill.0.notify_one();
                std::future::pending::<()>().await;
            }
            // Without a connection handle (not served by `serve`), a 502 is the nearest thing.
            return Before::Done(error(StatusCode::BAD_GATEWAY, "connection dropped"));
        }
        if fault.status.is_none() && fault.body.is_none() {
            return Before::Handle(Box::new(self));
        }
        let status = StatusCode::from_u16(fault.status.unwrap_or(200)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = fault.body.clone().unwrap_or_else(|| r#"{"detail":"injected fault"}"#.to_owned());
        let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        let retry_after = match (&fault.retry_after, fault.retry_after_date_in) {
            (Some(text), _) => Some(text.clone()),
            (None, Some(secs)) => Some(httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))),
            (None, None) => None,
        };
        if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Some(value) = fault.redirect.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        self.record(Some(status.as_u16()));
        Before::Done(response)
    }

    /// Sends the handler's answer, rewritten by the fault if it asks for that, and logs it.
    pub fn finish(mut self, status: StatusCode, mut answer: serde_json::Value) -> Response {
        let fault = self.fault.take();
        if let Some(fault) = &fault {
            fault.rewrite(&mut answer);
        }
        self.record(Some(status.as_u16()));
        if fault.is_some_and(|f| f.partial) {
            return partial(status, Bytes::from(answer.to_string()));
        }
        json(status, &answer)
    }

    /// An answer that is not rewritten (errors decided by the handler).
    pub fn reply(mut self, response: Response) -> Response {
        self.record(Some(response.status().as_u16()));
        response
    }

    fn record(&mut self, status: Option<u16>) {
        self.entry.status = status;
        if let Some(org) = &self.org {
            let mut inner = self.state.lock();
            let log = &mut inner.org(org).log;
            log.push(self.entry.clone());
            // A bound, so that a long soak test does not grow memory without end.
            if log.len() > 10_000 {
                log.drain(..1_000);
            }
        }
    }
}

/// Headers announcing the whole body, then half of it, then the connection breaks.
fn partial(status: StatusCode, body: Bytes) -> Response {
    let full = body.len();
    let half = body.slice(..full / 2);
    // The pause lets the first half leave before the error closes the connection.
    let chunks = futures_util::stream::unfold(Some(half), |half| async move {
        match half {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let cut: Result<Bytes, std::io::Error> = Err(std::io::Error::other("connection cut by an injected fault"));
                Some((cut, None))
            }
        }
    });
    let mut response = Response::new(Body::from_stream(chunks));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    response
}
