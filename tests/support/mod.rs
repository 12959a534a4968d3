//! Helpers of the browser suites: the local server's control surface, options, event capture,
//! and waiting with a deadline (never a sleep that hopes).
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use giosg_visitor::js::Visitor;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The local server, from `scripts/test.sh`.
pub const SERVER: &str = match option_env!("GIOSG_LOCAL_SERVER") {
    Some(url) => url,
    None => "http://127.0.0.1:8080",
};

/// A fresh organization id for each test, so that server counts and storage never mix.
pub fn new_org() -> String {
    let hex: String = (0..32).map(|_| char::from_digit((js_sys::Math::random() * 16.0) as u32, 16).unwrap_or('0')).collect();
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// A fresh storage prefix per test: tests in one binary share one page and its localStorage.
pub fn new_prefix() -> String {
    format!("test{}", (js_sys::Math::random() * 1e12) as u64)
}

pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (k, v) in pairs {
        Reflect::set(&object, &(*k).into(), v).unwrap();
    }
    object.into()
}

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

/// One test's organization and storage, and visitors made on them.
pub struct Env {
    pub org: String,
    pub prefix: String,
}

impl Env {
    pub fn new() -> Self {
        Self { org: new_org(), prefix: new_prefix() }
    }

    pub fn options(&self, extra: &[(&str, JsValue)]) -> JsValue {
        let mut pairs = vec![
            ("organizationId", JsValue::from_str(&self.org)),
            ("apiBaseUrl", SERVER.into()),
            ("storageKeyPrefix", JsValue::from_str(&self.prefix)),
        ];
        pairs.extend(extra.iter().cloned());
        obj(&pairs)
    }

    pub fn visitor(&self, extra: &[(&str, JsValue)]) -> Visitor {
        Visitor::new(self.options(extra)).unwrap()
    }

    pub fn secret_key(&self) -> String {
        format!("{}:{}:secret", self.prefix, SERVER)
    }

    pub fn session_key(&self) -> String {
        format!("{}:{}:{}:session", self.prefix, SERVER, self.org)
    }

    /// The stored secret, read as a page would (the SDK never exposes it).
    pub fn stored_secret(&self) -> Option<String> {
        let raw = local_storage().get_item(&self.secret_key()).unwrap()?;
        let value = js_sys::JSON::parse(&raw).ok()?;
        get(&value, "secret").as_string()
    }

    pub async fn stats(&self) -> JsValue {
        control("GET", &format!("/orgs/{}/stats", self.org), None).await
    }

    pub async fn auth_requests(&self) -> u32 {
        get(&self.stats().await, "auth_requests").as_f64().unwrap() as u32
    }

    pub async fn api_requests(&self) -> u32 {
        get(&self.stats().await, "api_requests").as_f64().unwrap() as u32
    }

    /// The server's log entries of auth requests.
    pub async fn auth_log(&self) -> Vec<JsValue> {
        let log: js_sys::Array = get(&self.stats().await, "log").dyn_into().unwrap();
        log.iter().filter(|e| get(e, "kind").as_string().as_deref() == Some("auth")).collect()
    }

    pub async fn set_lifetime(&self, seconds: u32) {
        control("PUT", &format!("/orgs/{}/config", self.org), Some(&format!("{{\"expires_in\":{seconds}}}"))).await;
    }

    pub async fn fault(&self, fault: &str) {
        control("PUT", &format!("/orgs/{}/faults", self.org), Some(fault)).await;
    }

    pub async fn clear_faults(&self) {
        control("DELETE", &format!("/orgs/{}/faults", self.org), None).await;
    }

    /// A room of this organization; returns its id.
    pub async fn room(&self) -> String {
        get_str(&control("POST", &format!("/orgs/{}/rooms", self.org), Some("{}")).await, "id")
    }
}

pub fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// A request to the control surface; the JSON answer (or null for 204).
pub async fn control(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let window = web_sys::window().unwrap();
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(&format!("{SERVER}/__control{path}"), &init)).await.unwrap().dyn_into().unwrap();
    assert!(response.ok(), "control {method} {path}: {}", response.status());
    if response.status() == 204 {
        return JsValue::NULL;
    }
    JsFuture::from(response.json().unwrap()).await.unwrap()
}

/// A plain `fetch(url, {headers: {Authorization: "Bearer <token>"}})`: its status.
pub async fn get_with_token(url: &str, token: &str) -> u16 {
    let init = web_sys::RequestInit::new();
    let headers = web_sys::Headers::new().unwrap();
    headers.set("Authorization", &format!("Bearer {token}")).unwrap();
    init.set_headers(&headers);
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.unwrap().dyn_into().unwrap();
    response.status()
}

/// Awaits a promise: Ok(value) or Err(rejection).
/// Waits for a promise the SDK returned (its own binding of `Promise`) or one of `js_sys`.
pub async fn settle(promise: impl Into<JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise.into().unchecked_into::<Promise>()).await
}

pub async fn authenticate(visitor: &Visitor) -> JsValue {
    settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap()
}

/// The error code of a rejection.
pub fn code(error: &JsValue) -> String {
    get(error, "code").as_string().unwrap_or_else(|| format!("(no code: {error:?})"))
}

/// Everything an event delivered, in order.
pub struct Captured {
    pub details: Rc<RefCell<Vec<JsValue>>>,
    pub off: Function,
}

impl Captured {
    pub fn len(&self) -> usize {
        self.details.borrow().len()
    }

    pub fn all(&self) -> Vec<JsValue> {
        self.details.borrow().clone()
    }
}

