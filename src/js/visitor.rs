//! The `Visitor` class: the JS API of SPEC §1 over the lifecycle of SPEC §2.
//!
//! The decisions (validation, expiry, renewal point, what qualifies) are the core's; this file
//! holds the state of one visitor and carries the decisions out with fetch, storage, timers and
//! page events.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Date, Function, Math, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::{AbortController, Headers};

use super::error;
use super::events::{dispatch, object, Event, Listeners};
use super::options;
use crate::core::options::Options;
use crate::core::record;
use crate::core::redact::Secret;
use crate::core::session::{timer_delay_ms, Session};
use crate::core::wire::{auth_request_body, AuthAnswer};
use crate::web::fetch::{fetch_with_init, post_json, FetchError};
use crate::web::page::PageEvents;
use crate::web::storage::Store;

/// Where an adopted session came from, as the `session` event reports it.
#[derive(Clone, Copy)]
enum Source {
    Network,
    Cache,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Network => "network",
            Source::Cache => "cache",
        }
    }
}

struct Inner {
    options: Options,
    secret_key: String,
    session_key: String,
    store: Store,
    session: Option<Session>,
    /// Whether storage has been consulted for a cached session.
    loaded: bool,
    /// Auto-renewal is on: set by the first use, cleared by `forget()` and `stop()`.
    started: bool,
    stopped: bool,
    /// Bumped by `forget()` and `stop()`: an answer to a request sent before is not adopted.
    epoch: u32,
    /// The auth request in flight, shared by every caller (single flight).
    inflight: Option<Promise>,
    abort: Option<AbortController>,
    timer: Option<Timeout>,
    page: Option<PageEvents>,
    listeners: Listeners,
    /// Rejected by `stop()`; every pending call races it.
    stop_signal: Promise,
    stop_reject: Option<Function>,
    _stop_catch: Closure<dyn FnMut(JsValue)>,
    /// A background renewal failed and no session has been adopted since.
    failing: bool,
    retry_attempt: u32,
    /// `forget()` was called: the next identity adopted is announced as a change from none.
    forgotten: bool,
}

type Shared = Rc<RefCell<Inner>>;

/// A visitor of one giosg organization.
#[wasm_bindgen]
pub struct Visitor {
    inner: Shared,
}

/// The JS object of a session: `{visitorId, organizationId, socketUrl, accessToken, expiresAt,
/// expiresIn, visitorGlobalId?}`. Never the secret.
fn session_object(session: &Session) -> JsValue {
    let a = &session.answer;
    let mut pairs = vec![
        ("visitorId", JsValue::from_str(&a.visitor_id)),
        ("organizationId", JsValue::from_str(&a.organization_id)),
        ("socketUrl", JsValue::from_str(&a.socket_url)),
        ("accessToken", JsValue::from_str(a.access_token.expose())),
        ("expiresAt", Date::new(&session.expires_at_ms.into()).into()),
        ("expiresIn", a.expires_in.into()),
    ];
    if let Some(global) = &a.visitor_global_id {
        pairs.push(("visitorGlobalId", JsValue::from_str(global)));
    }
    object(&pairs)
}

fn emit(inner: &Shared, event: Event, detail: &JsValue) {
    let listeners = inner.borrow().listeners.of(event);
    dispatch(listeners, detail);
}

/// Reports a storage degradation, once per occurrence.
fn report_storage(inner: &Shared) {
    let reason = inner.borrow_mut().store.take_degradation();
    if let Some(reason) = reason {
        emit(inner, Event::Storage, &object(&[("reason", reason.into())]));
    }
}

fn stored_secret(inner: &mut Inner) -> Option<Secret> {
    let key = inner.secret_key.clone();
    inner.store.get(&key).and_then(|v| record::decode_secret(&v))
}

