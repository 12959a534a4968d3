//! The `Visitor` class.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Date, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::error;
use crate::core::ids::{ApiBase, OrganizationId};
use crate::core::record;
use crate::core::wire::{auth_request_body, AuthAnswer};
use crate::web::fetch::post_json;
use crate::web::storage::Store;

struct Options {
    org: OrganizationId,
    api: ApiBase,
    prefix: String,
    timeout_ms: u32,
}

/// The adopted session: the validated answer and its local-clock expiry.
struct Session {
    answer: AuthAnswer,
    /// Milliseconds since the epoch on the local clock: when the request was sent + `expires_in`.
    expires_at_ms: f64,
}

struct State {
    options: Options,
    store: Store,
    session: Option<Session>,
}

/// A visitor of one giosg organization.
#[wasm_bindgen]
pub struct Visitor {
    state: Rc<RefCell<State>>,
}

fn read_string(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    let value = Reflect::get(options, &name.into()).map_err(|_| error::invalid_options("options could not be read"))?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| error::invalid_options(&format!("{name} must be a string")))
}

fn parse_options(options: &JsValue) -> Result<Options, JsValue> {
    if !options.is_object() {
        return Err(error::invalid_options("new Visitor(options) needs an options object"));
    }
    let org = read_string(options, "organizationId")?.ok_or_else(|| error::invalid_options("organizationId is required"))?;
    let org = OrganizationId::parse(&org).map_err(error::invalid_options)?;
    let api = read_string(options, "apiBaseUrl")?.unwrap_or_else(|| ApiBase::DEFAULT.to_owned());
    let api = ApiBase::parse(&api).map_err(error::invalid_options)?;
    let prefix = read_string(options, "storageKeyPrefix")?.unwrap_or_else(|| "giosg".to_owned());
    if prefix.is_empty() {
        return Err(error::invalid_options("storageKeyPrefix must not be empty"));
    }
    let timeout = Reflect::get(options, &"requestTimeoutMs".into()).unwrap_or(JsValue::UNDEFINED);
    let timeout_ms = if timeout.is_undefined() {
        10_000
    } else {
        match timeout.as_f64() {
            Some(ms) if ms.fract() == 0.0 && (1.0..=600_000.0).contains(&ms) => ms as u32,
            _ => return Err(error::invalid_options("requestTimeoutMs must be a whole number from 1 to 600000")),
        }
    };
    Ok(Options { org, api, prefix, timeout_ms })
}

fn session_object(session: &Session) -> JsValue {
    let object = Object::new();
    let answer = &session.answer;
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &key.into(), &value);
    };
    set("visitorId", answer.visitor_id.as_str().into());
    set("organizationId", answer.organization_id.as_str().into());
    set("socketUrl", answer.socket_url.as_str().into());
    set("accessToken", answer.access_token.expose().into());
    set("expiresAt", Date::new(&session.expires_at_ms.into()).into());
    set("expiresIn", answer.expires_in.into());
    if let Some(global) = &answer.visitor_global_id {
        set("visitorGlobalId", global.as_str().into());
    }
    object.into()
}

/// One auth request: sends the stored secret (if any), validates the answer, then stores the
/// secret. Nothing is stored unless the whole answer is valid.
async fn authenticate(state: Rc<RefCell<State>>) -> Result<JsValue, JsValue> {
    let (url, body, timeout_ms, secret_key) = {
        let mut s = state.borrow_mut();
        let key = record::secret_key(&s.options.prefix, &s.options.api);
        let secret = s.store.get(&key).and_then(|v| record::decode_secret(&v));
        (s.options.api.auth_url(&s.options.org), auth_request_body(secret.as_ref()), s.options.timeout_ms, key)
    };
    let sent_at = Date::now();
    let answer = post_json(&url, &body, timeout_ms).await.map_err(error::from_fetch)?;
    if answer.status != 200 {
        return Err(error::http(answer.status));
    }
    let org = state.borrow().options.org.clone();
    let parsed = AuthAnswer::parse(&answer.body, &org).map_err(|e| error::invalid_response(&e))?;
    let session = Session { expires_at_ms: sent_at + f64::from(parsed.expires_in) * 1000.0, answer: parsed };
    let mut s = state.borrow_mut();
    s.store.set(&secret_key, &record::encode_secret(&session.answer.secret));
    let object = session_object(&session);
    s.session = Some(session);
    Ok(object)
}

#[wasm_bindgen]
impl Visitor {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Visitor, JsValue> {
        let options = parse_options(&options)?;
        Ok(Visitor { state: Rc::new(RefCell::new(State { options, store: Store::local(), session: None })) })
    }

    /// Authenticates the visitor: a new one, or the returning one whose secret is stored.
    pub fn authenticate(&self) -> Promise {
        future_to_promise(authenticate(self.state.clone()))
    }

    #[wasm_bindgen(getter, js_name = organizationId)]
    pub fn organization_id(&self) -> String {
        self.state.borrow().options.org.as_str().to_owned()
    }

    #[wasm_bindgen(getter)]
    pub fn session(&self) -> JsValue {
        self.state.borrow().session.as_ref().map(session_object).unwrap_or(JsValue::NULL)
    }

    #[wasm_bindgen(getter, js_name = visitorId)]
    pub fn visitor_id(&self) -> Option<String> {
        self.state.borrow().session.as_ref().map(|s| s.answer.visitor_id.clone())
    }

    #[wasm_bindgen(getter, js_name = accessToken)]
    pub fn access_token(&self) -> Option<String> {
        self.state.borrow().session.as_ref().map(|s| s.answer.access_token.expose().to_owned())
    }

    #[wasm_bindgen(getter, js_name = socketUrl)]
    pub fn socket_url(&self) -> Option<String> {
        self.state.borrow().session.as_ref().map(|s| s.answer.socket_url.clone())
    }

    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<Date> {
        self.state.borrow().session.as_ref().map(|s| Date::new(&s.expires_at_ms.into()))
    }

    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.state.borrow().session.as_ref().is_some_and(|s| s.expires_at_ms > Date::now())
    }
}
