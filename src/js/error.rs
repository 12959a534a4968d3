//! `VisitorError`: an `Error` with `name === "VisitorError"`, a `code` and, for HTTP errors, a
//! `status`. Every message is written here, from values that are never tokens or secrets.

use wasm_bindgen::JsValue;

use crate::core::text;
use crate::core::wire::InvalidAnswer;
use crate::web::fetch::FetchError;
use crate::web::sys;

pub fn visitor_error(code: &str, message: &str, status: Option<u16>) -> JsValue {
    let error = sys::error(message);
    // Setting a property on a fresh Error cannot fail.
    let _ = sys::set(&error, &"name".into(), &"VisitorError".into());
    let _ = sys::set(&error, &"code".into(), &code.into());
    if let Some(status) = status {
        let _ = sys::set(&error, &"status".into(), &status.into());
    }
    error
}

pub fn invalid_options(message: &str) -> JsValue {
    visitor_error("invalid_options", message, None)
}

pub fn from_fetch(error: FetchError) -> JsValue {
    match error {
        FetchError::Network => visitor_error("network", "the request failed: the network or the server did not answer", None),
        FetchError::Timeout => visitor_error("timeout", "the request timed out", None),
    }
}

pub fn http(status: u16) -> JsValue {
    visitor_error("http", &text::cat(&["the server answered with HTTP status ", &text::int(i64::from(status))]), Some(status))
}

pub fn invalid_response(reason: &InvalidAnswer) -> JsValue {
    visitor_error("invalid_response", &reason.message(), None)
}

pub fn stopped(why: &str) -> JsValue {
    visitor_error("stopped", why, None)
}

pub fn origin_not_allowed() -> JsValue {
    visitor_error(
        "origin_not_allowed",
        "fetch() sends the token only to apiBaseUrl's origin and allowedOrigins; nothing was sent",
        None,
    )
}

pub fn secret_rejected() -> JsValue {
    visitor_error(
        "secret_rejected",
        "the server refused the stored visitor secret; it was kept, since onSecretRejected is \"error\"",
        None,
    )
}