/// Consults storage once for a cached session of this organization (SPEC §2, "Caching").
fn load_cache(inner: &Shared) {
    let adopted = {
        let mut s = inner.borrow_mut();
        if s.loaded {
            return;
        }
        s.loaded = true;
        let key = s.session_key.clone();
        let cached = stored_secret(&mut s).and_then(|secret| {
            let value = s.store.get(&key)?;
            record::decode_session(&value, &s.options.org, secret)
        });
        match cached {
            Some(session) if session.valid_for(Date::now(), 0.0) => Some(session),
            _ => None,
        }
    };
    report_storage(inner);
    if let Some(session) = adopted {
        adopt(inner, session, Source::Cache);
    }
}

/// Makes `session` the current one: stores it (network answers only), schedules its renewal,
/// and tells the listeners.
fn adopt(inner: &Shared, session: Session, source: Source) {
    let (previous, forgotten, detail) = {
        let mut s = inner.borrow_mut();
        if let Source::Network = source {
            let (secret_key, session_key) = (s.secret_key.clone(), s.session_key.clone());
            s.store.set(&secret_key, &record::encode_secret(&session.answer.secret));
            s.store.set(&session_key, &record::encode_session(&session));
        }
        let previous = s.session.as_ref().map(|p| p.answer.visitor_id.clone());
        let detail = session_object(&session);
        s.session = Some(session);
        s.failing = false;
        s.retry_attempt = 0;
        (previous, std::mem::take(&mut s.forgotten), detail)
    };
    schedule(inner);
    report_storage(inner);
    let visitor_id = inner.borrow().session.as_ref().map(|s| s.answer.visitor_id.clone());
    if let Some(current) = &visitor_id {
        let changed = match &previous {
            Some(previous) => previous != current,
            None => forgotten,
        };
        if changed {
            let previous = previous.map_or(JsValue::NULL, JsValue::from);
            let change = object(&[("previousVisitorId", previous), ("visitorId", current.into())]);
            emit(inner, Event::IdentityChange, &change);
        }
    }
    emit(inner, Event::Session, &object(&[("session", detail), ("source", source.name().into())]));
}

/// One auth request with the stored secret; the answer is validated in full before anything is
/// stored or adopted. Whatever the outcome, the request stops being the one in flight.
async fn request(inner: Shared) -> Result<JsValue, JsValue> {
    let epoch = inner.borrow().epoch;
    let result = exchange(&inner, epoch).await;
    let mut s = inner.borrow_mut();
    if s.epoch != epoch {
        return Err(stopped_error(&s));
    }
    s.inflight = None;
    s.abort = None;
    drop(s);
    let session = result?;
    let detail = session_object(&session);
    adopt(&inner, session, Source::Network);
    Ok(detail)
}

/// Sends the auth request and checks the answer.
async fn exchange(inner: &Shared, epoch: u32) -> Result<Session, JsValue> {
    let network = || error::from_fetch(FetchError::Network);
    let (url, body, timeout_ms, controller, org, renew_before_ms) = {
        let mut s = inner.borrow_mut();
        let secret = stored_secret(&mut s);
        let controller = AbortController::new().map_err(|_| network())?;
        s.abort = Some(controller.clone());
        (
            s.options.api.auth_url(&s.options.org),
            auth_request_body(secret.as_ref()),
            s.options.request_timeout_ms,
            controller,
            s.options.org.clone(),
            s.options.renew_before_ms,
        )
    };
    report_storage(inner);
    let sent_at = Date::now();
    let answer = post_json(&url, &body, timeout_ms, &controller).await;
    if inner.borrow().epoch != epoch {
        return Err(stopped_error(&inner.borrow()));
    }
    let answer = answer.map_err(error::from_fetch)?;
    if answer.status != 200 {
        return Err(error::http(answer.status));
    }
    let parsed = AuthAnswer::parse(&answer.body, &org).map_err(|e| error::invalid_response(&e))?;
    Ok(Session::new(parsed, sent_at, renew_before_ms, Math::random()))
}

fn stopped_error(inner: &Inner) -> JsValue {
    if inner.stopped {
        error::stopped("the visitor was stopped")
    } else {
        error::stopped("forget() was called while this request was pending")
    }
}

