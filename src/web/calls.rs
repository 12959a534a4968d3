//! The page's calls: each is a `Promise` whose `resolve`/`reject` wait here until the lifecycle
//! settles the call; and the page's own request of `fetch()`, sent with the token.
//!
//! A pending call is always taken out of [`Calls`] before it is settled: settling runs page code
//! (a `then` getter, say), which may call the visitor again.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::{guarded, Browser, Input};
use crate::core::error::{self, Error};
use crate::core::lifecycle::Reply;
use crate::js::error::to_js;

/// The request of a `fetch()` call: where (the URL its origin check passed), the page's `init`,
/// and `init.signal`, if the page gave one.
pub struct PageRequest {
    pub url: String,
    pub init: JsValue,
    pub signal: Option<AbortSignal>,
}

pub struct Pending {
    resolve: Function,
    reject: Function,
    request: Option<PageRequest>,
    /// Listens for the page's abort while the call is pending; removed with the call.
    on_abort: Option<Closure<dyn FnMut()>>,
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

impl Drop for Pending {
    fn drop(&mut self) {
        if let (Some(listener), Some(signal)) = (&self.on_abort, self.request.as_ref().and_then(|r| r.signal.as_ref())) {
            let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
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
        self.pending.push((self.next, Pending { resolve, reject, request, on_abort: None }));
        (Some(self.next), promise)
    }

    pub fn take(&mut self, call: u32) -> Option<Pending> {
        let at = self.pending.iter().position(|(id, _)| *id == call)?;
        Some(self.pending.swap_remove(at).1)
    }

    pub fn take_all(&mut self) -> Vec<Pending> {
        self.pending.drain(..).map(|(_, pending)| pending).collect()
    }

    /// The request of `fetch()` call `call`: its URL, `init` and signal.
    fn request(&self, call: u32) -> Option<(String, JsValue, Option<AbortSignal>)> {
        let (_, pending) = self.pending.iter().find(|(id, _)| *id == call)?;
        pending.request.as_ref().map(|r| (r.url.clone(), r.init.clone(), r.signal.clone()))
    }

    fn get_mut(&mut self, call: u32) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|(id, _)| *id == call).map(|(_, pending)| pending)
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
        Ok(Reply::Session(session)) => Ok(browser.session_object(&session)),
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

/// What the platform's `fetch` rejects with when its signal is aborted: the signal's `reason`
/// (an `AbortError` `DOMException` unless the page gave another); `None` when not aborted.
pub fn abort_reason(signal: Option<&AbortSignal>) -> Option<JsValue> {
    signal.filter(|signal| signal.aborted()).map(AbortSignal::reason)
}

/// Ends `fetch()` call `call` when the page aborts its signal: at once, with the signal's reason,
/// also while the call waits for a token (the lifecycle stops waiting for it:
/// [`Input::Abandon`]).
pub fn watch_abort(browser: &Browser, call: u32) {
    let signal = browser.calls.borrow().request(call).and_then(|(_, _, signal)| signal);
    let Some(signal) = signal else { return };
    let this = browser.this.clone();
    let listener = Closure::<dyn FnMut()>::new(move || {
        let Some(browser) = this.upgrade() else { return };
        let pending = browser.calls.borrow_mut().take(call);
        if let Some(pending) = pending {
            let reason = abort_reason(pending.request.as_ref().and_then(|r| r.signal.as_ref())).unwrap_or(JsValue::UNDEFINED);
            pending.reject(&reason);
            drop(pending);
            browser.deliver(Input::Abandon { call });
        }
    });
    // Not borrowed here: the page may have wrapped `addEventListener`.
    if signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref()).is_ok() {
        match browser.calls.borrow_mut().get_mut(call) {
            Some(pending) => pending.on_abort = Some(listener),
            None => {
                let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            }
        }
    }
}

/// Sends the page's request of `fetch()` call `call` with `Authorization: Bearer <token>` added
/// to a copy of its `init`, to exactly the URL whose origin was checked; the response comes back
/// as [`Input::Sent`].
fn send(browser: &Browser, call: u32, token: &str, retried: bool) {
    let Some((url, init, signal)) = browser.calls.borrow().request(call) else { return };
    let prepared = (|| {
        let copy = assign(&Object::new(), &init).map_err(|_| error::invalid_options("fetch(): init could not be read"))?;
        let bad_headers = || error::invalid_options("fetch(): init.headers is not a valid headers value");
        let given = Reflect::get(&copy, &"headers".into()).map_err(|_| bad_headers())?;
        let headers = web_sys::Headers::new_with_str_sequence_sequence(&given).map_err(|_| bad_headers())?;
        headers.set("Authorization", &format!("Bearer {token}")).map_err(|_| bad_headers())?;
        Reflect::set(&copy, &"headers".into(), &headers).map_err(|_| bad_headers())?;
        // The signal read when the call was made, whatever `init` says now.
        Reflect::set(&copy, &"signal".into(), signal.as_ref().map_or(&JsValue::UNDEFINED, |s| s.as_ref())).map_err(|_| error::invalid_options("fetch(): init could not be read"))?;
        Ok(copy)
    })();
    let copy = match prepared {
        Ok(copy) => copy,
        Err(error) => return settle(browser, call, Err(to_js(&error))),
    };
    let (browser, token) = (browser.this.clone(), token.to_owned());
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = guarded::fetch(&JsValue::from_str(&url), &copy).await;
        let Some(browser) = browser.upgrade() else { return };
        match outcome {
            Ok(response) => browser.deliver(Input::Sent { call, response, token, retried }),
            // The page's own abort rejects as the platform's fetch does: with the signal's reason.
            Err(_) => settle(&browser, call, Err(abort_reason(signal.as_ref()).unwrap_or_else(|| to_js(&error::network())))),
        }
    });
}
