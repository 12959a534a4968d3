//! `VisitorError`: the core's [`Error`] as the JS object the page gets, an instance of the
//! `VisitorError` class (`visitor_error.js`: an `Error` with `name` `"VisitorError"`, `code` and,
//! for HTTP errors, `status`).

use wasm_bindgen::prelude::*;

use crate::core::error::Error;

#[wasm_bindgen(module = "/src/js/visitor_error.js")]
extern "C" {
    /// The JS class `VisitorError`.
    #[wasm_bindgen(js_name = VisitorError)]
    type JsVisitorError;
    #[wasm_bindgen(constructor, js_class = "VisitorError")]
    fn new(code: &str, message: &str, status: Option<u16>) -> JsVisitorError;
}

pub fn to_js(error: &Error) -> JsValue {
    JsVisitorError::new(error.code.as_str(), &error.message, error.status).into()
}
