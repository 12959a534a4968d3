//! The `Visitor` class: the JS API of SPEC §1 over the lifecycle of SPEC §2.
//!
//! A thin layer over the Rust API's [`crate::Visitor`] and its shell: each method reads its
//! arguments (page code may run there: getters, `toString`), then opens a call on the shell that
//! settles the call's promise; what comes back becomes JS objects (`objects.rs`). The decisions
//! (validation, expiry, renewal point, what qualifies) are the core's.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::to_js;
use super::events::{self, EventName};
use super::objects::Snapshot;
use super::options;
use crate::core::error;
use crate::core::lifecycle::{Want, FETCH_MIN_VALIDITY_MS};
use crate::core::session::Session;
use crate::core::options::StorageKind;
use crate::web::calls::{Failure, Outcome, Outgoing};
use crate::web::{urls, Browser, Input};

/// A visitor of one giosg organization.
#[wasm_bindgen]
pub struct Visitor {
    /// The Rust API's visitor: dropping the class (`free()`) drops it, which stops it.
    visitor: crate::Visitor,
    /// The `Session` object of the current session, the same until it changes.
    snapshot: Rc<RefCell<Snapshot>>,
}

impl Visitor {
    fn browser(&self) -> &Rc<Browser> {
        self.visitor.browser()
    }

    /// A call of the page: its promise, settled by the shell; `input` for the lifecycle with the
    /// call's number (after `stop()`, the promise rejects at once and nothing is delivered).
    fn call(&self, request: Option<Outgoing>, input: impl FnOnce(u32) -> Input) -> Promise {
        let mut slots = None;
        let promise = Promise::new(&mut |resolve, reject| slots = Some((resolve, reject)));
        let Some((resolve, reject)) = slots else { return promise };
        let snapshot = self.snapshot.clone();
        let settle = Box::new(move |outcome: Result<Outcome, Failure>| {
            let (settle, value): (Function, JsValue) = match outcome {
                Ok(Outcome::Session(session)) => (resolve, snapshot.borrow_mut().of(&session)),
                Ok(Outcome::Token(token)) => (resolve, token.into()),
                Ok(Outcome::Done) => (resolve, JsValue::UNDEFINED),
                Ok(Outcome::Response(response)) => (resolve, response.into()),
                Err(Failure::Error(error)) => (reject, to_js(&error)),
                Err(Failure::Aborted(reason)) => (reject, reason),
            };
            // A `then` getter that throws rejects the promise itself: nothing to do here.
            let _ = settle.call1(&JsValue::UNDEFINED, &value);
        });
        if let Some(call) = self.browser().open(request, settle) {
            self.browser().deliver(input(call));
        }
        promise
    }

    /// A member of the current session (`null` before the first one), taken from the getters'
    /// view before it becomes a JS value.
    fn current<T: Into<JsValue>>(&self, read: impl FnOnce(Session) -> T) -> JsValue {
        self.browser().session().map(read).map_or(JsValue::NULL, Into::into)
    }
}

