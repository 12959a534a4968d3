//! The browser APIs the SDK calls, bound directly.
//!
//! Not `js-sys`/`web-sys`: their generic wrappers, and exports such as `js-sys`'s JSPI task poll
//! (which keeps its wakers and panic formatting in the binary), cost more in the shipped `.wasm`
//! than these few declarations. Calls that can throw are `catch`: they return `Err(exception)`.

use alloc::string::String;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `globalThis`: the window, or a worker's global scope.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    pub static GLOBAL: JsValue;

    #[derive(Clone)]
    pub type Function;
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call0(this: &Function, context: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call1(this: &Function, context: &JsValue, arg: &JsValue) -> Result<JsValue, JsValue>;

    #[derive(Clone)]
    pub type Promise;
    #[wasm_bindgen(constructor)]
    pub fn new(executor: &mut dyn FnMut(Function, Function)) -> Promise;
    #[wasm_bindgen(method)]
    pub fn then(this: &Promise, on_fulfilled: &Function, on_rejected: &Function) -> Promise;
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn race(promises: &JsValue) -> Promise;
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn reject(reason: &JsValue) -> Promise;
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn resolve(value: &JsValue) -> Promise;

    #[wasm_bindgen(js_namespace = Reflect, catch)]
    pub fn get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, catch)]
    pub fn set(target: &JsValue, key: &JsValue, value: &JsValue) -> Result<bool, JsValue>;

    #[wasm_bindgen(js_namespace = Object, js_name = assign)]
    pub fn assign(target: &JsValue, source: &JsValue) -> JsValue;
    #[wasm_bindgen(js_namespace = Object, js_name = hasOwn)]
    pub fn has_own(object: &JsValue, key: &str) -> bool;
    #[wasm_bindgen(js_namespace = Object, js_name = keys)]
    pub fn keys(object: &JsValue) -> Array;
    #[wasm_bindgen(js_name = Object)]
    type PlainObject;
    #[wasm_bindgen(constructor, js_class = Object)]
    fn new_object() -> PlainObject;

    pub type Array;
    #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
    fn is_array_(value: &JsValue) -> bool;
    #[wasm_bindgen(static_method_of = Array, js_name = of)]
    fn of2(a: &JsValue, b: &JsValue) -> JsValue;
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Array) -> u32;
    #[wasm_bindgen(method, indexing_getter)]
    pub fn at(this: &Array, index: u32) -> JsValue;

    #[wasm_bindgen(js_namespace = Date)]
    pub fn now() -> f64;
    #[wasm_bindgen(js_name = Date)]
    type DateObject;
    #[wasm_bindgen(constructor, js_class = Date)]
    fn new_date(ms: f64) -> DateObject;

    #[wasm_bindgen(js_namespace = Math)]
    pub fn random() -> f64;

    #[wasm_bindgen(js_name = Error)]
    type ErrorObject;
    #[wasm_bindgen(constructor, js_class = Error)]
    fn new_error(message: &str) -> ErrorObject;

    #[wasm_bindgen(js_namespace = JSON, catch)]
    pub fn parse(text: &str) -> Result<JsValue, JsValue>;

    #[derive(Clone)]
    pub type AbortController;
    #[wasm_bindgen(constructor, catch, js_class = AbortController)]
    pub fn new() -> Result<AbortController, JsValue>;
    #[wasm_bindgen(method, getter)]
    pub fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn abort(this: &AbortController);

    /// The platform `fetch(input, init)`; errors come as a rejected promise.
    pub fn fetch(input: &str, init: &JsValue) -> Promise;

    pub type Response;
    #[wasm_bindgen(method, getter)]
    pub fn status(this: &Response) -> u16;
    #[wasm_bindgen(method, getter)]
    pub fn headers(this: &Response) -> Headers;
    #[wasm_bindgen(method, catch)]
    pub fn text(this: &Response) -> Result<Promise, JsValue>;

    pub type Headers;
    #[wasm_bindgen(constructor, catch, js_class = Headers)]
    pub fn new(init: &JsValue) -> Result<Headers, JsValue>;
    #[wasm_bindgen(method)]
    pub fn get(this: &Headers, name: &str) -> Option<String>;
    #[wasm_bindgen(method, catch)]
    pub fn set(this: &Headers, name: &str, value: &str) -> Result<(), JsValue>;

    pub type EventTarget;
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_event_listener(this: &EventTarget, name: &str, listener: &JsValue);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    pub fn remove_event_listener(this: &EventTarget, name: &str, listener: &JsValue);
}

/// `globalThis`.
pub fn global() -> JsValue {
    GLOBAL.with(JsValue::clone)
}

/// A property, or `undefined` when reading it throws.
pub fn prop(target: &JsValue, key: &str) -> JsValue {
    get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A string property, if it is a string.
pub fn string_prop(target: &JsValue, key: &str) -> Option<String> {
    prop(target, key).as_string()
}

/// A new plain object.
pub fn object() -> JsValue {
    PlainObject::new_object().into()
}

/// `new Date(ms)`.
pub fn date(ms: f64) -> JsValue {
    DateObject::new_date(ms).into()
}

/// `new Error(message)`.
pub fn error(message: &str) -> JsValue {
    ErrorObject::new_error(message).into()
}

/// `Array.isArray(value)`.
pub fn is_array(value: &JsValue) -> bool {
    Array::is_array_(value)
}

/// `[a, b]`.
pub fn pair(a: &JsValue, b: &JsValue) -> JsValue {
    Array::of2(a, b)
}