/// The shared auth request: joins the one in flight, or starts one. Resolves to the session
/// object.
async fn renew(inner: &Shared) -> Result<JsValue, JsValue> {
    let pending = inner.borrow().inflight.clone();
    let promise = match pending {
        Some(promise) => promise,
        None => {
            let promise = future_to_promise(request(inner.clone()));
            inner.borrow_mut().inflight = Some(promise.clone());
            promise
        }
    };
    JsFuture::from(promise).await
}

/// Turns auto-renewal on (first use): the timer and the page events.
fn start(inner: &Shared) {
    let weak = Rc::downgrade(inner);
    {
        let mut s = inner.borrow_mut();
        if s.started || s.stopped || !s.options.auto_renew {
            return;
        }
        s.started = true;
        s.page = Some(PageEvents::listen(move || {
            if let Some(inner) = weak.upgrade() {
                wake(&inner);
            }
        }));
    }
    schedule(inner);
}

/// (Re)arms the renewal timer for the current session.
fn schedule(inner: &Shared) {
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    let mut s = inner.borrow_mut();
    s.timer = None;
    if !s.started || s.stopped {
        return;
    }
    let Some(renew_at) = s.session.as_ref().map(|session| session.renew_at_ms) else { return };
    let delay = timer_delay_ms(renew_at, Date::now());
    s.timer = Some(Timeout::new(delay, move || {
        if let Some(inner) = weak.upgrade() {
            wake(&inner);
        }
    }));
}

/// The timer fired or the page woke up: renew if due, else re-arm the timer (it may have been
/// throttled or stopped during sleep).
fn wake(inner: &Shared) {
    let due = {
        let s = inner.borrow();
        if !s.started || s.stopped {
            return;
        }
        match &s.session {
            Some(session) => session.due(Date::now()) || s.failing,
            None => s.failing,
        }
    };
    if due {
        renew_in_background(inner);
    } else {
        schedule(inner);
    }
}

/// Renews without a caller waiting: a failure is reported once per streak as an `error` event,
/// and retried with backoff while the page lives. A still-valid token stays in use meanwhile.
fn renew_in_background(inner: &Shared) {
    let inner = inner.clone();
    spawn_local(async move {
        let Err(failure) = renew(&inner).await else { return };
        let first = {
            let mut s = inner.borrow_mut();
            if s.stopped || !s.started {
                return;
            }
            let first = !s.failing;
            s.failing = true;
            s.retry_attempt = s.retry_attempt.saturating_add(1);
            first
        };
        if first {
            emit(&inner, Event::Error, &failure);
        }
        retry_later(&inner);
    });
}

/// Arms the timer for the next background attempt: exponential backoff with full jitter.
fn retry_later(inner: &Shared) {
    let weak = Rc::downgrade(inner);
    let mut s = inner.borrow_mut();
    let attempt = s.retry_attempt.min(16);
    let ceiling = (1000.0 * 2f64.powi(attempt as i32 - 1)).min(60_000.0);
    let delay = (Math::random() * ceiling) as u32;
    s.timer = Some(Timeout::new(delay, move || {
        if let Some(inner) = weak.upgrade() {
            wake(&inner);
        }
    }));
}

/// `Promise.race([work, stop signal])`: every public call rejects with `stopped` on `stop()`.
fn guarded(inner: &Shared, work: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let s = inner.borrow();
    if s.stopped {
        return Promise::reject(&error::stopped("the visitor was stopped"));
    }
    let race = js_sys::Array::of2(&future_to_promise(work), &s.stop_signal);
    Promise::race(&race)
}

