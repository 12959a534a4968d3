//! The calls made on a visitor (from the Rust API or the JS class): each waits here, with what
//! settles it, until the lifecycle answers; and the caller's own request, sent with the token.
//!
//! The shell knows nothing of promises or futures: each call brings a [`Settle`] callback, which
//! the JS class makes from a `Promise`'s `resolve`/`reject` and the Rust API from a oneshot
//! channel. A pending call is always taken out of [`Calls`] before it is settled: settling may run
//! the caller's code (a `then` getter, say), which may call the visitor again.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::{guarded, Browser, Input};
use crate::core::error::{self, Error};
use crate::core::lifecycle::Reply;
use crate::core::session::Session;

/// The caller's own request, to be sent with the token once the lifecycle has one.
#[derive(Clone)]
pub enum Outgoing {
    /// `fetch(input, init)` of the JS class (feature `js`): to exactly `url` (the URL whose origin was checked),
    /// with the copy of the page's `init` made when the call was ([`page_init`]); `signal` is
    /// `init.signal`, read then too.
    #[cfg_attr(not(feature = "js"), allow(dead_code))]
    Page { url: String, init: PageInit },
    /// A request of the Rust API (a `gloo_net` `Request`), its origin checked: each send is a
    /// clone of it (a body can be read once), with the token added; `signal` is its signal.
    Request { request: web_sys::Request, signal: Option<AbortSignal> },
}

impl Outgoing {
    /// A request of the Rust API, with its signal read through `Reflect` (a getter the page
    /// replaced may throw: that must not unwind through the shell).
    pub fn request(request: web_sys::Request) -> Self {
        let signal = Reflect::get(&request, &"signal".into()).ok().and_then(|signal| signal.dyn_into().ok());
        Outgoing::Request { request, signal }
    }

    /// The signal that aborts the request.
    fn signal(&self) -> Option<AbortSignal> {
        match self {
            Outgoing::Page { init: PageInit { signal, .. }, .. } | Outgoing::Request { signal, .. } => signal.clone(),
        }
    }
}

/// How a call ended well: what the lifecycle replied, or the response to the caller's request.
pub enum Outcome {
    Session(Session),
    Token(String),
    Done,
    Response(web_sys::Response),
}

/// How a call ended badly: an error, or the caller's signal aborted it (with the signal's
/// `reason`, which the platform's `fetch` rejects with).
pub enum Failure {
    Error(Error),
    Aborted(#[cfg_attr(not(feature = "js"), allow(dead_code))] JsValue),
}

/// What a caller gets when its call ends, called once.
pub type Settle = Box<dyn FnOnce(Result<Outcome, Failure>)>;

pub struct Pending {
    settle: Settle,
    request: Option<Outgoing>,
    /// Listens for the caller's abort while the call is pending; removed with the call.
    on_abort: Option<Closure<dyn FnMut()>>,
}

impl Pending {
    /// Ends the call (consuming it: a call ends once).
    pub fn settle(mut self, outcome: Result<Outcome, Failure>) {
        let settle = std::mem::replace(&mut self.settle, Box::new(|_| {}));
        drop(self);
        settle(outcome);
    }

