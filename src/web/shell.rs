//! The browser shell of the lifecycle: [`Browser`] does what `core::lifecycle` asks for, with
//! the effects of `effects.js` (fetch, storage with its fallback to memory, Web Locks, the timer,
//! page events, the page's promises); [`deliver`] feeds what they bring back into the lifecycle.

use crate::prelude::*;

use wasm_bindgen::prelude::*;

use crate::core::error::{self, Error};
use crate::core::lifecycle::{Detail, Lifecycle, Reply, Response, Shell};
use crate::core::options::StorageKind;
use crate::core::session::Session;
use crate::web::cell::LocalCell;
use crate::web::json::{self, JsJson};
use crate::web::sys::{self, Promise};

#[wasm_bindgen(module = "/src/web/effects.js")]
extern "C" {
    /// One visitor's effects and pending calls (see `effects.js`).
    pub type Effects;
    #[wasm_bindgen(constructor)]
    pub fn new(deliver: &JsValue) -> Effects;
    #[wasm_bindgen(method)]
    pub fn call(this: &Effects, id: u32, url: Option<String>, init: &JsValue) -> Promise;
    #[wasm_bindgen(method)]
    fn settle(this: &Effects, id: u32, ok: bool, value: &JsValue);
    #[wasm_bindgen(method)]
    pub fn halt(this: &Effects, error: &JsValue);
    #[wasm_bindgen(method)]
    fn send(this: &Effects, id: u32, token: &str, retried: bool);
    #[wasm_bindgen(method)]
    pub fn on(this: &Effects, event: &str, listener: &JsValue) -> JsValue;
    #[wasm_bindgen(method)]
    fn emit(this: &Effects, event: &str, detail: &JsValue);
    #[wasm_bindgen(method, js_name = post)]
    fn post_(this: &Effects, seq: u32, url: &str, body: &str, timeout_ms: u32);
    #[wasm_bindgen(method, js_name = abort)]
    fn abort_(this: &Effects);
    #[wasm_bindgen(method, js_name = timer)]
    fn timer_(this: &Effects, delay_ms: f64);
    #[wasm_bindgen(method, js_name = lock)]
    pub fn lock_(this: &Effects, name: &str, if_available: bool) -> bool;
    #[wasm_bindgen(method, js_name = unlock)]
    pub fn unlock_(this: &Effects);
    #[wasm_bindgen(method, js_name = listen)]
    fn listen_(this: &Effects, on: bool, tabs: bool);
    #[wasm_bindgen(method)]
    fn storage(this: &Effects, name: &str);
    #[wasm_bindgen(method, js_name = get)]
    fn get_(this: &Effects, key: &str) -> Option<String>;
    #[wasm_bindgen(method, js_name = set)]
    fn set_(this: &Effects, key: &str, value: &str);
    #[wasm_bindgen(method, js_name = remove)]
    fn remove_(this: &Effects, key: &str);
    #[wasm_bindgen(method, js_name = degraded)]
    fn degraded_(this: &Effects) -> Option<String>;

    #[wasm_bindgen(js_name = visitorError)]
    fn visitor_error(code: &str, message: &str, status: Option<u16>) -> JsValue;
    #[wasm_bindgen(js_name = session)]
    fn session_(visitor_id: &str, organization_id: &str, socket_url: &str, access_token: &str, expires_at: f64, expires_in: u32, visitor_global_id: Option<String>) -> JsValue;
}

/// What `deliver` brings, by kind (numbered as in `effects.js`).
const ANSWERED: u32 = 1;
const TICK: u32 = 2;
const LOCKED: u32 = 3;
const WOKE: u32 = 4;
const TAB_CHANGED: u32 = 5;
const SENT: u32 = 6;

/// A `VisitorError` object.
pub fn to_js(error: &Error) -> JsValue {
    visitor_error(error.code, &error.message, error.status)
}

/// The JS object of a session: `{visitorId, organizationId, socketUrl, accessToken, expiresAt,
/// expiresIn, visitorGlobalId?}`. Never the secret.
pub fn session_object(session: &Session) -> JsValue {
    let a = &session.answer;
    session_(&a.visitor_id, &a.organization_id, &a.socket_url, a.access_token.expose(), session.expires_at_ms, a.expires_in, a.visitor_global_id.clone())
}

/// A plain object from key-value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = sys::object();
    for (key, value) in pairs {
        // Defining a property on a fresh plain object cannot fail.
        let _ = sys::set(&object, &(*key).into(), value);
    }
    object
}

pub struct Browser {
    pub fx: Effects,
}

/// One visitor: its lifecycle, the shell that carries it out, and the function through which
/// the effects deliver (kept alive as long as the visitor).
pub struct State {
    pub life: Lifecycle,
    pub shell: Browser,
    pub next_call: u32,
    _deliver: Closure<dyn FnMut(u32, f64, JsValue, JsValue, JsValue)>,
}

