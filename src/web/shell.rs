//! The browser shell of the lifecycle: [`Browser`] does what `core::lifecycle` asks for, with
//! the effects of `effects.js` (fetch, storage with its fallback to memory, Web Locks, the timer,
//! page events, the page's promises); [`deliver`] feeds what they bring back into the lifecycle.

use crate::prelude::*;

use alloc::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::error::{self, Error};
use crate::core::lifecycle::{Detail, Lifecycle, Reply, Response, Shell};
use crate::core::options::StorageKind;
use crate::core::record;
use crate::core::session::Session;
use crate::web::cell::LocalCell;
use crate::web::json::{self, JsJson};
use crate::web::sys::{self, Promise};

#[wasm_bindgen(module = "/src/web/effects.js")]
extern "C" {
    /// One visitor's effects and pending calls (see `effects.js`).
    pub type Effects;
    /// Effects delivering to `deliver`, keeping the visitor in `storage` (`localStorage`,
    /// `sessionStorage` or `memory`).
    #[wasm_bindgen(constructor)]
    pub fn new(deliver: &JsValue, storage: &str) -> Effects;
    /// Command `op` (below) with its numbers, strings and JS values.
    #[wasm_bindgen(method)]
    pub fn run(this: &Effects, op: u32, n: f64, m: f64, a: &str, b: &str, v: &JsValue, w: &JsValue) -> JsValue;
}

/// The commands of `Effects::run`, numbered as in `effects.js`.
const POST: u32 = 1;
const ABORT: u32 = 2;
const TIMER: u32 = 3;
pub const LOCK: u32 = 4;
pub const UNLOCK: u32 = 5;
const LISTEN: u32 = 6;
const GET: u32 = 7;
const SET: u32 = 8;
const REMOVE: u32 = 9;
const DEGRADED: u32 = 10;
const SEND: u32 = 11;
const CALL: u32 = 12;
const SETTLE: u32 = 13;
const HALT: u32 = 14;
const ON: u32 = 15;
const EMIT: u32 = 16;
const SESSION: u32 = 17;
const DATE: u32 = 18;

/// What `deliver` brings, by kind (numbered as in `effects.js`).
const ANSWERED: u32 = 1;
const TICK: u32 = 2;
const LOCKED: u32 = 3;
const WOKE: u32 = 4;
const TAB_CHANGED: u32 = 5;
const SENT: u32 = 6;

/// A `VisitorError` object.
pub fn to_js(error: &Error) -> JsValue {
    sys::visitor_error(error.code, &error.message, error.status)
}

pub struct Browser {
    pub fx: Effects,
}

impl Browser {
    fn run(&self, op: u32, n: f64, m: f64, a: &str, b: &str) -> JsValue {
        self.fx.run(op, n, m, a, b, &JsValue::UNDEFINED, &JsValue::UNDEFINED)
    }

    /// The promise of call `id` of the page (`fetch()` gives its URL and init), rejected at once
    /// after `halt`.
    pub fn call(&self, id: u32, url: &str, init: &JsValue) -> Promise {
        self.fx.run(CALL, id.into(), 0.0, url, "", init, &JsValue::UNDEFINED).unchecked_into()
    }

    pub fn settle(&self, id: u32, ok: bool, value: &JsValue) {
        self.fx.run(SETTLE, id.into(), f64::from(u8::from(ok)), "", "", value, &JsValue::UNDEFINED);
    }

    /// `stop()`: every pending call rejects with `error`, listeners go, nothing is delivered.
    pub fn halt(&self, error: &JsValue) {
        self.fx.run(HALT, 0.0, 0.0, "", "", error, &JsValue::UNDEFINED);
    }

    /// Subscribes `listener` to `event`: the function that unsubscribes, or what is wrong with
    /// the arguments.
    pub fn on(&self, event: &JsValue, listener: &JsValue) -> JsValue {
        self.fx.run(ON, 0.0, 0.0, "", "", event, listener)
    }