pub fn capture(visitor: &Visitor, event: &str) -> Captured {
    let details = Rc::new(RefCell::new(Vec::new()));
    let sink = details.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |detail| sink.borrow_mut().push(detail)).into_js_value();
    let off = visitor.on(event.into(), listener).unwrap().dyn_into().unwrap();
    Captured { details, off }
}

/// Resolves with the next detail of `event` for which `accept` holds, or fails after
/// `deadline_ms`.
pub async fn next_event(visitor: &Visitor, event: &str, deadline_ms: u32, accept: impl Fn(&JsValue) -> bool + 'static) -> JsValue {
    let resolve_slot: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = resolve_slot.clone();
    let promise = Promise::new(&mut |resolve, _| *slot.borrow_mut() = Some(resolve));
    let slot = resolve_slot.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |detail: JsValue| {
        if accept(&detail) {
            if let Some(resolve) = slot.borrow_mut().take() {
                resolve.call1(&JsValue::UNDEFINED, &detail).unwrap();
            }
        }
    })
    .into_js_value();
    let off: Function = visitor.on(event.into(), listener).unwrap().dyn_into().unwrap();
    let result = within(promise, deadline_ms).await;
    off.call0(&JsValue::UNDEFINED).unwrap();
    result.unwrap_or_else(|| panic!("no {event} event within {deadline_ms} ms"))
}

/// The promise's value, or `None` if it did not settle within `ms`.
pub async fn within(promise: impl Into<JsValue>, ms: u32) -> Option<JsValue> {
    let promise: Promise = promise.into().unchecked_into();
    let timeout = Promise::new(&mut |resolve, _| {
        let marker = JsValue::from_str("__deadline__");
        gloo_timers::callback::Timeout::new(ms, move || {
            resolve.call1(&JsValue::UNDEFINED, &marker).unwrap();
        })
        .forget();
    });
    // A rejection becomes `{__rejected__: error}`, so that it can race the deadline.
    let guarded = wasm_bindgen_futures::future_to_promise(async move {
        Ok(JsFuture::from(promise).await.unwrap_or_else(|e| obj(&[("__rejected__", e)])))
    });
    let value = JsFuture::from(Promise::race(&js_sys::Array::of2(&guarded, &timeout))).await.unwrap();
    if value.as_string().as_deref() == Some("__deadline__") {
        None
    } else {
        Some(value)
    }
}

/// Replaces `console.log/info/warn/error/debug` with recorders until `restore` is called.
pub struct ConsoleCapture {
    pub lines: Rc<RefCell<Vec<String>>>,
    saved: Vec<(&'static str, JsValue)>,
}

impl ConsoleCapture {
    pub fn start() -> Self {
        let console = get(&js_sys::global(), "console");
        let lines: Rc<RefCell<Vec<String>>> = Rc::default();
        let mut saved = Vec::new();
        for method in ["log", "info", "warn", "error", "debug"] {
            let original = get(&console, method);
            saved.push((method, original.clone()));
            let sink = lines.clone();
            // Recorded, and still printed (a failing test's panic message goes there).
            let original: Function = original.dyn_into().unwrap();
            let recorder = Closure::<dyn FnMut(JsValue)>::new(move |first: JsValue| {
                let text = js_sys::JSON::stringify(&first).ok().and_then(|s| s.as_string()).unwrap_or_else(|| format!("{first:?}"));
                sink.borrow_mut().push(text);
                let _ = original.call1(&JsValue::UNDEFINED, &first);
            })
            .into_js_value();
            Reflect::set(&console, &method.into(), &recorder).unwrap();
        }
        Self { lines, saved }
    }

    pub fn restore(self) -> Vec<String> {
        let console = get(&js_sys::global(), "console");
        for (method, original) in &self.saved {
            Reflect::set(&console, &(*method).into(), original).unwrap();
        }
        self.lines.borrow().clone()
    }
}

/// Moves `Date.now()` (the SDK's clock) `offset_ms` ahead until the guard is dropped, as a
/// laptop waking from sleep sees it: the clock jumped, and no timer fired meanwhile.
pub struct ClockJump {
    original: JsValue,
}

impl ClockJump {
    pub fn ahead(offset_ms: f64) -> Self {
        let date = get(&js_sys::global(), "Date");
        let original = get(&date, "now");
        let real: Function = original.clone().dyn_into().unwrap();
        let jumped = Closure::<dyn FnMut() -> f64>::new(move || {
            real.call0(&get(&js_sys::global(), "Date")).unwrap().as_f64().unwrap() + offset_ms
        })
        .into_js_value();
        Reflect::set(&date, &"now".into(), &jumped).unwrap();
        Self { original }
    }
}

impl Drop for ClockJump {
    fn drop(&mut self) {
        let date = get(&js_sys::global(), "Date");
        Reflect::set(&date, &"now".into(), &self.original).unwrap();
    }
}

/// Dispatches a plain event of `name` on the window (or the document).
pub fn dispatch(name: &str, on_document: bool) {
    let window = web_sys::window().unwrap();
    let event = web_sys::Event::new(name).unwrap();
    if on_document {
        window.document().unwrap().dispatch_event(&event).unwrap();
    } else {
        window.dispatch_event(&event).unwrap();
    }
}

/// Resolves after `ms` (a timer of the page).
pub async fn pause(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        gloo_timers::callback::Timeout::new(ms, move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        })
        .forget();
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits until `condition` holds (say, a count on the server), asking again every 20 ms; fails
/// after `deadline_ms`.
pub async fn wait_until<F, Fut>(deadline_ms: u32, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut waited = 0;
    while !condition().await {
        assert!(waited < deadline_ms, "the condition did not hold within {deadline_ms} ms");
        pause(20).await;
        waited += 20;
    }
}
