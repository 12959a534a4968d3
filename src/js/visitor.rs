//! The `Visitor` class: the JS API of SPEC §1 over the lifecycle of SPEC §2.
//!
//! The decisions (validation, expiry, renewal point, what qualifies) are the core's; this file
//! holds the state of one visitor and carries the decisions out with fetch, storage, timers and
//! page events.

use alloc::rc::Rc;

use wasm_bindgen::prelude::*;

use super::{error, options};
use crate::core::error::{self as core_error, STOPPED};
use crate::core::lifecycle::{Lifecycle, Want};
use crate::web::cell::LocalCell;
use crate::web::shell::{to_js, Browser, State};
use crate::web::sys::{self, Promise};

/// A visitor of one giosg organization.
#[wasm_bindgen]
pub struct Visitor {
    inner: Rc<LocalCell<State>>,
}

impl Visitor {
    /// A call of the page: its promise, settled by the lifecycle (`run`) or rejected by `stop()`
    /// (after `stop()`, rejected at once).
    fn call(&self, url: &str, init: &JsValue, run: &mut dyn FnMut(&mut Lifecycle, &mut Browser, u32)) -> Promise {
        let mut s = self.inner.borrow_mut();
        s.next_call = s.next_call.wrapping_add(1);
        let id = s.next_call;
        let promise = s.shell.call(id, url, init);
        let State { life, shell, .. } = &mut *s;
        if !life.stopped {
            run(life, shell, id);
        }
        promise
    }

    /// A call settled at once: with `value` (`ok`), or rejected with it.
    fn settled(&self, ok: bool, value: &JsValue) -> Promise {
        self.call("", &JsValue::UNDEFINED, &mut |_, shell, id| shell.settle(id, ok, value))
    }
}