    fn abort_signal(&self) -> Option<AbortSignal> {
        self.request.as_ref().and_then(Outgoing::signal)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (Some(listener), Some(signal)) = (&self.on_abort, self.abort_signal()) {
            let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

#[derive(Default)]
pub struct Calls {
    next: u32,
    pending: Vec<(u32, Pending)>,
    /// After `stop()`, calls end at once with `stopped`.
    pub stopped: bool,
}

impl Calls {
    /// A new call's number; `None` after `stop()`, when `settle` has been told `stopped` already.
    pub fn open(&mut self, request: Option<Outgoing>, settle: Settle) -> Option<u32> {
        if self.stopped {
            settle(Err(Failure::Error(error::stopped())));
            return None;
        }
        self.next = self.next.wrapping_add(1);
        self.pending.push((self.next, Pending { settle, request, on_abort: None }));
        Some(self.next)
    }

    pub fn take(&mut self, call: u32) -> Option<Pending> {
        let at = self.pending.iter().position(|(id, _)| *id == call)?;
        Some(self.pending.swap_remove(at).1)
    }

    pub fn take_all(&mut self) -> Vec<Pending> {
        self.pending.drain(..).map(|(_, pending)| pending).collect()
    }

    fn get(&self, call: u32) -> Option<&Pending> {
        self.pending.iter().find(|(id, _)| *id == call).map(|(_, pending)| pending)
    }

    fn get_mut(&mut self, call: u32) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|(id, _)| *id == call).map(|(_, pending)| pending)
    }
}

/// Settles call `call` as the lifecycle says; `Reply::Send` sends the caller's request.
pub fn reply(browser: &Browser, call: u32, outcome: Result<Reply, Error>) {
    let outcome = match outcome {
        Ok(Reply::Send { token, retried }) => return send(browser, call, &token, retried),
        Ok(Reply::Session(session)) => Ok(Outcome::Session(session)),
        Ok(Reply::Token(token)) => Ok(Outcome::Token(token)),
        Ok(Reply::Done) => Ok(Outcome::Done),
        Err(error) => Err(Failure::Error(error)),
    };
    settle(browser, call, outcome);
}

pub fn settle(browser: &Browser, call: u32, outcome: Result<Outcome, Failure>) {
    let pending = browser.calls.borrow_mut().take(call);
    if let Some(pending) = pending {
        pending.settle(outcome);
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Object.assign(target, source)`: the page's `init` may have getters that throw.
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn assign(target: &Object, source: &JsValue) -> Result<Object, JsValue>;
}

/// What the platform's `fetch` rejects with when its signal is aborted: the signal's `reason`
/// (an `AbortError` `DOMException` unless the caller gave another); `None` when not aborted.
pub fn abort_reason(signal: Option<&AbortSignal>) -> Option<JsValue> {
    signal.filter(|signal| signal.aborted()).map(AbortSignal::reason)
}

/// Ends call `call` when its caller aborts the request's signal: at once, with the signal's
/// reason, also while the call waits for a token (the lifecycle stops waiting for it:
/// [`Input::Abandon`]).
pub fn watch_abort(browser: &Browser, call: u32) {
    let signal = browser.calls.borrow().get(call).and_then(Pending::abort_signal);
    let Some(signal) = signal else { return };
    let this = browser.this.clone();
    let listener = Closure::<dyn FnMut()>::new(move || {
        let Some(browser) = this.upgrade() else { return };
        let pending = browser.calls.borrow_mut().take(call);
        if let Some(pending) = pending {
            let reason = abort_reason(pending.abort_signal().as_ref()).unwrap_or(JsValue::UNDEFINED);
            pending.settle(Err(Failure::Aborted(reason)));
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

/// The page's `init` of `fetch(input, init)`, as read once, when the call was made (its getters
/// ran then, not later): a copy of its own members, with its headers as a `Headers` (which each
/// send gives the token) and the signal it had then.
#[derive(Clone)]
pub struct PageInit {
    init: Object,
    headers: web_sys::Headers,
    pub signal: Option<AbortSignal>,
}

/// Reads the page's `init` (see [`PageInit`]): `invalid_options` when it is not an object (nor
/// left out), cannot be read, has a signal that is no `AbortSignal`, or brings its own
/// `Authorization` (the visitor's token is the one sent); nothing is sent then.
#[cfg(feature = "js")]
pub fn page_init(init: &JsValue) -> Result<PageInit, Error> {
    read_page_init(init).ok_or_else(|| error::invalid_options("fetch(input, init): init must be a readable object, its signal an AbortSignal, its headers valid and without Authorization (the visitor sends its token)"))
}

#[cfg(feature = "js")]
fn read_page_init(given: &JsValue) -> Option<PageInit> {
    if !(given.is_undefined() || given.is_null() || given.is_object()) {
        return None;
    }
    let init = assign(&Object::new(), given).ok()?;
    // From the copy, whose members are plain values now: no page getter runs again.
    let signal = Reflect::get(&init, &"signal".into()).ok()?;
    let signal = if signal.is_undefined() || signal.is_null() { None } else { Some(signal.dyn_into::<AbortSignal>().ok()?) };
    let headers = web_sys::Headers::new_with_str_sequence_sequence(&Reflect::get(&init, &"headers".into()).ok()?).ok()?;
    if headers.has("Authorization").ok()? {
        return None;
    }
    Reflect::set(&init, &"headers".into(), &headers).ok()?;
    Reflect::set(&init, &"signal".into(), signal.as_ref().map_or(&JsValue::UNDEFINED, |s| s.as_ref())).ok()?;
    Some(PageInit { init, headers, signal })
}

/// What one send of call `call` passes to `fetch`: its input and init, with `Authorization:
/// Bearer <token>` added; and the signal that aborts it.
fn prepare(request: &Outgoing, token: &str) -> Result<(JsValue, JsValue, Option<AbortSignal>), Error> {
    let (input, init, headers, signal) = match request {
        Outgoing::Page { url, init } => (JsValue::from_str(url), init.init.clone().into(), Some(init.headers.clone()), init.signal.clone()),
        Outgoing::Request { request, signal } => {
            let copy = request.clone().map_err(|_| error::invalid_options("send(): the request's body was read already; it cannot be sent"))?;
            let headers = Reflect::get(&copy, &"headers".into()).ok().and_then(|headers| headers.dyn_into::<web_sys::Headers>().ok());
            (copy.into(), JsValue::UNDEFINED, headers, signal.clone())
        }
    };
    headers
        .and_then(|headers| headers.set("Authorization", &format!("Bearer {token}")).ok())
        .ok_or_else(|| error::invalid_options("the request's headers cannot take the token (a no-cors request?)"))?;
    Ok((input, init, signal))
}

/// Sends the request of call `call` with the token, to exactly the URL whose origin was
/// checked; the response comes back as [`Input::Sent`]. A response that has not come within
/// `requestTimeoutMs` (the page's `fetch` may never settle) ends the call with `timeout`; one
/// that comes after that, or after the caller aborted, is not wanted.
fn send(browser: &Browser, call: u32, token: &str, retried: bool) {
    // Taken out of `Calls` first: preparing runs page code (getters of `init`), which may call
    // the visitor again.
    let request = browser.calls.borrow().get(call).and_then(|pending| pending.request.clone());
    let Some(request) = request else { return };
    let prepared = prepare(&request, token);
    let (input, init, signal) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return settle(browser, call, Err(Failure::Error(error))),
    };
    let timeout_ms = browser.options().request_timeout_ms;
    let timer = {
        let browser = browser.this.clone();
        super::timeout(timeout_ms, Box::new(move || {
            if let Some(browser) = browser.upgrade() {
                settle(&browser, call, Err(Failure::Error(error::timeout())));
            }
        }))
    };
    let (browser, token) = (browser.this.clone(), token.to_owned());
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = guarded::fetch(&input, &init).await;
        drop(timer);
        let Some(browser) = browser.upgrade() else { return };
        if browser.calls.borrow().get(call).is_none() {
            return;
        }
        match outcome {
            Ok(response) => browser.deliver(Input::Sent { call, response, token, retried }),
            // An abort rejects as the platform's fetch does: with the signal's reason.
            Err(_) => settle(&browser, call, Err(abort_reason(signal.as_ref()).map_or(Failure::Error(error::network()), Failure::Aborted))),
        }
    });
}