/// A session valid for at least `min_ms`, renewing first when needed; kicks a background renewal
/// when the renewal point has passed but the token is still good enough.
async fn ensure_token(inner: Shared, min_ms: f64) -> Result<JsValue, JsValue> {
    load_cache(&inner);
    start(&inner);
    let (current, due) = {
        let s = inner.borrow();
        let now = Date::now();
        match &s.session {
            Some(session) if session.valid_for(now, min_ms) => (Some(session_object(session)), session.due(now)),
            _ => (None, false),
        }
    };
    match current {
        Some(session) => {
            if due {
                renew_in_background(&inner);
            }
            Ok(session)
        }
        None => renew(&inner).await,
    }
}

fn token_of(session: &JsValue) -> Result<String, JsValue> {
    js_sys::Reflect::get(session, &"accessToken".into())
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| error::stopped("no session"))
}

/// `fetch(url, init)` with `Authorization: Bearer <token>` set on a copy of `init`.
async fn authorized_fetch(url: &str, init: &JsValue, token: &str) -> Result<web_sys::Response, JsValue> {
    let headers = match js_sys::Reflect::get(init, &"headers".into()) {
        // `new Headers(init.headers)` takes a Headers, an array of pairs or a record alike.
        Ok(h) if !h.is_undefined() && !h.is_null() => Headers::new_with_str_sequence_sequence(&h),
        _ => Headers::new(),
    }
    .map_err(|_| error::invalid_options("fetch(): init.headers is not a valid headers value"))?;
    headers
        .set("Authorization", &format!("Bearer {token}"))
        .map_err(|_| error::invalid_options("fetch(): the Authorization header could not be set"))?;
    let copy = js_sys::Object::assign(&js_sys::Object::new(), init.unchecked_ref());
    let _ = js_sys::Reflect::set(&copy, &"headers".into(), &headers);
    match JsFuture::from(fetch_with_init(url, &copy)).await {
        Ok(response) => response.dyn_into().map_err(|_| error::from_fetch(FetchError::Network)),
        // The caller's own abort stays an AbortError, as with the platform fetch.
        Err(e) if js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).as_deref() == Some("AbortError") => Err(e),
        Err(_) => Err(error::from_fetch(FetchError::Network)),
    }
}

/// Stops timers, page listeners and the request in flight; `stopping` also ends the object.
fn halt(inner: &Shared, stopping: bool) {
    let (abort, reject) = {
        let mut s = inner.borrow_mut();
        s.epoch = s.epoch.wrapping_add(1);
        s.timer = None;
        s.page = None;
        s.started = false;
        s.inflight = None;
        s.failing = false;
        s.retry_attempt = 0;
        let reject = if stopping {
            s.stopped = true;
            s.listeners.clear();
            s.stop_reject.take()
        } else {
            None
        };
        (s.abort.take(), reject)
    };
    if let Some(abort) = abort {
        abort.abort();
    }
    if let Some(reject) = reject {
        let _ = reject.call1(&JsValue::UNDEFINED, &error::stopped("the visitor was stopped"));
    }
}

