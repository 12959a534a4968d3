//! `fetch` with a timeout, through the global scope (window or worker alike).

use crate::prelude::*;

use alloc::rc::Rc;
use core::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::sys::{self, AbortController, Response};
use crate::web::task;
use crate::web::timer::Timeout;

/// What came back: the status and the whole body.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

/// Why nothing usable came back.
#[derive(Debug)]
pub enum FetchError {
    /// The request could not be made or the connection broke (CORS, offline, dropped).
    Network,
    /// No full answer within the timeout.
    Timeout,
}

const INIT: &str = r#"{"method":"POST","headers":{"Content-Type":"application/json","Accept":"application/json"}}"#;

/// `POST url` with a JSON body; the answer's body is read in full, within `timeout_ms` in all.
/// Aborting `controller` ends the request early (as `Network`); without one (the browser could
/// not make it), nothing is sent.
pub async fn post_json(url: String, body: String, timeout_ms: u32, controller: Option<AbortController>) -> Result<Answer, FetchError> {
    let controller = controller.ok_or(FetchError::Network)?;
    // The constant part in one call (fewer bytes than building it property by property).
    let init = sys::parse(INIT).map_err(|_| FetchError::Network)?;
    // Setting properties on a fresh plain object cannot fail.
    let _ = sys::set(&init, &"body".into(), &JsValue::from_str(&body));
    let _ = sys::set(&init, &"signal".into(), &controller.signal());
    let timed_out = Rc::new(Cell::new(false));
    let (abort, flag) = (controller.clone(), timed_out.clone());
    // Dropped on every way out of the request, which cancels it.
    let timeout = Timeout::new(timeout_ms, move || {
        flag.set(true);
        abort.abort();
    });
    let result = receive(&url, &init).await;
    drop(timeout);
    result.map_err(|_| if timed_out.get() { FetchError::Timeout } else { FetchError::Network })
}

async fn receive(url: &str, init: &JsValue) -> Result<Answer, JsValue> {
    let response: Response = task::wait(&sys::fetch(url, init)).await?.unchecked_into();
    let body = task::wait(&response.text()?).await?.as_string().unwrap_or_default();
    Ok(Answer { status: response.status(), body, retry_after: response.headers().get("Retry-After") })
}