#[wasm_bindgen]
impl Visitor {
    /// Validates the options synchronously: `VisitorError` `invalid_options` for any bad value.
    /// An option left out, `undefined` or `null` takes its default.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "VisitorOptions")] options: JsValue) -> Result<Visitor, JsValue> {
        let options = options::read(&options).map_err(|e| to_js(&e))?;
        let visitor = crate::Visitor::from_checked(options);
        Ok(Visitor { visitor, snapshot: Rc::default() })
    }

    /// A session valid for at least the renewal lead: the cached one when it qualifies (no
    /// request), else a new one; `{force: true}` always asks the server. Starts auto-renewal.
    #[wasm_bindgen(skip_typescript)]
    pub fn authenticate(&self, opts: JsValue) -> Promise {
        match options::force(&opts) {
            Ok(force) => self.call(None, |call| Input::Authenticate { call, force }),
            Err(e) => rejected(&e),
        }
    }

    /// A token valid for at least `minValidity` seconds (default 5), renewing first when needed.
    #[wasm_bindgen(js_name = getAccessToken, skip_typescript)]
    pub fn get_access_token(&self, opts: JsValue) -> Promise {
        match options::min_validity_ms(&opts) {
            Ok(min_ms) => self.call(None, |call| Input::Token { call, min_ms, want: Want::Token }),
            Err(e) => rejected(&e),
        }
    }

    /// The platform `fetch` with the token: a path resolves against `apiBaseUrl`; an absolute
    /// URL (resolved as the platform resolves it, against the document's base URL) must be of
    /// `apiBaseUrl`'s origin or `allowedOrigins`, else `origin_not_allowed` and nothing is sent;
    /// the request goes to exactly the URL that was checked. A 401 renews the token once and
    /// repeats the request once (one renewal per token: a 401 to the token that renewal brought
    /// is the answer). No answer within `requestTimeoutMs` rejects with `timeout`. `init.signal`
    /// ends the call at once, also while it waits for a token; an aborted one sends nothing.
    #[wasm_bindgen(skip_typescript)]
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        // A string, or a URL object (read for its `href`).
        let href = input.as_string().or_else(|| {
            let object = input.is_object().then_some(&input)?;
            Reflect::get(object, &"href".into()).ok()?.as_string()
        });
        let init = match crate::web::calls::page_init(&init) {
            Ok(read) => read,
            Err(e) => return rejected(&e),
        };
        if let Some(reason) = crate::web::calls::abort_reason(init.signal.as_ref()) {
            return Promise::reject(&reason);
        }
        let url = match href {
            None => Err(error::invalid_options("fetch(input): input must be a path or a URL (string or URL object)")),
            Some(text) => urls::target_url(self.browser().options(), &text),
        };
        match url {
            Ok(url) => self.call(Some(Outgoing::Page { url, init }), |call| Input::Token { call, min_ms: FETCH_MIN_VALIDITY_MS, want: Want::Send { retried: false } }),
            Err(e) => rejected(&e),
        }
    }

    /// Subscribes to `session`, `identitychange`, `error` or `storage`; returns the function
    /// that unsubscribes. (Typed in `types.d.ts`, like the methods with optional arguments.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        let Some(name) = event.as_string().as_deref().and_then(EventName::parse) else {
            return Err(to_js(&error::invalid_options(events::EVENT_NAMES)));
        };
        let Ok(listener) = listener.dyn_into::<Function>() else {
            return Err(to_js(&error::invalid_options("on(event, listener): listener must be a function")));
        };
        Ok(events::subscribe(self.browser(), name, listener, &self.snapshot))
    }

    /// Listens to one of giosg's real-time channels (the path of the matching HTTP endpoint);
    /// returns the function that unsubscribes (harmless twice). The first channel opens the
    /// visitor's socket, the last one unsubscribed closes it. (Typed in `types.d.ts`.)
    #[cfg(feature = "realtime")]
    #[wasm_bindgen(skip_typescript)]
    pub fn subscribe(&self, channel: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        let Some(channel) = channel.as_string() else {
            return Err(to_js(&error::invalid_channel()));
        };
        let Ok(listener) = listener.dyn_into::<Function>() else {
            return Err(to_js(&error::invalid_options("subscribe(channel, listener): listener must be a function")));
        };
        let id = self
            .browser()
            .subscribe_channel(&channel, Rc::new(move |change| events::call_reporting(&listener, &super::objects::change(change))))
            .map_err(|e| to_js(&e))?;
        Ok(events::unsubscriber(self.browser(), move |browser| browser.unsubscribe_channel(id)))
    }

    /// Erases the secret and the session from storage and memory and stops the timers; the next
    /// `authenticate()` makes a new visitor.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn forget(&self) -> Promise {
        self.call(None, |call| Input::Forget { call })
    }

    /// Changes where the secret and the session are kept while the page runs (consent given or
    /// withdrawn), keeping the visitor: `"local"`, `"session"` or `"memory"`. While a request is
    /// in flight, the change happens when it settles.
    #[wasm_bindgen(js_name = setStorage, unchecked_return_type = "Promise<void>")]
    pub fn set_storage(&self, #[wasm_bindgen(unchecked_param_type = "\"local\" | \"session\" | \"memory\"")] kind: JsValue) -> Promise {
        match kind.as_string().as_deref().and_then(StorageKind::parse) {
            Some(kind) => self.call(None, |call| Input::SetStorage { call, kind }),
            None => rejected(&error::invalid_options("setStorage(kind): kind must be \"local\", \"session\" or \"memory\"")),
        }
    }

    /// Stops timers and listeners; pending and later calls reject with `stopped`.
    pub fn stop(&self) {
        self.visitor.stop();
    }

    /// The organization's id, in lower case.
    #[wasm_bindgen(getter, js_name = organizationId, unchecked_return_type = "string")]
    pub fn organization_id(&self) -> JsValue {
        JsValue::from_str(self.browser().options().org.as_str())
    }

    /// The current session (`null` before the first one, and after `forget()`).
    #[wasm_bindgen(getter, unchecked_return_type = "Session | null")]
    pub fn session(&self) -> JsValue {
        match self.browser().session() {
            Some(session) => self.snapshot.borrow_mut().of(&session),
            None => JsValue::NULL,
        }
    }

    /// The current visitor's id (`null` without a session).
    #[wasm_bindgen(getter, js_name = visitorId, unchecked_return_type = "string | null")]
    pub fn visitor_id(&self) -> JsValue {
        self.visitor.visitor_id().map_or(JsValue::NULL, Into::into)
    }

    /// The current token (`null` without a session); it may have expired: `getAccessToken()`
    /// gives one that has not.
    #[wasm_bindgen(getter, js_name = accessToken, unchecked_return_type = "string | null")]
    pub fn access_token(&self) -> JsValue {
        self.current(|s| s.answer.access_token.expose().to_owned())
    }

    /// The real-time message router's URL for the current visitor (`null` without a session).
    #[wasm_bindgen(getter, js_name = socketUrl, unchecked_return_type = "string | null")]
    pub fn socket_url(&self) -> JsValue {
        self.current(|s| s.answer.socket_url)
    }

    /// When the current token expires, on the local clock (`null` without a session).
    #[wasm_bindgen(getter, js_name = expiresAt, unchecked_return_type = "Date | null")]
    pub fn expires_at(&self) -> JsValue {
        self.browser().session().map_or(JsValue::NULL, |s| js_sys::Date::new(&s.page_expires_at_ms.into()).into())
    }

    /// Where the secret and the session are kept now (`"memory"` after a fallback, too).
    #[wasm_bindgen(getter, js_name = storageKind, unchecked_return_type = "\"local\" | \"session\" | \"memory\"")]
    pub fn storage_kind(&self) -> String {
        self.visitor.storage_kind().name().to_owned()
    }

    /// Whether the current token is still valid on the local clock.
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.visitor.is_authenticated()
    }
}

/// A promise rejected at once with `error` (a call whose arguments were wrong).
fn rejected(error: &error::Error) -> Promise {
    Promise::reject(&to_js(error))
}
