//! The browser APIs the SDK calls, bound directly.
//!
//! Not `js-sys`/`web-sys`: their generic wrappers, and exports such as `js-sys`'s JSPI task poll
//! (which keeps its wakers and panic formatting in the binary), cost more in the shipped `.wasm`
//! than these few declarations. Calls that can throw are `catch`: they return `Err(exception)`.
//! The effects themselves (fetch, storage, timers, locks, events) are in `effects.js`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A promise made by `effects.js`.
    pub type Promise;

    pub type Array;
    #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
    fn is_array_(value: &JsValue) -> bool;
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Array) -> u32;
    #[wasm_bindgen(method, indexing_getter)]
    pub fn at(this: &Array, index: u32) -> JsValue;

    #[wasm_bindgen(js_namespace = Date)]
    pub fn now() -> f64;

    #[wasm_bindgen(js_namespace = Math)]
    pub fn random() -> f64;

    #[wasm_bindgen(js_namespace = JSON, catch)]
    pub fn parse(text: &str) -> Result<JsValue, JsValue>;
}

/// `Array.isArray(value)`.
pub fn is_array(value: &JsValue) -> bool {
    Array::is_array_(value)
}

