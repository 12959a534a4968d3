//! The errors of SPEC §1 (`VisitorError`): a code, a readable message and, for HTTP errors, the
//! status. Every message is written here, from values that are never tokens or secrets; the
//! browser shell only turns an `Error` into a JS `Error` object.

use crate::prelude::*;

use super::text;
use super::wire::InvalidAnswer;

#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// One of SPEC's codes: `invalid_options`, `network`, `timeout`, `http`, `invalid_response`,
    /// `secret_rejected`, `origin_not_allowed`, `stopped`.
    pub code: &'static str,
    pub message: String,
    pub status: Option<u16>,
}

fn error(code: &'static str, message: &str) -> Error {
    Error { code, message: message.to_owned(), status: None }
}

pub fn invalid_options(message: &str) -> Error {
    error("invalid_options", message)
}

/// The request could not be made or the connection broke (CORS, offline, dropped).
pub fn network() -> Error {
    error("network", "the request failed: the network or the server did not answer")
}

/// No full answer within the timeout.
pub fn timeout() -> Error {
    error("timeout", "the request timed out")
}

pub fn http(status: u16) -> Error {
    Error {
        status: Some(status),
        ..error("http", &text::cat(&["the server answered with HTTP status ", &text::int(i64::from(status))]))
    }
}

pub fn invalid_response(reason: &InvalidAnswer) -> Error {
    error("invalid_response", &reason.message())
}

pub fn stopped(why: &str) -> Error {
    error("stopped", why)
}

/// Why a call was cut short by `stop()` or by `forget()` (here or in another tab).
pub fn stopped_by(stop: bool) -> Error {
    stopped(if stop { STOPPED } else { "forget() was called while this request was pending" })
}

pub const STOPPED: &str = "the visitor was stopped";

pub fn origin_not_allowed() -> Error {
    error("origin_not_allowed", "fetch() sends the token only to apiBaseUrl's origin and allowedOrigins; nothing was sent")
}

pub fn secret_rejected() -> Error {
    error(
        "secret_rejected",
        "the server refused the stored visitor secret; it was kept, since onSecretRejected is \"error\"",
    )
}