    /// The JS object of a session: `{visitorId, organizationId, socketUrl, accessToken,
    /// expiresAt, expiresIn, visitorGlobalId?}`, made from its record (which never holds the
    /// secret).
    pub fn session(&self, session: &Session) -> JsValue {
        self.run(SESSION, 0.0, 0.0, &record::encode_session(session), "")
    }

    /// `new Date(ms)`.
    pub fn date(&self, ms: f64) -> JsValue {
        self.run(DATE, ms, 0.0, "", "")
    }
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
            let storage = match life.options.storage {
                StorageKind::Local => "localStorage",
                StorageKind::Session => "sessionStorage",
                StorageKind::Memory => "memory",
            };
            let shell = Browser { fx: Effects::new(deliver.as_ref(), storage) };
            LocalCell::new(State { life, shell, next_call: 0, _deliver: deliver })
        })
    }
}

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
            let error = match b.as_f64().unwrap_or(0.0) {
                status if status > 0.0 => {
                    if life.sent(call, status as u16, c.as_f64() == Some(1.0), shell) {
                        shell.settle(call, true, &a);
                    }
                    return;
                }
                -1.0 => to_js(&error::invalid_options("fetch(): init.headers is not a valid headers value")),
                // The caller's own abort stays an AbortError, as with the platform fetch.
                -2.0 => a,
                _ => to_js(&error::network()),
            };
            shell.settle(call, false, &error);
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
        self.run(GET, 0.0, 0.0, key, "").as_string()
    }

    fn set(&mut self, key: &str, value: &str) {
        self.run(SET, 0.0, 0.0, key, value);
    }

    fn remove(&mut self, key: &str) {
        self.run(REMOVE, 0.0, 0.0, key, "");
    }

    fn degraded(&mut self) -> Option<String> {
        self.run(DEGRADED, 0.0, 0.0, "", "").as_string()
    }

    fn post(&mut self, seq: u32, url: &str, body: &str, timeout_ms: u32) {
        self.run(POST, seq.into(), timeout_ms.into(), url, body);
    }

    fn abort(&mut self) {
        self.run(ABORT, 0.0, 0.0, "", "");
    }

    fn lock(&mut self, name: &str, if_available: bool) -> bool {
        self.run(LOCK, f64::from(u8::from(if_available)), 0.0, name, "").as_f64() == Some(1.0)
    }

    fn unlock(&mut self) {
        self.run(UNLOCK, 0.0, 0.0, "", "");
    }

    fn timer(&mut self, delay_ms: Option<u32>) {
        self.run(TIMER, delay_ms.map_or(-1.0, f64::from), 0.0, "", "");
    }

    fn listen(&mut self, on: bool, tabs: bool) {
        self.run(LISTEN, f64::from(u8::from(on)), f64::from(u8::from(tabs)), "", "");
    }

    fn emit(&mut self, detail: Detail<'_>) {
        let (event, a, b) = match detail {
            Detail::Session(session, source) => ("session", self.session(session), source.name().into()),
            Detail::IdentityChange(previous, current) => ("identitychange", previous.map_or(JsValue::NULL, JsValue::from), current.map_or(JsValue::NULL, JsValue::from)),
            Detail::Error(error) => ("error", to_js(error), JsValue::UNDEFINED),
            Detail::Storage(reason) => ("storage", reason.into(), JsValue::UNDEFINED),
        };
        self.fx.run(EMIT, 0.0, 0.0, event, "", &a, &b);
    }

    fn reply(&mut self, call: u32, reply: Result<Reply<'_>, &Error>) {
        let value = match reply {
            Ok(Reply::Send(token, retried)) => {
                self.run(SEND, call.into(), f64::from(u8::from(retried)), token, "");
                return;
            }
            Ok(Reply::Session(session)) => self.session(session),
            Ok(Reply::Token(token)) => token.into(),
            Err(error) => return self.settle(call, false, &to_js(error)),
        };
        self.settle(call, true, &value);
    }
}
