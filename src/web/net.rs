//! The auth request: a `POST` through `gloo-net`, ended by an `AbortController` when it takes
//! longer than the timeout (or when the lifecycle no longer wants it), with `Retry-After` read
//! from the answer's headers.

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::Request;
use gloo_timers::callback::Timeout;
use web_sys::{AbortController, AbortSignal};

use crate::core::error::{self, Error};
use crate::core::lifecycle::Response;

/// POSTs `body` (JSON) to `url`; `done` gets the answer (status, body, `Retry-After`) or the
/// failure: `timeout` when `timeout_ms` passed first (the request and the body's download
/// included), `network` for anything else. The controller ends the request; `None` when the
/// browser cannot make one (then `done` has already been told `network`, asynchronously).
pub fn post(url: String, body: String, timeout_ms: u32, done: impl FnOnce(Result<Response, Error>) + 'static) -> Option<AbortController> {
    let controller = AbortController::new().ok();
    let signal = controller.as_ref().map(AbortController::signal);
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Timeout::new(timeout_ms, move || {
            timed_out.set(true);
            if let Some(controller) = controller {
                controller.abort();
            }
        })
    };
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = send(&url, body, signal.as_ref()).await;
        drop(timer);
        done(outcome.ok_or_else(|| if timed_out.get() { error::timeout() } else { error::network() }));
    });
    controller
}

async fn send(url: &str, body: String, signal: Option<&AbortSignal>) -> Option<Response> {
    let request = Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .abort_signal(signal)
        .body(body)
        .ok()?;
    let answer = request.send().await.ok()?;
    let retry_after = answer.headers().get("Retry-After");
    let body = answer.text().await.ok()?;
    Some(Response { status: answer.status(), body, retry_after })
}