#[wasm_bindgen]
impl Visitor {
    /// Validates the options synchronously: `VisitorError` `invalid_options` for any bad value.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "VisitorOptions")] options: JsValue) -> Result<Visitor, JsValue> {
        let options = options::read(&options)?;
        let mut reject = None;
        let stop_signal = Promise::new(&mut |_resolve, r| reject = Some(r));
        // Nobody may be racing the signal when it fires: a handler keeps that from being an
        // "unhandled rejection".
        let stop_catch = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = stop_signal.catch(&stop_catch);
        let inner = Inner {
            secret_key: record::secret_key(&options.prefix, &options.api),
            session_key: record::session_key(&options.prefix, &options.api, &options.org),
            store: Store::new(options.storage),
            options,
            session: None,
            loaded: false,
            started: false,
            stopped: false,
            epoch: 0,
            inflight: None,
            abort: None,
            timer: None,
            page: None,
            listeners: Listeners::default(),
            stop_signal,
            stop_reject: reject,
            _stop_catch: stop_catch,
            failing: false,
            retry_attempt: 0,
            forgotten: false,
        };
        Ok(Visitor { inner: Rc::new(RefCell::new(inner)) })
    }

    /// A session valid for at least the renewal lead: the cached one when it qualifies (no
    /// request), else a new one; `{force: true}` always asks the server. Starts auto-renewal.
    #[wasm_bindgen(skip_typescript)]
    pub fn authenticate(&self, opts: Option<JsValue>) -> Promise {
        let force = match read_flag(&opts.unwrap_or(JsValue::UNDEFINED), "force") {
            Ok(force) => force,
            Err(e) => return Promise::reject(&e),
        };
        let inner = self.inner.clone();
        guarded(&self.inner, async move {
            load_cache(&inner);
            start(&inner);
            if !force {
                let s = inner.borrow();
                if let Some(session) = s.session.as_ref().filter(|x| x.qualifies(Date::now(), s.options.renew_before_ms)) {
                    return Ok(session_object(session));
                }
            }
            renew(&inner).await
        })
    }

    /// A token valid for at least `minValidity` seconds (default 5), renewing first when needed.
    #[wasm_bindgen(js_name = getAccessToken, skip_typescript)]
    pub fn get_access_token(&self, opts: Option<JsValue>) -> Promise {
        let min_ms = match read_min_validity(&opts.unwrap_or(JsValue::UNDEFINED)) {
            Ok(ms) => ms,
            Err(e) => return Promise::reject(&e),
        };
        let inner = self.inner.clone();
        guarded(&self.inner, async move {
            let session = ensure_token(inner, min_ms).await?;
            token_of(&session).map(JsValue::from)
        })
    }

    /// The platform `fetch` with the token: a path resolves against `apiBaseUrl`; an absolute
    /// URL must be of `apiBaseUrl`'s origin or `allowedOrigins`, else `origin_not_allowed` and
    /// nothing is sent. A 401 renews the token once and repeats the request once.
    #[wasm_bindgen(skip_typescript)]
    pub fn fetch(&self, input: JsValue, init: Option<JsValue>) -> Promise {
        let url = {
            let s = self.inner.borrow();
            let text = input.as_string().or_else(|| {
                // A URL object.
                js_sys::Reflect::get(&input, &"href".into()).ok().and_then(|h| h.as_string())
            });
            match text {
                Some(path) if path.starts_with('/') && !path.starts_with("//") => Ok(s.options.api.url(&path)),
                Some(url) if s.options.may_send_token_to(&url) => Ok(url),
                _ => Err(error::origin_not_allowed()),
            }
        };
        let url = match url {
            Ok(url) => url,
            Err(e) => return Promise::reject(&e),
        };
        let init = match init {
            Some(init) if !init.is_undefined() && !init.is_null() => init,
            _ => js_sys::Object::new().into(),
        };
        let inner = self.inner.clone();
        guarded(&self.inner, async move {
            let token = token_of(&ensure_token(inner.clone(), 5000.0).await?)?;
            let response = authorized_fetch(&url, &init, &token).await?;
            if response.status() != 401 {
                return Ok(response.into());
            }
            let renewed = token_of(&renew(&inner).await?)?;
            Ok(authorized_fetch(&url, &init, &renewed).await?.into())
        })
    }

    /// Subscribes to `session`, `identitychange`, `error` or `storage`; returns the function
    /// that unsubscribes. (Typed in `types.d.ts`, like the methods with optional arguments.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, listener: JsValue) -> Result<JsValue, JsValue> {
        let event = Event::parse(event).ok_or_else(|| {
            error::invalid_options("on(event): event must be \"session\", \"identitychange\", \"error\" or \"storage\"")
        })?;
        let listener: Function = listener.dyn_into().map_err(|_| error::invalid_options("on(event, listener): listener must be a function"))?;
        let id = self.inner.borrow_mut().listeners.add(event, listener);
        let weak = Rc::downgrade(&self.inner);
        let off = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.borrow_mut().listeners.remove(id);
            }
        });
        Ok(off.into_js_value())
    }

    /// Erases the secret and the session from storage and memory and stops the timers; the next
    /// `authenticate()` makes a new visitor.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn forget(&self) -> Promise {
        if self.inner.borrow().stopped {
            return Promise::reject(&error::stopped("the visitor was stopped"));
        }
        halt(&self.inner, false);
        let previous = {
            let mut s = self.inner.borrow_mut();
            let (secret_key, session_key) = (s.secret_key.clone(), s.session_key.clone());
            s.store.remove(&secret_key);
            s.store.remove(&session_key);
            s.loaded = true;
            s.forgotten = true;
            s.session.take().map(|x| x.answer.visitor_id)
        };
        report_storage(&self.inner);
        if let Some(previous) = previous {
            emit(&self.inner, Event::IdentityChange, &object(&[("previousVisitorId", previous.into()), ("visitorId", JsValue::NULL)]));
        }
        Promise::resolve(&JsValue::UNDEFINED)
    }

    /// Stops timers and listeners; pending and later calls reject with `stopped`.
    pub fn stop(&self) {
        halt(&self.inner, true);
    }

    #[wasm_bindgen(getter, js_name = organizationId)]
    pub fn organization_id(&self) -> String {
        self.inner.borrow().options.org.as_str().to_owned()
    }

    #[wasm_bindgen(getter, unchecked_return_type = "Session | null")]
    pub fn session(&self) -> JsValue {
        self.inner.borrow().session.as_ref().map(session_object).unwrap_or(JsValue::NULL)
    }

    #[wasm_bindgen(getter, js_name = visitorId, unchecked_return_type = "string | null")]
    pub fn visitor_id(&self) -> JsValue {
        self.inner.borrow().session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(s.answer.visitor_id.clone()))
    }

    #[wasm_bindgen(getter, js_name = accessToken, unchecked_return_type = "string | null")]
    pub fn access_token(&self) -> JsValue {
        self.inner.borrow().session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(s.answer.access_token.expose().to_owned()))
    }

    #[wasm_bindgen(getter, js_name = socketUrl, unchecked_return_type = "string | null")]
    pub fn socket_url(&self) -> JsValue {
        self.inner.borrow().session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(s.answer.socket_url.clone()))
    }

    #[wasm_bindgen(getter, js_name = expiresAt, unchecked_return_type = "Date | null")]
    pub fn expires_at(&self) -> JsValue {
        self.inner.borrow().session.as_ref().map_or(JsValue::NULL, |s| Date::new(&s.expires_at_ms.into()).into())
    }

    /// Whether the current token is still valid on the local clock.
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.borrow().session.as_ref().is_some_and(|s| s.valid_for(Date::now(), 0.0))
    }
}