impl State {
    pub fn new(life: Lifecycle) -> Rc<LocalCell<State>> {
        Rc::new_cyclic(|weak: &Weak<LocalCell<State>>| {
            let weak = weak.clone();
            let deliver = Closure::<dyn FnMut(u32, f64, JsValue, JsValue, JsValue)>::new(move |kind, n, a, b, c| {
                if let Some(state) = weak.upgrade() {
                    deliver(&mut state.borrow_mut(), kind, n, a, b, c);
                }
            });
            let fx = Effects::new(deliver.as_ref());
            fx.storage(match life.options.storage {
                StorageKind::Local => "localStorage",
                StorageKind::Session => "sessionStorage",
                StorageKind::Memory => "memory",
            });
            LocalCell::new(State { life, shell: Browser { fx }, next_call: 0, _deliver: deliver })
        })
    }
}

use alloc::rc::{Rc, Weak};

/// What an effect brought, into the lifecycle.
fn deliver(state: &mut State, kind: u32, n: f64, a: JsValue, b: JsValue, c: JsValue) {
    let State { life, shell, .. } = state;
    match kind {
        ANSWERED => {
            let result = match a.as_f64() {
                Some(status) if status > 0.0 => Ok(Response { status: status as u16, body: b.as_string().unwrap_or_default(), retry_after: c.as_string() }),
                Some(status) if status < 0.0 => Err(error::timeout()),
                _ => Err(error::network()),
            };
            life.answered(n as u32, result, shell);
        }
        TICK => life.tick(shell),
        LOCKED => life.locked(n != 0.0, shell),
        WOKE => life.woke(shell),
        TAB_CHANGED => life.tab_changed(a.as_string().as_deref(), b.as_string().as_deref(), shell),
        SENT => {
            let call = n as u32;
            if a.is_undefined() {
                let error = if b.as_f64() == Some(0.0) {
                    to_js(&error::invalid_options("fetch(): init.headers is not a valid headers value"))
                } else if sys::string_prop(&b, "name").as_deref() == Some("AbortError") {
                    // The caller's own abort stays an AbortError, as with the platform fetch.
                    b
                } else {
                    to_js(&error::network())
                };
                shell.fx.settle(call, false, &error);
            } else {
                let status = sys::prop(&a, "status").as_f64().unwrap_or(0.0) as u16;
                if life.sent(call, status, c.as_bool() == Some(true), shell) {
                    shell.fx.settle(call, true, &a);
                }
            }
        }
        _ => {}
    }
}

impl Shell for Browser {
    type Doc = JsJson;

    fn now(&self) -> f64 {
        sys::now()
    }

    fn random(&self) -> f64 {
        sys::random()
    }

    fn parse(&self, text: &str) -> Option<JsJson> {
        json::parse(text)
    }

    fn get(&mut self, key: &str) -> Option<String> {
        self.fx.get_(key)
    }

    fn set(&mut self, key: &str, value: &str) {
        self.fx.set_(key, value);
    }

    fn remove(&mut self, key: &str) {
        self.fx.remove_(key);
    }

    fn degraded(&mut self) -> Option<String> {
        self.fx.degraded_()
    }

    fn post(&mut self, seq: u32, url: &str, body: &str, timeout_ms: u32) {
        self.fx.post_(seq, url, body, timeout_ms);
    }

    fn abort(&mut self) {
        self.fx.abort_();
    }

    fn lock(&mut self, name: &str, if_available: bool) -> bool {
        self.fx.lock_(name, if_available)
    }

    fn unlock(&mut self) {
        self.fx.unlock_();
    }

    fn timer(&mut self, delay_ms: Option<u32>) {
        self.fx.timer_(delay_ms.map_or(-1.0, f64::from));
    }

    fn listen(&mut self, on: bool, tabs: bool) {
        self.fx.listen_(on, tabs);
    }

    fn emit(&mut self, detail: Detail<'_>) {
        let (event, detail) = match detail {
            Detail::Session(session, source) => ("session", object(&[("session", session_object(session)), ("source", source.name().into())])),
            Detail::IdentityChange(previous, current) => (
                "identitychange",
                object(&[("previousVisitorId", previous.map_or(JsValue::NULL, JsValue::from)), ("visitorId", current.map_or(JsValue::NULL, JsValue::from))]),
            ),
            Detail::Error(error) => ("error", to_js(error)),
            Detail::Storage(reason) => ("storage", object(&[("reason", reason.into())])),
        };
        self.fx.emit(event, &detail);
    }

    fn reply(&mut self, call: u32, reply: Result<Reply<'_>, &Error>) {
        let value = match reply {
            Ok(Reply::Send(token, retried)) => return self.fx.send(call, token, retried),
            Ok(Reply::Session(session)) => session_object(session),
            Ok(Reply::Token(token)) => token.into(),
            Err(error) => return self.fx.settle(call, false, &to_js(error)),
        };
        self.fx.settle(call, true, &value);
    }
}
