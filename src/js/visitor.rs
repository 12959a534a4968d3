//! The `Visitor` class: the JS API of SPEC §1 over the lifecycle of SPEC §2.
//!
//! The decisions (validation, expiry, renewal point, what qualifies) are the core's; this file
//! holds the state of one visitor and carries the decisions out with fetch, storage, timers and
//! page events.

use crate::prelude::*;

use alloc::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error;
use super::events::Event;
use super::lifecycle::{ensure_token, erase, guarded, halt, let_identity_go, load_cache, renew, session_object, start, Inner, Need, Shared};
use super::options;
use crate::core::text;
use crate::web::cell::LocalCell;
use crate::web::fetch::FetchError;
use crate::web::sys::{self, Function, Headers, Promise, Response};
use crate::web::task;

/// A visitor of one giosg organization.
#[wasm_bindgen]
pub struct Visitor {
    inner: Shared,
}

fn token_of(session: &JsValue) -> Result<String, JsValue> {
    sys::string_prop(session, "accessToken")
        .ok_or_else(|| error::stopped("no session"))
}

/// `fetch(url, init)` with `Authorization: Bearer <token>` set on a copy of `init`.
async fn authorized_fetch(url: &str, init: &JsValue, token: &str) -> Result<Response, JsValue> {
    let headers = match sys::prop(init, "headers") {
        // `new Headers(init.headers)` takes a Headers, an array of pairs or a record alike.
        h if !h.is_undefined() && !h.is_null() => Headers::new(&h),
        _ => Headers::new(&JsValue::UNDEFINED),
    }
    .map_err(|_| error::invalid_options("fetch(): init.headers is not a valid headers value"))?;
    headers
        .set("Authorization", &text::cat(&["Bearer ", token]))
        .map_err(|_| error::invalid_options("fetch(): the Authorization header could not be set"))?;
    let copy = sys::assign(&sys::object(), init);
    let _ = sys::set(&copy, &"headers".into(), &headers);
    match task::wait(&sys::fetch(url, &copy)).await {
        Ok(response) => Ok(response.unchecked_into()),
        // The caller's own abort stays an AbortError, as with the platform fetch.
        Err(e) if sys::string_prop(&e, "name").as_deref() == Some("AbortError") => Err(e),
        Err(_) => Err(error::from_fetch(FetchError::Network)),
    }
}

#[wasm_bindgen]
impl Visitor {
    /// Validates the options synchronously: `VisitorError` `invalid_options` for any bad value.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "VisitorOptions")] options: JsValue) -> Result<Visitor, JsValue> {
        let options = options::read(&options)?;
        Ok(Visitor { inner: Rc::new(LocalCell::new(Inner::new(options))) })
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
                if let Some(session) = s.session.as_ref().filter(|x| x.qualifies(sys::now(), s.options.renew_before_ms)) {
                    return Ok(session_object(session));
                }
            }
            renew(&inner, true, if force { Need::Fresh } else { Need::Valid(0.0) }).await
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
                sys::string_prop(&input, "href")
            });
            match text {
                None => Err(error::invalid_options("fetch(input): input must be a path or a URL (string or URL object)")),
                Some(path) if path.starts_with('/') && !path.starts_with("//") => Ok(s.options.api.url(&path)),
                Some(url) if s.options.may_send_token_to(&url) => Ok(url),
                Some(_) => Err(error::origin_not_allowed()),
            }
        };
        let url = match url {
            Ok(url) => url,
            Err(e) => return Promise::reject(&e),
        };
        let init = match init {
            Some(init) if !init.is_undefined() && !init.is_null() => init,
            _ => sys::object(),
        };
        let inner = self.inner.clone();
        guarded(&self.inner, async move {
            let token = token_of(&ensure_token(inner.clone(), 5000.0).await?)?;
            let response = authorized_fetch(&url, &init, &token).await?;
            if response.status() != 401 {
                return Ok(response.into());
            }
            // The server refused this token: only a new one from the server will do.
            let renewed = token_of(&renew(&inner, true, Need::Fresh).await?)?;
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
        if !listener.is_function() {
            return Err(error::invalid_options("on(event, listener): listener must be a function"));
        }
        let listener: Function = listener.unchecked_into();
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
        erase(&self.inner);
        let_identity_go(&self.inner);
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
        self.inner.borrow().session.as_ref().map_or(JsValue::NULL, |s| sys::date(s.expires_at_ms))
    }

    /// Whether the current token is still valid on the local clock.
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.borrow().session.as_ref().is_some_and(|s| s.valid_for(sys::now(), 0.0))
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
    let value = sys::get(opts, &name.into()).map_err(|_| error::invalid_options(&text::cat(&[name, " could not be read"])))?;
    if value.is_undefined() {
        return Ok(false);
    }
    value.as_bool().ok_or_else(|| error::invalid_options(&text::cat(&[name, " must be true or false"])))
}

/// `minValidity` in seconds (default 5, at most a day), as milliseconds.
fn read_min_validity(opts: &JsValue) -> Result<f64, JsValue> {
    const DEFAULT_S: f64 = 5.0;
    if opts.is_undefined() || opts.is_null() {
        return Ok(DEFAULT_S * 1000.0);
    }
    let value = sys::get(opts, &"minValidity".into()).map_err(|_| error::invalid_options("minValidity could not be read"))?;
    if value.is_undefined() {
        return Ok(DEFAULT_S * 1000.0);
    }
    match value.as_f64() {
        Some(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s * 1000.0),
        _ => Err(error::invalid_options("minValidity must be a number of seconds from 0 to 86400")),
    }
}