/// `free()` and `[Symbol.dispose]()` drop the object: that stops it first.
impl Drop for Visitor {
    fn drop(&mut self) {
        halt(&self.inner, true);
    }
}

/// An optional boolean member of an optional options object.
fn read_flag(opts: &JsValue, name: &str) -> Result<bool, JsValue> {
    if opts.is_undefined() || opts.is_null() {
        return Ok(false);
    }
    let value = js_sys::Reflect::get(opts, &name.into()).map_err(|_| error::invalid_options(&format!("{name} could not be read")))?;
    if value.is_undefined() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| error::invalid_options(&format!("{name} must be true or false")))
}

/// `minValidity` in seconds (default 5, at most a day), as milliseconds.
fn read_min_validity(opts: &JsValue) -> Result<f64, JsValue> {
    const DEFAULT_S: f64 = 5.0;
    if opts.is_undefined() || opts.is_null() {
        return Ok(DEFAULT_S * 1000.0);
    }
    let value = js_sys::Reflect::get(opts, &"minValidity".into()).map_err(|_| error::invalid_options("minValidity could not be read"))?;
    if value.is_undefined() {
        return Ok(DEFAULT_S * 1000.0);
    }
    match value.as_f64() {
        Some(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s * 1000.0),
        _ => Err(error::invalid_options("minValidity must be a number of seconds from 0 to 86400")),
    }
}
