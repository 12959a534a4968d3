//! The page's calls: each is a `Promise` whose `resolve`/`reject` wait here until the lifecycle
//! settles the call; and the page's own request of `fetch()`, sent with the token.
//!
//! A pending call is always taken out of [`Calls`] before it is settled: settling runs page code
//! (a `then` getter, say), which may call the visitor again.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{Browser, Input};
use crate::core::error::{self, Error};
use crate::core::lifecycle::Reply;
use crate::js::{error::to_js, objects};

/// The request of a `fetch()` call: where, and the page's `init`.
pub struct PageRequest {
    pub url: String,
    pub init: JsValue,
}

pub struct Pending {
    resolve: Function,
    reject: Function,
    request: Option<PageRequest>,
}

impl Pending {
    pub fn resolve(&self, value: &JsValue) {
        // A `then` getter that throws rejects the promise itself: nothing to do here.
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    pub fn reject(&self, error: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, error);
    }
}

#[derive(Default)]
pub struct Calls {
    next: u32,
    pending: Vec<(u32, Pending)>,
    /// After `stop()`, calls reject at once.
    pub stopped: bool,
}

impl Calls {
    /// A new call: its number, and the promise the page gets (`None` after `stop()`).
    pub fn open(&mut self, request: Option<PageRequest>) -> (Option<u32>, Promise) {
        let mut slots = None;
        let promise = Promise::new(&mut |resolve, reject| slots = Some((resolve, reject)));
        let Some((resolve, reject)) = slots else { return (None, promise) };
        if self.stopped {
            let _ = reject.call1(&JsValue::UNDEFINED, &to_js(&error::stopped()));
            return (None, promise);
        }
        self.next = self.next.wrapping_add(1);
        self.pending.push((self.next, Pending { resolve, reject, request }));
        (Some(self.next), promise)
    }

    pub fn take(&mut self, call: u32) -> Option<Pending> {
        let at = self.pending.iter().position(|(id, _)| *id == call)?;
        Some(self.pending.swap_remove(at).1)
    }

    pub fn take_all(&mut self) -> Vec<Pending> {
        self.pending.drain(..).map(|(_, pending)| pending).collect()
    }

    /// The request of `fetch()` call `call`: its URL and `init`.
    fn request(&self, call: u32) -> Option<(String, JsValue)> {
        let (_, pending) = self.pending.iter().find(|(id, _)| *id == call)?;
        pending.request.as_ref().map(|r| (r.url.clone(), r.init.clone()))
    }
}

/// A promise rejected at once with `error` (a call whose arguments were wrong).
pub fn rejected(error: &Error) -> Promise {
    Promise::reject(&to_js(error))
}

/// Settles call `call` as the lifecycle says; `Reply::Send` sends the page's request.
pub fn reply(browser: &Browser, call: u32, outcome: Result<Reply, Error>) {
    let value = match outcome {
        Ok(Reply::Send { token, retried }) => return send(browser, call, &token, retried),
        Ok(Reply::Session(session)) => Ok(objects::session(&session)),
        Ok(Reply::Token(token)) => Ok(JsValue::from(token)),
        Ok(Reply::Done) => Ok(JsValue::UNDEFINED),
        Err(error) => Err(to_js(&error)),
    };
    settle(browser, call, value);
}

pub fn settle(browser: &Browser, call: u32, value: Result<JsValue, JsValue>) {
    let pending = browser.calls.borrow_mut().take(call);
    if let Some(pending) = pending {
        match value {
            Ok(value) => pending.resolve(&value),
            Err(error) => pending.reject(&error),
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.assign(target, source)`: the page's `init` may have getters that throw.
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn assign(target: &Object, source: &JsValue) -> Result<Object, JsValue>;
}

/// Sends the page's request of `fetch()` call `call` with `Authorization: Bearer <token>` added
/// to a copy of its `init`; the response comes back as [`Input::Sent`].
fn send(browser: &Browser, call: u32, token: &str, retried: bool) {
    let Some((url, init)) = browser.calls.borrow().request(call) else { return };
    let prepared = (|| {
        let copy = assign(&Object::new(), &init).map_err(|_| error::invalid_options("fetch(): init could not be read"))?;
        let bad_headers = || error::invalid_options("fetch(): init.headers is not a valid headers value");
        let given = Reflect::get(&copy, &"headers".into()).map_err(|_| bad_headers())?;
        let headers = web_sys::Headers::new_with_str_sequence_sequence(&given).map_err(|_| bad_headers())?;
        headers.set("Authorization", &format!("Bearer {token}")).map_err(|_| bad_headers())?;
        Reflect::set(&copy, &"headers".into(), &headers).map_err(|_| bad_headers())?;
        let window = web_sys::window().ok_or_else(error::network)?;
        Ok(window.fetch_with_str_and_init(&url, copy.unchecked_ref()))
    })();
    let promise = match prepared {
        Ok(promise) => promise,
        Err(error) => return settle(browser, call, Err(to_js(&error))),
    };
    let (browser, token) = (browser.this.clone(), token.to_owned());
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = JsFuture::from(promise).await;
        let Some(browser) = browser.upgrade() else { return };
        match outcome {
            Ok(response) => match response.dyn_into::<web_sys::Response>() {
                Ok(response) => browser.deliver(Input::Sent { call, response, token, retried }),
                Err(_) => settle(&browser, call, Err(to_js(&error::network()))),
            },
            // The caller's own abort stays an AbortError, as with the platform fetch.
            Err(failure) if Reflect::get(&failure, &"name".into()).ok().and_then(|n| n.as_string()).as_deref() == Some("AbortError") => {
                settle(&browser, call, Err(failure))
            }
            Err(_) => settle(&browser, call, Err(to_js(&error::network()))),
        }
    });
}
