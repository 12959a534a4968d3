//! The browser APIs the SDK calls, bound directly.
//!
//! Not `js-sys`/`web-sys`: their generic wrappers, and exports such as `js-sys`'s JSPI task poll
//! (which keeps its wakers and panic formatting in the binary), cost more in the shipped `.wasm`
//! than these few declarations. Calls that can throw are `catch`: they return `Err(exception)`.

use alloc::string::String;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A promise made by `effects.js`.
    pub type Promise;

    #[wasm_bindgen(js_namespace = Reflect, catch)]
    pub fn get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = Object, js_name = hasOwn)]
    pub fn has_own(object: &JsValue, key: &str) -> bool;
    #[wasm_bindgen(js_namespace = Object, js_name = keys)]
    pub fn keys(object: &JsValue) -> Array;

    pub type Array;
    #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
    fn is_array_(value: &JsValue) -> bool;
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

    #[wasm_bindgen(js_namespace = JSON, catch)]
    pub fn parse(text: &str) -> Result<JsValue, JsValue>;

}

/// A property, or `undefined` when reading it throws.
pub fn prop(target: &JsValue, key: &str) -> JsValue {
    get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A string property, if it is a string.
pub fn string_prop(target: &JsValue, key: &str) -> Option<String> {
    prop(target, key).as_string()
}

/// `new Date(ms)`.
pub fn date(ms: f64) -> JsValue {
    DateObject::new_date(ms).into()
}

/// `Array.isArray(value)`.
pub fn is_array(value: &JsValue) -> bool {
    Array::is_array_(value)
}

