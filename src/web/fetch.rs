//! `fetch` with a timeout, through the global scope (window or worker alike).

use crate::prelude::*;

use crate::web::timer::Timeout;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use crate::web::task;
use web_sys::{AbortController, Headers, Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
    /// The platform `fetch(input, init)`, for `Visitor.fetch`.
    #[wasm_bindgen(js_name = fetch)]
    pub fn fetch_with_init(input: &str, init: &JsValue) -> Promise;
}

/// What came back: the status and the whole body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
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

/// `POST url` with a JSON body; the answer's body is read in full, within `timeout_ms` in all.
/// Aborting `controller` ends the request early (as `Network`).
pub async fn post_json(url: &str, body: &str, timeout_ms: u32, controller: &AbortController) -> Result<Answer, FetchError> {
    let headers = Headers::new().map_err(|_| FetchError::Network)?;
    headers.set("Content-Type", "application/json").map_err(|_| FetchError::Network)?;
    headers.set("Accept", "application/json").map_err(|_| FetchError::Network)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    send(url, &init, timeout_ms, controller).await
}

async fn send(url: &str, init: &RequestInit, timeout_ms: u32, controller: &AbortController) -> Result<Answer, FetchError> {
    init.set_signal(Some(&controller.signal()));
    let timed_out = alloc::rc::Rc::new(core::cell::Cell::new(false));
    let request = Request::new_with_str_and_init(url, init).map_err(|_| FetchError::Network)?;
    let (abort, flag) = (controller.clone(), timed_out.clone());
    // Dropped on every way out of the request, which cancels it.
    let timeout = Timeout::new(timeout_ms, move || {
        flag.set(true);
        abort.abort();
    });
    let result = receive(&request).await;
    drop(timeout);
    result.map_err(|_| if timed_out.get() { FetchError::Timeout } else { FetchError::Network })
}

async fn receive(request: &Request) -> Result<Answer, JsValue> {
    let response: Response = task::wait(&global_fetch(request)).await?.dyn_into()?;
    let buffer = task::wait(&response.array_buffer()?).await?;
    Ok(Answer {
        status: response.status(),
        body: Uint8Array::new(&buffer).to_vec(),
        retry_after: response.headers().get("Retry-After").ok().flatten(),
    })
}
