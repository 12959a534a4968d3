//! The auth request: a `POST` built with `gloo-net` and sent through the page's `fetch` (which the
//! page may have wrapped: `guarded.rs`), ended by an `AbortController` when it takes longer than
//! the timeout (or when the lifecycle no longer wants it), with `Retry-After` read from the
//! answer's headers.
//!
//! It never follows a redirect (SPEC §3): the secret in its body goes to the API origin only, and
//! no other origin's answer can become the visitor. With `redirect: "manual"` the browser stops
//! at a 3xx and hands back an opaque-redirect answer (status 0, nothing readable); that, or an
//! answer that was redirected all the same (a page's `fetch` wrapper that rebuilt the request),
//! is an `http` error, and nothing of it is read.
//!
//! The timeout is the shell's own: when it passes, the lifecycle hears `timeout` whether or not
//! the page's `fetch` ever settles (a wrapper may drop the call, or a page may have made every
//! object a thenable that never resolves), so that no request can keep the visitor waiting.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Request;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, AbortSignal, RequestRedirect};

use super::guarded;
use crate::core::error::{self, Error};
use crate::core::lifecycle::Response;

/// POSTs `body` (JSON) to `url`; `done` gets, once, the answer (status, body, `Retry-After`) or
/// the failure: `timeout` when `timeout_ms` passed first (the request and the body's download
/// included), `http` for a redirect, `network` for anything else. The controller ends the request (`None` when the
/// browser cannot make one: the timeout still ends the wait).
pub fn post(url: String, body: String, timeout_ms: u32, done: impl FnOnce(Result<Response, Error>) + 'static) -> Option<AbortController> {
    let done = Rc::new(RefCell::new(Some(done)));
    let controller = AbortController::new().ok();
    let signal = controller.as_ref().map(AbortController::signal);
    let timer = {
        let (controller, done) = (controller.clone(), done.clone());
        super::timeout(timeout_ms, Box::new(move || {
            if let Some(controller) = controller {
                controller.abort();
            }
            finish(&done, Err(error::timeout()));
        }))
    };
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = send(&url, body, signal.as_ref()).await;
        drop(timer);
        finish(&done, outcome.unwrap_or_else(|| Err(error::network())));
    });
    controller
}

/// Hands `outcome` to `done` unless it has had one already (not borrowed while it runs).
fn finish(done: &RefCell<Option<impl FnOnce(Result<Response, Error>)>>, outcome: Result<Response, Error>) {
    let done = done.borrow_mut().take();
    if let Some(done) = done {
        done(outcome);
    }
}

/// The answer, or the redirect it was (`None`: the request failed on the way).
async fn send(url: &str, body: String, signal: Option<&AbortSignal>) -> Option<Result<Response, Error>> {
    let request = Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .redirect(RequestRedirect::Manual)
        .abort_signal(signal)
        .body(body)
        .ok()?;
    let request: web_sys::Request = request.into();
    let answer = guarded::fetch(&request, &JsValue::UNDEFINED).await.ok()?;
    // Status 0: the opaque-redirect answer, the only one without a status that a CORS request
    // resolves with (its `type`, "opaqueredirect", says the same, at 0.6 KB more of bindings).
    if answer.status() == 0 || answer.redirected() {
        return Some(Err(error::redirected()));
    }
    let retry_after = answer.headers().get("Retry-After").ok().flatten();
    let body = guarded::text(&answer).await?;
    Some(Ok(Response { status: answer.status(), body, retry_after }))
}