#[wasm_bindgen]
impl Visitor {
    /// Validates the options synchronously: `VisitorError` `invalid_options` for any bad value.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "VisitorOptions")] options: JsValue) -> Result<Visitor, JsValue> {
        let options = options::read(&options)?;
        Ok(Visitor { inner: State::new(Lifecycle::new(options)) })
    }

    /// A session valid for at least the renewal lead: the cached one when it qualifies (no
    /// request), else a new one; `{force: true}` always asks the server. Starts auto-renewal.
    #[wasm_bindgen(skip_typescript)]
    pub fn authenticate(&self, opts: JsValue) -> Promise {
        match read_force(&opts) {
            Ok(force) => self.call("", &JsValue::UNDEFINED, &mut |life, shell, id| life.authenticate(id, force, shell)),
            Err(e) => self.settled(false, &e),
        }
    }

    /// A token valid for at least `minValidity` seconds (default 5), renewing first when needed.
    #[wasm_bindgen(js_name = getAccessToken, skip_typescript)]
    pub fn get_access_token(&self, opts: JsValue) -> Promise {
        match read_min_validity(&opts) {
            Ok(min_ms) => self.call("", &JsValue::UNDEFINED, &mut |life, shell, id| life.token(id, min_ms, Want::Token, shell)),
            Err(e) => self.settled(false, &e),
        }
    }

    /// The platform `fetch` with the token: a path resolves against `apiBaseUrl`; an absolute
    /// URL must be of `apiBaseUrl`'s origin or `allowedOrigins`, else `origin_not_allowed` and
    /// nothing is sent. A 401 renews the token once and repeats the request once.
    #[wasm_bindgen(skip_typescript)]
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        let url = {
            let s = self.inner.borrow();
            let options = &s.life.options;
            // A string, or a URL object.
            let href = || options::fields(&input, "href", "s", false).ok()?.at(0).as_string();
            match input.as_string().or_else(href) {
                None => Err(core_error::invalid_options("fetch(input): input must be a path or a URL (string or URL object)")),
                Some(path) if path.starts_with('/') && !path.starts_with("//") => Ok(options.api.url(&path)),
                Some(url) if sys::parse_url(&url).is_some_and(|parsed| options.may_send_token_to(&parsed)) => Ok(url),
                Some(_) => Err(core_error::origin_not_allowed()),
            }
        };
        match url {
            // A missing `init` is `{}` (effects.js).
            Ok(url) => self.call(&url, &init, &mut |life, shell, id| life.token(id, 5000.0, Want::Send { retried: false }, shell)),
            Err(e) => self.settled(false, &to_js(&e)),
        }
    }

    /// Subscribes to `session`, `identitychange`, `error` or `storage`; returns the function
    /// that unsubscribes. (Typed in `types.d.ts`, like the methods with optional arguments.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        // effects.js checks the event name and the listener: the function that unsubscribes, or
        // what is wrong.
        let off = self.inner.borrow().shell.on(&event, &listener);
        match off.as_string() {
            Some(problem) => Err(error::invalid_options(&problem)),
            None => Ok(off),
        }
    }

    /// Erases the secret and the session from storage and memory and stops the timers; the next
    /// `authenticate()` makes a new visitor.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn forget(&self) -> Promise {
        self.call("", &JsValue::UNDEFINED, &mut |life, shell, id| {
            life.forget(shell);
            shell.settle(id, true, &JsValue::UNDEFINED);
        })
    }

    /// Stops timers and listeners; pending and later calls reject with `stopped`.
    pub fn stop(&self) {
        let mut s = self.inner.borrow_mut();
        let State { life, shell, .. } = &mut *s;
        life.stop(shell);
        shell.halt(&to_js(&core_error::stopped(STOPPED)));
    }

    #[wasm_bindgen(getter, js_name = organizationId, unchecked_return_type = "string")]
    pub fn organization_id(&self) -> JsValue {
        self.inner.borrow().life.options.org.as_str().into()
    }

    #[wasm_bindgen(getter, unchecked_return_type = "Session | null")]
    pub fn session(&self) -> JsValue {
        let s = self.inner.borrow();
        s.life.session.as_ref().map_or(JsValue::NULL, |session| s.shell.session(session))
    }

    #[wasm_bindgen(getter, js_name = visitorId, unchecked_return_type = "string | null")]
    pub fn visitor_id(&self) -> JsValue {
        self.inner.borrow().life.session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(&s.answer.visitor_id))
    }

    #[wasm_bindgen(getter, js_name = accessToken, unchecked_return_type = "string | null")]
    pub fn access_token(&self) -> JsValue {
        self.inner.borrow().life.session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(s.answer.access_token.expose()))
    }

    #[wasm_bindgen(getter, js_name = socketUrl, unchecked_return_type = "string | null")]
    pub fn socket_url(&self) -> JsValue {
        self.inner.borrow().life.session.as_ref().map_or(JsValue::NULL, |s| JsValue::from(&s.answer.socket_url))
    }

    #[wasm_bindgen(getter, js_name = expiresAt, unchecked_return_type = "Date | null")]
    pub fn expires_at(&self) -> JsValue {
        let s = self.inner.borrow();
        s.life.session.as_ref().map_or(JsValue::NULL, |session| s.shell.date(session.expires_at_ms))
    }

    /// Whether the current token is still valid on the local clock.
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.borrow().life.session.as_ref().is_some_and(|s| s.valid_for(sys::now(), 0.0))
    }
}

/// `free()` and `[Symbol.dispose]()` drop the object: that stops it first.
impl Drop for Visitor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `force` of `authenticate(opts)`: an optional boolean of an optional object.
fn read_force(opts: &JsValue) -> Result<bool, JsValue> {
    Ok(options::fields(opts, "force", "b", false)?.at(0).as_f64() == Some(1.0))
}

/// `minValidity` in seconds (default 5, at most a day), as milliseconds.
fn read_min_validity(opts: &JsValue) -> Result<f64, JsValue> {
    match options::fields(opts, "minValidity", "n", false)?.at(0).as_f64() {
        None => Ok(5000.0),
        Some(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s * 1000.0),
        Some(_) => Err(error::invalid_options("minValidity must be a number of seconds from 0 to 86400")),
    }
}
